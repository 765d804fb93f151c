// LinkedIn application notes through the built package, against a loopback server
// that plays LinkedIn's Rest.li 1.0 endpoint: it parses the compound key the way
// Rest.li does (split the raw path segment on & and =, URL-decode each value),
// reads repeated ids= params, answers per entity, and records every note it has
// confirmed so a resend of a confirmed note is caught.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createClient, CrosswalkError } from 'crosswalk';
import { startServer } from './helpers/server.mjs';

const TOKEN = 'li-secret-token-123';
const ORG = 'urn:li:organization:123';
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

/** The LinkedIn side: per-entity answers, one optional 429, a ledger of confirmed notes. */
function linkedin({ failIds = new Set(), throttleAt = -1, retryAfter = '2', onRequest } = {}) {
  const confirmed = new Map();
  const resent = [];
  const batches = [];
  const handler = async (req, i) => {
    await onRequest?.(req, i);
    const [path, query = ''] = req.url.split('?');
    const m = path.match(/^\/v2\/atsApplications\/([^/]+)\/notes$/);
    if (!m) return { status: 404, body: { status: 404, message: `no route ${path}` } };
    const key = Object.fromEntries(m[1].split('&').map((p) => p.split('=')).map(([k, v]) => [k, decodeURIComponent(v)]));
    const ids = query.split('&').filter((p) => p.startsWith('ids=')).map((p) => decodeURIComponent(p.slice(4)));
    batches.push({ method: req.method, app: key.atsJobApplicationId, ids, headers: req.headers, json: req.json });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return { status: 401, body: { status: 401, serviceErrorCode: 65600, message: 'Invalid access token' } };
    if (key.dataProvider !== 'ATS' || key.integrationContext !== ORG) return { status: 400, body: { status: 400, message: 'Malformed Compound Key' } };
    if (req.method === 'DELETE') return { status: 200, body: { errors: {}, results: Object.fromEntries(ids.map((id) => [id, { status: 204 }])) } };
    assert.equal(req.headers['x-restli-method'], 'batch_update');
    assert.deepEqual(Object.keys(req.json.entities).sort(), [...ids].sort(), 'entities keys are the ids of the URL');
    if (i === throttleAt) return { status: 429, headers: { 'retry-after': retryAfter }, body: { status: 429, message: 'Resource level throttle limit for calls to this resource is reached.' } };
    const results = {};
    const errors = {};
    for (const id of ids) {
      const k = `${key.atsJobApplicationId}\u0000${id}`;
      if (confirmed.has(k)) resent.push(k);
      if (failIds.has(id)) {
        errors[id] = { status: 422, code: 'INPUT_VALIDATION_FAILED', message: `note ${id} rejected` };
      } else {
        confirmed.set(k, req.json.entities[id]);
        results[id] = { status: 204 };
      }
    }
    return { status: 200, body: { errors, results } };
  };
  return { handler, confirmed, resent, batches };
}

async function withLinkedIn(li, fn) {
  const server = await startServer(li.handler);
  const clock = { t: T0 };
  const waits = [];
  const client = createClient({
    accounts: [{ id: 'li', provider: 'linkedin', base_url: server.origin, credentials: { access_token: TOKEN }, context: { organization_urn: ORG } }],
    now: () => clock.t,
    sleep: async (ms) => {
      waits.push(ms);
      clock.t += ms;
    },
  });
  try {
    await fn({ client, server, clock, waits });
  } finally {
    await server.close();
  }
}

const note = (app, id, i) => ({
  application_id: app,
  id,
  body: `Note ${i}`,
  created_at: new Date(Date.UTC(2025, 5, 1) + i * 1000).toISOString(),
  author: { first_name: 'Angela', last_name: 'Smith' },
});

const Q = { integrated_account_id: 'li' };

test('250 notes: batches of <=100 in order, per-entity failures, one 429, an exact report', async () => {
  // Every 10th record belongs to a second application whose id and note ids need encoding.
  const records = Array.from({ length: 250 }, (_, i) => (i % 10 === 9 ? note('APP B&1/x', `note ${i}/b`, i) : note('APP-A', `N-${i}`, i)));
  const failing = records.filter((_, i) => i % 50 === 7 || i % 50 === 19);
  const li = linkedin({ failIds: new Set(failing.map((r) => r.id)), throttleAt: 1, retryAfter: '2' });
  await withLinkedIn(li, async ({ client, server, waits }) => {
    const report = await client.sync('ats', 'activities', records, Q);

    // Requests: APP-A 225 → 100, (429) 100 again, 100, 25; APP B&1/x 25 → 25.
    assert.deepEqual(li.batches.map((b) => [b.app, b.ids.length]), [['APP-A', 100], ['APP-A', 100], ['APP-A', 100], ['APP-A', 25], ['APP B&1/x', 25]]);
    assert.deepEqual(li.batches[1].ids, li.batches[2].ids, 'the throttled batch is resent whole');
    const expectedOrder = [...records.filter((r) => r.application_id === 'APP-A'), ...records.filter((r) => r.application_id !== 'APP-A')].map((r) => r.id);
    assert.deepEqual([li.batches[0], ...li.batches.slice(2)].flatMap((b) => b.ids), expectedOrder, "the caller's order within each application");
    assert.deepEqual(waits, [2000], 'Retry-After: 2 honoured');
    assert.deepEqual(li.resent, [], 'no confirmed note was ever sent again');
    assert.equal(li.confirmed.size, 240);

    // The wire format of one note (URL-encoded key, raw body keys, epoch ms).
    assert.ok(server.requests[4].url.startsWith('/v2/atsApplications/atsJobApplicationId=APP%20B%261%2Fx&dataProvider=ATS&integrationContext=urn%3Ali%3Aorganization%3A123/notes?ids=note%209%2Fb&ids=note%2019%2Fb'));
    assert.deepEqual(li.batches[4].json.entities['note 9/b'], { note: 'Note 9', atsCreatedAt: Date.UTC(2025, 5, 1) + 9000, author: { firstName: 'Angela', lastName: 'Smith' } });
    assert.equal(server.requests[0].headers.authorization, `Bearer ${TOKEN}`);

    // The report: every record exactly once, failures with LinkedIn's reason.
    const failedIdx = records.map((r, i) => (failing.includes(r) ? i : -1)).filter((i) => i >= 0);
    assert.deepEqual(report.counts, { synced: 240, failed: 10, not_sent: 0 });
    assert.equal(report.total, 250);
    assert.equal(report.complete, false);
    assert.equal(report.stopped, null);
    assert.equal(report.requests, 5);
    assert.equal(report.budget.requests_today, 5);
    assert.deepEqual(report.synced.map((l) => l.index), records.map((_, i) => i).filter((i) => !failedIdx.includes(i)));
    assert.deepEqual(report.synced[0], { index: 0, id: 'N-0', application_id: 'APP-A', status: 204 });
    assert.deepEqual(
      report.failed,
      failedIdx.map((i) => ({
        index: i, id: records[i].id, application_id: records[i].application_id, status: 422, code: 'remote_error',
        message: `note ${records[i].id} rejected`, provider_code: 'INPUT_VALIDATION_FAILED', retryable: false,
        remote: { status: 422, code: 'INPUT_VALIDATION_FAILED', message: `note ${records[i].id} rejected` },
      })),
    );
    assert.ok(!JSON.stringify(report).includes(TOKEN));
  });
});

test('a tiny budget stops with precise not_sent records and resumes from the saved state', async () => {
  const records = Array.from({ length: 100 }, (_, i) => note('APP-A', `N-${i}`, i));
  const li = linkedin();
  await withLinkedIn(li, async ({ client, clock, waits }) => {
    const limits = { requestsPerDay: 1000, recordsPerMinute: 40 };
    const first = await client.sync('ats', 'activities', records, Q, { limits, wait: false });
    assert.deepEqual(li.batches.map((b) => b.ids.length), [40]);
    assert.deepEqual(first.counts, { synced: 40, failed: 0, not_sent: 60 });
    assert.deepEqual(first.not_sent.map((l) => l.index), Array.from({ length: 60 }, (_, i) => 40 + i));
    assert.deepEqual(first.not_sent[0], {
      index: 40, id: 'N-40', application_id: 'APP-A', reason: 'budget_exhausted', window: 'records_per_minute',
      retry_at_ms: T0 + 60_000, retry_at: '2026-01-01T12:01:00Z',
    });
    assert.deepEqual(first.stopped, { reason: 'budget_exhausted', window: 'records_per_minute', retry_at_ms: T0 + 60_000, retry_at: '2026-01-01T12:01:00Z' });
    assert.deepEqual(waits, []);

    // A cron job saves the budget as text and retries the not_sent records later.
    let saved = JSON.stringify(first.budget);
    let pending = first.not_sent.map((l) => records[l.index]);
    clock.t = T0 + 30_000;
    const tooEarly = await client.sync('ats', 'activities', pending, Q, { limits, wait: false, budget: saved });
    assert.equal(li.batches.length, 1, 'nothing is sent while the minute is spent');
    assert.equal(tooEarly.counts.not_sent, 60);
    assert.equal(tooEarly.stopped.retry_at_ms, T0 + 60_000);

    clock.t = T0 + 60_000;
    const second = await client.sync('ats', 'activities', pending, Q, { limits, wait: false, budget: saved });
    assert.deepEqual(second.counts, { synced: 40, failed: 0, not_sent: 20 });
    assert.equal(second.synced[0].id, 'N-40');
    saved = second.budget;
    pending = second.not_sent.map((l) => pending[l.index]);
    assert.equal(pending[0].id, 'N-80');

    clock.t = T0 + 120_000;
    const third = await client.sync('ats', 'activities', pending, Q, { limits, wait: false, budget: saved });
    assert.deepEqual(third.counts, { synced: 20, failed: 0, not_sent: 0 });
    assert.equal(third.complete, true);
    assert.equal(third.budget.requests_today, 3);
    assert.deepEqual(li.batches.flatMap((b) => b.ids), records.map((r) => r.id), 'each note sent exactly once, in order');
    assert.deepEqual(li.resent, []);

    // With waiting allowed, the same limits just pace the sync.
    const paced = await client.sync('ats', 'activities', records.map((r) => ({ ...r, application_id: 'APP-P' })), Q, { limits });
    assert.deepEqual(paced.counts, { synced: 100, failed: 0, not_sent: 0 });
    assert.deepEqual(waits, [60_000, 60_000]);
  });
});

test('the daily request limit stops until 00:00 UTC', async () => {
  const li = linkedin();
  await withLinkedIn(li, async ({ client }) => {
    const budget = { version: 1, day_start_ms: Date.UTC(2026, 0, 1), requests_today: 99_999, minute: [] };
    const records = Array.from({ length: 150 }, (_, i) => note('APP-A', `N-${i}`, i));
    const report = await client.sync('ats', 'activities', records, Q, { budget });
    assert.deepEqual(report.counts, { synced: 100, failed: 0, not_sent: 50 });
    assert.deepEqual(report.stopped, { reason: 'budget_exhausted', window: 'requests_per_day', retry_at_ms: Date.UTC(2026, 0, 2), retry_at: '2026-01-02T00:00:00Z' });
    assert.equal(report.budget.requests_today, 100_000);
  });
});

test('invalid records are reported, not sent; account problems reject before anything is sent', async () => {
  const li = linkedin();
  await withLinkedIn(li, async ({ client }) => {
    const records = [
      note('APP-A', 'ok-1', 1),
      { ...note('APP-A', 'x', 2), author: { first_name: 'Angela' } },
      { ...note('APP-A', 'dup', 3) },
      { ...note('APP-A', 'dup', 4), body: 'other text' },
      { ...note('APP-A', 'late', 5), created_at: 'yesterday' },
    ];
    const report = await client.sync('ats', 'activities', records, Q);
    assert.deepEqual(li.batches.map((b) => b.ids), [['ok-1']]);
    assert.deepEqual(report.not_sent.map((l) => [l.index, l.reason, l.issues[0].field, l.issues[0].code]), [
      [1, 'validation', 'records[1].author.last_name', 'required'],
      [2, 'validation', 'records[2].id', 'duplicate'],
      [3, 'validation', 'records[3].id', 'duplicate'],
      [4, 'validation', 'records[4].created_at', 'invalid_datetime'],
    ]);
  });
  const bad = createClient({ accounts: [{ id: 'li', provider: 'linkedin', credentials: { access_token: TOKEN }, context: { organization_urn: '123' } }] });
  await assert.rejects(bad.sync('ats', 'activities', [note('A', 'n', 1)], Q), (e) => e instanceof CrosswalkError && e.details[0].field === 'account.context.organization_urn');
});

test('an abort ends the sync with a report: the in-flight batch is unknown, the rest not sent', async () => {
  const controller = new AbortController();
  let release;
  const li = linkedin({
    onRequest: async (_req, i) => {
      if (i === 1) {
        controller.abort(new Error('deploy'));
        await new Promise((r) => (release = r));
      }
    },
  });
  await withLinkedIn(li, async ({ client }) => {
    const records = Array.from({ length: 250 }, (_, i) => note('APP-A', `N-${i}`, i));
    const report = await client.sync('ats', 'activities', records, Q, { signal: controller.signal });
    release();
    assert.deepEqual(report.counts, { synced: 100, failed: 100, not_sent: 50 });
    assert.equal(report.failed[0].code, 'aborted_in_flight');
    assert.equal(report.failed[0].retryable, true);
    assert.equal(report.not_sent[0].reason, 'aborted');
    assert.deepEqual(report.stopped, { reason: 'aborted', error: { code: 'aborted', message: 'aborted by the caller: deploy' } });
  });
});

test('single note create and delete go to the batch endpoints', async () => {
  const li = linkedin();
  await withLinkedIn(li, async ({ client, server }) => {
    const out = await client.unifiedApi.create('ats', 'activities', note('APP-1', 'APPL_NOTE123', 0), Q);
    assert.equal(server.requests[0].method, 'PUT');
    assert.equal(server.requests[0].url, '/v2/atsApplications/atsJobApplicationId=APP-1&dataProvider=ATS&integrationContext=urn%3Ali%3Aorganization%3A123/notes?ids=APPL_NOTE123');
    assert.deepEqual(server.requests[0].json, { entities: { APPL_NOTE123: { note: 'Note 0', atsCreatedAt: Date.UTC(2025, 5, 1), author: { firstName: 'Angela', lastName: 'Smith' } } } });
    assert.deepEqual(
      { id: out.id, activity_type: out.activity_type, actor: out.actor, body: out.body, created_at: out.created_at },
      { id: 'APPL_NOTE123', activity_type: 'note', actor: { name: 'Angela Smith' }, body: 'Note 0', created_at: '2025-06-01T00:00:00Z' },
    );
    const del = await client.unifiedApi.delete('ats', 'activities', 'APPL_NOTE123', { ...Q, application_id: 'APP-1' });
    assert.equal(server.requests[1].method, 'DELETE');
    assert.equal(server.requests[1].headers['x-restli-method'], 'batch_delete');
    assert.equal(server.requests[1].url, '/v2/atsApplications/atsJobApplicationId=APP-1&dataProvider=ATS&integrationContext=urn%3Ali%3Aorganization%3A123/notes?ids=APPL_NOTE123');
    assert.equal(del.id, 'APPL_NOTE123');
  });
});
