// Integrated accounts in Workers KV (binding ACCOUNTS), per tenant: key
// `tenant:<tenant>:account:<id>` (a tenant name has no `:`, so the prefix is
// unambiguous). Every lookup goes through the caller's tenant: another tenant's
// account is the same 404 as one that does not exist, never a hint that it does.
// Credentials are write-only: they are stored sealed (AES-256-GCM, see
// credentials.js), opened only to hand them to the client for the provider's auth
// header, and never returned — responses list only which credential names are set.
import { providers, validateAccount } from 'crosswalk';
import { HttpError, json } from './http.js';
import { baseUrlAllowed } from './hosts.js';
import { canSeal, openCredentials, sealCredentials, sealedWithCurrentKey } from './credentials.js';
import { tokensStub } from './tokens.js';

let oauthProviders;
/** Whether the provider's accounts may hold OAuth tokens (their renewals live in the account's Durable Object). */
export function usesTokens(provider) {
  oauthProviders ??= new Set(providers().filter((p) => p.oauth).map((p) => p.name));
  return oauthProviders.has(provider);
}

const prefixOf = (tenant) => `tenant:${tenant}:account:`;
export const accountKey = (tenant, id) => prefixOf(tenant) + id;
const ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
const MAX_CREDENTIALS = 32;

const providerNames = () => providers().map((p) => p.name);

/** What the API shows of an account: everything except credential values. */
export function publicView(record) {
  const out = {
    id: record.id,
    provider: record.provider,
    context: record.context ?? {},
    credentials_set: record.credentials_set ?? Object.keys(record.credentials ?? {}).sort(),
    created_at: record.created_at,
    // active, or needs_reauth (a refused token renewal) with the last error and when.
    status: record.status?.state ?? 'active',
  };
  if (record.status?.last_error) out.last_error = record.status.last_error;
  if (record.status?.at) out.status_at = record.status.at;
  if (record.base_url) out.base_url = record.base_url;
  if (record.auth_base_url) out.auth_base_url = record.auth_base_url;
  return out;
}

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Checks a POST body; all problems are reported at once with `body.*` paths. */
function parseNew(body, env, oauthApp) {
  const issues = [];
  const issue = (field, code, message, meta) => issues.push(meta ? { field, code, message, meta } : { field, code, message });
  if (!isPlainObject(body)) throw new HttpError(400, 'validation_failed', 'the body must be a JSON object', [{ field: 'body', code: 'invalid_type', message: 'must be an object' }]);
  const allowed = new Set(['id', 'provider', 'credentials', 'context', 'base_url', 'auth_base_url']);
  for (const key of Object.keys(body)) if (!allowed.has(key)) issue(`body.${key}`, 'unknown_field', 'is not a field of an integrated account');
  if (body.id !== undefined && (typeof body.id !== 'string' || !ID_RE.test(body.id))) {
    issue('body.id', 'invalid_format', 'must be 1–128 characters of A–Z a–z 0–9 . _ : -');
  }
  const names = providerNames();
  if (body.provider === undefined) issue('body.provider', 'required', 'is required');
  else if (!names.includes(body.provider)) issue('body.provider', 'not_one_of', `must be one of ${names.join(', ')}`, { allowed: names });
  if (body.credentials !== undefined) {
    if (!isPlainObject(body.credentials)) issue('body.credentials', 'invalid_type', 'must be an object of strings');
    else {
      const entries = Object.entries(body.credentials);
      if (entries.length > MAX_CREDENTIALS) issue('body.credentials', 'too_many', `at most ${MAX_CREDENTIALS} credentials`);
      for (const [k, v] of entries) if (typeof v !== 'string') issue(`body.credentials.${k}`, 'invalid_type', 'must be a string');
    }
  }
  if (body.context !== undefined && !isPlainObject(body.context)) issue('body.context', 'invalid_type', 'must be an object');
  for (const name of ['base_url', 'auth_base_url']) {
    if (body[name] === undefined || body[name] === null) continue;
    if (!baseUrlAllowed(env)) {
      issue(`body.${name}`, 'not_allowed', `per-account ${name} is disabled on this deployment (ALLOW_BASE_URL_OVERRIDE)`);
      continue;
    }
    let u;
    try {
      u = new URL(body[name]);
    } catch {
      u = null;
    }
    // It replaces scheme, host and port only (the core refuses a path).
    if (!u || !['http:', 'https:'].includes(u.protocol) || u.username || u.password || u.pathname !== '/' || u.search || u.hash) {
      issue(`body.${name}`, 'invalid_url', 'must be an http(s) origin (scheme, host, port) without user info or path');
    }
  }
  // Then the core's own rules (control characters, context hosts, base_url,
  // required credentials), so an account that would fail on first use is never stored.
  if (!issues.length) {
    const account = { provider: body.provider, credentials: body.credentials ?? {}, context: body.context ?? {}, ...(body.base_url ? { base_url: body.base_url } : {}), ...(oauthApp ? { oauth_app: oauthApp } : {}) };
    for (const e of validateAccount(account).errors) issues.push({ ...e, field: e.field ? `body.${e.field}` : 'body' });
  }
  if (issues.length) throw new HttpError(400, 'validation_failed', 'the integrated account is not valid', issues);
  return {
    id: body.id ?? crypto.randomUUID(),
    provider: body.provider,
    credentials: body.credentials ?? {},
    context: body.context ?? {},
    ...(body.base_url ? { base_url: body.base_url } : {}),
    ...(body.auth_base_url ? { auth_base_url: body.auth_base_url } : {}),
    created_at: new Date().toISOString(),
  };
}

/**
 * The record as stored: credential names in the clear, their values sealed for
 * this tenant and id (an account without credentials has nothing to seal).
 */
async function toStored(env, tenant, record) {
  const { credentials = {}, ...rest } = record;
  const names = Object.keys(credentials).sort();
  const stored = { ...rest, credentials_set: names };
  if (names.length) stored.credentials_sealed = await sealCredentials(env, tenant, record.id, credentials);
  return stored;
}

export async function putRecord(env, tenant, record) {
  const stored = await toStored(env, tenant, record);
  await env.ACCOUNTS.put(accountKey(tenant, record.id), JSON.stringify(stored), { metadata: { provider: record.provider } });
  return stored;
}

/**
 * The record as stored (credential values sealed), or undefined. A record from
 * before sealing gets its credentials sealed here (that needs only the current key).
 */
async function loadStored(env, tenant, id) {
  if (typeof id !== 'string' || !ID_RE.test(id) || typeof tenant !== 'string') return undefined;
  const stored = await env.ACCOUNTS.get(accountKey(tenant, id), 'json');
  if (!stored) return undefined;
  if (!stored.credentials_sealed && Object.keys(stored.credentials ?? {}).length && canSeal(env)) {
    return putRecord(env, tenant, stored);
  }
  return stored;
}

/** The account with its credentials opened, for a provider call; or undefined. */
export async function loadAccount(env, tenant, id) {
  const stored = await loadStored(env, tenant, id);
  if (!stored) return undefined;
  const { credentials_sealed: sealed, credentials_set: _names, ...record } = stored;
  if (sealed) {
    record.credentials = await openCredentials(env, tenant, id, sealed);
    // Sealed with the previous key: re-seal with the current one (key rotation).
    if (!(await sealedWithCurrentKey(env, sealed))) await putRecord(env, tenant, record);
  }
  // Tokens renewed since the account was stored are its Durable Object's (only an
  // account that can hold tokens asks it: a static API key needs no round trip).
  const tokenish = ['access_token', 'refresh_token', 'client_id', 'email'].some((n) => record.credentials?.[n] !== undefined);
  if (tokenish && usesTokens(record.provider) && env.ACCOUNT_TOKENS) {
    const renewed = await tokensStub(env, tenant, id).current({ tenant, id });
    if (renewed) {
      record.credentials = { ...record.credentials, ...renewed.credentials };
      record.context = { ...record.context, ...renewed.context };
    }
  }
  return record;
}

export async function createAccount(env, tenant, body, oauthApps = {}) {
  const record = parseNew(body, env, oauthApps[body?.provider]);
  if (await env.ACCOUNTS.get(accountKey(tenant, record.id))) {
    throw new HttpError(409, 'account_exists', `integrated account ${JSON.stringify(record.id)} already exists; delete it first`);
  }
  await putRecord(env, tenant, record);
  return json(publicView(record), 201);
}

function notFound(id) {
  return new HttpError(404, 'unknown_account', `no integrated account ${JSON.stringify(String(id))}`);
}

// Reading and deleting need no key: only names are shown, so an account sealed with a
// key that is gone can still be seen and removed.
export async function getAccount(env, tenant, id) {
  const record = await loadStored(env, tenant, id);
  if (!record) throw notFound(id);
  return json(publicView(record));
}

export async function deleteAccount(env, tenant, id) {
  const record = await loadStored(env, tenant, id);
  if (!record) throw notFound(id);
  await env.ACCOUNTS.delete(accountKey(tenant, id));
  if (usesTokens(record.provider) && env.ACCOUNT_TOKENS) await tokensStub(env, tenant, id).reset();
  return json(publicView(record));
}

/** `{ result, next_cursor, result_count }`, like every list; `?limit=` (≤ 1000) and `?next_cursor=`. */
export async function listAccounts(env, tenant, url) {
  const limitParam = url.searchParams.get('limit');
  const limit = limitParam === null ? 100 : Number(limitParam);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new HttpError(400, 'validation_failed', 'limit must be a whole number from 1 to 1000', [
      { field: 'query.limit', code: 'out_of_range', message: 'must be a whole number from 1 to 1000', meta: { min: 1, max: 1000 } },
    ]);
  }
  const cursor = url.searchParams.get('next_cursor') || undefined;
  const provider = url.searchParams.get('provider');
  const page = await env.ACCOUNTS.list({ prefix: prefixOf(tenant), limit, cursor });
  const keys = page.keys.filter((k) => !provider || k.metadata?.provider === provider);
  const records = await Promise.all(keys.map((k) => env.ACCOUNTS.get(k.name, 'json')));
  const result = records.filter(Boolean).map(publicView);
  return json({ result, next_cursor: page.list_complete ? null : page.cursor, result_count: result.length });
}
