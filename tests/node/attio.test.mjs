// Attio notes and tasks through the built npm package against a loopback server.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createClient, CrosswalkError } from 'crosswalk';
import { startServer, script, fixture } from './helpers/server.mjs';

const TOKEN = 'attio-secret';

async function withAttio(handler, fn) {
  const server = await startServer(handler);
  const client = createClient({ accounts: [{ id: 'acc1', provider: 'attio', base_url: server.origin, credentials: { access_token: TOKEN } }], sleep: async () => {} });
  try {
    await fn({ client, server });
  } finally {
    await server.close();
  }
}

test('attio: note create matches the recorded request', async () => {
  const resp = await fixture('attio/recorded.notes.create.response.json');
  await withAttio(script({ status: 200, body: resp }), async ({ client, server }) => {
    const out = await client.unifiedApi.create('crm', 'engagements', {
      engagement_type: 'note', subject: 'Test note from Nango action', content: 'This is a test note created by the Nango action.',
      contacts: [{ id: 'a5a3b432-da2f-4768-90b4-8d6ad8a91ca8' }],
    }, { integrated_account_id: 'acc1' });
    const [req] = server.requests;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/v2/notes');
    assert.equal(req.headers.authorization, `Bearer ${TOKEN}`);
    assert.deepEqual(req.json, await fixture('attio/recorded.notes.create.request.json'));
    assert.equal(out.id, 'note:c4b896b6-09ef-498b-a1b4-8650e0539393');
    assert.deepEqual(out.contacts, [{ id: 'a5a3b432-da2f-4768-90b4-8d6ad8a91ca8' }]);
  });
});

test('attio: task create matches the recorded request; meetings are refused before sending', async () => {
  const resp = await fixture('attio/recorded.tasks.create.response.json');
  await withAttio(script({ status: 200, body: resp }), async ({ client, server }) => {
    await client.unifiedApi.create('crm', 'engagements', {
      engagement_type: 'task', content: 'Test task created by Nango', contacts: [{ id: '4c6ade84-19c7-4581-95aa-b1d5f4571c25' }],
      owner: { id: '641ecd33-0a48-4b7b-ba48-bbb7a649a8ee' },
    }, { integrated_account_id: 'acc1' });
    assert.equal(server.requests[0].path, '/v2/tasks');
    assert.deepEqual(server.requests[0].json, await fixture('attio/recorded.tasks.create.request.json'));
    await assert.rejects(
      client.unifiedApi.create('crm', 'engagements', { engagement_type: 'meeting', content: 'x' }, { integrated_account_id: 'acc1' }),
      (e) => e instanceof CrosswalkError && e.details[0].field === 'body.engagement_type',
    );
    assert.equal(server.requests.length, 1);
  });
});

test('attio: note list pages by offset until a short page', async () => {
  const full = await fixture('attio/recorded.notes.list.response.json');
  const short = { data: [full.data[0]] };
  await withAttio(script({ status: 200, body: full }, { status: 200, body: short }), async ({ client, server }) => {
    const ids = [];
    for await (const r of client.unifiedApi.list('crm', 'engagements', { integrated_account_id: 'acc1', engagement_type: 'note', limit: 2 })) ids.push(r.id);
    assert.equal(ids.length, 3);
    assert.deepEqual(server.requests.map((r) => r.query), [{ limit: '2', offset: '0' }, { limit: '2', offset: '2' }]);
  });
});
