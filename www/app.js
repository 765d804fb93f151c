// The crosswalk admin page. It loads the same wasm core as the Worker
// (./pkg/entry.browser.js, copied here by `cargo xtask build`) and uses it for the
// coverage matrix, validation as you type, and the request preview; "send" goes
// through the Worker's Truto-compatible API. Plain DOM, no framework.
// This module boots the page; the parts live in state, matrix, editor, preview,
// worker-client, accounts and passthrough.
import { refreshPickers, setBodyMode } from './editor.js';
import { renderMatrix } from './matrix.js';
import { copy, updateSoon } from './preview.js';
import { $, S, cw, setCore } from './state.js';
import { loadAccounts, pickAccount, send } from './worker-client.js';
import { initPassthrough } from './passthrough.js';
import { initAccounts } from './accounts.js';

// ---------------------------------------------------------------- start

async function main() {
  try {
    setCore(await import('./pkg/entry.browser.js'));
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
  initPassthrough();
  initAccounts();
  $('boot').textContent = `WebAssembly core loaded: ${S.providers.length} providers.`;
  $('boot').dataset.ready = 'true';
  if ($('api-token').value && $('worker-url').value) loadAccounts();
}

main();
