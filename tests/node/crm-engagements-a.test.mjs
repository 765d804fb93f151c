// crm/engagements through the built npm package against loopback servers playing
// HubSpot, Salesforce, Pipedrive, Zoho CRM, Close and Copper: the exact requests
// each provider receives (method, path, auth header, body), the unified result,
// paging, multi-step writes (and a partial failure reported precisely), and
// refusals before anything is sent.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'crosswalk';
import { startServer, script, fixture, recordingSleep } from './helpers/server.mjs';

async function withProvider(provider, account, handler, fn) {
  const server = await startServer(handler);
  const { sleep } = recordingSleep();
  const client = createClient({ accounts: [{ id: 'acc1', provider, base_url: server.origin, ...account }], sleep });
  try {
    await fn({ client, server, api: client.unifiedApi, q: { integrated_account_id: 'acc1' } });
  } finally {
    await server.close();
  }
}

const basic = (key) => 'Basic ' + Buffer.from(`${key}:`).toString('base64');

test('hubspot: a call with inline associations', async () => {
  const reply = { id: '512', properties: { hs_call_title: 'Support call', hs_call_direction: 'OUTBOUND', hs_call_duration: '120000', hs_timestamp: '2024-06-15T10:00:00Z' }, createdAt: '2024-06-15T10:00:01Z', updatedAt: '2024-06-15T10:00:01Z' };
  await withProvider('hubspot', { credentials: { access_token: 'pat-secret' } }, script({ status: 201, body: reply }), async ({ api, q, server }) => {
    const out = await api.create('crm', 'engagements', {
      engagement_type: 'call', subject: 'Support call', content: 'Resolved', start_time: '2024-06-15T10:00:00Z', duration: 120, direction: 'outbound',
      phone_numbers: [{ number: '+15095551234' }], contacts: [{ id: '101' }], opportunity: { id: '7' },
    }, q);
    const [req] = server.requests;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/crm/v3/objects/calls');
    assert.equal(req.headers.authorization, 'Bearer pat-secret');
    assert.deepEqual(req.json, {
      properties: {
        hs_timestamp: '2024-06-15T10:00:00Z', hs_call_body: 'Resolved', hs_call_title: 'Support call', hs_call_direction: 'OUTBOUND',
        hs_call_duration: '120000', hs_call_to_number: '+15095551234',
      },
      associations: [
        { to: { id: '101' }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 194 }] },
        { to: { id: '7' }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 206 }] },
      ],
    });
    assert.equal(out.id, 'call:512');
    assert.equal(out.duration, 120);
    assert.deepEqual(out.contacts, [{ id: '101' }]);
    assert.deepEqual(out.opportunity, { id: '7' });
  });
});

test('hubspot: a list pages through one object per engagement type', async () => {
  const replies = [
    { status: 200, body: { results: [{ id: '1', properties: { hs_call_title: 'c' } }], paging: { next: { after: 'A2' } } } },
    { status: 200, body: { results: [{ id: '2', properties: { hs_call_title: 'd' } }] } },
    { status: 200, body: { results: [{ id: '3', properties: { hs_meeting_title: 'm' } }] } },
    { status: 200, body: { results: [] } },
    { status: 200, body: { results: [] } },
    { status: 200, body: { results: [] } },
  ];
  await withProvider('hubspot', { credentials: { access_token: 't' } }, script(...replies), async ({ api, q, server }) => {
    const all = await api.list('crm', 'engagements', q).toArray();
    assert.deepEqual(all.map((r) => r.id), ['call:1', 'call:2', 'meeting:3']);
    assert.deepEqual(server.requests.map((r) => r.path), ['calls', 'calls', 'meetings', 'emails', 'notes', 'tasks'].map((o) => `/crm/v3/objects/${o}`));
    assert.equal(server.requests[1].query.after, 'A2');
  });
});

const sfAccount = { credentials: { access_token: 'sf-secret' }, context: { instance_url: 'https://acme.my.salesforce.com' } };

test('salesforce: create a Task, then read it back with SOQL', async () => {
  const record = { attributes: { type: 'Task' }, Id: '00T1', Subject: 'Call', TaskSubtype: 'Call', CallType: 'Inbound', CallDurationInSeconds: 60, Status: 'Completed', WhoId: '003A', Who: { Type: 'Contact' }, CreatedDate: '2026-05-01T07:25:37.000+0000' };
  const replies = [{ status: 201, body: { id: '00T1', success: true, errors: [] } }, { status: 200, body: { totalSize: 1, done: true, records: [record] } }];
  await withProvider('salesforce', sfAccount, script(...replies), async ({ api, q, server }) => {
    const out = await api.create('crm', 'engagements', { engagement_type: 'call', subject: 'Call', direction: 'inbound', duration: 60, status: 'sent', contacts: [{ id: '003A' }] }, q);
    const [post, read] = server.requests;
    assert.equal(post.method, 'POST');
    assert.equal(post.path, '/services/data/v60.0/sobjects/Task');
    assert.equal(post.headers.authorization, 'Bearer sf-secret');
    assert.deepEqual(post.json, { Subject: 'Call', WhoId: '003A', TaskSubtype: 'Call', Status: 'Completed', CallType: 'Inbound', CallDurationInSeconds: 60 });
    assert.equal(read.method, 'GET');
    assert.equal(read.path, '/services/data/v60.0/query');
    assert.match(read.query.q, / FROM Task WHERE Id = '00T1'$/);
    assert.equal(read.headers.authorization, 'Bearer sf-secret');
    assert.equal(out.id, 'call:00T1');
    assert.equal(out.direction, 'inbound');
    assert.equal(out.status, 'sent');
    assert.deepEqual(out.contacts, [{ id: '003A' }]);
    assert.equal(out.created_at, '2026-05-01T07:25:37Z');
  });
});

test('salesforce: a failed read-back is a partial failure naming the created Task', async () => {
  const replies = [
    { status: 201, body: { id: '00T9', success: true, errors: [] } },
    { status: 401, body: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }] },
  ];
  await withProvider('salesforce', sfAccount, script(...replies), async ({ api, q, server }) => {
    const err = await api.create('crm', 'engagements', { engagement_type: 'email', subject: 'Hi' }, q).catch((e) => e);
    assert.equal(server.requests.length, 2);
    const body = err.toJSON();
    assert.equal(body.code, 'partial_failure');
    assert.equal(body.statusCode, 401);
    assert.equal(body.failed_step, 'fetch');
    assert.deepEqual(body.completed, [{ step: 'create', result: { id: '00T9', sobject: 'Task' } }]);
    // A 401 on a token with no refresh token to renew it: the account must be reconnected.
    assert.equal(body.cause.code, 'reauth_required');
    assert.match(body.cause.message, /Session expired or invalid/);
    assert.ok(!JSON.stringify(body).includes('sf-secret'));
  });
});

test('pipedrive: a meeting as a v2 activity with participants', async () => {
  const item = { id: 6, type: 'meeting', subject: 'Demo', due_date: '2026-05-20', due_time: '10:00', duration: '01:00', participants: [{ person_id: 7, primary: true }], add_time: '2026-05-15T09:55:15Z' };
  await withProvider('pipedrive', { credentials: { api_key: 'pd-token' } }, script({ status: 201, body: { success: true, data: item } }), async ({ api, q, server }) => {
    const out = await api.create('crm', 'engagements', {
      engagement_type: 'meeting', subject: 'Demo', start_time: '2026-05-20T10:00:00Z', end_time: '2026-05-20T11:00:00Z', contacts: [{ id: '7' }], opportunity: { id: '3' },
    }, q);
    const [req] = server.requests;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/api/v2/activities');
    assert.equal(req.headers['x-api-token'], 'pd-token');
    assert.deepEqual(req.json, {
      deal_id: 3, subject: 'Demo', type: 'meeting', due_date: '2026-05-20', due_time: '10:00', duration: '01:00', participants: [{ person_id: 7, primary: true }],
    });
    assert.equal(out.id, '6');
    assert.equal(out.end_time, '2026-05-20T11:00:00Z');
  });
});

test('pipedrive: a list reads activities, then notes', async () => {
  const replies = [
    { status: 200, body: { success: true, data: [{ id: 1, type: 'call' }], additional_data: { next_cursor: null } } },
    { status: 200, body: { success: true, data: [{ id: 5, content: 'n' }], additional_data: { pagination: { start: 0, more_items_in_collection: false } } } },
  ];
  await withProvider('pipedrive', { credentials: { api_key: 'k' } }, script(...replies), async ({ api, q, server }) => {
    const all = await api.list('crm', 'engagements', { ...q, contact_id: '7' }).toArray();
    assert.deepEqual(all.map((r) => r.id), ['1', 'note:5']);
    assert.deepEqual(server.requests.map((r) => r.path), ['/api/v2/activities', '/v1/notes']);
    assert.deepEqual(server.requests.map((r) => r.query.person_id), ['7', '7']);
  });
});

test('zoho crm: a task is inserted, then read back', async () => {
  const created = await fixture('zoho_crm/recorded.tasks.post.response.json');
  const replies = [{ status: 201, body: created }, { status: 200, body: { data: [{ id: '7328395000000693003', Subject: 'Follow up', Due_Date: '2026-05-20', Created_Time: '2026-05-14T12:53:10+03:00' }] } }];
  await withProvider('zoho_crm', { credentials: { access_token: 'zoho-secret' }, context: { region: 'eu' } }, script(...replies), async ({ api, q, server }) => {
    const out = await api.create('crm', 'engagements', { engagement_type: 'task', subject: 'Follow up', start_time: '2026-05-20T09:00:00+02:00', account: { id: '55' } }, q);
    const [post, read] = server.requests;
    assert.equal(post.method, 'POST');
    assert.equal(post.path, '/crm/v8/Tasks');
    assert.equal(post.headers.authorization, 'Zoho-oauthtoken zoho-secret');
    assert.deepEqual(post.json, { data: [{ Subject: 'Follow up', Due_Date: '2026-05-20', What_Id: { id: '55' }, $se_module: 'Accounts' }] });
    assert.equal(read.method, 'GET');
    assert.equal(read.path, '/crm/v8/Tasks/7328395000000693003');
    assert.equal(out.id, 'task:7328395000000693003');
    assert.equal(out.created_at, '2026-05-14T09:53:10Z');
  });
});

test('close: a note on a lead, Basic auth with the API key', async () => {
  const recorded = await fixture('close/recorded.note.post.response.json');
  await withProvider('close', { credentials: { api_key: 'api_close_secret' } }, script({ status: 200, body: recorded }), async ({ api, q, server }) => {
    const out = await api.create('crm', 'engagements', { engagement_type: 'note', account: { id: recorded.lead_id }, content: 'Test note created by Nango action', subject: 'Title' }, q);
    const [req] = server.requests;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/api/v1/activity/note/');
    assert.equal(req.headers.authorization, basic('api_close_secret'));
    assert.deepEqual(req.json, { lead_id: recorded.lead_id, note: 'Test note created by Nango action', title: 'Title' });
    assert.equal(out.id, `note:${recorded.id}`);
    assert.deepEqual(out.account, { id: recorded.lead_id });
  });
});

test('close: _skip/_limit paging within a type', async () => {
  const call = (id) => ({ id, _type: 'Call', direction: 'inbound' });
  const replies = [{ status: 200, body: { data: [call('a'), call('b')], has_more: true } }, { status: 200, body: { data: [call('c')], has_more: false } }];
  await withProvider('close', { credentials: { api_key: 'k' } }, script(...replies), async ({ api, q, server }) => {
    const all = await api.list('crm', 'engagements', { ...q, engagement_type: 'call', limit: 2 }).toArray();
    assert.deepEqual(all.map((r) => r.id), ['call:a', 'call:b', 'call:c']);
    assert.deepEqual(server.requests.map((r) => [r.path, r.query._skip, r.query._limit]), [['/api/v1/activity/call/', '0', '2'], ['/api/v1/activity/call/', '2', '2']]);
  });
});

test('copper: a call looks up the account\'s Phone Call type first', async () => {
  const types = await fixture('copper/doc.activity_types.get.response.json');
  const created = await fixture('copper/doc.activities.get.response.json');
  const account = { credentials: { api_key: 'cu-secret' }, context: { user_email: 'owner@example.com' } };
  await withProvider('copper', account, script({ status: 200, body: types }, { status: 200, body: created }), async ({ api, q, server }) => {
    const out = await api.create('crm', 'engagements', { engagement_type: 'call', account: { id: '9607580' }, content: 'Demo phone call' }, q);
    const [lookup, post] = server.requests;
    assert.equal(lookup.method, 'GET');
    assert.equal(lookup.path, '/developer_api/v1/activity_types');
    for (const r of [lookup, post]) {
      assert.equal(r.headers['x-pw-accesstoken'], 'cu-secret');
      assert.equal(r.headers['x-pw-application'], 'developer_api');
      assert.equal(r.headers['x-pw-useremail'], 'owner@example.com');
    }
    assert.equal(post.method, 'POST');
    assert.equal(post.path, '/developer_api/v1/activities');
    assert.deepEqual(post.json, { details: 'Demo phone call', parent: { type: 'company', id: 9607580 }, type: { category: 'user', id: 190711 } });
    assert.equal(out.id, '3061844454');
    assert.equal(out.engagement_type, 'call');
  });
});

test('each provider refuses an engagement type it cannot store, before any request', async () => {
  const accounts = {
    hubspot: { credentials: { access_token: 't' } },
    salesforce: sfAccount,
    pipedrive: { credentials: { api_key: 'k' } },
    zoho_crm: { credentials: { access_token: 't' } },
    close: { credentials: { api_key: 'k' } },
    copper: { credentials: { api_key: 'k' }, context: { user_email: 'a@b.c' } },
  };
  for (const [provider, account] of Object.entries(accounts)) {
    await withProvider(provider, account, script({ status: 200, body: {} }), async ({ api, q, server }) => {
      const err = await api.create('crm', 'engagements', { engagement_type: 'chat', content: 'hi' }, q).catch((e) => e);
      assert.equal(err.statusCode, 400, provider);
      const detail = err.details.find((d) => d.field === 'body.engagement_type');
      assert.equal(detail?.code, 'not_one_of', provider);
      assert.equal(server.requests.length, 0, provider);
    });
  }
});
