//! Test helpers for `crm/engagements` providers, and the coverage walk: it reads
//! the coverage data of one provider and proves that every request field it calls
//! supported really changes the provider request (and carries its value there),
//! and that every filter crosswalk applies leaves the request alone.

use serde_json::{json, Value};

use crate::error::Error;
use crate::codec::http::HttpRequest;
use crate::unified::schema::Kind;
use crate::tests::support::{drive, drive_pages, input, Script};

/// Drives one `crm/engagements` operation over scripted responses.
pub fn run(account: &Value, method: &str, id: Option<&str>, body: Value, query: Value, script: Script) -> (Vec<HttpRequest>, Result<Value, Error>) {
    drive(input(account.clone(), "crm", "engagements", method, id, body, query), script)
}

/// Drives a create over scripted responses.
pub fn create(account: &Value, body: Value, script: Script) -> (Vec<HttpRequest>, Result<Value, Error>) {
    run(account, "create", None, body, json!({}), script)
}

/// Drives a get of `id` (no query) over scripted responses.
pub fn get(account: &Value, id: &str, script: Script) -> (Vec<HttpRequest>, Result<Value, Error>) {
    run(account, "get", Some(id), Value::Null, json!({}), script)
}

/// Drives a list through every page.
pub fn list_pages(account: &Value, query: Value, script: Script) -> (Vec<HttpRequest>, Result<Vec<Value>, Error>) {
    drive_pages(input(account.clone(), "crm", "engagements", "list", None, Value::Null, query), script)
}

/// The unified error JSON of a create that fails before anything is sent.
pub fn create_error(account: &Value, body: Value) -> Value {
    let (sent, out) = create(account, body, Script::default());
    assert!(sent.is_empty(), "nothing may be sent: {sent:?}");
    out.expect_err("expected an error").to_json()
}

/// `(field, code)` of each issue of a create refused before anything is sent.
pub fn create_issues(account: &Value, body: Value) -> Vec<(String, String)> {
    issue_codes(&create_error(account, body))
}

/// `(field, code)` of each validation issue.
pub fn issue_codes(err: &Value) -> Vec<(String, String)> {
    err["details"].as_array().into_iter().flatten().map(|d| (d["field"].as_str().unwrap_or("").to_string(), d["code"].as_str().unwrap_or("").to_string())).collect()
}

const GUID: &str = "00000000-0000-0000-0000-000000004242";

/// Values to try for a field, each with the text that must then appear in the
/// request (for values that reach the provider unconverted).
fn samples(kind: &Kind, allowed: Option<&Vec<Value>>) -> Vec<(Value, Option<&'static str>)> {
    if let Some(a) = allowed {
        return a.iter().map(|v| (v.clone(), None)).collect();
    }
    match kind {
        Kind::Enum(values) => values.iter().map(|v| (json!(v), None)).collect(),
        // Integer ids for most providers, a GUID for Dataverse.
        Kind::Ref => vec![(json!({"id": "4242"}), Some("4242")), (json!({"id": "4343"}), Some("4343")), (json!({"id": GUID}), Some(GUID))],
        Kind::RefList => vec![(json!([{"id": "4242"}]), Some("4242")), (json!([{"id": "4343"}]), Some("4343")), (json!([{"id": GUID}]), Some(GUID))],
        Kind::DateTime => vec![(json!("2024-06-15T11:30:00Z"), None), (json!("2024-06-16T12:00:00Z"), None)],
        Kind::Integer => vec![(json!(1800), None), (json!(3600), None)],
        Kind::StructList(_) => vec![(json!([{"number": "+15551234567"}]), Some("+15551234567")), (json!([{"number": "+15557654321"}]), Some("+15557654321"))],
        Kind::Record => vec![(json!({"walk_custom_field": "walk"}), Some("walk_custom_field")), (json!({"walk_custom_field": "other"}), Some("walk_custom_field"))],
        // No spaces: the marker must read the same in a query string.
        _ => vec![(json!("walk-sample"), Some("walk-sample")), (json!("another-walk-sample"), Some("another-walk-sample")), (json!(GUID), Some(GUID))],
    }
}

/// The values of an enum field outside `allowed` (which the provider must refuse).
fn refused(kind: &Kind, allowed: Option<&Vec<Value>>) -> Vec<Value> {
    match (kind, allowed) {
        (Kind::Enum(values), Some(a)) => values.iter().map(|v| json!(v)).filter(|v| !a.contains(v)).collect(),
        _ => Vec::new(),
    }
}

/// Every request the operation sends while `canned` answers last, as text; `None`
/// when the input is refused.
fn plan(account: &Value, method: &str, fields: &Value, canned: &[Value]) -> Option<String> {
    use crate::engine::operation::Operation;
    use crate::engine::step::{Machine, Step};
    let (body, query) = if method == "create" { (fields.clone(), json!({})) } else { (Value::Null, fields.clone()) };
    let (mut op, mut step) = Operation::start(input(account.clone(), "crm", "engagements", method, None, body, query), crate::tests::support::T0).ok()?;
    let mut sent = Vec::new();
    for answer in canned.iter().map(Some).chain([None]) {
        let Step::Send(req) = step else { break };
        sent.push(serde_json::to_value(&req).ok()?);
        let Some(answer) = answer else { break };
        // An answer that does not fit ends the plan: the requests are what counts.
        let Ok(next) = op.handle_response(crate::codec::http::HttpResponse::new(200, answer.to_string()), crate::tests::support::T0) else { break };
        step = next;
    }
    Some(Value::Array(sent).to_string())
}

/// Every supported field of `method` (create: body fields; list: filters) against
/// `bases` (complete, valid inputs, one per engagement type worth trying):
/// - a field the provider applies must change the planned request for at least one
///   base, and wherever a value that passes through unconverted is accepted it must
///   appear in the request;
/// - `engagement_type` may prove itself across bases of different types;
/// - an enum the provider narrows to one value proves itself by refusing the others;
/// - a filter crosswalk applies must leave the request as it is.
///
/// Returns how many fields were walked.
pub fn supported_fields_reach_request(provider: &str, account: Value, method: &str, bases: &[Value]) -> usize {
    supported_fields_reach_request_after(provider, account, method, bases, &[])
}

/// The same, for operations that look something up first: `canned` answers the
/// look-ups, and every request sent is compared.
pub fn supported_fields_reach_request_after(provider: &str, account: Value, method: &str, bases: &[Value], canned: &[Value]) -> usize {
    let cov = crate::facade::coverage::coverage();
    let side = &cov["crm"]["engagements"][method]["request"];
    let res = &crate::unified::models::CRM_ENGAGEMENTS;
    let schema = if method == "create" { res.body } else { res.filters };
    let mut failures = Vec::new();
    let mut checked = 0;
    for f in schema {
        let cell = &side[f.name][provider];
        if cell["supported"] != true {
            continue;
        }
        checked += 1;
        let allowed = cell["allowed"].as_array();
        let with = |base: &Value, v: Option<&Value>| {
            let mut input = base.clone();
            match v {
                Some(v) => input[f.name] = v.clone(),
                None => {
                    input.as_object_mut().map(|m| m.remove(f.name));
                }
            }
            plan(&account, method, &input, canned)
        };
        let tries = samples(&f.kind, allowed);
        if cell["applied_by"] == "crosswalk" {
            for base in bases {
                let plain = with(base, None);
                for (v, _) in &tries {
                    if let (Some(p), Some(q)) = (&plain, with(base, Some(v))) {
                        if *p != q {
                            failures.push(format!("{}={v} is applied by crosswalk but changed the request", f.name));
                        }
                    }
                }
            }
            continue;
        }
        let mut proven = false;
        for base in bases {
            let plain = with(base, None);
            let plans: Vec<(Option<String>, Option<&str>)> = tries.iter().map(|(v, marker)| (with(base, Some(v)), *marker)).collect();
            for (p, marker) in &plans {
                if let (Some(p), Some(m)) = (p, marker) {
                    if !p.contains(m) {
                        failures.push(format!("{}: the value {m:?} was accepted but is not in the request {p}", f.name));
                    }
                }
            }
            let accepted: Vec<&String> = plain.iter().chain(plans.iter().filter_map(|(p, _)| p.as_ref())).collect();
            proven |= accepted.iter().any(|p| accepted.iter().any(|q| p != q));
        }
        // The type may have no body valid for two types (a note needs a field a task
        // refuses): then bases of different types must plan different requests.
        if !proven && f.name == "engagement_type" {
            let typed: Vec<(&Value, String)> = bases.iter().filter_map(|b| Some((&b[f.name], plan(&account, method, b, canned)?))).filter(|(t, _)| t.is_string()).collect();
            proven = typed.iter().any(|(t, p)| typed.iter().any(|(u, q)| t != u && p != q));
        }
        if !proven && tries.len() == 1 {
            let others = refused(&f.kind, allowed);
            proven = !others.is_empty() && bases.iter().all(|b| others.iter().all(|v| with(b, Some(v)).is_none()));
        }
        if !proven {
            failures.push(format!("{} never changes the request", f.name));
        }
    }
    assert!(checked > 0, "{provider}: no supported {method} fields in coverage");
    assert!(failures.is_empty(), "{provider} {method}:\n{}", failures.join("\n"));
    checked
}
