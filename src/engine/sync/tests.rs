use serde_json::{json, Value};

use super::*;
use crate::tests::support::{fixture, T0};

const TOKEN: &str = "AQV-secret-token-123";
const BASE: &str = "https://api.linkedin.com/v2/atsApplications/atsJobApplicationId=";
const KEY_TAIL: &str = "&dataProvider=ATS&integrationContext=urn%3Ali%3Aorganization%3A123/notes?";

fn account() -> Value {
    json!({"id": "acc", "provider": "linkedin", "credentials": {"access_token": TOKEN}, "context": {"organization_urn": "urn:li:organization:123"}})
}

fn note(app: &str, id: &str) -> Value {
    json!({"application_id": app, "id": id, "body": format!("note {id}"), "created_at": "2017-01-19T22:16:27Z", "author": {"first_name": "Angela", "last_name": "Smith"}})
}

fn notes(app: &str, n: usize) -> Vec<Value> {
    (0..n).map(|i| note(app, &format!("N{i}"))).collect()
}

fn sync_input(records: Vec<Value>, options: Value) -> SyncInput {
    SyncInput::from_json(&json!({"account": account(), "model": "ats", "resource": "activities", "records": records, "options": options})).unwrap()
}

/// A sent request, as the fake server saw it.
#[derive(Debug, Clone)]
struct Seen {
    at: u64,
    app_and_query: String,
    ids: Vec<String>,
    body: Value,
}

/// Runs a sync to its report on a fake clock. Each request is answered by
/// `answer`; `None` means no response (a transport error).
fn run(input: SyncInput, start: u64, mut answer: impl FnMut(&Seen, usize) -> Option<HttpResponse>) -> (Vec<Seen>, Value) {
    let mut now = start;
    let mut seen = Vec::new();
    let (mut op, mut step) = SyncOperation::start(input, now).unwrap();
    for _ in 0..2000 {
        step = match step {
            Step::Record(r) => { step = Step::Done(r.into_value()); continue; }
            Step::Page(p) => { step = Step::Done(p.into_value()); continue; }
            Step::Done(report) => return (seen, report),
            Step::Credentials(_) => panic!("a sync renews no token"),
            Step::Wait { until_ms, .. } => {
                assert!(until_ms > now, "waits must move forward");
                now = until_ms;
                op.resume(now).unwrap()
            }
            Step::Send(req) => {
                let rest = req.url.strip_prefix(BASE).expect("notes URL").to_string();
                let query = rest.split_once("/notes?").map(|(_, q)| q).unwrap_or("");
                let ids = query.split('&').filter_map(|p| p.strip_prefix("ids=")).map(String::from).collect();
                let s = Seen { at: now, app_and_query: rest, ids, body: req.body_json().cloned().unwrap_or(Value::Null) };
                assert_eq!(req.headers["authorization"], format!("Bearer {TOKEN}"));
                assert_eq!(req.headers["x-restli-method"], "batch_update");
                let resp = answer(&s, seen.len());
                seen.push(s);
                now += 10;
                match resp {
                    Some(r) => op.handle_response(r, now).unwrap(),
                    None => op.handle_transport_error("connection reset", now).unwrap(),
                }
            }
        };
    }
    panic!("sync did not finish");
}

/// 200 with every id of the request synced.
fn all_ok(s: &Seen) -> HttpResponse {
    let results: serde_json::Map<String, Value> = s.body["entities"].as_object().unwrap().keys().map(|k| (k.clone(), json!({"status": 204}))).collect();
    HttpResponse::new(200, json!({"errors": {}, "results": results}).to_string())
}

fn ok_server(s: &Seen, _: usize) -> Option<HttpResponse> {
    Some(all_ok(s))
}

fn indexes(report: &Value, list: &str) -> Vec<u64> {
    report[list].as_array().unwrap().iter().map(|l| l["index"].as_u64().unwrap()).collect()
}

fn assert_accounted(report: &Value, total: usize) {
    let mut all: Vec<u64> = ["synced", "failed", "not_sent"].iter().flat_map(|l| indexes(report, l)).collect();
    all.sort();
    assert_eq!(all, (0..total as u64).collect::<Vec<_>>(), "every record exactly once");
    let c = &report["counts"];
    assert_eq!(c["synced"].as_u64().unwrap() + c["failed"].as_u64().unwrap() + c["not_sent"].as_u64().unwrap(), total as u64);
    assert!(!report.to_string().contains(TOKEN));
}

#[test]
fn chunks_of_at_most_100_in_the_callers_order() {
    for (n, sizes) in [(0, vec![]), (1, vec![1]), (100, vec![100]), (101, vec![100, 1]), (250, vec![100, 100, 50])] {
        let (seen, report) = run(sync_input(notes("APP", n), json!({})), T0, ok_server);
        assert_eq!(seen.iter().map(|s| s.ids.len()).collect::<Vec<_>>(), sizes, "{n} records");
        let sent: Vec<String> = seen.iter().flat_map(|s| s.ids.clone()).collect();
        assert_eq!(sent, (0..n).map(|i| format!("N{i}")).collect::<Vec<_>>(), "order kept for {n}");
        for s in &seen {
            let mut body_keys: Vec<&String> = s.body["entities"].as_object().unwrap().keys().collect();
            let mut ids: Vec<&String> = s.ids.iter().collect();
            body_keys.sort();
            ids.sort();
            assert_eq!(body_keys, ids, "entities keys are the ids of the URL");
        }
        assert_eq!(report["counts"], json!({"synced": n, "failed": 0, "not_sent": 0}));
        assert_eq!(report["complete"], true);
        assert_eq!(report["requests"], sizes.len());
        assert_eq!(indexes(&report, "synced"), (0..n as u64).collect::<Vec<_>>());
        assert_accounted(&report, n);
    }
}

#[test]
fn records_are_grouped_per_application_in_first_seen_order() {
    let records = vec![note("A", "1"), note("B", "2"), note("A", "3"), note("C", "4"), note("B", "5")];
    let (seen, report) = run(sync_input(records, json!({})), T0, ok_server);
    let plan: Vec<(String, Vec<String>)> = seen.iter().map(|s| (s.app_and_query.split('&').next().unwrap().to_string(), s.ids.clone())).collect();
    assert_eq!(plan, vec![("A".into(), vec!["1".into(), "3".into()]), ("B".into(), vec!["2".into(), "5".into()]), ("C".into(), vec!["4".into()])]);
    assert_eq!(report["synced"][1], json!({"index": 1, "id": "2", "application_id": "B", "status": 204}));
}

#[test]
fn request_matches_the_documented_example() {
    let doc = fixture("linkedin/doc.application_notes.batch_update.request.json");
    let mut a = note("APP-1", "APPL_NOTE123");
    a["body"] = json!("Lorem Ipsum.");
    let b = json!({"application_id": "APP-1", "id": "APPL_NOTE456", "body": "Lorem Ipsum moreum.", "created_at": "2017-01-19T22:16:27+00:00", "author": {"first_name": "Bobby", "last_name": "Hill"}});
    let resp = fixture("linkedin/doc.application_notes.batch_update.response.json");
    let (seen, report) = run(sync_input(vec![a, b], json!({})), T0, |_, _| Some(HttpResponse::new(200, resp.to_string())));
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].app_and_query, format!("APP-1{KEY_TAIL}ids=APPL_NOTE123&ids=APPL_NOTE456"));
    assert_eq!(seen[0].body, doc);
    assert_eq!(report["counts"]["synced"], 2);
}

#[test]
fn ids_and_keys_with_special_characters_are_encoded_once() {
    let records = vec![note("APP 1/2&x=y+z", "n&ids=x"), note("APP 1/2&x=y+z", "50%,ä")];
    let (seen, _) = run(sync_input(records, json!({})), T0, ok_server);
    assert_eq!(seen[0].app_and_query, format!("APP%201%2F2%26x%3Dy%2Bz{KEY_TAIL}ids=n%26ids%3Dx&ids=50%25%2C%C3%A4"));
    // Body keys stay raw (Rest.li 1.0 writes simple keys unescaped).
    assert!(seen[0].body["entities"].get("n&ids=x").is_some());
    assert!(seen[0].body["entities"].get("50%,ä").is_some());
}

#[test]
fn per_entity_results_fail_only_their_records() {
    let records = notes("APP", 4);
    let resp = json!({
        "results": {"N0": {"status": 204}, "N3": {"status": 204}},
        "errors": {"N1": {"status": 400, "code": "INPUT_VALIDATION_FAILED", "message": "note too long"}, "N2": {"status": 404, "message": "application not found", "serviceErrorCode": 100}}
    });
    let (seen, report) = run(sync_input(records, json!({})), T0, |_, _| Some(HttpResponse::new(200, resp.to_string())));
    assert_eq!(seen.len(), 1, "non-retryable entity failures are not resent");
    assert_eq!(indexes(&report, "synced"), vec![0, 3]);
    assert_eq!(
        report["failed"],
        json!([
            {"index": 1, "id": "N1", "application_id": "APP", "status": 400, "code": "remote_error", "message": "note too long", "provider_code": "INPUT_VALIDATION_FAILED", "retryable": false, "remote": resp["errors"]["N1"]},
            {"index": 2, "id": "N2", "application_id": "APP", "status": 404, "code": "remote_error", "message": "application not found", "provider_code": 100, "retryable": false, "remote": resp["errors"]["N2"]}
        ])
    );
    assert_eq!(report["complete"], false);
    assert_accounted(&report, 4);
}

#[test]
fn validation_happens_first_and_only_valid_records_are_sent() {
    let mut no_last = note("A", "2");
    no_last["author"] = json!({"first_name": "Angela"});
    let mut bad_date = note("A", "3");
    bad_date["created_at"] = json!("2024-06-15T10:00:00");
    let mut no_id = note("A", "x");
    no_id.as_object_mut().unwrap().remove("id");
    let records = vec![note("A", "1"), no_last, bad_date, no_id, json!("nope"), note("B", "dup"), note("A", "5"), note("B", "dup"), note("A", "dup")];
    let (seen, report) = run(sync_input(records, json!({})), T0, ok_server);
    assert_eq!(seen.len(), 1, "B had only its duplicated note, so nothing is sent for B");
    assert_eq!(seen[0].ids, vec!["1", "5", "dup"], "A's valid notes; A/dup is not a duplicate of B/dup");
    let not_sent = report["not_sent"].as_array().unwrap();
    let by_index = |i: u64| not_sent.iter().find(|l| l["index"] == i).unwrap().clone();
    assert_eq!(by_index(1)["issues"][0]["field"], "records[1].author.last_name");
    assert_eq!(by_index(2)["issues"][0]["field"], "records[2].created_at");
    assert_eq!(by_index(2)["issues"][0]["code"], "invalid_datetime");
    assert_eq!(by_index(3)["issues"][0]["field"], "records[3].id");
    assert_eq!(by_index(3)["application_id"], "A");
    assert_eq!(by_index(4)["issues"][0]["field"], "records[4]");
    for i in [5, 7] {
        let line = by_index(i);
        assert_eq!(line["reason"], "validation");
        assert_eq!(line["issues"][0]["code"], "duplicate");
        assert_eq!(line["issues"][0]["meta"]["indexes"], json!([5, 7]));
    }
    assert_eq!(indexes(&report, "synced"), vec![0, 6, 8]);
    assert_accounted(&report, 9);
}

#[test]
fn a_429_waits_for_retry_after_and_resends_only_that_batch() {
    let mut calls = 0;
    let (seen, report) = run(sync_input(notes("APP", 150), json!({})), T0, |s, _| {
        calls += 1;
        if calls == 2 {
            Some(HttpResponse::new(429, r#"{"status":429,"message":"Resource level throttle limit"}"#).with_header("Retry-After", "7"))
        } else {
            Some(all_ok(s))
        }
    });
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[1].ids, seen[2].ids, "the throttled batch is resent whole (nothing in it was confirmed)");
    assert_eq!(seen[2].at, seen[1].at + 10 + 7_000, "Retry-After honoured");
    assert_eq!(report["counts"], json!({"synced": 150, "failed": 0, "not_sent": 0}));
    assert_eq!(report["requests"], 3);
    assert_eq!(report["budget"]["requests_today"], 3);
}

#[test]
fn a_429_longer_than_the_callers_limit_stops_with_retry_at() {
    let (seen, report) = run(sync_input(notes("APP", 150), json!({"max_wait_ms": 5000})), T0, |s, i| {
        Some(if i == 1 { HttpResponse::new(429, "{}").with_header("retry-after", "3600") } else { all_ok(s) })
    });
    assert_eq!(seen.len(), 2);
    let retry_at = T0 + 10 + 10 + 3_600_000;
    assert_eq!(report["stopped"], json!({"reason": "budget_exhausted", "window": "provider_429", "retry_at_ms": retry_at, "retry_at": "2026-01-01T01:00:00.020Z"}));
    assert_eq!(indexes(&report, "synced"), (0..100).collect::<Vec<_>>());
    assert_eq!(indexes(&report, "not_sent"), (100..150).collect::<Vec<_>>());
    assert_eq!(report["not_sent"][0]["reason"], "budget_exhausted");
    assert_accounted(&report, 150);
}

#[test]
fn transient_entity_failures_are_resent_alone_and_confirmed_records_never_again() {
    let mut records = notes("A", 3);
    records.push(note("B", "b1"));
    let (seen, report) = run(sync_input(records, json!({})), T0, |s, i| {
        Some(match i {
            0 => HttpResponse::new(200, json!({"results": {"N0": {"status": 204}, "N2": {"status": 204}}, "errors": {"N1": {"status": 503, "message": "busy"}}}).to_string()),
            _ => all_ok(s),
        })
    });
    assert_eq!(seen.iter().map(|s| s.ids.clone()).collect::<Vec<_>>(), vec![vec!["N0", "N1", "N2"], vec!["N1"], vec!["b1"]]);
    assert_eq!(seen[1].body["entities"].as_object().unwrap().len(), 1);
    assert!(seen[1].at >= seen[0].at + 10 + 500, "backoff before the resend");
    assert_eq!(report["counts"], json!({"synced": 4, "failed": 0, "not_sent": 0}));
    // A record that keeps failing transiently fails after the retry policy's attempts.
    let (seen, report) = run(sync_input(notes("A", 2), json!({})), T0, |_, _| {
        Some(HttpResponse::new(200, json!({"results": {"N0": {"status": 204}}, "errors": {"N1": {"status": 503}}}).to_string()))
    });
    assert_eq!(seen.len(), 4);
    assert!(seen[1..].iter().all(|s| s.ids == vec!["N1"]));
    assert_eq!(report["failed"][0]["index"], 1);
    assert_eq!(report["failed"][0]["retryable"], true);
    assert_accounted(&report, 2);
}

#[test]
fn server_errors_retry_the_batch_then_fail_it_and_move_on() {
    let (seen, report) = run(sync_input(vec![note("A", "1"), note("B", "2")], json!({})), T0, |s, _| {
        Some(if s.app_and_query.starts_with("A&") { HttpResponse::new(500, r#"{"message":"Internal Server Error","status":500}"#) } else { all_ok(s) })
    });
    assert_eq!(seen.len(), 5, "4 attempts for A, then B");
    assert_eq!(report["failed"][0]["status"], 500);
    assert_eq!(report["failed"][0]["retryable"], true);
    assert_eq!(indexes(&report, "synced"), vec![1]);
    let (seen, report) = run(sync_input(vec![note("A", "1"), note("B", "2")], json!({})), T0, |s, _| Some(if s.app_and_query.starts_with("A&") { HttpResponse::new(200, "<html>") } else { all_ok(s) }));
    assert_eq!(seen.len(), 2);
    assert_eq!(report["failed"][0]["code"], "protocol_error");
}

#[test]
fn auth_failures_abort_the_rest() {
    let (seen, report) = run(sync_input(notes("A", 150), json!({})), T0, |_, _| Some(HttpResponse::new(401, json!({"message": format!("Invalid access token {TOKEN}"), "serviceErrorCode": 65600, "status": 401}).to_string())));
    assert_eq!(seen.len(), 1);
    assert_eq!(report["counts"], json!({"synced": 0, "failed": 100, "not_sent": 50}));
    assert_eq!(report["stopped"]["reason"], "aborted");
    assert_eq!(report["stopped"]["error"]["statusCode"], 401);
    assert_eq!(report["not_sent"][0]["reason"], "aborted");
    assert_accounted(&report, 150);
}

#[test]
fn lost_responses_are_retried_then_abort() {
    let (seen, report) = run(sync_input(notes("A", 150), json!({})), T0, |s, i| if i == 0 { None } else if i == 1 { Some(all_ok(s)) } else { None });
    assert_eq!(seen[0].ids, seen[1].ids);
    assert_eq!(seen.len(), 2 + 4);
    assert_eq!(report["counts"], json!({"synced": 100, "failed": 50, "not_sent": 0}));
    assert_eq!(report["failed"][0]["code"], "network_error");
    assert_eq!(report["stopped"]["error"]["code"], "network_error");
}

#[test]
fn minute_budget_waits_inside_the_callers_limit() {
    let opts = json!({"limits": {"requests_per_day": 1000, "records_per_minute": 30}});
    let (seen, report) = run(sync_input(notes("A", 70), opts), T0, ok_server);
    assert_eq!(seen.iter().map(|s| s.ids.len()).collect::<Vec<_>>(), vec![30, 30, 10], "batches cut to the minute limit");
    assert_eq!(seen[1].at, seen[0].at + 60_000);
    assert_eq!(seen[2].at, seen[1].at + 60_000);
    assert_eq!(report["counts"]["synced"], 70);
}

#[test]
fn no_wait_stops_with_precise_not_sent_and_resumes_from_saved_state() {
    let opts = json!({"limits": {"requests_per_day": 1000, "records_per_minute": 30}, "wait": false});
    let (seen, first) = run(sync_input(notes("A", 70), opts.clone()), T0, ok_server);
    assert_eq!(seen.len(), 1);
    assert_eq!(indexes(&first, "synced"), (0..30).collect::<Vec<_>>());
    assert_eq!(indexes(&first, "not_sent"), (30..70).collect::<Vec<_>>());
    assert_eq!(first["stopped"]["window"], "records_per_minute");
    assert_eq!(first["stopped"]["retry_at_ms"], T0 + 60_000);
    assert_eq!(first["not_sent"][0]["retry_at_ms"], T0 + 60_000);
    assert_eq!(first["budget"], json!({"version": 1, "day_start_ms": T0, "requests_today": 1, "minute": [[T0, 30]]}));

    // A later run gets the saved budget and the records that were not sent.
    let rest: Vec<Value> = indexes(&first, "not_sent").iter().map(|&i| note("A", &format!("N{i}"))).collect();
    let mut opts2 = opts.clone();
    opts2["budget"] = first["budget"].clone();
    let (seen, early) = run(sync_input(rest.clone(), opts2.clone()), T0 + 30_000, ok_server);
    assert!(seen.is_empty(), "30 s later the minute is still spent");
    assert_eq!(early["counts"]["not_sent"], 40);
    let (seen, second) = run(sync_input(rest, opts2), T0 + 60_000, ok_server);
    assert_eq!(seen[0].ids[0], "N30");
    assert_eq!(seen.len(), 1);
    assert_eq!(second["counts"], json!({"synced": 30, "failed": 0, "not_sent": 10}));
    assert_eq!(second["budget"]["requests_today"], 2);
}

#[test]
fn daily_budget_stops_until_utc_midnight() {
    let opts = json!({"limits": {"requests_per_day": 2, "records_per_minute": 10000}});
    let (seen, report) = run(sync_input(notes("A", 250), opts), T0 + 3_600_000, ok_server);
    assert_eq!(seen.len(), 2);
    assert_eq!(report["stopped"]["window"], "requests_per_day");
    assert_eq!(report["stopped"]["retry_at"], "2026-01-02T00:00:00Z");
    assert_eq!(indexes(&report, "not_sent"), (200..250).collect::<Vec<_>>());
    assert_accounted(&report, 250);
}

#[test]
fn abort_reports_in_flight_and_unsent_records() {
    let (mut op, step) = SyncOperation::start(sync_input(notes("A", 150), json!({})), T0).unwrap();
    assert!(matches!(step, Step::Send(_)));
    let Step::Done(report) = op.abort("shutting down").unwrap() else { panic!() };
    assert_eq!(report["counts"], json!({"synced": 0, "failed": 100, "not_sent": 50}));
    assert_eq!(report["failed"][0]["code"], "aborted_in_flight");
    assert_eq!(report["stopped"]["error"]["code"], "aborted");
    assert!(op.abort("again").is_err());
    assert!(op.resume(T0).is_err());
}

#[test]
fn start_errors_send_nothing() {
    let err = |input: Value| SyncOperation::start(SyncInput::from_json(&input).unwrap(), T0).err().unwrap().to_json();
    let base = json!({"account": account(), "model": "ats", "resource": "activities", "records": []});
    let mut x = base.clone();
    x["account"]["provider"] = json!("ashby");
    assert_eq!(err(x)["code"], "unsupported_operation");
    let mut x = base.clone();
    x["account"]["context"] = json!({"organization_urn": "urn:li:person:1"});
    assert_eq!(err(x)["details"][0]["field"], "account.context.organization_urn");
    let mut x = base.clone();
    x["records"] = json!({});
    assert_eq!(err(x)["details"][0]["field"], "records");
    let mut x = base.clone();
    x["options"] = json!({"budget": {"nope": 1}});
    assert_eq!(err(x)["details"][0]["field"], "options.budget");
    let mut x = base.clone();
    x["query"] = json!({"application_id": "A"});
    assert_eq!(err(x)["details"][0]["field"], "query.application_id");
    assert!(SyncInput::from_json(&json!({"account": account(), "model": "ats", "resource": "activities", "records": [], "options": {"wiat": false}})).is_err());
}

/// A LinkedIn account with client credentials only: the 2-legged token comes first,
/// is handed to the driver, and a 401 mid-sync renews it once and resends the batch.
#[test]
fn a_client_credentials_sync_gets_its_token_first_and_renews_once_on_a_401() {
    let acc = json!({"id": "acc", "provider": "linkedin", "credentials": {"client_id": "li-app", "client_secret": "li-secret-value-9"}, "context": {"organization_urn": "urn:li:organization:123"}});
    let input = SyncInput::from_json(&json!({"account": acc, "model": "ats", "resource": "activities", "records": notes("A1", 150)})).unwrap();
    let (mut op, mut step) = SyncOperation::start(input, T0).unwrap();
    let (mut tokens, mut saved, mut batches, mut refused) = (0, Vec::new(), 0, false);
    for _ in 0..100 {
        step = match step {
            Step::Record(r) => { step = Step::Done(r.into_value()); continue; }
            Step::Page(p) => { step = Step::Done(p.into_value()); continue; }
            Step::Done(report) => {
                assert_eq!(report["counts"]["synced"], 150, "{report}");
                assert!(!report.to_string().contains("li-secret-value-9"));
                assert_eq!((tokens, saved.len(), batches), (2, 2, 2), "token, batch, 401, token, the batch again");
                return;
            }
            Step::Credentials(c) => {
                saved.push(c);
                op.resume(T0).unwrap()
            }
            Step::Wait { until_ms, .. } => op.resume(until_ms).unwrap(),
            Step::Send(req) if req.url == "https://www.linkedin.com/oauth/v2/accessToken" => {
                assert!(op.sending_token_request());
                tokens += 1;
                op.handle_response(HttpResponse::new(200, format!(r#"{{"access_token":"li-token-{tokens}","expires_in":"1800"}}"#)), T0).unwrap()
            }
            Step::Send(req) => {
                let token = req.headers["authorization"].clone();
                if token == "Bearer li-token-1" && batches == 1 && !refused {
                    refused = true;
                    op.handle_response(HttpResponse::new(401, r#"{"status":401,"message":"Expired token"}"#), T0).unwrap()
                } else {
                    batches += 1;
                    let ids: Vec<String> = req.url.split(['&', '?']).filter_map(|p| p.strip_prefix("ids=")).map(String::from).collect();
                    let results: serde_json::Map<String, Value> = ids.iter().map(|k| (k.clone(), json!({"status": 204}))).collect();
                    op.handle_response(HttpResponse::new(200, json!({"errors": {}, "results": results}).to_string()), T0).unwrap()
                }
            }
        };
    }
    panic!("sync did not finish");
}

/// A token whose lifetime is inside the renewal margin is used, not renewed again
/// before every batch forever (review finding).
#[test]
fn a_short_lived_token_does_not_make_the_sync_loop_on_renewals() {
    let acc = json!({"id": "acc", "provider": "linkedin", "credentials": {"client_id": "li-app", "client_secret": "li-secret-value-9"}, "context": {"organization_urn": "urn:li:organization:123"}});
    let input = SyncInput::from_json(&json!({"account": acc, "model": "ats", "resource": "activities", "records": notes("A1", 250)})).unwrap();
    let (mut op, mut step) = SyncOperation::start(input, T0).unwrap();
    let (mut tokens, mut batches) = (0, 0);
    for _ in 0..100 {
        step = match step {
            Step::Record(r) => { step = Step::Done(r.into_value()); continue; }
            Step::Page(p) => { step = Step::Done(p.into_value()); continue; }
            Step::Done(report) => {
                assert_eq!(report["counts"]["synced"], 250, "{report}");
                assert!(tokens <= batches, "{tokens} renewals for {batches} batches");
                return;
            }
            Step::Credentials(_) => op.resume(T0).unwrap(),
            Step::Wait { until_ms, .. } => op.resume(until_ms).unwrap(),
            Step::Send(req) if req.url.ends_with("/accessToken") => {
                tokens += 1;
                op.handle_response(HttpResponse::new(200, r#"{"access_token":"li-short","expires_in":"60"}"#), T0).unwrap()
            }
            Step::Send(req) => {
                batches += 1;
                let ids: Vec<String> = req.url.split(['&', '?']).filter_map(|p| p.strip_prefix("ids=")).map(String::from).collect();
                let results: serde_json::Map<String, Value> = ids.iter().map(|k| (k.clone(), json!({"status": 204}))).collect();
                op.handle_response(HttpResponse::new(200, json!({"errors": {}, "results": results}).to_string()), T0).unwrap()
            }
        };
    }
    panic!("the sync did not finish: {tokens} token requests");
}
