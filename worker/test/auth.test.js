// Bearer-token auth: every API route refuses a missing or wrong token with the
// same 401 body (nothing says which part was wrong); /health, CORS preflights
// and the static admin page are open.
import { describe, it, expect } from 'vitest';
import { call, callWith } from './helpers.js';

const UNAUTHORIZED = { statusCode: 401, error: 'Unauthorized', code: 'unauthorized', message: 'missing or invalid API token', details: [] };

const PROTECTED = [
  ['GET', '/providers'],
  ['GET', '/coverage'],
  ['GET', '/integrated-accounts'],
  ['POST', '/integrated-accounts'],
  ['GET', '/integrated-accounts/acc-1'],
  ['DELETE', '/integrated-accounts/acc-1'],
  ['GET', '/unified/ats/interviews?integrated_account_id=sandbox-1'],
  ['POST', '/unified/ats/activities?integrated_account_id=sandbox-1'],
  ['GET', '/unified/ats/interviews/int_001?integrated_account_id=sandbox-1'],
  ['PATCH', '/unified/ats/activities/note_1?integrated_account_id=sandbox-1'],
  ['DELETE', '/unified/ats/activities/note_1?integrated_account_id=sandbox-1'],
  ['GET', '/unified/ats/activities/meta/create'],
];

describe('auth', () => {
  it('/health needs no token', async () => {
    const r = await call('/health', { token: null });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ ok: true });
  });

  for (const [method, path] of PROTECTED) {
    it(`${method} ${path.split('?')[0]} → 401 without a token, with a wrong token, with another scheme`, async () => {
      const body = method === 'POST' || method === 'PATCH' ? { provider: 'sandbox' } : undefined;
      const missing = await call(path, { method, token: null, body });
      const wrong = await call(path, { method, token: 'test-token-1x', body });
      const basic = await call(path, { method, token: null, body, headers: { authorization: 'Basic dGVzdC10b2tlbi0xOg==' } });
      for (const r of [missing, wrong, basic]) {
        expect(r.status).toBe(401);
        expect(r.json).toEqual(UNAUTHORIZED);
        expect(r.headers.get('www-authenticate')).toBe('Bearer');
      }
    });
  }

  it('every configured token works (rotation); the scheme is case-insensitive', async () => {
    expect((await call('/providers', { token: 'test-token-1' })).status).toBe(200);
    expect((await call('/providers', { token: 'test-token-2' })).status).toBe(200);
    expect((await call('/providers', { token: null, headers: { authorization: 'bearer test-token-2' } })).status).toBe(200);
    // A token's prefix or an empty bearer is not a token.
    expect((await call('/providers', { token: 'test-token' })).status).toBe(401);
    expect((await call('/providers', { token: null, headers: { authorization: 'Bearer ' } })).status).toBe(401);
  });

  it('with no tokens configured every request is refused (fail closed)', async () => {
    const r = await callWith({ API_TOKENS: '' }, '/providers', { token: '' });
    expect(r.status).toBe(401);
    const r2 = await callWith({ API_TOKENS: undefined }, '/providers', { token: 'undefined' });
    expect(r2.status).toBe(401);
  });

  it('CORS preflight is answered without a token; responses carry CORS headers', async () => {
    const pre = await call('/unified/ats/activities', { method: 'OPTIONS', token: null, headers: { origin: 'http://127.0.0.1:5000', 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-headers')).toContain('Idempotency-Key');
    expect(pre.headers.get('access-control-allow-methods')).toContain('PATCH');
    const r = await call('/providers', { token: null });
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('unknown paths are 404 in the error shape', async () => {
    const r = await call('/nope', {});
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ statusCode: 404, error: 'Not Found', code: 'not_found' });
  });
});
