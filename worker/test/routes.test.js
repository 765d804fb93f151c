// The route table: matching, 405 with the allowed methods, fall-through, 404s.
import { describe, it, expect } from 'vitest';
import { call } from './helpers.js';
import { ROUTES } from '../src/index.js';

describe('routes', () => {
  it('a known path with another method is 405 naming the allowed ones', async () => {
    for (const [method, path, allow] of [
      ['PUT', '/unified/ats/activities', 'GET, POST'],
      ['POST', '/unified/ats/interviews/abc', 'GET, PATCH, DELETE'],
      ['POST', '/unified/ats/interviews/meta/list', 'GET'],
      ['PATCH', '/integrated-accounts', 'GET, POST'],
      ['POST', '/providers', 'GET'],
      ['PUT', '/unified/ats/activities/sync', 'GET, PATCH, DELETE'],
    ]) {
      const r = await call(path, { method });
      expect(r.status, `${method} ${path}`).toBe(405);
      expect(r.headers.get('allow')).toBe(allow);
    }
  });

  it('unknown paths are 404 before auth; known ones need a token', async () => {
    expect((await call('/nope', { token: null })).status).toBe(404);
    expect((await call('/unified/ats/activities/a/b/c', {})).status).toBe(404);
    expect((await call('/providers', { token: null })).status).toBe(401);
    expect((await call('/health', { token: null })).status).toBe(200);
  });

  it('every route has a handler per method and a unique path', () => {
    const paths = ROUTES.map((r) => r.path.join('/'));
    expect(new Set(paths).size).toBe(paths.length);
    for (const r of ROUTES) for (const h of Object.values(r.methods)) expect(typeof h).toBe('function');
  });
});
