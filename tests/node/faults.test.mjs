// Faults through the built package: a trap (panic) inside the wasm core becomes a
// structured CrosswalkError naming the provider and operation, the core is
// re-instantiated from its compiled module and the next call works; handles of the
// old instance are dropped without throwing. Accounts are checked with the core's
// rules when the client is made (arrays) or first resolved (functions).
import test from 'node:test';
import assert from 'node:assert/strict';
import { createClient, plan, validate, validateAccount, CrosswalkError } from 'crosswalk';
// The glue the package loads (same module instance): its test-only trap trigger
// (`__crosswalk_test_trap`, src/facade/wasm.rs) makes the core's next step panic.
import { __crosswalk_test_trap as armTrap } from '../../pkg/wasm/crosswalk_core.js';

const SECRET = 'TOK-sandbox-9f2c41';
const NOTE = { candidate_id: 'cand_1', body: 'Strong systems design round' };
const Q = { integrated_account_id: 'sbx' };

function assertTrap(err, operation) {
  assert.ok(err instanceof CrosswalkError, String(err?.stack ?? err));
  const json = err.toJSON();
  assert.deepEqual(Object.keys(json).sort(), ['code', 'details', 'error', 'message', 'statusCode']);
  assert.equal(json.statusCode, 500);
  assert.equal(json.code, 'internal_trap');
  assert.equal(json.error, 'Internal Server Error');
  assert.ok(json.message.includes(operation), json.message);
  assert.ok(!JSON.stringify(json).includes(SECRET));
}

test('a trap is a structured 500 naming provider and operation; the same client works on the next call', async () => {
  const client = createClient({ accounts: [{ id: 'sbx', provider: 'sandbox', credentials: { access_token: SECRET } }] });
  armTrap();
  assertTrap(await client.unifiedApi.create('ats', 'activities', NOTE, Q).catch((e) => e), 'sandbox ats/activities create');
  const note = await client.unifiedApi.create('ats', 'activities', NOTE, Q);
  assert.equal(note.body, NOTE.body);

  // Mid-list: the second page traps; the next list runs from a fresh core.
  const pages = client.unifiedApi.list('ats', 'interviews', { ...Q, limit: 10 }).pages();
  assert.equal((await pages.next()).value.result.length, 10);
  armTrap();
  assertTrap(await pages.next().catch((e) => e), 'sandbox ats/interviews list');
  assert.equal((await client.unifiedApi.list('ats', 'interviews', { ...Q, limit: 5 })).result.length, 5);

  // Stateless calls too.
  armTrap();
  const account = { provider: 'sandbox', credentials: { access_token: SECRET } };
  assertTrap((() => { try { plan({ account, model: 'ats', resource: 'activities', method: 'create', body: NOTE }); } catch (e) { return e; } })(), 'sandbox ats/activities create');
  assert.equal(plan({ account, model: 'ats', resource: 'activities', method: 'create', body: NOTE }).requests.length, 1);
  armTrap();
  assertTrap((() => { try { validate({ provider: 'sandbox', model: 'ats', resource: 'activities', method: 'create', body: NOTE }); } catch (e) { return e; } })(), 'sandbox ats/activities create');
  assert.equal(validate({ provider: 'sandbox', model: 'ats', resource: 'activities', method: 'create', body: NOTE }).valid, true);
});

test('an operation in flight when another one traps ends with the same structured error, and frees cleanly', async () => {
  const client = createClient({ accounts: [{ id: 'sbx', provider: 'sandbox' }] });
  const pages = client.unifiedApi.list('ats', 'interviews', { ...Q, limit: 10 }).pages();
  await pages.next();
  armTrap();
  await client.unifiedApi.create('ats', 'activities', NOTE, Q).catch(() => {});
  // The paused list belongs to the replaced instance: it fails with a CrosswalkError (not a wasm-bindgen error), and its free() in `finally` does not throw.
  assertTrap(await pages.next().catch((e) => e), 'sandbox ats/interviews list');
  assert.equal((await client.unifiedApi.list('ats', 'interviews', { ...Q, limit: 3 })).result.length, 3);
});

test('a trap in a bulk sync is reported the same way', async () => {
  const client = createClient({
    accounts: [{ id: 'li', provider: 'linkedin', credentials: { access_token: SECRET }, context: { organization_urn: 'urn:li:organization:1' } }],
    fetch: async () => new Response(JSON.stringify({ results: {}, errors: {} }), { status: 200, headers: { 'content-type': 'application/json' } }),
  });
  const records = [{ application_id: 'app-1', id: 'n1', body: 'hi', created_at: '2024-06-15T10:00:00Z', author: { first_name: 'A', last_name: 'B' } }];
  armTrap();
  assertTrap(await client.sync('ats', 'activities', records, { integrated_account_id: 'li' }).catch((e) => e), 'linkedin ats/activities sync');
  const report = await client.sync('ats', 'activities', records, { integrated_account_id: 'li' }, { wait: false });
  assert.equal(report.counts.synced + report.counts.failed + report.counts.not_sent, 1);
});

test('createClient checks array accounts with the core rules: CrosswalkError with field paths, no value echoed', () => {
  const crlf = 'lever-secret-55aa\r\nX-Injected: 1';
  let err;
  try {
    createClient({
      accounts: [
        { id: 'ok', provider: 'sandbox' },
        { id: 'crlf', provider: 'lever', credentials: { api_key: crlf } },
      ],
    });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof CrosswalkError);
  assert.equal(err.statusCode, 400);
  assert.equal(err.code, 'validation_failed');
  assert.deepEqual(err.details.map((d) => `${d.field}:${d.code}`), ['accounts[1].credentials.api_key:invalid_format']);
  assert.ok(!JSON.stringify(err.toJSON()).includes('lever-secret-55aa'));
  assert.ok(!err.message.includes('lever-secret-55aa'));

  const fields = (accounts) => {
    try {
      createClient({ accounts });
      return [];
    } catch (e) {
      assert.ok(e instanceof CrosswalkError);
      return e.details.map((d) => `${d.field}:${d.code}`);
    }
  };
  assert.deepEqual(fields([{ id: 'p', provider: 'pinpoint', credentials: { api_key: 'k' }, context: { subdomain: 'evil.example/x' } }]), ['accounts[0].context.subdomain:invalid_format']);
  assert.deepEqual(fields([{ id: 's', provider: 'salesforce', credentials: { access_token: 't' }, context: { instance_url: 'https://xmy.salesforce.com' } }]), ['accounts[0].context.instance_url:invalid_format']);
  assert.deepEqual(fields([{ id: 'b', provider: 'lever', credentials: { api_key: 'k' }, base_url: 'http://127.0.0.1:1/v1' }]), ['accounts[0].base_url:invalid_format']);
  assert.deepEqual(fields([{ id: 'n', provider: 'nosuch' }]), ['accounts[0].provider:not_one_of']);
  assert.deepEqual(validateAccount({ provider: 'lever', credentials: { api_key: 'k' } }), { valid: true, errors: [] });
});

test('a function account is checked when first resolved', async () => {
  const client = createClient({ accounts: async (id) => ({ id, provider: 'lever', credentials: { api_key: 'k\nX: 1' } }) });
  const err = await client.unifiedApi.create('ats', 'activities', NOTE, { integrated_account_id: 'lv' }).catch((e) => e);
  assert.ok(err instanceof CrosswalkError);
  assert.equal(err.statusCode, 400);
  assert.deepEqual(err.details.map((d) => d.field), ['account.credentials.api_key']);
});
