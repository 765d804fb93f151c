// The Accounts panel: the tenant's integrated accounts with their status, adding
// one (the credential fields the provider's auth needs, derived from the core's
// account rules, or a Connect button for providers with an OAuth consent screen),
// reconnecting one that needs it, and deleting.
import { $, S, cw, h, setStatus } from './state.js';
import { loadAccounts, settings, workerFetch } from './worker-client.js';

/** The fields an account of `provider` must have, from the core's rules (`credentials.api_key`, `context.subdomain`…). */
function requiredFields(provider) {
  const { errors } = cw.validateAccount({ provider });
  // `credentials.access_token|api_key`: either will do; the first is offered.
  return errors.filter((e) => e.code === 'required' && /^(credentials|context)\./.test(e.field)).map((e) => e.field.split('|')[0]);
}

const oauthOf = (provider) => S.providers.find((p) => p.name === provider)?.oauth ?? null;

function renderFields() {
  const provider = $('acc-provider').value;
  const box = $('acc-fields');
  const fields = requiredFields(provider);
  box.replaceChildren(
    ...fields.map((field) => {
      const id = `acc-${field.replace(/\W/g, '-')}`;
      const secret = field.startsWith('credentials.');
      return h('div', { class: 'field' }, h('label', { for: id }, field), h('input', { id, 'data-field': field, type: secret ? 'password' : 'text', autocomplete: 'off', spellcheck: 'false' }));
    }),
  );
  const oauth = oauthOf(provider);
  $('acc-connect').hidden = !oauth?.authorize_url;
  $('acc-create').hidden = fields.length === 0 && Boolean(oauth?.authorize_url);
  $('acc-oauth-note').textContent = oauth?.authorize_url
    ? `${S.labels[provider]} offers OAuth: Connect opens its consent screen${fields.length ? ', or give the credentials below' : ''}. ${oauth.notes}`
    : '';
}

export function renderAccounts() {
  const body = $('acc-rows');
  body.replaceChildren(
    ...S.accounts.map((a) => {
      const status = a.status ?? 'active';
      const reconnect = oauthOf(a.provider)?.authorize_url ? h('button', { type: 'button', 'data-reconnect': a.id, onclick: () => connect(a.provider, a.id) }, status === 'needs_reauth' ? 'Reconnect' : 'Connect again') : null;
      return h(
        'tr',
        { 'data-account': a.id },
        h('th', { scope: 'row' }, a.id),
        h('td', {}, S.labels[a.provider] ?? a.provider),
        h('td', { class: status === 'active' ? 'cell-yes' : 'cell-no', 'data-status': status }, status === 'active' ? 'active' : 'needs reauth'),
        h('td', { class: 'last-error' }, a.last_error ?? ''),
        h('td', {}, (a.credentials_set ?? []).join(', ')),
        h('td', {}, reconnect, ' ', h('button', { type: 'button', 'data-delete': a.id, onclick: () => remove(a.id) }, 'Delete')),
      );
    }),
  );
  $('acc-empty').hidden = S.accounts.length > 0;
}

async function create(event) {
  event.preventDefault();
  const status = $('acc-status');
  const provider = $('acc-provider').value;
  const account = { provider, credentials: {}, context: {} };
  const id = $('acc-id').value.trim();
  if (id) account.id = id;
  for (const input of $('acc-fields').querySelectorAll('input[data-field]')) {
    const [section, name] = input.dataset.field.split('.');
    if (input.value !== '') account[section][name] = input.value;
  }
  const base = $('acc-base-url').value.trim();
  if (base) account.base_url = base;
  const { res, body } = await workerFetch('/integrated-accounts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(account) });
  if (!res.ok) return setStatus(status, `${res.status}: ${(body.details ?? []).map((d) => `${d.field} ${d.message}`).join('; ') || body.message}`, 'error');
  setStatus(status, `Added ${body.id}.`, 'ok');
  await loadAccounts();
}

/** Starts the connect flow: the Worker answers the consent URL; the callback comes back to this page. */
async function connect(provider, id) {
  const status = $('acc-status');
  const request = { return_to: location.pathname };
  if (id) request.integrated_account_id = id;
  else if ($('acc-id').value.trim()) request.integrated_account_id = $('acc-id').value.trim();
  const base = $('acc-base-url').value.trim();
  if (base) request.base_url = base;
  setStatus(status, `Opening ${S.labels[provider] ?? provider}…`);
  const { res, body } = await workerFetch(`/connect/${encodeURIComponent(provider)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  if (!res.ok) return setStatus(status, `${res.status}: ${body.message}`, 'error');
  location.assign(body.url);
}

async function remove(id) {
  const { res, body } = await workerFetch(`/integrated-accounts/${encodeURIComponent(id)}`, { method: 'DELETE' });
  setStatus($('acc-status'), res.ok ? `Deleted ${id}.` : `${res.status}: ${body.message}`, res.ok ? 'ok' : 'error');
  await loadAccounts();
}

export function initAccounts() {
  const select = $('acc-provider');
  select.replaceChildren(...S.providers.map((p) => h('option', { value: p.name }, p.label)));
  select.addEventListener('change', renderFields);
  $('acc-form').addEventListener('submit', create);
  $('acc-connect').addEventListener('click', () => connect(select.value));
  renderFields();
  // Back from a provider's consent screen (the Worker's callback redirects here).
  const connected = new URLSearchParams(location.hash.slice(1)).get('connected');
  if (connected) {
    setStatus($('acc-status'), `Connected ${connected}.`, 'ok');
    history.replaceState(null, '', location.pathname);
    if (settings().token) loadAccounts();
  }
}
