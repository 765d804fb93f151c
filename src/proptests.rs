//! Property tests over the public entry points: arbitrary JSON requests, queries,
//! cursors and provider responses never panic and always end in a result or the
//! structured error shape.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use crate::http::HttpResponse;
use crate::operation::{Operation, StartInput, Step};
use crate::providers::PROVIDERS;

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
        prop_oneof![Just("2024-06-15T10:00:00Z"), Just("../x?y#z"), Just("a\r\nb"), Just("__proto__"), Just("")].prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    "\\PC{0,8}",
                    Just("id".to_string()), Just("candidate_id".to_string()), Just("body".to_string()), Just("visibility".to_string()),
                    Just("engagement_type".to_string()), Just("created_at".to_string()), Just("next_cursor".to_string()), Just("limit".to_string()),
                    Just("results".to_string()), Just("data".to_string()), Just("success".to_string()), Just("__proto__".to_string()),
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

fn arb_target() -> impl Strategy<Value = (String, String, String, String)> {
    let providers: Vec<String> = PROVIDERS.iter().map(|p| p.name.to_string()).chain(["nope".to_string()]).collect();
    (
        prop::sample::select(providers),
        prop::sample::select(vec!["ats".to_string(), "crm".to_string(), "x".to_string()]),
        prop::sample::select(vec!["activities".to_string(), "interviews".to_string(), "engagements".to_string()]),
        prop::sample::select(vec!["create".to_string(), "list".to_string(), "get".to_string(), "delete".to_string(), "update".to_string()]),
    )
}

fn check_error_shape(e: &crate::Error) {
    let j = e.to_json();
    assert!(j["statusCode"].as_u64().is_some_and(|s| (400..600).contains(&s)), "{j}");
    assert!(j["error"].is_string() && j["message"].is_string() && j["code"].is_string() && j["details"].is_array(), "{j}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, ..ProptestConfig::default() })]

    /// Start, then feed arbitrary responses: every path ends in Done or a shaped error.
    #[test]
    fn operations_never_panic(target in arb_target(), body in arb_json(), query in arb_json(), id in proptest::option::of("\\PC{0,10}"),
                              responses in prop::collection::vec((prop_oneof![Just(200u16), Just(201), Just(204), Just(400), Just(404), Just(429), Just(500), 100u16..600], arb_json(), any::<bool>()), 1..4)) {
        let (provider, model, resource, method) = target;
        let input: StartInput = match StartInput::from_json(&json!({
            "account": { "id": "a", "provider": provider, "credentials": { "api_key": "k-secret", "access_token": "t-secret" }, "context": { "company_id": "1", "subdomain": "acme" } },
            "model": model, "resource": resource, "method": method, "id": id, "body": body, "query": query,
        })) { Ok(i) => i, Err(_) => return Ok(()) };
        match Operation::start(input, 1_700_000_000_000) {
            Err(e) => check_error_shape(&e),
            Ok((mut op, mut step)) => {
                let mut now = 1_700_000_000_000u64;
                for (status, body, garbage) in responses {
                    step = match step {
                        Step::Done(_) => match op.next_page(now) { Ok(s) => s, Err(e) => { check_error_shape(&e); break; } },
                        Step::Wait { until_ms, .. } => { now = until_ms; match op.resume(now) { Ok(s) => s, Err(e) => { check_error_shape(&e); break; } } }
                        Step::Send(_) => {
                            let text = if garbage { format!("{{{body}") } else { body.to_string() };
                            match op.handle_response(HttpResponse::new(status, text).with_header("link", "<https://evil.example/x?page=2>; rel=\"next\""), now) {
                                Ok(s) => s,
                                Err(e) => { check_error_shape(&e); break; }
                            }
                        }
                    };
                }
            }
        }
    }

    #[test]
    fn cursors_and_queries_never_panic(cursor in "\\PC{0,200}", qs in "\\PC{0,200}") {
        let _ = crate::cursor::decode(&cursor, "sandbox", "ats", "interviews");
        let parsed = crate::query::parse_query_string(&qs);
        let _ = crate::query::UnifiedQuery::from_json(&parsed);
        let _ = crate::api::validate(&json!({"provider": "sandbox", "model": "ats", "resource": "interviews", "method": "list", "query": parsed}));
    }

    #[test]
    fn plan_and_validate_never_panic(target in arb_target(), body in arb_json(), query in arb_json()) {
        let (provider, model, resource, method) = target;
        let v = crate::api::validate(&json!({"provider": provider, "model": model, "resource": resource, "method": method, "body": body, "query": query}));
        prop_assert!(v["valid"].is_boolean());
        let r = crate::api::plan(json!({"account": {"provider": provider}, "model": model, "resource": resource, "method": method, "body": body, "query": query}), 0);
        if let Err(e) = r { check_error_shape(&e); }
    }
}

#[test]
fn deep_nesting_and_huge_inputs_fail_cleanly() {
    let deep = "[".repeat(1000) + &"]".repeat(1000);
    let text = format!("{{\"account\":{{\"provider\":\"sandbox\"}},\"model\":\"ats\",\"resource\":\"activities\",\"method\":\"create\",\"body\":{deep}}}");
    let err = crate::api::parse_input(&text).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    let huge = "x".repeat(crate::api::MAX_INPUT_BYTES + 1);
    assert_eq!(crate::api::parse_input(&huge).unwrap_err().status(), 413);
}
