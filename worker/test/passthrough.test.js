// POST /passthrough: the provider's own API through a stored account.
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { call, callWith, putAccount, fakeUpstream, basic } from './helpers.js';

let upstream;
beforeAll(async () => {
  await putAccount({ id: 'pt-lever', provider: 'lever', credentials: { api_key: 'pt-lever-key' } });
  await putAccount({ id: 'pt-beta', provider: 'lever', credentials: { api_key: 'beta-key' } }, 'beta');
});
afterEach(() => upstream?.restore());

describe('passthrough', () => {
  it('sends the request with the account auth and answers { status, headers, body } for any status', async () => {
    upstream = fakeUpstream({ status: 404, body: { code: 'ResourceNotFound' } });
    const r = await call('/passthrough?integrated_account_id=pt-lever', { method: 'POST', body: { method: 'GET', path: '/v1/opportunities/x', query: { expand: 'owner' } } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: 404, body: { code: 'ResourceNotFound' } });
    expect(r.json.headers['content-type']).toBe('application/json');
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0].url).toBe('https://api.lever.co/v1/opportunities/x?expand=owner');
    expect(upstream.requests[0].headers.authorization).toBe(basic('pt-lever-key'));
    expect(r.text).not.toContain('pt-lever-key');
  });

  it("refuses other hosts, dot segments and auth headers before sending; another tenant's account is a 404", async () => {
    upstream = fakeUpstream({ status: 200, body: {} });
    for (const [request, field] of [
      [{ method: 'GET', path: 'https://evil.example/x' }, 'passthrough.path'],
      [{ method: 'GET', path: '/v1/%2e%2e/x' }, 'passthrough.path'],
      [{ method: 'GET', path: '/v1/x', headers: { authorization: 'Bearer mine' } }, 'passthrough.headers.authorization'],
    ]) {
      const r = await call('/passthrough?integrated_account_id=pt-lever', { method: 'POST', body: request });
      expect(r.status).toBe(400);
      expect(r.json.code).toBe('validation_failed');
      expect(r.json.details.map((d) => d.field)).toEqual([field]);
    }
    const other = await call('/passthrough?integrated_account_id=pt-beta', { method: 'POST', body: { method: 'GET', path: '/v1/x' } });
    expect(other.status).toBe(404);
    const missing = await call('/passthrough', { method: 'POST', body: { method: 'GET', path: '/v1/x' } });
    expect(missing.status).toBe(400);
    expect(upstream.requests).toHaveLength(0);
  });

  it('an account with a base_url is refused where overrides are off (no request to its host)', async () => {
    await putAccount({ id: 'pt-local', provider: 'lever', credentials: { api_key: 'k' }, base_url: 'http://127.0.0.1:9' });
    upstream = fakeUpstream({ status: 200, body: {} });
    const r = await callWith({ ALLOW_BASE_URL_OVERRIDE: 'false' }, '/passthrough?integrated_account_id=pt-local', { method: 'POST', body: { method: 'GET', path: '/v1/x' } });
    expect(r.status).toBe(403);
    expect(upstream.requests).toHaveLength(0);
  });

  it('ANY /proxy/{path}: the provider status and body as the answer, on the same code path', async () => {
    upstream = fakeUpstream({ status: 404, body: { code: 'ResourceNotFound' } }, { status: 201, body: { id: 'n1' } });
    const got = await call('/proxy/v1/opportunities/x?integrated_account_id=pt-lever&expand=owner&expand=stage', {});
    expect(got.status).toBe(404);
    expect(got.json).toEqual({ code: 'ResourceNotFound' });
    expect(upstream.requests[0].url).toBe('https://api.lever.co/v1/opportunities/x?expand=owner&expand=stage');
    expect(upstream.requests[0].method).toBe('GET');
    expect(upstream.requests[0].headers.authorization).toBe(basic('pt-lever-key'));
    const posted = await call('/proxy/v1/opportunities/x/notes?integrated_account_id=pt-lever', { method: 'POST', body: { value: 'hi' } });
    expect(posted.status).toBe(201);
    expect(posted.json).toEqual({ id: 'n1' });
    expect(JSON.parse(upstream.requests[1].body)).toEqual({ value: 'hi' });
    const noAccount = await call('/proxy/v1/x', {});
    expect(noAccount.status).toBe(400);
    expect(noAccount.json.code).toBe('validation_failed');
    expect(upstream.requests).toHaveLength(2);
  });
});
