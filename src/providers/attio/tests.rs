use serde_json::{json, Value};

use crate::providers::crm_engagements::test_support::{create, create_issues, supported_fields_reach_request};
use crate::tests::support::{drive, drive_pages, fixture, input, Script};

const TOKEN: &str = "attio_live_token_1";

fn account() -> Value {
    json!({"id": "acc", "provider": "attio", "credentials": {"access_token": TOKEN}})
}



#[test]
fn create_note_matches_recorded_exchange() {
    let body = json!({
        "engagement_type": "note", "subject": "Test note from Nango action", "content": "This is a test note created by the Nango action.",
        "contacts": [{"id": "a5a3b432-da2f-4768-90b4-8d6ad8a91ca8"}]
    });
    let resp = fixture("attio/recorded.notes.create.response.json");
    let (sent, out) = create(&account(), body, Script::ok(200, &resp));
    let req = &sent[0];
    assert_eq!((req.method.as_str(), req.url.as_str()), ("POST", "https://api.attio.com/v2/notes"));
    assert_eq!(req.headers["authorization"], format!("Bearer {TOKEN}"));
    assert_eq!(req.body_json().unwrap(), &fixture("attio/recorded.notes.create.request.json"));
    assert_eq!(
        out.unwrap(),
        json!({
            "id": "note:c4b896b6-09ef-498b-a1b4-8650e0539393", "engagement_type": "note", "subject": "Test note from Nango action",
            "content": "This is a test note created by the Nango action.", "contacts": [{"id": "a5a3b432-da2f-4768-90b4-8d6ad8a91ca8"}],
            "account": null, "opportunity": null, "owner": null, "end_time": null, "created_at": "2026-05-15T21:47:45.427Z",
            "remote_data": resp["data"]
        })
    );
}

#[test]
fn create_task_matches_recorded_exchange() {
    let body = json!({
        "engagement_type": "task", "content": "Test task created by Nango", "contacts": [{"id": "4c6ade84-19c7-4581-95aa-b1d5f4571c25"}],
        "owner": {"id": "641ecd33-0a48-4b7b-ba48-bbb7a649a8ee"}
    });
    let resp = fixture("attio/recorded.tasks.create.response.json");
    let (sent, out) = create(&account(), body, Script::ok(200, &resp));
    assert_eq!(sent[0].url, "https://api.attio.com/v2/tasks");
    assert_eq!(sent[0].body_json().unwrap(), &fixture("attio/recorded.tasks.create.request.json"));
    assert_eq!(
        out.unwrap(),
        json!({
            "id": "task:2bdab1da-3ec7-41b4-bd9d-8a9b2d0d7cec", "engagement_type": "task", "subject": null, "content": "Test task created by Nango",
            "contacts": null, "account": null, "opportunity": null, "owner": {"id": "641ecd33-0a48-4b7b-ba48-bbb7a649a8ee"}, "end_time": null,
            "created_at": "2026-05-15T21:49:00.561Z", "remote_data": resp["data"]
        })
    );
}

#[test]
fn other_fields_and_remote_data() {
    let (sent, _) = create(&account(), 
        json!({"engagement_type": "task", "content": "Call back", "end_time": "2026-06-01T17:00:00+02:00", "account": {"id": "co_1"}, "opportunity": {"id": "deal_1"},
            "remote_data": {"data": {"is_completed": true}}}),
        Script::ok(200, &fixture("attio/recorded.tasks.create.response.json")),
    );
    assert_eq!(
        sent[0].body_json().unwrap()["data"],
        json!({"content": "Call back", "format": "plaintext", "deadline_at": "2026-06-01T15:00:00Z", "is_completed": true,
            "linked_records": [{"target_object": "companies", "target_record_id": "co_1"}, {"target_object": "deals", "target_record_id": "deal_1"}], "assignees": []})
    );
    let (sent, _) = create(&account(), 
        json!({"engagement_type": "note", "subject": "T", "content": "C", "opportunity": {"id": "deal_1"}, "created_at": "2026-01-02T03:04:05Z"}),
        Script::ok(200, &fixture("attio/recorded.notes.create.response.json")),
    );
    assert_eq!(
        sent[0].body_json().unwrap()["data"],
        json!({"parent_object": "deals", "parent_record_id": "deal_1", "title": "T", "format": "plaintext", "content": "C", "created_at": "2026-01-02T03:04:05Z"})
    );
}

#[test]
fn unrepresentable_requests_fail_before_sending() {
    for t in ["call", "email", "chat", "meeting"] {
        assert!(create_issues(&account(), json!({"engagement_type": t, "content": "x"})).contains(&("body.engagement_type".into(), "not_one_of".into())), "{t}");
    }
    let note = create_issues(&account(), json!({"engagement_type": "note", "owner": {"id": "u"}, "contacts": [{"id": "p1"}], "account": {"id": "c1"}}));
    for expected in [("body.subject", "required"), ("body.content", "required"), ("body", "conflict"), ("body.owner", "unsupported_field")] {
        assert!(note.contains(&(expected.0.into(), expected.1.into())), "{expected:?} in {note:?}");
    }
    assert!(create_issues(&account(), json!({"engagement_type": "note", "subject": "s", "content": "c"})).contains(&("body.contacts".into(), "required".into())));
    let task = create_issues(&account(), json!({"engagement_type": "task", "subject": "s", "content": "x".repeat(2001), "direction": "inbound"}));
    for expected in [("body.subject", "unsupported_field"), ("body.content", "too_long"), ("body.direction", "unsupported_field")] {
        assert!(task.contains(&(expected.0.into(), expected.1.into())), "{expected:?} in {task:?}");
    }
}

#[test]
fn list_notes_pages_by_offset() {
    let page = fixture("attio/recorded.notes.list.response.json");
    let last = json!({"data": [page["data"][0].clone()]});
    let q = json!({"engagement_type": "note", "contact_id": "a5a3b432-da2f-4768-90b4-8d6ad8a91ca8", "limit": 2});
    let (sent, pages) = drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, q), Script::ok(200, &page).then(200, &last));
    let pages = pages.unwrap();
    assert_eq!(sent[0].url, "https://api.attio.com/v2/notes?limit=2&offset=0&parent_object=people&parent_record_id=a5a3b432-da2f-4768-90b4-8d6ad8a91ca8");
    assert_eq!(sent[1].url, "https://api.attio.com/v2/notes?limit=2&offset=2&parent_object=people&parent_record_id=a5a3b432-da2f-4768-90b4-8d6ad8a91ca8");
    assert_eq!(sent[1].headers["authorization"], format!("Bearer {TOKEN}"));
    assert_eq!(pages[0]["result"][1]["id"], "note:c4b896b6-09ef-498b-a1b4-8650e0539393");
    assert_eq!(pages[0]["result"][0]["created_at"], "2026-05-15T21:47:36.386Z");
    assert!(pages[0]["next_cursor"].is_string());
    assert_eq!(pages[1]["result_count"], 1);
    assert!(pages[1]["next_cursor"].is_null());
}

#[test]
fn list_tasks_and_filters() {
    let tasks = fixture("attio/recorded.tasks.list.response.json");
    let run = |q: Value| drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, q), Script::ok(200, &tasks));
    let (sent, pages) = run(json!({"engagement_type": "task", "account_id": "co_1"}));
    assert_eq!(sent[0].url, "https://api.attio.com/v2/tasks?limit=500&offset=0&linked_object=companies&linked_record_id=co_1");
    let pages = pages.unwrap();
    assert_eq!(pages[0]["result"][1]["owner"], json!({"id": "641ecd33-0a48-4b7b-ba48-bbb7a649a8ee"}));
    assert!(pages[0]["next_cursor"].is_null(), "2 < 500: last page");
    let (sent, out) = run(json!({}));
    assert!(sent.is_empty());
    assert_eq!(out.unwrap_err().to_json()["details"][0]["field"], "query.engagement_type");
    let (_, out) = run(json!({"engagement_type": "task", "contact_id": "p", "account_id": "c"}));
    assert_eq!(out.unwrap_err().to_json()["details"][0]["code"], "conflict");
}

#[test]
fn get_note_and_not_found() {
    let resp = fixture("attio/recorded.notes.get.response.json");
    let id = "449006f2-4109-43bc-9dd1-65108f3c775f";
    let (sent, out) = drive(input(account(), "crm", "engagements", "get", Some(id), Value::Null, json!({"engagement_type": "note"})), Script::ok(200, &resp));
    assert_eq!((sent[0].method.as_str(), sent[0].url.as_str()), ("GET", "https://api.attio.com/v2/notes/449006f2-4109-43bc-9dd1-65108f3c775f"));
    assert_eq!(out.unwrap()["id"], format!("note:{id}"));
    // The typed id alone names the path.
    let (sent, _) = drive(input(account(), "crm", "engagements", "get", Some(&format!("note:{id}")), Value::Null, json!({})), Script::ok(200, &resp));
    assert_eq!(sent[0].url, format!("https://api.attio.com/v2/notes/{id}"));
    let (sent, out) = drive(input(account(), "crm", "engagements", "get", Some(id), Value::Null, json!({"engagement_type": "task"})), Script::ok(404, &fixture("attio/doc.error.not_found.response.json")));
    assert_eq!(sent[0].url, format!("https://api.attio.com/v2/tasks/{id}"));
    let e = out.unwrap_err().to_json();
    assert_eq!((e["statusCode"].clone(), e["remote"]["message"].clone()), (json!(404), json!("Object 'foobar' not found.")));
}

#[test]
fn every_supported_create_field_reaches_the_request() {
    let op = super::PROVIDER.op("crm", "engagements", crate::unified::schema::UnifiedMethod::Create).unwrap();
    let note = json!({"engagement_type": "note", "subject": "S", "content": "C", "contacts": [{"id": "p1"}]});
    let task = json!({"engagement_type": "task", "content": "C"});
    let samples = json!({
        "engagement_type": [note, "/data/parent_object", "people"], "subject": [note, "/data/title", "S"], "content": [task, "/data/content", "C"],
        "contacts": [note, "/data/parent_record_id", "p1"], "account": [{"engagement_type": "task", "content": "C", "account": {"id": "c1"}}, "/data/linked_records/0/target_record_id", "c1"],
        "opportunity": [{"engagement_type": "task", "content": "C", "opportunity": {"id": "d1"}}, "/data/linked_records/0/target_object", "deals"],
        "owner": [{"engagement_type": "task", "content": "C", "owner": {"id": "u1"}}, "/data/assignees/0/referenced_actor_id", "u1"],
        "end_time": [{"engagement_type": "task", "content": "C", "end_time": "2026-01-01T00:00:00Z"}, "/data/deadline_at", "2026-01-01T00:00:00Z"],
        "created_at": [{"engagement_type": "note", "subject": "S", "content": "C", "contacts": [{"id": "p1"}], "created_at": "2026-01-01T00:00:00Z"}, "/data/created_at", "2026-01-01T00:00:00Z"],
    });
    for row in op.fields {
        let s = samples[row.field].as_array().unwrap_or_else(|| panic!("no sample for {}", row.field));
        let (sent, out) = create(&account(), s[0].clone(), Script::ok(200, &fixture("attio/recorded.notes.create.response.json")));
        let _ = out;
        assert_eq!(sent[0].body_json().unwrap().pointer(s[1].as_str().unwrap()), Some(&s[2]), "{}", row.field);
    }
}

/// Every field coverage calls supported changes the request (and carries its value).
#[test]
fn supported_fields_reach_the_provider_request() {
    let bases = [
        json!({"engagement_type": "note", "subject": "S", "content": "C", "contacts": [{"id": "p1"}]}),
        json!({"engagement_type": "note", "subject": "S", "content": "C"}),
        json!({"engagement_type": "task", "content": "C"}),
    ];
    assert_eq!(supported_fields_reach_request("attio", account(), "create", &bases), 10);
    assert_eq!(supported_fields_reach_request("attio", account(), "list", &[json!({"engagement_type": "note"}), json!({"engagement_type": "task"})]), 4);
}
