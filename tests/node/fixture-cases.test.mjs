// Runs every tests/fixtures/<provider>/cases/*.json through the built wasm package
// (the same files `cargo test` runs natively), with a scripted fetch: the exact
// requests and the unified output must match the recorded case.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { createClient } from 'crosswalk';

const root = new URL('../fixtures/', import.meta.url);

function contains(actual, expected) {
  if (expected && typeof expected === 'object' && !Array.isArray(expected)) {
    return actual && typeof actual === 'object' && Object.entries(expected).every(([k, v]) => contains(actual[k], v));
  }
  if (Array.isArray(expected)) return Array.isArray(actual) && actual.length === expected.length && expected.every((v, i) => contains(actual[i], v));
  return Object.is(actual, expected) || (actual === undefined && expected === null);
}

const cases = [];
for (const provider of readdirSync(root)) {
  const dir = new URL(`${provider}/cases/`, root);
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.json'))) cases.push([`${provider}/cases/${f}`, new URL(f, dir)]);
}

test('there are fixture cases', () => assert.ok(cases.length > 0));

for (const [name, url] of cases) {
  test(`fixture case ${name}`, async () => {
    const c = JSON.parse(readFileSync(url, 'utf8'));
    const sent = [];
    const fetch = async (u, init) => {
      const i = sent.length;
      sent.push({ url: u, ...init });
      const r = c.exchanges[i]?.response;
      assert.ok(r, `unexpected request ${i}: ${init.method} ${u}`);
      const body = typeof r.body === 'string' ? r.body : r.body == null ? '' : JSON.stringify(r.body);
      return new Response(body === '' && [204, 304].includes(r.status) ? null : body, { status: r.status, headers: r.headers ?? {} });
    };
    const client = createClient({ accounts: [{ ...c.account, id: 'acc' }], fetch, sleep: async () => {} });
    const query = { ...(c.query ?? {}), integrated_account_id: 'acc' };
    const api = client.unifiedApi;
    const call = {
      create: () => api.create(c.model, c.resource, c.body, query),
      update: () => api.update(c.model, c.resource, c.id, c.body, query),
      get: () => api.get(c.model, c.resource, c.id, query),
      delete: () => api.delete(c.model, c.resource, c.id, query),
      list: () => api.list(c.model, c.resource, query).page(),
    }[c.method];
    let out;
    let err;
    try {
      out = await call();
    } catch (e) {
      err = e;
    }
    assert.equal(sent.length, c.exchanges.length, 'number of provider requests');
    c.exchanges.forEach((x, i) => {
      assert.equal(sent[i].method, x.request.method, `request ${i} method`);
      assert.equal(sent[i].url, x.request.url, `request ${i} url`);
      for (const [k, v] of Object.entries(x.request.headers ?? {})) assert.equal(sent[i].headers[k], v, `request ${i} header ${k}`);
      if (x.request.json !== undefined) assert.deepEqual(JSON.parse(sent[i].body), x.request.json, `request ${i} body`);
    });
    if (c.error) {
      assert.ok(err, `expected an error, got ${JSON.stringify(out)}`);
      assert.ok(contains(err.toJSON(), c.error), JSON.stringify(err.toJSON()));
    } else {
      if (err) throw err;
      if (c.output) assert.deepEqual(JSON.parse(JSON.stringify(out)), c.output);
      if (c.output_subset) assert.ok(contains(out, c.output_subset), JSON.stringify(out));
    }
  });
}
