//! An integrated account: which provider, its credentials, and its context
//! (company id, subdomain, instance URL, region…). Credentials only ever leave
//! through the auth header a provider builds, and are redacted everywhere else.

use serde_json::{Map, Value};

use crate::error::{Error, Issue, IssueCode, Result};
use crate::codec::http::{Origin, Redactor};

#[derive(Debug, Clone, Default)]
pub struct Account {
    pub id: String,
    pub provider: String,
    pub credentials: Map<String, Value>,
    pub base_url: Option<String>,
    pub context: Map<String, Value>,
}

impl Account {
    /// Reads `{ provider, id?, credentials?, base_url?, context? }`.
    pub fn from_json(v: &Value) -> Result<Account> {
        use crate::codec::input::*;
        let m = object(v, "account")?;
        Ok(Account {
            id: opt_string(m, "id")?.unwrap_or_default(),
            provider: string(m, "provider")?,
            credentials: opt_object(m, "credentials")?,
            base_url: opt_string(m, "base_url")?,
            context: opt_object(m, "context")?,
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
        for (section, map) in [("credentials", &self.credentials), ("context", &self.context)] {
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
        Redactor::with_forms(&secrets)
    }
}

/// Every problem that would stop this account at its first use, found before it is
/// stored or handed to a client: the JSON shape, a known provider, [`Account::check`],
/// the provider's origin rule (context hosts such as a subdomain or instance URL),
/// the `base_url` override, and the credentials its auth header needs. Paths are
/// relative to the account (`credentials.api_key`, `context.subdomain`, `base_url`,
/// `provider`); messages never quote a value.
pub fn problems(v: &Value) -> Vec<Issue> {
    let Some(m) = v.as_object() else {
        return vec![Issue::new("", IssueCode::InvalidType, "an account must be an object")];
    };
    let mut issues = Vec::new();
    for (key, object) in [("id", false), ("provider", false), ("base_url", false), ("credentials", true), ("context", true)] {
        // As `Account::from_json` reads them: objects may be absent, strings also null.
        match m.get(key) {
            None | Some(Value::Null) if key == "provider" => issues.push(Issue::new(key, IssueCode::Required, "is required")),
            None => {}
            Some(Value::Null) if !object => {}
            Some(x) if (if object { x.is_object() } else { x.is_string() }) => {}
            Some(_) => issues.push(Issue::new(key, IssueCode::InvalidType, if object { "must be an object" } else { "must be a string" })),
        }
    }
    let Some(acc) = issues.is_empty().then(|| Account::from_json(v).ok()).flatten() else { return issues };
    let Some(provider) = crate::providers::find(&acc.provider) else {
        let names: Vec<Value> = crate::providers::PROVIDERS.iter().map(|p| Value::String(p.name.into())).collect();
        return vec![Issue::new("provider", IssueCode::NotOneOf, "is not a known provider").with_meta(serde_json::json!({ "allowed": names }))];
    };
    let mut errors = vec![acc.check().err()];
    if errors[0].is_none() {
        errors.push((provider.origin)(&acc).and_then(|default| acc.origin(&default)).err());
        errors.push(acc.origin("https://x.invalid").and_then(|o| (provider.auth)(&acc, crate::codec::http::HttpRequest::new(crate::codec::http::Method::Get, o.as_str().to_string()))).err());
    }
    let redactor = acc.redactor();
    for e in errors.into_iter().flatten() {
        let found = match e {
            Error::Validation { issues, .. } => issues,
            other => vec![Issue::new("", IssueCode::InvalidFormat, other.to_json()["message"].as_str().unwrap_or("is not valid").to_string())],
        };
        for mut i in found {
            i.field = i.field.strip_prefix("account.").unwrap_or(&i.field).to_string();
            i.message = redactor.text(&i.message);
            if !issues.iter().any(|x: &Issue| x.field == i.field && x.code == i.code) {
                issues.push(i);
            }
        }
    }
    issues
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
    fn problems_are_found_before_first_use_with_account_relative_paths() {
        let fields = |v: Value| problems(&v).into_iter().map(|i| format!("{}:{}", i.field, i.code.as_str())).collect::<Vec<_>>();
        assert_eq!(fields(json!({"provider": "lever", "credentials": {"api_key": "k"}})), Vec::<String>::new());
        assert_eq!(fields(json!({"provider": "sandbox"})), Vec::<String>::new());
        assert_eq!(fields(json!({"provider": "lever", "credentials": {"api_key": "k\r\nX-Evil: 1"}})), ["credentials.api_key:invalid_format"]);
        assert_eq!(fields(json!({"provider": "lever"})), ["credentials.api_key:required"]);
        assert_eq!(fields(json!({"provider": "pinpoint", "credentials": {"api_key": "k"}, "context": {"subdomain": "evil.com/x"}})), ["context.subdomain:invalid_format"]);
        assert_eq!(fields(json!({"provider": "salesforce", "credentials": {"access_token": "t"}, "context": {"instance_url": "https://xmy.salesforce.com"}})), ["context.instance_url:invalid_format"]);
        assert_eq!(fields(json!({"provider": "lever", "credentials": {"api_key": "k"}, "base_url": "http://a/b"})), ["base_url:invalid_format"]);
        assert_eq!(fields(json!({"provider": "nosuch"})), ["provider:not_one_of"]);
        assert_eq!(fields(json!({"credentials": []})), ["provider:required", "credentials:invalid_type"]);
        assert_eq!(fields(json!("x")), [":invalid_type"]);
        // A credential value never comes back in a message.
        let text = serde_json::to_string(&problems(&json!({"provider": "lever", "credentials": {"api_key": "s3cret-value\n"}})).iter().map(Issue::to_json).collect::<Vec<_>>()).unwrap();
        assert!(!text.contains("s3cret"), "{text}");
    }

    #[test]
    fn missing_credentials_are_field_errors() {
        let acc = Account::from_json(&json!({"provider":"lever"})).unwrap();
        let err = acc.credential("api_key").unwrap_err().to_json();
        assert_eq!(err["details"][0]["field"], "account.credentials.api_key");
    }
}
