//! Passthrough: one request on the provider's own API (what the unified model does
//! not cover), sent on the account's origin with the provider's auth and with the
//! same retries, deadline and redaction as a unified operation. The answer is
//! `{ status, headers, body }` whatever the status: a provider 4xx is an answer,
//! not an error. Refused before anything is sent: a path that is not a plain path
//! on that API (absolute URLs, other hosts, dot segments, also percent-encoded,
//! characters a URL parser would reinterpret), header lines a caller may not set
//! (auth, cookies, hop-by-hop), and any name the account's auth itself sets.

use serde_json::{Map, Value};

use crate::codec::http::{encode_query, is_dot_segment, HttpRequest, HttpResponse, Method};
use crate::codec::input::{deny_unknown, object, opt_u64};
use crate::engine::retry::RetryPolicy;
use crate::error::{Error, Issue, IssueCode, Result};
use crate::provider::account::Account;
use crate::provider::{Ctx, Exchange, Next, OpDef};
use crate::unified::schema::UnifiedMethod;

/// The operation row a passthrough runs under (no table: nothing is mapped).
pub(crate) static PASSTHROUGH_OP: OpDef = OpDef {
    model: "passthrough",
    resource: "request",
    method: UnifiedMethod::Get,
    fields: &[],
    returns: &[],
    start: |_| Err(Error::Misuse { reason: "a passthrough is started with its request".into() }),
    check: None,
    notes: "the provider's own API through the account's origin and auth",
};

/// Header names a caller may not set: credentials and what belongs to the
/// connection, not the request.
const REFUSED_HEADERS: &[&str] = &[
    "authorization", "proxy-authorization", "cookie", "host", "content-length", "transfer-encoding", "connection", "keep-alive", "te", "trailer",
    "upgrade", "proxy-connection", "expect",
];

const MAX_PATH: usize = 2048;

/// What the driver passes to start a passthrough: `{ account, passthrough: {
/// method, path, query?, headers?, body? }, retry?, deadline_ms? }`.
pub struct PassthroughInput {
    pub account: Account,
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
    pub retry: RetryPolicy,
    pub deadline_ms: Option<u64>,
}

impl PassthroughInput {
    /// Reads the input; every problem of the request is reported at once, with
    /// `passthrough.*` paths.
    pub fn from_json(v: &Value) -> Result<PassthroughInput> {
        let m = object(v, "input")?;
        deny_unknown(m, &["account", "passthrough", "retry", "deadline_ms"])?;
        let account = Account::from_json(crate::codec::input::field(m, "account")?)?;
        let p = object(crate::codec::input::field(m, "passthrough")?, "passthrough")?;
        deny_unknown(p, &["method", "path", "query", "headers", "body"])?;
        let mut issues = Vec::new();
        let method = match p.get("method").and_then(Value::as_str).map(str::to_ascii_uppercase).as_deref() {
            Some("GET") => Method::Get,
            Some("POST") => Method::Post,
            Some("PUT") => Method::Put,
            Some("PATCH") => Method::Patch,
            Some("DELETE") => Method::Delete,
            _ => {
                issues.push(Issue::new("passthrough.method", IssueCode::NotOneOf, "must be one of GET, POST, PUT, PATCH, DELETE"));
                Method::Get
            }
        };
        let path = match p.get("path").and_then(Value::as_str) {
            Some(path) => {
                if let Some(why) = path_problem(path) {
                    issues.push(Issue::new("passthrough.path", IssueCode::InvalidFormat, why));
                }
                path.to_string()
            }
            None => {
                issues.push(Issue::new("passthrough.path", IssueCode::Required, "is required: a path on the provider's API, such as /crm/v3/objects/contacts"));
                String::new()
            }
        };
        let query = pairs(p.get("query"), "passthrough.query", &mut issues);
        let headers = pairs(p.get("headers"), "passthrough.headers", &mut issues)
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect::<Vec<_>>();
        for (name, value) in &headers {
            let field = format!("passthrough.headers.{name}");
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                issues.push(Issue::new(field, IssueCode::InvalidFormat, "is not a valid header name"));
            } else if REFUSED_HEADERS.contains(&name.as_str()) {
                issues.push(Issue::new(field, IssueCode::InvalidFormat, "cannot be set through a passthrough (credentials come from the account)"));
            } else if value.contains(['\r', '\n', '\0']) {
                issues.push(Issue::new(field, IssueCode::InvalidFormat, "header values cannot contain line breaks"));
            }
        }
        let body = p.get("body").filter(|b| !b.is_null()).cloned();
        if body.is_some() && method == Method::Get {
            issues.push(Issue::new("passthrough.body", IssueCode::InvalidFormat, "a GET has no body"));
        }
        if !issues.is_empty() {
            return Err(Error::Validation { provider: Some(account.provider.clone()), issues });
        }
        Ok(PassthroughInput {
            account,
            method,
            path,
            query,
            headers,
            body,
            retry: RetryPolicy::from_json(m.get("retry"))?,
            deadline_ms: opt_u64(m, "deadline_ms")?,
        })
    }

    /// The request as it goes out: the caller's path and query on `origin`, the
    /// caller's headers and JSON body, then the account's auth. A caller name in
    /// which the auth puts a credential (a header or a query parameter) is refused.
    pub fn request(&self, origin: &str, auth: impl Fn(HttpRequest) -> Result<HttpRequest>) -> Result<HttpRequest> {
        let mut url = format!("{origin}{}", self.path);
        if !self.query.is_empty() {
            url.push('?');
            url.push_str(&encode_query(&self.query));
        }
        let bare = auth(HttpRequest::new(self.method, url.clone()))?;
        // Names that carry a credential; the auth's other headers (Accept) simply win.
        let taken = |name: &str| bare.sensitive.iter().any(|s| s == name);
        let mut issues: Vec<Issue> = self
            .headers
            .iter()
            .filter(|(k, _)| taken(k))
            .map(|(k, _)| Issue::new(format!("passthrough.headers.{k}"), IssueCode::InvalidFormat, "is set by the account's auth"))
            .collect();
        issues.extend(
            self.query
                .iter()
                .filter(|(k, _)| taken(k))
                .map(|(k, _)| Issue::new(format!("passthrough.query.{k}"), IssueCode::InvalidFormat, "is set by the account's auth")),
        );
        if !issues.is_empty() {
            return Err(Error::Validation { provider: Some(self.account.provider.clone()), issues });
        }
        let mut req = HttpRequest::new(self.method, url);
        for (k, v) in &self.headers {
            req = req.header(k, v.clone());
        }
        if let Some(body) = &self.body {
            req = req.json(body.clone());
        }
        auth(req)
    }
}

/// Why `path` is not a plain path on the provider's API (`None`: it is).
fn path_problem(path: &str) -> Option<&'static str> {
    if !path.starts_with('/') || path.starts_with("//") {
        return Some("must be a path on the provider's API starting with one / (no scheme or host)");
    }
    if path.len() > MAX_PATH {
        return Some("is longer than 2048 characters");
    }
    // RFC 3986 path characters only; anything else must come percent-encoded.
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/%".contains(&b);
    if !path.bytes().all(allowed) {
        return Some("may only hold URL path characters (encode others as %XX); put the query in passthrough.query");
    }
    let bad_escape = !path.split('%').skip(1).all(|rest| rest.as_bytes().get(..2).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)));
    if bad_escape {
        return Some("has a % that is not a %XX escape");
    }
    if path.split('/').any(is_dot_segment) {
        return Some("cannot hold a \".\" or \"..\" segment (also percent-encoded): it would leave the path");
    }
    None
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// `{ "k": "v" | number | bool | [..] }` as pairs; anything else is an issue.
fn pairs(v: Option<&Value>, at: &str, issues: &mut Vec<Issue>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let values = match v {
                    Value::Array(items) if at.ends_with("query") => items.iter().map(scalar).collect::<Option<Vec<_>>>(),
                    other => scalar(other).map(|s| vec![s]),
                };
                match values {
                    Some(values) => out.extend(values.into_iter().map(|s| (k.clone(), s))),
                    None => issues.push(Issue::new(format!("{at}.{k}"), IssueCode::InvalidType, "must be a string, number or boolean")),
                }
            }
        }
        Some(_) => issues.push(Issue::new(at, IssueCode::InvalidType, "must be an object")),
    }
    out
}

/// The one exchange of a passthrough: send the request, answer with what came back.
/// The request is built when it starts, from the account as it is then (after a
/// token renewal, with the new token).
pub(crate) struct Passthrough {
    pub input: Option<PassthroughInput>,
}

impl Passthrough {
    fn answer(resp: &HttpResponse) -> Next {
        // A JSON body comes back as JSON, anything else as text.
        let body = serde_json::from_str::<Value>(&resp.body).unwrap_or_else(|_| if resp.body.is_empty() { Value::Null } else { Value::String(resp.body.clone()) });
        let headers: Map<String, Value> = resp.headers.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        let mut raw = Map::new();
        raw.insert("status".into(), resp.status.into());
        raw.insert("headers".into(), Value::Object(headers));
        raw.insert("body".into(), body);
        Next::Record { record: crate::unified::record::Record::default(), raw: Value::Object(raw).into(), warnings: Vec::new() }
    }
}

impl Exchange for Passthrough {
    fn start(&mut self, ctx: &Ctx) -> Result<Next> {
        let input = self.input.take().ok_or_else(|| Error::Misuse { reason: "started twice".into() })?;
        input.request(ctx.origin.as_str(), |req| (ctx.provider.auth)(ctx.account, req)).map(Next::Send)
    }
    fn on_success(&mut self, _ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        Ok(Self::answer(resp))
    }
    /// A provider error status is the caller's answer too (after the retries).
    fn on_failure(&mut self, _ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        Ok(Self::answer(resp))
    }
}

#[cfg(test)]
mod tests;
