// The real peers (issue: performance through the public API): the same mappings
// written by hand in plain JavaScript, the way a developer would without
// crosswalk — one JSON.parse, a .map building the unified objects, and
// `remote_data` shared by reference. Their output is checked equal to
// crosswalk's on sample records (bench/same-records.mjs). Plain JavaScript with no
// Node import, so the bench's floor Worker runs the same mappers under workerd.
const iso = (v) => (v ? new Date(v).toISOString() : null);

const GREENHOUSE_STATUS = {
  to_be_scheduled: 'draft', scheduled: 'scheduled', awaiting_feedback: 'awaiting_feedback', collect_feedback: 'awaiting_feedback',
  complete: 'completed', skipped: 'cancelled', to_be_sent: 'draft', sent: 'scheduled', received: 'awaiting_feedback',
};
const day = (d) => (d ? iso(`${d}T00:00:00Z`) : null);

/**
 * A Greenhouse v3 page joined by hand, as a developer would: fetch the page, then
 * the interviewers, applications, job interviews and stages for its ids (50 per
 * request, the API's limit), and build the unified records.
 */
export async function mapGreenhousePage(fetch, origin, pageText) {
  const page = JSON.parse(pageText);
  const get = async (path) => JSON.parse(await (await fetch(`${origin}${path}`)).text());
  const chunks = (ids) => {
    const uniq = [...new Set(ids.filter((x) => x != null))];
    const out = [];
    for (let i = 0; i < uniq.length; i += 50) out.push(uniq.slice(i, i + 50).join(','));
    return out;
  };
  const panel = new Map();
  for (const c of chunks(page.map((r) => r.id))) {
    for (const row of await get(`/v3/interviewers?interview_ids=${c}&per_page=500`)) {
      if (!panel.has(row.interview_id)) panel.set(row.interview_id, []);
      panel.get(row.interview_id).push({ email: row.email ?? null, id: row.user_id == null ? null : String(row.user_id), name: null });
    }
  }
  const candidate = new Map();
  for (const c of chunks(page.map((r) => r.application_id))) for (const a of await get(`/v3/applications?ids=${c}&per_page=500`)) candidate.set(a.id, String(a.candidate_id));
  const stageOf = new Map();
  for (const c of chunks(page.map((r) => r.job_interview_id))) for (const j of await get(`/v3/job_interviews?ids=${c}&per_page=500`)) stageOf.set(j.id, j.job_interview_stage_id);
  const stageName = new Map();
  for (const c of chunks([...stageOf.values()])) for (const st of await get(`/v3/job_interview_stages?ids=${c}&per_page=500`)) stageName.set(st.id, st.name ?? null);
  return page.map((r) => {
    const stage = stageOf.get(r.job_interview_id);
    return {
      application: r.application_id != null ? { id: String(r.application_id) } : null,
      candidate: candidate.has(r.application_id) ? { id: candidate.get(r.application_id) } : null,
      created_at: iso(r.created_at),
      end_at: r.ends_at ? iso(r.ends_at) : day(r.all_day_end_on),
      id: String(r.id),
      interviewers: panel.get(r.id) ?? [],
      job_interview_stage: stage == null ? null : { id: String(stage), name: stageName.get(stage) ?? null },
      location: r.location || r.video_conferencing_url || null,
      organizer: r.organizer_id != null ? { email: null, id: String(r.organizer_id), name: null } : null,
      start_at: r.starts_at ? iso(r.starts_at) : day(r.all_day_start_on),
      status: GREENHOUSE_STATUS[r.status] ?? null,
      updated_at: iso(r.updated_at),
      remote_data: r,
    };
  });
}

const HUBSPOT_DIRECTION = { INBOUND: 'inbound', OUTBOUND: 'outbound' };

export function mapHubspotCallsPage(text) {
  return JSON.parse(text).results.map((r) => {
    const p = r.properties;
    const direction = HUBSPOT_DIRECTION[p.hs_call_direction] ?? null;
    return {
      account: null,
      contacts: [],
      content: p.hs_call_body ?? null,
      created_at: iso(r.createdAt),
      direction,
      duration: p.hs_call_duration != null ? Math.round(Number(p.hs_call_duration) / 1000) : null,
      end_time: null,
      engagement_type: 'call',
      id: `call:${r.id}`,
      internal_notes: null,
      opportunity: null,
      owner: p.hubspot_owner_id ? { id: p.hubspot_owner_id } : null,
      phone_numbers: [{ number: direction === 'inbound' ? p.hs_call_from_number : p.hs_call_to_number }],
      start_time: iso(p.hs_timestamp),
      status: null,
      subject: p.hs_call_title ?? null,
      updated_at: iso(r.updatedAt),
      remote_data: r,
    };
  });
}

/** A Lever note create request, built by hand. */
export function leverRequest(b, apiKey) {
  const body = { value: b.body };
  if (b.visibility === 'admin_only' || b.visibility === 'public') body.secret = b.visibility === 'admin_only';
  if (b.created_at) body.createdAt = Date.parse(b.created_at);
  return {
    method: 'POST',
    url: `https://api.lever.co/v1/opportunities/${encodeURIComponent(b.candidate_id)}/notes`,
    headers: { authorization: `Basic ${btoa(`${apiKey}:`)}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}

/** Lever's create answer → the unified activity, by hand. */
export function mapLeverNote(text, candidateId) {
  const n = JSON.parse(text).data;
  const field = n.fields?.find((f) => f.type === 'note') ?? n.fields?.[0];
  return {
    activity_type: 'note',
    actor: n.user ? { id: n.user, type: 'user' } : null,
    body: field?.value ?? null,
    candidate: { id: candidateId },
    created_at: n.createdAt != null ? new Date(n.createdAt).toISOString() : null,
    id: n.id ?? n.noteId,
    updated_at: null,
    visibility: n.secret === true ? 'admin_only' : n.secret === false ? 'public' : null,
    remote_data: n,
  };
}
