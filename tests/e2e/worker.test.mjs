// End to end: the real Worker under `wrangler dev`, driven over HTTP, with loopback
// servers playing Lever and Ashby (accounts point at them through base_url, which
// this Worker allows with ALLOW_BASE_URL_OVERRIDE=true). Asserts what each provider
// receives and what the Truto-compatible API answers.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, fixture } from '../node/helpers/server.mjs';
import { startWorker } from '../helpers/wrangler.mjs';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const TOKEN = 'e2e-token-5b1f0c'; // a bare token: tenant `default`
const OTHER_TENANT = 'e2e-other-9d2e'; // tenant `other`
const LEVER_KEY = 'lever-e2e-secret';
const ASHBY_KEY = 'ashby-e2e-secret';
const basic = (key) => 'Basic ' + Buffer.from(`${key}:`).toString('base64');

let worker;
let lever;
let ashby;
let leverReply;
const ashbyReply = { status: 200, body: await fixture('ashby/recorded.notes.create.response.json') };

async function api(path, { method = 'GET', body, token = TOKEN, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (body !== undefined) h['content-type'] ??= 'application/json';
  // A hang fails in a minute, not at undici's 300 s headers timeout.
  const res = await fetch(worker.origin + path, { method, headers: h, signal: AbortSignal.timeout(60_000), body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

before(async () => {
  leverReply = { status: 201, body: await fixture('lever/recorded.notes.create.response.json') };
  lever = await startServer(() => leverReply);
  ashby = await startServer(() => ashbyReply);
  worker = await startWorker({ vars: { API_TOKENS: `${TOKEN},other:${OTHER_TENANT}`, ALLOW_BASE_URL_OVERRIDE: 'true', MAX_BODY_BYTES: '65536' } });
  for (const account of [
    { id: 'lever-e2e', provider: 'lever', credentials: { api_key: LEVER_KEY }, base_url: lever.origin },
    { id: 'ashby-e2e', provider: 'ashby', credentials: { api_key: ASHBY_KEY }, base_url: ashby.origin },
    { id: 'sandbox-e2e', provider: 'sandbox' },
  ]) {
    const r = await api('/integrated-accounts', { method: 'POST', body: account });
    assert.equal(r.status, 201, r.text);
  }
});

after(async () => {
  await worker?.close();
  await lever?.close();
  await ashby?.close();
});

test('accounts are stored in KV and never show their credentials', async () => {
  const list = await api('/integrated-accounts');
  assert.equal(list.status, 200);
  assert.deepEqual(list.json.result.map((a) => a.id).sort(), ['ashby-e2e', 'lever-e2e', 'sandbox-e2e']);
  assert.deepEqual(list.json.result.find((a) => a.id === 'lever-e2e').credentials_set, ['api_key']);
  const one = await api('/integrated-accounts/lever-e2e');
  for (const r of [list, one]) {
    assert.ok(!r.text.includes(LEVER_KEY) && !r.text.includes(ASHBY_KEY), 'a credential value leaked');
  }
});

test('credentials are sealed at rest: the raw local KV files hold no credential value', async () => {
  const files = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else files.push(p);
    }
  };
  walk(worker.persist);
  const raw = Buffer.concat(files.map((f) => readFileSync(f)));
  assert.ok(raw.includes('credentials_sealed'), 'the accounts are in these files');
  for (const secret of [LEVER_KEY, ASHBY_KEY]) {
    assert.ok(!raw.includes(secret), `${secret} is stored in plaintext`);
    assert.ok(!raw.includes(Buffer.from(secret).toString('base64')), `${secret} is stored base64-encoded`);
  }
  // …and the Worker still opens them for the provider call (the Lever test below).
});

test('Lever: the exact provider request and the unified record', async () => {
  const before = lever.requests.length;
  const r = await api('/unified/ats/activities?integrated_account_id=lever-e2e&remote_query[perform_as]=user-9', {
    method: 'POST',
    body: { candidate_id: 'opp-1', body: 'Test note created by Nango action dryrun', visibility: 'admin_only', created_at: '2017-01-19T22:16:27Z' },
  });
  assert.equal(r.status, 201, r.text);
  const req = lever.requests[before];
  assert.equal(req.method, 'POST');
  assert.equal(req.path, '/v1/opportunities/opp-1/notes');
  assert.deepEqual(req.query, { perform_as: 'user-9' });
  assert.equal(req.headers.authorization, basic(LEVER_KEY));
  assert.equal(req.headers['content-type'], 'application/json');
  assert.deepEqual(req.json, { value: 'Test note created by Nango action dryrun', secret: true, createdAt: 1484864187000 });
  assert.equal(r.json.id, '7f8004a4-e5db-466a-ae31-7a26346701ed');
  assert.equal(r.json.body, 'Test note created by Nango action dryrun');
  assert.deepEqual(r.json.actor, { id: 'be129d9b-50da-4485-9377-0d83e981f30b', type: 'user' });
  assert.deepEqual(r.json.remote_data, leverReply.body.data);
  assert.ok(!r.text.includes(LEVER_KEY));
});

test('Ashby: the exact provider request, raw format and excluded fields', async () => {
  const before = ashby.requests.length;
  const r = await api('/unified/ats/activities?integrated_account_id=ashby-e2e&truto_exclude_fields[]=remote_data&truto_exclude_fields[]=actor.email', {
    method: 'POST',
    body: { candidate_id: '00000000-0000-0000-0000-000000000001', body: 'Test note from Nango action validation', visibility: 'public' },
  });
  assert.equal(r.status, 201, r.text);
  const req = ashby.requests[before];
  assert.equal(req.method, 'POST');
  assert.equal(req.path, '/candidate.createNote');
  assert.equal(req.headers.authorization, basic(ASHBY_KEY));
  assert.deepEqual(req.json, { candidateId: '00000000-0000-0000-0000-000000000001', note: 'Test note from Nango action validation', isPrivate: false });
  assert.equal(r.json.id, '00000000-0000-0000-0000-000000000002');
  assert.deepEqual(r.json.actor, { id: '00000000-0000-0000-0000-000000000003', type: 'user', name: 'Test User1' });
  assert.equal(r.json.remote_data, undefined);

  const raw = await api('/unified/ats/activities?integrated_account_id=ashby-e2e&truto_response_format=raw', {
    method: 'POST',
    body: { candidate_id: '00000000-0000-0000-0000-000000000001', body: 'again' },
  });
  assert.equal(raw.status, 201);
  assert.deepEqual(raw.json, ashbyReply.body);
});

test('validation errors come back before any provider request, in the Truto error shape', async () => {
  const before = lever.requests.length;
  const r = await api('/unified/ats/activities?integrated_account_id=lever-e2e', { method: 'POST', body: { visibility: 'private', color: 'red' } });
  assert.equal(r.status, 400);
  assert.deepEqual(Object.keys(r.json).sort(), ['code', 'details', 'error', 'message', 'statusCode']);
  assert.deepEqual(r.json.details.map((d) => `${d.field}:${d.code}`).sort(), ['body.body:required', 'body.candidate_id:required', 'body.color:unknown_field', 'body.visibility:not_one_of']);
  assert.equal(lever.requests.length, before);
});

test('a provider error keeps its status and body as a remote error', async () => {
  leverReply = { status: 404, body: { code: 'ResourceNotFound', message: 'Opportunity not found' } };
  try {
    const r = await api('/unified/ats/activities?integrated_account_id=lever-e2e', { method: 'POST', body: { candidate_id: 'gone', body: 'b' } });
    assert.equal(r.status, 404);
    assert.equal(r.json.truto_is_remote_error, true);
    assert.deepEqual(r.json.remote.body, { code: 'ResourceNotFound', message: 'Opportunity not found' });
  } finally {
    leverReply = { status: 201, body: await fixture('lever/recorded.notes.create.response.json') };
  }
});

test('Idempotency-Key: a repeat is replayed, not sent to Lever again', async () => {
  const before = lever.requests.length;
  const send = (body) => api('/unified/ats/activities?integrated_account_id=lever-e2e', { method: 'POST', body, headers: { 'idempotency-key': 'e2e-key-1' } });
  const first = await send({ candidate_id: 'opp-2', body: 'once' });
  const second = await send({ candidate_id: 'opp-2', body: 'once' });
  assert.equal(first.status, 201);
  assert.equal(second.status, 201);
  assert.equal(second.headers.get('idempotent-replayed'), 'true');
  assert.equal(second.text, first.text);
  assert.equal(lever.requests.length, before + 1);
  const different = await send({ candidate_id: 'opp-2', body: 'twice?' });
  assert.equal(different.status, 422);
  assert.equal(lever.requests.length, before + 1);
});

test('Idempotency-Key under wrangler dev (the Durable Object binding and migration work locally): 20 concurrent POSTs with one key reach Lever once', async () => {
  const before = lever.requests.length;
  const answers = await Promise.all(
    Array.from({ length: 20 }, () =>
      api('/unified/ats/activities?integrated_account_id=lever-e2e', { method: 'POST', body: { candidate_id: 'opp-3', body: 'burst' }, headers: { 'idempotency-key': 'e2e-burst-1' } }),
    ),
  );
  assert.equal(lever.requests.length, before + 1);
  const fresh = answers.filter((r) => r.status === 201 && !r.headers.get('idempotent-replayed'));
  assert.equal(fresh.length, 1);
  for (const r of answers) {
    const ok = r === fresh[0] || (r.status === 201 && r.text === fresh[0].text) || (r.status === 409 && r.json.code === 'idempotency_in_progress');
    assert.ok(ok, `unexpected answer ${r.status} ${r.text}`);
  }
});

test("tenants: another tenant's token sees none of these accounts, and its 404 is that of a missing id", async () => {
  const list = await api('/integrated-accounts', { token: OTHER_TENANT });
  assert.equal(list.status, 200);
  assert.deepEqual(list.json.result, []);
  const missing = await api('/integrated-accounts/no-such-e2e', { token: OTHER_TENANT });
  const theirs = await api('/integrated-accounts/lever-e2e', { token: OTHER_TENANT });
  assert.equal(theirs.status, 404);
  assert.equal(theirs.text.replaceAll('lever-e2e', 'no-such-e2e'), missing.text);
  const before = lever.requests.length;
  const use = await api('/unified/ats/activities?integrated_account_id=lever-e2e', { token: OTHER_TENANT, method: 'POST', body: { candidate_id: 'opp-1', body: 'x' } });
  assert.equal(use.status, 404);
  assert.equal(lever.requests.length, before);
  assert.equal((await api('/integrated-accounts/lever-e2e')).status, 200);
});

test('lists: one page per call, next_cursor continues, truto_ignore_limit returns all', async () => {
  const ids = [];
  let cursor = null;
  let calls = 0;
  do {
    const r = await api(`/unified/ats/interviews?integrated_account_id=sandbox-e2e&limit=40${cursor ? `&next_cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(r.status, 200);
    assert.equal(r.json.result_count, r.json.result.length);
    ids.push(...r.json.result.map((x) => x.id));
    cursor = r.json.next_cursor;
    calls++;
  } while (cursor);
  assert.equal(calls, 3);
  assert.equal(new Set(ids).size, 120);
  const all = await api('/unified/ats/interviews?integrated_account_id=sandbox-e2e&truto_ignore_limit=true');
  assert.equal(all.json.result_count, 120);
  assert.equal(all.json.next_cursor, null);
  const one = await api(`/unified/ats/interviews/${ids[5]}?integrated_account_id=sandbox-e2e`);
  assert.equal(one.json.id, ids[5]);
});

test('auth, body cap, meta and the admin page over real HTTP', async () => {
  const none = await api('/unified/ats/interviews?integrated_account_id=sandbox-e2e', { token: null });
  const wrong = await api('/unified/ats/interviews?integrated_account_id=sandbox-e2e', { token: 'nope' });
  assert.equal(none.status, 401);
  assert.equal(wrong.text, none.text);

  const big = await api('/unified/ats/activities?integrated_account_id=sandbox-e2e', { method: 'POST', body: { candidate_id: 'c', body: 'x'.repeat(70_000) } });
  assert.equal(big.status, 413);
  assert.equal(big.json.code, 'payload_too_large');

  const meta = await api('/unified/ats/activities/meta/create?integrated_account_id=lever-e2e');
  assert.deepEqual(meta.json.providers, ['lever']);
  assert.equal(meta.json.body.find((f) => f.name === 'candidate_id').providers.lever.required, true);

  const page = await fetch(worker.origin + '/');
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<title>crosswalk admin<\/title>/);
  const wasm = await fetch(worker.origin + '/pkg/wasm/crosswalk_core_bg.wasm');
  assert.equal(wasm.status, 200);
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  assert.ok((await wasm.arrayBuffer()).byteLength > 100_000);
});

test('a Worker without ALLOW_BASE_URL_OVERRIDE refuses loopback base_urls', async () => {
  const strict = await startWorker({ vars: { API_TOKENS: TOKEN } });
  try {
    const r = await fetch(`${strict.origin}/integrated-accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'lever', credentials: { api_key: 'k' }, base_url: lever.origin }),
    });
    assert.equal(r.status, 400);
    assert.equal((await r.json()).details[0].code, 'not_allowed');
  } finally {
    await strict.close();
  }
});
