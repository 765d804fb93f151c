// Freshsales through the built npm package against a loopback server: the sales
// activity type lookup, then the create; a failure after the lookup is a plain
// remote error; list pages until meta.total_pages.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'crosswalk';
import { startServer, script, fixture } from './helpers/server.mjs';

const KEY = 'fs-api-key';
const call = {
  engagement_type: 'call', subject: 'Discovery call', content: 'Talked about pricing', start_time: '2022-08-30T14:00:00Z', duration: 1800,
  owner: { id: '70000012345' }, contacts: [{ id: '70042006456' }],
};

async function withFreshsales(handler, fn) {
  const server = await startServer(handler);
  const client = createClient({
    accounts: [{ id: 'acc1', provider: 'freshsales', base_url: server.origin, credentials: { api_key: KEY }, context: { bundle_alias: 'widgetz' } }],
    sleep: async () => {},
  });
  try {
    await fn({ client, server });
  } finally {
    await server.close();
  }
}

test('freshsales: looks up the Phone type, then creates the sales activity', async () => {
  const types = await fixture('freshsales/secondary.selector.sales_activity_types.response.json');
  const activity = await fixture('freshsales/assembled.sales_activity.create.response.json');
  await withFreshsales(script({ status: 200, body: types }, { status: 200, body: activity }), async ({ client, server }) => {
    const out = await client.unifiedApi.create('crm', 'engagements', call, { integrated_account_id: 'acc1' });
    assert.deepEqual(server.requests.map((r) => `${r.method} ${r.path}`), ['GET /crm/sales/api/selector/sales_activity_types', 'POST /crm/sales/api/sales_activities']);
    for (const r of server.requests) assert.equal(r.headers.authorization, `Token token=${KEY}`);
    assert.deepEqual(server.requests[1].json, { sales_activity: {
      title: 'Discovery call', notes: 'Talked about pricing', start_date: '2022-08-30T14:00:00Z', end_date: '2022-08-30T14:30:00Z',
      owner_id: 70000012345, sales_activity_type_id: 70000612898, targetable_type: 'Contact', targetable_id: 70042006456,
    } });
    assert.equal(out.id, '70000123456');
    assert.equal(out.engagement_type, 'call');
  });
});

test('freshsales: a failed create after the lookup is a remote error, not a partial failure', async () => {
  const types = await fixture('freshsales/secondary.selector.sales_activity_types.response.json');
  const error = { errors: { code: 400, message: ["Owner can't be blank"] } };
  await withFreshsales(script({ status: 200, body: types }, { status: 400, body: error }), async ({ client, server }) => {
    const err = await client.unifiedApi.create('crm', 'engagements', call, { integrated_account_id: 'acc1' }).catch((e) => e);
    assert.equal(err.code, 'remote_error');
    assert.equal(err.statusCode, 400);
    assert.deepEqual(err.toJSON().remote.body, error);
    assert.equal(server.requests.length, 2);
  });
});

test('freshsales: list pages until meta.total_pages', async () => {
  const types = await fixture('freshsales/secondary.selector.sales_activity_types.response.json');
  const { sales_activity: a } = await fixture('freshsales/assembled.sales_activity.create.response.json');
  const p1 = { sales_activities: [a, { ...a, id: 2 }], meta: { total_pages: 2, total: 3 } };
  const p2 = { sales_activities: [{ ...a, id: 3 }], meta: { total_pages: 2, total: 3 } };
  await withFreshsales(script({ status: 200, body: types }, { status: 200, body: p1 }, { status: 200, body: p2 }), async ({ client, server }) => {
    const ids = [];
    for await (const r of client.unifiedApi.list('crm', 'engagements', { integrated_account_id: 'acc1' })) ids.push(r.id);
    assert.deepEqual(ids, ['70000123456', '2', '3']);
    assert.deepEqual(server.requests.map((r) => r.url), ['/crm/sales/api/selector/sales_activity_types', '/crm/sales/api/sales_activities?page=1', '/crm/sales/api/sales_activities?page=2']);
  });
});
