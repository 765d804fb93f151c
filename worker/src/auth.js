// Bearer-token auth against the tokens in the API_TOKENS secret (comma or
// whitespace separated, so a token can be rotated by listing old and new).
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

export function configuredTokens(env) {
  return String(env.API_TOKENS ?? '')
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter(Boolean);
}

/** One answer for every failure (missing header, wrong scheme, wrong token, none configured). */
export function unauthorized() {
  return new HttpError(401, 'unauthorized', 'missing or invalid API token', [], { 'www-authenticate': 'Bearer' });
}

/**
 * Returns the caller's token when it is one of the configured ones; throws 401
 * otherwise. With no tokens configured every request is refused (fail closed).
 */
export async function authenticate(request, env) {
  const header = request.headers.get('authorization') ?? '';
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  const tokens = configuredTokens(env);
  const presented = await digest(match ? match[1] : '');
  let ok = false;
  for (const token of tokens) {
    // No early exit: every configured token is compared.
    if (equalBytes(presented, await digest(token))) ok = true;
  }
  if (!match || !ok) throw unauthorized();
  return match[1];
}
