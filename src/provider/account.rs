//! An integrated account: which provider, its credentials, and its context
//! (company id, subdomain, instance URL, region…). Credentials only ever leave
//! through the auth header a provider builds, and are redacted everywhere else.

use serde_json::{Map, Value};

use crate::error::{Error, Issue, IssueCode, Result};
use crate::codec::http::Origin;
use crate::codec::redact::Redactor;

#[derive(Debug, Clone, Default)]
pub struct Account {
    pub id: String,
    pub provider: String,
    pub credentials: Map<String, Value>,
    pub base_url: Option<String>,
    pub context: Map<String, Value>,
    /// Replaces the origin of the provider's OAuth endpoints (tests, self-hosted
    /// identity servers), with the rules of `base_url`.
    pub auth_base_url: Option<String>,
    /// The OAuth client (`client_id`, `client_secret`) that refreshes this
    /// account's tokens; usually the integrator's app for the provider.
    pub oauth_app: Map<String, Value>,
}

impl Account {
    /// Reads `{ provider, id?, credentials?, base_url?, context?, auth_base_url?, oauth_app? }`.
    pub fn from_json(v: &Value) -> Result<Account> {
        use crate::codec::input::*;
        let m = object(v, "account")?;
        Ok(Account {
            id: opt_string(m, "id")?.unwrap_or_default(),
            provider: string(m, "provider")?,
            credentials: opt_object(m, "credentials")?,
            base_url: opt_string(m, "base_url")?,
            context: opt_object(m, "context")?,
            auth_base_url: opt_string(m, "auth_base_url")?,
            oauth_app: opt_object(m, "oauth_app")?,
        })
    }
    /// A required credential, as a non-empty string.
    pub fn credential(&self, name: &str) -> Result<&str> {
        self.credential_opt(name).ok_or_else(|| missing(&format!("account.credentials.{name}"), &self.provider))
    }
    pub fn credential_opt(&self, name: &str) -> Option<&str> {
        self.credentials.get(name).and_then(Value::as_str).filter(|s| !s.is_empty())
    }
    /// The first present of several credential names (e.g. `access_token` or `api_key`).
    pub fn any_credential(&self, names: &[&str]) -> Result<(&'static str, &str)> {
        for &n in names {
            if let Some(v) = self.credential_opt(n) {
                // Names come from provider code, so they are 'static in practice.
                let n: &'static str = names_static(n);
                return Ok((n, v));
            }
        }
        Err(missing(&format!("account.credentials.{}", names.join("|")), &self.provider))
    }
    /// An OAuth client value (`client_id`, `client_secret`): the account's
    /// `oauth_app` first, then its own credentials (a client-credentials account
    /// holds its client in its credentials).
    pub fn oauth_client(&self, name: &str) -> Option<&str> {
        self.oauth_app.get(name).and_then(Value::as_str).filter(|s| !s.is_empty()).or_else(|| self.credential_opt(name))
    }
    /// A required context value as a string (numbers are accepted and printed).
    pub fn context_str(&self, name: &str) -> Result<String> {
        self.context_opt(name).ok_or_else(|| missing(&format!("account.context.{name}"), &self.provider))
    }
    pub fn context_opt(&self, name: &str) -> Option<String> {
        match self.context.get(name) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
    }
    /// The origin to call: the account's `base_url` override when set, else the
    /// provider's default.
    pub fn origin(&self, default: &str) -> Result<Origin> {
        match self.base_url.as_deref() {
            Some(raw) if !raw.is_empty() => Origin::parse(raw, "account.base_url"),
            _ => Ok(Origin::fixed(default)),
        }
    }
    /// Credentials and context values end up in headers and hosts; a control
    /// character (a line break) in one is never legitimate, so the account is
    /// refused before any request is built, whatever encoding a provider applies.
    pub fn check(&self) -> Result<()> {
        let mut issues = Vec::new();
        for (section, map) in [("credentials", &self.credentials), ("context", &self.context), ("oauth_app", &self.oauth_app)] {
            for (key, value) in map {
                let mut strings = Vec::new();
                collect_strings(value, &mut strings);
                if strings.iter().any(|s| s.chars().any(char::is_control)) {
                    issues.push(Issue::new(format!("account.{section}.{}", key.escape_debug()), IssueCode::InvalidFormat, "cannot contain control characters such as line breaks"));
                }
            }
        }
        if issues.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation { provider: Some(self.provider.clone()), issues })
        }
    }

    /// Every credential string, in every form a provider may echo it, for redaction.
    pub fn redactor(&self) -> Redactor {
        let mut secrets = Vec::new();
        collect_strings(&Value::Object(self.credentials.clone()), &mut secrets);
        // The client id is public by design (it is in every authorize URL).
        if let Some(secret) = self.oauth_app.get("client_secret") {
            collect_strings(secret, &mut secrets);
        }
        Redactor::with_forms(&secrets)
    }
}

fn names_static(n: &str) -> &'static str {
    // Leak-free: map the handful of credential names used by providers.
    const KNOWN: &[&str] = &[
        "api_key", "access_token", "token", "username", "password", "client_id", "client_secret", "user_email", "user_id",
    ];
    KNOWN.iter().copied().find(|k| *k == n).unwrap_or("credential")
}

fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

fn missing(field: &str, provider: &str) -> Error {
    Error::one_issue(Some(provider), Issue::new(field, IssueCode::Required, format!("{provider} accounts need {field}")))
}

/// `Basic base64(user:password)`.
pub fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", crate::codec::b64::encode_standard(format!("{user}:{password}").as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn redactor_knows_basic_form_of_keys() {
        let acc = Account::from_json(&json!({"provider":"ashby","credentials":{"api_key":"abcd1234"}})).unwrap();
        let r = acc.redactor();
        let header = basic("abcd1234", "");
        assert_eq!(r.text(&format!("auth={header}")), "auth=Basic [REDACTED]");
    }

    #[test]
    fn missing_credentials_are_field_errors() {
        let acc = Account::from_json(&json!({"provider":"lever"})).unwrap();
        let err = acc.credential("api_key").unwrap_err().to_json();
        assert_eq!(err["details"][0]["field"], "account.credentials.api_key");
    }
}
