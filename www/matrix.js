// The coverage matrix: field × provider support for the chosen operation.
import { $, METHODS_WITH_BODY, S, h } from './state.js';

// ---------------------------------------------------------------- coverage matrix

export function coverageCell(cell) {
  if (cell?.required) return h('td', { class: 'cell-req', title: cell.maps_to ? `required → ${cell.maps_to}` : 'required' }, '●', h('span', { class: 'sr-only' }, ' required'));
  if (cell?.supported) return h('td', { class: 'cell-yes', title: cell.maps_to ? `→ ${cell.maps_to}` : 'supported' }, '✓', h('span', { class: 'sr-only' }, ' supported'));
  return h('td', { class: 'cell-no' }, '—', h('span', { class: 'sr-only' }, ' not supported'));
}

export function renderMatrix() {
  const root = $('matrix');
  root.replaceChildren(h('div', { class: 'row' },
    h('button', { type: 'button', id: 'expand-all', onclick: () => root.querySelectorAll('details').forEach((d) => (d.open = true)) }, 'Expand all'),
    h('button', { type: 'button', id: 'collapse-all', onclick: () => root.querySelectorAll('details').forEach((d) => (d.open = false)) }, 'Collapse all')));
  // Providers with accounts and passthrough but no unified operation yet (their docs say why).
  const without = S.providers.filter((p) => p.resources.length === 0);
  if (without.length) {
    root.append(h('p', { class: 'hint', id: 'no-unified' }, 'No unified operation yet (auth and passthrough only): ',
      without.flatMap((p, i) => [i ? ', ' : '', h('a', { href: p.docs, 'data-provider': p.name }, p.label)])));
  }
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
