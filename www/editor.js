// Operation pickers and the body editor (form or JSON), built from the unified schema.
import { input, update, updateSoon } from './preview.js';
import { $, METHODS_WITH_BODY, METHODS_WITH_ID, S, cw, h, methodCov, op, parseJsonInput, pretty } from './state.js';

// ---------------------------------------------------------------- operation pickers

export function fillSelect(select, values, labelOf = (v) => v) {
  const keep = select.value;
  select.replaceChildren(...values.map((v) => h('option', { value: v }, labelOf(v))));
  if (values.includes(keep)) select.value = keep;
}

export function refreshPickers(changed) {
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

export function fieldInput(f, id, value, describedBy) {
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
export function readField(el, f) {
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

export function renderBodyEditor() {
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

export function syncJsonFromBody() {
  if (S.bodyMode === 'form') $('body-json-text').value = pretty(S.body);
}

export function syncFormFromBody() {
  for (const el of $('body-form').querySelectorAll('[data-field]')) {
    const v = S.body[el.dataset.field];
    if (el.tagName === 'SELECT') el.value = v === undefined ? '' : String(v);
    else if (el.tagName === 'TEXTAREA') el.value = v === undefined ? '' : pretty(v);
    else el.value = v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  }
}

export function setBodyMode(mode) {
  S.bodyMode = mode;
  $('body-form').hidden = mode !== 'form';
  $('body-json').hidden = mode !== 'json';
  if (mode === 'json') $('body-json-text').value = pretty(S.body);
  else syncFormFromBody();
  update();
}
