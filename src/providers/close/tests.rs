use serde_json::{json, Value};

use crate::codec::doc::of;
use crate::providers::crm_engagements::test_support::{create_error, issue_codes, list_pages, run, supported_fields_reach_request};
use crate::tests::support::{fixture, Script};

fn account() -> Value {
    json!({"id": "acc", "provider": "close", "credentials": {"api_key": "api_6xyzSECRET"}})
}

fn call(id: &str) -> Value {
    json!({
        "id": id, "_type": "Call", "lead_id": "lead_1", "contact_id": "cont_1", "user_id": "user_1", "direction": "outbound", "duration": 125, "phone": "+16505551234",
        "note": "Left a message", "status": "completed", "activity_at": "2026-06-19T12:06:45.260000+00:00", "date_created": "2026-06-19T12:06:45.260000+00:00", "date_updated": "2026-06-19T12:10:00+00:00"
    })
}

#[test]
fn note_create_matches_recorded_exchange() {
    let resp = fixture("close/recorded.note.post.response.json");
    let body = json!({"engagement_type": "note", "account": {"id": "lead_ZOesO3bAQrooTNIuHeeFYrs6zksnK5E3G1jq5Pi1Yre"}, "content": "Test note created by Nango action"});
    let (sent, out) = run(&account(), "create", None, body, json!({}), Script::ok(200, &resp));
    assert_eq!(sent[0].method.as_str(), "POST");
    assert_eq!(sent[0].url, "https://api.close.com/api/v1/activity/note/");
    assert_eq!(sent[0].headers["authorization"], crate::provider::account::basic("api_6xyzSECRET", ""));
    assert_eq!(sent[0].body_json().unwrap(), &fixture("close/recorded.note.post.request.json"));
    assert_eq!(
        out.unwrap(),
        json!({
            "id": "note:acti_JIKGUw3ElH39M1C5vgjpRSWY0u8levRjO2o35wxDiYt", "engagement_type": "note", "subject": null, "content": "Test note created by Nango action",
            "owner": {"id": "user_2okTTewuL7ni32DGaexRdm8OQ7uyx1IvkkWNmzEr6Wa"}, "contacts": [], "account": {"id": "lead_ZOesO3bAQrooTNIuHeeFYrs6zksnK5E3G1jq5Pi1Yre"},
            "start_time": "2026-06-19T12:16:56.507Z", "duration": null, "direction": null, "status": null, "phone_numbers": [],
            "created_at": "2026-06-19T12:16:56.507Z", "updated_at": "2026-06-19T12:16:56.507Z", "remote_data": resp
        })
    );
}

#[test]
fn call_create_maps_every_call_field() {
    let body = json!({
        "engagement_type": "call", "content": "Left a message", "owner": {"id": "user_1"}, "lead": [{"id": "lead_1"}], "contacts": [{"id": "cont_1"}],
        "start_time": "2026-06-19T14:06:45+02:00", "created_at": "2026-06-19T12:06:45Z", "duration": 125, "direction": "outbound",
        "phone_numbers": [{"number": "+16505551234", "type": "mobile"}], "custom_fields": {"cf_abc": "x"}, "remote_data": {"status": "no-answer"}
    });
    let (sent, out) = run(&account(), "create", None, body, json!({}), Script::ok(200, &call("acti_1")));
    assert_eq!(sent[0].url, "https://api.close.com/api/v1/activity/call/");
    assert_eq!(
        sent[0].body_json().unwrap(),
        &json!({
            "user_id": "user_1", "activity_at": "2026-06-19T12:06:45Z", "date_created": "2026-06-19T12:06:45Z", "lead_id": "lead_1", "contact_id": "cont_1",
            "note": "Left a message", "duration": 125, "direction": "outbound", "phone": "+16505551234", "custom_fields": {"cf_abc": "x"}, "status": "no-answer"
        })
    );
    let out = out.unwrap();
    assert_eq!(out["id"], "call:acti_1");
    assert_eq!(out["duration"], 125);
    assert_eq!(out["direction"], "outbound");
    assert_eq!(out["phone_numbers"], json!([{"number": "+16505551234"}]));
    assert_eq!(out["contacts"], json!([{"id": "cont_1"}]));
    assert_eq!(out["updated_at"], "2026-06-19T12:10:00Z");
}

#[test]
fn scheduled_email_is_sent_at_start_time() {
    let body = json!({
        "engagement_type": "email", "account": {"id": "lead_1"}, "subject": "Hi", "content": "Body", "status": "scheduled", "start_time": "2026-07-01T09:00:00Z",
        "remote_data": {"sender": "\"Ann Lee\" <ann@example.com>"}
    });
    let resp = json!({"id": "acti_e", "_type": "Email", "lead_id": "lead_1", "subject": "Hi", "body_text": "Body", "status": "scheduled", "direction": "outgoing"});
    let (sent, out) = run(&account(), "create", None, body, json!({}), Script::ok(200, &resp));
    assert_eq!(sent[0].url, "https://api.close.com/api/v1/activity/email/");
    assert_eq!(
        sent[0].body_json().unwrap(),
        &json!({"activity_at": "2026-07-01T09:00:00Z", "lead_id": "lead_1", "body_text": "Body", "subject": "Hi", "status": "scheduled", "date_scheduled": "2026-07-01T09:00:00Z", "sender": "\"Ann Lee\" <ann@example.com>"})
    );
    let out = out.unwrap();
    assert_eq!(out["status"], "scheduled");
    assert_eq!(out["direction"], "outbound");
    assert_eq!(out["subject"], "Hi");
}

#[test]
fn emails_close_would_reject_without_sender_or_schedule_are_refused() {
    // developer.close.com emails/create.md; changelog 2025-12-17.
    for status in ["inbox", "outbox", "scheduled"] {
        let err = create_error(&account(), json!({"engagement_type": "email", "status": status, "account": {"id": "lead_1"}, "start_time": "2026-07-01T09:00:00Z"}));
        assert_eq!(issue_codes(&err), vec![("body.remote_data.sender".into(), "required".into())], "{status}");
        assert!(err["details"][0]["message"].as_str().unwrap().contains("remote_data.sender"));
    }
    let err = create_error(&account(), json!({"engagement_type": "email", "status": "scheduled", "account": {"id": "lead_1"}, "remote_data": {"sender": " "}}));
    assert_eq!(issue_codes(&err), vec![("body.remote_data.sender".into(), "required".into()), ("body.start_time".into(), "required".into())]);
    // A date_scheduled of its own stands in for start_time.
    let body = json!({"engagement_type": "email", "status": "scheduled", "account": {"id": "lead_1"}, "remote_data": {"sender": "a@example.com", "date_scheduled": "2026-07-01T09:00:00Z"}});
    let (sent, _) = run(&account(), "create", None, body, json!({}), Script::ok(400, &json!({})));
    assert_eq!(sent[0].body_json().unwrap()["date_scheduled"], "2026-07-01T09:00:00Z");
    // draft and sent may omit it (sent defaults to the user's address).
    for status in ["draft", "sent"] {
        let (sent, _) = run(&account(), "create", None, json!({"engagement_type": "email", "status": status, "account": {"id": "lead_1"}}), json!({}), Script::ok(400, &json!({})));
        assert!(sent[0].body_json().unwrap().get("sender").is_none());
    }
}

#[test]
fn unrepresentable_input_is_refused() {
    let err = create_error(&account(), json!({"engagement_type": "meeting", "account": {"id": "lead_1"}}));
    assert_eq!(issue_codes(&err), vec![("body.engagement_type".into(), "not_one_of".into())]);
    assert_eq!(err["details"][0]["meta"]["allowed"], json!(["call", "email", "note"]));
    let err = create_error(&account(), json!({"engagement_type": "email", "direction": "inbound", "duration": 3}));
    assert_eq!(
        issue_codes(&err),
        vec![("body.duration".into(), "unsupported_field".into()), ("body.direction".into(), "unsupported_field".into()), ("body.status".into(), "required".into()), ("body.account".into(), "required".into())]
    );
    let err = create_error(&account(), json!({"engagement_type": "call", "subject": "s", "status": "sent", "direction": "missed", "account": {"id": "a"}, "lead": [{"id": "b"}]}));
    // One request, every problem: the table's and the per-type ones together.
    assert_eq!(
        issue_codes(&err),
        vec![("body.direction".into(), "not_one_of".into()), ("body.subject".into(), "unsupported_field".into()), ("body.status".into(), "unsupported_field".into()), ("body.lead".into(), "conflict".into())]
    );
    let err = create_error(&account(), json!({"engagement_type": "call", "subject": "s", "status": "sent", "account": {"id": "a"}, "lead": [{"id": "b"}], "phone_numbers": [{"number": "1", "extension": "9"}]}));
    assert_eq!(
        issue_codes(&err),
        vec![("body.subject".into(), "unsupported_field".into()), ("body.status".into(), "unsupported_field".into()), ("body.lead".into(), "conflict".into()), ("body.phone_numbers[0].extension".into(), "unsupported_field".into())]
    );
}

#[test]
fn validation_errors_from_close_are_remote_errors() {
    let (_, out) = run(&account(), "create", None, json!({"engagement_type": "call"}), json!({}), Script::ok(400, &fixture("close/clientlib.validation_error.response.json")));
    let err = out.unwrap_err().to_json();
    assert_eq!(err["code"], "remote_error");
    assert_eq!(err["statusCode"], 400);
    assert_eq!(err["remote"]["body"]["field-errors"]["lead"], "This field is required.");
}

#[test]
fn list_reads_each_activity_type_with_skip_and_limit() {
    let script = Script::ok(200, &json!({"data": [call("acti_1"), call("acti_2")], "has_more": true}))
        .then(200, &json!({"data": [call("acti_3")], "has_more": false}))
        .then(200, &json!({"data": [], "has_more": false}))
        .then(200, &json!({"data": [{"id": "acti_n", "_type": "Note", "note": "n", "lead_id": "lead_1", "contact_id": "cont_1"}], "has_more": false}))
        .then(200, &json!({"data": [{"id": "acti_m", "_type": "Meeting", "lead_id": "lead_1", "contact_id": "cont_1", "activity_at": "2026-07-01T09:00:00+00:00"}], "has_more": false}));
    let q = json!({"limit": 2, "contact_id": "cont_1", "account_id": "lead_1", "created_at": {"gte": "2026-01-01T00:00:00+01:00", "lt": "2026-12-31T00:00:00Z"}});
    let (sent, out) = list_pages(&account(), q, script);
    let filters = "contact_id=cont_1&lead_id=lead_1&date_created__gte=2025-12-31T23%3A00%3A00Z&date_created__lt=2026-12-31T00%3A00%3A00Z";
    let urls: Vec<&str> = sent.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            format!("https://api.close.com/api/v1/activity/call/?_limit=2&_skip=0&{filters}"),
            format!("https://api.close.com/api/v1/activity/call/?_limit=2&_skip=2&{filters}"),
            format!("https://api.close.com/api/v1/activity/email/?_limit=2&_skip=0&{filters}"),
            format!("https://api.close.com/api/v1/activity/note/?_limit=2&_skip=0&{filters}"),
            format!("https://api.close.com/api/v1/activity/meeting/?_limit=2&_skip=0&{filters}"),
        ]
    );
    let pages = out.unwrap();
    let ids: Vec<&str> = pages.iter().flat_map(|p| p["result"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap())).collect();
    assert_eq!(ids, ["call:acti_1", "call:acti_2", "call:acti_3", "note:acti_n", "meeting:acti_m"]);
    assert_eq!(pages[4]["result"][0]["start_time"], "2026-07-01T09:00:00Z");
    assert!(pages[4]["next_cursor"].is_null());

    let (sent, _) = list_pages(&account(), json!({"engagement_type": "meeting"}), Script::ok(200, &json!({"data": [], "has_more": false})));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].url, "https://api.close.com/api/v1/activity/meeting/?_limit=100&_skip=0");
}

#[test]
fn get_reads_the_type_named_by_the_id() {
    let (sent, out) = run(&account(), "get", Some("call:acti_1"), Value::Null, json!({}), Script::ok(200, &call("acti_1")));
    assert_eq!(sent[0].method.as_str(), "GET");
    assert_eq!(sent[0].url, "https://api.close.com/api/v1/activity/call/acti_1/");
    assert_eq!(out.unwrap()["content"], "Left a message");
    let oauth = json!({"provider": "close", "credentials": {"access_token": "oauth-tok"}});
    let (sent, _) = run(&oauth, "get", Some("acti_9"), Value::Null, json!({"engagement_type": "meeting"}), Script::ok(200, &json!({"id": "acti_9", "_type": "Meeting"})));
    assert_eq!(sent[0].url, "https://api.close.com/api/v1/activity/meeting/acti_9/");
    assert_eq!(sent[0].headers["authorization"], "Bearer oauth-tok");
}

#[test]
fn supported_fields_reach_the_request() {
    let bases = [
        json!({"engagement_type": "call"}),
        json!({"engagement_type": "email", "status": "sent", "account": {"id": "lead_1"}}),
        json!({"engagement_type": "note", "lead": [{"id": "lead_1"}]}),
        json!({"engagement_type": "email", "status": "sent", "lead": [{"id": "lead_1"}]}),
    ];
    supported_fields_reach_request("close", account(), "create", &bases);
    supported_fields_reach_request("close", account(), "list", &[json!({})]);
}

#[test]
fn every_status_and_direction_row_maps_both_ways() {
    use super::{map_activity, DIRECTION, EMAIL_STATUS};
    for (p, u) in EMAIL_STATUS {
        let mut w = Vec::new();
        assert_eq!(map_activity(of(&json!({"id": "a", "_type": "Email", "status": p})), &mut w).unwrap()["status"], *u);
        assert!(w.is_empty());
        let body = json!({"engagement_type": "email", "status": u, "account": {"id": "lead_1"}, "start_time": "2026-07-01T09:00:00Z", "remote_data": {"sender": "a@example.com"}});
        let (sent, _) = run(&account(), "create", None, body, json!({}), Script::ok(400, &json!({})));
        assert_eq!(sent[0].body_json().unwrap()["status"], *p);
    }
    for (p, u) in DIRECTION {
        let kind = if p.ends_with("bound") { "Call" } else { "Email" };
        let mut w = Vec::new();
        assert_eq!(map_activity(of(&json!({"id": "a", "_type": kind, "direction": p})), &mut w).unwrap()["direction"], *u);
    }
    for d in ["inbound", "outbound"] {
        let (sent, _) = run(&account(), "create", None, json!({"engagement_type": "call", "direction": d}), json!({}), Script::ok(400, &json!({})));
        assert_eq!(sent[0].body_json().unwrap()["direction"], d);
    }
    let mut w = Vec::new();
    assert_eq!(map_activity(of(&json!({"id": "a", "_type": "Email", "status": "error"})), &mut w).unwrap()["status"], Value::Null);
    assert_eq!(w[0].code, "unknown_status");
}
