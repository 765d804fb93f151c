use serde_json::{json, Value};

use crate::providers::crm_engagements::test_support::{create, create_error, supported_fields_reach_request};
use crate::tests::support::{drive, drive_pages, fixture, input, Script};

fn account() -> Value {
    json!({"id": "a1", "provider": "zendesk_sell", "credentials": {"access_token": "sell_tok_123"}})
}



fn list_page(items: Value, next: Option<&str>) -> Value {
    let items: Vec<Value> = items.as_array().unwrap().iter().map(|d| json!({"data": d, "meta": {"type": "x"}})).collect();
    let mut links = json!({"self": "https://api.getbase.com/v2/calls?page=1&per_page=2"});
    if let Some(n) = next {
        links["next_page"] = json!(n);
    }
    json!({"items": items, "meta": {"type": "collection", "count": items.len(), "links": links}})
}

#[test]
fn call_create_matches_the_documented_payload() {
    let expected = fixture("zendesk_sell/community.calls.create.request.json");
    let body = json!({
        "engagement_type": "call",
        "content": "Schedule another call.",
        "owner": {"id": "2344650"},
        "duration": 115,
        "phone_numbers": [{"number": "+ 44-208-1234567"}],
        "direction": "outbound",
        "contacts": [{"id": "298467616"}],
        "start_time": "2021-04-21T13:08:56+02:00",
        "remote_data": {"data": {"recording_url": expected["data"]["recording_url"]}},
    });
    let resp = fixture("zendesk_sell/assembled.calls.create.response.json");
    let (sent, out) = create(&account(), body, Script::ok(200, &resp));
    let req = &sent[0];
    assert_eq!(req.method.as_str(), "POST");
    assert_eq!(req.url, "https://api.getbase.com/v2/calls");
    assert_eq!(req.headers["authorization"], "Bearer sell_tok_123");
    assert_eq!(req.body_json().unwrap(), &expected);
    let out = out.unwrap();
    assert_eq!(out["id"], "call:171");
    assert_eq!(out["engagement_type"], "call");
    assert_eq!(out["content"], "Schedule another call.");
    assert_eq!(out["owner"], json!({"id": "2344650"}));
    assert_eq!(out["contacts"], json!([{"id": "298467616"}]));
    assert_eq!(out["lead"], json!([]));
    assert_eq!(out["opportunity"], Value::Null);
    assert_eq!(out["direction"], "outbound");
    assert_eq!(out["duration"], 115);
    assert_eq!(out["start_time"], "2021-04-21T11:08:56Z");
    assert_eq!(out["phone_numbers"], json!([{"number": "+ 44-208-1234567"}]));
    assert_eq!(out["created_at"], Value::Null);
    assert_eq!(out["updated_at"], "2021-04-21T11:09:02Z");
    assert_eq!(out["remote_data"], resp["data"]);
}

#[test]
fn directions_both_ways() {
    for (unified, incoming, missed) in [("inbound", true, false), ("outbound", false, false), ("missed", true, true)] {
        let body = json!({"engagement_type": "call", "direction": unified, "lead": [{"id": "5"}]});
        let resp = json!({"data": {"id": 1, "incoming": incoming, "missed": missed, "resource_type": "lead", "resource_id": 5}});
        let (sent, out) = create(&account(), body, Script::ok(200, &resp));
        assert_eq!(sent[0].body_json().unwrap(), &json!({"data": {"incoming": incoming, "missed": missed, "resource_type": "lead", "resource_id": 5}}));
        let out = out.unwrap();
        assert_eq!(out["direction"], unified);
        assert_eq!(out["lead"], json!([{"id": "5"}]));
    }
}

#[test]
fn a_call_keeps_its_contact_and_links_the_deal_separately() {
    let body = json!({"engagement_type": "call", "account": {"id": 77}, "opportunity": {"id": "9"}});
    let resp = json!({"data": {"id": 3, "resource_type": "contact", "resource_id": 77, "associated_deal_ids": [9]}});
    let (sent, out) = create(&account(), body, Script::ok(200, &resp));
    assert_eq!(sent[0].body_json().unwrap(), &json!({"data": {"resource_type": "contact", "resource_id": 77, "associated_deal_ids": [9]}}));
    assert_eq!(out.unwrap()["opportunity"], json!({"id": "9"}));
}

#[test]
fn note_on_a_deal_and_its_record() {
    let resp = fixture("zendesk_sell/assembled.notes.get.response.json");
    let (sent, out) = create(&account(), json!({"engagement_type": "note", "content": "Highly important.", "opportunity": {"id": "1"}}), Script::ok(200, &resp));
    assert_eq!(sent[0].url, "https://api.getbase.com/v2/notes");
    assert_eq!(sent[0].body_json().unwrap(), &json!({"data": {"content": "Highly important.", "resource_type": "deal", "resource_id": 1}}));
    let out = out.unwrap();
    assert_eq!(out["engagement_type"], "note");
    assert_eq!(out["opportunity"], json!({"id": "1"}));
    assert_eq!(out["owner"], json!({"id": "1"}), "a note's owner is its creator");
    assert_eq!(out["created_at"], "2014-08-27T16:32:56Z");
    assert_eq!(out["updated_at"], "2014-08-27T17:32:56Z");
    assert_eq!(out["start_time"], Value::Null);
}

#[test]
fn task_with_owner_and_due_date() {
    let resp = fixture("zendesk_sell/assembled.tasks.get.response.json");
    let body = json!({"engagement_type": "task", "content": "Contact Tom", "owner": {"id": "1"}, "lead": [{"id": "1"}], "start_time": "2014-09-27T16:32:56Z"});
    let (sent, out) = create(&account(), body, Script::ok(200, &resp));
    assert_eq!(sent[0].url, "https://api.getbase.com/v2/tasks");
    assert_eq!(
        sent[0].body_json().unwrap(),
        &json!({"data": {"content": "Contact Tom", "owner_id": 1, "resource_type": "lead", "resource_id": 1, "due_date": "2014-09-27T16:32:56Z"}})
    );
    let out = out.unwrap();
    assert_eq!(out["engagement_type"], "task");
    assert_eq!(out["start_time"], "2014-09-27T16:32:56Z");
    assert_eq!(out["lead"], json!([{"id": "1"}]));
    assert_eq!(out["owner"], json!({"id": "1"}));
}

#[test]
fn types_sell_cannot_store_are_rejected_before_sending() {
    for ty in ["meeting", "email", "chat"] {
        let err = create_error(&account(), json!({"engagement_type": ty, "content": "x"}));
        assert_eq!(err["details"][0]["field"], "body.engagement_type");
        assert_eq!(err["details"][0]["code"], "not_one_of");
        assert_eq!(err["details"][0]["meta"]["allowed"], json!(["call", "note", "task"]));
    }
    assert_eq!(create_error(&account(), json!({"content": "x"}))["details"][0]["code"], "required");
}

#[test]
fn fields_the_type_cannot_carry_and_several_parents_are_errors() {
    let err = create_error(&account(), json!({
        "engagement_type": "note", "direction": "inbound", "duration": 5, "owner": {"id": "1"},
        "contacts": [{"id": "1"}], "lead": [{"id": "2"}],
    }));
    let fields: Vec<(&str, &str)> = err["details"].as_array().unwrap().iter().map(|d| (d["field"].as_str().unwrap(), d["code"].as_str().unwrap())).collect();
    assert!(fields.contains(&("body.owner", "unsupported_field")));
    assert!(fields.contains(&("body.direction", "unsupported_field")));
    assert!(fields.contains(&("body.duration", "unsupported_field")));
    assert!(fields.contains(&("body.lead", "conflict")));
    assert!(fields.contains(&("body.content", "required")));
    assert_eq!(fields.len(), 5, "{fields:?}");
    // A task cannot hang off a contact and a deal at once either.
    let err = create_error(&account(), json!({"engagement_type": "task", "content": "x", "contacts": [{"id": "1"}], "opportunity": {"id": "2"}}));
    assert_eq!(err["details"][0]["field"], "body.opportunity");
    assert_eq!(err["details"][0]["meta"]["conflicting"], json!(["contacts", "opportunity"]));
    let err = create_error(&account(), json!({"engagement_type": "call", "contacts": [{"id": "1"}, {"id": "2"}]}));
    assert_eq!(err["details"][0]["code"], "too_long");
    let err = create_error(&account(), json!({"engagement_type": "call", "owner": {"id": "u-1"}, "phone_numbers": [{"type": "mobile"}]}));
    let fields: Vec<&str> = err["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["body.owner.id", "body.phone_numbers[0].number"]);
}

#[test]
fn error_envelope_becomes_a_remote_error() {
    let (_, out) = create(&account(), json!({"engagement_type": "note", "content": "x"}), Script::ok(422, &fixture("zendesk_sell/doc.error.response.json")));
    let err = out.unwrap_err().to_json();
    assert_eq!(err["statusCode"], 422);
    assert_eq!(err["truto_is_remote_error"], true);
    assert_eq!(err["remote"]["message"], "End user human readable description");
}

#[test]
fn get_needs_the_type_and_reads_the_right_resource() {
    let (sent, out) = drive(input(account(), "crm", "engagements", "get", Some("171"), Value::Null, json!({})), Script::default());
    assert!(sent.is_empty());
    assert_eq!(out.unwrap_err().to_json()["details"][0]["field"], "id", "a plain id without engagement_type names no resource");
    let resp = fixture("zendesk_sell/assembled.calls.create.response.json");
    let (sent, out) = drive(input(account(), "crm", "engagements", "get", Some("171"), Value::Null, json!({"engagement_type": "call"})), Script::ok(200, &resp));
    assert_eq!(sent[0].method.as_str(), "GET");
    assert_eq!(sent[0].url, "https://api.getbase.com/v2/calls/171");
    assert_eq!(out.unwrap()["duration"], 115);
    let (sent, out) = drive(input(account(), "crm", "engagements", "get", Some("call:171"), Value::Null, json!({})), Script::ok(200, &resp));
    assert_eq!(sent[0].url, "https://api.getbase.com/v2/calls/171");
    let out = out.unwrap();
    assert_eq!((out["id"].as_str(), out["engagement_type"].as_str()), (Some("call:171"), Some("call")));
}

#[test]
fn list_walks_calls_then_notes_then_tasks() {
    let calls1 = list_page(json!([{"id": 1, "incoming": true, "missed": false}, {"id": 2}]), Some("https://api.getbase.com/v2/calls?page=2&per_page=2"));
    let calls2 = list_page(json!([{"id": 3}]), None);
    let notes = list_page(json!([{"id": 10, "content": "n"}]), None);
    let tasks = list_page(json!([]), None);
    let script = Script::ok(200, &calls1).then(200, &calls2).then(200, &notes).then(200, &tasks);
    let (sent, pages) = drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, json!({"limit": 2, "contact_id": "55"})), script);
    let urls: Vec<&str> = sent.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://api.getbase.com/v2/calls?page=1&per_page=2&resource_type=contact&resource_id=55",
            "https://api.getbase.com/v2/calls?page=2&per_page=2&resource_type=contact&resource_id=55",
            "https://api.getbase.com/v2/notes?page=1&per_page=2&resource_type=contact&resource_id=55",
            "https://api.getbase.com/v2/tasks?page=1&per_page=2&resource_type=contact&resource_id=55",
        ]
    );
    let pages = pages.unwrap();
    assert_eq!(pages.len(), 4);
    let types: Vec<(&str, &str)> = pages.iter().flat_map(|p| p["result"].as_array().unwrap().iter().map(|r| (r["id"].as_str().unwrap(), r["engagement_type"].as_str().unwrap()))).collect();
    assert_eq!(types, [("call:1", "call"), ("call:2", "call"), ("call:3", "call"), ("note:10", "note")]);
    assert_eq!(pages[0]["result"][0]["direction"], "inbound");
    assert!(pages[2]["next_cursor"].is_string());
    assert!(pages[3]["next_cursor"].is_null());
}

#[test]
fn list_filters_translate_or_apply_locally() {
    // With the type set, only that resource; without links, a short page is the last.
    let page = json!({"items": [{"data": {"id": 4, "created_at": "2024-01-01T00:00:00Z"}}, {"data": {"id": 5, "created_at": "2024-03-01T00:00:00Z"}}]});
    let q = json!({"engagement_type": "note", "account_id": "8", "created_at": {"gte": "2024-02-01T00:00:00Z"}, "remote_query": {"sort_by": "created_at"}});
    let (sent, pages) = drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, q), Script::ok(200, &page));
    assert_eq!(sent[0].url, "https://api.getbase.com/v2/notes?page=1&per_page=25&resource_type=contact&resource_id=8&sort_by=created_at");
    let pages = pages.unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0]["result"].as_array().unwrap().len(), 1);
    assert_eq!(pages[0]["result"][0]["id"], "note:5");
    assert_eq!(pages[0]["warnings"][0]["code"], "filter_applied_locally");
    // Both parents at once cannot be one Sell filter.
    let (sent, out) = drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, json!({"contact_id": "1", "account_id": "2"})), Script::default());
    assert!(sent.is_empty());
    assert_eq!(out.unwrap_err().to_json()["details"][0]["code"], "conflict");
}

/// Every field coverage calls supported changes the request (and carries its value).
#[test]
fn supported_fields_reach_the_request() {
    let bases: Vec<Value> = ["call", "note", "task"].iter().map(|t| json!({"engagement_type": t, "content": "base content"})).collect();
    assert_eq!(supported_fields_reach_request("zendesk_sell", account(), "create", &bases), 12);
    assert_eq!(supported_fields_reach_request("zendesk_sell", account(), "list", &[json!({})]), 5);
}

#[test]
fn no_call_field_is_required_because_none_is_documented_as_required() {
    // Sell's Calls reference marks no call attribute required; a call Sell rejects comes back as its own error.
    let resp = json!({"data": {"id": 1, "resource_type": "contact", "resource_id": 7}});
    let (sent, out) = create(&account(), json!({"engagement_type": "call", "contacts": [{"id": "7"}]}), Script::ok(200, &resp));
    assert_eq!(sent[0].body_json().unwrap(), &json!({"data": {"resource_type": "contact", "resource_id": 7}}));
    assert_eq!(out.unwrap()["id"], "call:1");
}
