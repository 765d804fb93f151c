//! Ceipal ATS — API v2 at `https://api.ceipal.com/v2/` (trailing slash on every
//! endpoint, camelCase parameters, proper 4xx codes: Ceipal's v1→v2 migration page,
//! https://developer.ceipal.com/ceipal-ats-v2/v1-to-v2-migration).
//!
//! Auth: not OAuth. The account's `email`, `password` and `api_key` are exchanged at
//! `POST /v2/createAuthtoken/` (JSON `{email, password, apiKey}`) for an
//! `access_token` (and a `refresh_token`), sent as `Authorization: Bearer …`. The
//! lifetime is not documented anywhere read (clients assume 30 minutes to 24 hours),
//! so a token is renewed by exchanging the credentials again when Ceipal answers
//! 401 — one exchange and one resend, as for OAuth providers.
//!
//! **No unified operation yet.** Interviews list and get (seed 002) are not mapped:
//! no Ceipal page or recorded answer shows the interview endpoints' parameters or
//! fields (developer.ceipal.com's reference pages are not in any corpus reachable
//! here; one public client calls `/v2/getInterviews/` and reads every field with
//! guesses). Until a live answer is recorded, Ceipal accounts work through the
//! passthrough (`client.passthrough`, `POST /passthrough`) with the token handled
//! for them. Sources: tests/fixtures/ceipal/README.md.

use crate::codec::http::HttpRequest;
use crate::error::Result;
use crate::provider::account::Account;
use crate::provider::auth::{Grant, OAuthDef};
use crate::provider::ProviderDef;

/// The credentials exchange: `apiKey` is camelCase on v2 ("verified against the live
/// createAuthtoken API" in one client; a v1 token is refused by v2 endpoints in another).
const OAUTH: OAuthDef = OAuthDef {
    token_url: "https://api.ceipal.com/v2/createAuthtoken/",
    hosts: &["api.ceipal.com"],
    grants: &[Grant::CredentialsExchange],
    exchange: &[("email", "email"), ("password", "password"), ("apiKey", "api_key")],
    notes: "not OAuth: email, password and API key exchanged for a bearer token at /v2/createAuthtoken/; renewed by exchanging again on a 401 (lifetime undocumented)",
    ..OAuthDef::DEFAULTS
};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "ceipal",
    label: "Ceipal ATS (auth and passthrough; interviews not yet mapped)",
    docs: "https://developer.ceipal.com/ceipal-ats-v2",
    hosts: &["api.ceipal.com"],
    origin: |_| Ok("https://api.ceipal.com".into()),
    auth,
    idempotency_header: None,
    oauth: Some(&OAUTH),
    ops: &[],
};

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    Ok(req.secret_header("authorization", format!("Bearer {}", account.credential("access_token")?)))
}

#[cfg(test)]
mod tests;
