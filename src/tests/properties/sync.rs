//! The LinkedIn bulk sync (`crate::engine::sync`): arbitrary records and options, then any
//! sequence of batch answers, transport errors, resumes and aborts. Every report
//! accounts for each input record exactly once.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::codec::http::HttpResponse;
use crate::tests::security::{header_problem_of, url_problems};
use crate::engine::sync::{SyncInput, SyncOperation};
use crate::tests::support::T0;
use crate::engine::step::Machine;

fn note(i: usize, app: usize) -> Value {
    json!({"application_id": format!("app-{app}"), "id": format!("n{i}"), "body": "Strong onsite", "created_at": "2017-01-19T22:16:27Z", "author": {"first_name": "Ada", "last_name": "Lovelace"}})
}

fn arb_records() -> impl Strategy<Value = Value> {
    let record = prop_oneof![
        4 => (0usize..500, 0usize..4).prop_map(|(i, app)| note(i, app)),
        2 => (0usize..500, 0usize..4, any::<usize>(), arb_json()).prop_map(|(i, app, n, with)| {
            let mut r = note(i, app);
            replace_node(&mut r, n, with);
            r
        }),
        1 => arb_json(),
    ];
    prop_oneof![8 => prop::collection::vec(record, 0..12).prop_map(Value::Array), 1 => arb_json()]
}

fn arb_options() -> impl Strategy<Value = Value> {
    let limits = prop_oneof![Just(Value::Null), (0u64..5, 0u64..300).prop_map(|(d, m)| json!({"requests_per_day": d, "records_per_minute": m})), arb_json()];
    let budget = prop_oneof![3 => Just(Value::Null), 1 => (0u64..3_000_000_000_000, 0u64..10).prop_map(|(d, n)| json!({"day_start_ms": d, "requests_today": n, "minute": [[d, n]]})), 1 => arb_json()];
    prop_oneof![
        6 => (limits, budget, proptest::option::of(any::<bool>()), proptest::option::of(0u64..200_000)).prop_map(|(l, b, w, m)| {
            let mut o = json!({});
            if !l.is_null() { o["limits"] = l; }
            if !b.is_null() { o["budget"] = b; }
            if let Some(w) = w { o["wait"] = json!(w); }
            if let Some(m) = m { o["max_wait_ms"] = json!(m); }
            o
        }),
        1 => arb_json(),
    ]
}

#[derive(Debug, Clone)]
enum Answer {
    /// A Rest.li batch answer for the ids in the request, one status each.
    Batch(Vec<u16>),
    Json(Value),
    Text(String),
}

#[derive(Debug, Clone)]
enum Action {
    Respond(u16, Answer, Option<String>),
    Transport(String),
    Resume(u64),
    Abort(String),
}

fn arb_action() -> impl Strategy<Value = Action> {
    let status = prop_oneof![6 => Just(200u16), 1 => Just(207), 1 => Just(400), 1 => Just(401), 2 => Just(429), 1 => Just(500), 1 => Just(503), 1 => any::<u16>()];
    let answer = prop_oneof![
        4 => prop::collection::vec(prop_oneof![4 => Just(200u16), 2 => Just(201), 1 => Just(400), 1 => Just(422), 1 => Just(429), 1 => Just(500), 1 => any::<u16>()], 0..12).prop_map(Answer::Batch),
        1 => arb_json().prop_map(Answer::Json),
        1 => ".{0,20}".prop_map(Answer::Text),
    ];
    let retry = proptest::option::of(prop_oneof![Just("1".to_string()), Just("3600".to_string()), arb_string()]);
    prop_oneof![
        8 => (status, answer, retry).prop_map(|(s, a, r)| Action::Respond(s, a, r)),
        1 => arb_string().prop_map(Action::Transport),
        2 => (0u64..200_000).prop_map(Action::Resume),
        1 => arb_string().prop_map(Action::Abort),
    ]
}

fn answer(a: &Answer, url: &str) -> String {
    match a {
        Answer::Batch(statuses) => {
            let ids: Vec<String> = url.split(['?', '&']).filter_map(|p| p.strip_prefix("ids=")).map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()).collect();
            let mut results = Map::new();
            let mut errors = Map::new();
            for (id, s) in ids.iter().zip(statuses.iter().cycle()) {
                if (200..300).contains(s) {
                    results.insert(id.clone(), json!({"status": s}));
                } else {
                    errors.insert(id.clone(), json!({"status": s, "message": "no"}));
                }
            }
            json!({"results": results, "errors": errors}).to_string()
        }
        Answer::Json(v) => v.to_string(),
        Answer::Text(t) => t.clone(),
    }
}

fn check_report(total: Option<usize>, step: &crate::Step) -> Result<(), TestCaseError> {
    if let crate::Step::Done(r) = step {
        let counted = ["synced", "failed", "not_sent"].iter().map(|k| r[*k].as_array().map_or(0, Vec::len)).sum::<usize>();
        prop_assert_eq!(Some(counted), total, "{}", r);
        let mut seen: Vec<u64> = ["synced", "failed", "not_sent"].iter().flat_map(|k| r[*k].as_array().cloned().unwrap_or_default()).filter_map(|l| l["index"].as_u64()).collect();
        seen.sort_unstable();
        seen.dedup();
        prop_assert_eq!(Some(seen.len()), total, "a record is reported twice or not at all: {}", r);
    }
    Ok(())
}

#[test]
fn sync_never_panics_and_accounts_for_every_record() {
    let tally = Tally::default();
    let token = "AQV-sync-secret-token";
    check((arb_records(), arb_options(), prop::collection::vec(arb_action(), 1..10), proptest::option::of(arb_string())), |(records, options, actions, urn)| {
        let total = records.as_array().map(Vec::len);
        let urn = urn.unwrap_or_else(|| "urn:li:organization:2414183".into());
        let input = json!({
            "account": {"id": "acc", "provider": "linkedin", "credentials": {"access_token": token}, "context": {"organization_urn": urn}},
            "model": "ats", "resource": "activities", "records": records, "options": options,
        });
        let mut now = T0;
        tally.hit("sync_start");
        let started = match SyncInput::from_json(&input) {
            Ok(input) => match SyncOperation::start(input, now) {
                Ok(x) => Some(x),
                Err(e) => {
                    check_error_shape(&e)?;
                    prop_assert!(!e.to_json().to_string().contains(token));
                    None
                }
            },
            Err(_) => None,
        };
        // Input that did not start: drive a valid sync instead, so every case
        // exercises the response side.
        let (total, (mut op, mut step)) = match started {
            Some(x) => (total, x),
            None => {
                let valid = json!({
                    "account": {"id": "acc", "provider": "linkedin", "credentials": {"access_token": token}, "context": {"organization_urn": "urn:li:organization:1"}},
                    "model": "ats", "resource": "activities", "records": [note(1, 1), note(2, 1), note(3, 2)],
                });
                tally.hit("sync_start");
                let input = SyncInput::from_json(&valid).map_err(|e| TestCaseError::fail(e.to_string()))?;
                (Some(3), SyncOperation::start(input, now).map_err(|e| TestCaseError::fail(e.to_string()))?)
            }
        };
        check_report(total, &step)?;
        let tail = [Action::Respond(200, Answer::Batch(vec![200, 429]), None), Action::Transport("reset".into()), Action::Resume(61_000), Action::Abort("end".into())];
        for action in actions.iter().chain(tail.iter()) {
            let url = match &step {
                crate::Step::Send(req) => {
                    prop_assert!(req.url.starts_with("https://api.linkedin.com/"), "{}", req.url);
                    prop_assert!(url_problems(&req.url).is_none(), "{:?}", url_problems(&req.url));
                    prop_assert!(header_problem_of(req).is_none());
                    req.url.clone()
                }
                _ => String::new(),
            };
            let out = match action {
                Action::Respond(status, a, retry) => {
                    tally.hit("sync_handle_response");
                    now += 10;
                    let mut resp = HttpResponse::new(*status, answer(a, &url).replace("$SECRET$", token));
                    if let Some(r) = retry {
                        resp = resp.with_header("retry-after", r);
                    }
                    op.handle_response(resp, now)
                }
                Action::Transport(reason) => {
                    tally.hit("sync_handle_transport_error");
                    op.handle_transport_error(&reason.replace("$SECRET$", token), now)
                }
                Action::Resume(advance) => {
                    tally.hit("sync_resume");
                    now += advance;
                    op.resume(now)
                }
                Action::Abort(reason) => {
                    tally.hit("sync_abort");
                    op.abort(&reason.replace("$SECRET$", token))
                }
            };
            tally.hit("sync_step_json");
            let text = crate::facade::api::step_json(Some(&op), out.clone());
            prop_assert!(serde_json::from_str::<Value>(&text).is_ok(), "{}", text);
            match out {
                Ok(s) => {
                    if let crate::Step::Wait { until_ms, .. } = &s {
                        now = now.max(*until_ms);
                    }
                    check_report(total, &s)?;
                    if !matches!(s, crate::Step::Send(_)) {
                        prop_assert!(!text.contains(token), "the token in {}", text);
                    }
                    step = s;
                }
                Err(e) => {
                    check_error_shape(&e)?;
                    prop_assert!(!e.to_json().to_string().contains(token));
                }
            }
        }
        Ok(())
    });
    tally.assert_each("sync", &["sync_start", "sync_handle_response", "sync_handle_transport_error", "sync_resume", "sync_abort", "sync_step_json"]);
}
