// CRM engagement ids round-trip through the built npm package: for providers that keep
// each engagement type in its own object, the id a create returns is typed
// (`{type}:{id}`), and get with that id alone reads the right object from a loopback
// server playing the provider. A plain id still works with engagement_type.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createClient, CrosswalkError } from 'crosswalk';
import { startServer, fixture } from './helpers/server.mjs';

const q = { integrated_account_id: 'acc1' };

/** Creates, then gets by the returned id; the server answers both with `record`. */
async function roundTrip(account, body, record, extra = (req) => undefined) {
  const server = await startServer((req) => extra(req) ?? { status: req.method === 'POST' ? 201 : 200, body: record });
  const client = createClient({ accounts: [{ id: 'acc1', base_url: server.origin, ...account }], sleep: async () => {} });
  try {
    const created = await client.unifiedApi.create('crm', 'engagements', body, q);
    const read = await client.unifiedApi.get('crm', 'engagements', created.id, q);
    return { created, read, get: server.requests.at(-1), server };
  } finally {
    await server.close();
  }
}

test('zendesk_sell: a task id names /v2/tasks', async () => {
  const { created, read, get } = await roundTrip(
    { provider: 'zendesk_sell', credentials: { access_token: 't' } },
    { engagement_type: 'task', content: 'Follow up' },
    { data: { id: 7, content: 'Follow up' } },
  );
  assert.equal(created.id, 'task:7');
  assert.equal(get.method, 'GET');
  assert.equal(get.path, '/v2/tasks/7');
  assert.equal(get.headers.authorization, 'Bearer t');
  assert.equal(read.id, 'task:7');
  assert.equal(read.engagement_type, 'task');
});

test('dynamics365: a note id names the annotations table', async () => {
  const id = '00000001-aaaa-bbbb-cccc-000000000000';
  const { created, read, get } = await roundTrip(
    { provider: 'dynamics365', credentials: { access_token: 't' }, context: { instance_url: 'https://contoso.crm.dynamics.com' } },
    { engagement_type: 'note', content: 'Text' },
    { annotationid: id, notetext: 'Text' },
  );
  assert.equal(created.id, `note:${id}`);
  assert.equal(get.url, `/api/data/v9.2/annotations(${id})`);
  assert.equal(read.content, 'Text');
});

test('capsule: a task id reads /tasks, a call id /entries', async () => {
  const account = { provider: 'capsule', credentials: { access_token: 't' } };
  const task = await roundTrip(account, { engagement_type: 'task', subject: 'Invoice', start_time: '2020-01-01T00:00:00Z' }, { task: { id: 493, description: 'Invoice' } });
  assert.equal(task.created.id, 'task:493');
  assert.equal(task.get.path, '/api/v2/tasks/493');
  const types = await fixture('capsule/doc.activitytypes.list.response.json');
  const entry = { entry: { id: 102, type: 'note', content: 'Rang', activityType: { id: -3, name: 'Call' }, party: { id: 1, type: 'person' } } };
  const call = await roundTrip(account, { engagement_type: 'call', content: 'Rang', contacts: [{ id: '1' }] }, entry,
    (req) => (req.path === '/api/v2/activitytypes' ? { status: 200, body: types } : undefined));
  assert.equal(call.created.id, 'call:102');
  assert.equal(call.get.path, '/api/v2/entries/102');
  assert.equal(call.read.engagement_type, 'call');
});

test('attio and onepagecrm: typed ids pick the path; a plain id takes engagement_type', async () => {
  const note = await fixture('attio/recorded.notes.create.response.json');
  const attio = await roundTrip({ provider: 'attio', credentials: { access_token: 't' } },
    { engagement_type: 'note', subject: 'S', content: 'C', contacts: [{ id: 'p1' }] }, note);
  assert.equal(attio.get.path, `/v2/notes/${note.data.id.note_id}`);
  assert.equal(attio.read.id, `note:${note.data.id.note_id}`);

  const action = { status: 0, data: { action: { id: 'a1', text: 'Call back', contact_id: 'c1' } } };
  const account = { provider: 'onepagecrm', credentials: { api_key: 'k' }, context: { user_id: 'u1' } };
  const opc = await roundTrip(account, { engagement_type: 'task', contacts: [{ id: 'c1' }], content: 'Call back' }, action);
  assert.equal(opc.created.id, 'task:a1');
  assert.equal(opc.get.path, '/api/v3/actions/a1');

  const server = await startServer(() => ({ status: 200, body: action }));
  const client = createClient({ accounts: [{ id: 'acc1', base_url: server.origin, ...account }], sleep: async () => {} });
  try {
    await client.unifiedApi.get('crm', 'engagements', 'a1', { ...q, engagement_type: 'task' });
    assert.equal(server.requests[0].path, '/api/v3/actions/a1');
    await assert.rejects(client.unifiedApi.get('crm', 'engagements', 'a1', q), (e) => e instanceof CrosswalkError && e.details[0].field === 'id');
    assert.equal(server.requests.length, 1, 'a plain id without engagement_type is refused before sending');
  } finally {
    await server.close();
  }
});

test('freshsales: a note id is typed, and get says no endpoint reads notes', async () => {
  const server = await startServer(() => ({ status: 201, body: { note: { id: 31, description: 'Met', targetable_type: 'SalesAccount', targetable_id: 9 } } }));
  const client = createClient({ accounts: [{ id: 'acc1', provider: 'freshsales', base_url: server.origin, credentials: { api_key: 'k' }, context: { bundle_alias: 'widgetz' } }], sleep: async () => {} });
  try {
    const created = await client.unifiedApi.create('crm', 'engagements', { engagement_type: 'note', content: 'Met', account: { id: '9' } }, q);
    assert.equal(created.id, 'note:31');
    await assert.rejects(client.unifiedApi.get('crm', 'engagements', created.id, q), (e) => e instanceof CrosswalkError && e.details[0].field === 'id');
    assert.equal(server.requests.length, 1);
  } finally {
    await server.close();
  }
});
