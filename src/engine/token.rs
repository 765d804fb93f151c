//! Tokens as steps. From a provider's [`OAuthDef`] this module decides whether an
//! account's access token must be renewed before a request (expired, or expiring
//! within [`REFRESH_MARGIN_MS`] of the driver's `now`), builds the token request
//! (refresh, client credentials, or an authorization code from the connect flow),
//! reads the answer into new credentials, and builds the authorize URL.
//! [`TokenOperation`] drives one token request as a [`Machine`]; the unified
//! [`Operation`](super::operation::Operation) runs one inside itself when its
//! account needs it.
//!
//! Rules (each has a test): a token response without `refresh_token` keeps the old
//! one; `invalid_grant` is [`Error::ReauthRequired`]; an account with no way to
//! renew its token is `ReauthRequired` before anything is sent; nothing from a
//! token request or answer reaches an error or a plan unredacted.

use serde_json::{Map, Value};

use crate::codec::datetime::{epoch_ms, iso_from_epoch_ms, parse_datetime};
use crate::codec::http::{encode_query, host_matches, HttpRequest, HttpResponse, Method, Origin};
use crate::codec::input::{field, object, opt_string};
use crate::codec::json::obj;
use crate::codec::redact::Redactor;
use crate::engine::retry::RetryPolicy;
use crate::engine::step::{Machine, Step};
use crate::error::{Error, Issue, IssueCode, Result};
use crate::provider::account::{basic, Account};
use crate::provider::auth::{ClientAuth, Grant, OAuthDef};
use crate::provider::ProviderDef;

/// A token that expires within this margin of `now` is renewed before use: a
/// request planned now may be sent and retried for a while.
pub const REFRESH_MARGIN_MS: u64 = 5 * 60 * 1000;

/// Longest lifetime believed from a token response (ten years); a larger
/// `expires_in` is read as "does not say".
const MAX_LIFETIME_SECS: u64 = 10 * 365 * 24 * 3600;

/// The `error` values that mean the grant itself is dead. `invalid_code` is what
/// Zoho answers for a revoked refresh token (client code; Zoho's pages do not say).
const DEAD_GRANT: &[&str] = &["invalid_grant", "invalid_code"];

/// What an account needs before its next request.
#[derive(Debug)]
pub enum Need {
    /// Its credentials can be used as they are.
    Nothing,
    /// This token request first.
    Token(HttpRequest),
}

/// Whether `account` authenticates with OAuth tokens (not a static key), so that a
/// 401 or an expiry is handled by renewing them.
pub fn uses_tokens(oauth: &OAuthDef, account: &Account) -> bool {
    let static_key = account.credential_opt("api_key").is_some();
    account.credential_opt("access_token").is_some() || account.credential_opt("refresh_token").is_some() || (!static_key && client_credentials(oauth, account).is_some()) || exchange_fields(oauth, account).is_some()
}

/// What `account` needs before a request at `now_ms`: nothing, or a token request;
/// [`Error::ReauthRequired`] when its token is expired and nothing can renew it.
pub fn need(provider: &ProviderDef, account: &Account, now_ms: u64) -> Result<Need> {
    let Some(oauth) = provider.oauth.filter(|o| uses_tokens(o, account)) else { return Ok(Need::Nothing) };
    let has_token = account.credential_opt("access_token").is_some();
    let expiring = match account.credential_opt("expires_at") {
        None => false,
        Some(text) => {
            let at = parse_datetime(text).map(epoch_ms).ok_or_else(|| {
                Error::one_issue(Some(provider.name), Issue::new("account.credentials.expires_at", IssueCode::InvalidFormat, "must be an ISO 8601 date-time such as 2026-01-01T00:00:00Z"))
            })?;
            u64::try_from(at).unwrap_or(0) <= now_ms.saturating_add(REFRESH_MARGIN_MS)
        }
    };
    if has_token && !expiring {
        return Ok(Need::Nothing);
    }
    match refresh_request(provider, oauth, account)? {
        Some(req) => Ok(Need::Token(req)),
        None => Err(Error::ReauthRequired {
            provider: provider.name.into(),
            reason: if has_token { "the access token has expired and the account has no refresh token" } else { "the account has no access token and no way to get one" }.into(),
        }),
    }
}

/// The request that renews `account`'s access token, if it has a way: its refresh
/// token, else the client-credentials grant. `None`: it has none.
pub fn refresh_request(provider: &ProviderDef, oauth: &OAuthDef, account: &Account) -> Result<Option<HttpRequest>> {
    if let (Some(refresh), true) = (account.credential_opt("refresh_token"), oauth.offers(Grant::RefreshToken)) {
        let fields = vec![("grant_type".into(), Grant::RefreshToken.as_str().into()), ("refresh_token".into(), refresh.to_string())];
        return token_request(provider, oauth, account, fields).map(Some);
    }
    if let Some((id, secret)) = client_credentials(oauth, account) {
        // No scope: the declared ones are the consent screen's; a client-credentials
        // token gets what its credential was granted (Greenhouse, LinkedIn, Salesforce).
        let fields = vec![("grant_type".to_string(), Grant::ClientCredentials.as_str().to_string())];
        return token_request_with(provider, oauth, account, fields, id, Some(secret)).map(Some);
    }
    if let Some(fields) = exchange_fields(oauth, account) {
        let url = endpoint(provider, oauth, account, oauth.token_url)?;
        return Ok(Some(HttpRequest::new(Method::Post, url).header("accept", "application/json").json(Value::Object(fields))));
    }
    Ok(None)
}

/// The JSON body of a credentials exchange, when the provider has one and the
/// account holds every credential it needs.
fn exchange_fields(oauth: &OAuthDef, account: &Account) -> Option<Map<String, Value>> {
    if !oauth.offers(Grant::CredentialsExchange) || oauth.exchange.is_empty() {
        return None;
    }
    oauth.exchange.iter().map(|(field, credential)| Some(((*field).to_string(), Value::String(account.credential_opt(credential)?.to_string())))).collect()
}

/// The request that exchanges an authorization code (the connect flow's callback).
pub fn code_request(provider: &ProviderDef, account: &Account, code: &str, redirect_uri: &str, code_verifier: Option<&str>) -> Result<HttpRequest> {
    let oauth = oauth_of(provider, Grant::AuthorizationCode)?;
    let mut fields = vec![
        ("grant_type".to_string(), Grant::AuthorizationCode.as_str().to_string()),
        ("code".to_string(), code.to_string()),
        ("redirect_uri".to_string(), redirect_uri.to_string()),
    ];
    if let Some(v) = code_verifier.filter(|v| !v.is_empty()) {
        fields.push(("code_verifier".into(), v.to_string()));
    }
    token_request(provider, oauth, account, fields)
}

/// The URL a user is sent to to connect an account (authorization code grant),
/// with `state` and, when the provider takes PKCE, the S256 `code_challenge`.
pub fn authorize_url(provider: &ProviderDef, account: &Account, redirect_uri: &str, state: &str, code_challenge: Option<&str>) -> Result<String> {
    let oauth = oauth_of(provider, Grant::AuthorizationCode)?;
    let template = oauth.authorize_url.ok_or_else(|| unsupported(provider, "connect"))?;
    let url = endpoint(provider, oauth, account, template)?;
    let client_id = account.oauth_client("client_id").ok_or_else(|| no_client(provider, "client_id"))?;
    let mut q: Vec<(String, String)> = vec![("response_type".into(), "code".into()), ("client_id".into(), client_id.into()), ("redirect_uri".into(), redirect_uri.into()), ("state".into(), state.into())];
    if !oauth.scopes.is_empty() {
        q.push(("scope".into(), scopes(provider, oauth, account)?));
    }
    if let (true, Some(challenge)) = (oauth.pkce, code_challenge) {
        q.push(("code_challenge".into(), challenge.into()));
        q.push(("code_challenge_method".into(), "S256".into()));
    }
    q.extend(oauth.authorize_params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Ok(format!("{url}?{}", encode_query(&q)))
}

fn oauth_of(provider: &ProviderDef, grant: Grant) -> Result<&'static OAuthDef> {
    provider.oauth.filter(|o| o.offers(grant)).ok_or_else(|| unsupported(provider, grant.as_str()))
}

fn unsupported(provider: &ProviderDef, what: &str) -> Error {
    Error::UnsupportedOperation { provider: provider.name.into(), model: "oauth".into(), resource: "token".into(), method: what.into() }
}

fn no_client(provider: &ProviderDef, name: &str) -> Error {
    Error::one_issue(Some(provider.name), Issue::new(format!("account.oauth_app.{name}"), IssueCode::Required, format!("{} OAuth needs the app's {name} (oauthApps in the client, or the account's oauth_app)", provider.name)))
}

/// The client id and secret for the client-credentials grant, when the provider
/// offers it and the account has both **in its own credentials**: a shared app
/// (`oauth_app`, `oauthApps`) must never mint a token for some other account's
/// organization.
fn client_credentials<'a>(oauth: &OAuthDef, account: &'a Account) -> Option<(&'a str, &'a str)> {
    if !oauth.offers(Grant::ClientCredentials) {
        return None;
    }
    Some((account.credential_opt("client_id")?, account.credential_opt("client_secret")?))
}

/// A POST to the token endpoint with the OAuth app's authentication and `fields`.
fn token_request(provider: &ProviderDef, oauth: &OAuthDef, account: &Account, fields: Vec<(String, String)>) -> Result<HttpRequest> {
    let id = account.oauth_client("client_id").ok_or_else(|| no_client(provider, "client_id"))?;
    token_request_with(provider, oauth, account, fields, id, account.oauth_client("client_secret"))
}

/// A POST to the token endpoint authenticated as client `id`.
fn token_request_with(provider: &ProviderDef, oauth: &OAuthDef, account: &Account, mut fields: Vec<(String, String)>, id: &str, secret: Option<&str>) -> Result<HttpRequest> {
    let url = endpoint(provider, oauth, account, oauth.token_url)?;
    for (name, key) in oauth.token_params {
        if let Some(v) = account.context_opt(key) {
            fields.push(((*name).to_string(), v));
        }
    }
    let mut req = HttpRequest::new(Method::Post, url).header("accept", "application/json");
    match oauth.client_auth {
        ClientAuth::Basic => {
            let secret = secret.ok_or_else(|| no_client(provider, "client_secret"))?;
            req = req.secret_header("authorization", basic(id, secret));
        }
        ClientAuth::Body => {
            fields.push(("client_id".into(), id.into()));
            if let Some(secret) = secret {
                fields.push(("client_secret".into(), secret.into()));
            }
        }
    }
    Ok(req.form(fields))
}

/// Fills a template's placeholders from the account (see [`OAuthDef`]).
fn fill(provider: &ProviderDef, oauth: &OAuthDef, account: &Account, template: &str) -> Result<String> {
    let mut out = String::with_capacity(template.len().saturating_add(32));
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let (before, after) = rest.split_at(open);
        out.push_str(before);
        let close = after.find('}').ok_or_else(|| Error::protocol(provider.name, "unclosed placeholder in the OAuth declaration"))?;
        let name = after.get(1..close).unwrap_or_default();
        let value = account.context_opt(name).or_else(|| oauth.defaults.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()));
        let field = format!("account.context.{name}");
        let value = value.ok_or_else(|| Error::one_issue(Some(provider.name), Issue::new(&field, IssueCode::Required, format!("{} OAuth needs {field}", provider.name))))?;
        if out.is_empty() && before.is_empty() {
            out.push_str(Origin::parse(&value, &field)?.as_str());
        } else {
            out.push_str(&crate::codec::http::host_label_dotted(&value, &field)?);
        }
        rest = after.get(close.saturating_add(1)..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}

/// A filled endpoint template, on a host of the declaration, or moved to the
/// account's `auth_base_url`.
fn endpoint(provider: &ProviderDef, oauth: &OAuthDef, account: &Account, template: &str) -> Result<String> {
    let url = fill(provider, oauth, account, template)?;
    let (origin, path) = split_origin(&url).ok_or_else(|| Error::protocol(provider.name, "the OAuth declaration has no origin"))?;
    if let Some(base) = account.auth_base_url.as_deref().filter(|b| !b.is_empty()) {
        return Ok(format!("{}{path}", Origin::parse(base, "account.auth_base_url")?.as_str()));
    }
    let origin = Origin::parse(origin, "account.context")?;
    if !oauth.hosts.iter().any(|h| host_matches(origin.host(), h)) {
        return Err(Error::one_issue(Some(provider.name), Issue::new("account.context", IssueCode::InvalidFormat, format!("{} is not a {} sign-in host", origin.host(), provider.name))));
    }
    Ok(url)
}

fn split_origin(url: &str) -> Option<(&str, &str)> {
    let after_scheme = url.find("://")?.checked_add(3)?;
    let path_at = url.get(after_scheme..)?.find('/').map_or(url.len(), |i| i.saturating_add(after_scheme));
    Some((url.get(..path_at)?, url.get(path_at..)?))
}

/// The scopes asked for: the app's own (`oauth_app.scopes`, a string or a list)
/// when it sets them, else the declaration's.
fn scopes(provider: &ProviderDef, oauth: &OAuthDef, account: &Account) -> Result<String> {
    match account.oauth_app.get("scopes") {
        Some(Value::String(s)) => return Ok(s.clone()),
        Some(Value::Array(items)) => return Ok(items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(oauth.scope_separator)),
        _ => {}
    }
    let filled = oauth.scopes.iter().map(|s| fill(provider, oauth, account, s)).collect::<Result<Vec<_>>>()?;
    Ok(filled.join(oauth.scope_separator))
}

/// New credentials and context values from a token response.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenUpdate {
    pub credentials: Map<String, Value>,
    pub context: Map<String, Value>,
}

impl TokenUpdate {
    /// Applies the update: the new access token, a new refresh token only when one
    /// came (most providers send none on refresh, and the old one stays valid),
    /// and an expiry that is dropped when the answer states none.
    pub fn apply(&self, account: &mut Account) {
        account.credentials.remove("expires_at");
        for (k, v) in &self.credentials {
            account.credentials.insert(k.clone(), v.clone());
        }
        for (k, v) in &self.context {
            account.context.insert(k.clone(), v.clone());
        }
    }
}

/// Whether a token request authenticates with the account's own credentials
/// (client credentials, a credentials exchange) rather than a shared OAuth app: a
/// refused client is then the account's problem (reconnect), not configuration.
pub fn uses_own_credentials(req: &HttpRequest) -> bool {
    match &req.body {
        Some(crate::codec::http::Body::Form(fields)) => fields.iter().any(|(k, v)| k == "grant_type" && v == Grant::ClientCredentials.as_str()),
        Some(crate::codec::http::Body::Json(_)) => true,
        _ => false,
    }
}

/// Reads a token endpoint's answer. A dead grant (and, when the account's own
/// credentials were sent, a refused client) is [`Error::ReauthRequired`]; any
/// other failure — an `invalid_client` of the shared app is a configuration
/// error — is the endpoint's [`Error::Remote`] with only its `error` and
/// `error_description` (never the body, which may echo what was sent).
#[cfg(test)]
pub fn read_response(provider: &ProviderDef, resp: &HttpResponse, now_ms: u64) -> Result<TokenUpdate> {
    read_response_for(provider, resp, now_ms, false)
}

pub fn read_response_for(provider: &ProviderDef, resp: &HttpResponse, now_ms: u64, own_credentials: bool) -> Result<TokenUpdate> {
    let oauth = provider.oauth.ok_or_else(|| unsupported(provider, "token"))?;
    let body: Value = serde_json::from_str(&resp.body).unwrap_or(Value::Null);
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    // Zoho answers a refused grant with HTTP 200 and an `error`.
    if let Some(code) = text("error").filter(|_| body.get("access_token").is_none()) {
        let description = text("error_description").unwrap_or_default();
        if DEAD_GRANT.contains(&code.as_str()) || (own_credentials && (resp.status == 401 || code == "invalid_client")) {
            return Err(Error::ReauthRequired { provider: provider.name.into(), reason: format!("the token endpoint refused the grant ({code}{}{description})", if description.is_empty() { "" } else { ": " }) });
        }
        let message = if description.is_empty() { code.clone() } else { format!("{code}: {description}") };
        return Err(Error::Remote { provider: provider.name.into(), status: if resp.is_success() { 502 } else { resp.status }, message: Some(message), body: obj(vec![("error", Value::String(code))]) });
    }
    if !resp.is_success() {
        if own_credentials && resp.status == 401 {
            return Err(Error::ReauthRequired { provider: provider.name.into(), reason: "the token endpoint refused the account's credentials (HTTP 401)".into() });
        }
        return Err(Error::Remote { provider: provider.name.into(), status: resp.status, message: Some("the token endpoint refused the request".into()), body: Value::Null });
    }
    let access = text("access_token").filter(|t| !t.is_empty()).ok_or_else(|| Error::protocol(provider.name, "the token response has no access_token"))?;
    let mut update = TokenUpdate::default();
    update.credentials.insert("access_token".into(), Value::String(access));
    if let Some(refresh) = text("refresh_token").filter(|t| !t.is_empty()) {
        update.credentials.insert("refresh_token".into(), Value::String(refresh));
    }
    if let Some(at) = expiry(&body, now_ms) {
        update.credentials.insert("expires_at".into(), Value::String(at));
    }
    for (from, to) in oauth.response_context {
        if let Some(v) = text(from).filter(|v| !v.is_empty()) {
            update.context.insert((*to).into(), Value::String(v));
        }
    }
    Ok(update)
}

/// When the new token expires: `expires_in` seconds (a number or a numeric string,
/// LinkedIn sends `"1800"`), `expires_at` (a date-time), or `expires` (either).
fn expiry(body: &Value, now_ms: u64) -> Option<String> {
    let secs = |v: &Value| match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    let after = |s: u64| iso_from_epoch_ms(i64::try_from(now_ms.saturating_add(s.saturating_mul(1000))).ok()?);
    if let Some(s) = body.get("expires_in").and_then(secs).filter(|&s| s <= MAX_LIFETIME_SECS) {
        return after(s);
    }
    // Greenhouse's token endpoint answers `expires_at` (ISO 8601) in every client read.
    if let Some(at) = body.get("expires_at").and_then(Value::as_str).and_then(parse_datetime) {
        return iso_from_epoch_ms(epoch_ms(at));
    }
    let expires = body.get("expires")?;
    if let Some(s) = secs(expires).filter(|&s| s <= MAX_LIFETIME_SECS) {
        return after(s);
    }
    expires.as_str().and_then(parse_datetime).and_then(|dt| iso_from_epoch_ms(epoch_ms(dt)))
}

/// `{ account_id, credentials, context }`: what a driver persists after a token
/// request (whole maps, so they can replace the stored ones).
pub fn credentials_json(account: &Account) -> Value {
    obj(vec![("account_id", Value::String(account.id.clone())), ("credentials", Value::Object(account.credentials.clone())), ("context", Value::Object(account.context.clone()))])
}

/// Credentials a driver obtained elsewhere (another operation's refresh, the
/// account's token authority): `{ credentials, context? }`, applied as an update.
pub fn supplied_update(v: &Value) -> Result<TokenUpdate> {
    let m = object(v, "credentials")?;
    let credentials = object(field(m, "credentials")?, "credentials.credentials")?.clone();
    if credentials.get("access_token").and_then(Value::as_str).map_or(true, str::is_empty) {
        return Err(Error::one_issue(None, Issue::new("credentials.access_token", IssueCode::Required, "supplied credentials need an access_token")));
    }
    let context = m.get("context").and_then(Value::as_object).cloned().unwrap_or_default();
    let _ = opt_string(m, "account_id")?;
    Ok(TokenUpdate { credentials, context })
}

/// Applies credentials a driver supplied (see [`supplied_update`]) to a machine's
/// account, and teaches its redactor the new secrets.
pub fn take_supplied(account: &mut Account, redactor: &mut Redactor, credentials: &Value) -> Result<()> {
    let update = supplied_update(credentials)?;
    update.apply(account);
    for v in update.credentials.values().filter_map(Value::as_str) {
        redactor.add(v.to_string());
    }
    Ok(())
}

/// One step of the token request a machine is waiting on (`None`: it is not —
/// a misuse by the driver).
pub fn pending_step(token: Option<&mut TokenOperation>, step: impl FnOnce(&mut TokenOperation) -> Result<Step>) -> Result<Step> {
    token.map_or_else(|| Err(Error::Misuse { reason: "no token request in flight".into() }), step)
}

/// What a [`TokenOperation`] is asked to do.
pub enum TokenGrant {
    /// Renew the account's token (refresh token or client credentials).
    Refresh,
    /// Exchange an authorization code from the connect flow.
    Code { code: String, redirect_uri: String, code_verifier: Option<String> },
}

/// One token request as a machine: `Send` (retried like a read on 429/5xx/no
/// answer), then `Done({ account_id, credentials, context })`.
pub struct TokenOperation {
    provider: &'static ProviderDef,
    account: Account,
    redactor: Redactor,
    retry: RetryPolicy,
    request: HttpRequest,
    attempts: u32,
    waiting: bool,
    done: bool,
}

impl TokenOperation {
    /// The token request for `grant`, or `Done` at once when a refresh is not
    /// needed (`force` false and the token is still fresh).
    pub fn start(account: Account, grant: TokenGrant, force: bool, retry: RetryPolicy, now_ms: u64) -> Result<(TokenOperation, Step)> {
        let redactor = account.redactor();
        Self::start_inner(account, grant, force, retry, now_ms).map_err(|e| crate::engine::operation::redact_error(e, &redactor))
    }

    fn start_inner(account: Account, grant: TokenGrant, force: bool, retry: RetryPolicy, now_ms: u64) -> Result<(TokenOperation, Step)> {
        account.check()?;
        let provider = crate::providers::find(&account.provider).ok_or_else(|| Error::UnknownProvider { provider: account.provider.clone() })?;
        let request = match grant {
            TokenGrant::Code { code, redirect_uri, code_verifier } => code_request(provider, &account, &code, &redirect_uri, code_verifier.as_deref())?,
            TokenGrant::Refresh => {
                let oauth = provider.oauth.ok_or_else(|| unsupported(provider, "refresh"))?;
                let needed = match need(provider, &account, now_ms)? {
                    Need::Token(req) => Some(req),
                    Need::Nothing if force => refresh_request(provider, oauth, &account)?,
                    Need::Nothing => None,
                };
                match needed {
                    Some(req) => req,
                    None if !force => {
                        let op = TokenOperation { provider, redactor: account.redactor(), account, retry, request: HttpRequest::new(Method::Post, String::new()), attempts: 0, waiting: false, done: true };
                        let done = credentials_json(&op.account);
                        return Ok((op, Step::Done(done)));
                    }
                    None => return Err(Error::ReauthRequired { provider: provider.name.into(), reason: "the account has no refresh token and no client credentials".into() }),
                }
            }
        };
        let redactor = account.redactor();
        Ok(Self::for_request(provider, account, redactor, retry, request))
    }

    /// A machine for a token request already built (an operation renewing its
    /// account's token), and its first step.
    pub fn for_request(provider: &'static ProviderDef, account: Account, mut redactor: Redactor, retry: RetryPolicy, request: HttpRequest) -> (TokenOperation, Step) {
        redactor.learn(&request);
        let op = TokenOperation { provider, account, redactor, retry, request: request.clone(), attempts: 1, waiting: false, done: false };
        (op, Step::Send(request))
    }

    /// The account as it is now (after a successful answer, with its new tokens).
    pub fn account(&self) -> &Account {
        &self.account
    }

    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    fn redacted(&self, e: Error) -> Error {
        crate::engine::operation::redact_error(e, &self.redactor)
    }
}

impl Machine for TokenOperation {
    fn handle_response(&mut self, resp: HttpResponse, now_ms: u64) -> Result<Step> {
        if self.done || self.waiting {
            return Err(Error::Misuse { reason: "handle_response called with no token request in flight".into() });
        }
        // A token endpoint does its work only on success: a resend is safe.
        if let Some(until_ms) = self.retry.retry_at(resp.status, true, self.attempts, resp.header("retry-after"), now_ms).filter(|_| !resp.is_success()) {
            self.waiting = true;
            return Ok(Step::Wait { until_ms, reason: format!("the {} token endpoint answered HTTP {}; retrying", self.provider.name, resp.status) });
        }
        self.done = true;
        let update = read_response_for(self.provider, &resp, now_ms, uses_own_credentials(&self.request)).map_err(|e| self.redacted(e))?;
        update.apply(&mut self.account);
        for v in update.credentials.values().filter_map(Value::as_str) {
            self.redactor.add(v.to_string());
        }
        Ok(Step::Done(credentials_json(&self.account)))
    }

    fn handle_transport_error(&mut self, reason: &str, now_ms: u64) -> Result<Step> {
        if self.done || self.waiting {
            return Err(Error::Misuse { reason: "handle_transport_error called with no token request in flight".into() });
        }
        if let Some(until_ms) = self.retry.retry_at(0, true, self.attempts, None, now_ms) {
            self.waiting = true;
            return Ok(Step::Wait { until_ms, reason: format!("could not reach the {} token endpoint; retrying", self.provider.name) });
        }
        self.done = true;
        Err(self.redacted(Error::Network { provider: self.provider.name.into(), reason: reason.chars().take(300).collect(), attempts: self.attempts }))
    }

    fn resume(&mut self, _now_ms: u64) -> Result<Step> {
        if !self.waiting {
            return Err(Error::Misuse { reason: "resume called while not waiting".into() });
        }
        self.waiting = false;
        self.attempts = self.attempts.saturating_add(1);
        Ok(Step::Send(self.request.clone()))
    }

    fn safe_url(&self, req: &HttpRequest) -> String {
        req.safe_url(&self.redactor)
    }

    fn sending_token_request(&self) -> bool {
        true
    }
}

/// Reads `{ account, grant?: "refresh" | "authorization_code", force?, code?,
/// redirect_uri?, code_verifier?, retry? }`.
pub fn token_input(v: &Value) -> Result<(Account, TokenGrant, bool, RetryPolicy)> {
    use crate::codec::input::*;
    let m = object(v, "input")?;
    deny_unknown(m, &["account", "grant", "force", "code", "redirect_uri", "code_verifier", "retry"])?;
    let account = Account::from_json(field(m, "account")?)?;
    let grant = match opt_string(m, "grant")?.as_deref() {
        None | Some("refresh") | Some("refresh_token") => TokenGrant::Refresh,
        Some("authorization_code") => TokenGrant::Code { code: string(m, "code")?, redirect_uri: string(m, "redirect_uri")?, code_verifier: opt_string(m, "code_verifier")? },
        Some(_) => return Err(Error::one_issue(None, Issue::new("grant", IssueCode::NotOneOf, "must be refresh or authorization_code"))),
    };
    Ok((account, grant, opt_bool(m, "force")?.unwrap_or(false), RetryPolicy::from_json(m.get("retry"))?))
}

#[cfg(test)]
mod tests;
