use serde_json::{json, Value};

use crate::provider::account::basic;
use crate::providers::crm_engagements::test_support::{create, create_error, supported_fields_reach_request};
use crate::tests::support::{drive, drive_pages, fixture, input, Script};

fn account() -> Value {
    // The user id is not a secret (it is every record's assignee id), so it sits in
    // the account context where it is not redacted from results.
    json!({"id": "a1", "provider": "onepagecrm", "credentials": {"api_key": "opc_key_123"}, "context": {"user_id": "5aaa9b009007ba08c9ebaef7"}})
}



fn envelope(data: Value) -> Value {
    json!({"status": 0, "message": "OK", "timestamp": 1528373119, "data": data})
}

#[test]
fn call_matches_the_documented_example() {
    let expected = fixture("onepagecrm/doc.calls.create.request.json");
    let resp = fixture("onepagecrm/doc.calls.create.response.json");
    let body = json!({
        "engagement_type": "call",
        "contacts": [{"id": "5ae06ef9d55673108fe8877f"}],
        "content": "Mary is interested in coming into the office on Tuesday.",
        "start_time": "2018-05-02T15:07:33Z",
        "phone_numbers": [{"number": "(912) 644-1770 (mobile)", "type": "mobile"}],
        "remote_data": {"call_result": "interested", "via": "phone", "recording_link": ""},
    });
    let (sent, out) = create(&account(), body, Script::ok(201, &resp));
    let req = &sent[0];
    assert_eq!(req.method.as_str(), "POST");
    assert_eq!(req.url, "https://app.onepagecrm.com/api/v3/calls");
    assert_eq!(req.headers["authorization"], basic("5aaa9b009007ba08c9ebaef7", "opc_key_123"));
    assert_eq!(req.body_json().unwrap(), &expected);
    let out = out.unwrap();
    assert_eq!(out["id"], "call:5afc1b69d556730b580596cb");
    assert_eq!(out["engagement_type"], "call");
    assert_eq!(out["content"], "Mary is interested in coming into the office on Tuesday.");
    assert_eq!(out["contacts"], json!([{"id": "5ae06ef9d55673108fe8877f"}]));
    assert_eq!(out["start_time"], "2018-05-02T15:07:33Z");
    assert_eq!(out["phone_numbers"], json!([{"number": "(912) 644-1770 (mobile)"}]));
    assert_eq!(out["created_at"], "2018-05-16T11:52:09Z");
    assert_eq!(out["updated_at"], "2018-05-16T11:52:09Z");
    assert_eq!(out["remote_data"], resp["data"]["call"]);
}

#[test]
fn meeting_and_note_match_the_documented_examples() {
    let expected = fixture("onepagecrm/doc.meetings.create.request.json");
    let meeting = json!({"id": "m1", "contact_id": expected["contact_id"], "meeting_time_int": 1525273653, "place": "Meeting room 1", "text": expected["text"]});
    let body = json!({"engagement_type": "meeting", "contacts": [{"id": expected["contact_id"]}], "content": expected["text"], "start_time": "2018-05-02T15:07:33Z", "remote_data": {"place": "Meeting room 1"}});
    let (sent, out) = create(&account(), body, Script::ok(201, &envelope(json!({"meeting": meeting}))));
    assert_eq!(sent[0].url, "https://app.onepagecrm.com/api/v3/meetings");
    assert_eq!(sent[0].body_json().unwrap(), &expected);
    let out = out.unwrap();
    assert_eq!(out["engagement_type"], "meeting");
    assert_eq!(out["start_time"], "2018-05-02T15:07:33Z");

    let mut expected = fixture("onepagecrm/doc.notes.create.request.json");
    expected["linked_deal_id"] = json!("5aaa9b059007ba08c9ebaf58");
    let note = json!({"id": "n1", "contact_id": expected["contact_id"], "text": expected["text"], "date": "2018-05-16", "linked_deal_id": "5aaa9b059007ba08c9ebaf58", "author": "Jane D."});
    let body = json!({"engagement_type": "note", "contacts": [{"id": expected["contact_id"]}], "content": expected["text"], "start_time": "2018-05-16T09:00:00+02:00", "opportunity": {"id": "5aaa9b059007ba08c9ebaf58"}});
    let (sent, out) = create(&account(), body, Script::ok(201, &envelope(json!({"note": note}))));
    assert_eq!(sent[0].url, "https://app.onepagecrm.com/api/v3/notes");
    assert_eq!(sent[0].body_json().unwrap(), &expected);
    let out = out.unwrap();
    assert_eq!(out["opportunity"], json!({"id": "5aaa9b059007ba08c9ebaf58"}));
    assert_eq!(out["start_time"], "2018-05-16T00:00:00Z");
}

#[test]
fn task_is_a_timed_action() {
    let action = json!({"id": "5aeac8789007ba56ffca92b9", "assignee_id": "5aaa9b009007ba08c9ebaef7", "contact_id": "5aba31ea9007ba0f570c92d4", "text": "#1 Email Jane introducing our organization", "status": "date_time", "date": "2018-05-16", "exact_time": 1526472000, "done": false, "created_at": "2018-05-16T11:52:09Z", "modified_at": "2018-05-16T12:52:09Z"});
    let body = json!({"engagement_type": "task", "contacts": [{"id": "5aba31ea9007ba0f570c92d4"}], "content": "#1 Email Jane introducing our organization", "owner": {"id": "5aaa9b009007ba08c9ebaef7"}, "start_time": "2018-05-16T12:00:00Z"});
    let (sent, out) = create(&account(), body, Script::ok(201, &envelope(json!({"action": action}))));
    assert_eq!(sent[0].url, "https://app.onepagecrm.com/api/v3/actions");
    assert_eq!(
        sent[0].body_json().unwrap(),
        &json!({"contact_id": "5aba31ea9007ba0f570c92d4", "text": "#1 Email Jane introducing our organization", "assignee_id": "5aaa9b009007ba08c9ebaef7", "status": "date_time", "date": "2018-05-16", "exact_time": 1526472000})
    );
    let out = out.unwrap();
    assert_eq!(out["engagement_type"], "task");
    assert_eq!(out["owner"], json!({"id": "5aaa9b009007ba08c9ebaef7"}));
    assert_eq!(out["start_time"], "2018-05-16T12:00:00Z");
    assert_eq!(out["updated_at"], "2018-05-16T12:52:09Z");
}

#[test]
fn validation_before_sending() {
    for ty in ["email", "chat"] {
        let err = create_error(&account(), json!({"engagement_type": ty, "contacts": [{"id": "c"}], "content": "x"}));
        assert_eq!(err["details"][0]["meta"]["allowed"], json!(["call", "meeting", "note", "task"]));
    }
    let err = create_error(&account(), json!({"engagement_type": "note", "account": {"id": "co"}}));
    let fields: Vec<(&str, &str)> = err["details"].as_array().unwrap().iter().map(|d| (d["field"].as_str().unwrap(), d["code"].as_str().unwrap())).collect();
    assert!(fields.contains(&("body.account", "unsupported_field")), "{fields:?}");
    assert!(fields.contains(&("body.contacts", "required")), "{fields:?}");
    let err = create_error(&account(), json!({"engagement_type": "call", "contacts": [{"id": "a"}, {"id": "b"}]}));
    assert_eq!(err["details"][0]["code"], "too_long", "one contact per record");
    let err = create_error(&account(), json!({"engagement_type": "task", "contacts": [{"id": "a"}], "content": "x".repeat(141), "phone_numbers": [{"number": "1"}], "opportunity": {"id": "d"}}));
    let fields: Vec<(&str, &str)> = err["details"].as_array().unwrap().iter().map(|d| (d["field"].as_str().unwrap(), d["code"].as_str().unwrap())).collect();
    assert_eq!(fields, [("body.phone_numbers", "unsupported_field"), ("body.opportunity", "unsupported_field"), ("body.content", "too_long")]);
    let err = create_error(&account(), json!({"engagement_type": "note", "contacts": [{"id": "a"}]}));
    assert_eq!(err["details"][0]["field"], "body.content");
}

#[test]
fn user_id_may_also_be_a_credential() {
    let acc = json!({"id": "a1", "provider": "onepagecrm", "credentials": {"api_key": "opc_key_123", "user_id": "u1"}});
    let (sent, _) = drive(input(acc, "crm", "engagements", "get", Some("x"), Value::Null, json!({"engagement_type": "note"})), Script::ok(200, &envelope(json!({"note": {"id": "x"}}))));
    assert_eq!(sent[0].headers["authorization"], basic("u1", "opc_key_123"));
    let (sent, out) = drive(input(json!({"provider": "onepagecrm", "credentials": {"api_key": "k"}}), "crm", "engagements", "get", Some("x"), Value::Null, json!({"engagement_type": "note"})), Script::default());
    assert!(sent.is_empty());
    assert_eq!(out.unwrap_err().to_json()["details"][0]["field"], "account.context.user_id");
}

#[test]
fn documented_401_is_a_remote_error() {
    let (_, out) = create(&account(), json!({"engagement_type": "call", "contacts": [{"id": "a"}]}), Script::ok(401, &fixture("onepagecrm/doc.error.unauthorized.response.json")));
    let err = out.unwrap_err().to_json();
    assert_eq!(err["statusCode"], 401);
    assert_eq!(err["truto_is_remote_error"], true);
    assert_eq!(err["remote"]["message"], "Authorization data not found");
    assert_eq!(err["remote"]["body"]["error_name"], "authorization_data_not_found");
}

#[test]
fn get_picks_the_resource() {
    let (sent, out) = drive(input(account(), "crm", "engagements", "get", Some("5afc1b69d556730b580596cb"), Value::Null, json!({"engagement_type": "call"})), Script::ok(200, &fixture("onepagecrm/doc.calls.create.response.json")));
    assert_eq!(sent[0].method.as_str(), "GET");
    assert_eq!(sent[0].url, "https://app.onepagecrm.com/api/v3/calls/5afc1b69d556730b580596cb");
    assert_eq!(out.unwrap()["phone_numbers"][0]["number"], "(912) 644-1770 (mobile)");
    let (sent, out) = drive(input(account(), "crm", "engagements", "get", Some("x"), Value::Null, json!({"engagement_type": "task"})), Script::ok(200, &envelope(json!({"action": {"id": "x"}}))));
    assert_eq!(sent[0].url, "https://app.onepagecrm.com/api/v3/actions/x");
    assert_eq!(out.unwrap()["id"], "task:x");
    let (sent, _) = drive(input(account(), "crm", "engagements", "get", Some("task:x"), Value::Null, json!({})), Script::ok(200, &envelope(json!({"action": {"id": "x"}}))));
    assert_eq!(sent[0].url, "https://app.onepagecrm.com/api/v3/actions/x", "a typed id names the resource");
}

#[test]
fn list_walks_every_resource_with_page_and_max_page() {
    let mut calls1 = fixture("onepagecrm/doc.calls.list.response.json");
    calls1["data"]["max_page"] = json!(2);
    let mut calls2 = fixture("onepagecrm/doc.calls.list.response.json");
    calls2["data"]["calls"][0]["call"]["id"] = json!("c2");
    calls2["data"]["page"] = json!(2);
    calls2["data"]["max_page"] = json!(2);
    let empty = |plural: &str| envelope(json!({plural: [], "total_count": 0, "page": 1, "per_page": 10, "max_page": 0}));
    let notes = envelope(json!({"notes": [{"note": {"id": "n1", "text": "t", "contact_id": "5ae06ef9d55673108fe8877f", "date": "2018-05-16"}}], "total_count": 1, "page": 1, "per_page": 10, "max_page": 1}));
    let script = Script::ok(200, &calls1).then(200, &calls2).then(200, &empty("meetings")).then(200, &notes).then(200, &empty("actions"));
    let (sent, pages) = drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, json!({"contact_id": "5ae06ef9d55673108fe8877f"})), script);
    let urls: Vec<&str> = sent.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://app.onepagecrm.com/api/v3/calls?contact_id=5ae06ef9d55673108fe8877f&page=1&per_page=10",
            "https://app.onepagecrm.com/api/v3/calls?contact_id=5ae06ef9d55673108fe8877f&page=2&per_page=10",
            "https://app.onepagecrm.com/api/v3/meetings?contact_id=5ae06ef9d55673108fe8877f&page=1&per_page=10",
            "https://app.onepagecrm.com/api/v3/notes?contact_id=5ae06ef9d55673108fe8877f&page=1&per_page=10",
            "https://app.onepagecrm.com/api/v3/actions?contact_id=5ae06ef9d55673108fe8877f&page=1&per_page=10",
        ]
    );
    let pages = pages.unwrap();
    let got: Vec<(&str, &str)> = pages.iter().flat_map(|p| p["result"].as_array().unwrap().iter().map(|r| (r["id"].as_str().unwrap(), r["engagement_type"].as_str().unwrap()))).collect();
    assert_eq!(got, [("call:5afc1b69d556730b580596cb", "call"), ("call:c2", "call"), ("note:n1", "note")]);
    assert!(pages.last().unwrap()["next_cursor"].is_null());
}

#[test]
fn list_filters_translate() {
    let q = json!({"engagement_type": "meeting", "account_id": "co1", "created_at": {"gte": "2018-07-01T00:00:00Z", "lt": "2018-08-01T00:00:00Z"}, "updated_at": "2018-07-15T00:00:00Z", "limit": 100});
    let meetings = envelope(json!({"meetings": [
        {"meeting": {"id": "m1", "created_at": "2018-07-02T00:00:00Z", "modified_at": "2018-07-20T00:00:00Z"}},
        {"meeting": {"id": "m2", "created_at": "2018-07-03T00:00:00Z", "modified_at": "2018-07-10T00:00:00Z"}}
    ], "page": 1, "max_page": 1}));
    let (sent, pages) = drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, q), Script::ok(200, &meetings));
    assert_eq!(sent[0].url, "https://app.onepagecrm.com/api/v3/meetings?company_id=co1&date_filter=created_at&since=1530403200&until=1533081600&page=1&per_page=100");
    let pages = pages.unwrap();
    let ids: Vec<&str> = pages[0]["result"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["meeting:m1"], "updated_at is applied by crosswalk");
    let (sent, out) = drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, json!({"contact_id": "a", "account_id": "b"})), Script::default());
    assert!(sent.is_empty());
    assert_eq!(out.unwrap_err().to_json()["details"][0]["code"], "conflict");
}

/// Every field coverage calls supported changes the request (and carries its value).
#[test]
fn supported_fields_reach_the_request() {
    let bases: Vec<Value> = ["note", "call", "task", "meeting"].iter().map(|t| json!({"engagement_type": t, "content": "base content", "contacts": [{"id": "base-contact"}]})).collect();
    assert_eq!(supported_fields_reach_request("onepagecrm", account(), "create", &bases), 8);
    assert_eq!(supported_fields_reach_request("onepagecrm", account(), "list", &[json!({})]), 5);
}
