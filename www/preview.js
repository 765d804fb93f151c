// Validation as you type and the request preview (plan(), curl, the Worker call).
import { $, HTTP, METHODS_WITH_BODY, METHODS_WITH_ID, S, cw, debounce, h, op, parseJsonInput, pretty, setStatus } from './state.js';

// ---------------------------------------------------------------- validation + preview

export function readJsonBoxes() {
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

export function input() {
  const { model, resource, method } = op();
  const id = METHODS_WITH_ID.has(method) ? $('record-id').value : undefined;
  return { model, resource, method, id: id === '' ? undefined : id, body: METHODS_WITH_BODY.has(method) ? S.body : undefined };
}

export function clearErrors() {
  for (const el of document.querySelectorAll('#compose-form .field-error')) el.replaceChildren();
  for (const el of document.querySelectorAll('#compose-form [aria-invalid]')) el.removeAttribute('aria-invalid');
}

export function showError(slotId, controlId, messages) {
  const slot = $(slotId);
  if (!slot || !messages.length) return false;
  slot.append(...messages.map((m) => h('div', {}, m)));
  $(controlId)?.setAttribute('aria-invalid', 'true');
  return true;
}

/** Places each issue beside its control; returns the ones with no control. */
export function placeIssues(issues) {
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

export function planAccount(context) {
  const { provider } = op();
  const account = { id: S.account?.id ?? 'preview', provider, context };
  // The preview never has real credentials: placeholders stand in for the
  // names the provider needs, and plan() redacts whatever is there.
  // An OAuth account's expiry is a date: a far one previews the unified request itself.
  account.credentials = Object.fromEntries((S.account?.provider === provider ? S.account.credentials_set : []).map((n) => [n, n === 'expires_at' ? '2999-01-01T00:00:00Z' : 'placeholder']));
  return account;
}

export function planWithPlaceholders(account, inp, query) {
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

export function shellQuote(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

export function curlFor(req) {
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

export function workerRequest(query) {
  const { model, resource, method } = op();
  const inp = input();
  let path = `/unified/${encodeURIComponent(model)}/${encodeURIComponent(resource)}`;
  if (METHODS_WITH_ID.has(method)) path += `/${encodeURIComponent(inp.id ?? '')}`;
  const qs = toQueryString({ ...query, integrated_account_id: S.account?.id ?? 'ACCOUNT_ID' });
  const base = $('worker-url').value.replace(/\/+$/, '') || location.origin;
  return { method: HTTP[method], url: `${base}${path}?${qs}`, body: METHODS_WITH_BODY.has(method) ? JSON.stringify(inp.body ?? {}) : undefined };
}

export function update() {
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
export const updateSoon = debounce(update, 120);

export async function copy(text, what) {
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
