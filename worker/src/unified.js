// The Truto-compatible unified routes. All mapping, validation, paging and
// retries happen in the crosswalk package; this file only turns HTTP into
// client calls and client results back into HTTP.
import { createClient, parseQuery, coverage, schema } from 'crosswalk';
import { HttpError, json } from './http.js';
import { loadAccount, usesTokens } from './accounts.js';
import { budgetScope, withBudget } from './budgets.js';
import { guardedFetch, baseUrlAllowed } from './hosts.js';
import { oauthAppsOf, tokensStub } from './tokens.js';
import { CrosswalkError } from 'crosswalk';

const METHOD_OF = {
  // [HTTP method, has id] → unified method
  'GET:false': 'list',
  'POST:false': 'create',
  'GET:true': 'get',
  'PATCH:true': 'update',
  'DELETE:true': 'delete',
};

export function unifiedMethod(httpMethod, hasId) {
  return METHOD_OF[`${httpMethod}:${hasId}`];
}

/** A client for one request, with the tenant's accounts from KV and the host-guarded fetch. */
function clientFor(env, tenant) {
  return fullClientFor(env, tenant).unifiedApi;
}

/** Default total time of one Worker call to a provider, retries included: well under the 30 s a Truto SDK waits. */
export const DEFAULT_DEADLINE_MS = 20_000;

/** Default cap on one provider answer: a Worker has 128 MB, and the unified page is about twice the answer. */
export const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

function positive(value, fallback) {
  const n = Number(value ?? fallback);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

function deadlineOf(env) {
  return positive(env.REQUEST_DEADLINE_MS, DEFAULT_DEADLINE_MS);
}

/**
 * The key that signs list cursors: `CURSOR_KEY` (a secret), or else one derived
 * from `API_TOKENS`, so a deployment never hands out unsigned cursors (set
 * `CURSOR_KEY` to keep cursors valid across token rotation).
 */
export function cursorKeyOf(env) {
  if (typeof env.CURSOR_KEY === 'string' && env.CURSOR_KEY !== '') return env.CURSOR_KEY;
  return `derived:${env.API_TOKENS ?? ''}`;
}

function fullClientFor(env, tenant) {
  let resolved;
  const deadlineMs = deadlineOf(env);
  const client = createClient({
    // Per tenant: a cursor issued to one tenant does not verify for another.
    cursorKey: `${cursorKeyOf(env)}\n${tenant}`,
    deadlineMs,
    timeoutMs: deadlineMs,
    maxResponseBytes: positive(env.MAX_RESPONSE_BYTES, DEFAULT_MAX_RESPONSE_BYTES),
    accounts: async (id) => {
      const account = await loadAccount(env, tenant, id);
      if (account?.base_url && !baseUrlAllowed(env)) {
        throw new HttpError(403, 'base_url_not_allowed', `integrated account ${JSON.stringify(id)} has a base_url, and base_url overrides are disabled on this deployment`);
      }
      resolved = account;
      return account && { id: account.id, provider: account.provider, credentials: account.credentials, context: account.context, base_url: account.base_url, auth_base_url: account.auth_base_url };
    },
    oauthApps: oauthAppsOf(env),
    // Renewals are the account's Durable Object's (tokens.js): one per account
    // across every isolate, stored before they are used.
    tokenAuthority: async ({ accountId, stale }) => {
      const renewed = await tokensStub(env, tenant, accountId).renew({ tenant, account: resolved, stale });
      if (renewed.error) throw new CrosswalkError(renewed.error);
      return renewed;
    },
    fetch: guardedFetch(env, () => resolved),
  });
  // A 401 the tokens cannot get past: the account shows needs_reauth.
  const marked = (promise, id) =>
    promise.catch(async (err) => {
      if (err?.code === 'reauth_required' && id && resolved && usesTokens(resolved.provider)) {
        await tokensStub(env, tenant, id).markStatus({ tenant, id, state: 'needs_reauth', last_error: err.message });
      }
      throw err;
    });
  const api = client.unifiedApi;
  return {
    ...client,
    passthrough: (request, opts) => marked(client.passthrough(request, opts), opts?.integrated_account_id),
    unifiedApi: {
      create: (m, r, body, q, o) => marked(api.create(m, r, body, q, o), q?.integrated_account_id),
      get: (m, r, id, q, o) => marked(api.get(m, r, id, q, o), q?.integrated_account_id),
      update: (m, r, id, body, q, o) => marked(api.update(m, r, id, body, q, o), q?.integrated_account_id),
      delete: (m, r, id, q, o) => marked(api.delete(m, r, id, q, o), q?.integrated_account_id),
      list: (m, r, q, o) => {
        const cursor = api.list(m, r, q, o);
        return { page: () => marked(cursor.page(), q?.integrated_account_id) };
      },
    },
  };
}

/**
 * `POST /unified/{model}/{resource}/sync` — Truto's custom-method form, answered
 * as `{ result: report }`. Body `{ records, wait?, max_wait_ms? }`. The budget is
 * the Worker's own: kept per LinkedIn application in a Durable Object
 * (budgets.js), so later calls (or a cron) resume inside the same windows and
 * two concurrent syncs never spend the same budget. A `budget` in the body is refused
 * (400): a caller-supplied budget could reset the provider's limits. By default
 * the Worker does not sleep on the budget (`wait: false`): records that do not
 * fit come back as `not_sent: budget_exhausted` with `retry_at`.
 */
export async function runSync({ env, tenant, path, search, body }) {
  const query = parseQuery(search);
  if (!body || typeof body !== 'object' || Array.isArray(body) || !Array.isArray(body.records)) {
    throw new HttpError(400, 'validation_failed', 'the body needs records: an array of unified records', [
      { field: 'body.records', code: 'invalid_type', message: 'must be an array of unified records' },
    ]);
  }
  if (Object.hasOwn(body, 'budget')) {
    throw new HttpError(400, 'validation_failed', 'the throttle budget is kept by the Worker and cannot be set by the caller', [
      { field: 'body.budget', code: 'not_allowed', message: 'remove it: the budget comes from the Worker\'s storage' },
    ]);
  }
  const id = typeof query.integrated_account_id === 'string' ? query.integrated_account_id : undefined;
  // Only the tenant's own account has a budget (another tenant's id is a 404 from the client).
  const account = id ? await loadAccount(env, tenant, id) : undefined;
  const run = (budget) => fullClientFor(env, tenant).sync(path.model, path.resource, body.records, query, { budget, wait: body.wait ?? false, maxWaitMs: body.max_wait_ms });
  const report = account ? await withBudget(env, budgetScope(tenant, account), run) : await run(undefined);
  return json({ result: report });
}

/**
 * Runs one unified call. `path` = { model, resource, id? }; `body` is the parsed
 * JSON body (POST/PATCH). Returns the Response.
 */
export async function runUnified({ env, tenant, method, path, search, body, idempotencyKey }) {
  const query = parseQuery(search);
  const api = clientFor(env, tenant);
  const { model, resource, id } = path;
  const opts = idempotencyKey ? { idempotencyKey } : undefined;
  switch (method) {
    case 'list':
      // One provider page per call (the Truto list shape); next_cursor continues,
      // truto_ignore_limit collects every page inside the core.
      return json(await api.list(model, resource, query, opts).page());
    case 'create':
      return json(await api.create(model, resource, body ?? {}, query, opts), 201);
    case 'get':
      return json(await api.get(model, resource, id, query, opts));
    case 'update':
      return json(await api.update(model, resource, id, body ?? {}, query, opts));
    case 'delete':
      return json((await api.delete(model, resource, id, query, opts)) ?? {});
    default:
      throw new HttpError(405, 'method_not_allowed', `${method} is not a unified method`);
  }
}

/**
 * `GET /unified/{model}/{resource}/meta/{method}`: the operation's request fields
 * (body for create/update, query filters otherwise) and response fields, each
 * with per-provider support from the coverage tables. `?provider=` (or
 * `?integrated_account_id=`) narrows the answer to one provider.
 */
export async function meta(env, tenant, { model, resource, method }, url) {
  const res = schema(model, resource);
  if (!res) throw new HttpError(404, 'unknown_resource', `no unified resource ${model}/${resource}`);
  const cov = coverage()[model]?.[resource]?.[method];
  if (!cov) {
    throw new HttpError(404, 'unsupported_operation', `no provider supports ${method} on ${model}/${resource}`, [
      { code: 'unsupported_operation', message: `methods with providers: ${Object.keys(coverage()[model]?.[resource] ?? {}).join(', ') || 'none'}` },
    ]);
  }
  let only = url.searchParams.get('provider');
  const accountId = url.searchParams.get('integrated_account_id');
  if (!only && accountId) {
    const account = await loadAccount(env, tenant, accountId);
    if (!account) throw new HttpError(404, 'unknown_account', `no integrated account ${JSON.stringify(accountId)}`);
    only = account.provider;
  }
  if (only && !cov.providers.includes(only)) {
    throw new HttpError(404, 'unsupported_operation', `${only} does not support ${method} on ${model}/${resource}`);
  }
  const providerList = only ? [only] : cov.providers;
  const pick = (cells) => Object.fromEntries(providerList.map((p) => [p, cells?.[p] ?? { supported: false, required: false }]));
  const hasBody = method === 'create' || method === 'update';
  const describe = (fields, side) =>
    fields.filter((f) => cov[side][f.name]).map((f) => ({ ...f, providers: pick(cov[side][f.name]) }));
  return json({
    model,
    resource,
    method,
    doc: res.doc,
    providers: providerList,
    [hasBody ? 'body' : 'query']: describe(hasBody ? res.body : res.filters, 'request'),
    response: describe(res.record, 'response'),
    notes: Object.fromEntries(Object.entries(cov.notes ?? {}).filter(([p]) => providerList.includes(p))),
  });
}

/**
 * A passthrough on the tenant's account `accountId`: `request` is `{ method, path,
 * query?, headers?, body? }`, the result the provider's `{ status, headers, body }`
 * (any status), with the same auth, host allow-list, retries and deadline as the
 * unified routes. Refusals are crosswalk errors (400 with `passthrough.*`).
 */
export function passthrough({ env, tenant, accountId, request }) {
  return fullClientFor(env, tenant).passthrough(request, { integrated_account_id: accountId });
}
