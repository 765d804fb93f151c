// The connect flow (OAuth 2 authorization code with PKCE). `POST /connect/{provider}`
// (authenticated) answers the provider's authorize URL; the user consents there and
// the provider sends the browser to `GET /connect/callback?code&state`, which
// exchanges the code through the core's planned token request and stores the
// tokens on the integrated account (sealed), active again if it needed reauth.
//
// `state` is the flow's own record sealed with CREDENTIALS_KEY (AES-GCM: secret
// and tamper-evident): tenant, account id, provider, the PKCE verifier, where to
// return, an expiry of ten minutes and a nonce the account's Durable Object lets
// through once. A state from one tenant cannot store tokens on another's account,
// and a replayed callback is refused.
// OAuth apps (client id and secret per provider) are the OAUTH_APPS secret.
import { createClient, CrosswalkError, providers } from 'crosswalk';
import { HttpError, json } from './http.js';
import { accountKey, putRecord, usesTokens } from './accounts.js';
import { fromBase64, openCredentials, sealCredentials, toBase64 } from './credentials.js';
import { baseUrlAllowed, guardedFetch } from './hosts.js';
import { oauthAppsOf, tokensStub } from './tokens.js';

const STATE_TTL_MS = 10 * 60 * 1000;
const ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
// The sealed state's additional data: a state never opens as an account's credentials.
const STATE_SCOPE = ['connect-state', 'v1'];

// base64url (RFC 4648 §5, unpadded) over the credentials module's base64.
const b64url = (bytes) => toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const fromB64url = (text) => fromBase64(text.replace(/-/g, '+').replace(/_/g, '/'));

async function pkce() {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  return { verifier, challenge };
}

function invalid(field, message) {
  return new HttpError(400, 'validation_failed', `${field} ${message}`, [{ field, code: 'invalid_format', message }]);
}

function appFor(env, provider) {
  const app = oauthAppsOf(env)[provider];
  if (!app?.client_id) {
    throw new HttpError(501, 'oauth_app_missing', `no OAuth app for ${provider} on this deployment (set OAUTH_APPS with its client_id and client_secret)`);
  }
  return app;
}

/** The overrides of where the provider and its sign-in live, only where the deployment allows them. */
function overrides(env, body, app) {
  const out = {};
  for (const name of ['base_url', 'auth_base_url']) {
    const value = body?.[name] ?? (name === 'auth_base_url' ? app.auth_base_url : undefined);
    if (value === undefined || value === null) continue;
    if (!baseUrlAllowed(env)) throw new HttpError(400, 'validation_failed', `${name} is disabled on this deployment`, [{ field: `body.${name}`, code: 'not_allowed', message: 'ALLOW_BASE_URL_OVERRIDE is off' }]);
    out[name] = value;
  }
  return out;
}

/** `POST /connect/{provider}` → `{ url, expires_at }`: where to send the user. */
export async function startConnect({ env, tenant, url, provider, body }) {
  const info = providers().find((p) => p.name === provider);
  if (!info) throw new HttpError(404, 'unknown_provider', `no provider ${JSON.stringify(provider)}`);
  if (!info.oauth?.authorize_url) throw new HttpError(400, 'not_an_oauth_provider', `${provider} accounts are connected with credentials, not a consent screen (POST /integrated-accounts)`);
  const app = appFor(env, provider);
  const id = body?.integrated_account_id ?? crypto.randomUUID();
  if (typeof id !== 'string' || !ID_RE.test(id)) throw invalid('body.integrated_account_id', 'must be 1–128 characters of A–Z a–z 0–9 . _ : -');
  const returnTo = body?.return_to ?? null;
  if (returnTo !== null && (typeof returnTo !== 'string' || !returnTo.startsWith('/') || returnTo.startsWith('//'))) throw invalid('body.return_to', 'must be a path on this Worker (starting with one /)');
  const context = body?.context ?? {};
  if (typeof context !== 'object' || Array.isArray(context)) throw invalid('body.context', 'must be an object');
  const { verifier, challenge } = await pkce();
  const redirectUri = `${url.origin}/connect/callback`;
  const where = overrides(env, body, app);
  const expires = Date.now() + STATE_TTL_MS;
  const nonce = crypto.randomUUID();
  const sealed = await sealCredentials(env, ...STATE_SCOPE, { tenant, id, provider, verifier, redirectUri, returnTo, context, ...where, exp: expires, nonce });
  const state = b64url(new TextEncoder().encode(JSON.stringify(sealed)));
  const client = createClient({ accounts: [], oauthApps: { [provider]: app } });
  const authorize = client.oauth.authorizeUrl({ provider, redirectUri, state, codeChallenge: challenge, context, authBaseUrl: where.auth_base_url });
  return json({ url: authorize, integrated_account_id: id, expires_at: new Date(expires).toISOString() });
}

async function openState(env, state) {
  try {
    const sealed = JSON.parse(new TextDecoder().decode(fromB64url(state)));
    const flow = await openCredentials(env, ...STATE_SCOPE, sealed);
    if (!(flow.exp > Date.now())) throw new Error('expired');
    return flow;
  } catch {
    throw new HttpError(400, 'invalid_state', 'the connect link is not valid or has expired (10 minutes); start the connection again');
  }
}

/** `GET /connect/callback?code&state`: exchanges the code and stores the tokens. */
export async function finishConnect({ env, url }) {
  const flow = await openState(env, url.searchParams.get('state') ?? '');
  const providerError = url.searchParams.get('error');
  if (providerError) throw new HttpError(400, 'consent_refused', `${flow.provider} did not grant access (${providerError.slice(0, 100)})`);
  const code = url.searchParams.get('code');
  if (!code) throw invalid('query.code', 'is required');
  // One callback per flow: a replayed state is refused before any exchange.
  if (!(await tokensStub(env, flow.tenant, flow.id).claimNonce(flow.nonce, flow.exp))) {
    throw new HttpError(400, 'invalid_state', 'this connect link was already used; start the connection again');
  }
  // Zoho names the data centre's accounts server on the redirect; its token call goes there.
  const accountsServer = url.searchParams.get('accounts-server');
  const context = { ...flow.context, ...(accountsServer ? { accounts_server: accountsServer } : {}) };
  const app = appFor(env, flow.provider);
  const target = { provider: flow.provider, auth_base_url: flow.auth_base_url };
  const client = createClient({ accounts: [], oauthApps: { [flow.provider]: app }, fetch: guardedFetch(env, () => target) });
  let got;
  try {
    got = await client.oauth.exchangeCode({ provider: flow.provider, code, redirectUri: flow.redirectUri, codeVerifier: flow.verifier, context, authBaseUrl: flow.auth_base_url });
  } catch (err) {
    if (err instanceof CrosswalkError) throw new HttpError(err.statusCode === 401 ? 400 : err.statusCode, err.code, err.message, err.details);
    throw err;
  }
  const existing = await env.ACCOUNTS.get(accountKey(flow.tenant, flow.id), 'json');
  if (existing && existing.provider !== flow.provider) throw new HttpError(409, 'account_exists', `integrated account ${JSON.stringify(flow.id)} is a ${existing.provider} account`);
  const record = {
    id: flow.id,
    provider: flow.provider,
    context: { ...(existing?.context ?? {}), ...context, ...got.context },
    credentials: got.credentials,
    ...(flow.base_url ? { base_url: flow.base_url } : existing?.base_url ? { base_url: existing.base_url } : {}),
    ...(flow.auth_base_url ? { auth_base_url: flow.auth_base_url } : {}),
    created_at: existing?.created_at ?? new Date().toISOString(),
    status: { state: 'active', at: new Date().toISOString() },
  };
  await putRecord(env, flow.tenant, record);
  // Tokens renewed for the previous connection are not this one's.
  if (usesTokens(flow.provider)) await tokensStub(env, flow.tenant, flow.id).reset();
  if (flow.returnTo) return Response.redirect(`${url.origin}${flow.returnTo}#connected=${encodeURIComponent(flow.id)}`, 303);
  return json({ integrated_account_id: flow.id, provider: flow.provider, status: 'active' });
}
