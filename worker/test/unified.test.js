// The Truto-compatible unified routes against the embedded sandbox provider
// (no network) and Lever through a fake upstream: list/get/create/update/delete,
// query parsing (nested remote_query, truto_exclude_fields[]), list and error
// shapes, and the meta route.
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { providers, coverage } from 'crosswalk';
import { call, callWith, putAccount, fakeUpstream, basic, LEVER_NOTE } from './helpers.js';
// The package's wasm glue, for its test-only trap trigger (see src/facade/wasm.rs).
import { __crosswalk_test_trap } from '../../pkg/wasm/crosswalk_core.js';

const Q = 'integrated_account_id=sbx';
let upstream;

beforeAll(async () => {
  await putAccount({ id: 'sbx', provider: 'sandbox' });
  await putAccount({ id: 'lever-acc', provider: 'lever', credentials: { api_key: 'lever-key' } });
});
afterEach(() => upstream?.restore());

const ERROR_KEYS = ['code', 'details', 'error', 'message', 'statusCode'];

describe('list', () => {
  it('answers one page in the Truto list shape and continues with next_cursor', async () => {
    const first = await call(`/unified/ats/interviews?${Q}&limit=50`, {});
    expect(first.status).toBe(200);
    // Truto's list shape; `warnings` is crosswalk's addition (some seeded sandbox interviews have a status with no unified equivalent).
    expect(Object.keys(first.json).sort()).toEqual(['next_cursor', 'result', 'result_count', 'warnings']);
    expect(first.json.warnings.every((w) => w.code === 'unknown_status')).toBe(true);
    expect(first.json.result_count).toBe(50);
    expect(first.json.result).toHaveLength(50);
    expect(first.json.result[0]).toMatchObject({ id: 'int_001', candidate: { id: 'cand_1' } });
    expect(typeof first.json.next_cursor).toBe('string');

    const ids = first.json.result.map((r) => r.id);
    let cursor = first.json.next_cursor;
    let pages = 1;
    while (cursor) {
      const page = await call(`/unified/ats/interviews?${Q}&limit=50&next_cursor=${encodeURIComponent(cursor)}`, {});
      expect(page.status).toBe(200);
      ids.push(...page.json.result.map((r) => r.id));
      cursor = page.json.next_cursor;
      pages++;
    }
    expect(pages).toBe(3);
    expect(ids).toHaveLength(120);
    expect(new Set(ids).size).toBe(120);
  });

  it('truto_ignore_limit returns every record in one answer', async () => {
    const all = await call(`/unified/ats/interviews?${Q}&limit=50&truto_ignore_limit=true`, {});
    expect(all.json.result_count).toBe(120);
    expect(all.json.next_cursor).toBeNull();
  });

  it('reads truto_exclude_fields[] and truto_key_by from the query string', async () => {
    const r = await call(`/unified/ats/interviews?${Q}&limit=3&truto_exclude_fields[]=remote_data&truto_exclude_fields[]=organizer.email&truto_key_by=id`, {});
    expect(r.status).toBe(200);
    expect(Object.keys(r.json.result)).toEqual(['int_001', 'int_002', 'int_003']);
    const rec = r.json.result.int_001;
    expect(rec.remote_data).toBeUndefined();
    expect(rec.organizer.email).toBeUndefined();
    expect(rec.organizer.id).toBe('user_1');
  });

  it('truto_response_format=raw returns the provider records as they are', async () => {
    const r = await call(`/unified/ats/interviews?${Q}&limit=1&truto_response_format=raw`, {});
    expect(r.json.result[0]).toMatchObject({ id: 'int_001', starts_at: expect.any(String), panel: expect.any(Array) });
  });

  it('query validation errors use the Truto error shape', async () => {
    const r = await call(`/unified/ats/interviews?${Q}&limit=0`, {});
    expect(r.status).toBe(400);
    expect(Object.keys(r.json).sort()).toEqual(ERROR_KEYS);
    expect(r.json).toMatchObject({ statusCode: 400, error: 'Bad Request', code: 'validation_failed' });
    expect(r.json.details).toEqual([expect.objectContaining({ field: 'query.limit', code: 'out_of_range' })]);
  });

  it('integrated_account_id is required and must exist', async () => {
    const missing = await call('/unified/ats/interviews', {});
    expect(missing.status).toBe(400);
    expect(missing.json.details).toEqual([expect.objectContaining({ field: 'query.integrated_account_id', code: 'required' })]);
    const unknown = await call('/unified/ats/interviews?integrated_account_id=nope', {});
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('unknown_account');
  });
});

describe('get, create, update, delete', () => {
  it('GET /{id} returns the unified record', async () => {
    const r = await call(`/unified/ats/interviews/int_002?${Q}`, {});
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id: 'int_002', remote_data: expect.objectContaining({ id: 'int_002' }) });
  });

  it('a provider 404 keeps the provider status and marks a remote error', async () => {
    const r = await call(`/unified/ats/interviews/nope?${Q}`, {});
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ statusCode: 404, error: 'Not Found', code: 'remote_error', truto_is_remote_error: true, remote: { provider: 'sandbox', status: 404 } });
  });

  it('POST creates and answers 201 with the unified record', async () => {
    const r = await call(`/unified/ats/activities?${Q}`, { method: 'POST', body: { candidate_id: 'cand_7', body: 'Great call', visibility: 'private' } });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ id: expect.stringMatching(/^note_/), body: 'Great call', candidate: { id: 'cand_7' }, activity_type: 'note' });
    const listed = await call(`/unified/ats/activities?${Q}&candidate_id=cand_7`, {});
    expect(listed.json.result.map((n) => n.id)).toContain(r.json.id);
  });

  it('an invalid body is refused before the provider with every field problem', async () => {
    upstream = fakeUpstream({ status: 201, body: LEVER_NOTE });
    const r = await call('/unified/ats/activities?integrated_account_id=lever-acc', { method: 'POST', body: { visibility: 'private', created_at: 'tuesday', colour: 'red' } });
    expect(r.status).toBe(400);
    expect(Object.keys(r.json).sort()).toEqual(ERROR_KEYS);
    expect(r.json.details.map((d) => `${d.field}:${d.code}`).sort()).toEqual([
      'body.body:required', 'body.candidate_id:required', 'body.colour:unknown_field', 'body.created_at:invalid_datetime', 'body.visibility:not_one_of',
    ]);
    expect(upstream.requests).toHaveLength(0);
  });

  it('POST to Lever sends the exact provider request, nested remote_query included', async () => {
    upstream = fakeUpstream({ status: 201, body: LEVER_NOTE });
    const r = await call('/unified/ats/activities?integrated_account_id=lever-acc&remote_query[perform_as]=user-9', {
      method: 'POST',
      body: { candidate_id: 'opp-1', body: 'Strong systems design', visibility: 'admin_only' },
    });
    expect(r.status).toBe(201);
    expect(upstream.requests).toHaveLength(1);
    const [req] = upstream.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('https://api.lever.co/v1/opportunities/opp-1/notes?perform_as=user-9');
    expect(req.headers.authorization).toBe(basic('lever-key'));
    expect(JSON.parse(req.body)).toEqual({ value: 'Strong systems design', secret: true });
    expect(r.json).toMatchObject({ id: '7f8004a4-e5db-466a-ae31-7a26346701ed', actor: { id: 'be129d9b-50da-4485-9377-0d83e981f30b', type: 'user' } });
    expect(r.text).not.toContain('lever-key');
  });

  it('PATCH and DELETE reach the client (the sandbox has neither: 501 in the error shape)', async () => {
    for (const method of ['PATCH', 'DELETE']) {
      const r = await call(`/unified/ats/activities/note_1?${Q}`, { method, body: method === 'PATCH' ? { body: 'x' } : undefined });
      expect(r.status).toBe(501);
      expect(Object.keys(r.json).sort()).toEqual(ERROR_KEYS);
      expect(r.json.code).toBe('unsupported_operation');
    }
  });

  it('wrong methods are 405 with Allow; unknown resources come back from the core', async () => {
    const put = await call(`/unified/ats/activities?${Q}`, { method: 'PUT', body: {} });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
    const postId = await call(`/unified/ats/activities/x?${Q}`, { method: 'POST', body: {} });
    expect(postId.headers.get('allow')).toBe('GET, PATCH, DELETE');
    const unknown = await call(`/unified/ats/nosuch?${Q}`, {});
    expect(unknown.status).toBeGreaterThanOrEqual(400);
    expect(Object.keys(unknown.json).sort()).toEqual(ERROR_KEYS);
  });

  it('a non-JSON body is 415, broken JSON is 400', async () => {
    const form = await call(`/unified/ats/activities?${Q}`, { method: 'POST', body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    const broken = await call(`/unified/ats/activities?${Q}`, { method: 'POST', body: '{"candidate_id":', headers: { 'content-type': 'application/json' } });
    expect(broken.status).toBe(400);
    expect(broken.json.code).toBe('invalid_json');
  });
});

describe('metadata', () => {
  it('GET /providers and /coverage serve the package tables', async () => {
    expect((await call('/providers', {})).json).toEqual(providers());
    expect((await call('/coverage', {})).json).toEqual(coverage());
  });

  it('GET /unified/{model}/{resource}/meta/{method} lists fields with per-provider support', async () => {
    const r = await call('/unified/ats/activities/meta/create', {});
    expect(r.status).toBe(200);
    expect(r.json.providers).toEqual(coverage().ats.activities.create.providers);
    const candidate = r.json.body.find((f) => f.name === 'candidate_id');
    expect(candidate).toMatchObject({ type: 'string', providers: { lever: { supported: true, required: true, maps_to: '{opportunity}' } } });
    const visibility = r.json.body.find((f) => f.name === 'visibility');
    expect(visibility.enum).toEqual(['private', 'public', 'admin_only']);
    expect(r.json.response.find((f) => f.name === 'id').providers.ashby.supported).toBe(true);

    const lever = await call('/unified/ats/activities/meta/create?provider=lever', {});
    expect(lever.json.providers).toEqual(['lever']);
    expect(Object.keys(lever.json.body[0].providers)).toEqual(['lever']);
    const byAccount = await call('/unified/ats/activities/meta/create?integrated_account_id=lever-acc', {});
    expect(byAccount.json.providers).toEqual(['lever']);

    const list = await call('/unified/ats/interviews/meta/list', {});
    expect(list.json.query.map((f) => f.name).sort()).toEqual(Object.keys(coverage().ats.interviews.list.request).sort());
  });

  it('meta for an unknown resource or an unimplemented method is 404', async () => {
    expect((await call('/unified/ats/nosuch/meta/list', {})).json).toMatchObject({ statusCode: 404, code: 'unknown_resource' });
    // An operation no provider implements (computed, so new providers do not break this).
    const cov = coverage();
    const missing = Object.entries(cov)
      .flatMap(([m, rs]) => Object.entries(rs).flatMap(([r, ms]) => ['create', 'list', 'get', 'update', 'delete'].filter((x) => !ms[x]).map((x) => `${m}/${r}/meta/${x}`)))[0];
    expect(missing).toBeDefined();
    expect((await call(`/unified/${missing}`, {})).json).toMatchObject({ statusCode: 404, code: 'unsupported_operation' });
    expect((await call('/unified/ats/activities/meta/create?provider=nosuch', {})).status).toBe(404);
  });
});

describe('a trap in the core', () => {
  it('is a structured 500 naming the provider and operation, and the next request works', async () => {
    const body = { candidate_id: 'cand_1', body: 'after a trap' };
    __crosswalk_test_trap();
    const r = await callWith({}, `/unified/ats/activities?${Q}`, { method: 'POST', body });
    expect(r.status).toBe(500);
    expect(Object.keys(r.json).sort()).toEqual(ERROR_KEYS);
    expect(r.json).toMatchObject({ statusCode: 500, error: 'Internal Server Error', code: 'internal_trap' });
    expect(r.json.message).toContain('sandbox ats/activities create');
    const again = await callWith({}, `/unified/ats/activities?${Q}`, { method: 'POST', body });
    expect(again.status).toBe(201);
    expect(again.json.body).toBe('after a trap');
  });
});
