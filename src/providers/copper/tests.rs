use serde_json::{json, Value};

use crate::codec::doc::of;
use crate::providers::crm_engagements::test_support::{create_error, issue_codes, list_pages, run, supported_fields_reach_request, supported_fields_reach_request_after};
use crate::tests::support::{drive, fixture, input, Script};

const BASE: &str = "https://api.copper.com/developer_api/v1";

fn account() -> Value {
    json!({"id": "acc", "provider": "copper", "credentials": {"api_key": "cu-key-123"}, "context": {"user_email": "api@example.com"}})
}

#[test]
fn note_create_needs_no_look_up() {
    let resp = fixture("copper/doc.activities.post.response.json");
    let body = json!({"engagement_type": "note", "contacts": [{"id": "27140359"}], "content": "This is the description of this note"});
    let (sent, out) = run(&account(), "create", None, body, json!({}), Script::ok(200, &resp));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method.as_str(), "POST");
    assert_eq!(sent[0].url, format!("{BASE}/activities"));
    assert_eq!(sent[0].headers["x-pw-accesstoken"], "cu-key-123");
    assert_eq!(sent[0].headers["x-pw-application"], "developer_api");
    assert_eq!(sent[0].headers["x-pw-useremail"], "api@example.com");
    assert!(sent[0].sensitive.contains(&"x-pw-accesstoken".to_string()));
    assert_eq!(sent[0].body_json().unwrap(), &fixture("copper/doc.activities.post.request.json"));
    assert_eq!(
        out.unwrap(),
        json!({
            "id": "3064242278", "engagement_type": "note", "content": "This is the description of this note", "owner": {"id": "137658"},
            "contacts": [{"id": "27140359"}], "lead": [], "account": null, "opportunity": null, "project": null,
            "start_time": "2017-06-06T18:05:55Z", "created_at": "2017-06-06T18:05:55Z", "updated_at": "2017-06-06T18:05:55Z", "remote_data": resp
        })
    );
}

#[test]
fn call_create_looks_up_the_accounts_phone_call_type() {
    let resp = fixture("copper/doc.activities.get.response.json");
    let body = json!({"engagement_type": "call", "account": {"id": "9607580"}, "content": "Demo phone call", "start_time": "2017-06-06T00:59:43Z"});
    let (sent, out) = run(&account(), "create", None, body, json!({}), Script::ok(200, &fixture("copper/doc.activity_types.get.response.json")).then(200, &resp));
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].method.as_str(), "GET");
    assert_eq!(sent[0].url, format!("{BASE}/activity_types"));
    assert_eq!(sent[1].url, format!("{BASE}/activities"));
    assert_eq!(
        sent[1].body_json().unwrap(),
        &json!({"details": "Demo phone call", "activity_date": 1496710783, "parent": {"type": "company", "id": 9607580}, "type": {"category": "user", "id": 190711}})
    );
    let out = out.unwrap();
    assert_eq!(out["id"], "3061844454");
    assert_eq!(out["engagement_type"], "call");
    assert_eq!(out["account"], json!({"id": "9607580"}));
    assert_eq!(out["start_time"], "2017-06-06T00:59:43Z");
    assert_eq!(out["created_at"], "2017-06-06T00:59:47Z");
}

#[test]
fn a_missing_type_or_failed_create_after_a_look_up_is_a_plain_error() {
    let no_meeting = json!({"user": [{"id": 0, "category": "user", "name": "Note"}, {"id": 190711, "category": "user", "name": "Phone Call"}], "system": []});
    let body = json!({"engagement_type": "meeting", "opportunity": {"id": "5"}, "content": "Kick-off"});
    let (sent, out) = run(&account(), "create", None, body.clone(), json!({}), Script::ok(200, &no_meeting));
    assert_eq!(sent.len(), 1, "nothing is created");
    let err = out.unwrap_err().to_json();
    assert_eq!(err["code"], "validation_failed");
    assert_eq!(issue_codes(&err), vec![("body.engagement_type".into(), "not_one_of".into())]);

    let script = Script::ok(200, &fixture("copper/doc.activity_types.get.response.json")).then(422, &json!({"success": false, "status": 422, "message": "Invalid input"}));
    let (sent, out) = run(&account(), "create", None, body, json!({}), script);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].body_json().unwrap()["type"], json!({"category": "user", "id": 190712}));
    let err = out.unwrap_err().to_json();
    assert_eq!(err["code"], "remote_error", "the look-up created nothing, so this is not a partial failure");
    assert_eq!(err["remote"]["message"], "Invalid input");
}

#[test]
fn unrepresentable_input_is_refused() {
    for t in ["email", "chat", "task"] {
        let err = create_error(&account(), json!({"engagement_type": t, "content": "x", "account": {"id": "1"}}));
        assert_eq!(issue_codes(&err), vec![("body.engagement_type".into(), "not_one_of".into())], "{t}");
    }
    let err = create_error(&account(), json!({"engagement_type": "note", "subject": "s", "owner": {"id": "1"}}));
    assert_eq!(
        issue_codes(&err),
        vec![("body.owner".into(), "unsupported_field".into()), ("body.subject".into(), "unsupported_field".into()), ("body.content".into(), "required".into()), ("body.opportunity".into(), "required".into())]
    );
    let err = create_error(&account(), json!({"engagement_type": "note", "content": "x"}));
    assert_eq!(issue_codes(&err), vec![("body.opportunity".into(), "required".into())]);
    let err = create_error(&account(), json!({"engagement_type": "note", "content": "x", "account": {"id": "1"}, "project": {"id": "2"}}));
    assert_eq!(issue_codes(&err), vec![("body.project".into(), "conflict".into())]);
    let no_email = json!({"provider": "copper", "credentials": {"api_key": "k"}});
    assert_eq!(issue_codes(&create_error(&no_email, json!({"engagement_type": "note", "content": "x", "account": {"id": "1"}}))), vec![("account.context.user_email".into(), "required".into())]);
}

#[test]
fn list_looks_up_types_then_searches_pages() {
    let found = fixture("copper/doc.activities.search.post.response.json");
    let first: Vec<Value> = found.as_array().unwrap()[..2].to_vec();
    let second: Vec<Value> = found.as_array().unwrap()[2..3].to_vec();
    let script = Script::ok(200, &fixture("copper/doc.activity_types.get.response.json")).then(200, &json!(first)).then(200, &json!(second));
    let (sent, out) = list_pages(&account(), json!({"limit": 2, "account_id": "9607580"}), script);
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[0].url, format!("{BASE}/activity_types"));
    assert_eq!(sent[1].method.as_str(), "POST");
    assert_eq!(sent[1].url, format!("{BASE}/activities/search"));
    let all_user_types = json!([{"id": 0, "category": "user"}, {"id": 190711, "category": "user"}, {"id": 190712, "category": "user"}, {"id": 191400, "category": "user"}, {"id": 194674, "category": "user"}]);
    assert_eq!(sent[1].body_json().unwrap(), &json!({"page_number": 1, "page_size": 2, "activity_types": all_user_types, "parent": {"type": "company", "id": 9607580}}));
    assert_eq!(sent[2].body_json().unwrap()["page_number"], 2);
    let pages = out.unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0]["result"][0]["engagement_type"], "note");
    assert_eq!(pages[0]["result"][1]["engagement_type"], "call");
    assert_eq!(pages[1]["result"][0]["engagement_type"], "meeting");
    assert_eq!(pages[1]["result"][0]["start_time"], "2017-06-01T14:30:00Z");
    assert!(pages[1]["next_cursor"].is_null());

    // A cursor carries the types: the next page needs no second look-up.
    let cursor = pages[0]["next_cursor"].as_str().unwrap();
    let (sent, out) = drive(
        input(account(), "crm", "engagements", "list", None, Value::Null, json!({"limit": 2, "account_id": "9607580", "next_cursor": cursor})),
        Script::ok(200, &json!(second)),
    );
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].body_json().unwrap()["page_number"], 2);
    assert_eq!(out.unwrap()["result"][0]["id"], "3061845284");
}

#[test]
fn list_by_type_and_unknown_types() {
    let types = fixture("copper/doc.activity_types.get.response.json");
    let custom = json!([{"id": 7, "parent": {"id": 1, "type": "lead"}, "type": {"id": 191400, "category": "user"}, "details": "demo"}]);
    let meeting = json!([{"id": 8, "parent": {"id": 27140359, "type": "person"}, "type": {"id": 190712, "category": "user"}, "details": "m"}]);
    let (sent, out) = list_pages(&account(), json!({"engagement_type": "meeting", "contact_id": "27140359"}), Script::ok(200, &types).then(200, &meeting));
    assert_eq!(sent[1].body_json().unwrap(), &json!({"page_number": 1, "page_size": 100, "activity_types": [{"id": 190712, "category": "user"}], "parent": {"type": "person", "id": 27140359}}));
    let page = &out.unwrap()[0];
    assert_eq!(page["result"][0]["engagement_type"], "meeting");
    assert_eq!(page["result"][0]["contacts"], json!([{"id": "27140359"}]));
    let (_, out) = list_pages(&account(), json!({}), Script::ok(200, &types).then(200, &custom));
    let page = &out.unwrap()[0];
    assert_eq!(page["result"][0]["engagement_type"], Value::Null);
    assert_eq!(page["result"][0]["lead"], json!([{"id": "1"}]));
    assert_eq!(page["warnings"][0]["code"], "unknown_engagement_type");
    let no_meeting = json!({"user": [{"id": 0, "category": "user", "name": "Note"}]});
    let (sent, out) = list_pages(&account(), json!({"engagement_type": "meeting"}), Script::ok(200, &no_meeting));
    assert_eq!(sent.len(), 1, "no search when the account has no such type");
    assert_eq!(out.unwrap()[0]["result"], json!([]));
    let err = list_pages(&account(), json!({"contact_id": "1", "account_id": "2"}), Script::default()).1.unwrap_err().to_json();
    assert_eq!(issue_codes(&err), vec![("query.account_id".into(), "conflict".into())]);
}

#[test]
fn get_names_the_type_from_the_look_up() {
    let script = Script::ok(200, &fixture("copper/doc.activity_types.get.response.json")).then(200, &fixture("copper/doc.activities.get.response.json"));
    let (sent, out) = run(&account(), "get", Some("3061844454"), Value::Null, json!({}), script);
    assert_eq!(sent[1].method.as_str(), "GET");
    assert_eq!(sent[1].url, format!("{BASE}/activities/3061844454"));
    let out = out.unwrap();
    assert_eq!(out["engagement_type"], "call");
    assert_eq!(out["content"], "Demo phone call");
}

#[test]
fn supported_fields_reach_the_request() {
    // Exactly one parent is allowed, so each parent field is proven on a base that has it.
    let bases: Vec<Value> = [("contacts", json!([{"id": "1"}])), ("account", json!({"id": "1"})), ("opportunity", json!({"id": "1"})), ("lead", json!([{"id": "1"}])), ("project", json!({"id": "1"}))]
        .into_iter()
        .map(|(f, v)| {
            let mut b = json!({"engagement_type": "note", "content": "c"});
            b[f] = v;
            b
        })
        .collect();
    supported_fields_reach_request("copper", account(), "create", &bases);
    supported_fields_reach_request_after("copper", account(), "list", &[json!({})], &[fixture("copper/doc.activity_types.get.response.json")]);
}

#[test]
fn every_default_type_name_maps() {
    use super::{map_activity, type_table, TYPE_NAMES};
    let types = type_table(of(&fixture("copper/doc.activity_types.get.response.json")));
    for (name, kind) in TYPE_NAMES {
        let id = fixture("copper/doc.activity_types.get.response.json")["user"].as_array().unwrap().iter().find(|t| t["name"] == *name).unwrap()["id"].clone();
        let mut w = Vec::new();
        let r = map_activity(of(&json!({"id": 1, "type": {"id": id, "category": "user"}})), &types, &mut w).unwrap();
        assert_eq!(r["engagement_type"], *kind, "{name}");
        assert!(w.is_empty());
    }
}
