//! Valid starting inputs for every operation of every registered provider, found by
//! planning candidate requests (plus every recorded fixture case) and keeping the
//! ones the core accepts. Property and security tests mutate these, so they reach
//! past validation into each provider's request building and response mapping;
//! `every_op_has_a_seed` fails when a provider op gains no seed (a walk over the
//! registry that silently skipped it would prove nothing).

use std::sync::OnceLock;

use serde_json::{json, Value};

use crate::engine::operation::{Operation, StartInput};
use crate::providers::PROVIDERS;
use crate::unified::schema::UnifiedMethod;

/// One accepted input, and the recorded responses when it came from a fixture case.
#[derive(Debug, Clone)]
pub struct Seed {
    pub provider: &'static str,
    pub model: &'static str,
    pub resource: &'static str,
    pub method: &'static str,
    pub account: Value,
    pub id: Option<String>,
    pub body: Value,
    pub query: Value,
    /// `(status, headers, body)` of a recorded exchange, in order.
    pub responses: Vec<(u16, Vec<(String, String)>, String)>,
}

impl Seed {
    pub fn input(&self) -> Value {
        json!({
            "account": self.account, "model": self.model, "resource": self.resource, "method": self.method,
            "id": self.id, "body": self.body, "query": self.query,
        })
    }
    pub fn start_input(&self) -> StartInput {
        StartInput::from_json(&self.input()).expect("seed input deserializes")
    }
}

/// Credentials every provider's auth reads (each at least 12 characters, so the
/// redactor knows them).
pub fn credentials() -> Value {
    json!({"api_key": "KEY-cw-7f3a91", "access_token": "TOK-cw-0c44e2", "user_id": "5aaa9b009007ba08c9ebaef7"})
}

/// Context values every provider's origin and auth read.
pub fn context(provider: &str) -> Value {
    let mut c = json!({
        "company_id": "12345", "subdomain": "acme", "bundle_alias": "acme", "user_email": "api@example.com",
        "user_id": "5aaa9b009007ba08c9ebaef7", "organization_urn": "urn:li:organization:2414183", "region": "eu",
    });
    match provider {
        "salesforce" => c["instance_url"] = json!("https://acme.my.salesforce.com"),
        "dynamics365" => c["instance_url"] = json!("https://acme.crm.dynamics.com"),
        "pipedrive" => c["api_domain"] = json!("https://acme.pipedrive.com"),
        "fountain" | "zoho_crm" => {
            c.as_object_mut().map(|m| m.remove("region"));
        }
        _ => {}
    }
    c
}

pub fn account(provider: &str) -> Value {
    json!({"id": "acc1", "provider": provider, "credentials": credentials(), "context": context(provider)})
}

const ID: &str = "1001";
const GUID: &str = "7a1b2c3d-0000-4000-8000-000000001001";
const START: &str = "2026-01-05T10:00:00Z";
const END: &str = "2026-01-05T10:30:00Z";

fn engagement_bodies(id: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for ty in ["note", "call", "meeting", "email", "task"] {
        let base = json!({"engagement_type": ty, "subject": "Quarterly sync", "content": "Talked about the renewal"});
        let links = [
            json!({"contacts": [{"id": id}]}),
            json!({"account": {"id": id}}),
            json!({"opportunity": {"id": id}}),
            json!({"contacts": [{"id": id}], "account": {"id": id}}),
        ];
        for link in links {
            for timed in [false, true] {
                let mut b = base.clone();
                crate::codec::json::merge(&mut b, &link);
                if timed {
                    crate::codec::json::merge(&mut b, &json!({"start_time": START, "end_time": END, "owner": {"id": id}}));
                    if ty == "call" {
                        crate::codec::json::merge(&mut b, &json!({"direction": "outbound", "duration": 1800}));
                    }
                }
                out.push(b);
            }
        }
    }
    out
}

/// Candidate `(id, body, query)` triples for one op.
fn candidates(model: &str, resource: &str, method: UnifiedMethod) -> Vec<(Option<String>, Value, Value)> {
    let mut out = Vec::new();
    for id in [ID, GUID] {
        match (model, resource, method) {
            ("ats", "activities", UnifiedMethod::Create) => {
                out.push((None, json!({"candidate_id": id, "body": "Strong onsite", "visibility": "public"}), json!({})));
                out.push((None, json!({"id": "note-1", "application_id": id, "body": "Strong onsite", "author": {"first_name": "Ada", "last_name": "Lovelace"}}), json!({})));
                out.push((None, json!({"id": "note-1", "application_id": id, "body": "Strong onsite"}), json!({})));
            }
            ("ats", _, UnifiedMethod::List) => {
                out.push((None, Value::Null, json!({})));
                out.push((None, Value::Null, json!({"candidate_id": id})));
                out.push((None, Value::Null, json!({"application_id": id})));
                out.push((None, Value::Null, json!({"application_id": id, "candidate_id": id})));
            }
            ("ats", _, UnifiedMethod::Get | UnifiedMethod::Delete) => {
                out.push((Some(id.to_string()), Value::Null, json!({})));
                out.push((Some(id.to_string()), Value::Null, json!({"application_id": id})));
            }
            ("crm", "engagements", UnifiedMethod::Create) => out.extend(engagement_bodies(id).into_iter().map(|b| (None, b, json!({})))),
            ("crm", "engagements", UnifiedMethod::List) => {
                out.push((None, Value::Null, json!({})));
                for f in ["contact_id", "account_id"] {
                    out.push((None, Value::Null, json!({ f: id })));
                    for ty in ["note", "call", "meeting", "email", "task"] {
                        out.push((None, Value::Null, json!({ f: id, "engagement_type": ty })));
                    }
                }
            }
            ("crm", "engagements", UnifiedMethod::Get) => {
                out.push((Some(id.to_string()), Value::Null, json!({})));
                for ty in ["note", "call", "meeting", "email", "task"] {
                    out.push((Some(id.to_string()), Value::Null, json!({"engagement_type": ty})));
                }
            }
            _ => {}
        }
    }
    out
}

fn fixture_seeds() -> Vec<Seed> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(&root).into_iter().flatten().flatten().flat_map(|p| std::fs::read_dir(p.path().join("cases")).into_iter().flatten().flatten()).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let Ok(case) = serde_json::from_str::<Value>(&text) else { continue };
        let provider = case["account"]["provider"].as_str().unwrap_or_default();
        let Some(p) = PROVIDERS.iter().find(|p| p.name == provider) else { continue };
        let method = case["method"].as_str().unwrap_or_default();
        let Some(op) = UnifiedMethod::parse(method).and_then(|m| p.op(case["model"].as_str().unwrap_or_default(), case["resource"].as_str().unwrap_or_default(), m)) else { continue };
        let responses = case["exchanges"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| {
                let r = &x["response"];
                let body = match &r["body"] {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                let headers = r["headers"].as_object().into_iter().flatten().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect();
                (r["status"].as_u64().unwrap_or(200) as u16, headers, body)
            })
            .collect();
        out.push(Seed {
            provider: p.name,
            model: op.model,
            resource: op.resource,
            method: op.method.as_str(),
            account: case["account"].clone(),
            id: case["id"].as_str().map(str::to_string),
            body: case["body"].clone(),
            query: case["query"].clone(),
            responses,
        });
    }
    out
}

const MAX_SEEDS_PER_OP: usize = 12;

/// Every accepted seed: recorded fixture cases first, then candidates.
pub fn seeds() -> &'static [Seed] {
    static SEEDS: OnceLock<Vec<Seed>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut out: Vec<Seed> = fixture_seeds().into_iter().filter(|s| Operation::start(s.start_input(), crate::tests::support::T0).is_ok()).collect();
        for p in PROVIDERS {
            for op in p.ops {
                let mut kept = 0;
                for (id, body, query) in candidates(op.model, op.resource, op.method) {
                    if kept >= MAX_SEEDS_PER_OP {
                        break;
                    }
                    let seed = Seed { provider: p.name, model: op.model, resource: op.resource, method: op.method.as_str(), account: account(p.name), id, body, query, responses: Vec::new() };
                    if Operation::start(seed.start_input(), crate::tests::support::T0).is_ok() {
                        out.push(seed);
                        kept += 1;
                    }
                }
            }
        }
        out
    })
}

#[test]
fn every_op_has_a_seed() {
    let seeds = seeds();
    let mut missing = Vec::new();
    for p in PROVIDERS {
        for op in p.ops {
            let n = seeds.iter().filter(|s| s.provider == p.name && s.model == op.model && s.resource == op.resource && s.method == op.method.as_str()).count();
            if n == 0 {
                missing.push(format!("{} {}/{} {}", p.name, op.model, op.resource, op.method.as_str()));
            }
        }
    }
    assert!(missing.is_empty(), "no accepted input for: {missing:#?}");
}


/// Every documented or recorded response body in a provider's fixture folder
/// (`*response*.json`), for tests that answer requests with realistic bodies.
pub fn provider_responses(provider: &str) -> &'static [String] {
    static ALL: OnceLock<Vec<(String, String)>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut out = Vec::new();
        for dir in std::fs::read_dir(&root).into_iter().flatten().flatten() {
            let name = dir.file_name().to_string_lossy().into_owned();
            let mut files: Vec<_> = std::fs::read_dir(dir.path()).into_iter().flatten().flatten().map(|e| e.path()).collect();
            files.sort();
            for f in files {
                let file = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                if file.contains("response") && file.ends_with(".json") {
                    if let Ok(text) = std::fs::read_to_string(&f) {
                        out.push((name.clone(), text));
                    }
                }
            }
        }
        out
    });
    static BY: OnceLock<std::collections::HashMap<String, Vec<String>>> = OnceLock::new();
    let by = BY.get_or_init(|| {
        let mut m: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
        for (p, t) in all {
            m.entry(p.clone()).or_default().push(t.clone());
        }
        m
    });
    by.get(provider).map(Vec::as_slice).unwrap_or(&[])
}
