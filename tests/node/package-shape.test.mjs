// The public surface of the npm package: names, shapes, and that coverage and
// providers come from the same tables as validation.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as crosswalk from 'crosswalk';

test('exports the documented API', () => {
  for (const name of ['createClient', 'plan', 'validate', 'coverage', 'providers', 'CrosswalkError', 'schema', 'parseQuery', 'sandbox']) {
    assert.ok(name in crosswalk, `missing export ${name}`);
  }
});

test('coverage is model → resource → method → request/response → field → provider', () => {
  const c = crosswalk.coverage();
  const cell = c.ats.activities.create.request.candidate_id.lever;
  assert.deepEqual(cell, { supported: true, required: true, maps_to: '{opportunity}' });
  assert.equal(c.ats.activities.create.response.id.ashby.supported, true);
  assert.ok(c.ats.activities.create.providers.includes('recruitee'));
  // Every provider in providers() appears in coverage for each resource it lists.
  for (const p of crosswalk.providers()) {
    for (const r of p.resources) for (const m of r.methods) assert.ok(c[r.model][r.resource][m].providers.includes(p.name), `${p.name} ${r.resource} ${m}`);
  }
});

test('coverage agrees with validate(): required fields are enforced, unsupported ones rejected', () => {
  const c = crosswalk.coverage();
  for (const [field, perProvider] of Object.entries(c.ats.activities.create.request)) {
    for (const [provider, cell] of Object.entries(perProvider)) {
      const res = crosswalk.validate({ provider, model: 'ats', resource: 'activities', method: 'create', body: {} });
      const required = res.errors.some((e) => e.field === `body.${field}` && e.code === 'required');
      assert.equal(required, cell.required, `${provider}.${field} required`);
    }
  }
});

test('parseQuery reads Truto-style nested queries', () => {
  assert.deepEqual(crosswalk.parseQuery('integrated_account_id=a&remote_query[foo]=bar&truto_exclude_fields[]=id&truto_exclude_fields[]=name'), {
    integrated_account_id: 'a', remote_query: { foo: 'bar' }, truto_exclude_fields: ['id', 'name'],
  });
});

test('CrosswalkError serializes to the unified shape', () => {
  const e = new crosswalk.CrosswalkError({ statusCode: 400, error: 'Bad Request', code: 'validation_failed', message: 'm', details: [{ field: 'body.x', code: 'required', message: 'is required' }] });
  assert.deepEqual(JSON.parse(JSON.stringify(e)), { statusCode: 400, error: 'Bad Request', code: 'validation_failed', message: 'm', details: [{ field: 'body.x', code: 'required', message: 'is required' }] });
  assert.ok(e instanceof Error);
});
