// Calls to the Worker: accounts and send, with the unified and raw results.
import { refreshPickers } from './editor.js';
import { readJsonBoxes, workerRequest } from './preview.js';
import { $, S, h, methodCov, op, pretty, setStatus } from './state.js';
import { renderAccounts } from './accounts.js';

// ---------------------------------------------------------------- Worker calls

export function settings() {
  return { base: $('worker-url').value.replace(/\/+$/, ''), token: $('api-token').value.trim() };
}

export async function workerFetch(path, init = {}) {
  const { base, token } = settings();
  const res = await fetch(base + path, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { res, body };
}

export async function loadAccounts(event) {
  event?.preventDefault();
  const status = $('connection-status');
  const { base, token } = settings();
  sessionStorage.setItem('crosswalk.token', token);
  localStorage.setItem('crosswalk.workerUrl', base);
  if (!base || !token) return setStatus(status, 'Enter the Worker URL and an API token first.', 'error');
  setStatus(status, 'Loading accounts…');
  try {
    const { res, body } = await workerFetch('/integrated-accounts?limit=1000');
    if (!res.ok) return setStatus(status, `${res.status}: ${body?.message ?? res.statusText}`, 'error');
    S.accounts = body.result ?? [];
    renderAccounts();
    const select = $('account');
    select.replaceChildren(h('option', { value: '' }, '— none: preview only —'),
      ...S.accounts.map((a) => h('option', { value: a.id }, `${a.id} (${S.labels[a.provider] ?? a.provider})`)));
    if (S.accounts.length) {
      select.value = S.accounts[0].id;
      pickAccount();
    }
    setStatus(status, `${S.accounts.length} integrated account${S.accounts.length === 1 ? '' : 's'} loaded.`, 'ok');
  } catch (e) {
    setStatus(status, `Could not reach the Worker at ${base}: ${e.message}`, 'error');
  }
}

export function pickAccount() {
  S.account = S.accounts.find((a) => a.id === $('account').value) ?? null;
  if (S.account) {
    $('context-json').value = pretty(S.account.context ?? {});
    // Jump to an operation the account's provider supports, if the current one is not.
    if (!methodCov()?.providers.includes(S.account.provider)) {
      const first = S.providers.find((p) => p.name === S.account.provider)?.resources[0];
      if (first) {
        $('model').value = first.model;
        refreshPickers('model');
        $('resource').value = first.resource;
        refreshPickers('resource');
        $('method').value = first.methods[0];
      }
    }
  }
  refreshPickers('account');
}

export async function send(event) {
  event.preventDefault();
  const status = $('send-status');
  const { base, token } = settings();
  if (!base || !token) return setStatus(status, 'Set the Worker URL and API token (Worker connection) first.', 'error');
  if (!S.account) return setStatus(status, 'Pick an integrated account (load accounts first).', 'error');
  const { errors, query } = readJsonBoxes();
  if (Object.keys(errors).length) return setStatus(status, 'Fix the JSON problems first.', 'error');
  const { method } = op();
  const req = workerRequest(query);
  const path = req.url.slice(req.url.indexOf('/unified/'));
  const headers = {};
  if (req.body !== undefined) headers['content-type'] = 'application/json';
  if (req.method === 'POST' || req.method === 'PATCH') {
    // One key per composed request: sending the same thing twice replays.
    S.idempotencyKey ??= crypto.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(16).slice(2)}`;
    headers['idempotency-key'] = S.idempotencyKey;
  }
  $('send').disabled = true;
  setStatus(status, `Sending ${req.method} ${path.split('?')[0]}…`);
  try {
    const t0 = performance.now();
    const { res, body } = await workerFetch(path, { method: req.method, headers, body: req.body });
    const ms = Math.round(performance.now() - t0);
    const replayed = res.headers.get('idempotent-replayed') === 'true';
    $('unified-out').textContent = typeof body === 'string' ? body : pretty(body);
    const summary = `${res.status} ${res.statusText || ''}`.trim();
    setStatus(status, res.ok ? `${summary} in ${ms} ms${replayed ? ' (replayed: same Idempotency-Key)' : ''}` : `${summary}: ${body?.message ?? 'error'}`, res.ok ? 'ok' : 'error');
    if (!res.ok) {
      $('raw-note').textContent = body?.remote ? 'The provider answered with an error:' : '';
      $('raw-out').textContent = body?.remote ? pretty(body.remote.body) : '';
      return;
    }
    if (method === 'list' || method === 'get') {
      // Reads are safe to repeat: ask the Worker again for the provider's own answer.
      const rawPath = path + (path.includes('?') ? '&' : '?') + 'truto_response_format=raw';
      const raw = await workerFetch(rawPath, { method: 'GET' });
      $('raw-note').textContent = 'The same call with truto_response_format=raw:';
      $('raw-out').textContent = typeof raw.body === 'string' ? raw.body : pretty(raw.body);
    } else {
      // Writes are sent once; the provider's answer is in remote_data.
      $('raw-note').textContent = 'Writes are sent once: this is the provider response record (remote_data).';
      $('raw-out').textContent = body && typeof body === 'object' && 'remote_data' in body ? pretty(body.remote_data) : '(no remote_data in the result)';
    }
  } catch (e) {
    setStatus(status, `Could not reach the Worker: ${e.message}`, 'error');
  } finally {
    $('send').disabled = false;
  }
}
