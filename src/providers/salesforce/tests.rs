use serde_json::{json, Value};

use crate::codec::doc::of;
use crate::providers::crm_engagements::test_support::{create_error, issue_codes, list_pages, run, supported_fields_reach_request};
use crate::tests::support::{fixture, Script};

const ORIGIN: &str = "https://acme.my.salesforce.com";

fn account() -> Value {
    json!({"id": "acc", "provider": "salesforce", "credentials": {"access_token": "00Dxx!secret-token"}, "context": {"instance_url": "https://acme.my.salesforce.com/"}})
}

/// The decoded SOQL of a query URL.
fn soql(url: &str) -> String {
    let q = url.split_once("?q=").map(|(_, q)| q).unwrap_or_default();
    percent_encoding::percent_decode_str(q).decode_utf8().unwrap().into_owned()
}

fn task_record(id: &str, subtype: &str) -> Value {
    json!({
        "attributes": {"type": "Task", "url": format!("/services/data/v60.0/sobjects/Task/{id}")},
        "Id": id, "Subject": "Call", "Description": "Talked pricing", "ActivityDate": "2026-05-20", "Status": "Completed", "OwnerId": "005xx0000012345",
        "WhoId": "003xx000004TmiQ", "Who": {"attributes": {"type": "Name"}, "Type": "Contact"}, "WhatId": "006xx000001a2b3", "What": {"attributes": {"type": "Name"}, "Type": "Opportunity"},
        "AccountId": "001xx000003DGb2", "TaskSubtype": subtype, "CallType": "Outbound", "CallDurationInSeconds": 300,
        "CreatedDate": "2026-05-01T07:25:37.000+0000", "LastModifiedDate": "2026-05-01T08:00:00.000+0000"
    })
}

fn query(records: Vec<Value>) -> Value {
    json!({"totalSize": records.len(), "done": true, "records": records})
}

#[test]
fn call_create_posts_a_task_then_reads_it_back() {
    let created = fixture("salesforce/recorded.sobject.post.response.json");
    let body = json!({
        "engagement_type": "call", "subject": "Call", "content": "Talked pricing", "direction": "outbound", "duration": 300, "status": "sent",
        "start_time": "2026-05-20T23:30:00-02:00", "owner": {"id": "005xx0000012345"}, "contacts": [{"id": "003xx000004TmiQ"}], "opportunity": {"id": "006xx000001a2b3"},
        "custom_fields": {"Score__c": 7}
    });
    let script = Script::ok(201, &created).then(200, &query(vec![task_record("001dM00003kRs59QAC", "Call")]));
    let (sent, out) = run(&account(), "create", None, body, json!({}), script);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].method.as_str(), "POST");
    assert_eq!(sent[0].url, format!("{ORIGIN}/services/data/v60.0/sobjects/Task"));
    assert_eq!(sent[0].headers["authorization"], "Bearer 00Dxx!secret-token");
    assert_eq!(
        sent[0].body_json().unwrap(),
        &json!({
            "Score__c": 7, "Subject": "Call", "Description": "Talked pricing", "OwnerId": "005xx0000012345", "WhoId": "003xx000004TmiQ", "WhatId": "006xx000001a2b3",
            "TaskSubtype": "Call", "ActivityDate": "2026-05-20", "Status": "Completed", "CallType": "Outbound", "CallDurationInSeconds": 300
        })
    );
    assert_eq!(sent[1].method.as_str(), "GET");
    assert!(sent[1].url.starts_with(&format!("{ORIGIN}/services/data/v60.0/query?q=")));
    assert_eq!(
        soql(&sent[1].url),
        "SELECT Id, Subject, Description, ActivityDate, Status, OwnerId, WhoId, Who.Type, WhatId, What.Type, AccountId, TaskSubtype, CallType, CallDurationInSeconds, CreatedDate, LastModifiedDate FROM Task WHERE Id = '001dM00003kRs59QAC'"
    );
    let mut out = out.unwrap();
    // ActivityDate is a date: no instant to give (midnight UTC would be 19 May west of UTC).
    let warnings = out.as_object_mut().unwrap().remove("warnings").unwrap();
    assert_eq!(warnings[0]["field"], "start_time");
    assert_eq!(warnings[0]["code"], "date_only");
    assert_eq!(
        out,
        json!({
            "id": "call:001dM00003kRs59QAC", "engagement_type": "call", "subject": "Call", "content": "Talked pricing", "owner": {"id": "005xx0000012345"},
            "contacts": [{"id": "003xx000004TmiQ"}], "lead": [], "account": {"id": "001xx000003DGb2"}, "opportunity": {"id": "006xx000001a2b3"},
            "start_time": null, "end_time": null, "duration": 300, "direction": "outbound", "status": "sent",
            "created_at": "2026-05-01T07:25:37Z", "updated_at": "2026-05-01T08:00:00Z", "remote_data": task_record("001dM00003kRs59QAC", "Call")
        })
    );
}

#[test]
fn meeting_create_posts_an_event() {
    let event = json!({
        "attributes": {"type": "Event"}, "Id": "00Uxx0000001", "Subject": "Demo", "StartDateTime": "2026-05-20T10:00:00.000+0000", "EndDateTime": "2026-05-20T11:00:00.000+0000",
        "DurationInMinutes": 60, "WhoId": "00Qxx01", "Who": {"Type": "Lead"}, "WhatId": null, "What": null, "AccountId": null,
        "CreatedDate": "2026-05-01T07:25:37.000+0000", "LastModifiedDate": "2026-05-01T07:25:37.000+0000"
    });
    let body = json!({"engagement_type": "meeting", "subject": "Demo", "start_time": "2026-05-20T12:00:00+02:00", "end_time": "2026-05-20T11:00:00Z", "duration": 3600, "lead": [{"id": "00Qxx01"}], "account": {"id": "001xx"}});
    let (sent, out) = run(&account(), "create", None, body, json!({}), Script::ok(201, &json!({"id": "00Uxx0000001", "success": true, "errors": []})).then(200, &query(vec![event])));
    assert_eq!(sent[0].url, format!("{ORIGIN}/services/data/v60.0/sobjects/Event"));
    assert_eq!(
        sent[0].body_json().unwrap(),
        &json!({"Subject": "Demo", "WhoId": "00Qxx01", "WhatId": "001xx", "StartDateTime": "2026-05-20T10:00:00Z", "EndDateTime": "2026-05-20T11:00:00Z", "DurationInMinutes": 60})
    );
    assert!(soql(&sent[1].url).contains(" FROM Event WHERE Id = '00Uxx0000001'"));
    let out = out.unwrap();
    assert_eq!(out["id"], "meeting:00Uxx0000001");
    assert_eq!(out["lead"], json!([{"id": "00Qxx01"}]));
    assert_eq!(out["contacts"], json!([]));
    assert_eq!(out["start_time"], "2026-05-20T10:00:00Z");
    assert_eq!(out["end_time"], "2026-05-20T11:00:00Z");
    assert_eq!(out["duration"], 3600);
}

#[test]
fn a_failed_read_back_reports_the_created_id() {
    let (sent, out) = run(
        &account(),
        "create",
        None,
        json!({"engagement_type": "email", "subject": "Hi"}),
        json!({}),
        Script::ok(201, &json!({"id": "00Txx9", "success": true, "errors": []})).then(403, &json!([{"message": "Request limit exceeded", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])),
    );
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].body_json().unwrap(), &json!({"Subject": "Hi", "TaskSubtype": "Email"}));
    let err = out.unwrap_err().to_json();
    assert_eq!(err["code"], "partial_failure");
    assert_eq!(err["failed_step"], "fetch");
    assert_eq!(err["completed"], json!([{"step": "create", "result": {"id": "00Txx9", "sobject": "Task"}}]));
    assert_eq!(err["cause"]["remote"]["message"], "Request limit exceeded");
}

#[test]
fn create_errors_are_remote_errors_with_the_salesforce_message() {
    let (sent, out) = run(&account(), "create", None, json!({"engagement_type": "task"}), json!({}), Script::ok(400, &json!([{"message": "Required fields are missing: [Subject]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["Subject"]}])));
    assert_eq!(sent.len(), 1);
    let err = out.unwrap_err().to_json();
    assert_eq!(err["code"], "remote_error");
    assert_eq!(err["remote"]["message"], "Required fields are missing: [Subject]");
}

#[test]
fn unrepresentable_input_is_refused_before_sending() {
    let err = create_error(&account(), json!({"engagement_type": "note", "content": "x"}));
    assert_eq!(issue_codes(&err), vec![("body.engagement_type".into(), "not_one_of".into())]);
    let err = create_error(&account(), json!({"engagement_type": "call", "direction": "missed", "contacts": [{"id": "1"}, {"id": "2"}]}));
    assert_eq!(issue_codes(&err), vec![("body.contacts".into(), "too_long".into()), ("body.direction".into(), "not_one_of".into())]);
    let err = create_error(&account(), json!({"engagement_type": "meeting", "direction": "inbound", "status": "sent"}));
    assert_eq!(
        issue_codes(&err),
        vec![("body.direction".into(), "unsupported_field".into()), ("body.status".into(), "unsupported_field".into()), ("body.start_time".into(), "required".into()), ("body.end_time".into(), "required".into())]
    );
    let err = create_error(&account(), json!({"engagement_type": "meeting", "start_time": "2024-01-01T10:00:00Z", "end_time": "2024-01-01T11:00:00Z", "duration": 90, "contacts": [{"id": "1"}], "lead": [{"id": "2"}], "account": {"id": "3"}, "opportunity": {"id": "4"}}));
    assert_eq!(
        issue_codes(&err),
        vec![("body.lead".into(), "conflict".into()), ("body.account".into(), "conflict".into()), ("body.duration".into(), "invalid_format".into())]
    );
    let err = create_error(&account(), json!({"engagement_type": "meeting", "start_time": "2024-01-01T10:00:00Z", "end_time": "2024-01-01T11:00:00Z", "duration": 600}));
    assert_eq!(issue_codes(&err), vec![("body.duration".into(), "conflict".into())]);
    let mut bad = account();
    bad["context"]["instance_url"] = json!("https://evil.example.com");
    let err = create_error(&bad, json!({"engagement_type": "task"}));
    assert_eq!(issue_codes(&err), vec![("account.context.instance_url".into(), "invalid_format".into())]);
}

#[test]
fn list_runs_task_then_event_queries_and_follows_next_records_url() {
    let next = fixture("salesforce/doc.query.nextRecordsUrl.json");
    let first = json!({"totalSize": 3, "done": false, "nextRecordsUrl": next["nextRecordsUrl"], "records": [task_record("00T1", "Call"), task_record("00T2", "Email")]});
    let event = json!({"attributes": {"type": "Event"}, "Id": "00U1", "StartDateTime": "2026-05-20T10:00:00.000+0000"});
    let script = Script::ok(200, &first).then(200, &query(vec![task_record("00T3", "LinkedIn")])).then(200, &query(vec![event]));
    let (sent, out) = list_pages(&account(), json!({"limit": 50, "contact_id": "003xx000004TmiQ", "created_at": {"gte": "2026-01-01T00:00:00.250Z", "lt": "2026-06-01T00:00:00.250Z"}}), script);
    let pages = out.unwrap();
    assert_eq!(sent.len(), 3);
    assert_eq!(
        soql(&sent[0].url),
        "SELECT Id, Subject, Description, ActivityDate, Status, OwnerId, WhoId, Who.Type, WhatId, What.Type, AccountId, TaskSubtype, CallType, CallDurationInSeconds, CreatedDate, LastModifiedDate FROM Task WHERE WhoId = '003xx000004TmiQ' AND CreatedDate >= 2026-01-01T00:00:00Z AND CreatedDate < 2026-06-01T00:00:01Z"
    );
    assert_eq!(sent[0].headers["sforce-query-options"], "batchSize=200");
    assert_eq!(sent[1].url, format!("{ORIGIN}/services/data/v68.0/query/01gD0000002HU6KIAW-2000"));
    assert_eq!(sent[1].headers["authorization"], "Bearer 00Dxx!secret-token");
    assert!(soql(&sent[2].url).contains(" FROM Event WHERE WhoId = '003xx000004TmiQ'"));
    let ids: Vec<&str> = pages.iter().flat_map(|p| p["result"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap())).collect();
    // The event does not say who it is with: the provider's filtering is trusted.
    assert_eq!(ids, ["call:00T1", "email:00T2", "task:00T3", "meeting:00U1"]);
    assert!(pages[2]["next_cursor"].is_null());
}

#[test]
fn list_filters_translate_to_soql() {
    let (sent, _) = list_pages(&account(), json!({"engagement_type": "task", "account_id": "001'A\\", "updated_at": "2026-02-01T00:00:00Z"}), Script::ok(200, &query(vec![])));
    assert_eq!(sent.len(), 1, "one type: no Event query");
    assert!(soql(&sent[0].url).ends_with(" FROM Task WHERE TaskSubtype NOT IN ('Call', 'Email', 'ListEmail') AND AccountId = '001\\'A\\\\' AND LastModifiedDate >= 2026-02-01T00:00:00Z"));
    assert_eq!(sent[0].headers["sforce-query-options"], "batchSize=2000");
    let (sent, _) = list_pages(&account(), json!({"engagement_type": "meeting"}), Script::ok(200, &query(vec![])));
    assert!(soql(&sent[0].url).ends_with(" FROM Event"));
    for (t, clause) in [("call", "TaskSubtype = 'Call'"), ("email", "TaskSubtype = 'Email'")] {
        let (sent, _) = list_pages(&account(), json!({"engagement_type": t}), Script::ok(200, &query(vec![])));
        assert!(soql(&sent[0].url).ends_with(&format!(" FROM Task WHERE {clause}")));
    }
}

#[test]
fn a_next_records_url_cannot_leave_the_query_resource() {
    let bad = json!({"done": false, "nextRecordsUrl": "/../../evil", "records": []});
    let (sent, out) = list_pages(&account(), json!({}), Script::ok(200, &bad));
    assert_eq!(sent.len(), 1);
    assert_eq!(out.unwrap_err().to_json()["code"], "invalid_cursor");
}

#[test]
fn get_reads_the_sobject_named_by_the_id() {
    let (sent, out) = run(&account(), "get", Some("call:00T1"), Value::Null, json!({}), Script::ok(200, &query(vec![task_record("00T1", "Call")])));
    assert!(soql(&sent[0].url).ends_with(" FROM Task WHERE Id = '00T1'"));
    assert_eq!(out.unwrap()["id"], "call:00T1");
    let (sent, out) = run(&account(), "get", Some("00U1"), Value::Null, json!({"engagement_type": "meeting"}), Script::ok(200, &query(vec![])));
    assert!(soql(&sent[0].url).ends_with(" FROM Event WHERE Id = '00U1'"));
    let err = out.unwrap_err().to_json();
    assert_eq!(err["statusCode"], 404);
}

#[test]
fn statuses_and_call_types_map_explicitly() {
    let mut rec = task_record("00T1", "Call");
    rec["Status"] = json!("Deferred");
    rec["CallType"] = json!("Internal");
    let (_, out) = run(&account(), "get", Some("call:00T1"), Value::Null, json!({}), Script::ok(200, &query(vec![rec])));
    let out = out.unwrap();
    assert_eq!(out["status"], Value::Null);
    assert_eq!(out["direction"], Value::Null);
    let codes: Vec<&str> = out["warnings"].as_array().unwrap().iter().map(|w| w["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["date_only", "unknown_value", "unknown_status"]);
    let mut rec = task_record("00T1", "Task");
    rec["Status"] = json!("Not Started");
    let (_, out) = run(&account(), "get", Some("task:00T1"), Value::Null, json!({}), Script::ok(200, &query(vec![rec])));
    assert_eq!(out.unwrap()["status"], "scheduled");
}

#[test]
fn a_task_date_is_not_read_as_midnight_utc() {
    // Object Reference "Task": ActivityDate is a date (YYYY-MM-DD), the task's due date.
    let rec = task_record("00T1", "Task");
    let (_, out) = run(&account(), "get", Some("task:00T1"), Value::Null, json!({}), Script::ok(200, &query(vec![rec.clone()])));
    let out = out.unwrap();
    assert_eq!(out["start_time"], Value::Null);
    assert_eq!(out["warnings"][0]["code"], "date_only");
    assert_eq!(out["remote_data"]["ActivityDate"], "2026-05-20");
    let mut undated = rec;
    undated["ActivityDate"] = Value::Null;
    let (_, out) = run(&account(), "get", Some("task:00T1"), Value::Null, json!({}), Script::ok(200, &query(vec![undated])));
    assert!(out.unwrap().get("warnings").is_none());
}

#[test]
fn supported_fields_reach_the_request() {
    let bases = [
        json!({"engagement_type": "call"}),
        json!({"engagement_type": "meeting", "start_time": "2024-06-15T10:00:00Z", "end_time": "2024-06-15T11:00:00Z"}),
        json!({"engagement_type": "meeting", "start_time": "2024-06-15T10:00:00Z", "duration": 1800}),
    ];
    supported_fields_reach_request("salesforce", account(), "create", &bases);
    supported_fields_reach_request("salesforce", account(), "list", &[json!({})]);
}

#[test]
fn every_status_and_call_type_row_maps_both_ways() {
    use super::{map_record, CALL_TYPE, TASK_STATUS};
    for (p, u) in TASK_STATUS {
        let mut w = Vec::new();
        assert_eq!(map_record(of(&json!({"Id": "1", "Status": p})), &mut w).unwrap()["status"], *u);
        assert!(w.is_empty());
        let (sent, _) = run(&account(), "create", None, json!({"engagement_type": "task", "status": u}), json!({}), Script::ok(400, &json!([])));
        assert_eq!(sent[0].body_json().unwrap()["Status"], *p);
    }
    for (p, u) in CALL_TYPE {
        let mut w = Vec::new();
        assert_eq!(map_record(of(&json!({"Id": "1", "CallType": p})), &mut w).unwrap()["direction"], *u);
        let (sent, _) = run(&account(), "create", None, json!({"engagement_type": "call", "direction": u}), json!({}), Script::ok(400, &json!([])));
        assert_eq!(sent[0].body_json().unwrap()["CallType"], *p);
    }
}

#[test]
fn instance_url_must_be_a_my_domain_host() {
    let origin = |url: &str| {
        let mut acc = account();
        acc["context"]["instance_url"] = json!(url);
        let acc = crate::provider::account::Account::from_json(&acc).unwrap();
        (super::PROVIDER.origin)(&acc).map_err(|e| e.to_json()["details"][0]["field"].clone())
    };
    for good in [
        "https://acme.my.salesforce.com", "https://ACME.My.Salesforce.com/", "https://acme--uat.sandbox.my.salesforce.com", "https://acme-dev-ed.develop.my.salesforce.com",
        "https://acme.scratch.my.salesforce.com", "https://acme.trailblaze.my.salesforce.com", "https://acme.my.salesforce.com:443",
    ] {
        assert!(origin(good).is_ok(), "{good}");
    }
    assert_eq!(origin("https://ACME.my.salesforce.com").unwrap(), "https://acme.my.salesforce.com");
    for bad in [
        "https://evil.my.salesforce.com.attacker.com", "https://my.salesforce.com.evil", "https://xmy.salesforce.com", "https://my.salesforce.com", "https://evilforce.com",
        "https://a.force.com", "https://acme.lightning.force.com", "https://salesforce.com.evil.io", "https://na85.salesforce.com", "https://login.salesforce.com",
        "https://acme.my.salesforce.com.", "https://acme..my.salesforce.com", "https://.my.salesforce.com", "https://acme.my.salesforce.com:8443",
        "https://acme.my.salesforce.com:444", "http://acme.my.salesforce.com", "https://acme_x.my.salesforce.com",
    ] {
        assert_eq!(origin(bad), Err(json!("account.context.instance_url")), "{bad}");
    }
}

#[test]
fn out_of_range_durations_are_null_with_a_warning() {
    use super::map_record;
    let read = |rec: Value| {
        let mut w = Vec::new();
        let r = map_record(of(&rec), &mut w).unwrap();
        (r["duration"].clone(), w.iter().any(|w| w.code == "value_out_of_range" && w.field == "duration"))
    };
    let event = |m: Value| json!({"Id": "00U1", "attributes": {"type": "Event"}, "DurationInMinutes": m});
    assert_eq!(read(event(json!(30))), (json!(1800), false));
    assert_eq!(read(event(json!(150119987579016i64))), (json!(9007199254740960i64), false));
    for m in [json!(153722867280912931i64), json!(i64::MAX), json!(u64::MAX), json!(150119987579017i64), json!(-1), json!(1.5)] {
        assert_eq!(read(event(m.clone())), (Value::Null, true), "{m}");
    }
    let call = |s: Value| json!({"Id": "00T1", "attributes": {"type": "Task"}, "TaskSubtype": "Call", "CallDurationInSeconds": s});
    assert_eq!(read(call(json!(90))), (json!(90), false));
    for s in [json!(1e308), json!(9007199254740992u64), json!(-5), json!(0.5)] {
        assert_eq!(read(call(s.clone())), (Value::Null, true), "{s}");
    }
}
