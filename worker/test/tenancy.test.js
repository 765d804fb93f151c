// Tenants: each API token belongs to one tenant (API_TOKENS `tenant:token`; a bare
// token is tenant `default`). A tenant reaches only its own integrated accounts,
// idempotency keys and sync budgets; another tenant's account id answers exactly
// like an id that does not exist (404), never a 403 that would confirm it.
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { env } from 'cloudflare:test';
import { call, callWith, fakeUpstream, accountKey, budgetScope, budgets, basic, LEVER_NOTE, TOKEN, BETA, BETA_2 } from './helpers.js';

const A = TOKEN; // tenant default
const B = BETA; // tenant beta
let upstream;
afterEach(() => upstream?.restore());

const create = (token, body) => call('/integrated-accounts', { method: 'POST', token, body });

beforeAll(async () => {
  expect((await create(B, { id: 'b-lever', provider: 'lever', credentials: { api_key: 'b-secret' }, context: { team: 'B' } })).status).toBe(201);
  expect((await create(B, { id: 'b-li', provider: 'linkedin', credentials: { access_token: 'b-li-token' }, context: { organization_urn: 'urn:li:organization:9' } })).status).toBe(201);
});

describe('tenant isolation', () => {
  it("A cannot list, get or delete B's account; the 404 is the same as for an id that does not exist", async () => {
    const before = await env.ACCOUNTS.get(accountKey('b-lever', 'beta'));
    const list = await call('/integrated-accounts', { token: A });
    expect(list.status).toBe(200);
    expect(list.json.result.map((a) => a.id)).not.toContain('b-lever');
    const listB = await call('/integrated-accounts', { token: B });
    expect(listB.json.result.map((a) => a.id).sort()).toEqual(['b-li', 'b-lever'].sort());

    const missing = await call('/integrated-accounts/never-created', { token: A });
    const get = await call('/integrated-accounts/b-lever', { token: A });
    const del = await call('/integrated-accounts/b-lever', { method: 'DELETE', token: A });
    for (const r of [get, del]) {
      expect(r.status).toBe(404);
      expect(r.json).toEqual({ ...missing.json, message: missing.json.message.replace('never-created', 'b-lever') });
      expect(r.text).not.toContain('b-secret');
    }
    expect(await env.ACCOUNTS.get(accountKey('b-lever', 'beta'))).toBe(before);
    expect((await call('/integrated-accounts/b-lever', { token: BETA_2 })).json.context).toEqual({ team: 'B' });
  });

  it("A cannot use B's account on any unified route; the provider is never called", async () => {
    upstream = fakeUpstream({ status: 201, body: LEVER_NOTE });
    const q = 'integrated_account_id=b-lever';
    const routes = [
      ['GET', `/unified/ats/activities?${q}&candidate_id=opp-1`],
      ['POST', `/unified/ats/activities?${q}`, { candidate_id: 'opp-1', body: 'hi' }],
      ['GET', `/unified/ats/activities/n1?${q}&candidate_id=opp-1`],
      ['PATCH', `/unified/ats/activities/n1?${q}`, { body: 'x' }],
      ['DELETE', `/unified/ats/activities/n1?${q}&candidate_id=opp-1`],
      ['GET', `/unified/ats/activities/meta/create?${q}`],
    ];
    for (const [method, path, body] of routes) {
      // The same answer A gets for an id no tenant has.
      const ghost = await call(path.replace('b-lever', 'ghost-acc'), { method, token: A, body });
      const r = await call(path, { method, token: A, body, headers: method === 'POST' ? { 'idempotency-key': 'k-iso' } : {} });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.json.code).toBe(ghost.json.code);
      expect(r.text.replaceAll('b-lever', 'ghost-acc')).toBe(ghost.text);
    }
    expect(upstream.requests).toHaveLength(0);
    // B itself reaches it.
    const own = await call(`/unified/ats/activities?${q}`, { method: 'POST', token: B, body: { candidate_id: 'opp-1', body: 'hi' } });
    expect(own.status).toBe(201);
    expect(upstream.requests[0].headers.authorization).toBe(basic('b-secret'));
  });

  it("the same id in two tenants is two accounts; A's create does not touch B's, and A's delete removes only A's", async () => {
    const before = await env.ACCOUNTS.get(accountKey('b-lever', 'beta'));
    const mine = await create(A, { id: 'b-lever', provider: 'sandbox', context: { team: 'A' } });
    expect(mine.status).toBe(201);
    expect((await call('/integrated-accounts/b-lever', { token: A })).json).toMatchObject({ provider: 'sandbox', context: { team: 'A' } });
    expect((await call('/integrated-accounts/b-lever', { token: B })).json).toMatchObject({ provider: 'lever', context: { team: 'B' }, credentials_set: ['api_key'] });
    expect((await create(A, { id: 'b-lever', provider: 'lever', credentials: { api_key: 'stolen' } })).status).toBe(409);
    expect((await call('/integrated-accounts/b-lever', { method: 'DELETE', token: A })).status).toBe(200);
    expect(await env.ACCOUNTS.get(accountKey('b-lever', 'beta'))).toBe(before);
    expect((await call('/integrated-accounts/b-lever', { token: B })).status).toBe(200);
  });

  it("A cannot sync through B's account, nor read or reset B's budget", async () => {
    upstream = fakeUpstream({ status: 200, body: { results: {}, errors: {} } });
    const budget = { version: 1, day_start_ms: Date.UTC(2026, 0, 1), requests_today: 99_999, minute: [] };
    await budgets(budgetScope('b-li', 'beta')).setBudget(budget);
    const record = { application_id: 'A1', id: 'n1', body: 'x', created_at: '2024-06-15T10:00:00Z', author: { first_name: 'A', last_name: 'B' } };
    const ghost = await call('/unified/ats/activities/sync?integrated_account_id=ghost-acc', { method: 'POST', token: A, body: { records: [record] } });
    const r = await call('/unified/ats/activities/sync?integrated_account_id=b-li', { method: 'POST', token: A, body: { records: [record] } });
    expect(r.status).toBe(404);
    expect(r.text.replaceAll('b-li', 'ghost-acc')).toBe(ghost.text);
    const reset = await call('/unified/ats/activities/sync?integrated_account_id=b-li', { method: 'POST', token: A, body: { records: [record], budget: null } });
    expect(reset.status).toBe(400);
    expect(upstream.requests).toHaveLength(0);
    expect(await budgets(budgetScope('b-li', 'beta')).budget()).toEqual(budget);
    // A's own account of the same id has its own budget.
    await create(A, { id: 'b-li', provider: 'linkedin', credentials: { access_token: 'a-li' }, context: { organization_urn: 'urn:li:organization:1' } });
    const mine = await call('/unified/ats/activities/sync?integrated_account_id=b-li', { method: 'POST', token: A, body: { records: [] } });
    expect(mine.status).toBe(200);
    expect(await budgets(budgetScope('b-li', 'beta')).budget()).toEqual(budget);
  });
});

describe('tenants in API_TOKENS', () => {
  it('`tenant:token` entries; several tokens per tenant; bare tokens are tenant default', async () => {
    const vars = { API_TOKENS: 'acme:tok-a1, acme:tok-a2,globex:tok-g1 tok-bare' };
    await callWith(vars, '/integrated-accounts', { method: 'POST', token: 'tok-a1', body: { id: 'acme-1', provider: 'sandbox' } });
    expect((await callWith(vars, '/integrated-accounts/acme-1', { token: 'tok-a2' })).status).toBe(200);
    expect((await callWith(vars, '/integrated-accounts/acme-1', { token: 'tok-g1' })).status).toBe(404);
    expect((await callWith(vars, '/integrated-accounts/acme-1', { token: 'tok-bare' })).status).toBe(404);
    expect(await env.ACCOUNTS.get(accountKey('acme-1', 'acme'))).not.toBeNull();
    // The whole entry is not a token: only the part after `tenant:` is.
    expect((await callWith(vars, '/providers', { token: 'acme:tok-a1' })).status).toBe(401);
  });

  it('an entry with an invalid tenant name, or a token under two tenants, authenticates nobody', async () => {
    const vars = { API_TOKENS: 'Acme:tok-up, a b:tok-sp, :tok-empty, x:, good:tok-ok, t1:tok-dup, t2:tok-dup' };
    for (const token of ['tok-up', 'tok-empty', 'tok-dup', 'Acme:tok-up']) {
      expect((await callWith(vars, '/providers', { token })).status, token).toBe(401);
    }
    expect((await callWith(vars, '/providers', { token: 'tok-ok' })).status).toBe(200);
    const long = 'a'.repeat(65);
    expect((await callWith({ API_TOKENS: `${long}:tok-long` }, '/providers', { token: 'tok-long' })).status).toBe(401);
    expect((await callWith({ API_TOKENS: `${'a'.repeat(64)}:tok-64` }, '/providers', { token: 'tok-64' })).status).toBe(200);
  });
});
