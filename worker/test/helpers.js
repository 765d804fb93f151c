// Shared helpers for the Worker tests (they run inside workerd).
import { SELF, env } from 'cloudflare:test';
import { vi } from 'vitest';
import worker from '../src/index.js';

export const TOKEN = 'test-token-1';
/** Tokens of tenant `beta` (vitest.config.js). */
export const BETA = 'test-token-b1';
export const BETA_2 = 'test-token-b2';
export const ORIGIN = 'https://crosswalk.test';

function init({ method = 'GET', token = TOKEN, body, headers = {} } = {}) {
  const h = { ...headers };
  if (token !== null) h.authorization = `Bearer ${token}`;
  let payload = body;
  if (body !== undefined && typeof body !== 'string' && !(body instanceof ReadableStream)) {
    payload = JSON.stringify(body);
    h['content-type'] ??= 'application/json';
  }
  return { method, headers: h, body: payload, ...(payload instanceof ReadableStream ? { duplex: 'half' } : {}) };
}

/** `{ status, headers, text, json }` of a response (json undefined when it is not JSON). */
async function answer(res) {
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** A request through the Worker as deployed (SELF, bindings from wrangler.jsonc). */
export async function call(path, options) {
  return answer(await SELF.fetch(ORIGIN + path, init(options)));
}

/** The same Worker called directly with some vars overridden (ALLOW_BASE_URL_OVERRIDE…). */
export async function callWith(vars, path, options) {
  return answer(await worker.fetch(new Request(ORIGIN + path, init(options)), { ...env, ...vars }));
}

/** KV keys as the Worker writes them (tenant `default` = the bare tokens in vitest.config.js). */
export const accountKey = (id, tenant = 'default') => `tenant:${tenant}:account:${id}`;
/** The throttle budget scope of an account that names no LinkedIn application, and its Durable Object (budgets.js). */
export const budgetScope = (id, tenant = 'default') => `${tenant}\naccount:${id}`;
export const budgets = (scope) => env.SYNC_BUDGETS.get(env.SYNC_BUDGETS.idFromName(scope));

/** Writes a record straight into KV, as stored before credentials were sealed (the Worker seals it on first use). */
export async function putAccount(account, tenant = 'default') {
  await env.ACCOUNTS.put(accountKey(account.id, tenant), JSON.stringify({ created_at: '2026-01-01T00:00:00.000Z', context: {}, credentials: {}, ...account }), {
    metadata: { provider: account.provider },
  });
}

/**
 * Replaces the global fetch (what the Worker's guarded fetch forwards to) with a
 * fake provider: records each request and answers from `replies` (last repeats).
 */
export function fakeUpstream(...replies) {
  const requests = [];
  const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (url, init = {}) => {
    const i = requests.length;
    requests.push({ url: String(url), method: init.method, headers: { ...(init.headers ?? {}) }, body: init.body });
    const reply = typeof replies[0] === 'function' ? replies[0] : replies[Math.min(i, replies.length - 1)];
    const r = typeof reply === 'function' ? await reply(requests[i], i) : reply;
    const body = typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? {});
    return new Response(body, { status: r.status ?? 200, headers: { 'content-type': 'application/json', ...(r.headers ?? {}) } });
  });
  return { requests, restore: () => spy.mockRestore() };
}

export const basic = (key) => 'Basic ' + btoa(`${key}:`);

/** Lever's recorded answer to POST /v1/opportunities/{id}/notes. */
export { default as LEVER_NOTE } from '../../tests/fixtures/lever/recorded.notes.create.response.json';
