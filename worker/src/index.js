// The crosswalk Worker: a Truto-compatible unified API over the crosswalk wasm core,
// integrated accounts in KV, idempotency keys in a Durable Object, and the admin
// page (static assets from ../www). The routes are the ROUTES table below.
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
export { AccountTokens } from './tokens.js';
export { SyncBudgets } from './budgets.js';
import { startConnect, finishConnect } from './connect.js';
import { oauthAppsOf } from './tokens.js';
import { runUnified, runSync, passthrough, unifiedMethod, meta } from './unified.js';

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

/** `call()`, or with an Idempotency-Key its first answer replayed to every repeat. */
function oncePerKey({ request, env, tenant, url }, bodyText, call) {
  const key = idempotencyKeyOf(request);
  return key ? idempotent({ env, tenant, request, url, key, bodyText }, call) : call();
}

/** CRUD on one unified resource; writes go through the Idempotency-Key store. */
async function unifiedCall(ctx) {
  const { request, env, tenant, url, params: { model, resource, id } } = ctx;
  const method = unifiedMethod(request.method, id !== undefined);
  const { text, value } = method === 'create' || method === 'update' ? await readJson(request, env) : { text: '', value: undefined };
  const idempotencyKey = idempotencyKeyOf(request) ?? undefined;
  return oncePerKey(ctx, text, () => runUnified({ env, tenant, method, path: { model, resource, id }, search: url.search, body: value, idempotencyKey }).catch(errorResponse));
}

/**
 * `POST /passthrough?integrated_account_id=…` with `{ method, path, query?,
 * headers?, body? }`, answered 200 as `{ status, headers, body }`: the provider's
 * status is in the answer, as in Merge's passthrough.
 */
async function passthroughCall(ctx) {
  const { request, env, tenant, url } = ctx;
  const { text, value } = await readJson(request, env);
  const accountId = url.searchParams.get('integrated_account_id') ?? undefined;
  return oncePerKey(ctx, text, () => passthrough({ env, tenant, accountId, request: value }).then(json, errorResponse));
}

/**
 * Truto-style `ANY /proxy/{path}?integrated_account_id=…`: the same passthrough
 * with the request's own method, path (as sent, still percent-encoded), query and
 * JSON body, answered with the provider's status and body.
 */
async function proxyCall(ctx) {
  const { request, env, tenant, url } = ctx;
  const { text, value } = ['GET', 'DELETE'].includes(request.method) ? { text: '', value: undefined } : await readJson(request, env);
  const query = {};
  for (const [k, v] of url.searchParams) if (k !== 'integrated_account_id') (query[k] ??= []).push(v);
  const forwarded = { method: request.method, path: url.pathname.slice('/proxy'.length) || '/', query, ...(value === undefined ? {} : { body: value }) };
  const accountId = url.searchParams.get('integrated_account_id') ?? undefined;
  const asProviderAnswer = (answer) => {
    const text = typeof answer.body === 'string';
    const body = answer.body === null ? null : text ? answer.body : JSON.stringify(answer.body);
    return new Response(body, { status: answer.status, headers: { 'content-type': text ? 'text/plain; charset=utf-8' : 'application/json' } });
  };
  return oncePerKey(ctx, text, () => passthrough({ env, tenant, accountId, request: forwarded }).then(asProviderAnswer, errorResponse));
}

const PROXY = { GET: proxyCall, POST: proxyCall, PUT: proxyCall, PATCH: proxyCall, DELETE: proxyCall };

/**
 * Every route, in match order: path segments (`:name` binds one; `prefix` matches
 * any longer path too), and a handler per HTTP method. A path that matches with
 * another method is a 405 listing the methods, unless `fallthrough` lets a later
 * route take it (`GET …/sync` reads the record with id "sync").
 */
export const ROUTES = [
  { path: ['health'], public: true, methods: { GET: () => json({ ok: true }) } },
  { path: ['providers'], methods: { GET: () => json(providers()) } },
  { path: ['coverage'], methods: { GET: () => json(coverage()) } },
  {
    path: ['integrated-accounts'],
    methods: {
      GET: ({ env, tenant, url }) => listAccounts(env, tenant, url),
      POST: async ({ request, env, tenant }) => createAccount(env, tenant, (await readJson(request, env)).value, oauthAppsOf(env)),
    },
  },
  {
    path: ['integrated-accounts', ':id'],
    methods: {
      GET: ({ env, tenant, params }) => getAccount(env, tenant, params.id),
      DELETE: ({ env, tenant, params }) => deleteAccount(env, tenant, params.id),
    },
  },
  // The OAuth connect flow (connect.js): the callback is reached by the user's
  // browser from the provider, authenticated by its sealed state, not a token.
  { path: ['connect', 'callback'], public: true, methods: { GET: (ctx) => finishConnect(ctx) } },
  {
    path: ['connect', ':provider'],
    methods: { POST: async ({ request, env, tenant, url, params }) => startConnect({ env, tenant, url, provider: params.provider, body: (await readJson(request, env)).value ?? {} }) },
  },
  { path: ['passthrough'], methods: { POST: passthroughCall } },
  { path: ['proxy'], prefix: true, methods: PROXY },
  { path: ['unified', ':model', ':resource', 'meta', ':method'], methods: { GET: ({ env, tenant, params, url }) => meta(env, tenant, params, url) } },
  {
    path: ['unified', ':model', ':resource', 'sync'],
    fallthrough: true,
    methods: {
      POST: async ({ request, env, tenant, url, params: { model, resource } }) =>
        runSync({ env, tenant, path: { model, resource }, search: url.search, body: (await readJson(request, env)).value }).catch(errorResponse),
    },
  },
  { path: ['unified', ':model', ':resource'], methods: { GET: unifiedCall, POST: unifiedCall } },
  { path: ['unified', ':model', ':resource', ':id'], methods: { GET: unifiedCall, PATCH: unifiedCall, DELETE: unifiedCall } },
];

/** The route's bound `:params` when `parts` matches its path, else null (`prefix`: any rest). */
function match(path, parts, prefix) {
  if (prefix ? parts.length < path.length : path.length !== parts.length) return null;
  const params = {};
  for (const [i, seg] of path.entries()) {
    if (seg.startsWith(':')) params[seg.slice(1)] = parts[i];
    else if (seg !== parts[i]) return null;
  }
  return params;
}

async function route(request, env) {
  const url = new URL(request.url);
  const parts = segments(url.pathname);
  const notFound = () => new HttpError(404, 'not_found', `no route for ${request.method} ${url.pathname}`);
  // Unknown top-level paths are 404 before auth; everything under a known one is authenticated first.
  const family = ROUTES.filter((r) => r.path[0] === parts[0]);
  if (family.length === 0) throw notFound();
  // A public route that matches (method included) needs no token; anything else does.
  const open = family.some((r) => r.public && match(r.path, parts, r.prefix) && Object.hasOwn(r.methods, request.method));
  const tenant = open ? undefined : await authenticate(request, env);
  for (const r of family) {
    const params = match(r.path, parts, r.prefix);
    if (!params) continue;
    const handler = Object.hasOwn(r.methods, request.method) ? r.methods[request.method] : undefined;
    if (handler) return handler({ request, env, tenant, url, params });
    if (!r.fallthrough) throw methodNotAllowed(Object.keys(r.methods).join(', '));
  }
  throw notFound();
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
