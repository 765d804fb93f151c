// Safety at the edge: the body-size cap (declared and actual bytes), the upstream
// host allowlist, base_url overrides only when allowed, and Idempotency-Key replay.
import { describe, it, expect, beforeAll, afterEach, vi } from 'vitest';
import { CrosswalkError } from 'crosswalk';
import { call, callWith, putAccount, fakeUpstream, basic, LEVER_NOTE, BETA, BETA_2 } from './helpers.js';
import { hostMatches, urlAllowed, guardedFetch } from '../src/hosts.js';

let upstream;
afterEach(() => upstream?.restore());

beforeAll(async () => {
  await putAccount({ id: 'sbx', provider: 'sandbox' });
  await putAccount({ id: 'lever-acc', provider: 'lever', credentials: { api_key: 'lever-key' } });
  await putAccount({ id: 'sbx-gh', provider: 'greenhouse', credentials: { access_token: 'gh-token' } });
  await putAccount({ id: 'lever-local', provider: 'lever', credentials: { api_key: 'local-key' }, base_url: 'http://127.0.0.1:4010' });
});

// MAX_BODY_BYTES is 4096 in vitest.config.js.
describe('request body cap', () => {
  const big = { candidate_id: 'cand_1', body: 'x'.repeat(5000) };

  it('a body over the cap is 413 (declared by Content-Length)', async () => {
    const r = await call('/unified/ats/activities?integrated_account_id=sbx', { method: 'POST', body: big });
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ statusCode: 413, error: 'Payload Too Large', code: 'payload_too_large' });
    expect(r.json.details[0].meta).toEqual({ limit: 4096 });
  });

  it('a streamed body with no Content-Length is counted as it arrives', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(1000));
    let sent = 0;
    const stream = new ReadableStream({
      pull(controller) {
        if (sent >= 10) return controller.close();
        sent++;
        controller.enqueue(chunk);
      },
    });
    const r = await call('/unified/ats/activities?integrated_account_id=sbx', { method: 'POST', body: stream, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(413);
    expect(sent).toBeLessThan(10);
  });

  it('a Content-Length that understates the body does not get past the cap', async () => {
    const body = JSON.stringify(big);
    const r = await callWith({}, '/integrated-accounts', {
      method: 'POST',
      body: new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(body)); c.close(); } }),
      headers: { 'content-type': 'application/json', 'content-length': '100' },
    });
    expect(r.status).toBe(413);
  });

  it('the cap applies to account routes too; a body at the cap is accepted', async () => {
    expect((await call('/integrated-accounts', { method: 'POST', body: { provider: 'sandbox', context: { pad: 'x'.repeat(5000) } } })).status).toBe(413);
    const atCap = await callWith({ MAX_BODY_BYTES: '20000' }, '/unified/ats/activities?integrated_account_id=sbx', { method: 'POST', body: big });
    expect(atCap.status).toBe(201);
  });
});

describe('upstream host allowlist', () => {
  it('matches exact hosts and *. wildcards (subdomains only)', () => {
    expect(hostMatches('api.lever.co', 'api.lever.co')).toBe(true);
    expect(hostMatches('API.Lever.co.', 'api.lever.co')).toBe(true);
    expect(hostMatches('evil-api.lever.co', 'api.lever.co')).toBe(false);
    expect(hostMatches('acme.my.salesforce.com', '*.my.salesforce.com')).toBe(true);
    expect(hostMatches('my.salesforce.com', '*.my.salesforce.com')).toBe(false);
    expect(hostMatches('acme.my.salesforce.com.evil.test', '*.my.salesforce.com')).toBe(false);
    expect(hostMatches('evilmy.salesforce.com', '*.my.salesforce.com')).toBe(false);
  });

  it('Salesforce requests reach My Domain hosts only (*.my.salesforce.com), never look-alikes', () => {
    const sf = { provider: 'salesforce' };
    for (const host of ['acme.my.salesforce.com', 'ACME.MY.SALESFORCE.COM', 'acme--uat.sandbox.my.salesforce.com', 'acme-dev-ed.develop.my.salesforce.com', 'acme.scratch.my.salesforce.com', 'acme.my.salesforce.com:443']) {
      expect(urlAllowed(`https://${host}/services/data/v60.0/query`, sf, {}), host).toBe(true);
    }
    for (const host of [
      'evil.my.salesforce.com.attacker.com', 'my.salesforce.com.evil', 'xmy.salesforce.com', 'my.salesforce.com', 'evilforce.com', 'a.force.com',
      'acme.lightning.force.com', 'salesforce.com.evil.io', 'na85.salesforce.com', 'acme.my.salesforce.com:8443', 'acme..my.salesforce.com',
    ]) {
      expect(urlAllowed(`https://${host}/services/data/v60.0/query`, sf, {}), host).toBe(false);
    }
    expect(urlAllowed('http://acme.my.salesforce.com/services/data/v60.0/query', sf, {})).toBe(false);
    // Salesforce's sign-in hosts take the token requests (providers()[].oauth.hosts).
    for (const host of ['login.salesforce.com', 'test.salesforce.com']) expect(urlAllowed(`https://${host}/services/oauth2/token`, sf, {}), host).toBe(true);
    expect(hostMatches('a..example.com', '*.example.com')).toBe(false);
    expect(hostMatches('a.b.example.com', '*.example.com')).toBe(true);
  });

  it('allows https to the provider hosts only, and the base_url origin only when enabled', () => {
    const lever = { provider: 'lever' };
    const off = { ALLOW_BASE_URL_OVERRIDE: 'false' };
    const on = { ALLOW_BASE_URL_OVERRIDE: 'true' };
    expect(urlAllowed('https://api.lever.co/v1/x', lever, off)).toBe(true);
    expect(urlAllowed('https://api.sandbox.lever.co/v1/x', lever, off)).toBe(true);
    expect(urlAllowed('http://api.lever.co/v1/x', lever, off)).toBe(false);
    expect(urlAllowed('https://api.lever.co:8443/v1/x', lever, off)).toBe(false);
    expect(urlAllowed('https://api.ashbyhq.com/x', lever, off)).toBe(false);
    const local = { provider: 'lever', base_url: 'http://127.0.0.1:4010' };
    expect(urlAllowed('http://127.0.0.1:4010/v1/x', local, off)).toBe(false);
    expect(urlAllowed('http://127.0.0.1:4010/v1/x', local, on)).toBe(true);
    expect(urlAllowed('http://127.0.0.1:4011/v1/x', local, on)).toBe(false);
  });

  it('the guarded fetch refuses other hosts with a CrosswalkError and never calls out', async () => {
    let called = 0;
    const f = guardedFetch({}, () => ({ provider: 'lever' }), async () => {
      called++;
      return new Response('{}');
    });
    const err = await f('https://attacker.example/v1/opportunities', { method: 'POST' }).catch((e) => e);
    expect(err).toBeInstanceOf(CrosswalkError);
    expect(err.toJSON()).toMatchObject({ statusCode: 403, code: 'host_not_allowed' });
    expect(called).toBe(0);
    await f('https://api.lever.co/v1/opportunities', { method: 'POST' });
    expect(called).toBe(1);
  });

  it('wildcard hosts from account context pass through the whole request path (Pinpoint *.pinpointhq.com)', async () => {
    await putAccount({ id: 'pinpoint-acc', provider: 'pinpoint', credentials: { api_key: 'pp-key' }, context: { subdomain: 'acme' } });
    upstream = fakeUpstream({ status: 200, body: { data: [], meta: {}, links: {} } });
    await call('/unified/ats/interviews?integrated_account_id=pinpoint-acc&limit=5', {});
    expect(upstream.requests).toHaveLength(1);
    expect(new URL(upstream.requests[0].url).host).toBe('acme.pinpointhq.com');
    expect(upstream.requests[0].headers['x-api-key']).toBe('pp-key');
  });

  it('an account with a stored base_url is refused while overrides are disabled', async () => {
    upstream = fakeUpstream({ status: 201, body: LEVER_NOTE });
    const r = await call('/unified/ats/activities?integrated_account_id=lever-local', { method: 'POST', body: { candidate_id: 'opp-1', body: 'hi' } });
    expect(r.status).toBe(403);
    expect(r.json.code).toBe('base_url_not_allowed');
    expect(upstream.requests).toHaveLength(0);
  });

  it('with overrides enabled the request goes to the base_url origin', async () => {
    upstream = fakeUpstream({ status: 201, body: LEVER_NOTE });
    const r = await callWith({ ALLOW_BASE_URL_OVERRIDE: 'true' }, '/unified/ats/activities?integrated_account_id=lever-local', { method: 'POST', body: { candidate_id: 'opp-1', body: 'hi' } });
    expect(r.status).toBe(201);
    expect(upstream.requests.map((q) => q.url)).toEqual(['http://127.0.0.1:4010/v1/opportunities/opp-1/notes']);
    expect(upstream.requests[0].headers.authorization).toBe(basic('local-key'));
  });
});

describe('Idempotency-Key', () => {
  const path = '/unified/ats/activities?integrated_account_id=lever-acc';
  const note = { candidate_id: 'opp-1', body: 'Once only' };

  it('a repeated key replays the stored response without calling the provider again', async () => {
    upstream = fakeUpstream({ status: 201, body: LEVER_NOTE });
    const first = await call(path, { method: 'POST', body: note, headers: { 'idempotency-key': 'k-replay' } });
    const second = await call(path, { method: 'POST', body: note, headers: { 'idempotency-key': 'k-replay' } });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.text).toBe(first.text);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(upstream.requests).toHaveLength(1);
  });

  it('the same key with a different body is 422, and the original stays replayable', async () => {
    upstream = fakeUpstream({ status: 201, body: LEVER_NOTE });
    await call(path, { method: 'POST', body: note, headers: { 'idempotency-key': 'k-diff' } });
    const other = await call(path, { method: 'POST', body: { ...note, body: 'Something else' }, headers: { 'idempotency-key': 'k-diff' } });
    expect(other.status).toBe(422);
    expect(other.json).toMatchObject({ statusCode: 422, error: 'Unprocessable Entity', code: 'idempotency_key_reused' });
    const otherQuery = await call(`${path}&remote_query[perform_as]=u2`, { method: 'POST', body: note, headers: { 'idempotency-key': 'k-diff' } });
    expect(otherQuery.status).toBe(422);
    expect((await call(path, { method: 'POST', body: note, headers: { 'idempotency-key': 'k-diff' } })).headers.get('idempotent-replayed')).toBe('true');
    expect(upstream.requests).toHaveLength(1);
  });

  it('keys are scoped per tenant and per route; the tokens of one tenant share them (rotation)', async () => {
    upstream = fakeUpstream({ status: 201, body: LEVER_NOTE });
    await putAccount({ id: 'lever-acc', provider: 'lever', credentials: { api_key: 'beta-key' } }, 'beta');
    const first = await call(path, { method: 'POST', body: note, headers: { 'idempotency-key': 'k-scope' } });
    // Another token of the same tenant (default) replays.
    const sameTenant = await call(path, { method: 'POST', token: 'test-token-2', body: note, headers: { 'idempotency-key': 'k-scope' } });
    expect(sameTenant.headers.get('idempotent-replayed')).toBe('true');
    expect(sameTenant.text).toBe(first.text);
    // Tenant beta's same key on the same path (its own account of the same id) runs.
    const otherTenant = await call(path, { method: 'POST', token: BETA, body: note, headers: { 'idempotency-key': 'k-scope' } });
    expect(otherTenant.status).toBe(201);
    expect(otherTenant.headers.get('idempotent-replayed')).toBeNull();
    expect(upstream.requests[1].headers.authorization).toBe(basic('beta-key'));
    const betaAgain = await call(path, { method: 'POST', token: BETA_2, body: note, headers: { 'idempotency-key': 'k-scope' } });
    expect(betaAgain.headers.get('idempotent-replayed')).toBe('true');
    const otherRoute = await call('/unified/crm/engagements?integrated_account_id=sbx', { method: 'POST', body: { engagement_type: 'call', subject: 'Call' }, headers: { 'idempotency-key': 'k-scope' } });
    expect(otherRoute.status).toBe(201);
    expect(otherRoute.headers.get('idempotent-replayed')).toBeNull();
    expect(upstream.requests).toHaveLength(2);
  });

  it('a repeat while the first is still running is 409, not a second provider call', async () => {
    let release;
    const gate = new Promise((r) => (release = r));
    upstream = fakeUpstream(async () => {
      await gate;
      return { status: 201, body: LEVER_NOTE };
    });
    const first = call(path, { method: 'POST', body: note, headers: { 'idempotency-key': 'k-race' } });
    // Wait until the first call is at the provider, not a fixed time a loaded
    // machine can outrun. (Polled: a promise resolved inside the Worker's request
    // does not wake the test's context in workerd.)
    while (upstream.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    const second = await call(path, { method: 'POST', body: note, headers: { 'idempotency-key': 'k-race' } });
    expect(second.status).toBe(409);
    expect(second.json.code).toBe('idempotency_in_progress');
    expect(second.headers.get('retry-after')).toBe('1');
    release();
    expect((await first).status).toBe(201);
    expect(upstream.requests).toHaveLength(1);
  });

  it('a write Lever may have applied is sent once, key or not, and its unknown outcome is replayed to a repeat', async () => {
    // Lever cannot de-duplicate: a re-send after a 503 could be a second note.
    upstream = fakeUpstream({ status: 503, headers: { 'retry-after': '0' }, body: { message: 'down' } });
    const withKey = await call(path, { method: 'POST', body: note, headers: { 'idempotency-key': 'k-503' } });
    expect(withKey.status).toBe(503);
    expect(withKey.json).toMatchObject({ code: 'write_outcome_unknown', outcome: 'unknown', truto_is_remote_error: true });
    expect(upstream.requests).toHaveLength(1);
    const again = await call(path, { method: 'POST', body: note, headers: { 'idempotency-key': 'k-503' } });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json.code).toBe('write_outcome_unknown');
    expect(upstream.requests).toHaveLength(1);
    upstream.restore();

    upstream = fakeUpstream({ status: 503, headers: { 'retry-after': '0' }, body: { message: 'down' } });
    await call(path, { method: 'POST', body: note });
    expect(upstream.requests).toHaveLength(1); // without a key a POST is not resent
  });

  it('a 429 is not stored: a repeat with the same key runs again', async () => {
    upstream = fakeUpstream({ status: 429, headers: { 'retry-after': '999999' }, body: { message: 'slow down' } });
    const first = await call(path, { method: 'POST', body: note, headers: { 'idempotency-key': 'k-429' } });
    expect(first.status).toBe(429);
    const again = await call(path, { method: 'POST', body: note, headers: { 'idempotency-key': 'k-429' } });
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(upstream.requests).toHaveLength(2);
  });

  it('client errors are stored and replayed like successes', async () => {
    upstream = fakeUpstream({ status: 404, body: { code: 'ResourceNotFound', message: 'Opportunity not found' } });
    const a = await call(path, { method: 'POST', body: note, headers: { 'idempotency-key': 'k-404' } });
    const b = await call(path, { method: 'POST', body: note, headers: { 'idempotency-key': 'k-404' } });
    expect(a.status).toBe(404);
    expect(b.status).toBe(404);
    expect(b.json).toEqual(a.json);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(upstream.requests).toHaveLength(1);
  });

  it('GET ignores the header; a malformed key is 400', async () => {
    const get = await call('/unified/ats/interviews?integrated_account_id=sbx&limit=1', { headers: { 'idempotency-key': 'k-get' } });
    expect(get.status).toBe(200);
    const bad = await call(path, { method: 'POST', body: note, headers: { 'idempotency-key': 'has spaces' } });
    expect(bad.status).toBe(400);
    expect(bad.json.details[0].field).toBe('headers.idempotency-key');
  });
});

describe('deadline and Retry-After', () => {
  it("a provider 429's Retry-After reaches the caller instead of being slept on past the deadline", async () => {
    upstream = fakeUpstream({ status: 429, headers: { 'retry-after': '60' }, body: { message: 'slow down' } });
    const r = await call('/unified/ats/activities?integrated_account_id=lever-acc', { method: 'POST', body: { candidate_id: 'opp-1', body: 'hi' } });
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('60');
    expect(upstream.requests).toHaveLength(1);
  });

  it('a provider that never answers ends at REQUEST_DEADLINE_MS with a 504', async () => {
    // A fetch that only ends when the driver aborts it.
    const spy = vi.spyOn(globalThis, 'fetch').mockImplementation((url, init = {}) => new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(init.signal.reason))));
    try {
      const r = await callWith({ REQUEST_DEADLINE_MS: '150' }, '/unified/ats/interviews?integrated_account_id=sbx-gh', {});
      expect(r.status).toBe(504);
      expect(r.json.code).toBe('deadline_exceeded');
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('signed cursors', () => {
  it('an edited next_cursor is refused before anything reaches the provider', async () => {
    const item = { id: 1, application_id: 2, starts_at: '2026-01-05T10:00:00Z', ends_at: '2026-01-05T10:30:00Z', status: 'scheduled' };
    // Raw listings (no per-page lookups): each provider request is one page.
    upstream = fakeUpstream(
      { status: 200, headers: { link: '<https://harvest.greenhouse.io/v3/interviews?cursor=cDI>; rel="next"' }, body: [item] },
      { status: 200, body: [{ ...item, id: 2 }] },
    );
    const first = await call('/unified/ats/interviews?integrated_account_id=sbx-gh&limit=1&truto_response_format=raw', {});
    expect(first.status).toBe(200);
    const cursor = first.json.next_cursor;
    expect(cursor).toContain('.');
    const [payload, tag] = cursor.split('.');
    const state = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/')));
    const forgedState = JSON.stringify(state).replace('cursor=cDI', 'cursor=cDI&per_page=1000000000&page=-1&foo=bar');
    expect(forgedState).not.toBe(JSON.stringify(state));
    const forged = `${btoa(forgedState).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}.${tag}`;
    for (const c of [forged, payload]) {
      const r = await call(`/unified/ats/interviews?integrated_account_id=sbx-gh&limit=1&truto_response_format=raw&next_cursor=${encodeURIComponent(c)}`, {});
      expect(r.status).toBe(400);
      expect(r.json.code).toBe('invalid_cursor');
    }
    expect(upstream.requests).toHaveLength(1);
    const ok = await call(`/unified/ats/interviews?integrated_account_id=sbx-gh&limit=1&truto_response_format=raw&next_cursor=${encodeURIComponent(cursor)}`, {});
    expect(ok.status).toBe(200);
    expect(upstream.requests).toHaveLength(2);
    expect(upstream.requests[1].url).toBe('https://harvest.greenhouse.io/v3/interviews?cursor=cDI');
  });
});
