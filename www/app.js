// The crosswalk admin page. It loads the same wasm core as the Worker
// (./pkg/entry.browser.js, copied here by `cargo xtask build`) and uses it for the
// coverage matrix, validation as you type, and the request preview; "send" goes
// through the Worker's Truto-compatible API. Plain DOM, no framework.

const $ = (id) => document.getElementById(id);
const METHODS_WITH_BODY = new Set(['create', 'update']);
const METHODS_WITH_ID = new Set(['get', 'update', 'delete']);
const HTTP = { list: 'GET', create: 'POST', get: 'GET', update: 'PATCH', delete: 'DELETE' };

let cw; // the crosswalk module
const S = {
  cov: {},
  providers: [],
  labels: {},
  body: {},
  bodyMode: 'form',
  accounts: [],
  account: null,
  idempotencyKey: null,
  lastPlan: null,
};

/** A tiny element builder: h('td', { class: 'x' }, 'text', child). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

const pretty = (v) => JSON.stringify(v, null, 2);
const op = () => ({ model: $('model').value, resource: $('resource').value, method: $('method').value, provider: $('provider').value });
const methodCov = () => {
  const o = op();
  return S.cov[o.model]?.[o.resource]?.[o.method];
};

function debounce(fn, ms) {
  let t;
  return (...a) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
}

function setStatus(el, text, kind) {
  el.textContent = text;
  el.classList.toggle('error', kind === 'error');
  el.classList.toggle('ok', kind === 'ok');
}

function parseJsonInput(text, fallback) {
  if (text.trim() === '') return { value: fallback };
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { error: `not valid JSON: ${e.message}` };
  }
}

// ---------------------------------------------------------------- coverage matrix

function coverageCell(cell) {
  if (cell?.required) return h('td', { class: 'cell-req', title: cell.maps_to ? `required → ${cell.maps_to}` : 'required' }, '●', h('span', { class: 'sr-only' }, ' required'));
  if (cell?.supported) return h('td', { class: 'cell-yes', title: cell.maps_to ? `→ ${cell.maps_to}` : 'supported' }, '✓', h('span', { class: 'sr-only' }, ' supported'));
  return h('td', { class: 'cell-no' }, '—', h('span', { class: 'sr-only' }, ' not supported'));
}

function renderMatrix() {
  const root = $('matrix');
  root.replaceChildren(h('div', { class: 'row' },
    h('button', { type: 'button', id: 'expand-all', onclick: () => root.querySelectorAll('details').forEach((d) => (d.open = true)) }, 'Expand all'),
    h('button', { type: 'button', id: 'collapse-all', onclick: () => root.querySelectorAll('details').forEach((d) => (d.open = false)) }, 'Collapse all')));
  let first = true;
  for (const [model, resources] of Object.entries(S.cov)) {
    for (const [resource, methods] of Object.entries(resources)) {
      for (const [method, m] of Object.entries(methods)) {
        const title = `${model}/${resource} ${method}`;
        const head = h('tr', {}, h('th', { scope: 'col' }, 'Field'), m.providers.map((p) => h('th', { scope: 'col', 'data-provider': p }, S.labels[p] ?? p)));
        const rows = [];
        for (const side of ['request', 'response']) {
          const fields = Object.entries(m[side] ?? {});
          if (!fields.length) continue;
          const label = side === 'request' ? (METHODS_WITH_BODY.has(method) ? 'Request body' : 'Query filters') : 'Response';
          rows.push(h('tr', { class: 'side' }, h('th', { scope: 'colgroup', colspan: m.providers.length + 1 }, label)));
          for (const [field, per] of fields) {
            rows.push(h('tr', {}, h('th', { scope: 'row' }, field), m.providers.map((p) => coverageCell(per[p]))));
          }
        }
        const table = h('table', {}, h('caption', { class: 'sr-only' }, `Coverage of ${title} by provider`), h('thead', {}, head), h('tbody', {}, rows));
        root.append(
          h('details', { class: 'matrix-op', open: first, 'data-op': `${model}/${resource}/${method}` },
            h('summary', {}, `${title} `, h('span', { class: 'muted' }, `(${m.providers.length} provider${m.providers.length === 1 ? '' : 's'})`)),
            h('div', { class: 'table-wrap', role: 'region', tabindex: 0, 'aria-label': `${title} coverage table` }, table)),
        );
        first = false;
      }
    }
  }
}

// ---------------------------------------------------------------- operation pickers

function fillSelect(select, values, labelOf = (v) => v) {
  const keep = select.value;
  select.replaceChildren(...values.map((v) => h('option', { value: v }, labelOf(v))));
  if (values.includes(keep)) select.value = keep;
}

function refreshPickers(changed) {
  S.idempotencyKey = null; // a different operation or account is a different request
  fillSelect($('model'), Object.keys(S.cov));
  fillSelect($('resource'), Object.keys(S.cov[$('model').value] ?? {}));
  fillSelect($('method'), Object.keys(S.cov[$('model').value]?.[$('resource').value] ?? {}));
  const providers = methodCov()?.providers ?? [];
  fillSelect($('provider'), providers, (p) => S.labels[p] ?? p);
  if (S.account && changed !== 'provider' && providers.includes(S.account.provider)) $('provider').value = S.account.provider;
  const { method } = op();
  $('id-field').hidden = !METHODS_WITH_ID.has(method);
  $('body-fieldset').hidden = !METHODS_WITH_BODY.has(method);
  if (changed !== 'provider' && changed !== 'account') S.body = {};
  renderBodyEditor();
  const filters = Object.entries(methodCov()?.request ?? {})
    .filter(([, per]) => per[op().provider]?.supported)
    .map(([f]) => f);
  $('query-hint').textContent = METHODS_WITH_BODY.has(method)
    ? 'e.g. {"remote_query": {"perform_as": "user-id"}}'
    : `Filters ${S.labels[op().provider] ?? op().provider} supports: ${filters.join(', ') || 'none'}; plus limit, next_cursor, truto_* options.`;
  update();
}

// ---------------------------------------------------------------- body editor

function fieldInput(f, id, value, describedBy) {
  const common = { id, 'data-field': f.name, 'aria-describedby': describedBy, spellcheck: 'false' };
  if (f.type === 'enum' || f.type === 'boolean') {
    const options = f.type === 'enum' ? f.enum : ['true', 'false'];
    const sel = h('select', common, h('option', { value: '' }, '(not set)'), options.map((o) => h('option', { value: o }, o)));
    sel.value = value === undefined ? '' : String(value);
    return sel;
  }
  if (f.type === 'object' || f.type === 'object[]' || f.type === 'record') {
    const ta = h('textarea', { ...common, rows: 3, placeholder: f.type === 'object[]' ? '[{ "id": "…" }]' : '{ … }' });
    ta.value = value === undefined ? '' : pretty(value);
    return ta;
  }
  const placeholder = f.type === 'date-time' ? '2026-06-15T10:00:00Z' : f.type === 'integer' || f.type === 'number' ? '0' : '';
  const input = h('input', { ...common, type: 'text', placeholder, inputmode: f.type === 'integer' || f.type === 'number' ? 'decimal' : undefined });
  input.value = value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  return input;
}

/** Reads one form control into the body (empty = not set). */
function readField(el, f) {
  const raw = el.value;
  delete S.body[f.name];
  el.dataset.jsonError = '';
  if (raw.trim() === '') return;
  if (f.type === 'boolean') S.body[f.name] = raw === 'true';
  else if (f.type === 'integer' || f.type === 'number') S.body[f.name] = /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
  else if (f.type === 'object' || f.type === 'object[]' || f.type === 'record') {
    const parsed = parseJsonInput(raw);
    if (parsed.error) el.dataset.jsonError = parsed.error;
    else S.body[f.name] = parsed.value;
  } else S.body[f.name] = raw;
}

function renderBodyEditor() {
  const { model, resource, method, provider } = op();
  const form = $('body-form');
  form.replaceChildren();
  if (!METHODS_WITH_BODY.has(method)) return;
  const schema = cw.schema(model, resource);
  const cells = methodCov()?.request ?? {};
  const supported = [];
  const unsupported = [];
  for (const f of schema?.body ?? []) {
    const cell = cells[f.name]?.[provider];
    const id = `f-${f.name}`;
    const errId = `err-${f.name}`;
    const label = h('label', { for: id },
      f.name,
      h('span', { class: 'meta' }, f.type === 'enum' ? 'one of the listed values' : f.type),
      cell?.required ? h('span', { class: 'badge req' }, 'required') : null,
      cell && !cell.supported ? h('span', { class: 'badge unsupported' }, `${S.labels[provider] ?? provider} does not support this`) : null);
    const input = fieldInput(f, id, S.body[f.name], `doc-${f.name} ${errId}`);
    input.addEventListener('input', () => {
      readField(input, f);
      S.idempotencyKey = null;
      syncJsonFromBody();
      updateSoon();
    });
    const block = h('div', { class: 'form-field', 'data-field-row': f.name },
      label, input,
      h('p', { class: 'hint', id: `doc-${f.name}` }, f.doc + (cell?.maps_to ? ` → ${cell.maps_to}` : '')),
      h('p', { class: 'field-error', id: errId }));
    (cell?.supported || !cell ? supported : unsupported).push(block);
  }
  form.append(...supported);
  if (unsupported.length) {
    form.append(h('details', {}, h('summary', {}, `${unsupported.length} field(s) ${S.labels[provider] ?? provider} does not support`), unsupported));
  }
  syncJsonFromBody();
}

function syncJsonFromBody() {
  if (S.bodyMode === 'form') $('body-json-text').value = pretty(S.body);
}

function syncFormFromBody() {
  for (const el of $('body-form').querySelectorAll('[data-field]')) {
    const v = S.body[el.dataset.field];
    if (el.tagName === 'SELECT') el.value = v === undefined ? '' : String(v);
    else if (el.tagName === 'TEXTAREA') el.value = v === undefined ? '' : pretty(v);
    else el.value = v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  }
}

function setBodyMode(mode) {
  S.bodyMode = mode;
  $('body-form').hidden = mode !== 'form';
  $('body-json').hidden = mode !== 'json';
  if (mode === 'json') $('body-json-text').value = pretty(S.body);
  else syncFormFromBody();
  update();
}

// ---------------------------------------------------------------- validation + preview

function readJsonBoxes() {
  const errors = {};
  const query = parseJsonInput($('query-json').value, {});
  const context = parseJsonInput($('context-json').value, {});
  if (query.error) errors.query = query.error;
  else if (typeof query.value !== 'object' || Array.isArray(query.value) || query.value === null) errors.query = 'must be a JSON object';
  if (context.error) errors.context = context.error;
  if (S.bodyMode === 'json' && METHODS_WITH_BODY.has(op().method)) {
    const body = parseJsonInput($('body-json-text').value, {});
    if (body.error) errors.body = body.error;
    else S.body = body.value;
  }
  return { errors, query: errors.query ? {} : query.value, context: errors.context ? {} : context.value };
}

function input() {
  const { model, resource, method } = op();
  const id = METHODS_WITH_ID.has(method) ? $('record-id').value : undefined;
  return { model, resource, method, id: id === '' ? undefined : id, body: METHODS_WITH_BODY.has(method) ? S.body : undefined };
}

function clearErrors() {
  for (const el of document.querySelectorAll('#compose-form .field-error')) el.replaceChildren();
  for (const el of document.querySelectorAll('#compose-form [aria-invalid]')) el.removeAttribute('aria-invalid');
}

function showError(slotId, controlId, messages) {
  const slot = $(slotId);
  if (!slot || !messages.length) return false;
  slot.append(...messages.map((m) => h('div', {}, m)));
  $(controlId)?.setAttribute('aria-invalid', 'true');
  return true;
}

/** Places each issue beside its control; returns the ones with no control. */
function placeIssues(issues) {
  const rest = [];
  const byTarget = new Map();
  const add = (slot, control, text) => {
    const key = `${slot}|${control}`;
    if (!byTarget.has(key)) byTarget.set(key, []);
    byTarget.get(key).push(text);
  };
  for (const issue of issues) {
    const field = issue.field ?? '';
    const [root, top, ...more] = field.split('.');
    const text = `${more.length ? `${more.join('.')}: ` : ''}${issue.message}`;
    if (root === 'body' && top && S.bodyMode === 'form' && $(`f-${top.replace(/\[.*$/, '')}`)) add(`err-${top.replace(/\[.*$/, '')}`, `f-${top.replace(/\[.*$/, '')}`, text);
    else if (root === 'body' && S.bodyMode === 'json') add('err-body-json', 'body-json-text', `${field}: ${issue.message}`);
    else if (root === 'query') add('err-query', 'query-json', `${field}: ${issue.message}`);
    else if (field === 'id') add('err-id', 'record-id', issue.message);
    else if (root === 'account' && top === 'context') add('err-context', 'context-json', `${field}: ${issue.message}`);
    else rest.push(issue);
  }
  for (const [key, texts] of byTarget) {
    const [slot, control] = key.split('|');
    showError(slot, control, texts);
  }
  return rest;
}

function planAccount(context) {
  const { provider } = op();
  const account = { id: S.account?.id ?? 'preview', provider, context };
  // The preview never has real credentials: placeholders stand in for the
  // names the provider needs, and plan() redacts whatever is there.
  account.credentials = Object.fromEntries((S.account?.provider === provider ? S.account.credentials_set : []).map((n) => [n, 'placeholder']));
  return account;
}

function planWithPlaceholders(account, inp, query) {
  for (let i = 0; i < 3; i++) {
    try {
      return { plan: cw.plan({ account, ...inp, query }) };
    } catch (e) {
      const missing = (e.details ?? []).filter((d) => d.code === 'required' && d.field?.startsWith('account.credentials.'));
      if (!missing.length || missing.length !== (e.details ?? []).length) return { error: e };
      for (const d of missing) account.credentials[d.field.slice('account.credentials.'.length)] = 'placeholder';
    }
  }
  return { error: new Error('could not plan the request') };
}

function shellQuote(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

function curlFor(req) {
  const parts = [`curl -X ${req.method} ${shellQuote(req.url)}`];
  for (const [k, v] of Object.entries(req.headers ?? {})) parts.push(`-H ${shellQuote(`${k}: ${v}`)}`);
  if (req.body) parts.push(`--data-raw ${shellQuote(req.body)}`);
  return parts.join(' \\\n  ');
}

/** Truto-style query string: nested objects as a[b]=c, arrays as x[]=1. */
export function toQueryString(obj, prefix = '') {
  const out = [];
  for (const [k, v] of Object.entries(obj ?? {})) {
    const key = prefix ? `${prefix}[${k}]` : k;
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const x of v) out.push(`${encodeURIComponent(`${key}[]`)}=${encodeURIComponent(typeof x === 'object' ? JSON.stringify(x) : x)}`);
    else if (typeof v === 'object') {
      const inner = toQueryString(v, key);
      if (inner) out.push(inner);
    } else out.push(`${encodeURIComponent(key)}=${encodeURIComponent(v)}`);
  }
  return out.join('&');
}

function workerRequest(query) {
  const { model, resource, method } = op();
  const inp = input();
  let path = `/unified/${encodeURIComponent(model)}/${encodeURIComponent(resource)}`;
  if (METHODS_WITH_ID.has(method)) path += `/${encodeURIComponent(inp.id ?? '')}`;
  const qs = toQueryString({ ...query, integrated_account_id: S.account?.id ?? 'ACCOUNT_ID' });
  const base = $('worker-url').value.replace(/\/+$/, '') || location.origin;
  return { method: HTTP[method], url: `${base}${path}?${qs}`, body: METHODS_WITH_BODY.has(method) ? JSON.stringify(inp.body ?? {}) : undefined };
}

function update() {
  if (!cw) return;
  clearErrors();
  const { errors, query, context } = readJsonBoxes();
  if (errors.query) showError('err-query', 'query-json', [errors.query]);
  if (errors.context) showError('err-context', 'context-json', [errors.context]);
  if (errors.body) showError('err-body-json', 'body-json-text', [errors.body]);
  const jsonErrors = [];
  for (const el of $('body-form').querySelectorAll('[data-field]')) {
    if (el.dataset.jsonError) {
      showError(`err-${el.dataset.field}`, el.id, [el.dataset.jsonError]);
      jsonErrors.push(el.dataset.field);
    }
  }
  const { provider } = op();
  const inp = input();
  const validation = cw.validate({ provider, ...inp, query });
  const rest = placeIssues(validation.errors);
  const box = $('validation');
  const problems = validation.errors.length + jsonErrors.length + Object.keys(errors).length;
  box.replaceChildren(...[
    problems === 0
      ? h('p', { class: 'validation-ok' }, `✓ Valid for ${S.labels[provider] ?? provider}`)
      : h('p', { class: 'validation-bad' }, `${problems} problem${problems === 1 ? '' : 's'} for ${S.labels[provider] ?? provider}: `,
          validation.errors.map((e) => e.field).filter(Boolean).join(', ')),
    rest.length ? h('ul', {}, rest.map((e) => h('li', {}, `${e.field ? `${e.field}: ` : ''}${e.message}`))) : null,
    validation.warnings?.length ? h('ul', { class: 'hint' }, validation.warnings.map((w) => h('li', {}, `warning ${w.field}: ${w.message}`))) : null,
  ].filter(Boolean));

  const wreq = workerRequest(query);
  $('http-line').textContent = `${wreq.method} ${wreq.url.replace(/^https?:\/\/[^/]+/, '')}`;
  const workerCurl = [`curl -X ${wreq.method} ${shellQuote(wreq.url)}`, `-H ${shellQuote('authorization: Bearer <API token>')}`];
  if (wreq.body !== undefined) workerCurl.push(`-H 'content-type: application/json'`, `--data-raw ${shellQuote(wreq.body)}`);
  $('worker-curl-out').value = workerCurl.join(' \\\n  ');

  const out = $('preview-out');
  S.lastPlan = null;
  if (problems > 0) {
    out.textContent = 'Fix the problems above to see the provider request.';
    $('curl-out').value = '';
    return;
  }
  const planned = planWithPlaceholders(planAccount(context), inp, query);
  if (planned.error) {
    const e = planned.error;
    const leftover = placeIssues(e.details ?? []);
    out.textContent = `Cannot plan: ${e.message}${leftover.length ? `\n${leftover.map((d) => `${d.field ?? ''} ${d.message}`).join('\n')}` : ''}`;
    $('curl-out').value = '';
    return;
  }
  S.lastPlan = planned.plan;
  const reqs = planned.plan.requests ?? [];
  out.textContent = reqs.length
    ? reqs
        .map((r, i) => {
          let body = r.body;
          try {
            body = body ? pretty(JSON.parse(body)) : '';
          } catch {
            // not JSON: show as is
          }
          const headers = Object.entries(r.headers ?? {}).map(([k, v]) => `${k}: ${v}`).join('\n');
          return `${reqs.length > 1 ? `# request ${i + 1} of ${reqs.length}\n` : ''}${r.method} ${r.url}\n${headers}${body ? `\n\n${body}` : ''}`;
        })
        .join('\n\n')
    : planned.plan.result !== undefined
      ? `No provider request: answered by the core.\n${pretty(planned.plan.result)}`
      : 'No provider request.';
  $('curl-out').value = reqs.map(curlFor).join('\n\n');
}
const updateSoon = debounce(update, 120);

async function copy(text, what) {
  const status = $('copy-status');
  if (!text) return setStatus(status, `Nothing to copy: ${what} is not ready.`, 'error');
  try {
    await navigator.clipboard.writeText(text);
    setStatus(status, `Copied ${what} to the clipboard (secrets are shown as [REDACTED]).`, 'ok');
  } catch {
    const box = what.startsWith('the Worker') ? $('worker-curl-out') : $('curl-out');
    box.closest('details').open = true;
    box.focus();
    box.select();
    setStatus(status, `Clipboard unavailable: the command is selected, press Ctrl+C.`, 'error');
  }
}

// ---------------------------------------------------------------- Worker calls

function settings() {
  return { base: $('worker-url').value.replace(/\/+$/, ''), token: $('api-token').value.trim() };
}

async function workerFetch(path, init = {}) {
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

async function loadAccounts(event) {
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

function pickAccount() {
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

async function send(event) {
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

// ---------------------------------------------------------------- start

async function main() {
  try {
    cw = await import('./pkg/entry.browser.js');
  } catch (e) {
    const boot = $('boot');
    boot.textContent = `Could not load the WebAssembly core (./pkg/): ${e.message}. Run \`cargo xtask build\` to copy the package next to this page.`;
    boot.classList.add('error');
    return;
  }
  S.cov = cw.coverage();
  S.providers = cw.providers();
  S.labels = Object.fromEntries(S.providers.map((p) => [p.name, p.label]));
  renderMatrix();

  const savedUrl = localStorage.getItem('crosswalk.workerUrl');
  $('worker-url').value = savedUrl || (location.protocol.startsWith('http') ? location.origin : '');
  $('api-token').value = sessionStorage.getItem('crosswalk.token') ?? '';

  for (const id of ['model', 'resource', 'method', 'provider']) $(id).addEventListener('change', () => refreshPickers(id));
  for (const id of ['query-json', 'context-json', 'record-id']) $(id).addEventListener('input', () => { S.idempotencyKey = null; updateSoon(); });
  $('body-json-text').addEventListener('input', () => { S.idempotencyKey = null; updateSoon(); });
  for (const r of document.querySelectorAll('input[name="body-mode"]')) r.addEventListener('change', () => setBodyMode(r.value));
  $('connection-form').addEventListener('submit', loadAccounts);
  $('account').addEventListener('change', pickAccount);
  $('compose-form').addEventListener('submit', send);
  $('copy-curl').addEventListener('click', () => copy($('curl-out').value, 'the provider request'));
  $('copy-worker-curl').addEventListener('click', () => copy($('worker-curl-out').value, 'the Worker call'));

  refreshPickers('model');
  $('boot').textContent = `WebAssembly core loaded: ${S.providers.length} providers.`;
  $('boot').dataset.ready = 'true';
  if ($('api-token').value && $('worker-url').value) loadAccounts();
}

main();
