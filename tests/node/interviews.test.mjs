// ATS interviews end to end: the built npm package against loopback servers playing
// Ashby (cursor in the POST body), Greenhouse v3 (Link header cursor), Pinpoint (JSON:API page
// numbers) and Fountain (one page per applicant). Every list is read across several
// pages; the assertions cover order and uniqueness, loop protection, the Truto query
// options, filters crosswalk applies itself, and streaming.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'crosswalk';
import { startServer, fixture, recordingSleep } from './helpers/server.mjs';

const basic = (key) => 'Basic ' + Buffer.from(`${key}:`).toString('base64');

async function withProvider(provider, handler, fn, account = {}) {
  const server = await startServer(handler);
  const { sleep } = recordingSleep();
  try {
    const client = createClient({ accounts: [{ id: 'acc1', provider, base_url: server.origin, ...account }], sleep });
    await fn({ client, server });
  } finally {
    await server.close();
  }
}

const ids = (records) => records.map((r) => r.id);
const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

// ---------- providers played by the loopback server ----------

/** Ashby: `n` schedules, `size` per page, cursor `c<offset>` in the POST body. */
function ashby(n, size, { repeatCursor = false } = {}) {
  return (req) => {
    const offset = req.json?.cursor ? Number(req.json.cursor.slice(1)) : 0;
    const results = range(offset + 1, Math.min(offset + size, n)).map((id) => ({
      id, status: Number(id) % 2 ? 'Scheduled' : 'Complete', applicationId: `app-${id}`, interviewStageId: 'stage-1',
      createdAt: '2024-06-01T00:00:00Z', updatedAt: '2024-06-02T00:00:00Z',
      interviewEvents: [{ id: `ev-${id}`, startTime: `2024-06-${String(Number(id) % 28 + 1).padStart(2, '0')}T10:00:00Z`, endTime: `2024-06-${String(Number(id) % 28 + 1).padStart(2, '0')}T11:00:00Z`, location: 'Zoom', interviewers: [] }],
    }));
    const more = offset + size < n;
    const next = repeatCursor ? 'c0' : `c${offset + size}`;
    return { status: 200, body: { success: true, results, moreDataAvailable: more, ...(more ? { nextCursor: next } : {}) } };
  };
}

/**
 * Greenhouse Harvest v3: `n` interviews; the first page's `per_page`, then the
 * `Link` next URL carrying only `cursor` (page and size inside it, as v3 requires);
 * the lookups (interviewers, applications, job interviews, stages) answer for the ids asked.
 */
function greenhouse(n, { origin, repeat = false } = {}) {
  const listed = (q, key) => (q[key] ?? '').split(',').filter(Boolean).map(Number);
  return (req) => {
    if (req.path === '/v3/interviewers') return { status: 200, body: listed(req.query, 'interview_ids').map((i) => ({ id: i, interview_id: i, user_id: 7, email: 'kate@example.com' })) };
    if (req.path === '/v3/applications') return { status: 200, body: listed(req.query, 'ids').map((a) => ({ id: a, candidate_id: a + 5000 })) };
    if (req.path === '/v3/job_interviews') return { status: 200, body: listed(req.query, 'ids').map((j) => ({ id: j, job_interview_stage_id: 70, name: 'Culture Fit call' })) };
    if (req.path === '/v3/job_interview_stages') return { status: 200, body: [{ id: 70, name: 'Culture Fit' }] };
    if (req.query.cursor && Object.keys(req.query).length > 1) return { status: 422, body: { errors: ['When passing a cursor, do not include other query params.'] } };
    const { page, per } = req.query.cursor ? JSON.parse(Buffer.from(req.query.cursor, 'base64url')) : { page: 1, per: Number(req.query.per_page) };
    const first = (page - 1) * per + 1;
    const body = range(first, Math.min(first + per - 1, n)).map((id) => ({
      id: Number(id), application_id: 1000 + Number(id), job_interview_id: 80, status: 'scheduled',
      starts_at: '2024-06-15T10:00:00.000Z', ends_at: '2024-06-15T11:00:00.000Z',
      created_at: '2024-06-01T00:00:00.000Z', updated_at: '2024-06-02T00:00:00.000Z', organizer_id: 2, location: 'Room 1',
    }));
    const headers = {};
    if (first + per - 1 < n) {
      const cursor = Buffer.from(JSON.stringify({ page: repeat ? 2 : page + 1, per })).toString('base64url');
      headers.link = `<${origin()}/v3/interviews?cursor=${cursor}>; rel="next"`;
    }
    return { status: 200, headers, body };
  };
}

const interviewRequests = (server) => server.requests.filter((r) => r.path === '/v3/interviews').map((r) => r.url);
const cursorOf = (page) => Buffer.from(JSON.stringify({ page, per: 2 })).toString('base64url');
const GH = { credentials: { access_token: 'gh-token' } };

/** Pinpoint: `n` interviews, `page[number]` / `page[size]`, the stage included. */
function pinpoint(n) {
  return (req) => {
    const page = Number(req.query['page[number]']);
    const size = Number(req.query['page[size]']);
    const first = (page - 1) * size + 1;
    const data = range(first, Math.min(first + size - 1, n)).map((id) => ({
      id, type: 'interviews',
      attributes: { start_at: '2024-06-15T10:00:00+00:00', end_at: '2024-06-15T11:00:00+00:00', created_at: '2024-06-01T00:00:00+00:00', updated_at: '2024-06-02T00:00:00+00:00', status: 'scheduled' },
      relationships: { interviewable: { data: { type: 'applications', id: `a${id}` } }, stage: { data: { type: 'stages', id: '9' } } },
    }));
    return { status: 200, body: { data, included: [{ id: '9', type: 'stages', attributes: { name: 'Phone screen' } }], meta: {} } };
  };
}

// ---------- every record, in order, exactly once ----------

test('ashby: all schedules across pages, in order, exactly once; cursor in the body', async () => {
  await withProvider('ashby', ashby(7, 3), async ({ client, server }) => {
    const all = await client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'acc1', job_interview_stage_id: 'stage-1' }).toArray();
    assert.deepEqual(ids(all), range(1, 7));
    assert.equal(server.requests.length, 3);
    assert.deepEqual(server.requests.map((r) => r.json.cursor), [undefined, 'c3', 'c6']);
    for (const r of server.requests) {
      assert.equal(r.method, 'POST');
      assert.equal(r.path, '/interviewSchedule.list');
      assert.equal(r.headers.authorization, basic('ashby-key'));
      assert.equal(r.json.interviewStageId, 'stage-1', 'filters are re-sent with every cursor');
      assert.equal(r.json.limit, 100);
    }
    assert.deepEqual(all[0].job_interview_stage, { id: 'stage-1', name: null });
    assert.equal(all[1].status, 'completed');
  }, { credentials: { api_key: 'ashby-key' } });
});

test('greenhouse: Link-header cursor pages with the panel, candidate and stage joined, then null', async () => {
  let origin;
  await withProvider('greenhouse', greenhouse(5, { origin: () => origin }), async ({ client, server }) => {
    origin = server.origin;
    const pages = [];
    for await (const p of client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'acc1', limit: 2 }).pages()) pages.push(p);
    assert.deepEqual(pages.map((p) => ids(p.result)), [['1', '2'], ['3', '4'], ['5']]);
    assert.equal(typeof pages[0].next_cursor, 'string');
    assert.equal(pages[2].next_cursor, null);
    assert.deepEqual(pages.map((p) => p.result_count), [2, 2, 1]);
    assert.deepEqual(interviewRequests(server), ['/v3/interviews?per_page=2', `/v3/interviews?cursor=${cursorOf(2)}`, `/v3/interviews?cursor=${cursorOf(3)}`]);
    assert.equal(server.requests.length, 15, 'four lookups per page with interviews: panel, candidates, job interviews, stages');
    assert.equal(server.requests[0].headers.authorization, 'Bearer gh-token');
    assert.deepEqual(pages[0].result[0].interviewers, [{ id: '7', name: null, email: 'kate@example.com' }]);
    assert.deepEqual(pages[0].result[0].candidate, { id: '6001' });
    assert.deepEqual(pages[0].result[0].job_interview_stage, { id: '70', name: 'Culture Fit' });

    // Stateless continuation: the opaque cursor resumes on another call.
    const again = await client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'acc1', limit: 2, next_cursor: pages[0].next_cursor });
    assert.deepEqual(ids(again.result), ['3', '4']);
    assert.equal(interviewRequests(server).at(-1), `/v3/interviews?cursor=${cursorOf(2)}`);
  }, GH);
});

test('pinpoint: page numbers until a short page, stage names from included', async () => {
  await withProvider('pinpoint', pinpoint(5), async ({ client, server }) => {
    const all = await client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'acc1', limit: 2 }).toArray();
    assert.deepEqual(ids(all), range(1, 5));
    assert.deepEqual(server.requests.map((r) => r.query['page[number]']), ['1', '2', '3']);
    assert.equal(server.requests[0].headers['x-api-key'], 'pp-key');
    assert.equal(server.requests[0].query.include, 'stage');
    assert.deepEqual(all[0].job_interview_stage, { id: '9', name: 'Phone screen' });
    assert.deepEqual(all[0].application, { id: 'a1' });
    assert.equal(all[0].status, null, 'Pinpoint status values are undocumented');
  }, { credentials: { api_key: 'pp-key' }, context: { subdomain: 'acme' } });
});

test('fountain: booked slots of one applicant', async () => {
  const slots = await fixture('fountain/schema.booked_slots.list.response.json');
  await withProvider('fountain', () => ({ status: 200, body: slots }), async ({ client, server }) => {
    const page = await client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'acc1', candidate_id: 'cand-1' });
    assert.deepEqual(ids(page.result), ['a1b2c3d4-0000-0000-0000-000000000001', 'a1b2c3d4-0000-0000-0000-000000000002']);
    assert.equal(page.next_cursor, null);
    assert.equal(server.requests[0].path, '/v2/applicants/cand-1/booked_slots');
    assert.equal(server.requests[0].headers['x-access-token'], 'fountain-key');
    assert.deepEqual(page.result[0].candidate, { id: 'cand-1' });
  }, { credentials: { api_key: 'fountain-key' } });
});

test('get: Greenhouse and Pinpoint fetch one interview', async () => {
  const gh = await fixture('greenhouse/doc.v3.interviews.list.response.json');
  await withProvider('greenhouse', (req) => ({ status: 200, body: req.path === '/v3/interviews' ? [gh[0]] : [] }), async ({ client, server }) => {
    const one = await client.unifiedApi.get('ats', 'interviews', '1', { integrated_account_id: 'acc1' });
    assert.equal(server.requests[0].url, '/v3/interviews?ids=1', 'v3 has no get by id: a list by ids');
    assert.equal(one.id, '1');
    assert.equal(one.status, 'completed');
    assert.deepEqual(one.remote_data, gh[0]);
  }, GH);
  const pp = await fixture('pinpoint/doc.interviews.get.response.json');
  await withProvider('pinpoint', () => ({ status: 200, body: pp }), async ({ client, server }) => {
    const one = await client.unifiedApi.get('ats', 'interviews', '1', { integrated_account_id: 'acc1' });
    assert.equal(server.requests[0].url, '/api/v1/interviews/1?include=stage');
    assert.deepEqual(one.job_interview_stage, { id: '1', name: 'string' });
  }, { credentials: { api_key: 'k' }, context: { subdomain: 'acme' } });
});

// ---------- loops end in errors ----------

test('a provider repeating its cursor is an error, not a loop', async () => {
  await withProvider('ashby', ashby(10, 2, { repeatCursor: true }), async ({ client, server }) => {
    const err = await client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'acc1' }).toArray().catch((e) => e);
    assert.equal(err.code, 'pagination_loop');
    assert.equal(err.statusCode, 502);
    assert.ok(server.requests.length <= 3, `stopped after ${server.requests.length} requests`);
  }, { credentials: { api_key: 'k' } });
  let origin;
  await withProvider('greenhouse', greenhouse(10, { origin: () => origin, repeat: true }), async ({ client, server }) => {
    origin = server.origin;
    const err = await client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'acc1', limit: 2 }).toArray().catch((e) => e);
    assert.equal(err.code, 'pagination_loop');
    assert.ok(interviewRequests(server).length <= 3);
  }, GH);
});

// ---------- Truto query options ----------

test('truto_ignore_limit fetches every page in one call', async () => {
  await withProvider('pinpoint', pinpoint(7), async ({ client, server }) => {
    const page = await client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'acc1', limit: 3, truto_ignore_limit: true });
    assert.deepEqual(ids(page.result), range(1, 7));
    assert.equal(page.next_cursor, null);
    assert.equal(page.result_count, 7);
    assert.equal(server.requests.length, 3);
  }, { credentials: { api_key: 'k' }, context: { subdomain: 'acme' } });
});

test('truto_key_by, truto_exclude_fields, truto_ignore_remote_data and raw', async () => {
  await withProvider('ashby', ashby(4, 2), async ({ client }) => {
    const keyed = await client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'acc1', truto_key_by: 'id' });
    assert.deepEqual(Object.keys(keyed.result), ['1', '2']);
    assert.equal(keyed.result['2'].id, '2');

    const slim = await client.unifiedApi.list('ats', 'interviews', {
      integrated_account_id: 'acc1', truto_exclude_fields: ['remote_data', 'interviewers', 'application.id'],
    });
    assert.ok(!('remote_data' in slim.result[0]) && !('interviewers' in slim.result[0]));
    assert.deepEqual(slim.result[0].application, {});

    const noRemote = await client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'acc1', truto_ignore_remote_data: true });
    assert.ok(!('remote_data' in noRemote.result[0]));

    const raw = await client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'acc1', truto_response_format: 'raw' }).toArray();
    assert.deepEqual(raw.map((r) => r.id), range(1, 4));
    assert.equal(raw[0].applicationId, 'app-1', 'raw records are Ashby schedules');
    assert.ok(!('application' in raw[0]));
  }, { credentials: { api_key: 'k' } });
});

test('max_pages ends the stream; its last page keeps a cursor for a later call', async () => {
  await withProvider('ashby', ashby(10, 2), async ({ client, server }) => {
    const pages = [];
    for await (const p of client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'acc1', max_pages: 2 }).pages()) pages.push(p);
    assert.equal(pages.length, 2);
    assert.equal(server.requests.length, 2);
    assert.deepEqual(pages.flatMap((p) => ids(p.result)), range(1, 4));
    assert.ok(pages[1].warnings.some((w) => w.code === 'max_pages_reached'));
    const rest = await client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'acc1', next_cursor: pages[1].next_cursor }).toArray();
    assert.deepEqual(ids(rest), range(5, 10));
  }, { credentials: { api_key: 'k' } });
});

// ---------- validation and local filters ----------

test('fountain without candidate_id: 400 and no request', async () => {
  await withProvider('fountain', () => ({ status: 200, body: { booked_slots: [] } }), async ({ client, server }) => {
    const err = await client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'acc1' }).page().catch((e) => e);
    assert.equal(err.statusCode, 400);
    assert.equal(err.code, 'validation_failed');
    assert.deepEqual(err.details.map((d) => `${d.field}:${d.code}`), ['query.candidate_id:required']);
    assert.equal(server.requests.length, 0);
  }, { credentials: { api_key: 'k' } });
});

test('a filter the provider cannot apply is applied by crosswalk and reported', async () => {
  await withProvider('ashby', ashby(6, 3), async ({ client, server }) => {
    // Events fall on day (id % 28 + 1): ids 1..6 → June 2..7; keep starts on/after June 5.
    const pages = [];
    for await (const p of client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'acc1', start_at: { gte: '2024-06-05T00:00:00Z' } }).pages()) pages.push(p);
    assert.deepEqual(pages.flatMap((p) => ids(p.result)), ['4', '5', '6']);
    assert.equal(pages[0].result_count, 0, 'the first page had no match; paging continued');
    const w = pages[0].warnings.find((x) => x.code === 'filter_applied_locally');
    assert.equal(w.field, 'query.start_at');
    assert.ok(!('start_at' in server.requests[0].json), 'Ashby has no start filter; nothing was sent');
  }, { credentials: { api_key: 'k' } });
  let origin;
  await withProvider('greenhouse', greenhouse(3, { origin: () => origin }), async ({ client, server }) => {
    origin = server.origin;
    await client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'acc1', start_at: { gte: '2024-06-01T00:00:00Z', lte: '2024-06-30T00:00:00Z' } }).toArray();
    // v3: one parameter, operators chained by pipes (the OpenAPI's pipeDelimited object).
    assert.equal(server.requests[0].query.starts_at, 'gte|2024-06-01T00:00:00Z|lte|2024-06-30T00:00:00Z');
  }, GH);
});

// ---------- streaming ----------

test('streaming over 60 pages: records arrive before the last page is fetched', async () => {
  let origin;
  const pagesTotal = 60;
  await withProvider('greenhouse', greenhouse(pagesTotal * 2, { origin: () => origin }), async ({ client, server }) => {
    origin = server.origin;
    let seen = 0;
    let requestsAtFirstRecord;
    let maxAhead = 0;
    for await (const record of client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'acc1', limit: 2 })) {
      seen += 1;
      assert.equal(record.id, String(seen), 'in order');
      requestsAtFirstRecord ??= interviewRequests(server).length;
      // Never more than one page fetched ahead of what the caller has consumed.
      maxAhead = Math.max(maxAhead, interviewRequests(server).length - Math.ceil(seen / 2));
    }
    assert.equal(seen, pagesTotal * 2);
    assert.equal(requestsAtFirstRecord, 1, 'the first record came after one page of 60 (and its lookups)');
    assert.equal(interviewRequests(server).length, pagesTotal);
    assert.ok(maxAhead <= 1, `fetched ${maxAhead} pages ahead`);
  }, GH);
});
