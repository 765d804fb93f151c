// Property tests through the wasm facade (the built npm package), with
// fast-check: arbitrary JSON bodies, queries, cursors and provider responses
// through createClient (with a scripted fetch), plan, validate, parseQuery, the
// schema lookups and the LinkedIn sync. Every call ends in a value or a
// CrosswalkError with the unified shape — never a wasm trap (RuntimeError:
// unreachable) or another throw — prototypes stay untouched, results are plain
// data, requests stay on the provider's hosts, and no secret is shown.
// Calls per entry point are counted; the last test checks each got ≥ 10,000.
import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createClient, plan, validate, parseQuery, schema, coverage, providers } from 'crosswalk';
import { seeds, providerResponses, hostAllowed, runOp } from './helpers/corpus.mjs';
import { settle, assertPrototypesUntouched, assertPlainData, assertNoSecret, replaceNode } from './helpers/checks.mjs';
import { property } from './helpers/property.mjs';

const counts = new Map();
const hit = (entry) => counts.set(entry, (counts.get(entry) ?? 0) + 1);
const MIN_CALLS = 10_000;

const SEEDS = seeds();
// Maps, not objects: an arbitrary provider name such as `constructor` must not
// find Object.prototype members.
const HOSTS = new Map(providers().map((p) => [p.name, p.hosts]));
const POOLS = new Map(providers().map((p) => [p.name, providerResponses(p.name)]));
const NAMES = [...providers().map((p) => p.name), 'nope'];

// ---------- arbitraries ----------

const NASTY = ['', '..', '../x?y#z', 'a\r\nX-Evil: 1', '__proto__', 'constructor', 'prototype', '2024-06-15T10:00:00Z', '2024-13-45T99:99:99Z',
  '9999999999999', '-1', 'null', 'https://evil.example/x', '%2e%2e', 'é漢字🙂', '\u0000', '$SECRET$', '$AUTH$', 'call', 'note', 'meeting', 'public', '1001'];
const KEYS = ['id', 'candidate_id', 'application_id', 'body', 'visibility', 'engagement_type', 'content', 'subject', 'contacts', 'account', 'start_time',
  'end_time', 'created_at', 'next_cursor', 'limit', 'results', 'data', 'success', 'errors', 'message', 'status', 'type', 'page', 'paging', 'next',
  'remote_data', 'remote_query', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];

const str = fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 12 }) }, { weight: 2, arbitrary: fc.constantFrom(...NASTY) });
const key = fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) });
// Objects are built with Object.fromEntries, which defines `__proto__` as an own
// key (as JSON.parse does) instead of setting the prototype.
const { json } = fc.letrec((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), str,
    fc.array(tie('json'), { maxLength: 4 }),
    fc.array(fc.tuple(key, tie('json')), { maxLength: 5 }).map((entries) => Object.fromEntries(entries)),
  ),
}));

const reply = fc.record({
  status: fc.oneof({ weight: 8, arbitrary: fc.constant(200) }, { weight: 4, arbitrary: fc.constantFrom(201, 204, 400, 401, 404, 409, 422, 429, 500, 503) }, fc.integer({ min: 200, max: 599 })),
  body: fc.oneof(
    { weight: 5, arbitrary: fc.nat().map((n) => ({ kind: 'fixture', n })) },
    { weight: 3, arbitrary: fc.tuple(fc.nat(), fc.nat(), json).map(([n, at, v]) => ({ kind: 'mutated', n, at, v })) },
    { weight: 2, arbitrary: json.map((v) => ({ kind: 'json', v })) },
    fc.string({ maxLength: 30 }).map((t) => ({ kind: 'text', t })),
    fc.constant({ kind: 'deep' }),
    fc.constant({ kind: 'proto' }),
  ),
  retryAfter: fc.option(fc.constantFrom('1', '0', 'garbage', '99999999999')),
  link: fc.option(fc.constantFrom('<https://evil.example/v1/x?page=2>; rel="next"', '<https://evil.example/v1/scheduled_interviews?page=2>; rel="next"', 'junk')),
});

const PROTO_BODY = '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"id":"1","data":{"__proto__":{"polluted":"yes"},"id":"1"},"results":[{"__proto__":{"polluted":"yes"},"id":"2"}]}';

function bodyText(spec, pool) {
  const pick = (n) => (pool.length ? pool[n % pool.length] : '{}');
  switch (spec.kind) {
    case 'fixture': return pick(spec.n);
    case 'mutated': {
      let v;
      try { v = JSON.parse(pick(spec.n)); } catch { v = null; }
      return JSON.stringify(replaceNode(v, spec.at, spec.v));
    }
    case 'json': return JSON.stringify(spec.v);
    case 'text': return spec.t;
    case 'deep': return '['.repeat(1000) + ']'.repeat(1000);
    default: return PROTO_BODY;
  }
}

/**
 * A fetch that answers from `replies` (then fails like a dropped connection),
 * records what it was asked, and echoes secrets where a body asks for them.
 */
function scriptedFetch(replies, pool, secret) {
  const seen = [];
  let i = 0;
  const fetch = async (url, init) => {
    const auth = Object.entries(init.headers ?? {}).find(([k]) => ['authorization', 'x-api-token', 'x-access-token', 'x-pw-accesstoken'].includes(k.toLowerCase()))?.[1] ?? '';
    seen.push({ url, auth, headers: init.headers });
    const r = replies[i++];
    if (!r) throw new TypeError('fetch failed');
    const headers = { 'content-type': 'application/json' };
    if (r.retryAfter) headers['retry-after'] = r.retryAfter;
    if (r.link) headers.link = r.link;
    const text = bodyText(r.body, pool).replaceAll('$SECRET$', secret).replaceAll('$AUTH$', auth);
    return new Response([204, 205, 304].includes(r.status) ? null : text, { status: r.status, headers });
  };
  return { fetch, seen };
}

/** A clock that sleeping advances (so waits end at once but still in order). */
function fakeClock() {
  let t = 1_767_225_600_000;
  return { now: () => t, sleep: async (ms) => { t += Math.max(1, Number(ms) || 0); } };
}

const secretsOf = (account) => Object.values(account?.credentials ?? {}).filter((v) => typeof v === 'string');

function mutate(seed, mutations, idOverride) {
  const input = structuredClone({ account: seed.account, model: seed.model, resource: seed.resource, method: seed.method, id: seed.id, body: seed.body, query: seed.query });
  for (const [where, at, v] of mutations) {
    const slot = ['body', 'query', 'account'][where];
    input[slot] = replaceNode(input[slot] ?? {}, at, v);
  }
  if (idOverride !== null) input.id = idOverride;
  return input;
}

const seedInput = fc.record({
  index: fc.nat(),
  mutations: fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.nat(), json), { maxLength: 2 }),
  id: fc.option(str, { freq: 4 }),
});

/** Runs one unified call through createClient; returns what was shown. */
async function runClient(input, replies, pageLimit) {
  const provider = input.account?.provider;
  const pool = [...(SEEDS.find((s) => s.account.provider === provider)?.responses ?? []).map((r) => (typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? null))), ...(POOLS.get(provider) ?? [])];
  const secret = secretsOf(input.account)[0] ?? 'none';
  const { fetch, seen } = scriptedFetch(replies, pool, secret);
  const logs = [];
  const query = { ...(input.query && typeof input.query === 'object' && !Array.isArray(input.query) ? input.query : {}), integrated_account_id: 'acc1' };
  hit('createClient');
  const out = await settle(async () => {
    // Inside: an account the core refuses is a clean CrosswalkError from createClient itself.
    const client = createClient({
      accounts: [{ ...input.account, id: 'acc1' }],
      fetch,
      ...fakeClock(),
      onRequest: (r) => logs.push(r),
      retry: { maxAttempts: 2 },
    });
    return runOp(client.unifiedApi, input, query, pageLimit);
  });
  hit('value' in out ? 'createClient → value' : `createClient → ${out.json.code}`);
  if (seen.length) hit('createClient → fetched');
  const forms = [...secretsOf(input.account), ...seen.map((s) => s.auth), ...seen.map((s) => String(s.auth).split(' ').slice(1).join(' '))];
  for (const s of seen) {
    const host = new URL(s.url).hostname.replace(/^\[|\]$/g, '');
    assert.ok(hostAllowed(host, HOSTS.get(provider) ?? []), `${JSON.stringify(provider)} fetched ${s.url}`);
    for (const [k, v] of Object.entries(s.headers ?? {})) assert.ok(!/[\r\n\0]/.test(k + v), `header ${k} has a line break`);
  }
  assertNoSecret(JSON.stringify(logs), forms, 'onRequest log');
  if ('value' in out) {
    assertPlainData(out.value);
    assertNoSecret(JSON.stringify(out.value), forms, 'result');
  } else {
    assertNoSecret(JSON.stringify(out.error.toJSON()), forms, 'error');
  }
  assertPrototypesUntouched();
  return out;
}

// ---------- properties ----------

test('createClient: seeded requests of every provider op over arbitrary provider responses', async () => {
  await property('createClient: seeded requests of every provider op over arbitrary provider responses',
    fc.asyncProperty(seedInput, fc.array(reply, { minLength: 1, maxLength: 5 }), async ({ index, mutations, id }, replies) => {
      const seed = SEEDS[index % SEEDS.length];
      await runClient(mutate(seed, mutations, id), replies, 3);
    }),
    { numRuns: MIN_CALLS },
  );
});

test('createClient: arbitrary unified requests', async () => {
  const target = fc.record({
    provider: fc.constantFrom(...NAMES),
    model: fc.constantFrom('ats', 'crm', 'x'),
    resource: fc.constantFrom('activities', 'interviews', 'engagements'),
    method: fc.constantFrom('create', 'list', 'get', 'update', 'delete'),
  });
  await property('createClient: arbitrary unified requests',
    fc.asyncProperty(target, fc.option(str), json, json, fc.array(reply, { maxLength: 3 }), async (t, id, body, query, replies) => {
      const account = SEEDS.find((s) => s.account.provider === t.provider)?.account ?? { provider: t.provider, credentials: { api_key: 'KEY-cw-7f3a91' } };
      await runClient({ account, model: t.model, resource: t.resource, method: t.method, id: id ?? undefined, body, query }, replies, 2);
    }),
    { numRuns: 3_000 },
  );
});

test('createClient: lists resume from arbitrary and forged cursors', async () => {
  const lists = SEEDS.filter((s) => s.method === 'list');
  const stateKeys = ['url', 'next', 'path', 'after', 'page', 'token', 'cursor', 'kind', 'state', 'object', 'module', 'sobject', 'offset', 'skip', 'type'];
  const state = fc.array(fc.tuple(fc.constantFrom(...stateKeys), fc.oneof(json, fc.constantFrom('https://evil.example/x', '//evil.example/x', '/services/data/../../x', '/api/v2/../../admin', '..', 'call'))), { maxLength: 4 }).map((e) => Object.fromEntries(e));
  const cursor = fc.oneof(
    fc.string({ maxLength: 80 }),
    json.map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
    fc.tuple(fc.nat(), state).map(([n, s]) => {
      const seed = lists[n % lists.length];
      return Buffer.from(JSON.stringify({ v: 1, p: seed.account.provider, r: `${seed.model}/${seed.resource}`, s, h: [] })).toString('base64url');
    }),
  );
  await property('createClient: lists resume from arbitrary and forged cursors',
    fc.asyncProperty(fc.nat(), cursor, fc.array(reply, { minLength: 1, maxLength: 3 }), async (n, c, replies) => {
      hit('cursor');
      const seed = lists[n % lists.length];
      await runClient({ ...seed, query: { ...seed.query, next_cursor: c } }, replies, 2);
    }),
    { numRuns: 5_000 },
  );
});

const planInput = fc.oneof(
  { weight: 3, arbitrary: seedInput.map(({ index, mutations, id }) => mutate(SEEDS[index % SEEDS.length], mutations, id)) },
  fc.record({ account: fc.record({ provider: fc.constantFrom(...NAMES) }), model: fc.constantFrom('ats', 'crm'), resource: fc.constantFrom('activities', 'interviews', 'engagements'), method: fc.constantFrom('create', 'list', 'get', 'delete'), id: fc.option(str, { nil: undefined }), body: json, query: json }),
);

test('plan: a request list or a CrosswalkError, secrets redacted, hosts kept', async () => {
  await property('plan: a request list or a CrosswalkError, secrets redacted, hosts kept',
    fc.asyncProperty(planInput, async (input) => {
      hit('plan');
      const out = await settle(() => plan(input));
      if ('value' in out) {
        assertPlainData(out.value);
        assertNoSecret(JSON.stringify(out.value), secretsOf(input.account), 'plan');
        for (const r of out.value.requests) assert.ok(hostAllowed(new URL(r.url).hostname, HOSTS.get(input.account.provider) ?? []), r.url);
      }
      assertPrototypesUntouched();
    }),
    { numRuns: MIN_CALLS },
  );
});

test('validate: { valid, errors[], warnings[] } or a CrosswalkError', async () => {
  await property('validate: { valid, errors[], warnings[] } or a CrosswalkError',
    fc.asyncProperty(planInput, async (input) => {
      hit('validate');
      const out = await settle(() => validate({ provider: input.account?.provider, model: input.model, resource: input.resource, method: input.method, id: input.id, body: input.body, query: input.query }));
      if ('value' in out) {
        const v = out.value;
        assert.equal(typeof v.valid, 'boolean');
        assert.ok(Array.isArray(v.errors) && Array.isArray(v.warnings));
        assert.equal(v.valid, v.errors.length === 0);
        for (const e of v.errors) assert.ok(typeof e.field === 'string' && typeof e.code === 'string' && typeof e.message === 'string', JSON.stringify(e));
      }
      assertPrototypesUntouched();
    }),
    { numRuns: MIN_CALLS },
  );
});

test('parseQuery: any query string parses to plain data', async () => {
  const qkey = fc.tuple(
    fc.oneof(fc.constantFrom('limit', 'next_cursor', 'remote_query', 'created_at', '__proto__', 'constructor', 'prototype', 'truto_exclude_fields'), fc.string({ maxLength: 6 })),
    fc.array(fc.oneof(fc.constant('[]'), fc.constantFrom('[__proto__]', '[constructor]', '[prototype]', '[polluted]', '[', ']'), fc.string({ maxLength: 4 }).map((s) => `[${s}]`)), { maxLength: 10 }),
  ).map(([k, s]) => k + s.join(''));
  const qs = fc.oneof(
    fc.array(fc.tuple(qkey, fc.oneof(str, fc.constantFrom('%', '%zz', '%E2%82', 'a+b'))), { maxLength: 8 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
    fc.string({ maxLength: 200 }),
  );
  await property('parseQuery: any query string parses to plain data',
    fc.asyncProperty(qs, async (q) => {
      hit('parseQuery');
      const out = await settle(() => parseQuery(q));
      if ('value' in out) {
        assertPlainData(out.value);
        assert.equal(typeof out.value, 'object');
      }
      assertPrototypesUntouched();
    }),
    { numRuns: MIN_CALLS },
  );
});

test('schema lookups: a description or null', async () => {
  const name = fc.oneof(fc.constantFrom('ats', 'crm', 'activities', 'interviews', 'engagements', '__proto__', 'constructor'), fc.string({ maxLength: 10 }));
  const known = JSON.stringify(coverage());
  await property('schema lookups: a description or null',
    fc.asyncProperty(name, name, async (m, r) => {
      hit('schema');
      const out = await settle(() => schema(m, r));
      if ('value' in out && out.value !== null) assertPlainData(out.value);
      assertPrototypesUntouched();
    }),
    { numRuns: MIN_CALLS },
  );
  assert.equal(JSON.stringify(coverage()), known, 'coverage() is a fresh copy each time');
});

test('sync: LinkedIn bulk notes over arbitrary records and answers', async () => {
  const note = fc.record({ i: fc.nat(200), app: fc.nat(3) }).map(({ i, app }) => ({ application_id: `app-${app}`, id: `n${i}`, body: 'Strong onsite', author: { first_name: 'Ada', last_name: 'Lovelace' } }));
  const record = fc.oneof({ weight: 4, arbitrary: note }, fc.tuple(note, fc.nat(), json).map(([r, at, v]) => replaceNode(r, at, v)), json);
  const batchReply = fc.record({ status: fc.constantFrom(200, 200, 200, 207, 400, 401, 429, 500), codes: fc.array(fc.constantFrom(200, 201, 400, 422, 429, 500), { maxLength: 6 }), garbage: fc.option(json) });
  await property('sync: LinkedIn bulk notes over arbitrary records and answers',
    fc.asyncProperty(fc.array(record, { maxLength: 8 }), fc.array(batchReply, { maxLength: 5 }), fc.option(json), async (records, replies, opts) => {
      hit('sync');
      let i = 0;
      const fetch = async (url) => {
        const r = replies[i++];
        if (!r) throw new TypeError('fetch failed');
        const ids = [...new URL(url).searchParams.getAll('ids')];
        const results = {};
        const errors = {};
        ids.forEach((id, k) => {
          const code = r.codes.length ? r.codes[k % r.codes.length] : 200;
          if (code < 300) results[id] = { status: code };
          else errors[id] = { status: code, message: 'no' };
        });
        return new Response(JSON.stringify(r.garbage ?? { results, errors }), { status: r.status, headers: { 'retry-after': '1' } });
      };
      const client = createClient({ accounts: [{ id: 'li', provider: 'linkedin', credentials: { access_token: 'AQV-sync-secret' }, context: { organization_urn: 'urn:li:organization:1' } }], fetch, ...fakeClock() });
      const out = await settle(() => client.sync('ats', 'activities', records, { integrated_account_id: 'li' }, opts && typeof opts === 'object' && !Array.isArray(opts) ? { ...opts, maxWaitMs: 5_000 } : { maxWaitMs: 5_000 }));
      if ('value' in out) {
        const r = out.value;
        assertPlainData(r);
        assert.equal(r.synced.length + r.failed.length + r.not_sent.length, records.length);
        assertNoSecret(JSON.stringify(r), ['AQV-sync-secret'], 'sync report');
      }
      assertPrototypesUntouched();
    }),
    { numRuns: MIN_CALLS },
  );
});

test('every entry point got at least 10,000 calls', () => {
  console.log('calls per entry point:', Object.fromEntries(counts));
  for (const entry of ['createClient', 'plan', 'validate', 'parseQuery', 'schema', 'sync']) {
    assert.ok((counts.get(entry) ?? 0) >= MIN_CALLS, `${entry}: ${counts.get(entry) ?? 0} calls`);
  }
});
