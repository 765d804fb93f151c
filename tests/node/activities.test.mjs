// The spine end to end: the built npm package against loopback servers playing
// Ashby, Lever and Recruitee. Asserts the exact request each provider receives
// and the unified result; validation before any request; remote errors; retries;
// and that secrets never appear in errors or plan output.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createClient, plan, validate, CrosswalkError } from 'crosswalk';
import { startServer, script, fixture, recordingSleep } from './helpers/server.mjs';

const basic = (key) => 'Basic ' + Buffer.from(`${key}:`).toString('base64');

async function withProvider(provider, handler, fn, account = {}) {
  const server = await startServer(handler);
  const { waits, sleep } = recordingSleep();
  const client = createClient({
    accounts: [{ id: 'acc1', provider, base_url: server.origin, ...account }],
    sleep,
  });
  try {
    await fn({ client, server, waits });
  } finally {
    await server.close();
  }
}

test('ashby: candidate.createNote request and unified result', async () => {
  const recorded = await fixture('ashby/recorded.notes.create.response.json');
  await withProvider('ashby', script({ status: 200, body: recorded }), async ({ client, server }) => {
    const out = await client.unifiedApi.create(
      'ats', 'activities',
      { candidate_id: '00000000-0000-0000-0000-000000000001', body: 'Test note from Nango action validation', visibility: 'public' },
      { integrated_account_id: 'acc1' },
    );
    const [req] = server.requests;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/candidate.createNote');
    assert.equal(req.headers.authorization, basic('ashby-secret-key'));
    assert.equal(req.headers['content-type'], 'application/json');
    assert.deepEqual(req.json, { candidateId: '00000000-0000-0000-0000-000000000001', note: 'Test note from Nango action validation', isPrivate: false });
    assert.equal(out.id, '00000000-0000-0000-0000-000000000002');
    assert.equal(out.activity_type, 'note');
    assert.deepEqual(out.actor, { id: '00000000-0000-0000-0000-000000000003', type: 'user', name: 'Test User1', email: 'user1@example.com' });
    assert.equal(out.created_at, '2026-05-28T21:07:04.042Z');
    assert.deepEqual(out.candidate, { id: '00000000-0000-0000-0000-000000000001' });
    assert.deepEqual(out.remote_data, recorded.results);
  }, { credentials: { api_key: 'ashby-secret-key' } });
});

test('lever: note on an opportunity, createdAt in epoch ms, perform_as passthrough', async () => {
  const recorded = await fixture('lever/recorded.notes.create.response.json');
  await withProvider('lever', script({ status: 201, body: recorded }), async ({ client, server }) => {
    const out = await client.unifiedApi.create(
      'ats', 'activities',
      { candidate_id: 'opp-1', body: 'Test note created by Nango action dryrun', visibility: 'admin_only', created_at: '2017-01-19T22:16:27Z' },
      { integrated_account_id: 'acc1', remote_query: { perform_as: 'user-9' } },
    );
    const [req] = server.requests;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/v1/opportunities/opp-1/notes');
    assert.deepEqual(req.query, { perform_as: 'user-9' });
    assert.equal(req.headers.authorization, basic('lever-key'));
    assert.deepEqual(req.json, { value: 'Test note created by Nango action dryrun', secret: true, createdAt: 1484864187000 });
    assert.equal(out.id, '7f8004a4-e5db-466a-ae31-7a26346701ed');
    assert.equal(out.body, 'Test note created by Nango action dryrun');
    assert.deepEqual(out.actor, { id: 'be129d9b-50da-4485-9377-0d83e981f30b', type: 'user' });
  }, { credentials: { api_key: 'lever-key' } });
});

test('recruitee: company id from the account, wrapped note body', async () => {
  const reply = { note: { id: 555, body: 'Strong portfolio', admin_id: 42, created_at: '2024-02-01T10:00:00.123456Z', visibility: { level: 'public' } } };
  await withProvider('recruitee', script({ status: 201, body: reply }), async ({ client, server }) => {
    const out = await client.unifiedApi.create('ats', 'activities', { candidate_id: '987', body: 'Strong portfolio', visibility: 'public' }, { integrated_account_id: 'acc1' });
    const [req] = server.requests;
    assert.equal(req.path, '/c/777/candidates/987/notes');
    assert.equal(req.headers.authorization, 'Bearer rec-token');
    assert.deepEqual(req.json, { note: { body: 'Strong portfolio', visibility: { level: 'public' } } });
    assert.equal(out.id, '555');
    assert.equal(out.created_at, '2024-02-01T10:00:00.123Z');
    assert.deepEqual(out.actor, { id: '42', type: 'user' });
  }, { credentials: { api_key: 'rec-token' }, context: { company_id: '777' } });
});

test('validation rejects before any request reaches the provider, all problems at once', async () => {
  await withProvider('lever', script({ status: 201, body: {} }), async ({ client, server }) => {
    await assert.rejects(
      client.unifiedApi.create('ats', 'activities', { visibility: 'private', created_at: 'tuesday', color: 'red' }, { integrated_account_id: 'acc1' }),
      (e) => {
        assert.ok(e instanceof CrosswalkError);
        assert.equal(e.statusCode, 400);
        const fields = e.details.map((d) => `${d.field}:${d.code}`).sort();
        assert.deepEqual(fields, [
          'body.body:required', 'body.candidate_id:required', 'body.color:unknown_field',
          'body.created_at:invalid_datetime', 'body.visibility:not_one_of',
        ]);
        return true;
      },
    );
    assert.equal(server.requests.length, 0);
  }, { credentials: { api_key: 'k' } });
});

test('remote 4xx and 5xx come back as remote errors with the provider body', async () => {
  await withProvider('lever', script({ status: 404, body: { code: 'ResourceNotFound', message: 'Opportunity not found' } }), async ({ client }) => {
    const err = await client.unifiedApi.create('ats', 'activities', { candidate_id: 'x', body: 'b' }, { integrated_account_id: 'acc1' }).catch((e) => e);
    assert.equal(err.statusCode, 404);
    assert.equal(err.truto_is_remote_error, true);
    assert.deepEqual(err.toJSON().remote.body, { code: 'ResourceNotFound', message: 'Opportunity not found' });
    assert.deepEqual(Object.keys(err.toJSON()).sort(), ['code', 'details', 'error', 'message', 'remote', 'statusCode', 'truto_is_remote_error']);
  }, { credentials: { api_key: 'k' } });
  await withProvider('lever', script({ status: 500, body: 'upstream exploded' }), async ({ client, server }) => {
    const err = await client.unifiedApi.create('ats', 'activities', { candidate_id: 'x', body: 'b' }, { integrated_account_id: 'acc1' }).catch((e) => e);
    assert.equal(err.statusCode, 500);
    assert.equal(err.remote.body, 'upstream exploded');
    assert.equal(server.requests.length, 1, 'a POST is not retried on 500 without an idempotency key');
  }, { credentials: { api_key: 'k' } });
});

test('429 with Retry-After (seconds and HTTP-date) is retried and succeeds', async () => {
  const ok = { status: 201, body: await fixture('lever/recorded.notes.create.response.json') };
  await withProvider('lever', script({ status: 429, headers: { 'retry-after': '2' }, body: {} }, ok), async ({ client, server, waits }) => {
    const out = await client.unifiedApi.create('ats', 'activities', { candidate_id: 'x', body: 'b' }, { integrated_account_id: 'acc1' });
    assert.equal(out.id, '7f8004a4-e5db-466a-ae31-7a26346701ed');
    assert.equal(server.requests.length, 2);
    assert.equal(waits.length, 1);
    assert.ok(waits[0] > 1900 && waits[0] <= 2000, `waited ${waits[0]}`);
  }, { credentials: { api_key: 'k' } });
  const date = new Date(Date.now() + 3000).toUTCString();
  await withProvider('lever', script({ status: 429, headers: { 'retry-after': date }, body: {} }, ok), async ({ client, waits }) => {
    await client.unifiedApi.create('ats', 'activities', { candidate_id: 'x', body: 'b' }, { integrated_account_id: 'acc1' });
    assert.ok(waits[0] > 1000 && waits[0] <= 3000, `waited ${waits[0]}`);
  }, { credentials: { api_key: 'k' } });
});

test('a POST that may have been applied is never re-sent to a provider without de-duplication, key or not', async () => {
  // Lever has no idempotency key: a 503 (or a reset) after the write was applied
  // must not become a second note. Before, a key made the core re-send it.
  const ok = { status: 201, body: await fixture('lever/recorded.notes.create.response.json') };
  const unavailable = { status: 503, headers: { 'retry-after': '1' }, body: {} };
  await withProvider('lever', script(unavailable, unavailable, ok), async ({ client, server }) => {
    const err = await client.unifiedApi.create('ats', 'activities', { candidate_id: 'x', body: 'b' }, { integrated_account_id: 'acc1' }).catch((e) => e);
    assert.equal(err.statusCode, 503);
    assert.equal(err.code, 'write_outcome_unknown');
    assert.equal(server.requests.length, 1);
    const keyed = await client.unifiedApi.create('ats', 'activities', { candidate_id: 'x', body: 'b' }, { integrated_account_id: 'acc1' }, { idempotencyKey: 'abc' }).catch((e) => e);
    assert.ok(keyed instanceof CrosswalkError);
    assert.equal(keyed.code, 'write_outcome_unknown');
    assert.equal(keyed.toJSON().outcome, 'unknown');
    assert.equal(keyed.toJSON().remote.status, 503);
    assert.equal(server.requests.length, 2, 'one request per create');
    assert.ok(!Object.keys(server.requests[1].headers).some((h) => h.includes('idempotency')), 'Lever has no idempotency header to fill');
  }, { credentials: { api_key: 'k' } });
});

test('a keyed POST to a provider that de-duplicates carries its header and is re-sent once after a lost answer', async () => {
  const { sandbox, providers } = await import('crosswalk');
  assert.equal(providers().find((p) => p.name === 'sandbox').idempotency_header, 'idempotency-key');
  assert.equal(providers().find((p) => p.name === 'lever').idempotency_header, null);
  sandbox.reset();
  const { sleep } = recordingSleep();
  const client = createClient({ accounts: [{ id: 'sb', provider: 'sandbox' }], sleep });
  // Candidate `flaky`: the sandbox saves the first note, then answers 503.
  const note = await client.unifiedApi.create('ats', 'activities', { candidate_id: 'flaky', body: 'Went well' }, { integrated_account_id: 'sb' }, { idempotencyKey: 'note-42' });
  assert.equal(note.candidate.id, 'flaky');
  const all = await client.unifiedApi.list('ats', 'activities', { integrated_account_id: 'sb', candidate_id: 'flaky' }).toArray();
  assert.equal(all.length, 1, 'the re-send created nothing new');
  const preview = plan({ account: { provider: 'sandbox' }, model: 'ats', resource: 'activities', method: 'create', body: { candidate_id: 'c', body: 'x' }, query: { idempotency_key: 'k-9' } });
  assert.equal(preview.requests[0].headers['idempotency-key'], 'k-9');
  sandbox.reset();
  const err = await client.unifiedApi.create('ats', 'activities', { candidate_id: 'flaky', body: 'Went well' }, { integrated_account_id: 'sb' }).catch((e) => e);
  assert.equal(err.code, 'write_outcome_unknown');
  sandbox.reset();
});

test('retries are bounded', async () => {
  await withProvider('lever', script({ status: 429, headers: { 'retry-after': '0' }, body: { message: 'slow down' } }), async ({ client, server }) => {
    const err = await client.unifiedApi.create('ats', 'activities', { candidate_id: 'x', body: 'b' }, { integrated_account_id: 'acc1' }).catch((e) => e);
    assert.equal(err.statusCode, 429);
    assert.equal(server.requests.length, 4);
  }, { credentials: { api_key: 'k' } });
});

test('secrets appear nowhere in errors or plan output', async () => {
  const secret = 'sk_live_TOPSECRET_123';
  // The provider echoes the key back in its error body.
  await withProvider('ashby', script({ status: 401, body: { message: `bad key ${secret}`, auth: basic(secret) } }), async ({ client }) => {
    const err = await client.unifiedApi.create('ats', 'activities', { candidate_id: 'c', body: 'b' }, { integrated_account_id: 'acc1' }).catch((e) => e);
    const text = JSON.stringify(err) + err.message + String(err.stack);
    assert.ok(!text.includes(secret), text);
    assert.ok(!text.includes(Buffer.from(`${secret}:`).toString('base64')), text);
  }, { credentials: { api_key: secret } });
  const planned = plan({ account: { provider: 'ashby', credentials: { api_key: secret } }, model: 'ats', resource: 'activities', method: 'create', body: { candidate_id: 'c', body: `note mentioning ${secret}` } });
  const text = JSON.stringify(planned);
  assert.ok(!text.includes(secret) && !text.includes(Buffer.from(`${secret}:`).toString('base64')), text);
  assert.equal(planned.requests[0].headers.authorization, '[REDACTED]');
  assert.equal(planned.requests[0].url, 'https://api.ashbyhq.com/candidate.createNote');
});

test('base_url replaces only scheme, host and port; a path in it is refused', async () => {
  const planned = plan({ account: { provider: 'recruitee', credentials: { api_key: 'x' }, base_url: 'http://127.0.0.1:9999', context: { company_id: 'c1' } }, model: 'ats', resource: 'activities', method: 'create', body: { candidate_id: '5', body: 'b' } });
  assert.equal(planned.requests[0].url, 'http://127.0.0.1:9999/c/c1/candidates/5/notes');
  assert.throws(
    () => plan({ account: { provider: 'lever', credentials: { api_key: 'x' }, base_url: 'http://evil.example/steal?' }, model: 'ats', resource: 'activities', method: 'create', body: { candidate_id: '5', body: 'b' } }),
    (e) => e instanceof CrosswalkError && e.details[0].field === 'account.base_url',
  );
});

test('accounts may be an async function; unknown accounts are 404s', async () => {
  const client = createClient({ accounts: async (id) => (id === 'sb' ? { provider: 'sandbox' } : undefined) });
  const out = await client.unifiedApi.create('ats', 'activities', { candidate_id: 'c9', body: 'hi' }, { integrated_account_id: 'sb' });
  assert.equal(out.candidate.id, 'c9');
  const err = await client.unifiedApi.create('ats', 'activities', { candidate_id: 'c9', body: 'hi' }, { integrated_account_id: 'nope' }).catch((e) => e);
  assert.equal(err.statusCode, 404);
  assert.equal(err.code, 'unknown_account');
  const missing = await client.unifiedApi.create('ats', 'activities', {}, {}).catch((e) => e);
  assert.equal(missing.details[0].field, 'query.integrated_account_id');
});

test('query options: raw format, ignore remote_data, exclude fields, strict false', async () => {
  const recorded = await fixture('ashby/recorded.notes.create.response.json');
  await withProvider('ashby', script({ status: 200, body: recorded }), async ({ client }) => {
    const q = { integrated_account_id: 'acc1' };
    const body = { candidate_id: 'c', body: 'b' };
    assert.deepEqual(await client.unifiedApi.create('ats', 'activities', body, { ...q, truto_response_format: 'raw' }), recorded);
    const noRemote = await client.unifiedApi.create('ats', 'activities', body, { ...q, truto_ignore_remote_data: true });
    assert.equal(noRemote.remote_data, undefined);
    const excluded = await client.unifiedApi.create('ats', 'activities', body, { ...q, truto_exclude_fields: ['actor.email', 'remote_data', 'body'] });
    assert.equal(excluded.actor.email, undefined);
    assert.equal(excluded.body, undefined);
    assert.equal(excluded.remote_data, undefined);
    assert.ok(excluded.actor.id);
    const lenient = await client.unifiedApi.create('ats', 'activities', { ...body, application_id: 'a1' }, { ...q, strict: false });
    assert.equal(lenient.warnings[0].code, 'unsupported_field_dropped');
    assert.equal(lenient.warnings[0].field, 'body.application_id');
  }, { credentials: { api_key: 'k' } });
});

test('validate() needs no account and reports per provider', () => {
  const ok = validate({ provider: 'ashby', model: 'ats', resource: 'activities', method: 'create', body: { candidate_id: 'c', body: 'b', created_at: '2024-06-15T10:00:00+02:00' } });
  assert.deepEqual(ok, { valid: true, errors: [], warnings: [] });
  const bad = validate({ provider: 'recruitee', model: 'ats', resource: 'activities', method: 'create', body: { candidate_id: 'c', body: 'b', created_at: '2024-06-15T10:00:00Z' } });
  assert.equal(bad.valid, false);
  assert.deepEqual(bad.errors.map((e) => [e.field, e.code]), [['body.created_at', 'unsupported_field']]);
  const unknown = validate({ provider: 'nope', model: 'ats', resource: 'activities', method: 'create', body: {} });
  assert.equal(unknown.errors[0].code, 'unknown_provider');
});
