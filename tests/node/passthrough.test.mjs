// client.passthrough: the provider's own API through the account, against loopback
// servers playing three providers with different auth schemes.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createClient, plan, CrosswalkError } from 'crosswalk';
import { withServer, script, recordingSleep } from './helpers/server.mjs';

const basic = (key) => 'Basic ' + Buffer.from(`${key}:`).toString('base64');

test('GET with a query and POST with a body reach each provider with its own auth', async () => {
  await withServer(script({ status: 200, body: { data: [{ id: 'opp-1' }] } }), async (server) => {
    const client = createClient({ accounts: [{ id: 'lv', provider: 'lever', base_url: server.origin, credentials: { api_key: 'lever-pt-1' } }] });
    const r = await client.passthrough({ method: 'GET', path: '/v1/opportunities', query: { limit: 2, expand: ['owner', 'stage'] } }, { integrated_account_id: 'lv' });
    assert.deepEqual(r.body, { data: [{ id: 'opp-1' }] });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    const req = server.requests[0];
    assert.equal(req.method, 'GET');
    // Parameters go out sorted by name (a JSON object has no order the core keeps); repeats in list order.
    assert.equal(req.url, '/v1/opportunities?expand=owner&expand=stage&limit=2');
    assert.equal(req.headers.authorization, basic('lever-pt-1'));
  });
  await withServer(script({ status: 201, body: { id: '901' } }), async (server) => {
    const client = createClient({ accounts: [{ id: 'hs', provider: 'hubspot', base_url: server.origin, credentials: { access_token: 'hs-pt-2' } }] });
    const r = await client.passthrough({ method: 'POST', path: '/crm/v3/objects/contacts', body: { properties: { email: 'a@b.example' } } }, { integrated_account_id: 'hs' });
    assert.equal(r.status, 201);
    const req = server.requests[0];
    assert.equal(req.headers.authorization, 'Bearer hs-pt-2');
    assert.equal(req.headers['content-type'], 'application/json');
    assert.deepEqual(req.json, { properties: { email: 'a@b.example' } });
  });
  await withServer(script({ status: 200, body: { data: [] } }), async (server) => {
    const client = createClient({ accounts: [{ id: 'pp', provider: 'pinpoint', base_url: server.origin, credentials: { api_key: 'pp-pt-3' }, context: { subdomain: 'acme' } }] });
    await client.passthrough({ method: 'GET', path: '/api/v1/jobs' }, { integrated_account_id: 'pp' });
    assert.equal(server.requests[0].headers['x-api-key'], 'pp-pt-3');
  });
});

test('refusals send nothing and say which field', async () => {
  await withServer(script({ status: 200, body: {} }), async (server) => {
    const client = createClient({ accounts: [{ id: 'lv', provider: 'lever', base_url: server.origin, credentials: { api_key: 'lever-pt-1' } }] });
    const cases = [
      [{ method: 'GET', path: 'https://evil.example/x' }, 'passthrough.path'],
      [{ method: 'GET', path: '//evil.example/x' }, 'passthrough.path'],
      [{ method: 'GET', path: '/v1/../admin' }, 'passthrough.path'],
      [{ method: 'GET', path: '/v1/%2e%2e/admin' }, 'passthrough.path'],
      [{ method: 'GET', path: '/v1/x', headers: { 'x-a': '1\r\nX-Evil: 2' } }, 'passthrough.headers.x-a'],
      [{ method: 'GET', path: '/v1/x', headers: { Authorization: 'Bearer mine' } }, 'passthrough.headers.authorization'],
    ];
    for (const [request, field] of cases) {
      const err = await client.passthrough(request, { integrated_account_id: 'lv' }).catch((e) => e);
      assert.ok(err instanceof CrosswalkError, String(err));
      assert.equal(err.code, 'validation_failed');
      assert.deepEqual(err.details.map((d) => d.field), [field], JSON.stringify(request));
    }
    assert.equal(server.requests.length, 0);
  });
});

test('a 429 is retried after Retry-After; a POST is not re-sent after a 5xx; a 404 is an answer', async () => {
  await withServer(script({ status: 429, headers: { 'retry-after': '1' }, body: {} }, { status: 200, body: { ok: true } }), async (server) => {
    const { waits, sleep } = recordingSleep();
    const client = createClient({ sleep, accounts: [{ id: 'lv', provider: 'lever', base_url: server.origin, credentials: { api_key: 'k' } }] });
    const r = await client.passthrough({ method: 'GET', path: '/v1/x' }, { integrated_account_id: 'lv' });
    assert.deepEqual(r.body, { ok: true });
    assert.equal(server.requests.length, 2);
    assert.ok(waits.some((w) => w >= 900), String(waits));
  });
  await withServer(script({ status: 503, body: {} }, { status: 201, body: {} }), async (server) => {
    const client = createClient({ sleep: async () => {}, accounts: [{ id: 'lv', provider: 'lever', base_url: server.origin, credentials: { api_key: 'k' } }] });
    await client.passthrough({ method: 'POST', path: '/v1/notes', body: { v: 1 } }, { integrated_account_id: 'lv' }).catch((e) => e);
    assert.equal(server.requests.length, 1);
  });
  await withServer(script({ status: 404, body: { code: 'ResourceNotFound' } }), async (server) => {
    const client = createClient({ accounts: [{ id: 'lv', provider: 'lever', base_url: server.origin, credentials: { api_key: 'k' } }] });
    const r = await client.passthrough({ method: 'GET', path: '/v1/opportunities/nope' }, { integrated_account_id: 'lv' });
    assert.equal(r.status, 404);
    assert.equal(r.body.code, 'ResourceNotFound');
  });
});

test('plan() previews a passthrough with the credentials redacted', () => {
  const p = plan({ account: { provider: 'lever', credentials: { api_key: 'plan-secret-9' } }, passthrough: { method: 'GET', path: '/v1/users' } });
  assert.equal(p.requests[0].url, 'https://api.lever.co/v1/users');
  assert.ok(!JSON.stringify(p).includes('plan-secret-9'));
  assert.ok(!JSON.stringify(p).includes(Buffer.from('plan-secret-9:').toString('base64')));
});
