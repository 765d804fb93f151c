// ATZ CRM activities through the built npm package against a loopback server:
// exact requests (JSON and multipart with a real file), seed-001 validation before
// any request, remote errors, and page-number paging.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createClient, CrosswalkError } from 'crosswalk';
import { startServer, script, fixture } from './helpers/server.mjs';

const TOKEN = 'atz-secret-token';

async function withAtz(handler, fn) {
  const server = await startServer(handler);
  const client = createClient({
    accounts: [{ id: 'acc1', provider: 'atz_crm', base_url: server.origin, credentials: { access_token: TOKEN } }],
    sleep: async () => {},
  });
  try {
    await fn({ client, server });
  } finally {
    await server.close();
  }
}

const q = { integrated_account_id: 'acc1' };
const meeting = { engagement_type: 'meeting', subject: 'Team Sync', start_time: '2024-06-15T10:00:00Z', end_time: '2024-06-15T11:00:00Z' };

test('atz_crm: the seed request example reaches the server exactly; the seed response maps back', async () => {
  const resp = await fixture('atz_crm/doc.activity.post.response.json');
  await withAtz(script({ status: 200, body: resp }), async ({ client, server }) => {
    const out = await client.unifiedApi.create('crm', 'engagements', {
      engagement_type: 'task', subject: 'Client Demo Call', content: 'Discuss product demo and onboarding',
      start_time: '2026-04-25T10:00:00Z', end_time: '2026-04-25T11:00:00Z', contacts: [{ id: 'contact_d86c343cf49040381fc7' }],
      remote_data: {
        related_to_entity: 1, related_to: 'candidate_2f0ea5cd69a6cd6c7163', collaborators: '1',
        candidates_as_attendees: 'candidate_2f0ea5cd69a6cd6c7163', users_as_attendees: '1', meeting_link: 'https://meet.google.com/xyz-abcd-efg',
        importance: 'normal', location: 'Zoom', do_not_send_calendar_invite: true, mark_as_done: false, attachment: 'https://example.com/files/sample-agenda.pdf',
      },
    }, q);
    const [req] = server.requests;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/v1/activity');
    assert.equal(req.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(req.headers['content-type'], 'application/json');
    assert.deepEqual(req.json, await fixture('atz_crm/doc.activity.post.request.json'));
    assert.equal(out.id, '42');
    assert.equal(out.engagement_type, 'meeting');
    assert.equal(out.start_time, '2024-06-15T10:00:00Z');
    assert.equal(out.end_time, '2024-06-15T11:00:00Z');
    assert.deepEqual(out.owner, { id: '1' });
    assert.deepEqual(out.remote_data, resp);
  });
});

test('atz_crm: a file attachment arrives intact as multipart/form-data', async () => {
  const bytes = new Uint8Array(3000).map((_, i) => (i * 7 + 3) % 256);
  let form;
  const handler = async (req) => {
    form = await new Response(req.raw, { headers: { 'content-type': req.headers['content-type'] } }).formData();
    return { status: 200, body: await fixture('atz_crm/doc.activity.post.response.json') };
  };
  await withAtz(handler, async ({ client, server }) => {
    const file = new File([bytes], 'agenda.pdf', { type: 'application/pdf' });
    await client.unifiedApi.create('crm', 'engagements', {
      ...meeting, contacts: [{ id: 'contact_a' }],
      remote_data: { attachment: file, mark_as_done: true, do_not_send_calendar_invite: false, collaborators: '1,2', location: 'Room 4' },
    }, q);
    const [req] = server.requests;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/v1/activity');
    assert.equal(req.headers.authorization, `Bearer ${TOKEN}`);
    assert.match(req.headers['content-type'], /^multipart\/form-data; boundary=/);
    const fields = Object.fromEntries([...form.entries()].filter(([, v]) => typeof v === 'string'));
    assert.deepEqual(fields, {
      title: 'Team Sync', activity_type_id: '2', related_to_entity: '4', related_to: 'contact_a', collaborators: '1,2',
      start_datetime: '2024-06-15T10:00:00Z', end_datetime: '2024-06-15T11:00:00Z', contacts_as_attendees: 'contact_a',
      importance: 'high', location: 'Room 4', do_not_send_calendar_invite: '0', mark_as_done: '1',
    });
    const got = form.get('attachment');
    assert.equal(got.name, 'agenda.pdf');
    assert.equal(got.type, 'application/pdf');
    assert.deepEqual(new Uint8Array(await got.arrayBuffer()), bytes);
  });
});

test('atz_crm: every broken rule is reported at once and nothing is sent', async () => {
  await withAtz(script({ status: 200, body: {} }), async ({ client, server }) => {
    await assert.rejects(
      client.unifiedApi.create('crm', 'engagements', {
        engagement_type: 'call', subject: 'x'.repeat(101), start_time: '2024-06-15T10:00:00Z', end_time: '2024-06-15T09:00:00Z',
        remote_data: { related_to_entity: 6, related_to: 'c', collaborators: '1, 2', meeting_link: 'meet.google.com', importance: 'urgent', location: 'l'.repeat(51), mark_as_done: 'no', attachment: 'x'.repeat(351) },
      }, q),
      (e) => {
        assert.ok(e instanceof CrosswalkError);
        assert.equal(e.statusCode, 400);
        assert.deepEqual(e.details.map((d) => `${d.field}:${d.code}`).sort(), [
          'body.end_time:invalid_order', 'body.engagement_type:not_one_of', 'body.remote_data.attachment:too_long',
          'body.remote_data.collaborators:invalid_format', 'body.remote_data.importance:not_one_of', 'body.remote_data.location:too_long',
          'body.remote_data.mark_as_done:invalid_type', 'body.remote_data.meeting_link:invalid_format', 'body.remote_data.related_to_entity:not_one_of',
          'body.subject:too_long',
        ]);
        return true;
      },
    );
    assert.equal(server.requests.length, 0);
  });
});

test('atz_crm: 400 and 401 come back as remote errors', async () => {
  await withAtz(script({ status: 401, headers: { 'content-type': 'text/plain' }, body: 'Unauthorized' }), async ({ client }) => {
    const err = await client.unifiedApi.create('crm', 'engagements', meeting, q).catch((e) => e);
    assert.equal(err.statusCode, 401);
    assert.equal(err.truto_is_remote_error, true);
    assert.equal(err.toJSON().remote.message, 'Unauthorized');
    assert.ok(!JSON.stringify(err.toJSON()).includes(TOKEN));
  });
  await withAtz(script({ status: 400, body: { message: 'The related to field is invalid.' } }), async ({ client }) => {
    const err = await client.unifiedApi.create('crm', 'engagements', meeting, q).catch((e) => e);
    assert.equal(err.statusCode, 400);
    assert.equal(err.toJSON().remote.message, 'The related to field is invalid.');
  });
});

test('atz_crm: list follows page numbers to the last page', async () => {
  const p1 = await fixture('atz_crm/assembled.activity.list.page1.response.json');
  const p2 = await fixture('atz_crm/assembled.activity.list.page2.response.json');
  await withAtz(script({ status: 200, body: p1 }, { status: 200, body: p2 }), async ({ client, server }) => {
    const ids = [];
    for await (const r of client.unifiedApi.list('crm', 'engagements', { ...q, engagement_type: 'meeting', contact_id: 'contact_1' })) ids.push(r.id);
    assert.deepEqual(ids, ['41', '42', '43']);
    assert.deepEqual(server.requests.map((r) => r.query), [
      { page: '1', limit: '25', activity_type_id: '2', related_to_entity: '4', related_to: 'contact_1' },
      { page: '2', limit: '25', activity_type_id: '2', related_to_entity: '4', related_to: 'contact_1' },
    ]);
    assert.ok(server.requests.every((r) => r.method === 'GET' && r.path === '/v1/activity' && r.headers.authorization === `Bearer ${TOKEN}`));
  });
});
