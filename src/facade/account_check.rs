//! Account checks that need the provider registry (so they sit above it): what
//! `POST /integrated-accounts` and `createClient` check before storing or using
//! an account.

use serde_json::Value;

use crate::error::{Error, Issue, IssueCode};
use crate::provider::account::Account;

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
    for (key, object) in [("id", false), ("provider", false), ("base_url", false), ("auth_base_url", false), ("credentials", true), ("context", true), ("oauth_app", true)] {
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
        // An OAuth account that will get its access token first (a refresh token or
        // client credentials, no token yet) is checked by its token request instead.
        let token_first = acc.credential_opt("access_token").is_none() && provider.oauth.is_some_and(|o| crate::engine::token::uses_tokens(o, &acc));
        if token_first {
            errors.push(provider.oauth.and_then(|o| crate::engine::token::refresh_request(provider, o, &acc).err()));
        } else {
            errors.push(acc.origin("https://x.invalid").and_then(|o| (provider.auth)(&acc, crate::codec::http::HttpRequest::new(crate::codec::http::Method::Get, o.as_str().to_string()))).err());
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        // A refresh token with the app that renews it: valid before its first token.
        assert_eq!(fields(json!({"provider": "hubspot", "credentials": {"refresh_token": "r"}, "oauth_app": {"client_id": "c", "client_secret": "s"}})), Vec::<String>::new());
        assert_eq!(fields(json!({"provider": "hubspot", "credentials": {"refresh_token": "r"}})), ["oauth_app.client_id:required"]);
        assert_eq!(fields(json!("x")), [":invalid_type"]);
        // A credential value never comes back in a message.
        let text = serde_json::to_string(&problems(&json!({"provider": "lever", "credentials": {"api_key": "s3cret-value\n"}})).iter().map(Issue::to_json).collect::<Vec<_>>()).unwrap();
        assert!(!text.contains("s3cret"), "{text}");
    }
}
