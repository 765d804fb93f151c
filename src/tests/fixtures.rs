//! The fixture-case runner: every `tests/fixtures/<provider>/cases/*.json` is a
//! recorded exchange — unified input, the exact provider requests expected, the
//! provider's responses, and the expected unified output or error. The same files
//! run here (native) and in Node through the wasm package
//! (`tests/node/fixture-cases.test.mjs`), so both layers are held to one record.
//!
//! Case format:
//! ```json
//! { "source": "where the provider example comes from",
//!   "account": {…}, "model": "ats", "resource": "activities", "method": "create",
//!   "id": null, "body": {…}, "query": {…},
//!   "exchanges": [ { "request": { "method", "url", "headers"?: {…}, "json"?: {…} },
//!                    "response": { "status", "headers"?: {…}, "body": <JSON or string> } } ],
//!   "output": {…} | "output_subset": {…} | "error": {…subset of the unified error…} }
//! ```

use serde_json::Value;

use crate::codec::http::HttpResponse;
use crate::tests::support::{drive, input, Script};

/// `expected` is contained in `actual` (objects by key, arrays element-wise).
pub fn contains(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e.iter().all(|(k, v)| a.get(k).is_some_and(|x| contains(x, v))),
        (Value::Array(a), Value::Array(e)) => a.len() == e.len() && a.iter().zip(e).all(|(x, y)| contains(x, y)),
        _ => actual == expected,
    }
}

fn run_case(path: &std::path::Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let case: Value = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
    let exchanges = case["exchanges"].as_array().cloned().unwrap_or_default();
    let mut script = Script::default();
    for x in &exchanges {
        let r = &x["response"];
        let body = match &r["body"] {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let mut resp = HttpResponse::new(r["status"].as_u64().unwrap_or(200) as u16, body);
        for (k, v) in r["headers"].as_object().into_iter().flatten() {
            resp = resp.with_header(k, v.as_str().unwrap_or_default());
        }
        script = script.then_response(resp);
    }
    let s = |k: &str| case[k].as_str().unwrap_or_default().to_string();
    let inp = input(case["account"].clone(), &s("model"), &s("resource"), &s("method"), case["id"].as_str(), case["body"].clone(), case["query"].clone());
    let (sent, out) = drive(inp, script);
    if sent.len() != exchanges.len() {
        return Err(format!("sent {} requests, the case records {}", sent.len(), exchanges.len()));
    }
    for (i, (req, x)) in sent.iter().zip(&exchanges).enumerate() {
        let want = &x["request"];
        if req.method.as_str() != want["method"].as_str().unwrap_or("") {
            return Err(format!("request {i}: method {} != {}", req.method.as_str(), want["method"]));
        }
        if req.url != want["url"].as_str().unwrap_or("") {
            return Err(format!("request {i}: url\n  got  {}\n  want {}", req.url, want["url"]));
        }
        for (k, v) in want["headers"].as_object().into_iter().flatten() {
            if req.headers.get(k).map(String::as_str) != v.as_str() {
                return Err(format!("request {i}: header {k} = {:?}, want {v}", req.headers.get(k)));
            }
        }
        if let Some(json) = want.get("json") {
            if req.body_json() != Some(json) {
                return Err(format!("request {i}: body\n  got  {:?}\n  want {json}", req.body_json()));
            }
        }
    }
    match (out, case.get("output"), case.get("output_subset"), case.get("error")) {
        (Ok(v), Some(want), _, _) if &v == want => Ok(()),
        (Ok(v), _, Some(want), _) if contains(&v, want) => Ok(()),
        (Err(e), _, _, Some(want)) if contains(&e.to_json(), want) => Ok(()),
        (Ok(v), ..) => Err(format!("output\n  got  {v}")),
        (Err(e), ..) => Err(format!("error\n  got  {}", e.to_json())),
    }
}

#[test]
fn every_fixture_case_passes() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut failures = Vec::new();
    let mut count = 0;
    for provider in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        // A build with a subset of providers runs the cases of those it has.
        let name = provider.file_name().to_string_lossy().into_owned();
        if cfg!(not(feature = "all-providers")) && crate::providers::find(&name).is_none() {
            continue;
        }
        let cases = provider.path().join("cases");
        for case in std::fs::read_dir(&cases).into_iter().flatten().flatten() {
            let p = case.path();
            if p.extension().is_some_and(|e| e == "json") {
                count += 1;
                if let Err(why) = run_case(&p) {
                    failures.push(format!("{}: {why}", p.display()));
                }
            }
        }
    }
    assert!(count > 0 || cfg!(not(feature = "all-providers")), "no fixture cases found");
    assert!(failures.is_empty(), "{} of {count} fixture cases failed:\n{}", failures.len(), failures.join("\n"));
}
