// The admin page in real headless Chromium (Debian's /usr/bin/chromium through
// playwright-core), served by the Worker under `wrangler dev` and, separately, as
// plain static files from another origin. Screenshots go to tests/.artifacts/
// (git-ignored) for a human to look at.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, extname, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import { providers, coverage } from 'crosswalk';
import { startWorker, ROOT } from '../helpers/wrangler.mjs';
import { startOAuthServer } from '../node/helpers/oauth-server.mjs';

const TOKEN = 'browser-token-93a1';
const LEVER_SECRET = 'lever-browser-secret-value';
const ARTIFACTS = join(ROOT, 'tests/.artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let worker;
let oauth;
let context;
let profile;
let page;
const pageErrors = [];

async function api(path, init = {}) {
  const res = await fetch(worker.origin + path, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  return { status: res.status, json: await res.json() };
}

async function openAdmin(url) {
  const p = await context.newPage();
  p.on('pageerror', (e) => pageErrors.push(`${url}: ${e.message}`));
  p.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`${url}: console: ${m.text()}`);
  });
  await p.goto(url);
  await p.waitForSelector('#boot[data-ready="true"]', { timeout: 20_000 });
  return p;
}

async function connect(p, origin = worker.origin) {
  await p.fill('#worker-url', origin);
  await p.fill('#api-token', TOKEN);
  await p.click('#load-accounts');
  await p.waitForFunction(() => /integrated accounts? loaded/.test(document.querySelector('#connection-status').textContent), null, { timeout: 10_000 });
}

async function chooseOperation(p, { model, resource, method, provider }) {
  await p.selectOption('#model', model);
  await p.selectOption('#resource', resource);
  await p.selectOption('#method', method);
  if (provider) await p.selectOption('#provider', provider);
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // A loopback authorization server (and HubSpot API) for the connect flow.
  oauth = await startOAuthServer({ clientId: 'hs-browser-app', clientSecret: 'hs-browser-secret-1' });
  const apps = { hubspot: { client_id: 'hs-browser-app', client_secret: 'hs-browser-secret-1', auth_base_url: oauth.origin } };
  worker = await startWorker({ vars: { API_TOKENS: TOKEN, ALLOW_BASE_URL_OVERRIDE: 'true', OAUTH_APPS: JSON.stringify(apps) } });
  for (const account of [
    { id: 'sandbox-browser', provider: 'sandbox' },
    { id: 'lever-browser', provider: 'lever', credentials: { api_key: LEVER_SECRET } },
  ]) {
    const r = await api('/integrated-accounts', { method: 'POST', body: JSON.stringify(account) });
    assert.equal(r.status, 201);
  }
  profile = mkdtempSync(join(tmpdir(), 'crosswalk-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: worker.origin });
  page = await openAdmin(worker.origin + '/');
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await worker?.close();
  await oauth?.close();
});

test('the coverage matrix has a table for every operation and a column for every provider', async () => {
  const cov = coverage();
  const ops = await page.$$eval('#matrix details[data-op]', (els) => els.map((e) => e.dataset.op));
  const expected = Object.entries(cov).flatMap(([m, rs]) => Object.entries(rs).flatMap(([r, ms]) => Object.keys(ms).map((x) => `${m}/${r}/${x}`)));
  assert.deepEqual(ops.sort(), expected.sort());
  const columns = new Set(await page.$$eval('#matrix th[data-provider]', (els) => els.map((e) => e.dataset.provider)));
  for (const p of providers().filter((x) => x.resources.length)) assert.ok(columns.has(p.name), `no matrix column for ${p.name}`);
  // A provider without unified operations (Ceipal: auth and passthrough) is named under the matrix instead.
  for (const p of providers().filter((x) => !x.resources.length)) assert.ok(await page.isVisible(`#no-unified [data-provider="${p.name}"]`), p.name);
  // One operation checked cell by cell against the coverage data.
  const create = cov.ats.activities.create;
  const table = page.locator('#matrix details[data-op="ats/activities/create"] table');
  const headers = await table.locator('thead th[data-provider]').evaluateAll((els) => els.map((e) => e.dataset.provider));
  assert.deepEqual(headers, create.providers);
  const expectCell = (c) => (c.required ? '● required' : c.supported ? '✓ supported' : '— not supported');
  const rows = await table.locator('tbody tr:not(.side)').evaluateAll((trs) =>
    trs.map((tr) => [tr.querySelector('th').textContent, [...tr.querySelectorAll('td')].map((td) => td.textContent)]));
  const expectedRows = ['request', 'response'].flatMap((side) =>
    Object.entries(create[side]).map(([field, per]) => [field, create.providers.map((p) => expectCell(per[p]))]));
  assert.deepEqual(rows, expectedRows);
  assert.ok(rows.some(([, cells]) => cells.includes('● required')) && rows.some(([, cells]) => cells.includes('— not supported')));
  // The first operation is open; the rest open on demand (Expand all).
  assert.equal(await page.locator('#matrix details[open]').count(), 1);
  await page.click('#expand-all');
  assert.equal(await page.locator('#matrix details[open]').count(), expected.length);
  await page.click('#collapse-all');
  await page.locator('#matrix details[data-op="ats/activities/create"] summary').click();
  await page.locator('#coverage').screenshot({ path: join(ARTIFACTS, 'admin-coverage.png') });
});

test('an invalid body shows the field errors beside the fields, from the wasm rules, as you type', async () => {
  await chooseOperation(page, { model: 'ats', resource: 'activities', method: 'create', provider: 'lever' });
  await page.fill('#f-created_at', 'tuesday');
  await page.selectOption('#f-visibility', 'private');
  await page.waitForFunction(() => document.querySelector('#err-created_at').textContent.includes('ISO 8601'));
  assert.match(await page.textContent('#err-created_at'), /must be an ISO 8601 date-time/);
  assert.match(await page.textContent('#err-visibility'), /"private" cannot be represented by lever/);
  assert.match(await page.textContent('#err-candidate_id'), /is required by lever/);
  assert.match(await page.textContent('#err-body'), /is required by lever/);
  assert.equal(await page.getAttribute('#f-created_at', 'aria-invalid'), 'true');
  assert.match(await page.getAttribute('#f-created_at', 'aria-describedby'), /err-created_at/);
  assert.match(await page.textContent('#validation'), /4 problems for Lever/);

  // Fixing a field clears its error without touching the others.
  await page.fill('#f-created_at', '2024-06-15T10:00:00Z');
  await page.waitForFunction(() => document.querySelector('#err-created_at').textContent === '');
  assert.equal(await page.getAttribute('#f-created_at', 'aria-invalid'), null);
  assert.match(await page.textContent('#err-visibility'), /private/);

  // The JSON editor reports against the same rules (unknown fields included).
  await page.check('input[name="body-mode"][value="json"]');
  await page.fill('#body-json-text', JSON.stringify({ candidate_id: 'opp-1', body: 'hi', colour: 'red' }));
  await page.waitForFunction(() => document.querySelector('#err-body-json').textContent.includes('body.colour'));
  assert.match(await page.textContent('#err-body-json'), /body\.colour: .*/);
  await page.fill('#body-json-text', '{"candidate_id": ');
  await page.waitForFunction(() => document.querySelector('#err-body-json').textContent.includes('not valid JSON'));
  await page.check('input[name="body-mode"][value="form"]');
  await page.screenshot({ path: join(ARTIFACTS, 'admin-validation.png'), fullPage: false });
});

test('preview shows the exact Lever request with the secret redacted, and copies it as curl', async () => {
  await connect(page);
  await page.selectOption('#account', 'lever-browser');
  await chooseOperation(page, { model: 'ats', resource: 'activities', method: 'create', provider: 'lever' });
  await page.check('input[name="body-mode"][value="json"]');
  await page.fill('#body-json-text', JSON.stringify({ candidate_id: 'opp-1', body: 'Strong systems design', visibility: 'admin_only' }));
  await page.fill('#query-json', JSON.stringify({ remote_query: { perform_as: 'user-9' } }));
  await page.waitForFunction(() => document.querySelector('#preview-out').textContent.startsWith('POST '));
  const preview = await page.textContent('#preview-out');
  assert.match(preview, /^POST https:\/\/api\.lever\.co\/v1\/opportunities\/opp-1\/notes\?perform_as=user-9\n/);
  assert.match(preview, /authorization: \[REDACTED\]/);
  assert.match(preview, /"value": "Strong systems design"/);
  assert.match(preview, /"secret": true/);
  const curl = await page.inputValue('#curl-out');
  assert.match(curl, /^curl -X POST 'https:\/\/api\.lever\.co\/v1\/opportunities\/opp-1\/notes\?perform_as=user-9'/);
  assert.match(curl, /-H 'authorization: \[REDACTED\]'/);
  assert.deepEqual(JSON.parse(/--data-raw '(.*)'$/.exec(curl)[1]), { value: 'Strong systems design', secret: true });
  await page.click('#copy-curl');
  await page.waitForFunction(() => document.querySelector('#copy-status').textContent !== '');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), curl);
  const html = await page.content();
  assert.ok(!html.includes(LEVER_SECRET), 'the credential reached the page');
  assert.match(await page.inputValue('#worker-curl-out'), /integrated_account_id=lever-browser/);
  await page.check('input[name="body-mode"][value="form"]');
});

test('send goes through the Worker and shows the unified result and the raw provider response', async () => {
  await page.selectOption('#account', 'sandbox-browser');
  await chooseOperation(page, { model: 'ats', resource: 'activities', method: 'create', provider: 'sandbox' });
  await page.check('input[name="body-mode"][value="form"]');
  await page.fill('#query-json', '{}');
  await page.fill('#f-candidate_id', 'cand_1');
  await page.fill('#f-body', 'Hello from the admin page');
  await page.waitForFunction(() => /Valid for/.test(document.querySelector('#validation').textContent));
  await page.click('#send');
  await page.waitForFunction(() => /^201/.test(document.querySelector('#send-status').textContent), null, { timeout: 10_000 });
  const unified = JSON.parse(await page.textContent('#unified-out'));
  assert.equal(unified.body, 'Hello from the admin page');
  assert.deepEqual(unified.candidate, { id: 'cand_1' });
  assert.match(unified.id, /^note_/);
  const raw = JSON.parse(await page.textContent('#raw-out'));
  assert.equal(raw.text, 'Hello from the admin page');
  assert.equal(raw.id, unified.id);
  await page.locator('#compose').screenshot({ path: join(ARTIFACTS, 'admin-send.png') });

  // Sending the same composed request again replays it (same Idempotency-Key).
  await page.click('#send');
  await page.waitForFunction(() => /replayed/.test(document.querySelector('#send-status').textContent), null, { timeout: 10_000 });
  assert.equal(JSON.parse(await page.textContent('#unified-out')).id, unified.id);

  // A read shows the raw provider page from a second, raw-format call.
  await chooseOperation(page, { model: 'ats', resource: 'interviews', method: 'list', provider: 'sandbox' });
  await page.fill('#query-json', '{"limit": 2}');
  await page.click('#send');
  await page.waitForFunction(() => /^200/.test(document.querySelector('#send-status').textContent), null, { timeout: 10_000 });
  await page.waitForFunction(() => document.querySelector('#raw-out').textContent.includes('starts_at'));
  const list = JSON.parse(await page.textContent('#unified-out'));
  assert.equal(list.result_count, 2);
  assert.equal(list.result[0].id, 'int_001');
  assert.ok(list.next_cursor);
  const rawList = JSON.parse(await page.textContent('#raw-out'));
  assert.ok('starts_at' in rawList.result[0]);
});

test('the page also works as plain static files from another origin (CORS to the Worker)', async () => {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm' };
  const www = join(ROOT, 'www');
  const server = http.createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(www, path.endsWith('/') ? `${path}index.html` : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const p = await openAdmin(`http://127.0.0.1:${server.address().port}/`);
    await connect(p);
    await p.selectOption('#account', 'sandbox-browser');
    await chooseOperation(p, { model: 'ats', resource: 'interviews', method: 'get', provider: 'sandbox' });
    await p.fill('#record-id', 'int_003');
    await p.click('#send');
    await p.waitForFunction(() => /^200/.test(document.querySelector('#send-status').textContent), null, { timeout: 10_000 });
    assert.equal(JSON.parse(await p.textContent('#unified-out')).id, 'int_003');
    await p.close();
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('passthrough: the preview comes from the core (refusals shown with their field), send returns the provider answer', async () => {
  await page.selectOption('#account', 'sandbox-browser');
  await page.fill('#pt-path', 'https://evil.example/x');
  await page.waitForFunction(() => document.querySelector('#pt-preview').textContent.includes('passthrough.path'));
  await page.fill('#pt-path', '/v1/interviews/int_002');
  await page.fill('#pt-query', '{}');
  await page.waitForFunction(() => document.querySelector('#pt-preview').textContent.includes('https://sandbox.crosswalk.invalid/v1/interviews/int_002'));
  await page.click('#pt-send');
  await page.waitForFunction(() => /provider answered 200/.test(document.querySelector('#pt-status').textContent), null, { timeout: 10_000 });
  const answer = JSON.parse(await page.textContent('#pt-out'));
  assert.equal(answer.status, 200);
  assert.equal(answer.body.data.id, 'int_002');
  await page.locator('#passthrough').screenshot({ path: join(ARTIFACTS, 'admin-passthrough.png') });
});

test('accounts: status per account, connect through a consent screen, reconnect after a refused renewal, delete', async () => {
  await connect(page);
  await page.waitForSelector('#acc-rows tr[data-account="lever-browser"]');
  assert.equal(await page.textContent('#acc-rows tr[data-account="lever-browser"] [data-status]'), 'active');
  // An API-key provider shows the credential field its auth needs; an OAuth one a Connect button.
  await page.selectOption('#acc-provider', 'lever');
  assert.ok(await page.isVisible('#acc-fields input[data-field="credentials.api_key"]'));
  await page.selectOption('#acc-provider', 'hubspot');
  assert.ok(await page.isVisible('#acc-connect'));
  await page.fill('#acc-id', 'hubspot-browser');
  await page.fill('#acc-base-url', oauth.origin);
  // Connect: the Worker's consent URL → the authorization server → the Worker's callback → back here.
  await Promise.all([page.waitForURL(`${worker.origin}/`, { timeout: 20_000 }), page.click('#acc-connect')]);
  await page.waitForSelector('#boot[data-ready="true"]', { timeout: 20_000 });
  await page.waitForFunction(() => document.querySelector('#acc-status').textContent === 'Connected hubspot-browser.');
  await page.waitForSelector('#acc-rows tr[data-account="hubspot-browser"] [data-status="active"]', { timeout: 10_000 });
  assert.equal(oauth.state.tokenRequests, 1);
  const listPath = '/unified/crm/engagements?integrated_account_id=hubspot-browser&engagement_type=call';
  assert.equal((await api(listPath)).status, 200);
  // The provider revokes everything: the renewal is refused, the account needs reauth.
  oauth.revokeAccessTokens();
  oauth.state.refreshToken = 'nobody-has-this';
  const refused = await api(listPath);
  assert.equal(refused.status, 401);
  assert.equal(refused.json.code, 'reauth_required');
  await page.click('#load-accounts');
  await page.waitForSelector('#acc-rows tr[data-account="hubspot-browser"] [data-status="needs_reauth"]', { timeout: 10_000 });
  assert.match(await page.textContent('#acc-rows tr[data-account="hubspot-browser"]'), /invalid_grant/);
  await page.locator('#accounts').screenshot({ path: join(ARTIFACTS, 'admin-accounts-needs-reauth.png') });
  await Promise.all([page.waitForURL(`${worker.origin}/`, { timeout: 20_000 }), page.click('#acc-rows [data-reconnect="hubspot-browser"]')]);
  await page.waitForSelector('#boot[data-ready="true"]', { timeout: 20_000 });
  await page.waitForSelector('#acc-rows tr[data-account="hubspot-browser"] [data-status="active"]', { timeout: 10_000 });
  assert.equal((await api(listPath)).status, 200);
  await page.click('#acc-rows [data-delete="hubspot-browser"]');
  await page.waitForFunction(() => !document.querySelector('#acc-rows tr[data-account="hubspot-browser"]'));
  assert.equal((await api('/integrated-accounts/hubspot-browser')).status, 404);
});

test('no script errors on the page', () => {
  assert.deepEqual(pageErrors, []);
});
