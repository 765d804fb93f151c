// POST /unified/{model}/{resource}/sync: the LinkedIn bulk sync as a Truto-style
// custom method, with the throttle budget kept by the Worker per LinkedIn
// application in a Durable Object (never taken from the caller).
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { env } from 'cloudflare:test';
import { call, callWith, putAccount, fakeUpstream , budgetScope, budgets } from './helpers.js';

const Q = 'integrated_account_id=li';
let upstream;

beforeAll(async () => {
  await putAccount({ id: 'li', provider: 'linkedin', credentials: { access_token: 'li-secret-token' }, context: { organization_urn: 'urn:li:organization:123' } });
});
afterEach(() => upstream?.restore());

const note = (app, i) => ({ application_id: app, id: `n${i}`, body: `note ${i}`, created_at: '2024-06-15T10:00:00Z', author: { first_name: 'Angela', last_name: 'Smith' } });

/** LinkedIn's batch answer: every entity in the request body succeeded, except ids listed in `fail`. */
function linkedin(fail = []) {
  return (req) => {
    const ids = Object.keys(JSON.parse(req.body).entities);
    const results = {};
    const errors = {};
    for (const id of ids) {
      if (fail.includes(id)) errors[id] = { status: 422, message: `bad note ${id}` };
      else results[id] = { status: 204 };
    }
    return { status: 200, body: { results, errors } };
  };
}

describe('sync', () => {
  it('sends batches of at most 100 per application and reports every record', async () => {
    upstream = fakeUpstream(linkedin(['n7']));
    const records = [...Array.from({ length: 120 }, (_, i) => note('A', i)), note('B', 500), { ...note('B', 501), author: { first_name: 'X' } }];
    // 122 records are more than the tests' 4 KB body cap: raise it for this call.
    const res = await callWith({ MAX_BODY_BYTES: '1048576' }, `/unified/ats/activities/sync?${Q}`, { method: 'POST', body: { records } });
    expect(res.status).toBe(200);
    const report = res.json.result;
    expect(report.counts).toEqual({ synced: 120, failed: 1, not_sent: 1 });
    expect(report.counts.synced + report.counts.failed + report.counts.not_sent).toBe(records.length);
    expect(upstream.requests.map((r) => r.method)).toEqual(['PUT', 'PUT', 'PUT']);
    expect(upstream.requests[0].url).toContain('/v2/atsApplications/atsJobApplicationId=A&dataProvider=ATS&integrationContext=urn%3Ali%3Aorganization%3A123/notes?ids=n0&');
    expect(Object.keys(JSON.parse(upstream.requests[0].body).entities)).toHaveLength(100);
    expect(res.text).not.toContain('li-secret-token');
    // The budget is kept (this account names no application: its own scope).
    const saved = await budgets(budgetScope('li')).budget();
    expect(saved).toEqual(report.budget);
  });

  it('a saved budget carries over: an exhausted daily window stops the next call with retry_at', async () => {
    upstream = fakeUpstream(linkedin());
    const first = await call(`/unified/ats/activities/sync?${Q}`, { method: 'POST', body: { records: [note('C', 1)] } });
    expect(first.json.result.counts.synced).toBe(1);
    const budget = first.json.result.budget;
    const exhausted = { ...budget, requests_today: 100_000 };
    await budgets(budgetScope('li')).setBudget(exhausted);
    const second = await call(`/unified/ats/activities/sync?${Q}`, { method: 'POST', body: { records: [note('C', 2)] } });
    expect(second.status).toBe(200);
    expect(second.json.result.counts).toEqual({ synced: 0, failed: 0, not_sent: 1 });
    expect(second.json.result.not_sent[0].reason).toBe('budget_exhausted');
    expect(typeof second.json.result.not_sent[0].retry_at).toBe('string');
    expect(upstream.requests).toHaveLength(1);
  });

  it('a budget in the body is refused (400 body.budget), nothing is sent and the stored budget is unchanged', async () => {
    upstream = fakeUpstream(linkedin());
    const stored = { day_start_ms: Date.now(), requests_today: 100_000, minute_start_ms: Date.now(), requests_this_minute: 0 };
    await budgets(budgetScope('li')).setBudget(stored);
    for (const budget of [null, {}, { ...stored, requests_today: 0 }]) {
      const r = await call(`/unified/ats/activities/sync?${Q}`, { method: 'POST', body: { records: [note('D', 1)], budget } });
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ statusCode: 400, code: 'validation_failed' });
      expect(r.json.details).toEqual([expect.objectContaining({ field: 'body.budget', code: 'not_allowed' })]);
    }
    expect(upstream.requests).toHaveLength(0);
    expect(await budgets(budgetScope('li')).budget()).toEqual(stored);
    await budgets(budgetScope('li')).setBudget(null);
  });

  it('refuses a body without records and unknown accounts, in the error shape', async () => {
    const bad = await call(`/unified/ats/activities/sync?${Q}`, { method: 'POST', body: { notes: [] } });
    expect(bad.status).toBe(400);
    expect(bad.json.details[0].field).toBe('body.records');
    const unknown = await call('/unified/ats/activities/sync?integrated_account_id=nope', { method: 'POST', body: { records: [] } });
    expect(unknown.status).toBe(404);
    const noAuth = await call(`/unified/ats/activities/sync?${Q}`, { method: 'POST', body: { records: [] }, token: null });
    expect(noAuth.status).toBe(401);
  });

  it('accounts of one LinkedIn application share its budget, and two syncs on it at once are not both run', async () => {
    const li = (id) => ({ id, provider: 'linkedin', credentials: { client_id: 'li-app-7', client_secret: 'li-app-secret', access_token: `tok-${id}` }, context: { organization_urn: 'urn:li:organization:9' } });
    await putAccount(li('li-one'));
    await putAccount(li('li-two'));
    upstream = fakeUpstream(async (req) => {
      await new Promise((r) => setTimeout(r, 50));
      return linkedin()(req);
    });
    const sync = (id, n) => call(`/unified/ats/activities/sync?integrated_account_id=${id}`, { method: 'POST', body: { records: [note('E', n)] } });
    const first = await sync('li-one', 1);
    expect(first.json.result.counts.synced).toBe(1);
    const app = budgets('default\napp:li-app-7');
    expect((await app.budget()).requests_today).toBe(1);
    expect((await sync('li-two', 2)).json.result.counts.synced).toBe(1);
    expect((await app.budget()).requests_today).toBe(2);
    // Concurrent: one runs, the other is told to come back (nothing is lost or double-spent).
    const both = await Promise.all([sync('li-one', 3), sync('li-two', 4)]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(both.find((r) => r.status === 409).json.code).toBe('sync_in_progress');
    expect((await app.budget()).requests_today).toBe(3);
  });
});
