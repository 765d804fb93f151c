// remote_data by reference: the driver keeps each response body and attaches a
// record's remote_data from it (parsed on first read) instead of receiving every
// raw record back from the core. What a caller sees must not change.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'crosswalk';
import { fixture, recordingSleep } from './helpers/server.mjs';

const json = (value, status = 200, headers = {}) => new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json', ...headers } });

/** A Greenhouse v3 page of `n` interviews and its lookups; the page is answered 429 once first. */
async function greenhouse(n) {
  const example = (await fixture('greenhouse/doc.v3.interviews.list.response.json'))[0];
  const items = Array.from({ length: n }, (_, i) => ({ ...example, id: 700 + i, application_id: 50 + i, location: `Room ${i} — ünïcode ✓` }));
  let busy = true;
  const fetch = async (url) => {
    const u = new URL(url);
    if (u.pathname === '/v3/interviews') {
      if (busy) {
        busy = false;
        return json({ error: 'slow down' }, 429, { 'retry-after': '1' });
      }
      return json(items);
    }
    const ids = (u.searchParams.get('interview_ids') ?? u.searchParams.get('ids') ?? '').split(',').filter(Boolean).map(Number);
    if (u.pathname === '/v3/interviewers') return json(ids.map((id) => ({ id: id * 2, interview_id: id, user_id: 9, email: 'p@example.com' })));
    if (u.pathname === '/v3/applications') return json(ids.map((id) => ({ id, candidate_id: id + 1000 })));
    return json([]);
  };
  const client = createClient({ accounts: [{ id: 'gh', provider: 'greenhouse', credentials: { access_token: 'gh-token-123456' } }], fetch, sleep: recordingSleep().sleep });
  return { client, items };
}

test('each record’s remote_data is its raw item, after a retry and the lookups', async () => {
  const { client, items } = await greenhouse(60);
  const records = await client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'gh', max_pages: 1 }).toArray();
  assert.equal(records.length, 60);
  records.forEach((r, i) => {
    assert.ok(Object.keys(r).includes('remote_data'));
    assert.deepEqual(r.remote_data, items[i]);
    assert.equal(r.remote_data, r.remote_data, 'read once, then the same object');
    assert.equal(r.candidate.id, String(items[i].application_id + 1000));
  });
  assert.deepEqual(JSON.parse(JSON.stringify(records[3])).remote_data, items[3]);
  assert.deepEqual(structuredClone(records[4]).remote_data, items[4]);
  assert.deepEqual({ ...records[5] }.remote_data, items[5]);
});

test('remote_data on records never read is still there when serialized; it can be replaced', async () => {
  const { client, items } = await greenhouse(3);
  const page = await client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'gh' });
  assert.equal(page.remote_data_ref, undefined, 'the reference is the driver’s, not the page’s');
  const text = JSON.stringify(page);
  assert.deepEqual(JSON.parse(text).result.map((r) => r.remote_data), items);
  page.result[0].remote_data = { replaced: true };
  assert.deepEqual(page.result[0].remote_data, { replaced: true });
  delete page.result[1].remote_data;
  assert.equal('remote_data' in page.result[1], false);
});

test('a keyed page and an excluded remote_data field keep what the core returns inline', async () => {
  const { client, items } = await greenhouse(2);
  const keyed = await client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'gh', truto_key_by: 'id' });
  assert.deepEqual(keyed.result[String(items[1].id)].remote_data, items[1]);
  const trimmed = await client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'gh', truto_exclude_fields: 'remote_data.location' });
  assert.equal(trimmed.result[0].remote_data.location, undefined);
  assert.equal(trimmed.result[0].remote_data.id, items[0].id);
  const none = await client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'gh', truto_ignore_remote_data: true });
  assert.equal('remote_data' in none.result[0], false);
});
