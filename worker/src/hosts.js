// Upstream host allowlist: the Worker only ever sends an account's credentials to
// the hosts its provider documents (`providers()[].hosts`, `*.` = any subdomain),
// plus the account's own base_url host when the deployment allows overrides.
// Enforced in the fetch handed to the client, so it covers every request the core
// plans, including hosts built from account context (subdomains, instance URLs).
import { CrosswalkError, providers } from 'crosswalk';
import { HttpError } from './http.js';

let hostsByProvider;
function providerHosts(name) {
  // A provider's API hosts and its sign-in hosts (token requests).
  hostsByProvider ??= new Map(providers().map((p) => [p.name, [...p.hosts, ...(p.oauth?.hosts ?? [])]]));
  return hostsByProvider.get(name) ?? [];
}

const LABELS = /^[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})*$/;

/**
 * `api.lever.co` matches itself; `*.example.com` matches `a.example.com` and
 * `a.b.example.com` (whole labels, never `example.com` or `a..example.com`), like
 * the core's `host_matches`.
 */
export function hostMatches(host, pattern) {
  const h = host.toLowerCase().replace(/\.$/, '');
  const p = pattern.toLowerCase();
  if (p.startsWith('*.')) {
    const suffix = p.slice(1);
    return h.length > suffix.length && h.endsWith(suffix) && LABELS.test(h.slice(0, -suffix.length));
  }
  return h === p;
}

export function baseUrlAllowed(env) {
  return String(env.ALLOW_BASE_URL_OVERRIDE ?? '').toLowerCase() === 'true';
}

/** The origins a request for this account may go to. */
export function allowedTargets(account, env) {
  const hosts = providerHosts(account.provider);
  const origins = [];
  for (const override of [account.base_url, account.auth_base_url]) {
    if (!override || !baseUrlAllowed(env)) continue;
    try {
      origins.push(new URL(override).origin);
    } catch {
      // an unparsable override matches nothing
    }
  }
  return { hosts, origins };
}

/** Whether `url` may be fetched for `account` (https to a provider host, or the allowed base_url origin). */
export function urlAllowed(url, account, env) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  const { hosts, origins } = allowedTargets(account, env);
  if (origins.includes(u.origin)) return true;
  return u.protocol === 'https:' && (u.port === '' || u.port === '443') && hosts.some((p) => hostMatches(u.hostname, p));
}

/**
 * A fetch for createClient that refuses any URL outside the account's allowlist.
 * `getAccount` returns the account the client resolved for this request.
 */
export function guardedFetch(env, getAccount, upstream = (...a) => globalThis.fetch(...a)) {
  return async (url, init) => {
    const account = getAccount();
    if (!account || !urlAllowed(url, account, env)) {
      let host = '';
      try {
        host = new URL(url).host;
      } catch {
        host = '(invalid url)';
      }
      // A CrosswalkError passes through the driver as is (no retry, no transport error).
      throw new CrosswalkError(
        new HttpError(403, 'host_not_allowed', `refusing to send a ${account?.provider ?? 'provider'} request to ${host}: not one of the provider's hosts`, [
          { code: 'host_not_allowed', message: `allowed: ${allowedTargets(account ?? {}, env).hosts.join(', ') || 'none'}`, meta: { host } },
        ]).toJSON(),
      );
    }
    return upstream(url, init);
  };
}
