//! Security tests that walk the whole provider registry (every op of every
//! provider, through the seeds of [`crate::tests::corpus`]):
//! - hostile ids and path fields (in the request, and in provider responses a
//!   multi-step operation reads) stay one encoded path segment or one query value,
//!   or are rejected;
//! - hostile account context and `base_url` values cannot move a request off the
//!   provider's hosts;
//! - CR/LF in credentials, context and query values never reach a header;
//! - credentials never appear in plan output, results, `remote_data` or errors,
//!   even when the provider echoes them;
//! - huge and deeply nested inputs fail with clean 413/400 errors.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::error::Error;
use crate::codec::http::{HttpRequest, HttpResponse};
use crate::engine::operation::{Operation, StartInput};
use crate::engine::step::Step;
use crate::providers::PROVIDERS;
use crate::unified::schema::UnifiedMethod;
use crate::tests::corpus::{seeds, Seed};
use crate::tests::support::T0;
use crate::engine::step::Machine;

/// Ids and path values an attacker (or a confused caller) might send.
pub const HOSTILE_IDS: &[&str] = &[
    "", "..", ".", "../../admin", "a/b", "/", "x?y=1&z=2", "x#frag", "%2e%2e", ".%2E", "%2F..%2F", "100%", "a\r\nX-Injected: 1", "a\nb", "a\rb",
    "é漢字🙂", "a b", "a&b=c", "a;b", "a\\b", "@evil.com", "//evil.com", "?", "#", "%00", "a\0b", "a,b(c)", "'\"<>",
];

/// The outcome of driving one input over scripted responses.
pub struct Run {
    pub sent: Vec<HttpRequest>,
    /// `None`: the script ran out while a request was in flight.
    pub out: Option<Result<Value, Error>>,
}

/// Drives an operation, answering sends from `responses` in order (then stopping).
pub fn run(input: StartInput, responses: &[HttpResponse]) -> Run {
    let mut sent = Vec::new();
    let mut now = T0;
    let (mut op, mut step) = match Operation::start(input, now) {
        Ok(x) => x,
        Err(e) => return Run { sent, out: Some(Err(e)) },
    };
    let mut script = responses.iter();
    for _ in 0..200 {
        let next = match step {
            Step::Record(r) => { step = Step::Done(r.into_value()); continue; }
            Step::Page(p) => { step = Step::Done(p.into_value()); continue; }
            Step::Done(v) => return Run { sent, out: Some(Ok(v)) },
            Step::Credentials(_) => op.resume(now),
            Step::Wait { until_ms, .. } => {
                now = now.max(until_ms);
                op.resume(now)
            }
            Step::Send(req) => {
                sent.push(req);
                let Some(resp) = script.next() else { return Run { sent, out: None } };
                now += 1;
                op.handle_response(resp.clone(), now)
            }
        };
        step = match next {
            Ok(s) => s,
            Err(e) => return Run { sent, out: Some(Err(e)) },
        };
    }
    panic!("operation did not finish within 200 steps");
}

/// The seed's recorded responses, or 200s that satisfy the type lookups some
/// providers make before the request that carries the id.
pub fn responses_of(seed: &Seed) -> Vec<HttpResponse> {
    if seed.responses.is_empty() {
        let lookups = json!({
            "sales_activity_types": [{"id": 1, "internal_name": "phone"}, {"id": 2, "internal_name": "appointment"}, {"id": 3, "internal_name": "task"}],
            "activityTypes": [{"id": 1, "name": "Call"}, {"id": 2, "name": "Meeting"}],
            "user": [{"id": 1, "name": "Phone Call", "category": "user"}, {"id": 2, "name": "Meeting", "category": "user"}],
        });
        return vec![HttpResponse::new(200, lookups.to_string()); 3];
    }
    seed.responses
        .iter()
        .map(|(status, headers, body)| headers.iter().fold(HttpResponse::new(*status, body.clone()), |r, (k, v)| r.with_header(k, v)))
        .collect()
}

/// `scheme://authority` of a URL.
pub fn origin_of(url: &str) -> &str {
    let after = url.find("://").map_or(0, |i| i + 3);
    let end = url[after..].find(['/', '?', '#']).map_or(url.len(), |i| after + i);
    &url[..end]
}

/// The host of a URL, if its authority is a plain `host[:port]`.
pub fn host_of(url: &str) -> Option<String> {
    let authority = origin_of(url).split_once("://")?.1;
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => match authority.split_once(':') {
            Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
            Some(_) => return None,
            None => authority,
        },
    };
    let plain = !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b':');
    plain.then(|| host.to_string())
}

/// Whether `host` is one of a provider's declared hosts (`*.x` = any subdomain of x).
pub fn host_allowed(host: &str, patterns: &[&str]) -> bool {
    patterns.iter().any(|p| match p.strip_prefix("*.") {
        Some(suffix) => host.strip_suffix(suffix).and_then(|h| h.strip_suffix('.')).is_some_and(|label| !label.is_empty() && !label.ends_with('.')),
        None => host == *p,
    })
}

/// A `.` or `..` segment, also in the percent-encoded forms URL parsers honour.
pub fn is_dot_segment(seg: &str) -> bool {
    let s = seg.to_ascii_lowercase().replace("%2e", ".");
    s == "." || s == ".."
}

/// Problems with a URL no matter what built it: raw characters that change how
/// it parses, and dot segments a client would collapse.
pub fn url_problems(url: &str) -> Option<String> {
    if let Some(c) = url.chars().find(|c| c.is_control() || *c == ' ' || !c.is_ascii() || *c == '\\' || *c == '#') {
        return Some(format!("raw {c:?} in {url:?}"));
    }
    let path = url.split_once("://").map_or(url, |(_, r)| r).split('?').next().unwrap_or("");
    path.split('/').skip(1).find(|s| is_dot_segment(s)).map(|s| format!("dot segment {s:?} in {url:?}"))
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Characters that delimit parts of a path segment or query, counted raw.
fn structure(s: &str, delimiters: &str) -> BTreeMap<char, usize> {
    let mut m = BTreeMap::new();
    for c in s.chars().filter(|c| delimiters.contains(*c)) {
        *m.entry(c).or_insert(0) += 1;
    }
    m
}

/// `hostile` is `base` with `marker` replaced by `value` inside encoded segments and
/// query values only: same origin, same number of segments and parameters, the
/// same raw delimiters, and no dot segments.
pub fn same_shape(base: &str, hostile: &str, marker: &str, value: &str) -> Result<(), String> {
    if origin_of(base) != origin_of(hostile) {
        return Err(format!("origin changed: {base} → {hostile}"));
    }
    if let Some(p) = url_problems(hostile) {
        return Err(p);
    }
    let split = |u: &str| {
        let rest = &u[origin_of(u).len()..];
        let (p, q) = rest.split_once('?').unwrap_or((rest, ""));
        (p.split('/').map(str::to_string).collect::<Vec<_>>(), q.split('&').filter(|x| !x.is_empty()).map(str::to_string).collect::<Vec<_>>())
    };
    let ((bp, bq), (hp, hq)) = (split(base), split(hostile));
    if bp.len() != hp.len() || bq.len() != hq.len() {
        return Err(format!("path or query shape changed: {base} → {hostile}"));
    }
    // Sub-delimiters such as `(`, `,` and `:` carry meaning inside a path segment
    // (Rest.li keys, OData keys) but not inside a query value.
    let part_ok = |b: &str, h: &str, delimiters: &str| b == h || (embeds(&decode(b), &decode(h), marker, value) && structure(h, delimiters) == structure(b, delimiters));
    for (b, h) in bp.iter().zip(&hp) {
        if !part_ok(b, h, "/?#&=(),:;'+@!$*[]") {
            return Err(format!("segment {b:?} became {h:?} ({base} → {hostile})"));
        }
    }
    for (b, h) in bq.iter().zip(&hq) {
        let (bk, bv) = b.split_once('=').unwrap_or((b, ""));
        let (hk, hv) = h.split_once('=').unwrap_or((h, ""));
        if bk != hk || !part_ok(bv, hv, "&=#+") {
            return Err(format!("query {b:?} became {h:?} ({base} → {hostile})"));
        }
    }
    Ok(())
}

/// `hostile` is `base` with `marker` replaced by `value`. Inside a single-quoted
/// literal (a SOQL query) the value must be backslash-escaped: no raw quote may
/// end the literal early.
fn embeds(base: &str, hostile: &str, marker: &str, value: &str) -> bool {
    let Some((prefix, suffix)) = base.split_once(marker) else { return false };
    let Some(middle) = hostile.strip_prefix(prefix).and_then(|r| r.strip_suffix(suffix)) else { return false };
    if !(prefix.ends_with('\'') && suffix.starts_with('\'')) {
        return middle == value;
    }
    let mut unescaped = String::new();
    let mut chars = middle.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => return false,
            '\\' => unescaped.push(match chars.next() {
                Some('n') => '\n',
                Some('r') => '\r',
                Some('t') => '\t',
                Some(other) => other,
                None => return false,
            }),
            other => unescaped.push(other),
        }
    }
    unescaped == value
}

/// Where an id-like value sits in a seed.
#[derive(Debug, Clone)]
enum Pos {
    Id,
    Body(Vec<Value>),
    Query(String),
    /// In recorded response `n`, read by a later request.
    Response(usize, Vec<Value>),
}

fn is_id_key(k: &str) -> bool {
    k == "id" || k.ends_with("_id") || k.ends_with("Id")
}

/// Paths (keys as strings, indexes as numbers) of id-like scalars in `v`.
fn id_paths(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                path.push(json!(k));
                if is_id_key(k) && (x.is_string() || x.is_number()) {
                    out.push(path.clone());
                }
                id_paths(x, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                path.push(json!(i));
                id_paths(x, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn set_path(v: &mut Value, path: &[Value], to: &str) {
    let mut cur = v;
    for step in path {
        cur = match step {
            Value::String(k) => &mut cur[k.as_str()],
            Value::Number(i) => &mut cur[i.as_u64().unwrap_or(0) as usize],
            _ => return,
        };
    }
    *cur = json!(to);
}

fn positions(seed: &Seed) -> Vec<Pos> {
    let mut out = Vec::new();
    if seed.id.is_some() {
        out.push(Pos::Id);
    }
    let mut paths = Vec::new();
    id_paths(&seed.body, &mut Vec::new(), &mut paths);
    out.extend(paths.into_iter().map(Pos::Body));
    for (k, v) in seed.query.as_object().into_iter().flatten() {
        if is_id_key(k) && v.is_string() {
            out.push(Pos::Query(k.clone()));
        }
    }
    // Responses before the last one feed later requests.
    for (n, (_, _, body)) in seed.responses.iter().enumerate().take(seed.responses.len().saturating_sub(1)) {
        if let Ok(v) = serde_json::from_str::<Value>(body) {
            let mut paths = Vec::new();
            id_paths(&v, &mut Vec::new(), &mut paths);
            out.extend(paths.into_iter().map(|p| Pos::Response(n, p)));
        }
    }
    out
}

fn place(seed: &Seed, pos: &Pos, value: &str) -> (StartInput, Vec<HttpResponse>) {
    let mut s = seed.clone();
    let mut responses = responses_of(seed);
    match pos {
        Pos::Id => s.id = Some(value.to_string()),
        Pos::Body(p) => set_path(&mut s.body, p, value),
        Pos::Query(k) => s.query[k.as_str()] = json!(value),
        Pos::Response(n, p) => {
            let mut v: Value = serde_json::from_str(&responses[*n].body).unwrap_or(Value::Null);
            set_path(&mut v, p, value);
            responses[*n].body = v.to_string();
        }
    }
    (s.start_input(), responses)
}

const MARKERS: &[&str] = &["70707071", "7a1b2c3d-0000-4000-8000-000000070707"];

#[test]
fn hostile_ids_stay_one_encoded_segment_or_are_rejected() {
    let mut failures = Vec::new();
    let (mut placed, mut rejected, mut ops_with_ids) = (0usize, 0usize, BTreeMap::new());
    for seed in seeds() {
        for pos in positions(seed) {
            // A marker the provider accepts, so the base run gets as far as possible.
            let Some((marker, base)) = MARKERS.iter().find_map(|m| {
                let (input, responses) = place(seed, &pos, m);
                let r = run(input, &responses);
                (!r.sent.is_empty()).then_some((*m, r))
            }) else {
                continue;
            };
            let in_url = base.sent.iter().any(|r| r.url.contains(marker));
            if in_url {
                *ops_with_ids.entry(format!("{} {}/{} {}", seed.provider, seed.model, seed.resource, seed.method)).or_insert(0) += 1;
            }
            for h in HOSTILE_IDS {
                let (input, responses) = place(seed, &pos, h);
                let hostile = run(input, &responses);
                if hostile.sent.is_empty() {
                    match &hostile.out {
                        Some(Err(e)) if e.status() == 400 || matches!(pos, Pos::Response(..)) => rejected += 1,
                        other => failures.push(format!("{} {pos:?} {h:?}: nothing sent, no 400 ({:?})", seed.provider, other.as_ref().map(|o| o.as_ref().map_err(Error::to_json)))),
                    }
                    continue;
                }
                for (b, x) in base.sent.iter().zip(&hostile.sent) {
                    if let Err(why) = same_shape(&b.url, &x.url, marker, h) {
                        failures.push(format!("{} {}/{} {} {pos:?} {h:?}: {why}", seed.provider, seed.model, seed.resource, seed.method));
                    }
                    if x.headers.values().any(|v| v.contains(['\r', '\n', '\0'])) {
                        failures.push(format!("{} {pos:?} {h:?}: line break in a header", seed.provider));
                    }
                }
                if in_url && hostile.sent.iter().any(|r| r.url.contains(marker)) {
                    failures.push(format!("{} {pos:?}: marker survived in {:?}", seed.provider, hostile.sent[0].url));
                }
                placed += in_url as usize;
            }
        }
    }
    eprintln!("hostile ids: {placed} placed in URLs, {rejected} rejected, {} ops carry ids in URLs", ops_with_ids.len());
    failures.dedup();
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.iter().take(400).cloned().collect::<Vec<_>>().join("\n"));
    // Every op addressed by a record id put it in its URL and was exercised.
    for p in PROVIDERS {
        for op in p.ops.iter().filter(|o| matches!(o.method, UnifiedMethod::Get | UnifiedMethod::Delete)) {
            let name = format!("{} {}/{} {}", p.name, op.model, op.resource, op.method.as_str());
            assert!(ops_with_ids.contains_key(&name), "{name} was not exercised with hostile ids");
        }
    }
    assert!(ops_with_ids.len() >= 35, "only {} ops carry ids in URLs: {ops_with_ids:?}", ops_with_ids.len());
}

#[test]
fn dot_segment_ids_are_rejected_before_anything_is_sent() {
    // Regression: `..` was percent-encoding-proof (it is unreserved), so
    // `/v1/opportunities/../notes` went out and a client collapsed it to `/v1/notes`.
    for (provider, body) in [("lever", json!({"candidate_id": "..", "body": "x"})), ("recruitee", json!({"candidate_id": ".", "body": "x"}))] {
        let input = crate::tests::support::input(crate::tests::corpus::account(provider), "ats", "activities", "create", None, body, json!({}));
        let r = run(input, &[]);
        assert!(r.sent.is_empty(), "{provider}: {:?}", r.sent[0].url);
        let err = r.out.unwrap().unwrap_err().to_json();
        assert_eq!((err["statusCode"].as_u64(), err["details"][0]["field"].as_str()), (Some(400), Some("url")), "{err}");
    }
    let input = crate::tests::support::input(crate::tests::corpus::account("greenhouse"), "ats", "interviews", "get", Some(".."), Value::Null, json!({}));
    let err = run(input, &[]).out.unwrap().unwrap_err().to_json();
    assert_eq!(err["details"][0]["field"], "id", "{err}");
}

/// Values that try to move a request to another host through account context.
const HOSTILE_HOSTS: &[&str] = &[
    "evil.com", "evil.com/x", "acme.evil.com", "https://evil.com", "//evil.com", "evil.com:8080", "acme/../../evil", "acme\r\nHost: evil.com",
    "http://acme.my.salesforce.com", "https://evil.com/.salesforce.com", "https://evil.com#.salesforce.com", "https://evil.com?.salesforce.com",
    "https://acme.my.salesforce.com@evil.com", "https://evil.com\\.salesforce.com", "https://evil.com%2F.salesforce.com", "https://evil.com:443.salesforce.com",
    "https://evil.com:1@acme.my.salesforce.com", "https://acme.my.salesforce.com.evil.com", "https://evilsalesforce.com", "https://acme.my.salesforce.com.",
    "https://evil.com:80:443", "https://acme.my.salesforce.com:443:evil.com", "https://www.zohoapis.eu.evil.com", "https://www.zohoapis.eu@evil.com",
    "https://acme.pipedrive.com.evil.com", "https://acme.pipedrive.com:x@evil.com", "https://acme.crm.dynamics.com.evil.com", "https://x.dynamics.com@evil.com",
    "https://[::1]", "https://127.0.0.1", "urn:li:organization:1/../../x", "sandbox", "mars", "eu/../../evil", "https://evil.com/crm/sales",
    "evil.com/crm/sales", "https://evil.com.myfreshworks.com.evil.com", " acme", "ACME", "acme.", "-acme", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
];

const CONTEXT_KEYS: &[&str] = &["company_id", "subdomain", "bundle_alias", "user_email", "user_id", "organization_urn", "region", "instance_url", "api_domain", "environment"];

/// One seed per provider op.
fn one_seed_per_op() -> Vec<&'static Seed> {
    let mut seen = std::collections::HashSet::new();
    seeds().iter().filter(|s| seen.insert((s.provider, s.model, s.resource, s.method))).collect()
}

fn provider_hosts(name: &str) -> &'static [&'static str] {
    PROVIDERS.iter().find(|p| p.name == name).map(|p| p.hosts).unwrap_or(&[])
}

#[test]
fn hostile_context_values_cannot_leave_the_provider_hosts() {
    let mut failures = Vec::new();
    let (mut accepted, mut rejected) = (0, 0);
    for seed in one_seed_per_op() {
        for key in CONTEXT_KEYS {
            for value in HOSTILE_HOSTS.iter().map(|v| json!(v)).chain([json!(12345), json!(null), json!(["evil.com"]), json!({"host": "evil.com"})]) {
                let mut s = seed.clone();
                s.account["context"][*key] = value.clone();
                let r = run(s.start_input(), &responses_of(seed));
                if r.sent.is_empty() {
                    rejected += 1;
                    if let Some(Err(e)) = &r.out {
                        if e.status() != 400 {
                            failures.push(format!("{} context.{key}={value}: {}", seed.provider, e.to_json()));
                        }
                    }
                    continue;
                }
                accepted += 1;
                for req in &r.sent {
                    let host = host_of(&req.url);
                    if !host.as_deref().is_some_and(|h| host_allowed(h, provider_hosts(seed.provider))) {
                        failures.push(format!("{} context.{key}={value}: request to {}", seed.provider, req.url));
                    }
                    if let Some(p) = url_problems(&req.url) {
                        failures.push(format!("{} context.{key}={value}: {p}", seed.provider));
                    }
                    if req.headers.values().any(|v| v.contains(['\r', '\n', '\0'])) {
                        failures.push(format!("{} context.{key}={value}: line break in a header", seed.provider));
                    }
                }
            }
        }
    }
    eprintln!("hostile context: {accepted} runs sent requests (all on provider hosts), {rejected} rejected");
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn base_url_names_only_an_origin() {
    let hostile = [
        "https://good.example@evil.com", "https://evil.com/path", "https://evil.com?x=1", "https://evil.com#x", "https://evil.com\\@good.example",
        "javascript:alert(1)", "file:///etc/passwd", "https://evil.com:0", "https://evil.com:99999", "https://evil.com:80:443", "https://evil.com:x", "https:evil.com",
        "https://evil.com\r\nX: 1", " https://evil.com", "https://", "https://[::1", "https://[evil.com]", "ftp://evil.com", "https://ev il.com", "https://evil.com%2F@x",
    ];
    // An override that is an origin is honoured exactly (that is what it is for).
    let origins = ["https://evil.com/", "http://127.0.0.1:8080", "https://[::1]:8443", "https://Proxy.Example.COM"];
    let mut failures = Vec::new();
    for seed in one_seed_per_op() {
        for raw in hostile.iter().chain(&origins) {
            let mut s = seed.clone();
            s.account["base_url"] = json!(raw);
            let r = run(s.start_input(), &responses_of(seed));
            match crate::codec::http::Origin::parse(raw, "account.base_url") {
                Err(_) => {
                    let field = r.out.as_ref().and_then(|o| o.as_ref().err()).map(|e| e.to_json()["details"][0]["field"].clone());
                    if !r.sent.is_empty() || field != Some(json!("account.base_url")) {
                        failures.push(format!("{} base_url {raw:?}: not rejected ({} sent, field {field:?})", seed.provider, r.sent.len()));
                    }
                }
                Ok(origin) => {
                    for req in &r.sent {
                        if origin_of(&req.url) != origin.as_str() || url_problems(&req.url).is_some() || !req.url[origin.as_str().len()..].starts_with('/') {
                            failures.push(format!("{} base_url {raw:?}: request to {}", seed.provider, req.url));
                        }
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
    // The malformed authorities above are all refused.
    for raw in hostile {
        assert!(crate::codec::http::Origin::parse(raw, "account.base_url").is_err(), "{raw:?} accepted");
    }
}

pub fn header_problem_of(req: &HttpRequest) -> Option<String> {
    req.headers.iter().find(|(k, v)| k.contains(['\r', '\n', '\0', ':']) || v.contains(['\r', '\n', '\0'])).map(|(k, v)| format!("header {k:?}: {v:?}"))
}

const LINE_BREAKS: &[&str] = &["tok\r\nX-Evil: 1", "tok\nX-Evil: 1", "tok\rX", "tok\0X"];

#[test]
fn line_breaks_never_reach_a_header() {
    let mut failures = Vec::new();
    let mut blocked = 0;
    for seed in one_seed_per_op() {
        // Credentials and context values: one at a time. When the plain value is
        // used in a header, the value with a line break must stop the request.
        let mut slots: Vec<(&str, String)> = seed.account["credentials"].as_object().into_iter().flatten().map(|(k, _)| ("credentials", k.clone())).collect();
        slots.extend(seed.account["context"].as_object().into_iter().flatten().map(|(k, _)| ("context", k.clone())));
        for (section, key) in &slots {
            let mut plain = seed.clone();
            plain.account[*section][key.as_str()] = json!("cwMARKER7777");
            let base = run(plain.start_input(), &responses_of(seed));
            let in_header = base.sent.iter().any(|r| r.headers.values().any(|v| v.contains("cwMARKER7777") || v.contains(&crate::provider::account::basic("cwMARKER7777", "")[6..])));
            for bad in LINE_BREAKS {
                let mut s = seed.clone();
                s.account[*section][key.as_str()] = json!(bad);
                let r = run(s.start_input(), &responses_of(seed));
                for req in &r.sent {
                    if let Some(p) = header_problem_of(req).or_else(|| url_problems(&req.url)) {
                        failures.push(format!("{} {section}.{key}={bad:?}: {p}", seed.provider));
                    }
                }
                if in_header {
                    blocked += 1;
                    let status = r.out.as_ref().and_then(|o| o.as_ref().err()).map(Error::status);
                    if !r.sent.is_empty() || status != Some(400) {
                        failures.push(format!("{} {section}.{key}={bad:?}: {} request(s) sent, status {status:?}", seed.provider, r.sent.len()));
                    }
                }
            }
        }
        // Query values and every body string at once.
        for bad in LINE_BREAKS {
            let mut s = seed.clone();
            s.query["idempotency_key"] = json!(bad);
            s.query["remote_query"] = json!({ *bad: bad });
            fn poison(v: &mut Value, bad: &str) {
                match v {
                    Value::String(x) => x.push_str(bad),
                    Value::Array(a) => a.iter_mut().for_each(|x| poison(x, bad)),
                    Value::Object(m) => m.values_mut().for_each(|x| poison(x, bad)),
                    _ => {}
                }
            }
            poison(&mut s.body, bad);
            let r = run(s.start_input(), &responses_of(seed));
            for req in &r.sent {
                if let Some(p) = header_problem_of(req).or_else(|| url_problems(&req.url)) {
                    failures.push(format!("{} query/body {bad:?}: {p}", seed.provider));
                }
            }
        }
    }
    eprintln!("line breaks: {blocked} header-bound values blocked before sending");
    assert!(blocked > 100, "only {blocked} credential/context values reached a header");
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
}

fn sync_input(token: &str, urn: &str) -> crate::engine::sync::SyncInput {
    crate::engine::sync::SyncInput::from_json(&json!({
        "account": {"id": "acc", "provider": "linkedin", "credentials": {"access_token": token}, "context": {"organization_urn": urn}},
        "model": "ats", "resource": "activities",
        "records": [{"application_id": "app/../1?x#y", "id": "n1", "body": "hi", "author": {"first_name": "A", "last_name": "B"}}],
    }))
    .unwrap()
}

#[test]
fn sync_refuses_line_breaks_and_keeps_ids_in_one_segment() {
    for bad in LINE_BREAKS {
        let err = crate::engine::sync::SyncOperation::start(sync_input(bad, "urn:li:organization:1"), T0).err().map(|e| e.to_json());
        assert_eq!(err.as_ref().map(|e| e["statusCode"].clone()), Some(json!(400)), "{bad:?}: {err:?}");
        assert!(!err.unwrap().to_string().contains("X-Evil"), "the credential is echoed");
    }
    let (_, step) = crate::engine::sync::SyncOperation::start(sync_input("tok-123456", "urn:li:organization:1"), T0).unwrap();
    let Step::Send(req) = step else { panic!("expected a send") };
    assert_eq!(origin_of(&req.url), "https://api.linkedin.com");
    assert!(url_problems(&req.url).is_none(), "{}", req.url);
    assert!(req.url.contains("atsJobApplicationId=app%2F..%2F1%3Fx%23y&"), "{}", req.url);
}

/// The seed with each credential replaced by a distinctive secret.
fn with_secrets(seed: &Seed) -> (Seed, Vec<String>) {
    let mut s = seed.clone();
    let mut secrets = Vec::new();
    if let Some(creds) = s.account["credentials"].as_object_mut() {
        for (k, v) in creds.iter_mut() {
            let secret = format!("Sx-{k}-q7Z9/v+P=");
            *v = json!(secret);
            secrets.push(secret);
        }
    }
    (s, secrets)
}

/// Every form a secret takes on the wire: raw, percent-encoded, and the auth
/// header as sent (and its token part: Basic-encoded pairs, `Token token=…`).
fn secret_forms(secrets: &[String], sent: &[HttpRequest]) -> Vec<String> {
    let mut forms: Vec<String> = secrets.to_vec();
    for s in secrets {
        forms.push(crate::codec::http::segment(s));
    }
    for req in sent {
        for name in &req.sensitive {
            if let Some(v) = req.headers.get(name) {
                forms.push(v.clone());
                if let Some((_, token)) = v.split_once(' ') {
                    forms.push(token.to_string());
                }
            }
        }
    }
    forms.retain(|f| f.len() >= 8);
    forms.sort();
    forms.dedup();
    forms
}

fn leaks<'a>(text: &str, forms: &'a [String]) -> Option<&'a String> {
    forms.iter().find(|f| text.contains(f.as_str()))
}

/// Adds `echo` to every object of a JSON body (and appends to a text body).
fn echo(body: &str, with: &str) -> String {
    fn add(v: &mut Value, with: &str) {
        match v {
            Value::Object(m) => {
                m.values_mut().for_each(|x| add(x, with));
                m.insert("echo".into(), json!(with));
            }
            Value::Array(a) => a.iter_mut().for_each(|x| add(x, with)),
            _ => {}
        }
    }
    match serde_json::from_str::<Value>(body) {
        Ok(mut v) => {
            add(&mut v, with);
            v.to_string()
        }
        Err(_) => format!("{body} {with}"),
    }
}

#[test]
fn credentials_never_appear_in_plans_results_remote_data_or_errors() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for seed in seeds() {
        let (s, secrets) = with_secrets(seed);
        if secrets.is_empty() {
            continue;
        }
        let plain = run(s.start_input(), &responses_of(seed));
        let forms = secret_forms(&secrets, &plain.sent);
        let said = forms.join(" ");
        let name = format!("{} {}/{} {}", seed.provider, seed.model, seed.resource, seed.method);
        // plan output
        match crate::facade::api::plan(s.input(), T0) {
            Ok(v) => {
                if let Some(f) = leaks(&v.to_string(), &forms) {
                    failures.push(format!("{name}: plan shows {f:?}"));
                }
            }
            Err(e) => failures.push(format!("{name}: plan failed: {}", e.to_json())),
        }
        // The provider echoes every secret form in each response, in every object.
        let echoed: Vec<HttpResponse> = responses_of(seed).into_iter().map(|r| HttpResponse { body: echo(&r.body, &said), ..r }).collect();
        let r = run(s.start_input(), &echoed);
        let out = match &r.out {
            Some(Ok(v)) => v.to_string(),
            Some(Err(e)) => e.to_json().to_string(),
            None => String::new(),
        };
        if let Some(f) = leaks(&out, &forms) {
            failures.push(format!("{name}: echoed response leaks {f:?} into {out}"));
        }
        // Error answers that quote the secret, as text and as JSON.
        for status in [400u16, 401, 403, 404, 409, 422, 500, 503] {
            for body in [json!({"message": format!("invalid key {said}"), "error": {"message": said, "details": [said]}}).to_string(), format!("Unauthorized: {said}")] {
                let failing = vec![HttpResponse::new(status, body.clone()).with_header("www-authenticate", &said); 8];
                let mut responses = responses_of(seed);
                for (i, resp) in failing.into_iter().enumerate().take(responses.len()) {
                    // Fail each step in turn, so later steps of chains are covered too.
                    let mut rs = responses.clone();
                    rs[i] = resp;
                    rs.truncate(i + 1);
                    rs.extend(vec![HttpResponse::new(status, body.clone()); 6]);
                    let r = run(s.start_input(), &rs);
                    let text = match &r.out {
                        Some(Ok(v)) => v.to_string(),
                        Some(Err(e)) => e.to_json().to_string(),
                        None => String::new(),
                    };
                    if let Some(f) = leaks(&text, &forms) {
                        failures.push(format!("{name}: HTTP {status} at step {i} leaks {f:?}"));
                    }
                    checked += 1;
                }
                responses.clear();
            }
        }
        // A transport error whose message quotes the secret.
        if let Ok((mut op, Step::Send(_))) = Operation::start(s.start_input(), T0) {
            let mut step = op.handle_transport_error(&format!("connect failed: {said}"), T0);
            for _ in 0..10 {
                step = match step {
                    Ok(Step::Wait { until_ms, .. }) => op.resume(until_ms).and_then(|_| op.handle_transport_error(&format!("reset {said}"), until_ms)),
                    other => other,
                };
            }
            let text = match step {
                Ok(s) => format!("{s:?}"),
                Err(e) => e.to_json().to_string(),
            };
            if let Some(f) = leaks(&text, &forms) {
                failures.push(format!("{name}: transport error leaks {f:?}"));
            }
        }
    }
    eprintln!("secrets: {checked} failing exchanges checked");
    failures.sort();
    failures.dedup();
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.iter().take(60).cloned().collect::<Vec<_>>().join("\n"));
}

/// The same secrets as a provider might transform them before echoing: case
/// changed, percent-encoded with lowercase hex, split by a space, base64 of the
/// value and of `user:value` pairs in both alphabets, the auth header's token
/// upper-cased.
fn transformed_forms(secrets: &[String], sent: &[HttpRequest]) -> Vec<String> {
    let b64 = |t: &str| crate::codec::b64::encode_standard(t.as_bytes());
    let url = |t: &str| crate::codec::b64::encode_url_safe(t.as_bytes());
    let mut forms = Vec::new();
    for s in secrets {
        let (a, b) = s.split_at(s.len() / 2);
        forms.extend([s.to_uppercase(), s.to_lowercase(), crate::codec::http::segment(s).to_lowercase(), format!("{a} {b}")]);
        forms.extend([b64(s), b64(s).trim_end_matches('=').to_string(), url(s), b64(&format!("user:{s}")), url(&format!("me@acme.test:{s}")), b64(&format!("{s}:x"))]);
        for other in secrets {
            forms.push(b64(&format!("{other}:{s}")));
        }
    }
    for req in sent {
        for name in &req.sensitive {
            if let Some(v) = req.headers.get(name) {
                let token = v.split_once(' ').map_or(v.as_str(), |(_, t)| t);
                forms.extend([v.to_uppercase(), token.to_lowercase(), v.replacen(' ', "  ", 1)]);
            }
        }
    }
    forms.retain(|f| f.len() >= 8);
    forms.sort();
    forms.dedup();
    forms
}

#[test]
fn transformed_secret_echoes_never_appear_in_results_or_errors() {
    let mut failures = Vec::new();
    for seed in one_seed_per_op() {
        let (s, secrets) = with_secrets(seed);
        if secrets.is_empty() {
            continue;
        }
        let plain = run(s.start_input(), &responses_of(seed));
        let mut forms = transformed_forms(&secrets, &plain.sent);
        let said = forms.join(" ");
        forms.extend(secret_forms(&secrets, &plain.sent));
        let name = format!("{} {}/{} {}", seed.provider, seed.model, seed.resource, seed.method);
        let echoed: Vec<HttpResponse> = responses_of(seed).into_iter().map(|r| HttpResponse { body: echo(&r.body, &said), ..r }).collect();
        let mut outcomes = vec![("echoed response", run(s.start_input(), &echoed))];
        for body in [json!({"message": format!("invalid token {said}"), "errors": [said]}).to_string(), format!("Unauthorized: {said}")] {
            outcomes.push(("401", run(s.start_input(), &vec![HttpResponse::new(401, body); 8])));
        }
        for (what, r) in outcomes {
            let text = match &r.out {
                Some(Ok(v)) => v.to_string(),
                Some(Err(e)) => e.to_json().to_string(),
                None => String::new(),
            };
            if let Some(f) = leaks(&text, &forms) {
                failures.push(format!("{name}: {what} leaks {f:?} in {}", text.chars().take(300).collect::<String>()));
            }
        }
    }
    failures.sort();
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.iter().take(40).cloned().collect::<Vec<_>>().join("\n"));
}

fn deep(levels: usize) -> Value {
    let mut v = json!("leaf");
    for i in 0..levels {
        v = if i % 2 == 0 { json!([v]) } else { json!({ "k": v }) };
    }
    v
}

fn deep_text(levels: usize) -> String {
    "[".repeat(levels) + &"]".repeat(levels)
}

/// Puts `value` under the op's `remote_data` (writes) or `remote_query` (reads).
fn with_value(seed: &Seed, value: &Value) -> (Seed, &'static str, &'static str) {
    // Where any JSON is accepted, so only the size/depth limit can refuse it.
    let mut s = seed.clone();
    if seed.method == "create" {
        s.body["remote_data"] = json!({ "x": value });
        (s, "body", "remote_data")
    } else {
        s.query["remote_query"] = json!({ "x": value });
        (s, "query", "remote_query")
    }
}

fn assert_refused(seed: &Seed, value: &Value, raw: &str, status: u16) {
    let name = format!("{} {}/{} {}", seed.provider, seed.model, seed.resource, seed.method);
    let (s, field, slot) = with_value(seed, value);
    // The core entry (a value built in memory), plan, validate, and JSON text.
    let started = Operation::start(s.start_input(), T0).err().map(|e| e.to_json());
    assert_eq!(started.as_ref().map(|e| e["statusCode"].clone()), Some(json!(status)), "{name}: {started:?}");
    assert_eq!(crate::facade::api::plan(s.input(), T0).err().map(|e| e.status()), Some(status), "{name} plan");
    let v = crate::facade::api::validate(&json!({"provider": seed.provider, "model": seed.model, "resource": seed.resource, "method": seed.method, "body": s.body, "query": s.query}));
    assert_eq!(v["valid"], false, "{name} validate");
    let err = crate::facade::api::parse_input(&s_with_raw(seed, field, slot, raw)).unwrap_err();
    assert_eq!(err.status(), status, "{name} parse_input");
}

#[test]
fn deep_inputs_fail_cleanly_for_every_op() {
    let value = deep(1000);
    for seed in one_seed_per_op() {
        assert_refused(seed, &value, &deep_text(1000), 400);
    }
    let mut input = sync_input("tok-123456", "urn:li:organization:1");
    input.records = json!([deep(1000)]);
    assert_eq!(crate::engine::sync::SyncOperation::start(input, T0).err().map(|e| e.status()), Some(400));
}

#[test]
fn ten_megabyte_inputs_fail_cleanly() {
    // The limit sits in the validation every op shares; one op per resource
    // (10 MB copies are slow in debug builds).
    let ten_mb = "x".repeat(10 * 1024 * 1024);
    let value = json!(ten_mb);
    let raw = format!("\"{ten_mb}\"");
    let mut seen = std::collections::HashSet::new();
    for seed in one_seed_per_op().into_iter().filter(|s| s.provider == "sandbox" && seen.insert((s.model, s.resource))) {
        assert_refused(seed, &value, &raw, 413);
    }
    assert_eq!(seen.len(), 3);
    let mut input = sync_input("tok-123456", "urn:li:organization:1");
    input.records = json!([{ "body": ten_mb }]);
    assert_eq!(crate::engine::sync::SyncOperation::start(input, T0).err().map(|e| e.status()), Some(413));
}

/// The seed's input as JSON text with `raw` spliced in at `field.slot`.
fn s_with_raw(seed: &Seed, field: &str, slot: &str, raw: &str) -> String {
    let mut input = seed.input();
    if !input[field].is_object() {
        input[field] = json!({});
    }
    input[field][slot] = json!({"x": "@@RAW@@"});
    input.to_string().replace("\"@@RAW@@\"", raw)
}

#[test]
fn huge_and_deep_provider_responses_fail_cleanly() {
    let huge = format!("{{\"data\":\"{}\"}}", "y".repeat(10 * 1024 * 1024));
    for seed in one_seed_per_op() {
        let bodies = if seed.provider == "sandbox" { vec![deep_text(1000), huge.clone(), "[".repeat(100_000)] } else { vec![deep_text(1000), "[".repeat(100_000)] };
        for body in bodies {
            let r = run(seed.start_input(), &vec![HttpResponse::new(200, body); 4]);
            if let Some(Err(e)) = &r.out {
                let j = e.to_json();
                assert!((400..600).contains(&j["statusCode"].as_u64().unwrap_or(0)), "{j}");
            }
        }
    }
}

#[test]
fn learned_secrets_are_only_credentials() {
    // Regression: the sandbox's default `Bearer sandbox` token was learned as a
    // secret, so "sandbox" was redacted out of URLs and results.
    let input = crate::tests::support::input(json!({"provider": "sandbox", "credentials": {"access_token": "TOK-cw-0c44e2"}}), "ats", "activities", "create", None, json!({"candidate_id": "c1", "body": "x"}), json!({}));
    let plan = crate::facade::api::plan(serde_json::to_value(json!({"account": {"provider": "sandbox", "credentials": {"access_token": "TOK-cw-0c44e2"}}, "model": "ats", "resource": "activities", "method": "create", "body": {"candidate_id": "c1", "body": "x"}})).unwrap(), T0).unwrap();
    assert_eq!(plan["requests"][0]["url"], "https://sandbox.crosswalk.invalid/v1/candidates/c1/notes");
    let reply = HttpResponse::new(201, json!({"data": {"id": "n1", "text": "x", "author": {"email": "riley@sandbox.example"}}}).to_string());
    let out = run(input, &[reply]).out.unwrap().unwrap();
    assert!(out.to_string().contains("riley@sandbox.example"), "{out}");
}

/// Paging state a forged cursor might carry, each naming an endpoint (`cwEVIL`)
/// the list never pages through.
fn forged_states() -> Vec<Value> {
    let targets = [
        "/services/data/v60.0/query?q=SELECT+Id+FROM+cwEVIL", "/services/data/v60.0/sobjects/cwEVIL", "/services/data/v60.0/query/cwEVIL?x=1",
        "https://acme.crm.dynamics.com/api/data/v9.2/cwEVIL", "https://acme.crm.dynamics.com/api/data/v9.2/phonecalls/../cwEVIL", "/api/data/v9.2/cwEVIL",
        "/api/v2/cwEVIL", "/api/v2/entries/../cwEVIL", "/v1/cwEVIL", "/v1/applications/1/cwEVIL", "https://evil.example/cwEVIL",
    ];
    let mut out = Vec::new();
    for t in targets {
        for key in ["url", "next", "path", "cursor", "after", "token", "page_token"] {
            let inner = json!({ key: t, "page": 2 });
            out.push(inner.clone());
            for kind in ["entries", "tasks", "notes", "calls", "call", "meeting", "note", "task", "email", "Task", "Event"] {
                out.push(json!({"kind": kind, "state": inner}));
                out.push(json!({"type": kind, "object": kind, "module": kind, "sobject": kind, key: t}));
            }
        }
    }
    out
}

#[test]
fn forged_cursors_cannot_reach_other_endpoints() {
    let mut failures = Vec::new();
    let mut sent = 0;
    for seed in one_seed_per_op().into_iter().filter(|s| s.method == "list") {
        for state in forged_states() {
            let cursor = crate::engine::cursor::encode(seed.provider, seed.model, seed.resource, &state, &[]);
            let mut s = seed.clone();
            s.query["next_cursor"] = json!(cursor);
            let r = run(s.start_input(), &responses_of(seed));
            for req in &r.sent {
                sent += 1;
                // An opaque page token in a query value is the provider's business; a
                // path or a query the cursor chose is not.
                let (path, query) = req.url.split_once('?').unwrap_or((&req.url, ""));
                let query = decode(&query.replace('+', " "));
                if path.contains("cwEVIL") || query.contains("FROM cwEVIL") || !host_of(&req.url).is_some_and(|h| host_allowed(&h, provider_hosts(seed.provider))) {
                    failures.push(format!("{}: cursor state {state} sent {}", seed.provider, req.url));
                }
            }
        }
    }
    eprintln!("forged cursors: {sent} requests checked");
    failures.sort();
    failures.dedup();
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.iter().take(30).cloned().collect::<Vec<_>>().join("\n"));
}
