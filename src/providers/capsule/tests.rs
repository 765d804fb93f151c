use serde_json::{json, Value};

use crate::codec::http::HttpResponse;
use crate::providers::crm_engagements::test_support::{create, create_error, issue_codes, supported_fields_reach_request, supported_fields_reach_request_after};
use crate::tests::support::{drive, drive_pages, fixture, input, Script};

fn account() -> Value {
    json!({"id": "a1", "provider": "capsule", "credentials": {"access_token": "cap_tok_123"}})
}




#[test]
fn note_is_one_entry_request_without_lookup() {
    let show = fixture("capsule/doc.entries.show.response.json");
    let body = json!({"engagement_type": "note", "content": "The note content", "account": {"id": "892"}, "start_time": "2015-12-07T17:54:27+01:00"});
    let (sent, out) = create(&account(), body, Script::ok(201, &show));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method.as_str(), "POST");
    assert_eq!(sent[0].url, "https://api.capsulecrm.com/api/v2/entries");
    assert_eq!(sent[0].headers["authorization"], "Bearer cap_tok_123");
    assert_eq!(sent[0].body_json().unwrap(), &json!({"entry": {"type": "note", "content": "The note content", "party": {"id": 892}, "entryAt": "2015-12-07T16:54:27Z"}}));
    let out = out.unwrap();
    assert_eq!(out["id"], "note:101");
    assert_eq!(out["engagement_type"], "note");
    assert_eq!(out["content"], "The note content");
    assert_eq!(out["owner"], json!({"id": "61"}));
    assert_eq!(out["account"], json!({"id": "892"}));
    assert_eq!(out["contacts"], json!([]));
    assert_eq!(out["start_time"], "2015-12-07T16:54:27Z");
    assert_eq!(out["created_at"], "2015-12-07T16:54:27Z");
    assert_eq!(out["updated_at"], "2015-12-07T16:54:27Z");
    assert_eq!(out["remote_data"], show["entry"]);
}

#[test]
fn call_looks_up_its_activity_type_by_name_first() {
    let types = fixture("capsule/doc.activitytypes.list.response.json");
    let created = json!({"entry": {"id": 5, "type": "note", "activityType": {"id": -3, "name": "Call"}, "content": "Rang", "party": {"id": 7, "type": "person"}}});
    let body = json!({"engagement_type": "call", "content": "Rang", "contacts": [{"id": 7}]});
    let (sent, out) = create(&account(), body, Script::ok(200, &types).then(201, &created));
    assert_eq!(sent[0].method.as_str(), "GET");
    assert_eq!(sent[0].url, "https://api.capsulecrm.com/api/v2/activitytypes?perPage=100");
    assert_eq!(sent[0].headers["authorization"], "Bearer cap_tok_123");
    assert_eq!(sent[1].url, "https://api.capsulecrm.com/api/v2/entries");
    assert_eq!(sent[1].body_json().unwrap(), &json!({"entry": {"type": "note", "content": "Rang", "party": {"id": 7}, "activityType": {"id": -3}}}));
    let out = out.unwrap();
    assert_eq!(out["engagement_type"], "call");
    assert_eq!(out["contacts"], json!([{"id": "7"}]));
}

#[test]
fn meeting_on_a_renamed_account_matches_case_insensitively_or_fails_clearly() {
    let types = json!({"activityTypes": [{"id": 40, "name": "MEETING"}, {"id": -1, "name": "Note"}]});
    let created = json!({"entry": {"id": 6, "type": "note", "activityType": {"id": 40}}});
    let (sent, out) = create(&account(), json!({"engagement_type": "meeting", "content": "x", "project": {"id": "3"}}), Script::ok(200, &types).then(201, &created));
    assert_eq!(sent[1].body_json().unwrap()["entry"]["activityType"], json!({"id": 40}));
    assert_eq!(sent[1].body_json().unwrap()["entry"]["kase"], json!({"id": 3}));
    assert_eq!(out.unwrap()["engagement_type"], "meeting", "no name in the answer: the type sent");
    // No such type: a validation error naming what the account has; nothing was created.
    let types = json!({"activityTypes": [{"id": -1, "name": "Note"}]});
    let resp = HttpResponse::new(200, types.to_string()).with_header("link", "<https://api.capsulecrm.com/api/v2/activitytypes?page=2>; rel=\"next\"");
    let (sent, out) = create(&account(), json!({"engagement_type": "call", "content": "x", "contacts": [{"id": 1}]}), Script::default().then_response(resp));
    assert_eq!(sent.len(), 1);
    let err = out.unwrap_err().to_json();
    assert_eq!(err["code"], "validation_failed");
    assert_eq!(err["details"][0]["field"], "body.engagement_type");
    assert_eq!(err["details"][0]["meta"]["available"], json!(["Note"]));
    assert!(err["details"][0]["message"].as_str().unwrap().contains("first 100"));
}

#[test]
fn caller_given_activity_type_skips_the_lookup_and_create_failure_is_plain() {
    let body = json!({"engagement_type": "call", "content": "x", "opportunity": {"id": 9}, "remote_data": {"entry": {"activityType": {"id": 77}}}});
    let (sent, out) = create(&account(), body, Script::ok(422, &json!({"message": "activityType not found"})));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].body_json().unwrap(), &json!({"entry": {"type": "note", "content": "x", "opportunity": {"id": 9}, "activityType": {"id": 77}}}));
    let err = out.unwrap_err().to_json();
    assert_eq!(err["code"], "remote_error");
    assert_eq!(err["remote"]["message"], "activityType not found");
    // After a successful lookup, a failed create is still a plain remote error: the lookup created nothing.
    let types = fixture("capsule/doc.activitytypes.list.response.json");
    let (sent, out) = create(&account(), json!({"engagement_type": "meeting", "content": "x", "contacts": [{"id": 1}]}), Script::ok(200, &types).then(404, &json!({"message": "party not found"})));
    assert_eq!(sent.len(), 2);
    let err = out.unwrap_err().to_json();
    assert_eq!(err["code"], "remote_error");
    assert_eq!(err["statusCode"], 404);
    assert_eq!(err["remote"]["message"], "party not found");
}

#[test]
fn documented_rate_limit_body_is_a_remote_error() {
    let mut inp = input(account(), "crm", "engagements", "get", Some("1"), Value::Null, json!({"engagement_type": "note"}));
    inp.retry.max_attempts = 1;
    let (_, out) = drive(inp, Script::ok(429, &fixture("capsule/doc.error.rate_limit.response.json")));
    let err = out.unwrap_err().to_json();
    assert_eq!(err["statusCode"], 429);
    assert_eq!(err["remote"]["message"], "rate limit reached");
}

#[test]
fn task_sends_description_detail_date_and_owner() {
    let task = fixture("capsule/doc.tasks.list.response.json")["tasks"][0].clone();
    let body = json!({"engagement_type": "task", "subject": "Send quarterly invoice", "content": "Q2", "owner": {"id": "1"}, "account": {"id": "448322"}, "start_time": "2016-06-14T23:30:00-02:00"});
    let (sent, out) = create(&account(), body, Script::ok(201, &json!({"task": task})));
    assert_eq!(sent[0].url, "https://api.capsulecrm.com/api/v2/tasks");
    assert_eq!(
        sent[0].body_json().unwrap(),
        &json!({"task": {"party": {"id": 448322}, "description": "Send quarterly invoice", "detail": "Q2", "dueOn": "2016-06-15", "owner": {"id": 1}}})
    );
    let out = out.unwrap();
    assert_eq!(out["engagement_type"], "task");
    assert_eq!(out["subject"], "Send quarterly invoice");
    assert_eq!(out["owner"], json!({"id": "1"}));
    assert_eq!(out["account"], json!({"id": "448322"}));
    assert_eq!(out["start_time"], "2016-06-14T00:00:00Z");
    assert_eq!(out["created_at"], "2016-06-01T10:00:00Z");
}

#[test]
fn validation_before_anything_is_sent() {
    let err = create_error(&account(), json!({"engagement_type": "email", "content": "x", "contacts": [{"id": 1}]}));
    assert_eq!(err["details"][0]["meta"]["allowed"], json!(["note", "call", "meeting", "task"]));
    let err = create_error(&account(), json!({"engagement_type": "note", "subject": "s", "owner": {"id": "1"}}));
    let c = issue_codes(&err);
    assert!(c.contains(&("body.subject".into(), "unsupported_field".into())));
    assert!(c.contains(&("body.owner".into(), "unsupported_field".into())));
    assert!(c.contains(&("body.contacts".into(), "required".into())));
    assert_eq!(err["details"].as_array().unwrap().iter().find(|d| d["field"] == "body.contacts").unwrap()["meta"]["one_of"], json!(["contacts", "account", "opportunity", "project"]));
    assert!(c.contains(&("body.content".into(), "required".into())));
    assert_eq!(c.len(), 4, "{c:?}");
    let err = create_error(&account(), json!({"engagement_type": "task", "contacts": [{"id": "1"}], "opportunity": {"id": "x"}}));
    let c = issue_codes(&err);
    assert!(c.contains(&("body.opportunity".into(), "conflict".into())));
    assert!(c.contains(&("body.opportunity.id".into(), "invalid_format".into())));
    assert!(c.contains(&("body.subject".into(), "required".into())));
    assert!(c.contains(&("body.start_time".into(), "required".into())));
    let err = create_error(&account(), json!({"engagement_type": "note", "content": "x", "contacts": [{"id": 1}], "direction": "inbound"}));
    assert_eq!(err["details"][0]["code"], "unsupported_field");
}

#[test]
fn get_reads_entries_or_tasks() {
    let (sent, out) = drive(input(account(), "crm", "engagements", "get", Some("101"), Value::Null, json!({"engagement_type": "meeting"})), Script::ok(200, &fixture("capsule/doc.entries.show.response.json")));
    assert_eq!(sent[0].url, "https://api.capsulecrm.com/api/v2/entries/101");
    assert_eq!(out.unwrap()["engagement_type"], "note", "the record says what it is");
    let task = json!({"task": fixture("capsule/doc.tasks.list.response.json")["tasks"][0]});
    let (sent, _) = drive(input(account(), "crm", "engagements", "get", Some("493"), Value::Null, json!({"engagement_type": "task"})), Script::ok(200, &task));
    assert_eq!(sent[0].url, "https://api.capsulecrm.com/api/v2/tasks/493");
    // Typed ids need no query: task → /tasks, any other type (or entry) → /entries.
    for (id, url) in [("task:493", "tasks/493"), ("entry:12", "entries/12"), ("call:102", "entries/102")] {
        let (sent, _) = drive(input(account(), "crm", "engagements", "get", Some(id), Value::Null, json!({})), Script::ok(200, &task));
        assert_eq!(sent[0].url, format!("https://api.capsulecrm.com/api/v2/{url}"));
    }
}

#[test]
fn list_follows_link_headers_on_our_origin_then_open_tasks() {
    let page1 = HttpResponse::new(200, fixture("capsule/doc.entries.list.response.json").to_string())
        .with_header("link", "<https://evil.example/api/v2/entries?page=2&perPage=2>; rel=\"next\"");
    let page2 = HttpResponse::new(200, json!({"entries": [{"id": 13, "type": "email", "subject": "Hi"}, {"id": 14, "type": "note", "activityType": {"id": 9, "name": "Video call"}}]}).to_string());
    let tasks = HttpResponse::new(200, fixture("capsule/doc.tasks.list.response.json").to_string());
    let script = Script::default().then_response(page1).then_response(page2).then_response(tasks);
    let (sent, pages) = drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, json!({"limit": 2})), script);
    let urls: Vec<&str> = sent.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://api.capsulecrm.com/api/v2/entries?perPage=2",
            "https://api.capsulecrm.com/api/v2/entries?page=2&perPage=2",
            "https://api.capsulecrm.com/api/v2/tasks?perPage=2&status=open%2Cpending",
        ]
    );
    assert!(sent.iter().all(|r| r.headers["authorization"] == "Bearer cap_tok_123"));
    let pages = pages.unwrap();
    let p1 = pages[0]["result"].as_array().unwrap();
    assert_eq!(p1[0]["engagement_type"], "task", "a completed-task entry");
    assert_eq!(p1[0]["account"], json!({"id": "892"}));
    assert_eq!(p1[1]["engagement_type"], "note");
    assert_eq!(p1[1]["contacts"], json!([{"id": "891"}]));
    let p2 = pages[1]["result"].as_array().unwrap();
    assert_eq!(p2[0]["engagement_type"], "email");
    assert_eq!(p2[0]["subject"], "Hi");
    assert!(p2[1]["engagement_type"].is_null());
    assert_eq!(pages[1]["warnings"][0]["code"], "unknown_engagement_type");
    assert_eq!(p1[0]["id"], "entry:12", "a completed-task entry is read from /entries");
    assert_eq!(p1[1]["id"], "note:11");
    assert_eq!((p2[0]["id"].as_str(), p2[1]["id"].as_str()), (Some("email:13"), Some("entry:14")));
    assert_eq!(pages[2]["result"][0]["id"], "task:493");
    assert!(pages[2]["next_cursor"].is_null());
}

#[test]
fn page_sizes_follow_each_endpoints_documented_range() {
    // Party entries: perPage 1–50 (developer.capsulecrm.com/v2/operations/Entry); the
    // account-wide "List Entries by Date" and tasks: 1–100.
    let empty = || Script::ok(200, &json!({"entries": []}));
    let (sent, _) = drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, json!({"contact_id": "891", "limit": 500})), empty());
    assert_eq!(sent[0].url, "https://api.capsulecrm.com/api/v2/parties/891/entries?perPage=50");
    let (sent, _) = drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, json!({"engagement_type": "note", "limit": 500})), empty());
    assert_eq!(sent[0].url, "https://api.capsulecrm.com/api/v2/entries?perPage=100");
    let (sent, _) = drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, json!({"engagement_type": "task", "limit": 500})), Script::ok(200, &json!({"tasks": []})));
    assert_eq!(sent[0].url, "https://api.capsulecrm.com/api/v2/tasks?perPage=100&status=open%2Ccompleted%2Cpending");
}

#[test]
fn list_filters() {
    let entries = fixture("capsule/doc.entries.list.response.json");
    let (sent, pages) = drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, json!({"contact_id": "891", "engagement_type": "note"})), Script::ok(200, &entries));
    assert_eq!(sent[0].url, "https://api.capsulecrm.com/api/v2/parties/891/entries?perPage=50");
    let pages = pages.unwrap();
    let ids: Vec<&str> = pages[0]["result"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["note:11"], "the completed-task entry is not a note");
    // A party filter without a type lists the party's entries and says tasks are left out.
    let (_, pages) = drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, json!({"account_id": "892"})), Script::ok(200, &entries));
    assert_eq!(pages.unwrap()[0]["warnings"][0]["code"], "partial_listing");
    let (sent, pages) = drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, json!({"engagement_type": "task"})), Script::ok(200, &fixture("capsule/doc.tasks.list.response.json")));
    assert_eq!(sent[0].url, "https://api.capsulecrm.com/api/v2/tasks?perPage=50&status=open%2Ccompleted%2Cpending");
    assert_eq!(pages.unwrap()[0]["result"][0]["subject"], "Send quarterly invoice");
    let (sent, out) = drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, json!({"engagement_type": "task", "contact_id": "1"})), Script::default());
    assert!(sent.is_empty());
    assert_eq!(out.unwrap_err().to_json()["details"][0]["field"], "query.engagement_type");
}

/// Every field coverage calls supported changes the request (and carries its value);
/// calls and meetings get their activity types from the documented list first.
#[test]
fn supported_fields_reach_the_request() {
    let bases = [
        json!({"engagement_type": "note", "content": "base content", "contacts": [{"id": 1}]}),
        json!({"engagement_type": "note", "content": "base content"}),
        json!({"engagement_type": "call", "content": "base content", "contacts": [{"id": 1}]}),
        json!({"engagement_type": "task", "subject": "base subject", "start_time": "2020-01-01T00:00:00Z"}),
    ];
    let types = [fixture("capsule/doc.activitytypes.list.response.json")];
    assert_eq!(supported_fields_reach_request_after("capsule", account(), "create", &bases, &types), 10);
    assert_eq!(supported_fields_reach_request("capsule", account(), "list", &[json!({})]), 5);
}
