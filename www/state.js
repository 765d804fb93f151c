// Shared page state, constants and DOM helpers of the admin page.

export const $ = (id) => document.getElementById(id);
export const METHODS_WITH_BODY = new Set(['create', 'update']);
export const METHODS_WITH_ID = new Set(['get', 'update', 'delete']);
export const HTTP = { list: 'GET', create: 'POST', get: 'GET', update: 'PATCH', delete: 'DELETE' };

/** The crosswalk module, loaded by app.js (a live binding for every importer). */
export let cw;
export function setCore(module) {
  cw = module;
}
export const S = {
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
export function h(tag, attrs = {}, ...children) {
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

export const pretty = (v) => JSON.stringify(v, null, 2);
export const op = () => ({ model: $('model').value, resource: $('resource').value, method: $('method').value, provider: $('provider').value });
export const methodCov = () => {
  const o = op();
  return S.cov[o.model]?.[o.resource]?.[o.method];
};

export function debounce(fn, ms) {
  let t;
  return (...a) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
}

export function setStatus(el, text, kind) {
  el.textContent = text;
  el.classList.toggle('error', kind === 'error');
  el.classList.toggle('ok', kind === 'ok');
}

export function parseJsonInput(text, fallback) {
  if (text.trim() === '') return { value: fallback };
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { error: `not valid JSON: ${e.message}` };
  }
}
