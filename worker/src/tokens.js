// One token authority per integrated account: a Durable Object (binding
// ACCOUNT_TOKENS, class AccountTokens) named by tenant and account id owns the
// account's OAuth tokens. KV cannot: it is eventually consistent and takes about
// one write per second per key, and a provider that rotates refresh tokens
// (Pipedrive, Microsoft) refuses the old one once the new one exists, so two
// isolates refreshing from two KV reads kill the account. The object renews
// single-flight (concurrent callers wait for the same renewal), writes the new
// tokens (sealed, credentials.js) to its storage before anyone uses them, and
// answers a caller whose token is already outdated with the stored one — also
// after a restart, since the state is in storage, not memory.
//
// The KV record stays the account's index and static part (provider, context,
// the credentials given at creation): listing needs a prefix scan, which only KV
// offers; its `status` (active / needs_reauth, last error, when) is updated by
// this object when it changes, which is rare.
import { DurableObject } from 'cloudflare:workers';
import { createClient } from 'crosswalk';
import { openCredentials, sealCredentials } from './credentials.js';
import { guardedFetch } from './hosts.js';
import { sha256Hex } from './http.js';

/** A token expiring within this margin is renewed (the core uses the same). */
const MARGIN_MS = 5 * 60 * 1000;

/** The Worker's OAuth apps: the `OAUTH_APPS` secret, JSON `{ provider: { client_id, client_secret, scopes?, auth_base_url? } }`. */
export function oauthAppsOf(env) {
  if (!env.OAUTH_APPS) return {};
  try {
    const apps = typeof env.OAUTH_APPS === 'string' ? JSON.parse(env.OAUTH_APPS) : env.OAUTH_APPS;
    return apps && typeof apps === 'object' ? apps : {};
  } catch {
    return {};
  }
}

export function tokensStub(env, tenant, id) {
  return env.ACCOUNT_TOKENS.get(env.ACCOUNT_TOKENS.idFromName(`${tenant}\n${id}`));
}

const expiringSoon = (credentials) => {
  const at = Date.parse(credentials?.expires_at ?? '');
  return Number.isFinite(at) && at <= Date.now() + MARGIN_MS;
};

export class AccountTokens extends DurableObject {
  /** The renewal in flight in this instance, shared by every caller meanwhile. */
  renewing = null;

  /** `{ credentials, context }` renewed by this object, or null (the KV record's are current). */
  async current({ tenant, id }) {
    const stored = this.ctx.storage.kv.get('tokens');
    if (!stored) return null;
    return { credentials: await openCredentials(this.env, tenant, id, stored.sealed), context: stored.context ?? {} };
  }

  /**
   * Credentials newer than `stale` for `account` (the record as the Worker loaded
   * it): the stored ones when someone renewed already, else one renewal, stored
   * before it is returned. `{ error }` (a crosswalk error body) when it fails; a
   * refused grant marks the account needs_reauth.
   */
  async renew({ tenant, account, stale }) {
    this.renewing ??= this.#renew(tenant, account, stale).finally(() => {
      this.renewing = null;
    });
    return this.renewing;
  }

  async #renew(tenant, account, stale) {
    const mine = await this.current({ tenant, id: account.id });
    const credentials = { ...account.credentials, ...(mine?.credentials ?? {}) };
    const context = { ...account.context, ...(mine?.context ?? {}) };
    if (credentials.access_token && credentials.access_token !== stale?.access_token && !expiringSoon(credentials)) {
      return { credentials, context };
    }
    // The provider already refused this refresh token: do not ask again until the
    // account is connected again (only a hash of the token is kept).
    const refused = this.ctx.storage.kv.get('refused');
    const attempt = await sha256Hex(credentials.refresh_token ?? credentials.client_id ?? '');
    if (refused && refused.hash === attempt) return { error: refused.error };
    const acc = { ...account, credentials, context };
    const client = createClient({ accounts: [acc], oauthApps: oauthAppsOf(this.env), fetch: guardedFetch(this.env, () => acc) });
    let renewed;
    try {
      renewed = await client.oauth.refresh(account.id, { force: true });
    } catch (err) {
      const body = typeof err?.toJSON === 'function' ? err.toJSON() : { statusCode: 502, error: 'Bad Gateway', code: 'token_renewal_failed', message: String(err?.message ?? err), details: [] };
      if (body.code === 'reauth_required') {
        this.ctx.storage.kv.put('refused', { hash: attempt, error: body });
        await this.#status(tenant, account.id, { state: 'needs_reauth', last_error: body.message });
      }
      return { error: body };
    }
    this.ctx.storage.kv.put('tokens', { sealed: await sealCredentials(this.env, tenant, account.id, renewed.credentials), context: renewed.context, renewed_at: new Date().toISOString() });
    this.ctx.storage.kv.put('renewals', (this.ctx.storage.kv.get('renewals') ?? 0) + 1);
    await this.#status(tenant, account.id, { state: 'active' });
    return { credentials: renewed.credentials, context: renewed.context };
  }

  /** Records a status change on the account's KV record (only when it changes). */
  async markStatus({ tenant, id, state, last_error }) {
    return this.#status(tenant, id, { state, last_error });
  }

  async #status(tenant, id, { state, last_error }) {
    const was = this.ctx.storage.kv.get('status');
    if (was?.state === state && state === 'active') return;
    const status = { state, ...(last_error ? { last_error } : {}), at: new Date().toISOString() };
    this.ctx.storage.kv.put('status', status);
    const key = `tenant:${tenant}:account:${id}`;
    const record = await this.env.ACCOUNTS.get(key, 'json');
    if (record) await this.env.ACCOUNTS.put(key, JSON.stringify({ ...record, status }), { metadata: { provider: record.provider } });
  }

  /**
   * Claims a connect flow's one-time nonce (no await: atomic). False when it was
   * used already: a replayed callback cannot overwrite the account's tokens.
   */
  claimNonce(nonce, expires) {
    const kv = this.ctx.storage.kv;
    const now = Date.now();
    const used = Object.fromEntries(Object.entries(kv.get('nonces') ?? {}).filter(([, e]) => e > now));
    if (typeof nonce !== 'string' || used[nonce]) return false;
    used[nonce] = expires;
    kv.put('nonces', used);
    return true;
  }

  /** Forgets the tokens (the account was deleted or connected again). */
  async reset() {
    this.ctx.storage.kv.delete('tokens');
    this.ctx.storage.kv.delete('status');
    this.ctx.storage.kv.delete('refused');
  }

  /** How many renewals this object performed (for tests and the admin page). */
  renewals() {
    return this.ctx.storage.kv.get('renewals') ?? 0;
  }
}
