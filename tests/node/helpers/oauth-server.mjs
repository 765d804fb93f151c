// A loopback OAuth authorization server that behaves like the strict providers:
// every refresh rotates the refresh token and a used one is refused with
// invalid_grant (Pipedrive, Microsoft), access tokens expire, and an
// authorization code is good once. It also plays the provider API: a request
// with a live access token is answered, any other gets 401.
import { startServer } from './server.mjs';

export async function startOAuthServer({ clientId = 'app-id', clientSecret = 'app-secret-7f3a9c', lifetimeS = 1800, api } = {}) {
  const state = { refreshToken: 'refresh-0', live: new Set(), issued: 0, tokenRequests: 0, codes: new Map() };
  const issue = () => {
    state.issued += 1;
    const access = `access-${state.issued}`;
    state.refreshToken = `refresh-${state.issued}`;
    state.live.add(access);
    return { access_token: access, refresh_token: state.refreshToken, expires_in: lifetimeS, token_type: 'bearer' };
  };
  const server = await startServer(async (req) => {
    // The consent screen, consenting at once: back to the app with a code and its state.
    if (req.path.endsWith('/oauth/authorize')) {
      const back = new URL(req.query.redirect_uri);
      const code = `code-${state.codes.size + 1}-${Date.now()}`;
      state.codes.set(code, { redirect_uri: req.query.redirect_uri });
      back.searchParams.set('code', code);
      back.searchParams.set('state', req.query.state);
      return { status: 302, headers: { location: back.href }, body: '' };
    }
    if (req.path.endsWith('/oauth/v3/token') || req.path.endsWith('/token')) {
      state.tokenRequests += 1;
      const form = Object.fromEntries(new URLSearchParams(req.body));
      if (form.client_id !== clientId || form.client_secret !== clientSecret) return { status: 401, body: { error: 'invalid_client' } };
      if (form.grant_type === 'refresh_token') {
        if (form.refresh_token !== state.refreshToken) return { status: 400, body: { error: 'invalid_grant', error_description: 'refresh token was already used' } };
        // A little latency, so concurrent callers really overlap.
        await new Promise((r) => setTimeout(r, 20));
        return { status: 200, body: issue() };
      }
      if (form.grant_type === 'authorization_code') {
        const code = state.codes.get(form.code);
        state.codes.delete(form.code);
        if (!code || code.redirect_uri !== form.redirect_uri) return { status: 400, body: { error: 'invalid_grant' } };
        return { status: 200, body: issue() };
      }
      return { status: 400, body: { error: 'unsupported_grant_type' } };
    }
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!state.live.has(token)) return { status: 401, body: { status: 'error', category: 'EXPIRED_AUTHENTICATION' } };
    return api ? api(req) : { status: 200, body: { results: [] } };
  });
  return {
    ...server,
    state,
    /** A code the server will accept once for `redirect_uri` (what a consent screen hands back). */
    grantCode(redirect_uri) {
      const code = `code-${state.codes.size + 1}-${Date.now()}`;
      state.codes.set(code, { redirect_uri });
      return code;
    },
    /** Expires every access token issued so far (the provider revoked them). */
    revokeAccessTokens() {
      state.live.clear();
    },
  };
}

/** Runs `fn(server)` against a fresh authorization server, closing it after. */
export async function withOAuthServer(options, fn) {
  const server = await startOAuthServer(options);
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}
