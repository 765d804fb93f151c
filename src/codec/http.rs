//! Plain HTTP data at the edges: what the core asks the driver to send, and what the
//! driver hands back. Both serialize 1:1 to the JS driver.

use std::collections::BTreeMap;

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::{Error, Issue, IssueCode, Result};
use super::doc::Doc;

/// Everything but RFC 3986 unreserved characters is escaped in a path segment, so an
/// id like `../x?y#z` stays one segment and cannot change the path or host.
const PATH_SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ').add(b'"').add(b'#').add(b'%').add(b'/').add(b':').add(b';').add(b'<').add(b'=')
    .add(b'>').add(b'?').add(b'@').add(b'[').add(b'\\').add(b']').add(b'^').add(b'`').add(b'{')
    .add(b'|').add(b'}').add(b'&').add(b'+').add(b',').add(b'!').add(b'$').add(b'\'').add(b'(')
    .add(b')').add(b'*');

/// Percent-encodes one path segment.
pub fn segment(value: &str) -> String {
    utf8_percent_encode(value, PATH_SEGMENT).to_string()
}

/// `.` or `..`, also percent-encoded: URL parsers (WHATWG, so `fetch`) treat
/// `%2e%2e` as `..` and collapse the segment, so no encoding makes it a plain id.
pub fn is_dot_segment(value: &str) -> bool {
    // At most two dots, each `.` or `%2e`: longer segments never qualify (and
    // most path segments are rejected here without allocating).
    if value.is_empty() || value.len() > 6 || !value.bytes().all(|b| matches!(b, b'.' | b'%' | b'2' | b'e' | b'E')) {
        return false;
    }
    let v = value.to_ascii_lowercase().replace("%2e", ".");
    v == "." || v == ".."
}

/// Whether the path of `url` has a dot segment a client would collapse.
pub fn has_dot_segment(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.split(['?', '#']).next().unwrap_or("");
    path.split('/').skip(1).any(is_dot_segment)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
    /// Safe to resend after a lost response (RFC 9110 idempotent methods).
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Method::Post | Method::Patch)
    }
}

/// One part of a multipart body. Files never cross into wasm: the JS driver replaces
/// a `Blob`/bytes value with `{ "$file": "<ref>", name, type, size }` and puts the
/// bytes back when it builds the `FormData`.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text { name: String, value: String },
    File { name: String, file: String, filename: Option<String>, content_type: Option<String> },
}

impl Part {
    /// `{ name, value }` or `{ name, file, filename, content_type }`.
    pub fn to_json(&self) -> Value {
        let text = |s: &str| Value::String(s.to_string());
        let opt = |s: &Option<String>| s.as_deref().map_or(Value::Null, text);
        let mut m = Map::new();
        match self {
            Part::Text { name, value } => {
                m.insert("name".into(), text(name));
                m.insert("value".into(), text(value));
            }
            Part::File { name, file, filename, content_type } => {
                m.insert("name".into(), text(name));
                m.insert("file".into(), text(file));
                m.insert("filename".into(), opt(filename));
                m.insert("content_type".into(), opt(content_type));
            }
        }
        Value::Object(m)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Json(Value),
    Form(Vec<(String, String)>),
    Multipart(Vec<Part>),
}

/// A request for the driver to perform. Header names are lowercase.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub body: Option<Body>,
    /// Header names and query parameter names whose values are credentials.
    pub sensitive: Vec<String>,
}

impl HttpRequest {
    pub fn new(method: Method, url: String) -> Self {
        HttpRequest { method, url, headers: BTreeMap::new(), body: None, sensitive: Vec::new() }
    }
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.insert(name.to_ascii_lowercase(), value.into());
        self
    }
    pub fn secret_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.sensitive.push(name.to_ascii_lowercase());
        self.header(name, value)
    }
    pub fn json(mut self, body: Value) -> Self {
        self.headers.insert("content-type".into(), "application/json".into());
        self.body = Some(Body::Json(body));
        self
    }
    pub fn form(mut self, fields: Vec<(String, String)>) -> Self {
        self.headers.insert("content-type".into(), "application/x-www-form-urlencoded".into());
        self.body = Some(Body::Form(fields));
        self
    }
    pub fn multipart(mut self, parts: Vec<Part>) -> Self {
        // No content-type: the driver's FormData sets it with the boundary.
        self.headers.remove("content-type");
        self.body = Some(Body::Multipart(parts));
        self
    }
    pub fn body_json(&self) -> Option<&Value> {
        match &self.body {
            Some(Body::Json(v)) => Some(v),
            _ => None,
        }
    }
    pub fn body_json_mut(&mut self) -> Option<&mut Value> {
        match &mut self.body {
            Some(Body::Json(v)) => Some(v),
            _ => None,
        }
    }

}

impl HttpRequest {
    /// The wire shape the driver performs: `{ method, url, headers, body,
    /// multipart? }` with `body` as text (JSON pre-serialized, so the driver hands it
    /// to fetch byte for byte; forms encoded).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("method".into(), Value::String(self.method.as_str().into()));
        m.insert("url".into(), Value::String(self.url.clone()));
        let headers = self.headers.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        m.insert("headers".into(), Value::Object(headers));
        let body = match &self.body {
            None => Value::Null,
            Some(Body::Json(v)) => Value::String(super::json_out::to_text(v)),
            Some(Body::Form(fields)) => Value::String(
                form_urlencoded::Serializer::new(String::new()).extend_pairs(fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))).finish(),
            ),
            Some(Body::Multipart(parts)) => {
                m.insert("multipart".into(), Value::Array(parts.iter().map(Part::to_json).collect()));
                Value::Null
            }
        };
        m.insert("body".into(), body);
        Value::Object(m)
    }
}

/// Kept for callers that use `serde_json::to_value(&request)`; the shape is
/// [`HttpRequest::to_json`]. Prefer `to_json` in new code: this instantiates
/// `Value`'s serializer.
impl Serialize for HttpRequest {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// What the driver got back. `body` is the raw text; the core parses it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl HttpResponse {
    /// Headers from the driver's JSON object of strings; anything else is no
    /// headers (as before: a malformed header object was ignored as a whole).
    pub fn headers_from_json(text: &str) -> BTreeMap<String, String> {
        let Ok(Value::Object(m)) = serde_json::from_str::<Value>(text) else { return BTreeMap::new() };
        let mut out = BTreeMap::new();
        for (k, v) in m {
            match v {
                Value::String(s) => {
                    out.insert(k, s);
                }
                _ => return BTreeMap::new(),
            }
        }
        out
    }
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        HttpResponse { status, headers: BTreeMap::new(), body: body.into() }
    }
    /// A body's bytes as the driver read them, decoded as `TextDecoder` would
    /// (UTF-8, a leading byte-order mark dropped, invalid bytes as U+FFFD): the
    /// driver hands bytes, not a JS string, so a page is copied into wasm once
    /// instead of decoded and re-encoded.
    pub fn text_of(body: &[u8]) -> String {
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        // Valid UTF-8 (nearly every answer) is checked word by word; the lossy
        // decoder, byte by byte, measured ~3 ms on a 6.6 MB page in wasm.
        match std::str::from_utf8(body) {
            Ok(text) => text.to_owned(),
            Err(_) => String::from_utf8_lossy(body).into_owned(),
        }
    }
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(name.to_ascii_lowercase(), value.to_string());
        self
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
    /// The body read in place ([`Doc`]); an empty body is `null`.
    pub fn doc(&self, provider: &str) -> Result<Doc<'_>> {
        Doc::parse_or_why(self.json_text()).map_err(|e| self.not_json(provider, e))
    }
    /// The body as JSON; an empty body is `null`.
    pub fn json(&self, provider: &str) -> Result<Value> {
        serde_json::from_str(self.json_text()).map_err(|e| self.not_json(provider, e))
    }
    /// The body as JSON text, an empty one as `null`.
    fn json_text(&self) -> &str {
        if self.body.trim().is_empty() {
            "null"
        } else {
            &self.body
        }
    }
    fn not_json(&self, provider: &str, why: impl std::fmt::Display) -> Error {
        Error::protocol(provider, format!("the body is not JSON ({why}) with HTTP {}", self.status))
    }
}

/// Scheme, host and port, validated. Provider hosts come from code; an account's
/// `base_url` override goes through [`Origin::parse`] so it can only name an origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(String);

impl Origin {
    pub fn parse(raw: &str, field: &str) -> Result<Origin> {
        let bad = |why: &str| {
            Error::one_issue(None, Issue::new(field, IssueCode::InvalidFormat, format!("must be an http(s) origin such as https://api.example.com: {why}")))
        };
        let raw = raw.trim_end_matches('/');
        let (scheme, rest) = raw.split_once("://").ok_or_else(|| bad("no scheme"))?;
        if scheme != "http" && scheme != "https" {
            return Err(bad("scheme must be http or https"));
        }
        if rest.is_empty() || rest.contains(['/', '?', '#', '@', '\\']) || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("only scheme, host and port are allowed"));
        }
        let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(|| bad("unclosed IPv6 bracket"))?;
            if !h.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') {
                return Err(bad("bad IPv6 address"));
            }
            let port = if after.is_empty() { None } else { Some(after.strip_prefix(':').ok_or_else(|| bad("bad port"))?) };
            (h, port)
        } else {
            match rest.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (rest, None),
            }
        };
        // A colon belongs only inside an IPv6 bracket: `evil.com:80:443` is not a host.
        let v6 = rest.starts_with('[');
        if host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || (v6 && c == ':')) {
            return Err(bad("bad host"));
        }
        if let Some(p) = port {
            if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) || p.parse::<u32>().map_or(true, |n| n == 0 || n > 65535) {
                return Err(bad("bad port"));
            }
        }
        Ok(Origin(format!("{scheme}://{rest}").to_ascii_lowercase()))
    }
    /// For origins written in provider code (already known good).
    pub fn fixed(origin: &str) -> Origin {
        Origin(origin.to_string())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The host without scheme and port, for allow-lists.
    pub fn host(&self) -> &str {
        let rest = self.0.split_once("://").map_or(self.0.as_str(), |(_, r)| r);
        if let Some(v6) = rest.strip_prefix('[') {
            return v6.split(']').next().unwrap_or("");
        }
        rest.split(':').next().unwrap_or(rest)
    }
}

/// Whether `host` (lowercase, as [`Origin::host`] gives it) is `pattern` or, for
/// `*.suffix`, one or more whole labels followed by `.suffix` — the rule the
/// Worker's allow-list applies to `providers()[].hosts`. A trailing dot, an empty
/// label or a label with other characters never matches.
pub fn host_matches(host: &str, pattern: &str) -> bool {
    let label = |l: &str| !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    match pattern.strip_prefix("*.") {
        Some(suffix) => host.strip_suffix(suffix).and_then(|h| h.strip_suffix('.')).is_some_and(|sub| sub.split('.').all(label)),
        None => host == pattern,
    }
}

/// Checks a value that fills one path segment of a sign-in URL (a Microsoft
/// tenant id or domain such as `contoso.onmicrosoft.com`): letters, digits, `.`,
/// `-`, `_`, and never a dot segment.
pub fn host_label_dotted(value: &str, field: &str) -> Result<String> {
    let ok = !value.is_empty() && value.len() <= 253 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b)) && !is_dot_segment(value);
    if ok {
        Ok(value.to_string())
    } else {
        Err(Error::one_issue(None, Issue::new(field, IssueCode::InvalidFormat, "must be a single name (letters, digits, '.', '-', '_')")))
    }
}

/// Checks one DNS label taken from an account (a subdomain, a company slug that
/// becomes part of a host) so that it cannot change which host is called.
pub fn host_label(value: &str, field: &str) -> Result<String> {
    let ok = !value.is_empty()
        && value.len() <= 63
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-');
    if ok {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(Error::one_issue(None, Issue::new(field, IssueCode::InvalidFormat, "must be a single host label (letters, digits, '-')")))
    }
}

/// A URL under construction: origin + encoded path + query pairs.
#[derive(Debug, Clone)]
pub struct UrlBuilder {
    origin: Origin,
    path: String,
    query: Vec<(String, String)>,
}

impl UrlBuilder {
    pub fn new(origin: &Origin) -> Self {
        UrlBuilder { origin: origin.clone(), path: String::new(), query: Vec::new() }
    }
    /// Appends a literal path (written in provider code, e.g. `/v1/opportunities`).
    pub fn path(mut self, literal: &str) -> Self {
        self.path.push_str(literal);
        self
    }
    /// Appends one encoded segment from user input (an id).
    pub fn seg(mut self, value: &str) -> Self {
        self.path.push('/');
        self.path.push_str(&segment(value));
        self
    }
    /// Appends pre-encoded path text (for schemes such as Rest.li keys that encode
    /// themselves).
    pub fn raw_path(mut self, encoded: &str) -> Self {
        self.path.push_str(encoded);
        self
    }
    pub fn query(mut self, key: &str, value: impl Into<String>) -> Self {
        self.query.push((key.to_string(), value.into()));
        self
    }
    pub fn query_opt(self, key: &str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }
    pub fn queries(mut self, pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        self.query.extend(pairs);
        self
    }
    pub fn build(self) -> String {
        let mut url = format!("{}{}", self.origin.as_str(), self.path);
        if !self.query.is_empty() {
            url.push('?');
            url.push_str(&encode_query(&self.query));
        }
        url
    }
}

/// `application/x-www-form-urlencoded` pairs, but with `%20` for spaces so the
/// same string is valid in any provider's query parser.
pub fn encode_query(pairs: &[(String, String)]) -> String {
    const QUERY: &AsciiSet = &CONTROLS
        .add(b' ').add(b'"').add(b'#').add(b'%').add(b'&').add(b'+').add(b'<').add(b'=').add(b'>')
        .add(b'?').add(b'`').add(b'{').add(b'}').add(b'|').add(b'\\').add(b'^').add(b'/').add(b':')
        .add(b';').add(b'@').add(b',').add(b'$').add(b'\'');
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", utf8_percent_encode(k, QUERY), utf8_percent_encode(v, QUERY)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_bytes_decode_like_text_decoder() {
        // A byte-order mark dropped (once), invalid UTF-8 as U+FFFD, the rest as is.
        assert_eq!(HttpResponse::text_of(b"\xEF\xBB\xBF{\"a\":1}"), "{\"a\":1}");
        assert_eq!(HttpResponse::text_of(b"\xEF\xBB\xBF\xEF\xBB\xBFx"), "\u{FEFF}x");
        assert_eq!(HttpResponse::text_of(b"\"caf\xC3\xA9 \xFF\""), "\"caf\u{e9} \u{FFFD}\"");
        assert_eq!(HttpResponse::text_of(b""), "");
    }

    #[test]
    fn segments_cannot_escape_the_path() {
        assert_eq!(segment("../../admin?x=1#f"), "..%2F..%2Fadmin%3Fx%3D1%23f");
        assert_eq!(segment("a\r\nb"), "a%0D%0Ab");
        assert_eq!(segment("é"), "%C3%A9");
    }

    #[test]
    fn origin_accepts_only_scheme_host_port() {
        assert_eq!(Origin::parse("http://127.0.0.1:9999/", "base_url").unwrap().as_str(), "http://127.0.0.1:9999");
        assert_eq!(Origin::parse("https://[::1]:8080", "base_url").unwrap().host(), "::1");
        for bad in ["ftp://x", "http://a/b", "http://user@evil.com", "http://a?x", "http://a:99999", "http://a b", "//x", "http://", "http://evil.com:80:443", "http://[::1]x"] {
            assert!(Origin::parse(bad, "base_url").is_err(), "{bad}");
        }
    }

    #[test]
    fn host_labels_are_single_labels() {
        assert!(host_label("acme-1", "context.subdomain").is_ok());
        for bad in ["evil.com", "a/b", "", "-x", "a@b", "x\r\n"] {
            assert!(host_label(bad, "context.subdomain").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn query_encoding_is_strict() {
        assert_eq!(encode_query(&[("a b".into(), "x&y=z/é".into())]), "a%20b=x%26y%3Dz%2F%C3%A9");
    }
}
