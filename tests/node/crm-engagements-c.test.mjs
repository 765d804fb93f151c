// CRM engagements end to end for Zendesk Sell, Capsule, Affinity and OnePageCRM: the
// built npm package against loopback servers playing each provider. Asserts the exact
// request each one receives (method, path, query, auth header, JSON body), the unified
// result, paging across endpoints, validation before any request, and remote errors.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createClient, CrosswalkError } from 'crosswalk';
import { startServer, script, fixture, recordingSleep } from './helpers/server.mjs';

const basic = (user, pass) => 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');

async function withProvider(provider, handler, account, fn) {
  const server = await startServer(handler);
  const { sleep } = recordingSleep();
  const client = createClient({ accounts: [{ id: 'acc1', provider, base_url: server.origin, ...account }], sleep });
  try {
    await fn({ api: client.unifiedApi, server });
  } finally {
    await server.close();
  }
}

const q = { integrated_account_id: 'acc1' };

test('zendesk_sell: a call is POST /v2/calls with the {data} envelope', async () => {
  const reply = await fixture('zendesk_sell/assembled.calls.create.response.json');
  const expected = await fixture('zendesk_sell/community.calls.create.request.json');
  await withProvider('zendesk_sell', script({ status: 200, body: reply }), { credentials: { access_token: 'sell-token' } }, async ({ api, server }) => {
    const out = await api.create('crm', 'engagements', {
      engagement_type: 'call', content: 'Schedule another call.', owner: { id: '2344650' }, duration: 115,
      phone_numbers: [{ number: '+ 44-208-1234567' }], direction: 'outbound', contacts: [{ id: '298467616' }],
      start_time: '2021-04-21T11:08:56Z', remote_data: { data: { recording_url: expected.data.recording_url } },
    }, q);
    const [req] = server.requests;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/v2/calls');
    assert.equal(req.headers.authorization, 'Bearer sell-token');
    assert.deepEqual(req.json, expected);
    assert.equal(out.id, 'call:171');
    assert.equal(out.direction, 'outbound');
    assert.deepEqual(out.contacts, [{ id: '298467616' }]);
    assert.equal(out.start_time, '2021-04-21T11:08:56Z');
  });
});

test('zendesk_sell: list walks calls, notes and tasks with page/per_page', async () => {
  const page = (items, next) => ({ items: items.map((data) => ({ data, meta: { type: 'x' } })), meta: { type: 'collection', links: next ? { next_page: next } : {} } });
  const handler = (req) => {
    if (req.path === '/v2/calls' && req.query.page === '1') return { status: 200, body: page([{ id: 1 }], 'https://api.getbase.com/v2/calls?page=2') };
    if (req.path === '/v2/calls') return { status: 200, body: page([{ id: 2, missed: true }]) };
    if (req.path === '/v2/notes') return { status: 200, body: page([{ id: 3, content: 'n', resource_type: 'lead', resource_id: 9 }]) };
    return { status: 200, body: page([]) };
  };
  await withProvider('zendesk_sell', handler, { credentials: { access_token: 'sell-token' } }, async ({ api, server }) => {
    const all = await api.list('crm', 'engagements', { ...q, limit: 1 }).toArray();
    assert.deepEqual(server.requests.map((r) => r.url), [
      '/v2/calls?page=1&per_page=1', '/v2/calls?page=2&per_page=1', '/v2/notes?page=1&per_page=1', '/v2/tasks?page=1&per_page=1',
    ]);
    assert.ok(server.requests.every((r) => r.headers.authorization === 'Bearer sell-token'));
    assert.deepEqual(all.map((r) => [r.id, r.engagement_type]), [['call:1', 'call'], ['call:2', 'call'], ['note:3', 'note']]);
    assert.equal(all[1].direction, 'missed');
    assert.deepEqual(all[2].lead, [{ id: '9' }]);
  });
});

test('zendesk_sell: a meeting and two parents are rejected before any request', async () => {
  await withProvider('zendesk_sell', script({ status: 500 }), { credentials: { access_token: 't' } }, async ({ api, server }) => {
    await assert.rejects(api.create('crm', 'engagements', { engagement_type: 'meeting', content: 'x' }, q), (e) => {
      assert.ok(e instanceof CrosswalkError);
      assert.equal(e.details[0].field, 'body.engagement_type');
      assert.deepEqual(e.details[0].meta.allowed, ['call', 'note', 'task']);
      return true;
    });
    await assert.rejects(api.create('crm', 'engagements', { engagement_type: 'note', content: 'x', contacts: [{ id: '1' }], opportunity: { id: '2' } }, q), (e) => {
      assert.equal(e.details[0].code, 'conflict');
      assert.equal(e.details[0].field, 'body.opportunity');
      return true;
    });
    assert.equal(server.requests.length, 0);
  });
});

test('capsule: a call looks up its activity type, then creates the entry', async () => {
  const types = await fixture('capsule/doc.activitytypes.list.response.json');
  const created = { entry: { id: 102, type: 'note', activityType: { id: -3, name: 'Call' }, content: 'Rang', party: { id: 891, type: 'person' }, creator: { id: 61 } } };
  await withProvider('capsule', script({ status: 200, body: types }, { status: 201, body: created }), { credentials: { access_token: 'cap-token' } }, async ({ api, server }) => {
    const out = await api.create('crm', 'engagements', { engagement_type: 'call', content: 'Rang', contacts: [{ id: '891' }], start_time: '2015-12-07T16:54:27Z' }, q);
    const [lookup, post] = server.requests;
    assert.equal(lookup.method, 'GET');
    assert.equal(lookup.url, '/api/v2/activitytypes?perPage=100');
    assert.equal(lookup.headers.authorization, 'Bearer cap-token');
    assert.equal(post.method, 'POST');
    assert.equal(post.path, '/api/v2/entries');
    assert.equal(post.headers.authorization, 'Bearer cap-token');
    assert.deepEqual(post.json, { entry: { type: 'note', content: 'Rang', party: { id: 891 }, entryAt: '2015-12-07T16:54:27Z', activityType: { id: -3 } } });
    assert.equal(out.id, 'call:102');
    assert.equal(out.engagement_type, 'call');
    assert.deepEqual(out.owner, { id: '61' });
  });
});

test('capsule: a failed create after the lookup is a plain remote error (the lookup created nothing)', async () => {
  const types = await fixture('capsule/doc.activitytypes.list.response.json');
  await withProvider('capsule', script({ status: 200, body: types }, { status: 404, body: { message: 'party not found' } }), { credentials: { access_token: 't' } }, async ({ api, server }) => {
    await assert.rejects(api.create('crm', 'engagements', { engagement_type: 'meeting', content: 'x', contacts: [{ id: '5' }] }, q), (e) => {
      assert.equal(e.code, 'remote_error');
      assert.equal(e.statusCode, 404);
      assert.equal(e.remote.message, 'party not found');
      return true;
    });
    assert.equal(server.requests.length, 2);
  });
});

test('capsule: list follows Link headers on the account origin, then open tasks', async () => {
  const entries = await fixture('capsule/doc.entries.list.response.json');
  const tasks = await fixture('capsule/doc.tasks.list.response.json');
  const handler = (req) => {
    if (req.path === '/api/v2/entries' && !req.query.page) {
      return { status: 200, headers: { link: '<https://api.capsulecrm.com/api/v2/entries?page=2&perPage=2>; rel="next"' }, body: entries };
    }
    if (req.path === '/api/v2/entries') return { status: 200, body: { entries: [{ id: 13, type: 'email', subject: 'Hi' }] } };
    return { status: 200, body: tasks };
  };
  await withProvider('capsule', handler, { credentials: { access_token: 'cap-token' } }, async ({ api, server }) => {
    const all = await api.list('crm', 'engagements', { ...q, limit: 2 }).toArray();
    assert.deepEqual(server.requests.map((r) => r.url), [
      '/api/v2/entries?perPage=2', '/api/v2/entries?page=2&perPage=2', '/api/v2/tasks?perPage=2&status=open%2Cpending',
    ]);
    assert.deepEqual(all.map((r) => [r.id, r.engagement_type]), [['entry:12', 'task'], ['note:11', 'note'], ['email:13', 'email'], ['task:493', 'task']]);
  });
});

test('affinity: a note with every link, Basic auth with an empty user name', async () => {
  const reply = await fixture('affinity/doc.notes.create.response.json');
  const expected = await fixture('affinity/doc.notes.create.request.json');
  await withProvider('affinity', script({ status: 200, body: reply }), { credentials: { api_key: 'aff-key' } }, async ({ api, server }) => {
    const out = await api.create('crm', 'engagements', {
      engagement_type: 'note', content: expected.content, contacts: [{ id: '38706' }, { id: '624289' }], account: { id: '120611418' }, opportunity: { id: '167' },
    }, q);
    const [req] = server.requests;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/notes');
    assert.equal(req.headers.authorization, basic('', 'aff-key'));
    assert.deepEqual(req.json, expected);
    assert.equal(out.id, '22985');
    assert.equal(out.engagement_type, 'note');
    assert.deepEqual(out.opportunity, { id: '117' });
  });
});

test('affinity: list pages by page_token until the token is null', async () => {
  const page1 = { ...(await fixture('affinity/recorded.notes.list.response.json')), next_page_token: 'tok2' };
  const page2 = { notes: [], next_page_token: null };
  await withProvider('affinity', script({ status: 200, body: page1 }, { status: 200, body: page2 }), { credentials: { api_key: 'aff-key' } }, async ({ api, server }) => {
    const pages = [];
    for await (const p of api.list('crm', 'engagements', { ...q, contact_id: '7', limit: 2 }).pages()) pages.push(p);
    assert.deepEqual(server.requests.map((r) => r.url), ['/notes?person_id=7&page_size=2', '/notes?person_id=7&page_size=2&page_token=tok2']);
    assert.equal(pages.length, 2);
    assert.equal(pages[1].next_cursor, null);
  });
});

test('onepagecrm: a task is a timed action; Basic user_id:api_key', async () => {
  const action = { id: 'a1', assignee_id: 'u2', contact_id: 'c1', text: 'Email Jane', status: 'date_time', date: '2018-05-16', exact_time: 1526472000 };
  await withProvider('onepagecrm', script({ status: 201, body: { status: 0, message: 'OK', data: { action } } }), { credentials: { api_key: 'opc-key' }, context: { user_id: 'u1' } }, async ({ api, server }) => {
    const out = await api.create('crm', 'engagements', { engagement_type: 'task', contacts: [{ id: 'c1' }], content: 'Email Jane', owner: { id: 'u2' }, start_time: '2018-05-16T12:00:00Z' }, q);
    const [req] = server.requests;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/api/v3/actions');
    assert.equal(req.headers.authorization, basic('u1', 'opc-key'));
    assert.deepEqual(req.json, { contact_id: 'c1', text: 'Email Jane', assignee_id: 'u2', status: 'date_time', date: '2018-05-16', exact_time: 1526472000 });
    assert.equal(out.engagement_type, 'task');
    assert.equal(out.start_time, '2018-05-16T12:00:00Z');
  });
});

test('onepagecrm: list walks calls, meetings, notes, actions with page/max_page; 401 is a remote error', async () => {
  const env = (plural, items, page = 1, max_page = 1) => ({ status: 0, data: { [plural]: items, page, per_page: 10, max_page } });
  const handler = (req) => {
    const plural = req.path.split('/').pop();
    const singular = { calls: 'call', meetings: 'meeting', notes: 'note', actions: 'action' }[plural];
    if (plural === 'calls' && req.query.page === '1') return { status: 200, body: env('calls', [{ call: { id: 'k1', contact_id: 'c1' } }], 1, 2) };
    if (plural === 'calls') return { status: 200, body: env('calls', [{ call: { id: 'k2', contact_id: 'c1' } }], 2, 2) };
    if (plural === 'notes') return { status: 200, body: env('notes', [{ note: { id: 'n1', contact_id: 'c1' } }]) };
    return { status: 200, body: env(plural, [], 1, 0) };
  };
  await withProvider('onepagecrm', handler, { credentials: { api_key: 'k' }, context: { user_id: 'u' } }, async ({ api, server }) => {
    const all = await api.list('crm', 'engagements', { ...q, contact_id: 'c1' }).toArray();
    assert.deepEqual(server.requests.map((r) => `${r.path}?${new URLSearchParams(r.query)}`), [
      '/api/v3/calls?contact_id=c1&page=1&per_page=10', '/api/v3/calls?contact_id=c1&page=2&per_page=10',
      '/api/v3/meetings?contact_id=c1&page=1&per_page=10', '/api/v3/notes?contact_id=c1&page=1&per_page=10',
      '/api/v3/actions?contact_id=c1&page=1&per_page=10',
    ]);
    assert.deepEqual(all.map((r) => [r.id, r.engagement_type]), [['call:k1', 'call'], ['call:k2', 'call'], ['note:n1', 'note']]);
  });
  const unauthorized = await fixture('onepagecrm/doc.error.unauthorized.response.json');
  await withProvider('onepagecrm', script({ status: 401, body: unauthorized }), { credentials: { api_key: 'wrong-key-123' }, context: { user_id: 'u' } }, async ({ api }) => {
    await assert.rejects(api.get('crm', 'engagements', 'x', { ...q, engagement_type: 'note' }), (e) => {
      assert.equal(e.statusCode, 401);
      assert.equal(e.truto_is_remote_error, true);
      assert.equal(e.remote.message, 'Authorization data not found');
      assert.ok(!JSON.stringify(e.toJSON()).includes('wrong-key-123'), 'the key never appears in errors');
      return true;
    });
  });
});
