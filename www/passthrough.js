// The passthrough card: a request on the selected account's provider API, previewed
// with the core's plan() (credentials redacted) and sent through POST /passthrough.
import { $, S, cw, debounce, parseJsonInput, pretty, setStatus } from './state.js';
import { workerFetch, settings } from './worker-client.js';

/** The passthrough request from the form, or `{ error }`. */
function request() {
  const query = parseJsonInput($('pt-query').value, {});
  if (query.error) return { error: `query: ${query.error}` };
  const body = parseJsonInput($('pt-body').value, null);
  if (body.error) return { error: `body: ${body.error}` };
  const out = { method: $('pt-method').value, path: $('pt-path').value, query: query.value };
  if (body.value !== null) out.body = body.value;
  return { request: out };
}

function preview() {
  const out = $('pt-preview');
  const { request: req, error } = request();
  if (error) return (out.textContent = error);
  const account = { provider: S.account?.provider ?? 'sandbox', context: S.account?.context ?? {} };
  try {
    out.textContent = pretty(cw.plan({ account, passthrough: req }).requests);
  } catch (e) {
    // A refusal: the core's field paths and messages.
    out.textContent = (e.details ?? []).map((d) => `${d.field}: ${d.message}`).join('\n') || e.message;
  }
}

async function send(event) {
  event.preventDefault();
  const status = $('pt-status');
  const { base, token } = settings();
  if (!base || !token) return setStatus(status, 'Set the Worker URL and API token (Worker connection) first.', 'error');
  if (!S.account) return setStatus(status, 'Pick an integrated account (load accounts first).', 'error');
  const { request: req, error } = request();
  if (error) return setStatus(status, error, 'error');
  $('pt-send').disabled = true;
  try {
    const { res, body } = await workerFetch(`/passthrough?integrated_account_id=${encodeURIComponent(S.account.id)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(req),
    });
    $('pt-out').textContent = typeof body === 'string' ? body : pretty(body);
    setStatus(status, res.ok ? `provider answered ${body.status}` : `${res.status}: ${body?.message ?? 'error'}`, res.ok ? 'ok' : 'error');
  } catch (e) {
    setStatus(status, `Could not reach the Worker: ${e.message}`, 'error');
  } finally {
    $('pt-send').disabled = false;
  }
}

export function initPassthrough() {
  const soon = debounce(preview, 150);
  for (const id of ['pt-method', 'pt-path', 'pt-query', 'pt-body']) $(id).addEventListener('input', soon);
  $('pt-method').addEventListener('change', soon);
  $('account').addEventListener('change', soon);
  $('pt-form').addEventListener('submit', send);
  preview();
}
