// Idempotency-Key on POST/PATCH, stored in Workers KV (binding IDEMPOTENCY).
// Scope: the caller's token, the method and the path — the same key on another
// route or from another token is a different key. The request's fingerprint
// (query string + body) is stored with the response: a repeat with the same
// fingerprint replays the stored response (`Idempotent-Replayed: true`); a repeat
// with a different one is refused (422). While the first request is still
// running, repeats get 409 so a client retrying on timeout cannot run it twice.
//
// KV is eventually consistent across locations: two repeats landing in different
// data centres within a few seconds can both run. The key is also passed to the
// client (`idempotencyKey`): the core sends it in the provider's own idempotency
// header where the provider has one, and only then re-sends a write after a lost
// answer. A write whose outcome is unknown (`write_outcome_unknown`) is stored and
// replayed like a success, so a caller's retry with the same key cannot write twice.
import { HttpError, sha256Hex } from './http.js';

const PENDING_TTL_S = 120;
const STORED_TTL_S = 24 * 60 * 60;
const KEY_RE = /^[\x21-\x7e]{1,255}$/;

export function idempotencyKeyOf(request) {
  const key = request.headers.get('idempotency-key');
  if (key === null) return null;
  if (!['POST', 'PATCH'].includes(request.method)) return null;
  if (!KEY_RE.test(key)) {
    throw new HttpError(400, 'validation_failed', 'Idempotency-Key must be 1–255 visible ASCII characters', [
      { field: 'headers.idempotency-key', code: 'invalid_format', message: 'must be 1–255 visible ASCII characters' },
    ]);
  }
  return key;
}

/**
 * Runs `handler()` at most once per (token, method, path, key); replays its
 * stored response afterwards. Responses that say "try again" (429, 5xx when
 * nothing was written) are not stored, so the client can retry with the same key.
 */
export async function idempotent({ env, token, request, url, key, bodyText }, handler) {
  const kv = env.IDEMPOTENCY;
  const scope = await sha256Hex(JSON.stringify([await sha256Hex(token), request.method, url.pathname, key]));
  const name = `idem:${scope}`;
  const fingerprint = await sha256Hex(JSON.stringify([url.search, bodyText]));
  const existing = await kv.get(name, 'json');
  if (existing) {
    if (existing.fingerprint !== fingerprint) {
      throw new HttpError(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request body or query', [
        { field: 'headers.idempotency-key', code: 'idempotency_key_reused', message: 'use a new key for a different request' },
      ]);
    }
    if (existing.state === 'pending') {
      throw new HttpError(409, 'idempotency_in_progress', 'a request with this Idempotency-Key is still in progress', [], { 'retry-after': '1' });
    }
    return new Response(existing.body, {
      status: existing.status,
      headers: { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...existing.headers, 'idempotent-replayed': 'true' },
    });
  }
  await kv.put(name, JSON.stringify({ state: 'pending', fingerprint }), { expirationTtl: PENDING_TTL_S });
  let response;
  try {
    response = await handler();
  } catch (err) {
    await kv.delete(name);
    throw err;
  }
  const body = await response.text();
  if ((response.status === 429 || response.status >= 500) && !mayHaveWritten(body)) {
    await kv.delete(name);
    return new Response(body, { status: response.status, headers: response.headers });
  }
  const headers = { 'content-type': response.headers.get('content-type') ?? 'application/json' };
  await kv.put(name, JSON.stringify({ state: 'done', fingerprint, status: response.status, headers, body }), { expirationTtl: STORED_TTL_S });
  return new Response(body, { status: response.status, headers: response.headers });
}

/** Whether an error body says the provider may have applied the write. */
function mayHaveWritten(body) {
  try {
    return JSON.parse(body)?.code === 'write_outcome_unknown';
  } catch {
    return false;
  }
}
