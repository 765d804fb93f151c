// One token authority per account (tokens.js): renewals are single-flight across
// concurrent requests, stored sealed before use, survive the object's memory, and a
// refused renewal marks the account needs_reauth. Plus the connect flow (connect.js).
import { describe, it, expect, afterEach } from 'vitest';
import { env, runInDurableObject, SELF } from 'cloudflare:test';
import { call, callWith, putAccount, fakeUpstream } from './helpers.js';

const past = () => new Date(Date.now() - 60_000).toISOString();
const LIST = (id) => `/unified/crm/engagements?integrated_account_id=${id}&engagement_type=call`;
const stub = (id, tenant = 'default') => env.ACCOUNT_TOKENS.get(env.ACCOUNT_TOKENS.idFromName(`${tenant}\n${id}`));

let upstream;
afterEach(() => upstream?.restore());

/** HubSpot's token endpoint (rotating refresh tokens, a used one refused) and its API. */
function hubspot({ live = new Set(), refresh = { current: 'r0' } } = {}) {
  const counts = { token: 0 };
  upstream = fakeUpstream(async (req) => {
    if (req.url === 'https://api.hubapi.com/oauth/v3/token') {
      counts.token++;
      const form = new URLSearchParams(req.body);
      if (form.get('client_secret') !== 'hs-app-secret-1') return { status: 401, body: { error: 'invalid_client' } };
      if (form.get('grant_type') === 'authorization_code') {
        if (form.get('code') !== 'good-code' || !form.get('code_verifier')) return { status: 400, body: { error: 'invalid_grant' } };
      } else if (form.get('refresh_token') !== refresh.current) {
        return { status: 400, body: { error: 'invalid_grant', error_description: 'refresh token already used' } };
      }
      await new Promise((r) => setTimeout(r, 30));
      const n = counts.token;
      refresh.current = `r${n}`;
      live.add(`access-${n}`);
      return { status: 200, body: { access_token: `access-${n}`, refresh_token: `r${n}`, expires_in: 1800, token_type: 'bearer' } };
    }
    const token = (req.headers.authorization ?? '').replace('Bearer ', '');
    return live.has(token) ? { status: 200, body: { results: [] } } : { status: 401, body: { category: 'EXPIRED_AUTHENTICATION' } };
  });
  return { counts, live, refresh };
}

describe('token authority per account', () => {
  it('20 concurrent requests on an expired account: one renewal, all succeed; the tokens are sealed in the object', async () => {
    await putAccount({ id: 'hs-exp', provider: 'hubspot', credentials: { access_token: 'old-access', refresh_token: 'r0', expires_at: past() } });
    const { counts, live } = hubspot();
    const answers = await Promise.all(Array.from({ length: 20 }, () => callWith({}, LIST('hs-exp'))));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(counts.token).toBe(1);
    expect(await stub('hs-exp').renewals()).toBe(1);
    // At rest: the object's storage holds the tokens sealed, never in the clear.
    await runInDurableObject(stub('hs-exp'), (obj) => {
      const raw = JSON.stringify(obj.ctx.storage.kv.get('tokens'));
      expect(raw).not.toContain('access-1');
      expect(raw).not.toContain('"r1"');
      expect(raw).toContain('"kid"');
    });
    // The object's memory dropped (as after a restart): a caller holding the old
    // token gets the stored one, with no second renewal.
    await runInDurableObject(stub('hs-exp'), async (obj) => {
      obj.renewing = null;
      const account = { id: 'hs-exp', provider: 'hubspot', credentials: { access_token: 'old-access', refresh_token: 'r0', expires_at: past() }, context: {} };
      const got = await obj.renew({ tenant: 'default', account, stale: account.credentials });
      expect(got.credentials.access_token).toBe('access-1');
    });
    expect(counts.token).toBe(1);
    // The provider revokes the token: 20 concurrent 401s lead to one renewal with the rotated refresh token.
    live.clear();
    const again = await Promise.all(Array.from({ length: 20 }, () => callWith({}, LIST('hs-exp'))));
    expect(again.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(counts.token).toBe(2);
    const listed = await call('/integrated-accounts');
    expect(listed.json.result.find((a) => a.id === 'hs-exp').status).toBe('active');
  });

  it('a refused renewal is reauth_required and the account shows needs_reauth with the error', async () => {
    await putAccount({ id: 'hs-dead', provider: 'hubspot', credentials: { access_token: 'old', refresh_token: 'used-already', expires_at: past() } });
    const { counts } = hubspot();
    const answers = await Promise.all(Array.from({ length: 5 }, () => callWith({}, LIST('hs-dead'))));
    for (const a of answers) {
      expect(a.status).toBe(401);
      expect(a.json.code).toBe('reauth_required');
      expect(a.text).not.toContain('used-already');
      expect(a.text).not.toContain('hs-app-secret-1');
    }
    expect(counts.token).toBe(1);
    const shown = await call('/integrated-accounts/hs-dead');
    expect(shown.json.status).toBe('needs_reauth');
    expect(shown.json.last_error).toMatch(/invalid_grant/);
    expect(shown.json.status_at).toBeTruthy();
  });
});

describe('connect flow', () => {
  it('authorize URL with PKCE and a sealed state; the callback stores the tokens; the account works', async () => {
    const started = await call('/connect/hubspot', { method: 'POST', body: { integrated_account_id: 'hs-new', return_to: '/' } });
    expect(started.status).toBe(200);
    const url = new URL(started.json.url);
    expect(url.origin + url.pathname).toBe('https://app.hubspot.com/oauth/authorize');
    expect(url.searchParams.get('client_id')).toBe('hs-app');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('redirect_uri')).toBe('https://crosswalk.test/connect/callback');
    const state = url.searchParams.get('state');
    expect(state).not.toContain('hs-new');
    const { counts } = hubspot();
    // A changed state is refused, and nothing is exchanged.
    const forged = await call(`/connect/callback?code=good-code&state=${state.slice(0, -4)}AAAA`, { token: null });
    expect(forged.status).toBe(400);
    expect(forged.json.code).toBe('invalid_state');
    expect(counts.token).toBe(0);
    // The browser comes back from HubSpot (no API token: the state authenticates it).
    const back = await SELF.fetch(`https://crosswalk.test/connect/callback?code=good-code&state=${state}`, { redirect: 'manual' });
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe('https://crosswalk.test/#connected=hs-new');
    expect(counts.token).toBe(1);
    // The same callback again (a replayed link) is refused without another exchange.
    const replayed = await call(`/connect/callback?code=good-code&state=${state}`, { token: null });
    expect(replayed.status).toBe(400);
    expect(replayed.json.code).toBe('invalid_state');
    expect(counts.token).toBe(1);
    const shown = await call('/integrated-accounts/hs-new');
    expect(shown.json).toMatchObject({ provider: 'hubspot', status: 'active' });
    expect(shown.json.credentials_set).toEqual(['access_token', 'expires_at', 'refresh_token']);
    const raw = await env.ACCOUNTS.get('tenant:default:account:hs-new');
    expect(raw).not.toContain('access-1');
    expect((await callWith({}, LIST('hs-new'))).status).toBe(200);
    // Another tenant's token cannot start a flow that lands on this account: the state carries the tenant.
    const beta = await call('/connect/hubspot', { method: 'POST', token: 'test-token-b1', body: { integrated_account_id: 'hs-new' } });
    expect(beta.status).toBe(200);
  });

  it('API-key providers and providers without an app are refused with the reason', async () => {
    expect((await call('/connect/lever', { method: 'POST', body: {} })).json.code).toBe('oauth_app_missing');
    expect((await call('/connect/ashby', { method: 'POST', body: {} })).json.code).toBe('not_an_oauth_provider');
    expect((await call('/connect/hubspot', { method: 'POST', token: null, body: {} })).status).toBe(401);
  });
});
