use serde_json::{json, Value};

use crate::codec::doc::of;
use crate::providers::crm_engagements::test_support::{create_error, issue_codes, list_pages, run, supported_fields_reach_request};
use crate::tests::support::{fixture, Script};

fn account() -> Value {
    json!({"id": "acc", "provider": "pipedrive", "credentials": {"api_key": "pd-token-123"}})
}

fn oauth_account() -> Value {
    json!({"id": "acc", "provider": "pipedrive", "credentials": {"access_token": "oauth-abc"}, "context": {"api_domain": "https://acme.pipedrive.com"}})
}

/// A v2 `ActivityItem` (field names from Pipedrive's generated v2 client).
fn v2_activity(id: u64, kind: &str) -> Value {
    json!({
        "id": id, "subject": "Discovery call", "type": kind, "owner_id": 25760681, "creator_user_id": 25760681, "is_deleted": false,
        "add_time": "2026-05-15T09:55:15Z", "update_time": "2026-05-15T10:00:00Z", "deal_id": 1, "lead_id": null, "person_id": 7, "org_id": 3, "project_id": null,
        "due_date": "2026-05-20", "due_time": "10:00", "duration": "00:30", "busy": true, "done": false,
        "participants": [{"person_id": 7, "primary": true}, {"person_id": 8, "primary": false}], "note": "<p>Agenda</p>"
    })
}

#[test]
fn call_create_posts_a_v2_activity() {
    let body = json!({
        "engagement_type": "call", "subject": "Discovery call", "content": "<p>Agenda</p>", "owner": {"id": "25760681"},
        "contacts": [{"id": "7"}, {"id": "8"}], "account": {"id": "3"}, "opportunity": {"id": "1"}, "lead": [{"id": "adf21080-0e10-11eb-879b-05d71fb426ec"}], "project": {"id": "4"},
        "start_time": "2026-05-20T12:00:00+02:00", "end_time": "2026-05-20T10:30:00Z", "status": "scheduled", "custom_fields": {"priority": 2}
    });
    let (sent, out) = run(&account(), "create", None, body, json!({}), Script::ok(201, &json!({"success": true, "data": v2_activity(6, "call")})));
    assert_eq!(sent[0].method.as_str(), "POST");
    assert_eq!(sent[0].url, "https://api.pipedrive.com/api/v2/activities");
    assert_eq!(sent[0].headers["x-api-token"], "pd-token-123");
    assert!(!sent[0].headers.contains_key("authorization"));
    assert_eq!(
        sent[0].body_json().unwrap(),
        &json!({
            "priority": 2, "deal_id": 1, "org_id": 3, "project_id": 4, "lead_id": "adf21080-0e10-11eb-879b-05d71fb426ec",
            "subject": "Discovery call", "type": "call", "owner_id": 25760681, "note": "<p>Agenda</p>",
            "due_date": "2026-05-20", "due_time": "10:00", "duration": "00:30", "done": false,
            "participants": [{"person_id": 7, "primary": true}, {"person_id": 8, "primary": false}]
        })
    );
    let out = out.unwrap();
    let mut unified = out.clone();
    unified.as_object_mut().unwrap().remove("remote_data");
    assert_eq!(
        unified,
        json!({
            "id": "6", "engagement_type": "call", "subject": "Discovery call", "content": "<p>Agenda</p>", "owner": {"id": "25760681"},
            "contacts": [{"id": "7"}, {"id": "8"}], "account": {"id": "3"}, "opportunity": {"id": "1"}, "lead": [], "project": null,
            "start_time": "2026-05-20T10:00:00Z", "end_time": "2026-05-20T10:30:00Z", "duration": 1800, "status": "scheduled",
            "created_at": "2026-05-15T09:55:15Z", "updated_at": "2026-05-15T10:00:00Z"
        })
    );
    assert_eq!(out["remote_data"], v2_activity(6, "call"));
}

#[test]
fn recorded_minimal_activity_round_trips() {
    let resp = fixture("pipedrive/recorded.v1.activities.post.response.json");
    let (sent, out) = run(&account(), "create", None, json!({"engagement_type": "call", "subject": "Test Activity"}), json!({}), Script::ok(201, &resp));
    assert_eq!(sent[0].body_json().unwrap(), &fixture("pipedrive/recorded.v1.activities.post.request.json"));
    let out = out.unwrap();
    assert_eq!(out["id"], "6");
    assert_eq!(out["owner"], json!({"id": "25760681"}), "v1's user_id is read when owner_id is absent");
    assert_eq!(out["start_time"], "2026-05-15T00:00:00Z");
    assert_eq!(out["end_time"], Value::Null);
    assert_eq!(out["duration"], Value::Null);
    assert_eq!(out["created_at"], "2026-05-15T10:16:18Z");
    assert_eq!(out["remote_data"], resp["data"]);
}

#[test]
fn note_create_posts_a_v1_note() {
    let resp = fixture("pipedrive/recorded.v1.notes.post.response.json");
    let body = json!({"engagement_type": "note", "content": "Test note created via Nango action", "opportunity": {"id": "1"}});
    let (sent, out) = run(&account(), "create", None, body.clone(), json!({}), Script::ok(201, &resp));
    assert_eq!(sent[0].url, "https://api.pipedrive.com/v1/notes");
    assert_eq!(sent[0].body_json().unwrap(), &fixture("pipedrive/recorded.v1.notes.post.request.json"));
    assert_eq!(
        out.unwrap(),
        json!({
            "id": "note:5", "engagement_type": "note", "content": "Test note created via Nango action", "owner": {"id": "25760681"},
            "contacts": [{"id": "1"}], "account": {"id": "1"}, "opportunity": {"id": "1"}, "lead": [], "project": null,
            "created_at": "2026-05-15T10:11:59Z", "updated_at": "2026-05-15T10:11:59Z", "remote_data": resp["data"]
        })
    );
    let mut with_time = body;
    with_time["created_at"] = json!("2026-05-15T12:11:59+02:00");
    with_time["contacts"] = json!([{"id": "9"}]);
    let (sent, _) = run(&oauth_account(), "create", None, with_time, json!({}), Script::ok(201, &resp));
    assert_eq!(sent[0].url, "https://acme.pipedrive.com/api/v1/notes");
    assert_eq!(sent[0].headers["authorization"], "Bearer oauth-abc");
    assert_eq!(sent[0].body_json().unwrap(), &json!({"deal_id": 1, "content": "Test note created via Nango action", "person_id": 9, "add_time": "2026-05-15 10:11:59"}));
}

#[test]
fn unrepresentable_input_is_refused() {
    let err = create_error(&account(), json!({"engagement_type": "chat"}));
    assert_eq!(issue_codes(&err), vec![("body.engagement_type".into(), "not_one_of".into())]);
    let err = create_error(&account(), json!({"engagement_type": "note", "subject": "s", "start_time": "2024-01-01T00:00:00Z", "status": "sent", "contacts": [{"id": "1"}, {"id": "2"}]}));
    assert_eq!(
        issue_codes(&err),
        vec![
            ("body.subject".into(), "unsupported_field".into()), ("body.start_time".into(), "unsupported_field".into()), ("body.status".into(), "unsupported_field".into()),
            ("body.content".into(), "required".into()), ("body.contacts".into(), "too_long".into())
        ]
    );
    let err = create_error(&account(), json!({"engagement_type": "note", "content": "x"}));
    assert_eq!(issue_codes(&err), vec![("body.opportunity".into(), "required".into())]);
    let err = create_error(&account(), json!({"engagement_type": "meeting", "duration": 95, "owner": {"id": "u-1"}, "end_time": "2024-01-01T00:00:30Z"}));
    assert_eq!(
        issue_codes(&err),
        vec![("body.owner".into(), "invalid_format".into()), ("body.start_time".into(), "required".into()), ("body.duration".into(), "invalid_format".into())]
    );
    let err = create_error(&account(), json!({"engagement_type": "meeting", "start_time": "2024-01-01T00:00:00Z", "end_time": "2024-01-01T00:30:00Z", "duration": 600}));
    assert_eq!(issue_codes(&err), vec![("body.duration".into(), "conflict".into())]);
    let bad = json!({"provider": "pipedrive", "credentials": {"api_key": "k"}, "context": {"api_domain": "https://evil.example.com"}});
    assert_eq!(issue_codes(&create_error(&bad, json!({"engagement_type": "call"}))), vec![("account.context.api_domain".into(), "invalid_format".into())]);
}

#[test]
fn errors_are_remote_errors() {
    let (_, out) = run(&account(), "create", None, json!({"engagement_type": "task"}), json!({}), Script::ok(400, &fixture("pipedrive/forum.v2.activities.post.error.response.json")));
    let err = out.unwrap_err().to_json();
    assert_eq!(err["statusCode"], 400);
    assert_eq!(err["remote"]["message"], "'person_id' is a read-only field. Add a primary participant to set 'person_id' instead.");
    let (_, out) = run(&account(), "create", None, json!({"engagement_type": "task"}), json!({}), Script::ok(200, &json!({"success": false, "error": "nope"})));
    assert_eq!(out.unwrap_err().to_json()["remote"]["message"], "nope");
}

#[test]
fn list_reads_activities_then_notes() {
    let note = |id: u64| json!({"id": id, "content": "n", "person_id": 7, "add_time": "2026-05-15 10:11:59", "update_time": "2026-05-15 10:11:59"});
    let script = Script::default()
        .then(200, &json!({"success": true, "data": [v2_activity(1, "call"), v2_activity(2, "lunch")], "additional_data": {"next_cursor": "eyJpZCI6Mn0"}}))
        .then(200, &json!({"success": true, "data": [v2_activity(3, "meeting")], "additional_data": {"next_cursor": null}}))
        .then(200, &json!({"success": true, "data": [note(10)], "additional_data": {"pagination": {"start": 0, "limit": 1, "more_items_in_collection": true, "next_start": 1}}}))
        .then(200, &json!({"success": true, "data": null, "additional_data": {"pagination": {"start": 1, "limit": 1, "more_items_in_collection": false}}}));
    let q = json!({"limit": 1, "contact_id": "7", "account_id": "3", "updated_at": {"gte": "2026-01-01T00:00:00Z", "lt": "2026-06-01T00:00:00Z"}});
    let (sent, out) = list_pages(&account(), q, script);
    let urls: Vec<&str> = sent.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://api.pipedrive.com/api/v2/activities?limit=1&updated_until=2026-06-01T00%3A00%3A00Z&person_id=7&org_id=3&updated_since=2026-01-01T00%3A00%3A00Z",
            "https://api.pipedrive.com/api/v2/activities?limit=1&cursor=eyJpZCI6Mn0&updated_until=2026-06-01T00%3A00%3A00Z&person_id=7&org_id=3&updated_since=2026-01-01T00%3A00%3A00Z",
            "https://api.pipedrive.com/v1/notes?start=0&limit=1&person_id=7&org_id=3&updated_since=2026-01-01T00%3A00%3A00Z",
            "https://api.pipedrive.com/v1/notes?start=1&limit=1&person_id=7&org_id=3&updated_since=2026-01-01T00%3A00%3A00Z",
        ]
    );
    let pages = out.unwrap();
    let ids: Vec<&str> = pages.iter().flat_map(|p| p["result"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap())).collect();
    assert_eq!(ids, ["1", "2", "3", "note:10"]);
    // The first answer had two activities for limit 1: split over two pages, the
    // warning following its record.
    assert!(pages.iter().all(|p| p["result_count"].as_u64().unwrap() <= 1));
    assert!(pages[0].get("warnings").is_none());
    assert_eq!(pages[1]["result"][0]["engagement_type"], Value::Null);
    assert_eq!(pages[1]["warnings"][0]["code"], "unknown_engagement_type");
    assert_eq!(pages[1]["warnings"][0]["field"], "result[0].engagement_type");
    assert!(pages.last().unwrap()["next_cursor"].is_null());
}

#[test]
fn an_inclusive_upper_bound_keeps_records_on_the_bound() {
    // Pipedrive: updated_until returns "an `update_time` earlier than this time" (exclusive).
    let empty = || Script::ok(200, &json!({"success": true, "data": [], "additional_data": {"next_cursor": null}}));
    let until = |updated_at: Value| {
        let (sent, _) = list_pages(&account(), json!({"engagement_type": "call", "updated_at": updated_at}), empty());
        let q = sent[0].url.split_once('?').unwrap().1.to_string();
        q.split('&').find_map(|p| p.strip_prefix("updated_until=")).map(|v| v.replace("%3A", ":"))
    };
    assert_eq!(until(json!({"lte": "2026-06-01T00:00:00Z"})).as_deref(), Some("2026-06-01T00:00:01Z"));
    assert_eq!(until(json!({"lte": "2026-06-01T02:00:00+02:00"})).as_deref(), Some("2026-06-01T00:00:01Z"));
    assert_eq!(until(json!({"lt": "2026-06-01T00:00:00Z"})).as_deref(), Some("2026-06-01T00:00:00Z"));
    assert_eq!(until(json!({"lt": "2026-06-01T00:00:00Z", "lte": "2026-05-01T00:00:00Z"})).as_deref(), Some("2026-05-01T00:00:01Z"));
    assert_eq!(until(json!({"lt": "2026-05-01T00:00:00Z", "lte": "2026-06-01T00:00:00Z"})).as_deref(), Some("2026-05-01T00:00:00Z"));
    // No second after the last one: no provider bound (no overflow); crosswalk still applies the range.
    assert_eq!(until(json!({"lte": "9999-12-31T23:59:59Z"})), None);
}

#[test]
fn a_type_filter_lists_only_that_type() {
    let script = Script::ok(200, &json!({"success": true, "data": [v2_activity(1, "call"), v2_activity(2, "meeting"), v2_activity(3, "lunch")], "additional_data": {"next_cursor": null}}));
    let (sent, out) = list_pages(&account(), json!({"engagement_type": "call"}), script);
    assert_eq!(sent.len(), 1, "no notes after activities");
    let got = out.unwrap();
    assert_eq!(got[0]["result"].as_array().unwrap().len(), 1);
    assert_eq!(got[0]["result"][0]["id"], "1");
    assert!(got[0]["warnings"].as_array().unwrap().iter().any(|w| w["code"] == "filter_applied_locally"));

    let (sent, out) = list_pages(&oauth_account(), json!({"engagement_type": "note"}), Script::ok(200, &json!({"success": true, "data": [{"id": 5, "content": "x"}]})));
    assert_eq!(sent[0].url, "https://acme.pipedrive.com/api/v1/notes?start=0&limit=100");
    assert_eq!(out.unwrap()[0]["result"][0]["id"], "note:5");
}

#[test]
fn get_reads_an_activity_or_a_note() {
    let resp = fixture("pipedrive/recorded.v1.activities.get.response.json");
    let (sent, out) = run(&account(), "get", Some("1"), Value::Null, json!({}), Script::ok(200, &resp));
    assert_eq!(sent[0].method.as_str(), "GET");
    assert_eq!(sent[0].url, "https://api.pipedrive.com/api/v2/activities/1");
    let out = out.unwrap();
    assert_eq!(out["contacts"], json!([{"id": "1"}]));
    assert_eq!(out["start_time"], "2026-05-20T10:00:00Z");
    assert_eq!(out["end_time"], "2026-05-20T10:30:00Z");
    assert_eq!(out["duration"], 1800);
    assert_eq!(out["content"], "Initial discovery call to understand Acme Corp's analytics requirements.");
    let (sent, out) = run(&account(), "get", Some("note:5"), Value::Null, json!({}), Script::ok(200, &fixture("pipedrive/recorded.v1.notes.post.response.json")));
    assert_eq!(sent[0].url, "https://api.pipedrive.com/v1/notes/5");
    assert_eq!(out.unwrap()["engagement_type"], "note");
    let (sent, _) = run(&account(), "get", Some("5"), Value::Null, json!({"engagement_type": "note"}), Script::ok(200, &fixture("pipedrive/recorded.v1.notes.post.response.json")));
    assert_eq!(sent[0].url, "https://api.pipedrive.com/v1/notes/5");
}

#[test]
fn supported_fields_reach_the_request() {
    let bases = [
        json!({"engagement_type": "meeting", "start_time": "2024-06-15T10:00:00Z"}),
        json!({"engagement_type": "call"}),
        json!({"engagement_type": "note", "content": "c", "project": {"id": "5"}}),
    ];
    let numeric = json!({"id": "acc", "provider": "pipedrive", "credentials": {"api_key": "k"}});
    supported_fields_reach_request("pipedrive", numeric.clone(), "create", &bases);
    supported_fields_reach_request("pipedrive", numeric, "list", &[json!({})]);
}

#[test]
fn done_maps_both_ways() {
    for (done, status) in [(true, "sent"), (false, "scheduled")] {
        let (sent, out) = run(&account(), "create", None, json!({"engagement_type": "task", "status": status}), json!({}), Script::ok(201, &json!({"success": true, "data": {"id": 1, "type": "task", "done": done}})));
        assert_eq!(sent[0].body_json().unwrap()["done"], done);
        assert_eq!(out.unwrap()["status"], status);
    }
}

#[test]
fn durations_and_ends_are_exact_or_null_with_a_warning() {
    let read = |date: &str, time: &str, d: &str| {
        let mut w = Vec::new();
        let r = super::map_activity(of(&json!({"id": 1, "type": "call", "due_date": date, "due_time": time, "duration": d})), &mut w).unwrap();
        (r["duration"].clone(), r["end_time"].clone(), w.iter().map(|w| (w.field.clone(), w.code.as_str())).collect::<Vec<_>>())
    };
    assert_eq!(read("2026-01-01", "10:00", "01:30"), (json!(5400), json!("2026-01-01T11:30:00Z"), vec![]));
    let bad = vec![("duration".to_string(), "value_out_of_range")];
    assert_eq!(read("2026-01-01", "10:00", "2562047788015216:00"), (Value::Null, Value::Null, bad.clone()));
    assert_eq!(read("2026-01-01", "10:00", "-1:00"), (Value::Null, Value::Null, bad));
    // An end past 9999-12-31 has no RFC 3339 form: null + warning, not a panic or "".
    assert_eq!(read("9999-12-31", "23:00", "02:00"), (json!(7200), Value::Null, vec![("end_time".to_string(), "value_out_of_range")]));
}
