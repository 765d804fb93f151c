//! The stateless entry points: plan, validate, lookups, query strings, cursors
//! (decoding, and resuming a list from a forged cursor) and the sandbox server.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::tests::security::{host_allowed, host_of, url_problems};
use crate::tests::corpus::seeds;
use crate::tests::support::T0;
use crate::engine::step::Machine;

fn mutated_seed() -> impl Strategy<Value = Value> {
    (any::<usize>(), prop::collection::vec((0u8..3, any::<usize>(), arb_json()), 0..3), arb_target(), any::<bool>()).prop_map(|(index, mutations, target, arbitrary)| {
        if arbitrary {
            let (p, m, r, method) = target;
            return json!({"account": account_for(&p), "model": m, "resource": r, "method": method, "body": mutations.first().map(|x| x.2.clone()), "query": mutations.get(1).map(|x| x.2.clone())});
        }
        let mut v = seeds()[index % seeds().len()].input();
        for (place, n, with) in mutations {
            let slot = ["body", "query", "id"][place as usize];
            if v[slot].is_null() {
                v[slot] = json!({});
            }
            replace_node(&mut v[slot], n, with);
        }
        v
    })
}

fn check_requests(provider: &str, requests: &Value) -> Result<(), TestCaseError> {
    let hosts = PROVIDERS.iter().find(|p| p.name == provider).map(|p| p.hosts).unwrap_or(&[]);
    for r in requests.as_array().into_iter().flatten() {
        let url = r["url"].as_str().unwrap_or_default();
        prop_assert!(host_of(url).is_some_and(|h| host_allowed(&h, hosts)), "{} planned {}", provider, url);
        prop_assert!(url_problems(url).is_none(), "{:?}", url_problems(url));
    }
    Ok(())
}

#[test]
fn plan_and_validate_keep_their_shape() {
    let tally = Tally::default();
    check(mutated_seed(), |input| {
        let provider = input["account"]["provider"].as_str().unwrap_or_default().to_string();
        let forms = secret_forms(&input["account"], &[]);
        tally.hit("plan");
        match crate::facade::api::plan(input.clone(), T0) {
            Ok(v) => {
                check_requests(&provider, &v["requests"])?;
                let t = v.to_string();
                prop_assert!(!forms.iter().any(|f| t.contains(f.as_str())), "plan shows a secret: {}", t);
            }
            Err(e) => check_error_shape(&e)?,
        }
        tally.hit("validate");
        let v = crate::facade::api::validate(&json!({"provider": provider, "model": input["model"], "resource": input["resource"], "method": input["method"], "id": input["id"], "body": input["body"], "query": input["query"]}));
        prop_assert!(v["valid"].is_boolean() && v["warnings"].is_array(), "{}", v);
        for e in v["errors"].as_array().ok_or_else(|| TestCaseError::fail(format!("no errors array: {v}")))? {
            prop_assert!(e["field"].is_string() && e["code"].is_string() && e["message"].is_string(), "{}", e);
        }
        prop_assert_eq!(v["valid"] == true, v["errors"].as_array().is_some_and(Vec::is_empty));
        Ok(())
    });
    tally.assert_each("plan/validate", &["plan", "validate"]);
}

#[test]
fn lookups_never_panic() {
    let tally = Tally::default();
    // Constant answers: computed once, must be JSON objects/arrays.
    assert!(crate::facade::coverage::coverage().is_object() && crate::facade::coverage::providers().is_array() && !crate::tests::snapshots::coverage_markdown().is_empty());
    let names = || prop_oneof![2 => prop::sample::select(vec!["ats", "crm", "activities", "interviews", "engagements", "create", "list", "get", "hubspot", "sandbox"]).prop_map(str::to_string), 1 => arb_string()];
    check((names(), names(), names()), |(a, b, c)| {
        tally.hit("schema");
        let schema = crate::facade::coverage::schema(&a, &b);
        prop_assert_eq!(schema.is_some(), crate::unified::models::resource(&a, &b).is_some());
        tally.hit("provider_lookup");
        if let Some(p) = crate::providers::find(&a) {
            let _ = crate::unified::schema::UnifiedMethod::parse(&c).and_then(|m| p.op(&b, &c, m));
        }
        let _ = crate::engine::sync::find(&a, &b, &c);
        Ok(())
    });
    tally.assert_each("lookups", &["schema", "provider_lookup"]);
}

fn arb_query_string() -> impl Strategy<Value = String> {
    let key = (
        prop_oneof![prop::sample::select(vec!["limit", "next_cursor", "truto_response_format", "truto_exclude_fields", "remote_query", "created_at", "contact_id", "candidate_id", "engagement_type", "strict", "truto_key_by", "max_pages", "truto_ignore_limit"]).prop_map(str::to_string), "\\PC{0,6}"],
        prop::collection::vec(prop_oneof![Just("[]".to_string()), "\\[[a-z]{0,4}\\]", Just("[".to_string()), Just("]".to_string())], 0..10),
    )
        .prop_map(|(k, suffix)| k + &suffix.concat());
    let value = prop_oneof![arb_string(), "%[0-9A-Fa-f]{0,2}", Just("%".to_string()), Just("a+b".to_string())];
    prop_oneof![
        4 => prop::collection::vec((key, value, prop::sample::select(vec!["&", ";", "&&", "=", "?"])), 0..8).prop_map(|parts| parts.into_iter().map(|(k, v, sep)| format!("{k}={v}{sep}")).collect()),
        1 => "\\PC{0,200}",
    ]
}

#[test]
fn query_strings_never_panic() {
    let tally = Tally::default();
    let lists: Vec<&crate::tests::corpus::Seed> = seeds().iter().filter(|s| s.method == "list").collect();
    check((arb_query_string(), any::<usize>()), |(qs, pick)| {
        tally.hit("parse_query_string");
        let parsed = crate::unified::query::parse_query_string(&qs);
        prop_assert!(parsed.is_object());
        if let Err(e) = crate::unified::query::UnifiedQuery::from_json(&parsed) {
            check_error_shape(&e)?;
        }
        // The parsed query drives a real list plan.
        let seed = lists[pick % lists.len()];
        let mut input = seed.input();
        input["query"] = parsed;
        match crate::facade::api::plan(input, T0) {
            Ok(v) => check_requests(seed.provider, &v["requests"])?,
            Err(e) => check_error_shape(&e)?,
        }
        Ok(())
    });
    tally.assert_each("query strings", &["parse_query_string"]);
}

const STATE_KEYS: &[&str] = &["url", "next", "path", "after", "page", "token", "cursor", "kind", "state", "object", "module", "sobject", "types", "offset", "skip", "type", "page_token", "prev_first"];
const STATE_VALUES: &[&str] = &[
    "https://evil.example/api/data/v9.2/phonecalls", "//evil.example/x", "/services/data/v60.0/query/01g-2000", "/services/data/../../x", "/api/v2/entries?page=2",
    "/api/v2/../../admin", "/v1/scheduled_interviews?page=2", "/v1/applications/../scheduled_interviews", "a&b=c#d", "..", "call", "meeting", "notes", "Task",
    "Calls", "-1", "99999999999999999999",
];

fn arb_state() -> impl Strategy<Value = Value> {
    let value = prop_oneof![prop::sample::select(STATE_VALUES).prop_map(|s| json!(s)), any::<i64>().prop_map(|n| json!(n)), arb_json()];
    prop::collection::btree_map(prop::sample::select(STATE_KEYS).prop_map(str::to_string), value, 0..4).prop_map(|m| {
        let mut v = Value::Object(m.into_iter().collect());
        if let Some(inner) = v.get("state").cloned() {
            v["state"] = json!({"url": inner, "page": 2});
        }
        v
    })
}

#[test]
fn cursors_never_panic_or_redirect() {
    let tally = Tally::default();
    let lists: Vec<&crate::tests::corpus::Seed> = seeds().iter().filter(|s| s.method == "list").collect();
    let cursor = prop_oneof![
        2 => (arb_state(), prop::collection::vec(any::<u64>(), 0..10), any::<bool>()).prop_map(|(s, h, other)| (Some(s), h, other, String::new())),
        1 => arb_json().prop_map(|v| (None, Vec::new(), false, base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, v.to_string()))),
        1 => "\\PC{0,200}".prop_map(|s| (None, Vec::new(), false, s)),
    ];
    check((cursor, any::<usize>(), arb_json()), |((state, history, other_op, raw), pick, reply)| {
        let seed = lists[pick % lists.len()];
        let c = match &state {
            Some(s) if other_op => crate::engine::cursor::encode("hubspot", "crm", "engagements", s, &history),
            Some(s) => crate::engine::cursor::encode(seed.provider, seed.model, seed.resource, s, &history),
            None => raw,
        };
        tally.hit("cursor_decode");
        if let Err(e) = crate::engine::cursor::decode(&c, seed.provider, seed.model, seed.resource) {
            check_error_shape(&e)?;
        }
        // Resume the list from the cursor: nothing may leave the provider's hosts.
        let mut input = seed.input();
        input["query"]["next_cursor"] = json!(c);
        tally.hit("start_from_cursor");
        match start(input, T0) {
            Some(Ok((mut op, mut step))) => {
                let hosts = PROVIDERS.iter().find(|p| p.name == seed.provider).map(|p| p.hosts).unwrap_or(&[]);
                for _ in 0..3 {
                    let crate::Step::Send(req) = &step else { break };
                    prop_assert!(host_of(&req.url).is_some_and(|h| host_allowed(&h, hosts)), "cursor {} sent {} to {}", c, seed.provider, req.url);
                    prop_assert!(url_problems(&req.url).is_none(), "{:?}", url_problems(&req.url));
                    step = match op.handle_response(crate::HttpResponse::new(200, reply.to_string()), T0) {
                        Ok(s) => s,
                        Err(e) => {
                            check_error_shape(&e)?;
                            break;
                        }
                    };
                }
            }
            Some(Err(e)) => check_error_shape(&e)?,
            None => {}
        }
        Ok(())
    });
    tally.assert_each("cursors", &["cursor_decode", "start_from_cursor"]);
}

#[test]
fn sandbox_server_answers_everything() {
    let tally = Tally::default();
    crate::providers::sandbox::server::reset();
    let segment = prop_oneof![prop::sample::select(vec!["v1", "candidates", "notes", "interviews", "engagements", "int_001", "eng_001", "missing", "rate-limited", ""]).prop_map(str::to_string), arb_string()];
    let query = prop::collection::vec((prop::sample::select(vec!["page_token", "page_size", "type", "candidate_id", "created_after", "updated_before", "x"]), arb_string()), 0..4);
    let auth = prop_oneof![Just(Some("Bearer sandbox")), Just(Some("Bearer invalid")), Just(None), Just(Some(""))];
    let body = prop_oneof![arb_json().prop_map(|v| v.to_string()), ".{0,30}", Just(r#"{"text":"hi","type":"call"}"#.to_string())];
    let method = prop_oneof![prop::sample::select(vec!["GET", "POST", "PUT", "PATCH", "DELETE"]).prop_map(str::to_string), arb_string()];
    check((method, prop::collection::vec(segment, 0..6), query, auth, body, any::<u64>(), any::<bool>()), |(method, segs, query, auth, body, now, foreign)| {
        let origin = if foreign { "https://evil.example" } else { crate::providers::sandbox::server::ORIGIN };
        let qs = crate::codec::http::encode_query(&query.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Vec<_>>());
        let url = format!("{origin}/{}?{qs}", segs.iter().map(|s| crate::codec::http::segment(s)).collect::<Vec<_>>().join("/"));
        let mut headers = Map::new();
        if let Some(a) = auth {
            headers.insert("authorization".into(), json!(a));
        }
        tally.hit("sandbox_respond");
        let r = crate::providers::sandbox::server::respond(&method, &url, &headers, &body, now);
        prop_assert!((200..600).contains(&r.status), "{}", r.status);
        prop_assert!(serde_json::from_str::<Value>(&r.body).is_ok(), "{}", r.body);
        // The facade's JSON-in variant.
        let v = crate::facade::api::sandbox_respond(&json!({"method": method, "url": url, "headers": headers, "body": body}), now);
        prop_assert!(v["status"].is_u64());
        Ok(())
    });
    tally.assert_each("sandbox", &["sandbox_respond"]);
}

/// Passthrough requests from arbitrary paths, headers, queries and bodies: a
/// structured error or a planned request on the provider's hosts with a clean URL,
/// and no credential in the plan.
#[test]
fn passthrough_never_panics_or_leaves_the_hosts() {
    let tally = Tally::default();
    let planned = std::cell::Cell::new(0usize);
    let names: Vec<&str> = PROVIDERS.iter().map(|p| p.name).collect();
    let piece = prop_oneof![
        3 => arb_string(),
        2 => prop::sample::select(vec!["/", "//", "..", ".", "%2e%2e", "%2E.", "%", "%2f", "http://evil.example", "\r\n", "?x=1", "#f", "\\", "@evil", ":443", "v1", "users", "~x"]).prop_map(str::to_string),
    ];
    // Half hostile (any pieces), half well formed (so real plans are checked too).
    let path = prop_oneof![
        1 => prop::collection::vec(piece, 0..5).prop_map(|parts| parts.concat()),
        1 => prop::collection::vec("[a-zA-Z0-9_~-]{1,8}", 1..4).prop_map(|segs| format!("/{}", segs.join("/"))),
    ];
    let method = prop::sample::select(vec!["GET", "POST", "PUT", "PATCH", "DELETE", "get", "TRACE", ""]);
    let headers = prop_oneof![
        2 => prop::collection::btree_map("[a-z-]{1,10}", "[ -~]{0,12}", 0..3).prop_map(|m| json!(m)),
        1 => prop::collection::btree_map(arb_string(), arb_string(), 0..3).prop_map(|m| json!(m)),
        1 => arb_json(),
    ];
    let query = prop_oneof![2 => prop::collection::btree_map("[a-z]{1,6}", arb_string(), 0..3).prop_map(|m| json!(m)), 1 => arb_json()];
    let body = prop_oneof![2 => Just(Value::Null), 1 => arb_json()];
    check((prop::sample::select(names), method, path, headers, query, body), |(provider, method, path, headers, query, body)| {
        let account = account_for(provider);
        let forms = secret_forms(&account, &[]);
        let input = json!({"account": account, "passthrough": {"method": method, "path": path, "headers": headers, "query": query, "body": body}});
        tally.hit("passthrough");
        match crate::facade::api::plan(input, T0) {
            Ok(v) => {
                planned.set(planned.get() + 1);
                check_requests(provider, &v["requests"])?;
                let t = v.to_string();
                prop_assert!(!forms.iter().any(|f| t.contains(f.as_str())), "plan shows a secret: {}", t);
            }
            Err(e) => check_error_shape(&e)?,
        }
        Ok(())
    });
    tally.assert_each("passthrough", &["passthrough"]);
    // The host check above ran on real plans, not only on refusals.
    assert!(planned.get() >= 500, "only {} passthroughs were planned", planned.get());
}
