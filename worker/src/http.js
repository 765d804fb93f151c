// HTTP plumbing shared by every route: Truto-shaped JSON errors, JSON responses,
// CORS, and a request-body reader that enforces the size cap on the bytes it
// actually reads (a Content-Length header can lie or be absent).

import { CrosswalkError, readBytesCapped } from 'crosswalk';

const REASONS = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
};

/** An error the Worker itself answers with: `{ statusCode, error, code, message, details }`. */
export class HttpError extends Error {
  constructor(statusCode, code, message, details = [], headers = {}) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
  toJSON() {
    return { statusCode: this.statusCode, error: REASONS[this.statusCode] ?? 'Error', code: this.code, message: this.message, details: this.details };
  }
}

const BASE_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function json(body, status = 200, headers = {}) {
  return new Response(JSON.stringify(body), { status, headers: { ...BASE_HEADERS, ...headers } });
}

/** Any error → its JSON response; unknown errors are logged and answered without detail. */
export function errorResponse(err) {
  if (err instanceof HttpError) return json(err.toJSON(), err.statusCode, err.headers);
  // CrosswalkError from the package (validation, remote, unsupported…): already
  // Truto-shaped and secret-free (the core redacts credentials).
  if (err instanceof CrosswalkError) {
    const body = err.toJSON();
    // A provider's Retry-After reaches the caller, so its client backs off as asked.
    return json(body, body.statusCode ?? 500, err.retryAfter !== undefined ? { 'retry-after': err.retryAfter } : undefined);
  }
  console.error('crosswalk worker: unhandled error', err);
  return json(new HttpError(500, 'internal', 'internal error').toJSON(), 500);
}

export function withCors(response, env) {
  const headers = new Headers(response.headers);
  headers.set('access-control-allow-origin', env.CORS_ALLOW_ORIGIN || '*');
  headers.set('access-control-expose-headers', 'Idempotent-Replayed, Retry-After');
  headers.append('vary', 'Origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

export function preflight(env) {
  return withCors(
    new Response(null, {
      status: 204,
      headers: {
        'access-control-allow-methods': 'GET, POST, PATCH, DELETE, OPTIONS',
        'access-control-allow-headers': 'Authorization, Content-Type, Idempotency-Key',
        'access-control-max-age': '86400',
      },
    }),
    env,
  );
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export function maxBodyBytes(env) {
  const n = Number(env.MAX_BODY_BYTES);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_MAX_BODY_BYTES;
}

function tooLarge(limit) {
  return new HttpError(413, 'payload_too_large', `the request body is larger than ${limit} bytes`, [
    { code: 'payload_too_large', message: `at most ${limit} bytes`, meta: { limit } },
  ]);
}

/**
 * Reads the body as text, refusing more than `limit` bytes: first by the declared
 * Content-Length, then by counting what arrives (chunked bodies have none).
 */
export async function readText(request, limit) {
  const bytes = await readBytesCapped(request, limit, () => tooLarge(limit), { cancelUnread: false });
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, 'invalid_body', 'the request body is not valid UTF-8');
  }
}

/** The JSON body of a POST/PATCH (undefined when empty). Only JSON is accepted. */
export async function readJson(request, env) {
  const text = await readText(request, maxBodyBytes(env));
  if (text.trim() === '') return { text, value: undefined };
  const type = (request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type && type !== 'application/json' && !type.endsWith('+json')) {
    throw new HttpError(415, 'unsupported_media_type', 'request bodies must be application/json');
  }
  try {
    return { text, value: JSON.parse(text) };
  } catch (e) {
    throw new HttpError(400, 'invalid_json', 'the request body is not valid JSON', [{ field: 'body', code: 'invalid_json', message: String(e?.message ?? e) }]);
  }
}

export async function sha256Hex(text) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
