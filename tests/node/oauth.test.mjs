// Accounts that stay connected: token renewal through the package against a
// loopback authorization server that rotates refresh tokens and refuses a used one.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createClient, plan, CrosswalkError } from 'crosswalk';
import { withOAuthServer } from './helpers/oauth-server.mjs';

const APP = { client_id: 'app-id', client_secret: 'app-secret-7f3a9c' };
const past = () => new Date(Date.now() - 60_000).toISOString();

function hubspotAccount(server, credentials) {
  return { id: 'hs-1', provider: 'hubspot', base_url: server.origin, auth_base_url: server.origin, credentials };
}

const list = (client) => client.unifiedApi.list('crm', 'engagements', { integrated_account_id: 'hs-1', engagement_type: 'call' }).toArray();

test('50 concurrent operations on an expired account share one token request', async () => {
  await withOAuthServer(undefined, async (server) => {
    const saved = [];
    const client = createClient({
      accounts: [hubspotAccount(server, { access_token: 'access-old', refresh_token: 'refresh-0', expires_at: past() })],
      oauthApps: { hubspot: APP },
      onCredentials: async (id, creds) => {
        await new Promise((r) => setTimeout(r, 10));
        saved.push([id, creds]);
      },
    });
    const results = await Promise.all(Array.from({ length: 50 }, () => list(client)));
    assert.equal(results.length, 50);
    assert.ok(results.every((r) => Array.isArray(r)));
    assert.equal(server.state.tokenRequests, 1, 'exactly one token request');
    assert.equal(saved.length, 1, 'onCredentials once');
    assert.equal(saved[0][0], 'hs-1');
    assert.equal(saved[0][1].credentials.refresh_token, 'refresh-1', 'the rotated refresh token is what is persisted');
    assert.ok(Date.parse(saved[0][1].credentials.expires_at) > Date.now() + 25 * 60_000);
    // Later operations use the renewed token although the accounts array is the old one.
    await list(client);
    assert.equal(server.state.tokenRequests, 1);
  });
});

test('a revoked token is renewed once on the 401 and the request sent again; the rotated token is used next time', async () => {
  await withOAuthServer(undefined, async (server) => {
    let stored = { access_token: 'access-unknown', refresh_token: 'refresh-0' };
    const client = createClient({
      accounts: async (id) => ({ ...hubspotAccount(server, stored), id }),
      oauthApps: { hubspot: APP },
      onCredentials: async (_id, creds) => {
        stored = creds.credentials;
      },
    });
    await list(client);
    assert.equal(server.state.tokenRequests, 1);
    const calls = server.requests.map((r) => (r.path.endsWith('/token') ? 'token' : r.headers.authorization));
    assert.deepEqual(calls, ['Bearer access-unknown', 'token', 'Bearer access-1']);
    server.revokeAccessTokens();
    await list(client);
    assert.equal(server.state.tokenRequests, 2, 'the second renewal used the rotated refresh token');
    assert.equal(stored.refresh_token, 'refresh-2');
  });
});

test('a refused refresh token is reauth_required for every waiting operation, and nothing secret is in the error', async () => {
  await withOAuthServer(undefined, async (server) => {
    const saved = [];
    const client = createClient({
      accounts: [hubspotAccount(server, { access_token: 'access-old', refresh_token: 'refresh-used', expires_at: past() })],
      oauthApps: { hubspot: APP },
      onCredentials: (id, c) => saved.push(c),
    });
    const errors = await Promise.all(Array.from({ length: 5 }, () => list(client).catch((e) => e)));
    for (const err of errors) {
      assert.ok(err instanceof CrosswalkError);
      assert.equal(err.code, 'reauth_required');
      assert.equal(err.statusCode, 401);
      const text = JSON.stringify(err.toJSON?.() ?? err);
      for (const secret of ['refresh-used', APP.client_secret, 'access-old']) assert.ok(!text.includes(secret), text);
    }
    assert.equal(server.state.tokenRequests, 1);
    assert.equal(saved.length, 0);
  });
});

test('plan() of an expired account shows the token request first, redacted', () => {
  const p = plan({ account: { provider: 'hubspot', credentials: { access_token: 'access-old', refresh_token: 'refresh-secret-1', expires_at: past() }, oauth_app: APP }, model: 'crm', resource: 'engagements', method: 'list', query: { engagement_type: 'call' } });
  assert.equal(p.requests[0].token_request, true);
  assert.equal(p.requests[0].url, 'https://api.hubapi.com/oauth/v3/token');
  const text = JSON.stringify(p);
  assert.ok(!text.includes('refresh-secret-1') && !text.includes(APP.client_secret), text);
});

test('the connect flow: authorize URL with PKCE, code exchange, then calls with the new tokens', async () => {
  await withOAuthServer(undefined, async (server) => {
    const client = createClient({ accounts: [], oauthApps: { hubspot: APP } });
    const url = new URL(client.oauth.authorizeUrl({ provider: 'hubspot', redirectUri: 'http://127.0.0.1/cb', state: 'st-1', codeChallenge: 'ch-1', authBaseUrl: server.origin }));
    assert.equal(url.origin, server.origin);
    assert.equal(url.pathname, '/oauth/authorize');
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      response_type: 'code', client_id: 'app-id', redirect_uri: 'http://127.0.0.1/cb', state: 'st-1',
      scope: 'oauth crm.objects.contacts.read crm.objects.contacts.write', code_challenge: 'ch-1', code_challenge_method: 'S256',
    });
    const code = server.grantCode('http://127.0.0.1/cb');
    const got = await client.oauth.exchangeCode({ provider: 'hubspot', code, redirectUri: 'http://127.0.0.1/cb', codeVerifier: 'v-1', authBaseUrl: server.origin });
    assert.equal(got.credentials.access_token, 'access-1');
    assert.equal(got.credentials.refresh_token, 'refresh-1');
    const tokenReq = server.requests.at(-1);
    assert.equal(new URLSearchParams(tokenReq.body).get('code_verifier'), 'v-1');
    // A used code is refused.
    const again = await client.oauth.exchangeCode({ provider: 'hubspot', code, redirectUri: 'http://127.0.0.1/cb', authBaseUrl: server.origin }).catch((e) => e);
    assert.equal(again.code, 'reauth_required');
    const connected = createClient({ accounts: [hubspotAccount(server, got.credentials)], oauthApps: { hubspot: APP } });
    await list(connected);
    assert.equal(server.state.tokenRequests, 2);
  });
});

test('oauth.refresh renews on demand (force) and reports the new credentials once', async () => {
  await withOAuthServer(undefined, async (server) => {
    const saved = [];
    const client = createClient({
      accounts: [hubspotAccount(server, { access_token: 'access-old', refresh_token: 'refresh-0', expires_at: new Date(Date.now() + 3_600_000).toISOString() })],
      oauthApps: { hubspot: APP },
      onCredentials: (id, c) => saved.push(c),
    });
    const fresh = await client.oauth.refresh('hs-1');
    assert.equal(fresh.credentials.access_token, 'access-old', 'not expired: nothing sent');
    assert.equal(server.state.tokenRequests, 0);
    const forced = await client.oauth.refresh('hs-1', { force: true });
    assert.equal(forced.credentials.access_token, 'access-1');
    assert.equal(saved.length, 1);
    await list(client);
    assert.equal(server.state.tokenRequests, 1, 'the operation uses the token oauth.refresh got');
  });
});

test('a passthrough on an expired account renews first and sends the new token', async () => {
  await withOAuthServer({ api: (req) => ({ status: 200, body: { path: req.path, auth: req.headers.authorization } }) }, async (server) => {
    const client = createClient({ accounts: [hubspotAccount(server, { access_token: 'access-old', refresh_token: 'refresh-0', expires_at: past() })], oauthApps: { hubspot: APP } });
    const r = await client.passthrough({ method: 'GET', path: '/crm/v3/objects/contacts', query: { limit: 1 } }, { integrated_account_id: 'hs-1' });
    assert.equal(r.status, 200);
    // The provider echoes the header it got: the renewed token, redacted in the answer.
    assert.deepEqual(r.body, { path: '/crm/v3/objects/contacts', auth: '[REDACTED]' });
    assert.equal(server.requests.at(-1).headers.authorization, 'Bearer access-1');
    assert.equal(server.state.tokenRequests, 1);
    assert.ok(!JSON.stringify(r).includes('refresh-1'));
  });
});

test('regression: with a static accounts array, the third renewal uses the newest refresh token, not the stored one', async () => {
  await withOAuthServer(undefined, async (server) => {
    const client = createClient({ accounts: [hubspotAccount(server, { access_token: 'access-old', refresh_token: 'refresh-0', expires_at: past() })], oauthApps: { hubspot: APP } });
    await list(client);
    server.revokeAccessTokens();
    await list(client);
    server.revokeAccessTokens();
    await list(client);
    assert.equal(server.state.tokenRequests, 3, 'refresh-0, refresh-1, refresh-2 — each used once');
  });
});

test('regression: a sync whose token request fails does not leave later operations waiting forever', async () => {
  const { startServer } = await import('./helpers/server.mjs');
  let tokens = 0;
  const server = await startServer((req) => {
    if (req.path === '/oauth/v2/accessToken') {
      tokens += 1;
      return tokens === 1 ? { status: 400, body: { error: 'invalid_request' } } : { status: 200, body: { access_token: 'li-token', expires_in: '1800' } };
    }
    const ids = [...new URLSearchParams(req.url.split('?')[1] ?? '').getAll('ids')];
    return { status: 200, body: { errors: {}, results: Object.fromEntries(ids.map((id) => [id, { status: 204 }])) } };
  });
  try {
    const account = { id: 'li', provider: 'linkedin', base_url: server.origin, auth_base_url: server.origin, credentials: { client_id: 'li-app', client_secret: 'li-secret' }, context: { organization_urn: 'urn:li:organization:1' } };
    const client = createClient({ accounts: [account] });
    const record = { application_id: 'A', id: 'n1', body: 'note' };
    const first = await client.sync('ats', 'activities', [record], { integrated_account_id: 'li' });
    assert.equal(first.stopped.reason, 'aborted');
    const second = await Promise.race([
      client.sync('ats', 'activities', [record], { integrated_account_id: 'li' }),
      new Promise((_, reject) => setTimeout(() => reject(new Error('the second sync waited for a renewal that had ended')), 5_000)),
    ]);
    assert.equal(second.counts.synced, 1);
    assert.equal(tokens, 2);
  } finally {
    await server.close();
  }
});

test('regression: a failure around a sync (here onCredentials) still ends in a report that accounts for every record', async () => {
  const { startServer } = await import('./helpers/server.mjs');
  const server = await startServer((req) => (req.path === '/oauth/v2/accessToken' ? { status: 200, body: { access_token: 'li-token', expires_in: '1800' } } : { status: 200, body: { errors: {}, results: {} } }));
  try {
    const account = { id: 'li', provider: 'linkedin', base_url: server.origin, auth_base_url: server.origin, credentials: { client_id: 'li-app', client_secret: 'li-secret' }, context: { organization_urn: 'urn:li:organization:1' } };
    const client = createClient({ accounts: [account], onCredentials: async () => { throw new Error('the database is down'); } });
    const records = [{ application_id: 'A', id: 'n1', body: 'x' }, { application_id: 'B', id: 'n2', body: 'y' }];
    const report = await client.sync('ats', 'activities', records, { integrated_account_id: 'li' });
    assert.equal(report.stopped.reason, 'aborted');
    assert.match(JSON.stringify(report.stopped), /the database is down/);
    assert.equal(report.counts.synced + report.counts.failed + report.counts.not_sent, records.length);
  } finally {
    await server.close();
  }
});
