// Every operation has a total deadline: attempts, sleeps and retries together.
// (A fault run measured 123.5 s for a GET to a provider that never answered —
// four attempts of 30 s.) Loopback servers only.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createClient, CrosswalkError } from 'crosswalk';
import { withServer, script, fixture, recordingSleep } from './helpers/server.mjs';

const never = () => new Promise(() => {});

const greenhouse = (origin, extra = {}) => ({ accounts: [{ id: 'gh', provider: 'greenhouse', base_url: origin, credentials: { access_token: 'gh-token' } }], ...extra });
// Raw listings: the Link-header paging without Greenhouse v3's per-page lookups, so
// each provider request here is one page.
const GH = { integrated_account_id: 'gh', truto_response_format: 'raw' };

test('a provider that never answers ends at the deadline, not after every attempt times out', async () => {
  await withServer(never, async (server) => {
    const client = createClient(greenhouse(server.origin, { deadlineMs: 300 }));
    const started = Date.now();
    const err = await client.unifiedApi.list('ats', 'interviews', GH).page().catch((e) => e);
    const took = Date.now() - started;
    assert.ok(err instanceof CrosswalkError, String(err));
    assert.equal(err.code, 'deadline_exceeded');
    assert.equal(err.statusCode, 504);
    assert.equal(server.requests.length, 1, 'no retry was started past the deadline');
    // A bound on behaviour (one 300 ms deadline, not 4 × 30 s), not a benchmark.
    assert.ok(took < 20_000, `took ${took} ms`);
  });
});

test('a write cut off by the deadline says its outcome is unknown and is not re-sent', async () => {
  await withServer(never, async (server) => {
    const client = createClient({ accounts: [{ id: 'lv', provider: 'lever', base_url: server.origin, credentials: { api_key: 'k' } }] });
    const err = await client.unifiedApi
      .create('ats', 'activities', { candidate_id: 'x', body: 'b' }, { integrated_account_id: 'lv' }, { deadlineMs: 200, idempotencyKey: 'k1' })
      .catch((e) => e);
    assert.equal(err.code, 'write_outcome_unknown');
    assert.equal(err.toJSON().cause.code, 'deadline_exceeded');
    assert.equal(server.requests.length, 1);
  });
});

test('a Retry-After that does not fit in the deadline is not waited for; the caller gets it', async () => {
  const page = await fixture('greenhouse/doc.v3.interviews.list.response.json');
  await withServer(script({ status: 429, headers: { 'retry-after': '90' }, body: { message: 'slow down' } }, { status: 200, body: page }), async (server) => {
    const { waits, sleep } = recordingSleep();
    const client = createClient(greenhouse(server.origin, { deadlineMs: 5_000, sleep }));
    const err = await client.unifiedApi.list('ats', 'interviews', GH).page().catch((e) => e);
    assert.equal(err.statusCode, 429);
    assert.equal(err.retryAfter, '90');
    assert.deepEqual(waits, []);
    assert.equal(server.requests.length, 1);
    // The same answer with room in the deadline is waited for and retried.
    const patient = createClient(greenhouse(server.origin, { deadlineMs: 120_000, sleep }));
    const ok = await patient.unifiedApi.list('ats', 'interviews', GH).page();
    assert.ok(ok.result.length > 0);
  });
});

test('each page of a stream gets its own deadline', async () => {
  // Two pages, the second after a (fake) 4 s: a 5 s deadline per page is enough,
  // one 5 s deadline over the whole stream would not be.
  const page = await fixture('greenhouse/doc.v3.interviews.list.response.json');
  let clock = 1_767_225_600_000;
  const now = () => clock;
  let origin;
  await withServer(
    (req, i) => {
      clock += 4_000;
      return i === 0 ? { status: 200, headers: { link: `<${origin}/v3/interviews?cursor=p2>; rel="next"` }, body: page } : { status: 200, body: page };
    },
    async (server) => {
      origin = server.origin;
      const client = createClient(greenhouse(server.origin, { deadlineMs: 5_000, now }));
      const pages = [];
      for await (const p of client.unifiedApi.list('ats', 'interviews', GH).pages()) pages.push(p);
      assert.equal(pages.length, 2);
      assert.equal(server.requests.length, 2);
    },
  );
});

test('deadlineMs and timeoutMs must be positive durations', () => {
  for (const bad of [0, -1, Number.NaN, '100', Infinity]) {
    assert.throws(() => createClient({ accounts: [], deadlineMs: bad }), (e) => e instanceof CrosswalkError && e.code === 'invalid_input');
  }
});

test('a provider answer over maxResponseBytes is refused with a structured 502, never truncated', async () => {
  const page = await fixture('greenhouse/doc.v3.interviews.list.response.json');
  const big = JSON.stringify(Array.from({ length: 400 }, (_, i) => ({ ...page[0], id: i + 1 })));
  await withServer(script({ status: 200, body: big }), async (server) => {
    const client = createClient(greenhouse(server.origin, { maxResponseBytes: 10_000 }));
    const err = await client.unifiedApi.list('ats', 'interviews', { ...GH, limit: 2 }).page().catch((e) => e);
    assert.ok(err instanceof CrosswalkError, String(err));
    assert.equal(err.statusCode, 502);
    assert.equal(err.code, 'response_too_large');
    assert.equal(err.details[0].meta.limit, 10_000);
    // Under the cap the same page is read, and limit holds without losing records.
    const roomy = createClient(greenhouse(server.origin));
    const pages = [];
    for await (const p of roomy.unifiedApi.list('ats', 'interviews', { ...GH, limit: 2 }).pages()) pages.push(p);
    assert.equal(pages.length, 200);
    assert.ok(pages.every((p) => p.result_count === 2));
    assert.deepEqual(pages.flatMap((p) => p.result.map((r) => r.id)), Array.from({ length: 400 }, (_, i) => i + 1));
    assert.equal(server.requests.length, 2, 'one read per call; the split page streams from memory');
  });
});

test('with cursorKey, a changed cursor is refused and nothing is sent', async () => {
  const page = await fixture('greenhouse/doc.v3.interviews.list.response.json');
  let origin;
  await withServer(
    (req) => (req.query.cursor === 'p2' ? { status: 200, body: page } : { status: 200, headers: { link: `<${origin}/v3/interviews?cursor=p2>; rel="next"` }, body: page }),
    async (server) => {
      origin = server.origin;
      const client = createClient(greenhouse(server.origin, { cursorKey: 'cursor-secret' }));
      const first = await client.unifiedApi.list('ats', 'interviews', { ...GH, limit: 2 }).page();
      const [payload, tag] = first.next_cursor.split('.');
      const text = Buffer.from(payload, 'base64url').toString().replace('cursor=p2', 'cursor=p2&per_page=1000000000');
      assert.notEqual(text, Buffer.from(payload, 'base64url').toString(), 'the cursor holds the next page');
      const forged = `${Buffer.from(text).toString('base64url')}.${tag}`;
      const before = server.requests.length;
      for (const c of [forged, payload]) {
        const err = await client.unifiedApi.list('ats', 'interviews', { ...GH, limit: 2, next_cursor: c }).page().catch((e) => e);
        assert.equal(err.code, 'invalid_cursor');
      }
      assert.equal(server.requests.length, before);
      const next = await client.unifiedApi.list('ats', 'interviews', { ...GH, limit: 2, next_cursor: first.next_cursor }).page();
      assert.equal(next.result.length, 2);
      // Another key (another deployment) cannot read it.
      const other = createClient(greenhouse(server.origin, { cursorKey: 'other-secret' }));
      const err = await other.unifiedApi.list('ats', 'interviews', { ...GH, limit: 2, next_cursor: first.next_cursor }).page().catch((e) => e);
      assert.equal(err.code, 'invalid_cursor');
    },
  );
});
