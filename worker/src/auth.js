// Bearer-token auth against the API_TOKENS secret: comma or whitespace separated
// entries `tenant:token` (several per tenant, so a token can be rotated by listing
// old and new); an entry without `tenant:` belongs to tenant `default`. A tenant
// name is 1–64 of a–z 0–9 _ -; an entry with an invalid tenant name, or a token
// listed under two tenants, matches no request (fail closed).
// Comparison is on SHA-256 digests with a constant-time compare, over every
// configured token, so timing says nothing about which bytes matched.
import { HttpError } from './http.js';

const encoder = new TextEncoder();

async function digest(text) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

function equalBytes(a, b) {
  // workerd ships crypto.subtle.timingSafeEqual; the fallback keeps the same
  // property for other runtimes (both inputs are 32-byte digests).
  if (typeof crypto.subtle.timingSafeEqual === 'function') return crypto.subtle.timingSafeEqual(a, b);
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ (b[i] ?? 0);
  return diff === 0;
}

export const DEFAULT_TENANT = 'default';
export const TENANT_RE = /^[a-z0-9_-]{1,64}$/;

/** [{ tenant, token }] from API_TOKENS; invalid entries are left out. */
export function configuredTokens(env) {
  const entries = String(env.API_TOKENS ?? '')
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter(Boolean)
    .map((entry) => {
      const colon = entry.indexOf(':');
      if (colon < 0) return { tenant: DEFAULT_TENANT, token: entry };
      return { tenant: entry.slice(0, colon), token: entry.slice(colon + 1) };
    });
  const valid = entries.filter((e) => TENANT_RE.test(e.tenant) && e.token !== '');
  if (valid.length !== entries.length) console.error('API_TOKENS: entries with an invalid tenant name or an empty token are ignored');
  // A token under two tenants would make the tenant ambiguous: it authenticates as neither.
  const tenantsOf = new Map();
  for (const e of valid) tenantsOf.set(e.token, new Set([...(tenantsOf.get(e.token) ?? []), e.tenant]));
  return valid.filter((e) => tenantsOf.get(e.token).size === 1);
}

/** One answer for every failure (missing header, wrong scheme, wrong token, none configured). */
export function unauthorized() {
  return new HttpError(401, 'unauthorized', 'missing or invalid API token', [], { 'www-authenticate': 'Bearer' });
}

/**
 * Returns the caller's tenant when the token is one of the configured ones;
 * throws 401 otherwise. With no tokens configured every request is refused (fail closed).
 */
export async function authenticate(request, env) {
  const header = request.headers.get('authorization') ?? '';
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  const tokens = configuredTokens(env);
  const presented = await digest(match ? match[1] : '');
  let tenant;
  for (const entry of tokens) {
    // No early exit: every configured token is compared.
    if (equalBytes(presented, await digest(entry.token))) tenant = entry.tenant;
  }
  if (!match || tenant === undefined) throw unauthorized();
  return tenant;
}
