// The crosswalk Worker: a Truto-compatible unified API over the crosswalk wasm core,
// integrated accounts in KV, and the admin page (static assets from ../www).
//
//   GET    /health                                      (no auth)
//   GET    /providers | /coverage
//   GET    /unified/{model}/{resource}                  list (one page; next_cursor)
//   POST   /unified/{model}/{resource}                  create
//   GET    /unified/{model}/{resource}/{id}             get
//   PATCH  /unified/{model}/{resource}/{id}             update
//   DELETE /unified/{model}/{resource}/{id}             delete
//   POST   /unified/{model}/{resource}/sync             bulk sync (custom method; LinkedIn notes)
//   GET    /unified/{model}/{resource}/meta/{method}    fields × provider support
//   POST   /integrated-accounts   GET /integrated-accounts[/{id}]   DELETE /integrated-accounts/{id}
//
// Everything except /health, CORS preflights and the static admin page needs
// `Authorization: Bearer <token>` (API_TOKENS); the token's tenant owns the
// accounts, idempotency keys and sync budgets the request can reach.
import { coverage, providers } from 'crosswalk';
import { HttpError, json, errorResponse, withCors, preflight, readJson } from './http.js';
import { authenticate } from './auth.js';
import { createAccount, getAccount, deleteAccount, listAccounts } from './accounts.js';
import { idempotencyKeyOf, idempotent } from './idempotency.js';

// Durable Object classes must be exported from the main module.
export { IdempotencyKeys } from './idempotency.js';
import { runUnified, runSync, unifiedMethod, allowedMethods, meta } from './unified.js';

function methodNotAllowed(allow) {
  return new HttpError(405, 'method_not_allowed', `allowed methods: ${allow}`, [], { allow });
}

function segments(pathname) {
  const parts = pathname.split('/').filter((s) => s !== '');
  try {
    return parts.map(decodeURIComponent);
  } catch {
    throw new HttpError(400, 'invalid_path', 'the path is not valid percent-encoding');
  }
}

async function route(request, env) {
  const url = new URL(request.url);
  const parts = segments(url.pathname);
  const [head] = parts;

  if (head === 'health' && parts.length === 1) return json({ ok: true });
  if (!['unified', 'integrated-accounts', 'providers', 'coverage'].includes(head)) {
    throw new HttpError(404, 'not_found', `no route for ${request.method} ${url.pathname}`);
  }

  const tenant = await authenticate(request, env);

  if ((head === 'providers' || head === 'coverage') && parts.length === 1) {
    if (request.method !== 'GET') throw methodNotAllowed('GET');
    return json(head === 'providers' ? providers() : coverage());
  }

  if (head === 'integrated-accounts') {
    if (parts.length === 1) {
      if (request.method === 'GET') return listAccounts(env, tenant, url);
      if (request.method === 'POST') {
        const { value } = await readJson(request, env);
        return createAccount(env, tenant, value);
      }
      throw methodNotAllowed('GET, POST');
    }
    if (parts.length === 2) {
      if (request.method === 'GET') return getAccount(env, tenant, parts[1]);
      if (request.method === 'DELETE') return deleteAccount(env, tenant, parts[1]);
      throw methodNotAllowed('GET, DELETE');
    }
  }

  if (head === 'unified') {
    const [, model, resource, id, ...rest] = parts;
    if (model && resource && id === 'meta' && rest.length === 1) {
      if (request.method !== 'GET') throw methodNotAllowed('GET');
      return meta(env, tenant, { model, resource, method: rest[0] }, url);
    }
    if (model && resource && id === 'sync' && rest.length === 0 && request.method === 'POST') {
      const { value } = await readJson(request, env);
      return runSync({ env, tenant, path: { model, resource }, search: url.search, body: value }).catch(errorResponse);
    }
    if (model && resource && rest.length === 0) {
      const hasId = id !== undefined;
      const method = unifiedMethod(request.method, hasId);
      if (!method) throw methodNotAllowed(allowedMethods(hasId));
      const { text, value } = method === 'create' || method === 'update' ? await readJson(request, env) : { text: '', value: undefined };
      const key = idempotencyKeyOf(request);
      const call = () =>
        runUnified({ env, tenant, method, path: { model, resource, id }, search: url.search, body: value, idempotencyKey: key ?? undefined }).catch(errorResponse);
      if (!key) return call();
      return idempotent({ env, tenant, request, url, key, bodyText: text }, call);
    }
  }

  throw new HttpError(404, 'not_found', `no route for ${request.method} ${url.pathname}`);
}

export default {
  async fetch(request, env) {
    if (request.method === 'OPTIONS') return preflight(env);
    let response;
    try {
      response = await route(request, env);
    } catch (err) {
      response = errorResponse(err);
    }
    return withCors(response, env);
  },
};
