// The JS driver around the sans-IO wasm core. This is the only layer with I/O:
// it performs the requests the core plans, sleeps when the core says wait, loops
// pages, and turns core errors into CrosswalkError. No mapping logic lives here.
import * as core from './wasm/crosswalk_core.js';

export const SANDBOX_ORIGIN = 'https://sandbox.crosswalk.invalid';

/** A unified error: `{ statusCode, error, code, message, details }` (+ remote info). */
export class CrosswalkError extends Error {
  constructor(body) {
    super(body?.message ?? 'crosswalk error');
    this.name = 'CrosswalkError';
    Object.defineProperty(this, 'body', { value: body, enumerable: false });
    this.statusCode = body?.statusCode ?? 500;
    this.error = body?.error ?? 'Internal Server Error';
    this.code = body?.code ?? 'internal';
    this.details = body?.details ?? [];
    if (body?.truto_is_remote_error) this.truto_is_remote_error = true;
    if (body?.remote) this.remote = body.remote;
  }
  /** The provider's `Retry-After` on the answer that ended the operation (429/503), for a caller or proxy to pass on. */
  retryAfter;
  toJSON() {
    return this.body;
  }
}

function fail(statusCode, code, message, details = []) {
  const error = { 400: 'Bad Request', 404: 'Not Found', 408: 'Request Timeout', 499: 'Client Closed Request', 500: 'Internal Server Error' }[statusCode] ?? 'Error';
  return new CrosswalkError({ statusCode, error, code, message, details });
}

/**
 * JSON text for the core. What JSON cannot represent (a BigInt, a cycle) is the
 * caller's input error, reported like any other, not a TypeError from deep inside.
 */
function toJson(value) {
  try {
    return JSON.stringify(value);
  } catch (e) {
    throw fail(400, 'invalid_input', `the input cannot be sent as JSON: ${e?.message ?? e}`);
  }
}

/** Sets an own data property, so a `__proto__` key stays data instead of changing the prototype. */
function put(obj, key, value) {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A record id as text. Missing stays missing (the core reports it); a value that is not a string or number is refused. */
function idText(id) {
  if (id === undefined || id === null) return undefined;
  if (typeof id === 'string') return id;
  if (typeof id === 'number' || typeof id === 'bigint') return String(id);
  throw fail(400, 'validation_failed', 'id must be a string', [{ field: 'id', code: 'invalid_type', message: 'must be a string' }]);
}

function stringArg(value, field) {
  if (typeof value !== 'string') throw fail(400, 'invalid_input', `${field} must be a string`, [{ field, code: 'invalid_type', message: 'must be a string' }]);
  return value;
}

function parseOrThrow(text) {
  const value = JSON.parse(text);
  if (value && typeof value === 'object' && value.error && value.error.statusCode) throw new CrosswalkError(value.error);
  return value;
}

// ---------- traps: a panic in the core ----------
// A panic inside the wasm is a trap (WebAssembly.RuntimeError) that leaves the
// instance in an unknown state (a handle still marked borrowed, so its free()
// throws). The instance is replaced by a fresh one from the same compiled module
// (`__wbg_reset_state`), handles made before are dropped without calling into the
// new instance, and the caller gets a structured 500 naming what was running.

let generation = 0;

const isTrap = (err) => typeof WebAssembly !== 'undefined' && err instanceof WebAssembly.RuntimeError;

/** `provider model/resource method` of an operation (strings from the caller, clipped), or a function name. */
function label(what) {
  if (typeof what === 'string') return what;
  const part = (v) => (typeof v === 'string' ? v.slice(0, 64) : '?');
  return `${part(what?.provider)} ${part(what?.model)}/${part(what?.resource)} ${part(what?.method)}`;
}

function trapError(what, message) {
  const meta = typeof what === 'string' ? { call: what } : { provider: what?.provider, model: what?.model, resource: what?.resource, method: what?.method };
  for (const k of Object.keys(meta)) if (typeof meta[k] !== 'string') delete meta[k];
  return new CrosswalkError({ statusCode: 500, error: 'Internal Server Error', code: 'internal_trap', message: `${message} (${label(what)})`, details: [{ field: '', code: 'internal_trap', message, meta }] });
}

function restart() {
  generation++;
  try {
    core.__wbg_reset_state();
  } catch {
    // A failed restart shows up as a trap on the next call, reported the same way.
  }
}

/** Runs one call into the wasm; a trap restarts the core and becomes a CrosswalkError. */
function guarded(what, fn) {
  try {
    return fn();
  } catch (err) {
    if (!isTrap(err)) throw err;
    restart();
    throw trapError(what, 'the crosswalk core failed on an internal error (a bug in crosswalk, not in the request); it was restarted, so the next call runs normally');
  }
}

/** A core Handle / SyncHandle whose calls are guarded and whose free() never throws. */
class CoreHandle {
  constructor(Kind, what, input, now) {
    this.what = what;
    this.generation = generation;
    this.raw = guarded(what, () => new Kind(input, now));
  }
  call(name, args) {
    if (this.generation !== generation || !this.raw) {
      throw trapError(this.what, 'the crosswalk core was restarted after an internal error in another call, so this operation cannot continue; run it again');
    }
    return guarded(this.what, () => this.raw[name](...args));
  }
  first() { return this.call('first', []); }
  /** `body`: the answer's bytes (a string is encoded): the core decodes them. */
  response(status, headers, body, now) {
    const bytes = typeof body === 'string' ? utf8Encoder.encode(body) : body;
    // Numbered like the core numbers them: a page may name the body its records' remote_data is in.
    if (this.bodies) this.bodies.push(bytes);
    return this.call('response', [status, headers, bytes, now]);
  }
  /**
   * A done step's value: a page whose `remote_data_ref` names a body this handle
   * kept gets each record's `remote_data` from it. Bodies before it are dropped.
   */
  settle(done) {
    const ref = done?.remote_data_ref;
    if (!this.bodies) return done;
    const body = ref ? this.bodies[ref.response - this.bodyBase] : undefined;
    this.bodyBase += this.bodies.length;
    this.bodies = [];
    if (!ref) return done;
    delete done.remote_data_ref;
    if (!(body instanceof Uint8Array) || !Array.isArray(done.result)) throw fail(500, 'internal_error', 'the crosswalk core named a response body this driver did not keep (a bug in crosswalk)');
    attachRemoteData(done.result, body, ref);
    return done;
  }
  transport_error(...args) { return this.call('transport_error', args); }
  resume(...args) { return this.call('resume', args); }
  credentials(...args) { return this.call('credentials', args); }
  next_page(...args) { return this.call('next_page', args); }
  has_next_page() { return this.call('has_next_page', []); }
  abort(...args) { return this.call('abort', args); }
  free() {
    const raw = this.raw;
    this.raw = null;
    if (!raw) return;
    // A handle of a replaced instance is forgotten, never freed in the new one.
    if (this.generation !== generation) return void raw.__destroy_into_raw();
    try {
      raw.free();
    } catch (err) {
      if (isTrap(err)) restart();
    }
  }
}

const ownRemoteData = (record, value) => Object.defineProperty(record, 'remote_data', { value, writable: true, enumerable: true, configurable: true });

/**
 * Gives each record `remote_data`: its raw item in the provider's response body
 * (bytes; `ref`: the keys to the items array, and the records' item indexes). The
 * body is decoded and parsed once, when a record's `remote_data` is first read —
 * not copied through the core, and not at all if nobody reads it.
 */
function attachRemoteData(records, body, ref) {
  let items;
  const rawItems = () => {
    if (items === undefined) {
      let v = JSON.parse(utf8.decode(body));
      for (const key of ref.path) v = v?.[key];
      if (!Array.isArray(v)) throw fail(500, 'internal_error', 'the response body the crosswalk core named has no items there (a bug in crosswalk)');
      items = v;
    }
    return items;
  };
  // One getter and setter for the whole page (the same accessor pair on every
  // record, so V8 keeps one shape); each record's item index is in a WeakMap.
  // A closure per record measured ~4x slower to attach on a page of 10,000.
  const itemOf = new WeakMap();
  const accessor = {
    enumerable: true,
    configurable: true,
    get() {
      const value = rawItems()[itemOf.get(this)];
      ownRemoteData(this, value);
      return value;
    },
    set(value) {
      ownRemoteData(this, value);
    },
  };
  for (let i = 0; i < records.length; i++) {
    itemOf.set(records[i], ref.index ? ref.index[i] : ref.start + i);
    Object.defineProperty(records[i], 'remote_data', accessor);
  }
}

const opOf = (input, method) => ({ provider: input?.account?.provider, model: input?.model, resource: input?.resource, method: method ?? (input?.passthrough ? 'passthrough' : input?.method) });

// ---------- files: Blob / File / bytes never cross into wasm ----------

const isFile = (v) =>
  (typeof Blob !== 'undefined' && v instanceof Blob) || v instanceof ArrayBuffer || ArrayBuffer.isView(v);

/**
 * Whether `extractFiles` would change what `value` serializes to: a file in it, or
 * an object with `toJSON` (the copy drops it). A body without either is sent as
 * it is; copying one measured ~2 µs of a ~20 µs plan().
 */
function needsCopy(value, depth = 0) {
  if (depth > 64 || value === null || typeof value !== 'object') return false;
  if (isFile(value) || typeof value.toJSON === 'function') return true;
  if (Array.isArray(value)) return value.some((v) => needsCopy(v, depth + 1));
  for (const k of Object.keys(value)) if (needsCopy(value[k], depth + 1)) return true;
  return false;
}

/** Replaces file values with `{ $file: ref, name, type, size }` placeholders. */
function extractFiles(value, files, depth = 0) {
  if (depth === 0 && !needsCopy(value)) return value;
  if (depth > 64 || value === null || typeof value !== 'object') return value;
  if (isFile(value)) {
    const ref = `f${files.size}`;
    files.set(ref, value);
    return {
      $file: ref,
      name: typeof value.name === 'string' ? value.name : undefined,
      type: typeof value.type === 'string' ? value.type : undefined,
      size: value.size ?? value.byteLength ?? 0,
    };
  }
  if (Array.isArray(value)) return value.map((v) => extractFiles(v, files, depth + 1));
  const out = {};
  for (const [k, v] of Object.entries(value)) put(out, k, extractFiles(v, files, depth + 1));
  return out;
}

function toBlob(value, type) {
  if (typeof Blob !== 'undefined' && value instanceof Blob) return value;
  return new Blob([value], type ? { type } : undefined);
}

function buildBody(req, files) {
  if (!req.multipart) return req.body ?? undefined;
  const form = new FormData();
  for (const part of req.multipart) {
    if (part.file !== undefined) {
      const file = files.get(part.file);
      if (!file) throw fail(400, 'invalid_input', `file ${part.file} is missing`);
      form.append(part.name, toBlob(file, part.content_type), part.filename ?? file.name ?? 'upload');
    } else {
      form.append(part.name, part.value);
    }
  }
  return form;
}

// ---------- the step loop ----------

const defaultSleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(t);
      reject(fail(499, 'aborted', 'the operation was aborted'));
    };
    // The listener goes when the sleep ends, so long syncs do not pile them up.
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });

function headersObject(headers) {
  const out = {};
  headers.forEach((v, k) => {
    put(out, k.toLowerCase(), v);
  });
  return out;
}

/** A positive finite number (milliseconds, bytes), or the default. */
function positiveOption(value, name, fallback) {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw fail(400, 'invalid_input', `${name} must be a positive number`, [{ field: name, code: 'invalid_type', message: 'must be a positive number' }]);
  }
  return value;
}

/** The error a failed step ends in, with the provider's Retry-After when it sent one. */
function stepError(step) {
  const err = new CrosswalkError(step.error);
  if (step.retry_after !== undefined) err.retryAfter = step.retry_after;
  return err;
}

/** Default cap on one provider answer's body. */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/**
 * The body of a Request or Response as bytes, refusing (not truncating) one larger
 * than `limit`: by Content-Length first, then by the bytes actually read (chunked
 * bodies declare none). `tooLarge()` makes the error thrown. The Worker reads
 * request bodies with it too, with `cancelUnread: false`: cancelling an incoming
 * request's unread body under wrangler dev left the 413 unsent (a CI run hung
 * 300 s); a provider answer's body is cancelled so its connection is released.
 */
export async function readBytesCapped(message, limit, tooLarge, { cancelUnread = true } = {}) {
  const declared = Number(message.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    if (cancelUnread) await message.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!message.body) return new Uint8Array(0);
  const reader = message.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return bytes;
}

// The same decoding as the core's (a leading byte-order mark dropped, invalid bytes as U+FFFD).
const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

/**
 * A provider answer's body as bytes, at most `limit` bytes (else
 * `response_too_large`, 502). Bytes, not text: the core decodes them, so a page is
 * copied into wasm once rather than decoded here and encoded again.
 */
function readCapped(response, limit, url) {
  // The host is parsed from the URL only when the error is made (~1 µs a request otherwise).
  const tooLarge = () => {
    const host = new URL(url).host;
    return fail(502, 'response_too_large', `${host} answered with more than ${limit} bytes; crosswalk does not read larger answers`, [
      { field: 'response.body', code: 'too_large', message: `over ${limit} bytes`, meta: { limit } },
    ]);
  };
  return readBytesCapped(response, limit, tooLarge);
}

// ---------- tokens: one renewal per account at a time ----------

/**
 * The credentials of the client's accounts as renewed by this client, and the
 * renewal in flight per account. Concurrent operations on one account share one
 * token request: the first performs it, the others wait and get its result
 * (`handle.credentials`), so a provider that rotates refresh tokens never sees
 * the old one twice. `onCredentials` is awaited before any operation goes on.
 * With `authority` (the Worker's Durable Object), renewals are delegated to it.
 */
class TokenKeeper {
  constructor({ onCredentials, authority } = {}) {
    this.onCredentials = onCredentials;
    this.authority = authority;
    this.inflight = new Map();
    this.latest = new Map();
    // Which renewal an account object handed to an operation already includes.
    this.generations = new WeakMap();
  }

  /** `acc` with this client's newest credentials, tagged with their generation. */
  use(acc) {
    const { account, generation } = this.current(acc);
    const out = { ...account };
    this.generations.set(out, generation);
    return out;
  }

  /** The account with the newest credentials this client holds for it (the stored copy may be older). */
  current(acc) {
    const latest = this.latest.get(acc.id);
    if (!latest) return { account: acc, generation: 0 };
    const c = acc.credentials ?? {};
    // Only a copy holding a token some renewal replaced is stale (however many renewals
    // ago); a reconnected account is newer.
    const stale = latest.superseded.has(c.access_token) || (c.access_token === undefined && latest.superseded.has(c.refresh_token));
    if (!stale) return { account: acc, generation: latest.generation };
    return { account: { ...acc, credentials: latest.credentials, context: latest.context }, generation: latest.generation };
  }

  /** A token request step of `handle`: performed (leader), shared, or answered by the authority. */
  async renew(driver, handle, step, files, signal, deadline) {
    const id = handle.accountId;
    const latest = this.latest.get(id);
    // Renewed by another operation since this one started: use that.
    if (latest && latest.generation > handle.tokenGeneration) return this.supply(handle, latest, driver);
    if (this.authority) {
      const got = await this.authority({ accountId: id, provider: handle.what.provider, stale: handle.staleCredentials });
      this.remember(id, handle.staleCredentials, got);
      return this.supply(handle, this.latest.get(id), driver);
    }
    const pending = this.inflight.get(id);
    if (pending) return this.supply(handle, await pending.promise, driver);
    let settle;
    const promise = new Promise((resolve, reject) => (settle = { resolve, reject }));
    promise.catch(() => {});
    this.inflight.set(id, { promise });
    handle.leading = settle;
    return driver.send(handle, step.send, files, signal, deadline);
  }

  supply(handle, latest, driver) {
    handle.tokenGeneration = latest.generation;
    return JSON.parse(handle.credentials(JSON.stringify({ credentials: latest.credentials, context: latest.context }), driver.now()));
  }

  remember(id, replaced, got) {
    const prev = this.latest.get(id);
    const generation = (prev?.generation ?? 0) + 1;
    // Every token a renewal replaced, so any older stored copy is recognised.
    const superseded = new Set(prev?.superseded);
    for (const c of [replaced, prev?.credentials]) {
      for (const k of ['access_token', 'refresh_token']) if (typeof c?.[k] === 'string') superseded.add(c[k]);
    }
    for (const k of ['access_token', 'refresh_token']) superseded.delete(got.credentials?.[k]);
    const entry = { credentials: got.credentials, context: got.context ?? {}, superseded, generation };
    this.latest.set(id, entry);
    return entry;
  }

  /** The core renewed the token: persist (awaited), share, then go on. */
  async saved(driver, handle, credentials) {
    if (this.onCredentials) await this.onCredentials(handle.accountId, { credentials: credentials.credentials, context: credentials.context });
    const entry = this.remember(handle.accountId, handle.staleCredentials, credentials);
    handle.tokenGeneration = entry.generation;
    handle.staleCredentials = credentials.credentials;
    this.finish(handle, entry);
    return JSON.parse(handle.resume(driver.now()));
  }

  /** Settles the renewal `handle` leads (with the credentials, or the failure). */
  finish(handle, entry, error) {
    const settle = handle.leading;
    if (!settle) return;
    handle.leading = undefined;
    this.inflight.delete(handle.accountId);
    // `error` may be a function making it: most operations lead no renewal, and an
    // error object (its stack) is not free.
    if (error) settle.reject(typeof error === 'function' ? error() : error);
    else settle.resolve(entry);
  }
}

/** Default total time of one operation (attempts, waits and retries included). */
export const DEFAULT_DEADLINE_MS = 60_000;

class Driver {
  constructor(options = {}) {
    this.fetch = options.fetch ?? globalThis.fetch?.bind(globalThis);
    this.sleep = options.sleep ?? defaultSleep;
    this.now = options.now ?? Date.now;
    this.timeoutMs = positiveOption(options.timeoutMs, 'timeoutMs', 30_000);
    this.deadlineMs = positiveOption(options.deadlineMs, 'deadlineMs', DEFAULT_DEADLINE_MS);
    this.maxResponseBytes = positiveOption(options.maxResponseBytes, 'maxResponseBytes', DEFAULT_MAX_RESPONSE_BYTES);
    this.onRequest = options.onRequest;
    this.tokens = new TokenKeeper({ onCredentials: options.onCredentials, authority: options.tokenAuthority });
  }

  /** When an operation starting now must end (`opts.deadlineMs` overrides the client's). */
  deadline(opts) {
    return this.now() + positiveOption(opts?.deadlineMs, 'deadlineMs', this.deadlineMs);
  }

  /** Performs one planned request, returning the next step (parsed). */
  async send(handle, req, files, signal, deadline) {
    const now = this.now;
    this.onRequest?.({ method: req.method, url: req.safe_url });
    if (req.url.startsWith(SANDBOX_ORIGIN + '/') || req.url === SANDBOX_ORIGIN) {
      const r = JSON.parse(guarded(handle.what, () => core.sandbox_respond(JSON.stringify(req), now())));
      return JSON.parse(handle.response(r.status, JSON.stringify(r.headers), r.body, now()));
    }
    if (!this.fetch) throw fail(500, 'no_fetch', 'no fetch implementation available; pass one to createClient');
    let response;
    let body;
    // One attempt never outlives the operation's deadline.
    // A controller and a timer, not AbortSignal.timeout: that signal is made
    // transferable, which measured ~10% of a small create's time in Node 20.
    const attempt = new AbortController();
    const timer = setTimeout(() => attempt.abort(new DOMException('The operation timed out.', 'TimeoutError')), Math.max(0, Math.min(this.timeoutMs, (deadline ?? Infinity) - now())));
    const stopCaller = signal ? follow(signal, attempt) : undefined;
    try {
      response = await this.fetch(req.url, {
        method: req.method,
        headers: req.multipart ? withoutContentType(req.headers) : req.headers,
        body: buildBody(req, files),
        redirect: 'manual',
        signal: attempt.signal,
      });
      body = await readCapped(response, this.maxResponseBytes, req.url);
    } catch (err) {
      if (err instanceof CrosswalkError) throw err;
      if (signal?.aborted) throw fail(499, 'aborted', 'the operation was aborted');
      return JSON.parse(handle.transport_error(String(err?.message ?? err), now()));
    } finally {
      clearTimeout(timer);
      stopCaller?.();
    }
    const step = JSON.parse(handle.response(response.status, JSON.stringify(headersObject(response.headers)), body, now()));
    const retryAfter = response.headers.get('retry-after');
    if (step.error && retryAfter !== null && (response.status === 429 || response.status === 503)) step.retry_after = retryAfter;
    return step;
  }

  /**
   * Runs steps until `done`; returns the done value. The handle stays usable.
   * With `onAbort` (bulk syncs), an abort (signal) becomes the step `onAbort`
   * returns (the core's report) instead of an exception, so every record is
   * still accounted for.
   */
  async drive(handle, firstText, files, signal, deadline, onAbort) {
    try {
      const done = await this.driveSteps(handle, firstText, files, signal, deadline, onAbort);
      // Ended without the credentials it was renewing (a sync that stopped with a
      // report): the operations waiting for them must not wait forever.
      this.tokens.finish(handle, undefined, () => fail(502, 'token_renewal_failed', 'the token renewal this operation waited for did not complete; run it again'));
      return done;
    } catch (err) {
      // A renewal this operation led failed (invalid_grant…): the operations
      // waiting for it fail the same way.
      this.tokens.finish(handle, undefined, err);
      throw err;
    }
  }

  async driveSteps(handle, firstText, files, signal, deadline, onAbort) {
    let step = JSON.parse(firstText);
    for (;;) {
      if (signal?.aborted && !onAbort) throw fail(499, 'aborted', 'the operation was aborted');
      if (step.error) throw stepError(step);
      if ('done' in step) return handle.settle(step.done);
      if (signal?.aborted) {
        step = onAbort();
        continue;
      }
      try {
        step = await this.perform(handle, step, files, signal, deadline);
      } catch (err) {
        if (!onAbort) throw err;
        // A sync accounts for every record whatever failed around it (the token
        // authority, onCredentials, the host guard): the core's abort report, with why.
        step = onAbort(signal?.aborted ? undefined : err);
      }
    }
  }

  /** Performs one `wait` or `send` step; returns the next step. */
  async perform(handle, step, files, signal, deadline) {
    if (step.wait) {
      await this.sleep(step.wait.until_ms - this.now(), signal);
      return JSON.parse(handle.resume(this.now()));
    }
    if (step.credentials) return this.tokens.saved(this, handle, step.credentials);
    if (step.send?.token_request && !handle.leading) return this.tokens.renew(this, handle, step, files, signal, deadline);
    if (step.send) return this.send(handle, step.send, files, signal, deadline);
    throw fail(500, 'misuse', 'unknown step from the core');
  }

  /** A core handle for an operation on `input.account`, with what its token renewals need. */
  handleFor(Kind, input, payload, method) {
    const byReference = Kind === core.Handle && !('passthrough' in payload);
    const handle = new CoreHandle(Kind, opOf(input, method), toJson(byReference ? { ...payload, remote_data_by_reference: true } : payload), this.now());
    if (byReference) {
      handle.bodies = [];
      handle.bodyBase = 0;
    }
    handle.accountId = input.account?.id;
    handle.tokenGeneration = this.tokens.generations.get(input.account) ?? 0;
    handle.staleCredentials = input.account?.credentials;
    return handle;
  }

  /** One token request (renewal or the connect flow's code exchange): `{ account_id, credentials, context }`. */
  async runToken(input, signal) {
    const handle = new CoreHandle(core.TokenHandle, { provider: input?.account?.provider, model: 'oauth', resource: 'token', method: input?.grant ?? 'refresh' }, toJson(input), this.now());
    // Sent as it is: this is the renewal itself, not an operation that needs one.
    handle.leading = { resolve() {}, reject() {} };
    try {
      return await this.driveSteps(handle, handle.first(), new Map(), signal, this.now() + this.deadlineMs);
    } finally {
      handle.free();
    }
  }

  /** A bulk sync: `drive` with an abort that ends in the core's report. */
  async runSync(input, signal) {
    const handle = this.handleFor(core.SyncHandle, input, input, 'sync');
    const reason = () => String(signal?.reason?.message ?? signal?.reason ?? 'aborted');
    try {
      return await this.drive(handle, handle.first(), new Map(), signal, undefined, (err) => JSON.parse(handle.abort(err ? String(err.message ?? err) : reason())));
    } finally {
      handle.free();
    }
  }

  /** One whole operation: start, drive, free — within `deadline` (ms, driver clock). */
  async run(input, signal, deadline) {
    const files = new Map();
    const payload = { ...input, deadline_ms: deadline };
    // A passthrough's body is plain JSON (no files) and sits inside `passthrough`.
    if (!('passthrough' in input)) payload.body = extractFiles(input.body ?? null, files);
    const handle = this.handleFor(core.Handle, input, payload);
    try {
      return await this.drive(handle, handle.first(), files, signal, deadline);
    } finally {
      handle.free();
    }
  }
}

/** Aborts `controller` when `signal` aborts; returns what stops following it. */
function follow(signal, controller) {
  if (signal.aborted) {
    controller.abort(signal.reason);
    return undefined;
  }
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

function withoutContentType(headers) {
  const out = { ...headers };
  delete out['content-type'];
  return out;
}

// ---------- lists ----------

/**
 * The result of `list()`: an async iterable over records across all pages, with
 * `.pages()` (Truto list shape per page), `.toArray()`, and `await`-able as the
 * first page (`{ result, next_cursor, result_count }`).
 */
export class ListCursor {
  #start;
  constructor(start) {
    this.#start = start;
  }

  /** Pages in order: `{ result, next_cursor, result_count, warnings? }`. */
  async *pages() {
    const { driver, input, signal, opts } = await this.#start();
    // Each page gets the deadline of one operation: a long stream is not cut off.
    let deadline = driver.deadline(opts);
    const handle = driver.handleFor(core.Handle, input, { ...input, deadline_ms: deadline });
    try {
      let page = await driver.drive(handle, handle.first(), new Map(), signal, deadline);
      yield page;
      // The core says when to stop: at the last page, and at `max_pages` (whose page
      // still carries a next_cursor for a later call).
      while (page.next_cursor && handle.has_next_page()) {
        deadline = driver.deadline(opts);
        page = await driver.drive(handle, handle.next_page(driver.now(), deadline), new Map(), signal, deadline);
        yield page;
      }
    } finally {
      handle.free();
    }
  }

  async *[Symbol.asyncIterator]() {
    for await (const page of this.pages()) {
      const records = Array.isArray(page.result) ? page.result : Object.values(page.result ?? {});
      yield* records;
    }
  }

  /** Every record of every page (honours `max_pages`). */
  async toArray() {
    const out = [];
    for await (const r of this) out.push(r);
    return out;
  }

  /** The first page only (what a Truto-style HTTP API returns per call). */
  async page() {
    for await (const p of this.pages()) return p;
    return { result: [], next_cursor: null, result_count: 0 };
  }

  then(resolve, reject) {
    return this.page().then(resolve, reject);
  }
}

// ---------- the client ----------

/** `{ clientId | client_id, clientSecret | client_secret, scopes? }` as the core reads it. */
function oauthApp(app) {
  const out = { client_id: app.client_id ?? app.clientId, client_secret: app.client_secret ?? app.clientSecret };
  if (app.scopes !== undefined) out.scopes = app.scopes;
  return out;
}

function retryFrom(options) {
  const r = options.retry ?? {};
  const out = {};
  if (r.maxAttempts ?? r.max_attempts) out.max_attempts = r.maxAttempts ?? r.max_attempts;
  if (r.baseDelayMs ?? r.base_delay_ms) out.base_delay_ms = r.baseDelayMs ?? r.base_delay_ms;
  if (r.maxDelayMs ?? r.max_delay_ms) out.max_delay_ms = r.maxDelayMs ?? r.max_delay_ms;
  if (r.maxRetryAfterMs ?? r.max_retry_after_ms) out.max_retry_after_ms = r.maxRetryAfterMs ?? r.max_retry_after_ms;
  return out;
}

/**
 * createClient({ accounts, fetch?, retry?, sleep?, now?, timeoutMs?, deadlineMs?, maxResponseBytes?, cursorKey?, strict? })
 * `timeoutMs` bounds one attempt (30 s); `deadlineMs` one whole operation or list
 * page, attempts, sleeps and retries included (60 s): a retry that would end later
 * is not started. Both can be set per call too (`opts.deadlineMs`).
 * `accounts`: an array of `{ id, provider, credentials, base_url?, context? }` or a
 * function `(id) => account | Promise<account>`. OAuth accounts carry
 * `credentials.access_token`, `refresh_token`, `expires_at` (ISO 8601); the app
 * that renews them is `oauthApps[provider]` (`{ client_id, client_secret, scopes? }`)
 * or the account's `oauth_app`. `onCredentials(accountId, { credentials, context })`
 * is awaited with renewed tokens before the operation goes on; concurrent
 * operations on one account share one renewal.
 */
export function createClient(options = {}) {
  const driver = new Driver(options);
  const retry = retryFrom(options);
  // Signs every next_cursor (HMAC-SHA256, bound to the account) and refuses one
  // that was changed. Set it whenever cursors pass through hands you do not trust.
  const cursorKey = options.cursorKey === undefined ? undefined : stringArg(options.cursorKey, 'cursorKey');
  // Accounts are checked with the core's rules up front (an array) or when first
  // resolved (a function), so a bad one fails with field paths, not on first use.
  const checked = new WeakSet();
  // The account with its provider's OAuth app (when the account names none).
  const withApp = (acc) => {
    const app = acc && typeof acc === 'object' ? options.oauthApps?.[acc.provider] : undefined;
    return app && !acc.oauth_app ? { ...acc, oauth_app: oauthApp(app) } : acc;
  };
  const check = (acc, prefix) => {
    const full = withApp(acc);
    if (acc && typeof acc === 'object' && checked.has(acc)) return full;
    const { valid, errors } = validateAccount(full);
    if (!valid) throw accountError(acc, errors, prefix);
    if (acc && typeof acc === 'object') checked.add(acc);
    return full;
  };
  if (Array.isArray(options.accounts)) options.accounts.forEach((acc, i) => check(acc, `accounts[${i}]`));

  async function account(query) {
    const id = query?.integrated_account_id;
    if (!id) {
      throw fail(400, 'validation_failed', 'integrated_account_id is required', [
        { field: 'query.integrated_account_id', code: 'required', message: 'is required' },
      ]);
    }
    const acc =
      typeof options.accounts === 'function'
        ? await options.accounts(id)
        : (options.accounts ?? []).find((a) => a.id === id);
    if (!acc) throw fail(404, 'unknown_account', `no integrated account ${typeof id === 'string' || typeof id === 'number' ? JSON.stringify(String(id)) : `(a ${typeof id})`}`);
    return driver.tokens.use({ ...check(acc, 'account'), id });
  }

  function withDefaults(query, opts) {
    const q = { ...(query ?? {}) };
    if (options.strict === false && q.strict === undefined) q.strict = false;
    if (opts?.idempotencyKey) q.idempotency_key = opts.idempotencyKey;
    return q;
  }

  async function run(model, resource, method, { id, body, query, opts }) {
    const q = withDefaults(query, opts);
    const acc = await account(q);
    return driver.run({ account: acc, model, resource, method, id: idText(id), body, query: q, retry, cursor_key: cursorKey }, opts?.signal, driver.deadline(opts));
  }

  const unifiedApi = {
    create: (model, resource, body, query, opts) => run(model, resource, 'create', { body, query, opts }),
    get: (model, resource, id, query, opts) => run(model, resource, 'get', { id, query, opts }),
    update: (model, resource, id, body, query, opts) => run(model, resource, 'update', { id, body, query, opts }),
    delete: (model, resource, id, query, opts) => run(model, resource, 'delete', { id, query, opts }),
    list(model, resource, query, opts) {
      return new ListCursor(async () => {
        const q = withDefaults(query, opts);
        const acc = await account(q);
        return { driver, input: { account: acc, model, resource, method: 'list', body: null, query: q, retry, cursor_key: cursorKey }, signal: opts?.signal, opts };
      });
    },
  };

  /**
   * Bulk sync (LinkedIn application notes): every record is validated first, then
   * sent in per-application batches of at most 100 under the provider's throttle
   * budget. Resolves with a report accounting for every record; rejects only when
   * nothing could be attempted (unknown account, bad credentials settings, bad options).
   */
  async function sync(model, resource, records, query, opts) {
    const q = withDefaults(query, opts);
    const acc = await account(q);
    const options = {};
    if (opts?.budget != null) options.budget = typeof opts.budget === 'string' ? JSON.parse(opts.budget) : opts.budget;
    if (opts?.limits) {
      options.limits = {
        requests_per_day: opts.limits.requestsPerDay ?? opts.limits.requests_per_day,
        records_per_minute: opts.limits.recordsPerMinute ?? opts.limits.records_per_minute,
      };
    }
    if (opts?.wait !== undefined) options.wait = opts.wait;
    const maxWait = opts?.maxWaitMs ?? opts?.max_wait_ms;
    if (maxWait !== undefined) options.max_wait_ms = maxWait;
    const input = { account: acc, model, resource, records: Array.from(records ?? []), query: q, options, retry };
    return driver.runSync(input, opts?.signal);
  }

  /**
   * The provider's own API through the account (what the unified model does not
   * cover): `request` is `{ method, path, query?, headers?, body? }` with `path` on
   * the provider's API. Same auth, hosts, retries and deadline as unified calls.
   * Resolves with `{ status, headers, body }` for any provider status; rejects with
   * a CrosswalkError only when crosswalk refuses the request or gets no answer.
   */
  async function passthrough(request, opts) {
    const acc = await account({ integrated_account_id: opts?.integrated_account_id ?? opts?.integratedAccountId });
    return driver.run({ account: acc, passthrough: request ?? null, retry }, opts?.signal, driver.deadline(opts));
  }

  /**
   * The connect flow and token renewal, on the same core: `authorizeUrl` (where
   * the user consents), `exchangeCode` (the callback's code → `{ credentials,
   * context }` to store), `refresh` (renews an account's token now; with
   * `force`, even one that has not expired).
   */
  // The account a connect flow starts from: provider, context, sign-in override and app.
  const flowAccount = ({ provider, context, authBaseUrl, auth_base_url, oauthApp: app }) =>
    withApp({ provider, context: context ?? {}, auth_base_url: auth_base_url ?? authBaseUrl, oauth_app: app ? oauthApp(app) : undefined });
  const oauth = {
    authorizeUrl(request) {
      const { redirectUri, redirect_uri, state, codeChallenge, code_challenge } = request;
      const account = flowAccount(request);
      const input = { account, redirect_uri: redirect_uri ?? redirectUri, state, code_challenge: code_challenge ?? codeChallenge };
      return parseOrThrow(guarded('authorizeUrl', () => core.authorize_url(toJson(input)))).url;
    },
    async exchangeCode(request) {
      const { code, redirectUri, redirect_uri, codeVerifier, code_verifier, signal } = request;
      const account = flowAccount(request);
      const done = await driver.runToken({ account, grant: 'authorization_code', code, redirect_uri: redirect_uri ?? redirectUri, code_verifier: code_verifier ?? codeVerifier, retry }, signal);
      return { credentials: done.credentials, context: done.context };
    },
    async refresh(integratedAccountId, opts) {
      const acc = await account({ integrated_account_id: integratedAccountId });
      const done = await driver.runToken({ account: acc, grant: 'refresh', force: Boolean(opts?.force), retry }, opts?.signal);
      const out = { credentials: done.credentials, context: done.context };
      if (done.credentials.access_token !== acc.credentials?.access_token) {
        if (options.onCredentials) await options.onCredentials(acc.id, out);
        driver.tokens.remember(acc.id, acc.credentials, out);
      }
      return out;
    },
  };

  return { unifiedApi, sync, passthrough, oauth, driver };
}

// ---------- stateless helpers ----------

/** The provider request(s) a unified request becomes, secrets redacted. */
export function plan({ account, model, resource, method, id, body, query, cursorKey, passthrough }) {
  const input =
    passthrough !== undefined
      ? { account, passthrough }
      : { account, model, resource, method, id: idText(id), body: extractFiles(body ?? null, new Map()), query: query ?? {}, cursor_key: cursorKey };
  return parseOrThrow(guarded(opOf(input), () => core.plan(toJson(input), Date.now())));
}

/** Validation only: `{ valid, errors: [{ field, code, message }], warnings }`. */
export function validate({ provider, model, resource, method, id, body, query }) {
  const files = new Map();
  const input = { provider, model, resource, method, id, body: extractFiles(body ?? null, files), query: query ?? {} };
  return parseOrThrow(guarded({ provider, model, resource, method }, () => core.validate(toJson(input))));
}

/**
 * The core's account rules, checked before an account is stored or used:
 * `{ valid, errors: [{ field, code, message }] }` with paths such as
 * `credentials.api_key`, `context.subdomain`, `base_url`, `provider`. Messages
 * never quote a value.
 */
export function validateAccount(account) {
  return parseOrThrow(guarded('validateAccount', () => core.validate_account(toJson(account ?? null))));
}

/** A CrosswalkError (400 validation_failed) for an invalid account; `prefix` leads each field path. */
function accountError(account, errors, prefix) {
  const id = typeof account?.id === 'string' ? ` ${JSON.stringify(account.id.slice(0, 128))}` : '';
  const details = errors.map((e) => ({ ...e, field: e.field ? `${prefix}.${e.field}` : prefix }));
  return fail(400, 'validation_failed', `the integrated account${id} is not valid: ${details.map((d) => `${d.field} ${d.message}`).join('; ')}`, details);
}

let coverageCache;
/** model → resource → method → { providers, request: field → provider → {supported, required, …}, response: … } */
export function coverage() {
  coverageCache ??= JSON.parse(guarded('coverage', () => core.coverage()));
  return structuredClone(coverageCache);
}

let providersCache;
/** `[{ name, label, docs, hosts, resources: [{ model, resource, methods }] }]` */
export function providers() {
  providersCache ??= JSON.parse(guarded('providers', () => core.providers()));
  return structuredClone(providersCache);
}

/** The unified resource's field descriptions (body, filters, record). */
export function schema(model, resource) {
  return JSON.parse(guarded('schema', () => core.schema(stringArg(model, 'model'), stringArg(resource, 'resource'))));
}

/** Parses a Truto-style query string (`a[b]=c&x[]=1`) into the query object. */
export function parseQuery(queryString) {
  return JSON.parse(guarded('parseQuery', () => core.parse_query(stringArg(queryString, 'queryString'))));
}

/** The embedded sandbox backend (in-memory; reset restores the seeded data). */
export const sandbox = {
  origin: SANDBOX_ORIGIN,
  reset: () => guarded('sandbox.reset', () => core.sandbox_reset()),
};
