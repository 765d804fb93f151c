// Security tests through the built npm package (the JS driver + wasm core),
// walking every provider op: prototype keys never pollute JS objects and survive
// as data; credentials never appear in plan output, results, remote_data, errors
// or onRequest logs, even when the provider echoes them; line breaks in
// credentials stop the request; hostile ids, context and base_url cannot move a
// request off the provider's hosts or out of its path segment; huge and deep
// inputs fail with clean 413/400 errors.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createClient, plan, validate, parseQuery, providers, CrosswalkError } from 'crosswalk';
import { seeds, providerResponses, hostAllowed } from './helpers/corpus.mjs';
import { startServer, script } from './helpers/server.mjs';
import { settle, assertPrototypesUntouched, assertPlainData, assertNoSecret } from './helpers/checks.mjs';

const SEEDS = seeds();
const HOSTS = new Map(providers().map((p) => [p.name, p.hosts]));
const onePerOp = () => {
  const seen = new Set();
  return SEEDS.filter((s) => {
    const k = `${s.account.provider} ${s.model}/${s.resource} ${s.method}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
};
const opName = (s) => `${s.account.provider} ${s.model}/${s.resource} ${s.method}`;

/** A client over a fetch function; records what it was asked and the onRequest log. */
function clientFor(seed, fetch, account = seed.account) {
  const logs = [];
  let t = 1_767_225_600_000;
  // A function: the account is checked when the call resolves it (like one loaded
  // from a store), so a hostile one fails inside the call with `account.*` paths.
  const client = createClient({ accounts: (id) => (id === 'acc1' ? { ...account, id } : undefined), fetch, now: () => t, sleep: async (ms) => { t += Math.max(1, ms); }, onRequest: (r) => logs.push(r), retry: { maxAttempts: 1 } });
  return { client, logs };
}

async function call(client, seed, overrides = {}) {
  const s = { ...seed, ...overrides };
  const q = { ...(s.query ?? {}), integrated_account_id: 'acc1' };
  const api = client.unifiedApi;
  switch (s.method) {
    case 'create': return api.create(s.model, s.resource, s.body, q);
    case 'get': return api.get(s.model, s.resource, s.id, q);
    case 'delete': return api.delete(s.model, s.resource, s.id, q);
    default: return api.list(s.model, s.resource, q).page();
  }
}

const bodyOf = (r) => (typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? null));

// ---------- prototype keys ----------

const PROTO_JSON = '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"},"keep":1}';

test('__proto__/constructor keys in request bodies stay data and pollute nothing', async () => {
  const evil = JSON.parse(PROTO_JSON);
  for (const seed of onePerOp().filter((s) => s.method === 'create')) {
    const out = await settle(() => plan({ ...seed, body: { ...seed.body, remote_data: evil } }));
    assertPrototypesUntouched();
    if (!('value' in out)) continue; // a provider may refuse unknown remote_data fields
    const sent = out.value.requests[0]?.body;
    if (typeof sent !== 'string') continue;
    // remote_data lands at the top or inside the provider's entity: find it.
    const holder = (v) => (v && typeof v === 'object' ? (Object.hasOwn(v, 'keep') ? v : Object.values(v).map(holder).find(Boolean)) : undefined);
    const at = holder(JSON.parse(sent));
    if (!at) continue;
    assert.ok(Object.hasOwn(at, '__proto__'), `${opName(seed)}: __proto__ was dropped from ${sent}`);
    assert.equal(JSON.stringify(Object.getOwnPropertyDescriptor(at, '__proto__').value), '{"polluted":"yes"}');
  }
  // Through createClient: the provider receives the keys verbatim.
  const server = await startServer(script({ status: 200, body: { success: true, results: { id: 'n1', createdAt: '2026-01-01T00:00:00Z', content: 'x', author: {} } } }));
  try {
    const client = createClient({ accounts: [{ id: 'a', provider: 'ashby', base_url: server.origin, credentials: { api_key: 'k-123456' } }] });
    await settle(() => client.unifiedApi.create('ats', 'activities', { candidate_id: 'c1', body: 'hi', remote_data: evil }, { integrated_account_id: 'a' }));
    assert.match(server.requests[0].body, /"__proto__":\{"polluted":"yes"\}/);
    assert.match(server.requests[0].body, /"constructor":\{"prototype":\{"polluted":"yes"\}\}/);
  } finally {
    await server.close();
  }
  assertPrototypesUntouched();
});

test('__proto__/constructor keys in provider responses and headers stay data', async () => {
  let checked = 0;
  for (const seed of onePerOp()) {
    const pool = [...seed.responses.map(bodyOf), ...providerResponses(seed.account.provider)];
    for (const text of pool) {
      // Add the keys to every object of a realistic body.
      const poisoned = text.replace(/\{(?=")/g, '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},');
      const fetch = async () => new Response(poisoned, { status: 200, headers: { 'content-type': 'application/json', __proto__: 'x', constructor: 'y' } });
      const { client } = clientFor(seed, fetch);
      const out = await settle(() => call(client, seed));
      assertPrototypesUntouched();
      if ('value' in out) {
        assertPlainData(out.value);
        const records = Array.isArray(out.value.result) ? out.value.result : out.value.result && typeof out.value.result === 'object' ? Object.values(out.value.result) : [out.value];
        for (const r of records) {
          if (r?.remote_data && typeof r.remote_data === 'object' && !Array.isArray(r.remote_data) && poisoned.includes('"__proto__"')) {
            assert.equal(Object.getPrototypeOf(r.remote_data), Object.prototype, opName(seed));
            if (Object.hasOwn(r.remote_data, '__proto__')) checked++;
          }
        }
      }
    }
  }
  assert.ok(checked >= 10, `only ${checked} results carried an own __proto__ key`);
});

test('parseQuery keeps __proto__/constructor as plain keys', () => {
  const q = parseQuery('__proto__[polluted]=1&constructor[prototype][polluted]=1&a[__proto__][polluted]=1&prototype=2');
  assertPrototypesUntouched();
  assert.ok(Object.hasOwn(q, '__proto__') && Object.hasOwn(q, 'constructor') && Object.hasOwn(q.a, '__proto__'));
  // (An object literal's `__proto__:` would set a prototype, so compare JSON text.)
  assert.equal(JSON.stringify(q), '{"__proto__":{"polluted":"1"},"a":{"__proto__":{"polluted":"1"}},"constructor":{"prototype":{"polluted":"1"}},"prototype":"2"}');
  assert.equal(Object.getPrototypeOf(q), Object.prototype);
  assertPlainData(q);
});

// ---------- secrets ----------

const AUTH_HEADERS = ['authorization', 'x-api-token', 'x-access-token', 'x-pw-accesstoken'];

function withSecrets(seed) {
  const credentials = Object.fromEntries(Object.keys(seed.account.credentials ?? {}).map((k) => [k, `Sx-${k}-q7Z9/v+P=`]));
  return { account: { ...seed.account, credentials }, secrets: Object.values(credentials) };
}

/** Adds `echo` (every secret form) to every object of a JSON body. */
function echoed(text, said) {
  try {
    const add = (v) => {
      if (Array.isArray(v)) v.forEach(add);
      else if (v && typeof v === 'object') {
        Object.values(v).forEach(add);
        v.echo = said;
      }
    };
    const v = JSON.parse(text);
    add(v);
    return JSON.stringify(v);
  } catch {
    return `${text} ${said}`;
  }
}

test('credentials never appear in plan output, results, remote_data, errors or onRequest logs', async () => {
  let walked = 0;
  for (const seed of SEEDS) {
    const { account, secrets } = withSecrets(seed);
    if (!secrets.length) continue;
    walked++;
    const planned = await settle(() => plan({ ...seed, account }));
    assert.ok('value' in planned, `${opName(seed)}: ${JSON.stringify(planned.json)}`);
    assertNoSecret(JSON.stringify(planned.value), secrets, `${opName(seed)} plan`);
    const pool = [...seed.responses.map(bodyOf), ...providerResponses(seed.account.provider).slice(0, 3)];
    for (const status of [200, 401, 500]) {
      for (const text of pool.length ? pool : ['{}']) {
        const sent = [];
        const fetch = async (url, init) => {
          const auth = Object.entries(init.headers).filter(([k]) => AUTH_HEADERS.includes(k)).map(([, v]) => v).join(' ');
          sent.push(auth);
          return new Response(echoed(status === 200 ? text : `{"message":"bad token"}`, `${auth} ${secrets.join(' ')}`), { status, headers: { 'www-authenticate': auth } });
        };
        const { client, logs } = clientFor(seed, fetch, account);
        const out = await settle(() => call(client, seed));
        const forms = [...secrets, ...sent, ...sent.flatMap((a) => a.split(' '))];
        const shown = JSON.stringify('value' in out ? out.value : out.json);
        assertNoSecret(shown, forms, `${opName(seed)} HTTP ${status}`);
        assertNoSecret(JSON.stringify(logs), forms, `${opName(seed)} onRequest`);
      }
    }
    // A transport failure whose message quotes the secret.
    const { client } = clientFor(seed, async () => { throw new TypeError(`connect failed ${secrets.join(' ')}`); }, account);
    const out = await settle(() => call(client, seed));
    assertNoSecret(JSON.stringify(out.json ?? out.value), secrets, `${opName(seed)} network error`);
  }
  assert.ok(walked >= 60, `walked ${walked} seeds`);
});

// ---------- line breaks ----------

test('credentials or context with CR/LF never produce a request', async () => {
  for (const seed of onePerOp()) {
    for (const [section, key] of [...Object.keys(seed.account.credentials ?? {}).map((k) => ['credentials', k]), ...Object.keys(seed.account.context ?? {}).map((k) => ['context', k])]) {
      for (const bad of ['tok\r\nX-Evil: 1', 'tok\nX', 'tok\rX']) {
        let fetched = 0;
        const account = { ...seed.account, [section]: { ...seed.account[section], [key]: bad } };
        const { client } = clientFor(seed, async () => { fetched++; return new Response('{}'); }, account);
        const out = await settle(() => call(client, seed));
        assert.equal(fetched, 0, `${opName(seed)} ${section}.${key}: a request went out`);
        assert.equal(out.json?.statusCode, 400, `${opName(seed)} ${section}.${key}`);
        assert.equal(out.json.details[0].field, `account.${section}.${key}`);
      }
    }
  }
});

// ---------- hostile ids, context and base_url ----------

const LOOKUPS = JSON.stringify({
  sales_activity_types: [{ id: 1, internal_name: 'phone' }],
  activityTypes: [{ id: 1, name: 'Call' }],
  user: [{ id: 1, name: 'Phone Call', category: 'user' }],
});
const HOSTILE_IDS = ['..', '.', '../../admin', 'a/b', 'x?y=1&z=2', 'x#frag', '%2e%2e', '100%', 'a\r\nX-Injected: 1', 'é漢字🙂', 'a b', '//evil.com', '@evil.com'];

test('hostile ids stay one encoded path segment (or are refused) for every get/delete', async () => {
  let encoded = 0;
  // (The sandbox is answered in-process, not through fetch; its ids are covered natively.)
  for (const seed of onePerOp().filter((s) => (s.method === 'get' || s.method === 'delete') && s.account.provider !== 'sandbox')) {
    const urls = async (id) => {
      const seen = [];
      // Lookups some providers make first (activity types) get a usable answer.
      const { client } = clientFor(seed, async (url) => { seen.push(url); return new Response(LOOKUPS, { status: 200 }); });
      const out = await settle(() => call(client, seed, { id }));
      return { seen, out };
    };
    const marker = seed.id.includes('-') ? '7a1b2c3d-0000-4000-8000-000000070707' : '70707071';
    const base = await urls(marker);
    const baseUrl = base.seen.find((u) => u.includes(marker));
    assert.ok(baseUrl, `${opName(seed)}: the id is not in ${base.seen}`);
    for (const id of HOSTILE_IDS) {
      const { seen, out } = await urls(id);
      const url = seen.find((u) => !base.seen.includes(u));
      if (!url) {
        assert.equal(out.json?.statusCode, 400, `${opName(seed)} ${JSON.stringify(id)}: neither sent nor refused (${JSON.stringify(out.json)})`);
        continue;
      }
      const b = new URL(baseUrl);
      const h = new URL(url);
      assert.equal(h.origin, b.origin, `${opName(seed)} ${JSON.stringify(id)}: ${url}`);
      const bs = b.pathname.split('/');
      const hs = h.pathname.split('/');
      assert.equal(hs.length, bs.length, `${opName(seed)} ${JSON.stringify(id)}: ${h.pathname}`);
      const at = bs.findIndex((s) => s.includes(marker));
      if (at >= 0) {
        assert.equal(decodeURIComponent(hs[at]), decodeURIComponent(bs[at]).replace(marker, id), `${opName(seed)}: ${url}`);
        encoded++;
      }
      assert.equal(url.slice(0, url.indexOf(marker) >= 0 ? 0 : undefined).includes('\r'), false);
    }
  }
  assert.ok(encoded > 100, `only ${encoded} hostile ids were placed`);
});

test('hostile context and base_url values cannot leave the provider hosts', async () => {
  const values = ['evil.com', 'https://evil.com', 'acme.evil.com', 'https://acme.my.salesforce.com@evil.com', 'https://evil.com#.salesforce.com', 'https://evil.com:80:443',
    'https://acme.crm.dynamics.com.evil.com', 'https://acme.pipedrive.com.evil.com', 'https://www.zohoapis.eu.evil.com', 'acme/../../evil', '//evil.com', 'urn:li:organization:1/../x'];
  for (const seed of onePerOp()) {
    for (const key of ['company_id', 'subdomain', 'bundle_alias', 'instance_url', 'api_domain', 'region', 'organization_urn', 'user_email', 'environment']) {
      for (const v of values) {
        const seen = [];
        const account = { ...seed.account, context: { ...seed.account.context, [key]: v } };
        const { client } = clientFor(seed, async (url) => { seen.push(url); return new Response('{}'); }, account);
        await settle(() => call(client, seed));
        for (const url of seen) assert.ok(hostAllowed(new URL(url).hostname, HOSTS.get(seed.account.provider)), `${opName(seed)} context.${key}=${v}: ${url}`);
      }
    }
    for (const base of ['https://good.example@evil.com', 'https://evil.com/x', 'https://evil.com?x', 'https://evil.com#x', 'javascript:alert(1)', 'https://evil.com:80:443', 'https://evil.com\\@good.example']) {
      let fetched = 0;
      const { client } = clientFor(seed, async () => { fetched++; return new Response('{}'); }, { ...seed.account, base_url: base });
      const out = await settle(() => call(client, seed));
      assert.equal(fetched, 0, `${opName(seed)} base_url ${base}`);
      assert.equal(out.json?.details?.[0]?.field, 'account.base_url', `${opName(seed)} base_url ${base}: ${JSON.stringify(out.json)}`);
    }
  }
});

// ---------- huge, deep and unserializable input ----------

function deep(levels) {
  let v = 'leaf';
  for (let i = 0; i < levels; i++) v = i % 2 ? { k: v } : [v];
  return v;
}

test('a 10 MB body is a clean 413 and 1,000-deep nesting a clean 400, before anything is sent', async () => {
  const big = 'x'.repeat(10 * 1024 * 1024);
  const sb = SEEDS.find((s) => s.account.provider === 'sandbox' && s.method === 'create' && s.resource === 'activities');
  const hub = SEEDS.find((s) => s.account.provider === 'hubspot' && s.method === 'create');
  for (const seed of [sb, hub]) {
    for (const [value, status] of [[big, 413], [deep(1000), 400]]) {
      const body = { ...seed.body, remote_data: { x: value } };
      const p = await settle(() => plan({ ...seed, body }));
      assert.equal(p.json?.statusCode, status, `${opName(seed)} plan`);
      const v = await settle(() => validate({ provider: seed.account.provider, model: seed.model, resource: seed.resource, method: seed.method, body }));
      assert.ok(v.json?.statusCode === status || v.value?.valid === false, `${opName(seed)} validate`);
      let fetched = 0;
      const { client } = clientFor(seed, async () => { fetched++; return new Response('{}'); });
      const c = await settle(() => call(client, seed, { body }));
      assert.equal(c.json?.statusCode, status, `${opName(seed)} create`);
      assert.equal(fetched, 0);
    }
  }
  // A list whose query is too deep.
  const list = SEEDS.find((s) => s.account.provider === 'sandbox' && s.method === 'list');
  const { client } = clientFor(list, async () => new Response('{}'));
  assert.equal((await settle(() => call(client, list, { query: { remote_query: { x: deep(1000) } } }))).json?.statusCode, 400);
});

test('huge and deeply nested provider responses fail cleanly', async () => {
  for (const seed of onePerOp()) {
    for (const text of ['['.repeat(1000) + ']'.repeat(1000), '['.repeat(100_000), `{"data":"${'y'.repeat(10 * 1024 * 1024)}"}`]) {
      if (text.length > 1e6 && seed.account.provider !== 'sandbox') continue;
      const { client } = clientFor(seed, async () => new Response(text, { status: 200 }));
      await settle(() => call(client, seed));
      assertPrototypesUntouched();
    }
  }
});

test('input JSON cannot represent (BigInt, cycles) is a CrosswalkError, not a TypeError', async () => {
  const seed = SEEDS.find((s) => s.account.provider === 'sandbox' && s.method === 'create');
  const cyclic = { a: 1 };
  cyclic.self = cyclic;
  for (const body of [{ ...seed.body, remote_data: { n: 10n } }, { ...seed.body, remote_data: cyclic }]) {
    const p = await settle(() => plan({ ...seed, body }));
    assert.equal(p.json?.statusCode, 400);
    assert.equal(p.json.code, 'invalid_input');
    const v = await settle(() => validate({ provider: 'sandbox', model: seed.model, resource: seed.resource, method: 'create', body }));
    assert.equal(v.json?.statusCode, 400);
    const { client } = clientFor(seed, async () => new Response('{}'));
    const c = await settle(() => call(client, seed, { body }));
    assert.equal(c.json?.statusCode, 400);
  }
  assert.ok(CrosswalkError);
});

test('a missing or non-text id is refused, never sent as "undefined" or "[object Object]"', async () => {
  const seed = SEEDS.find((s) => s.account.provider === 'hubspot' && s.method === 'get');
  for (const id of [undefined, null, { toString: () => '../admin' }, ['a', 'b'], Symbol('x')]) {
    let fetched = 0;
    const { client } = clientFor(seed, async () => { fetched++; return new Response('{}'); });
    const out = await settle(() => client.unifiedApi.get(seed.model, seed.resource, id, { ...seed.query, integrated_account_id: 'acc1' }));
    assert.equal(fetched, 0, String(typeof id));
    assert.equal(out.json?.statusCode, 400);
    assert.equal(out.json.details[0].field, 'id');
    const p = await settle(() => plan({ ...seed, id }));
    assert.equal(p.json?.statusCode, 400);
  }
  // Numbers are ids too.
  const seen = [];
  const { client } = clientFor(seed, async (url) => { seen.push(url); return new Response('{}'); });
  await settle(() => client.unifiedApi.get(seed.model, seed.resource, 42, { ...seed.query, integrated_account_id: 'acc1' }));
  assert.match(seen[0], /\/42(\?|$)/);
});
