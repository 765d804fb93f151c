// End to end: OAuth token renewal in the real Worker under `wrangler dev`, against a
// loopback authorization server that rotates refresh tokens and refuses a used one.
// 20 concurrent requests on an expired account renew once; after the Worker is
// stopped and started again on the same storage, the renewed tokens are still the
// account's (they live in its Durable Object), so nothing is renewed again.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startWorker } from '../helpers/wrangler.mjs';
import { startOAuthServer } from '../node/helpers/oauth-server.mjs';

const TOKEN = 'e2e-tokens-7c21';
let oauth;
let worker;
let persist;

after(async () => {
  await worker?.close();
  await oauth?.close();
  if (persist) rmSync(persist, { recursive: true, force: true });
});

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

async function list(origin) {
  const res = await fetch(`${origin}/unified/crm/engagements?integrated_account_id=hs-e2e&engagement_type=call`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(60_000) });
  await res.arrayBuffer();
  return res.status;
}

test('20 concurrent requests renew once, and a restarted Worker keeps the renewed tokens', { timeout: 240_000 }, async () => {
  oauth = await startOAuthServer();
  const vars = { API_TOKENS: TOKEN, ALLOW_BASE_URL_OVERRIDE: 'true', OAUTH_APPS: JSON.stringify({ hubspot: { client_id: 'app-id', client_secret: 'app-secret-7f3a9c' } }) };
  worker = await startWorker({ vars });
  persist = worker.persist;
  const created = await fetch(`${worker.origin}/integrated-accounts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      id: 'hs-e2e', provider: 'hubspot', base_url: oauth.origin, auth_base_url: oauth.origin,
      credentials: { access_token: 'access-old', refresh_token: 'refresh-0', expires_at: new Date(Date.now() - 60_000).toISOString() },
    }),
  });
  assert.equal(created.status, 201, await created.text());
  const first = await Promise.all(Array.from({ length: 20 }, () => list(worker.origin)));
  assert.deepEqual(first, Array(20).fill(200));
  assert.equal(oauth.state.tokenRequests, 1, 'one renewal for 20 concurrent requests');
  // At rest (KV and Durable Object files alike) no token is in the clear.
  const stored = files(persist);
  assert.ok(stored.some((f) => f.includes('AccountTokens')), `no Durable Object storage among ${stored.join(', ')}`);
  for (const file of stored) {
    const raw = readFileSync(file).toString('latin1');
    for (const secret of ['access-1', 'refresh-1', 'access-old', 'refresh-0']) assert.ok(!raw.includes(secret), `${secret} in ${file}`);
  }
  await worker.stop();
  worker = await startWorker({ vars, persist });
  const again = await Promise.all(Array.from({ length: 20 }, () => list(worker.origin)));
  assert.deepEqual(again, Array(20).fill(200));
  assert.equal(oauth.state.tokenRequests, 1, 'after the restart the stored tokens are used');
  // The provider revokes the token: one more renewal for 20 concurrent 401s, with the rotated refresh token.
  oauth.revokeAccessTokens();
  const revoked = await Promise.all(Array.from({ length: 20 }, () => list(worker.origin)));
  assert.deepEqual(revoked, Array(20).fill(200));
  assert.equal(oauth.state.tokenRequests, 2);
});
