use super::*;
use crate::codec::doc::of;
use crate::tests::support::{drive_pages, fixture, input, Script, T0};

fn list_with(account: Value, query: Value, script: Script) -> (Vec<HttpRequest>, Result<Vec<Value>>) {
    drive_pages(input(account, "ats", "interviews", "list", None, Value::Null, query), script)
}

fn list(query: Value, script: Script) -> (Vec<HttpRequest>, Result<Vec<Value>>) {
    list_with(json!({"id": "acc", "provider": "fountain", "credentials": {"api_key": "fountain-private-key"}}), query, script)
}

fn slot(id: &str, end: &str, showed_up: Value) -> Value {
    json!({"id": id, "start_time": "2025-01-01T10:00:00Z", "end_time": end, "booked_time": "2024-12-01T10:00:00Z", "location": "", "recruiter": "", "instructions": "", "showed_up": showed_up, "stage_title": ""})
}

#[test]
fn booked_slots_map_to_interviews_of_the_candidate() {
    let body = fixture("fountain/schema.booked_slots.list.response.json");
    let (sent, pages) = list(json!({"candidate_id": "22222222-0000-0000-0000-000000000000"}), Script::ok(200, &body));
    let req = &sent[0];
    assert_eq!(req.method.as_str(), "GET");
    assert_eq!(req.url, "https://api.fountain.com/v2/applicants/22222222-0000-0000-0000-000000000000/booked_slots");
    assert_eq!(req.headers["x-access-token"], "fountain-private-key");
    assert!(req.sensitive.contains(&"x-access-token".to_string()));
    let page = &pages.unwrap()[0];
    assert!(page["next_cursor"].is_null());
    let mut first = page["result"][0].clone();
    assert_eq!(first["remote_data"], body["booked_slots"][0]);
    first.as_object_mut().unwrap().remove("remote_data");
    assert_eq!(
        first,
        json!({
            "id": "a1b2c3d4-0000-0000-0000-000000000001",
            "candidate": {"id": "22222222-0000-0000-0000-000000000000"},
            "application": null,
            "created_at": "2025-03-01T17:12:45Z",
            "updated_at": null,
            "start_at": "2025-03-04T18:30:00Z",
            "end_at": "2025-03-04T19:00:00Z",
            "location": "Zoom",
            "interviewers": [{"id": null, "name": "Jane Recruiter", "email": null}],
            "organizer": null,
            "job_interview_stage": {"id": null, "name": "Phone Interview"},
            "status": "completed"
        })
    );
    assert_eq!(page["result"][1]["status"], "scheduled", "ends in 2027, after the driver's clock");
    assert_eq!(page["result"][1]["location"], "123 Main St, Springfield");
}

#[test]
fn candidate_id_is_required_before_any_request() {
    let (sent, pages) = list(json!({}), Script::default());
    assert!(sent.is_empty());
    let e = pages.unwrap_err().to_json();
    assert_eq!(e["statusCode"], 400);
    assert_eq!(e["details"][0]["field"], "query.candidate_id");
    assert_eq!(e["details"][0]["code"], "required");
    let (sent, pages) = list(json!({"candidate_id": "c1", "application_id": "a1"}), Script::default());
    assert!(sent.is_empty());
    assert_eq!(pages.unwrap_err().to_json()["details"][0]["field"], "query.application_id");
}

#[test]
fn every_status_row_and_the_no_show() {
    let now = T0 + 1;
    let past = "2025-06-01T10:00:00Z";
    let future = "2026-06-01T10:00:00Z";
    assert_eq!(situation(of(&slot("s", past, json!(true))), now), Some("attended"));
    assert_eq!(situation(of(&slot("s", past, json!("TRUE"))), now), Some("attended"));
    assert_eq!(situation(of(&slot("s", past, json!("false"))), now), Some("no_show"));
    assert_eq!(situation(of(&slot("s", future, Value::Null)), now), Some("upcoming"));
    assert_eq!(situation(of(&slot("s", past, Value::Null)), now), Some("attendance_not_recorded"));
    assert_eq!(situation(of(&slot("s", "soon", Value::Null)), now), None);
    let slots = json!({"booked_slots": [
        slot("attended", past, json!(true)), slot("upcoming", future, Value::Null), slot("attendance_not_recorded", past, Value::Null),
        slot("no_show", past, json!(false)), slot("unknown", "", Value::Null)
    ]});
    let (_, pages) = list(json!({"candidate_id": "c1"}), Script::ok(200, &slots));
    let p = &pages.unwrap()[0];
    let result = p["result"].as_array().unwrap();
    for (situation, unified) in STATUS {
        let r = result.iter().find(|r| r["id"] == *situation).unwrap();
        assert_eq!(r["status"], *unified, "{situation}");
    }
    assert!(result[3]["status"].is_null() && result[4]["status"].is_null());
    let warnings = p["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "only the no-show is an unmapped status: {warnings:?}");
    assert_eq!(warnings[0]["field"], "result[3].status");
    assert!(result[4]["interviewers"] == json!([]) && result[4]["job_interview_stage"].is_null() && result[4]["location"].is_null());
}

#[test]
fn end_at_is_applied_by_crosswalk_and_reported() {
    let slots = json!({"booked_slots": [slot("early", "2025-01-01T11:00:00Z", Value::Null), slot("late", "2025-02-01T11:00:00Z", Value::Null)]});
    let (sent, pages) = list(json!({"candidate_id": "c1", "end_at": "2025-01-15T00:00:00Z"}), Script::ok(200, &slots));
    assert_eq!(sent[0].url, "https://api.fountain.com/v2/applicants/c1/booked_slots", "Fountain takes no filters");
    let p = &pages.unwrap()[0];
    assert_eq!(p["result_count"], 1);
    assert_eq!(p["result"][0]["id"], "early");
    assert_eq!(p["warnings"][0]["code"], "filter_applied_locally");
    assert_eq!(p["warnings"][0]["field"], "query.end_at");
}

#[test]
fn regional_accounts_and_errors() {
    let account = json!({"provider": "fountain", "credentials": {"api_key": "k1234"}, "context": {"region": "us-2"}});
    let (sent, _) = list_with(account, json!({"candidate_id": "c/1"}), Script::ok(200, &json!({"booked_slots": []})));
    assert_eq!(sent[0].url, "https://us-2.fountain.com/api/v2/applicants/c%2F1/booked_slots");
    let account = json!({"provider": "fountain", "credentials": {"api_key": "k1234"}, "context": {"region": "evil.com/x"}});
    let (sent, out) = list_with(account, json!({"candidate_id": "c1"}), Script::default());
    assert!(sent.is_empty());
    assert_eq!(out.unwrap_err().to_json()["details"][0]["field"], "account.context.region");

    let limited = fixture("fountain/doc.rate_limit.error.response.json");
    let script = Script::ok(429, &limited).then(429, &limited).then(429, &limited).then(429, &limited);
    let (sent, out) = list(json!({"candidate_id": "c1"}), script);
    assert_eq!(sent.len(), 4, "429 is retried, then reported");
    let e = out.unwrap_err().to_json();
    assert_eq!(e["statusCode"], 429);
    assert_eq!(e["remote"]["body"], limited);
    let (_, out) = list(json!({"candidate_id": "c1"}), Script::ok(200, &json!({"slots": []})));
    assert_eq!(out.unwrap_err().code(), "protocol_error");
    let forged = crate::engine::cursor::encode("fountain", "ats", "interviews", &json!({"page": 2}), &[]);
    let (sent, out) = list(json!({"candidate_id": "c1", "next_cursor": forged}), Script::default());
    assert!(sent.is_empty());
    assert_eq!(out.unwrap_err().code(), "invalid_cursor");
}
