//! How a provider's accounts get and renew tokens, as data: the OAuth 2 grants a
//! provider offers, its endpoints, how the client authenticates, and what a token
//! response adds to the account. The engine's token module builds the requests
//! and reads the answers from this; `providers()` publishes it (no secret is
//! ever part of it). Sources: each provider's `tests/fixtures/<name>/README.md`.

/// An OAuth 2 grant a provider's token endpoint accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// A user consents at `authorize_url`; the code is exchanged for tokens.
    AuthorizationCode,
    /// The account's own client id and secret are exchanged for a token (no user,
    /// no refresh token: a new token is requested when the old one expires).
    ClientCredentials,
    /// A refresh token is exchanged for a new access token.
    RefreshToken,
    /// Not OAuth: the account's own credentials (`OAuthDef::exchange`) are posted as
    /// JSON to the token URL for a token (Ceipal's `createAuthtoken`).
    CredentialsExchange,
}

impl Grant {
    pub fn as_str(self) -> &'static str {
        match self {
            Grant::AuthorizationCode => "authorization_code",
            Grant::ClientCredentials => "client_credentials",
            Grant::RefreshToken => "refresh_token",
            Grant::CredentialsExchange => "credentials_exchange",
        }
    }
}

/// How the OAuth client proves itself to the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `Authorization: Basic base64(client_id:client_secret)`.
    Basic,
    /// `client_id` and `client_secret` as form fields.
    Body,
}

/// A provider's OAuth 2 declaration. URLs and scopes are templates: `{name}` is the
/// account's `context.name` (or the default in `defaults`). A placeholder that
/// opens the string stands for an origin (`https://accounts.zoho.eu`), anywhere
/// else for one path label (`{tenant}`); either way the value is checked, and the
/// URL's host must be one of `hosts` unless the account sets `auth_base_url`.
pub struct OAuthDef {
    pub authorize_url: Option<&'static str>,
    pub token_url: &'static str,
    /// Hosts the authorize and token URLs may resolve to (`*.` = any subdomain).
    pub hosts: &'static [&'static str],
    pub grants: &'static [Grant],
    pub client_auth: ClientAuth,
    /// Whether the authorize step takes a PKCE `code_challenge` (S256).
    pub pkce: bool,
    /// Scopes asked for in the authorize step (and in a client-credentials request).
    pub scopes: &'static [&'static str],
    pub scope_separator: &'static str,
    /// Further authorize parameters (Zoho's `access_type=offline`).
    pub authorize_params: &'static [(&'static str, &'static str)],
    /// For [`Grant::CredentialsExchange`]: the JSON body's fields and the account
    /// credential each comes from (`("apiKey", "api_key")`).
    pub exchange: &'static [(&'static str, &'static str)],
    /// Further token-request form fields from the account context (`(field,
    /// context key)`), sent when the context has them (Greenhouse `sub`).
    pub token_params: &'static [(&'static str, &'static str)],
    /// Token response fields copied to the account context (`instance_url`,
    /// `api_domain`): where the account's API lives is learned at connect time.
    pub response_context: &'static [(&'static str, &'static str)],
    /// Defaults for template placeholders the account context does not set.
    pub defaults: &'static [(&'static str, &'static str)],
    /// What the provider documents about token lifetimes and rotation, for
    /// `providers()` and the coverage notes.
    pub notes: &'static str,
}

impl OAuthDef {
    /// The fields most declarations leave empty; a declaration names what it has and
    /// ends with `..OAuthDef::DEFAULTS`.
    pub const DEFAULTS: OAuthDef = OAuthDef {
        authorize_url: None,
        token_url: "",
        hosts: &[],
        grants: &[],
        client_auth: ClientAuth::Body,
        pkce: false,
        scopes: &[],
        scope_separator: " ",
        authorize_params: &[],
        exchange: &[],
        token_params: &[],
        response_context: &[],
        defaults: &[],
        notes: "",
    };

    pub fn offers(&self, grant: Grant) -> bool {
        self.grants.contains(&grant)
    }
}
