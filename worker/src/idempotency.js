// Idempotency-Key on POST/PATCH, kept in a Durable Object (binding IDEMPOTENCY,
// class IdempotencyKeys): one object per scope = (tenant, method, path, key).
// A Durable Object runs one call at a time and its storage is strongly
// consistent, so "is the key free? then claim it" is a single atomic step: of any
// number of concurrent requests with one key, exactly one runs. Tokens of one
// tenant share keys (a rotated token still replays); another tenant's same key is
// a different key.
//
// The request's fingerprint (query string + body) is stored with the claim: a
// repeat with the same fingerprint replays the stored response
// (`Idempotent-Replayed: true`); with a different one it is refused (422). While
// the first request is still running, repeats get 409 (the claim lapses after
// 120 s, so a crashed request does not block the key forever). Responses are kept
// 24 h. 429 and 5xx answers are not stored (the caller may retry with the same
// key), except `write_outcome_unknown`: the write may exist, so it is stored and
// replayed like a success. The key is also passed to the client
// (`idempotencyKey`), which sends it in the provider's idempotency header where
// the provider has one.
import { DurableObject } from 'cloudflare:workers';
import { HttpError, sha256Hex } from './http.js';

const PENDING_TTL_MS = 120 * 1000;
const STORED_TTL_MS = 24 * 60 * 60 * 1000;
const KEY_RE = /^[\x21-\x7e]{1,255}$/;
// Stored bodies are split into chunks well under a storage value's size limit.
const CHUNK_CHARS = 32 * 1024;

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
 * One idempotency scope. Storage (synchronous KV API): `record` =
 * { state: 'pending', fingerprint, run, expires } or
 * { state: 'done', fingerprint, status, headers, chunks, expires }, and the body in
 * `body:0..chunks-1`. No method awaits between reading and writing, so each is atomic.
 */
export class IdempotencyKeys extends DurableObject {
  #current() {
    const kv = this.ctx.storage.kv;
    const record = kv.get('record');
    if (record && record.expires <= Date.now()) {
      this.#clear();
      return undefined;
    }
    return record;
  }

  #clear() {
    const kv = this.ctx.storage.kv;
    const record = kv.get('record');
    for (let i = 0; i < (record?.chunks ?? 0); i++) kv.delete(`body:${i}`);
    kv.delete('record');
  }

  /** → { state: 'run', run } | { state: 'pending' } | { state: 'mismatch' } | { state: 'done', status, headers, body } */
  begin(fingerprint) {
    const record = this.#current();
    if (record) {
      if (record.fingerprint !== fingerprint) return { state: 'mismatch' };
      if (record.state === 'pending') return { state: 'pending' };
      let body = '';
      for (let i = 0; i < record.chunks; i++) body += this.ctx.storage.kv.get(`body:${i}`) ?? '';
      return { state: 'done', status: record.status, headers: record.headers, body };
    }
    const run = crypto.randomUUID();
    const expires = Date.now() + PENDING_TTL_MS;
    this.ctx.storage.kv.put('record', { state: 'pending', fingerprint, run, expires });
    this.#alarmAt(expires);
    return { state: 'run', run };
  }

  /** Stores the response of claim `run` (ignored if that claim has lapsed and another took the key). */
  finish(run, { status, headers, body }) {
    const record = this.#current();
    if (record?.state !== 'pending' || record.run !== run) return false;
    const kv = this.ctx.storage.kv;
    const chunks = Math.ceil(body.length / CHUNK_CHARS);
    for (let i = 0; i < chunks; i++) kv.put(`body:${i}`, body.slice(i * CHUNK_CHARS, (i + 1) * CHUNK_CHARS));
    const expires = Date.now() + STORED_TTL_MS;
    kv.put('record', { state: 'done', fingerprint: record.fingerprint, status, headers, chunks, expires });
    this.#alarmAt(expires);
    return true;
  }

  /** Releases claim `run` without storing anything (the caller may retry with the key). */
  abandon(run) {
    const record = this.#current();
    if (record?.state === 'pending' && record.run === run) this.#clear();
  }

  #alarmAt(time) {
    // Best effort clean-up; expiry is also checked on every read.
    try {
      this.ctx.storage.setAlarm(time)?.catch?.(() => {});
    } catch {
      // expiry on read still holds
    }
  }

  async alarm() {
    const record = this.#current();
    if (record) this.#alarmAt(record.expires);
  }
}

/**
 * Runs `handler()` at most once per (tenant, method, path, key); replays its
 * stored response afterwards.
 */
export async function idempotent({ env, tenant, request, url, key, bodyText }, handler) {
  const scope = await sha256Hex(JSON.stringify([tenant, request.method, url.pathname, key]));
  const stub = env.IDEMPOTENCY.get(env.IDEMPOTENCY.idFromName(scope));
  const fingerprint = await sha256Hex(JSON.stringify([url.search, bodyText]));
  const claim = await stub.begin(fingerprint);
  if (claim.state === 'mismatch') {
    throw new HttpError(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request body or query', [
      { field: 'headers.idempotency-key', code: 'idempotency_key_reused', message: 'use a new key for a different request' },
    ]);
  }
  if (claim.state === 'pending') {
    throw new HttpError(409, 'idempotency_in_progress', 'a request with this Idempotency-Key is still in progress', [], { 'retry-after': '1' });
  }
  if (claim.state === 'done') {
    return new Response(claim.body, {
      status: claim.status,
      headers: { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...claim.headers, 'idempotent-replayed': 'true' },
    });
  }
  // Failing to release or store must not replace the real answer: the write may
  // have happened. (Unstored, the claim lapses after PENDING_TTL_MS.)
  const settle = (p) => p.catch((err) => console.error('Idempotency-Key: could not update the record', err));
  let response;
  try {
    response = await handler();
  } catch (err) {
    await settle(stub.abandon(claim.run));
    throw err;
  }
  const body = await response.text();
  if ((response.status === 429 || response.status >= 500) && !mayHaveWritten(body)) {
    await settle(stub.abandon(claim.run));
    return new Response(body, { status: response.status, headers: response.headers });
  }
  const headers = { 'content-type': response.headers.get('content-type') ?? 'application/json' };
  await settle(stub.finish(claim.run, { status: response.status, headers, body }));
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
