// Integrated accounts in KV: create, read, list, delete; credentials are
// stored (the client needs them) but never returned by any route.
import { describe, it, expect } from 'vitest';
import { env } from 'cloudflare:test';
import { call, callWith, accountKey } from './helpers.js';

const SECRET = 'lever-secret-value-7f3a';

describe('integrated accounts', () => {
  it('POST creates, GET reads, list pages, DELETE removes — credential values never come back', async () => {
    const created = await call('/integrated-accounts', {
      method: 'POST',
      body: { id: 'lever-1', provider: 'lever', credentials: { api_key: SECRET }, context: { note: 'team A' } },
    });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({ id: 'lever-1', provider: 'lever', context: { note: 'team A' }, credentials_set: ['api_key'], created_at: expect.any(String), status: 'active' });

    // Stored sealed (the client needs them, nobody reading KV does)…
    const raw = await env.ACCOUNTS.get(accountKey('lever-1'));
    expect(raw).not.toContain(SECRET);
    expect(raw).not.toContain(btoa(SECRET));
    const stored = JSON.parse(raw);
    expect(stored.credentials).toBeUndefined();
    expect(stored.credentials_set).toEqual(['api_key']);
    expect(Object.keys(stored.credentials_sealed).sort()).toEqual(['data', 'iv', 'kid', 'v']);

    // …but no response ever contains them.
    const one = await call('/integrated-accounts/lever-1', {});
    expect(one.status).toBe(200);
    expect(one.json).toEqual(created.json);
    await call('/integrated-accounts', { method: 'POST', body: { id: 'sandbox-a', provider: 'sandbox' } });
    const list = await call('/integrated-accounts', {});
    expect(list.status).toBe(200);
    expect(Object.keys(list.json).sort()).toEqual(['next_cursor', 'result', 'result_count']);
    expect(list.json.result.map((a) => a.id)).toEqual(expect.arrayContaining(['lever-1', 'sandbox-a']));
    const onlyLever = await call('/integrated-accounts?provider=lever', {});
    expect(onlyLever.json.result.map((a) => a.provider)).toEqual(['lever']);
    const deleted = await call('/integrated-accounts/lever-1', { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(deleted.json.id).toBe('lever-1');
    for (const r of [created, one, list, deleted]) expect(r.text).not.toContain(SECRET);

    expect((await call('/integrated-accounts/lever-1', {})).status).toBe(404);
    expect(await env.ACCOUNTS.get(accountKey('lever-1'))).toBeNull();
    expect((await call('/integrated-accounts/lever-1', { method: 'DELETE' })).json).toMatchObject({ statusCode: 404, code: 'unknown_account' });
  });

  it('list pages with limit and next_cursor', async () => {
    for (const id of ['page-a', 'page-b', 'page-c']) await call('/integrated-accounts', { method: 'POST', body: { id, provider: 'sandbox' } });
    const seen = [];
    let cursor = '';
    for (let i = 0; i < 10; i++) {
      const r = await call(`/integrated-accounts?limit=2${cursor ? `&next_cursor=${encodeURIComponent(cursor)}` : ''}`, {});
      expect(r.json.result.length).toBeLessThanOrEqual(2);
      seen.push(...r.json.result.map((a) => a.id));
      if (!r.json.next_cursor) break;
      cursor = r.json.next_cursor;
    }
    expect(seen).toEqual(expect.arrayContaining(['page-a', 'page-b', 'page-c']));
    expect((await call('/integrated-accounts?limit=0', {})).status).toBe(400);
  });

  it('an id is generated when none is given', async () => {
    const r = await call('/integrated-accounts', { method: 'POST', body: { provider: 'sandbox' } });
    expect(r.status).toBe(201);
    expect(r.json.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a second POST with the same id is a conflict, not an overwrite', async () => {
    await call('/integrated-accounts', { method: 'POST', body: { id: 'dup', provider: 'sandbox' } });
    const again = await call('/integrated-accounts', { method: 'POST', body: { id: 'dup', provider: 'lever', credentials: { api_key: 'x' } } });
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('account_exists');
    expect((await env.ACCOUNTS.get(accountKey('dup'), 'json')).provider).toBe('sandbox');
  });

  it('invalid accounts are refused with every problem at once', async () => {
    const r = await call('/integrated-accounts', {
      method: 'POST',
      body: { id: 'bad id!', provider: 'nosuch', credentials: { api_key: 42 }, context: 'x', colour: 'red' },
    });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('validation_failed');
    expect(r.json.details.map((d) => `${d.field}:${d.code}`).sort()).toEqual([
      'body.colour:unknown_field', 'body.context:invalid_type', 'body.credentials.api_key:invalid_type', 'body.id:invalid_format', 'body.provider:not_one_of',
    ]);
    expect((await call('/integrated-accounts', { method: 'POST', body: [] })).status).toBe(400);
    expect((await call('/integrated-accounts', { method: 'POST', body: {} })).json.details).toEqual([{ field: 'body.provider', code: 'required', message: 'is required' }]);
  });

  it('an account the core would refuse on first use is refused at POST: 400 with field paths, nothing stored, no value echoed', async () => {
    const crlf = 'lever-key-7f3a\r\nX-Injected: 1';
    const r = await call('/integrated-accounts', { method: 'POST', body: { id: 'crlf-lever', provider: 'lever', credentials: { api_key: crlf } } });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ statusCode: 400, code: 'validation_failed' });
    expect(r.json.details).toEqual([expect.objectContaining({ field: 'body.credentials.api_key', code: 'invalid_format' })]);
    expect(r.text).not.toContain('lever-key-7f3a');
    expect(await env.ACCOUNTS.get('account:crlf-lever')).toBeNull();
    expect((await call('/integrated-accounts/crlf-lever', {})).status).toBe(404);

    const host = await call('/integrated-accounts', { method: 'POST', body: { id: 'bad-host', provider: 'pinpoint', credentials: { api_key: 'k' }, context: { subdomain: 'evil.example/x' } } });
    expect(host.status).toBe(400);
    expect(host.json.details).toEqual([expect.objectContaining({ field: 'body.context.subdomain', code: 'invalid_format' })]);
    const sf = await call('/integrated-accounts', { method: 'POST', body: { id: 'bad-sf', provider: 'salesforce', credentials: { access_token: 't' }, context: { instance_url: 'https://acme.my.salesforce.com.attacker.com' } } });
    expect(sf.json.details).toEqual([expect.objectContaining({ field: 'body.context.instance_url', code: 'invalid_format' })]);
    const missing = await call('/integrated-accounts', { method: 'POST', body: { id: 'no-key', provider: 'lever' } });
    expect(missing.json.details).toEqual([expect.objectContaining({ field: 'body.credentials.api_key', code: 'required' })]);
    for (const id of ['bad-host', 'bad-sf', 'no-key']) expect(await env.ACCOUNTS.get(`account:${id}`)).toBeNull();
  });

  it('base_url is refused unless the deployment allows overrides', async () => {
    const refused = await call('/integrated-accounts', { method: 'POST', body: { id: 'local-lever', provider: 'lever', credentials: { api_key: 'k' }, base_url: 'http://127.0.0.1:9999' } });
    expect(refused.status).toBe(400);
    expect(refused.json.details).toEqual([expect.objectContaining({ field: 'body.base_url', code: 'not_allowed' })]);
    expect(await env.ACCOUNTS.get(accountKey('local-lever'))).toBeNull();

    const allowed = await callWith({ ALLOW_BASE_URL_OVERRIDE: 'true' }, '/integrated-accounts', { method: 'POST', body: { id: 'local-lever', provider: 'lever', credentials: { api_key: 'k' }, base_url: 'http://127.0.0.1:9999' } });
    expect(allowed.status).toBe(201);
    expect(allowed.json.base_url).toBe('http://127.0.0.1:9999');
    const badUrl = await callWith({ ALLOW_BASE_URL_OVERRIDE: 'true' }, '/integrated-accounts', { method: 'POST', body: { provider: 'lever', base_url: 'ftp://user:pw@x' } });
    expect(badUrl.json.details).toEqual([expect.objectContaining({ field: 'body.base_url', code: 'invalid_url' })]);
    const withPath = await callWith({ ALLOW_BASE_URL_OVERRIDE: 'true' }, '/integrated-accounts', { method: 'POST', body: { provider: 'lever', base_url: 'http://127.0.0.1:9999/v1' } });
    expect(withPath.json.details).toEqual([expect.objectContaining({ field: 'body.base_url', code: 'invalid_url' })]);
  });

  it('wrong methods on account routes are 405 with Allow', async () => {
    const r = await call('/integrated-accounts/x', { method: 'PATCH', body: {} });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, DELETE');
  });
});
