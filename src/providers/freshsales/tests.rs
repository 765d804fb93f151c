use serde_json::{json, Value};

use crate::providers::crm_engagements::test_support::{create, create_issues, supported_fields_reach_request, supported_fields_reach_request_after};
use crate::tests::support::{drive, drive_pages, fixture, input, Script};

const KEY: &str = "sfg999666t673t7t82";
const BASE: &str = "https://widgetz.myfreshworks.com/crm/sales/api";

fn account() -> Value {
    json!({"id": "acc", "provider": "freshsales", "credentials": {"api_key": KEY}, "context": {"bundle_alias": "widgetz"}})
}


fn types() -> Value {
    fixture("freshsales/secondary.selector.sales_activity_types.response.json")
}

fn activity() -> Value {
    fixture("freshsales/assembled.sales_activity.create.response.json")
}

fn call() -> Value {
    json!({
        "engagement_type": "call", "subject": "Discovery call", "content": "Talked about pricing",
        "start_time": "2022-08-30T10:00:00-04:00", "duration": 1800, "owner": {"id": "70000012345"}, "contacts": [{"id": "70042006456"}]
    })
}

#[test]
fn create_call_looks_up_the_type_then_posts() {
    let (sent, out) = create(&account(), call(), Script::ok(200, &types()).then(200, &activity()));
    assert_eq!(sent.len(), 2);
    assert_eq!((sent[0].method.as_str(), sent[0].url.as_str()), ("GET", "https://widgetz.myfreshworks.com/crm/sales/api/selector/sales_activity_types"));
    assert_eq!((sent[1].method.as_str(), sent[1].url.as_str()), ("POST", "https://widgetz.myfreshworks.com/crm/sales/api/sales_activities"));
    for req in &sent {
        assert_eq!(req.headers["authorization"], format!("Token token={KEY}"));
    }
    assert_eq!(
        sent[1].body_json().unwrap(),
        &json!({"sales_activity": {
            "title": "Discovery call", "notes": "Talked about pricing", "start_date": "2022-08-30T14:00:00Z", "end_date": "2022-08-30T14:30:00Z",
            "owner_id": 70000012345u64, "sales_activity_type_id": 70000612898u64, "targetable_type": "Contact", "targetable_id": 70042006456u64
        }})
    );
    assert_eq!(
        out.unwrap(),
        json!({
            "id": "70000123456", "engagement_type": "call", "subject": "Discovery call", "content": null,
            "start_time": "2022-08-30T14:00:00Z", "end_time": "2022-08-30T14:30:00Z", "duration": 1800, "owner": {"id": "70000012345"},
            "contacts": [{"id": "70042006456"}], "account": null, "opportunity": null,
            "created_at": "2022-08-30T14:31:02Z", "updated_at": "2022-08-30T14:31:02Z", "remote_data": activity()["sales_activity"]
        })
    );
}

#[test]
fn each_type_uses_its_internal_name() {
    for (t, id) in [("meeting", 70000612899u64), ("email", 70000612901), ("chat", 70000612897), ("task", 70000612900)] {
        let (sent, _) = create(&account(), json!({"engagement_type": t, "subject": "S", "start_time": "2022-08-30T10:00:00Z", "end_time": "2022-08-30T11:00:00Z", "owner": {"id": "1"}, "opportunity": {"id": "5"}}), Script::ok(200, &types()).then(200, &activity()));
        let body = &sent[1].body_json().unwrap()["sales_activity"];
        assert_eq!(body["sales_activity_type_id"], id, "{t}");
        assert_eq!((body["targetable_type"].clone(), body["targetable_id"].clone()), (json!("Deal"), json!(5)));
    }
}

#[test]
fn given_type_id_skips_the_lookup() {
    let body = json!({"engagement_type": "call", "subject": "S", "start_time": "2022-08-30T10:00:00Z", "end_time": "2022-08-30T11:00:00Z", "owner": {"id": "1"},
        "account": {"id": "9"}, "remote_data": {"sales_activity": {"sales_activity_type_id": 77, "sales_activity_outcome_id": 3}}});
    let (sent, out) = create(&account(), body, Script::ok(200, &activity()));
    assert_eq!(sent.len(), 1);
    let sa = &sent[0].body_json().unwrap()["sales_activity"];
    assert_eq!((sa["sales_activity_type_id"].clone(), sa["sales_activity_outcome_id"].clone(), sa["targetable_type"].clone()), (json!(77), json!(3), json!("SalesAccount")));
    assert_eq!(out.unwrap()["engagement_type"], "call");
}

#[test]
fn create_note() {
    let note = json!({"note": {"id": 31, "description": "Met at the expo", "targetable_type": "SalesAccount", "targetable_id": 9, "created_at": "2022-08-30T10:00:00-04:00", "updated_at": "2022-08-30T10:00:00-04:00"}});
    let (sent, out) = create(&account(), json!({"engagement_type": "note", "content": "Met at the expo", "account": {"id": "9"}}), Script::ok(201, &note));
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].method.as_str(), sent[0].url.as_str()), ("POST", "https://widgetz.myfreshworks.com/crm/sales/api/notes"));
    assert_eq!(sent[0].body_json().unwrap(), &json!({"note": {"description": "Met at the expo", "targetable_type": "SalesAccount", "targetable_id": 9}}));
    let out = out.unwrap();
    assert_eq!((out["id"].clone(), out["engagement_type"].clone(), out["content"].clone(), out["account"].clone()), (json!("note:31"), json!("note"), json!("Met at the expo"), json!({"id": "9"})));
}

#[test]
fn missing_type_and_failures_after_the_lookup() {
    let only_notes = json!({"sales_activity_types": [{"id": 1, "name": "Custom", "internal_name": "custom_x"}]});
    let (sent, out) = create(&account(), call(), Script::ok(200, &only_notes));
    assert_eq!(sent.len(), 1, "nothing is posted without a type");
    let e = out.unwrap_err().to_json();
    assert_eq!((e["code"].clone(), e["details"][0]["field"].clone()), (json!("validation_failed"), json!("body.engagement_type")));
    // The lookup creates nothing, so a failed POST is a plain remote error.
    let err = json!({"errors": {"code": 400, "message": ["Owner can't be blank"]}});
    let (_, out) = create(&account(), call(), Script::ok(200, &types()).then(400, &err));
    let e = out.unwrap_err().to_json();
    assert_eq!((e["code"].clone(), e["statusCode"].clone(), e["remote"]["body"].clone()), (json!("remote_error"), json!(400), err));
    let (_, out) = create(&account(), call(), Script::ok(401, &json!({"login": "failed", "message": "Incorrect or expired API key"})));
    assert_eq!(out.unwrap_err().to_json()["remote"]["message"], "Incorrect or expired API key");
}

#[test]
fn validation_reports_everything_before_sending() {
    let issues = |body: Value| create_issues(&account(), body);
    let all = issues(json!({"engagement_type": "meeting", "owner": {"id": "bob"}, "contacts": [{"id": "x"}], "account": {"id": "2"}}));
    for e in [("body.subject", "required"), ("body.start_time", "required"), ("body.end_time", "required"), ("body.owner.id", "invalid_format"), ("body", "conflict"), ("body.contacts[0].id", "invalid_format")] {
        assert!(all.contains(&(e.0.into(), e.1.into())), "{e:?} in {all:?}");
    }
    assert!(issues(json!({"engagement_type": "note", "content": "c", "contacts": [{"id": "1"}, {"id": "2"}]})).contains(&("body.contacts".into(), "too_long".into())));
    let note = issues(json!({"engagement_type": "note", "subject": "s", "start_time": "2022-08-30T10:00:00Z"}));
    for e in [("body.subject", "unsupported_field"), ("body.start_time", "unsupported_field"), ("body.content", "required"), ("body.contacts", "required")] {
        assert!(note.contains(&(e.0.into(), e.1.into())), "{e:?} in {note:?}");
    }
    let order = issues(json!({"engagement_type": "call", "subject": "s", "start_time": "2022-08-30T10:00:00Z", "end_time": "2022-08-30T09:00:00Z", "owner": {"id": "1"}, "account": {"id": "2"}}));
    assert_eq!(order, vec![("body.end_time".to_string(), "invalid_order".to_string())]);
}

#[test]
fn bundle_alias_forms() {
    for alias in ["widgetz", "widgetz.myfreshworks.com", "https://widgetz.myfreshworks.com/crm/sales"] {
        let mut acc = account();
        acc["context"]["bundle_alias"] = json!(alias);
        let (sent, _) = drive(input(acc, "crm", "engagements", "get", Some("1"), Value::Null, json!({})), Script::ok(200, &types()).then(200, &activity()));
        assert_eq!(sent[1].url, format!("{BASE}/sales_activities/1"), "{alias}");
    }
    for bad in [json!("evil.com/x"), json!("a.b"), json!(null)] {
        let mut acc = account();
        acc["context"]["bundle_alias"] = bad.clone();
        let (sent, out) = drive(input(acc, "crm", "engagements", "get", Some("1"), Value::Null, json!({})), Script::default());
        assert!(sent.is_empty());
        assert_eq!(out.unwrap_err().to_json()["details"][0]["field"], "account.context.bundle_alias", "{bad}");
    }
}

#[test]
fn list_pages_until_total_pages_with_one_type_lookup() {
    let mut a2 = activity()["sales_activity"].clone();
    a2["id"] = json!(2);
    a2["sales_activity_type_id"] = json!(70000612899u64);
    let p1 = json!({"sales_activities": [activity()["sales_activity"], a2], "meta": {"total_pages": 2, "total": 3}});
    let mut a3 = activity()["sales_activity"].clone();
    a3["id"] = json!(3);
    let p2 = json!({"sales_activities": [a3], "meta": {"total_pages": 2, "total": 3}});
    let q = json!({"engagement_type": "call"});
    let (sent, pages) = drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, q), Script::ok(200, &types()).then(200, &p1).then(200, &p2));
    let urls: Vec<&str> = sent.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(urls, [format!("{BASE}/selector/sales_activity_types"), format!("{BASE}/sales_activities?page=1"), format!("{BASE}/sales_activities?page=2")]);
    let pages = pages.unwrap();
    let ids: Vec<&str> = pages.iter().flat_map(|p| p["result"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap())).collect();
    assert_eq!(ids, ["70000123456", "3"], "the meeting is filtered out locally");
    assert_eq!(pages[0]["warnings"][0]["code"], "filter_applied_locally");
    assert!(pages[1]["next_cursor"].is_null());
    let (_, out) = drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, json!({"engagement_type": "note"})), Script::default());
    assert_eq!(out.unwrap_err().to_json()["details"][0]["code"], "not_one_of");
}

#[test]
fn get_maps_the_type() {
    let (sent, out) = drive(input(account(), "crm", "engagements", "get", Some("70000123456"), Value::Null, json!({})), Script::ok(200, &types()).then(200, &activity()));
    assert_eq!(sent[1].url, format!("{BASE}/sales_activities/70000123456"));
    assert_eq!(out.unwrap()["engagement_type"], "call");
    let (sent, out) = drive(input(account(), "crm", "engagements", "get", Some("1/../x"), Value::Null, json!({})), Script::ok(200, &types()));
    assert_eq!(sent.len(), 1);
    assert_eq!(out.unwrap_err().to_json()["details"][0]["field"], "id");
    // A note's id says it is a note, which no Freshsales endpoint reads.
    let (sent, out) = drive(input(account(), "crm", "engagements", "get", Some("note:31"), Value::Null, json!({})), Script::default());
    assert!(sent.is_empty());
    let err = out.unwrap_err().to_json();
    assert_eq!((err["details"][0]["field"].as_str(), err["details"][0]["code"].as_str()), (Some("id"), Some("invalid_format")));
}

#[test]
fn every_supported_create_field_reaches_the_request() {
    let op = super::PROVIDER.op("crm", "engagements", crate::unified::schema::UnifiedMethod::Create).unwrap();
    let base = json!({"engagement_type": "call", "subject": "S", "start_time": "2022-08-30T10:00:00Z", "end_time": "2022-08-30T11:00:00Z", "owner": {"id": "1"}, "contacts": [{"id": "2"}]});
    let samples = json!({
        "engagement_type": [{}, "sales_activity_type_id", 70000612898u64], "subject": [{"subject": "T"}, "title", "T"], "content": [{"content": "C"}, "notes", "C"],
        "start_time": [{}, "start_date", "2022-08-30T10:00:00Z"], "end_time": [{}, "end_date", "2022-08-30T11:00:00Z"],
        "duration": [{"end_time": null, "duration": 60}, "end_date", "2022-08-30T10:01:00Z"], "owner": [{"owner": {"id": "8"}}, "owner_id", 8],
        "contacts": [{}, "targetable_id", 2], "account": [{"contacts": null, "account": {"id": "3"}}, "targetable_type", "SalesAccount"],
        "opportunity": [{"contacts": null, "opportunity": {"id": "4"}}, "targetable_type", "Deal"],
    });
    for row in op.fields {
        let s = samples[row.field].as_array().unwrap_or_else(|| panic!("no sample for {}", row.field));
        let mut body = base.clone();
        crate::codec::json::merge(&mut body, &s[0]);
        body.as_object_mut().unwrap().retain(|_, v| !v.is_null());
        let (sent, out) = create(&account(), body, Script::ok(200, &types()).then(200, &activity()));
        out.unwrap_or_else(|e| panic!("{}: {}", row.field, e.to_json()));
        assert_eq!(sent[1].body_json().unwrap()["sales_activity"][s[1].as_str().unwrap()], s[2], "{}", row.field);
    }
}

/// Every field coverage calls supported changes the request (and carries its value);
/// sales activities get their types from the selector first.
#[test]
fn supported_fields_reach_the_provider_request() {
    let mut open_ended = call();
    open_ended.as_object_mut().unwrap().remove("duration");
    let bases = [call(), open_ended, json!({"engagement_type": "note", "content": "C", "account": {"id": "9"}}), json!({"engagement_type": "note", "content": "C"})];
    assert_eq!(supported_fields_reach_request_after("freshsales", account(), "create", &bases, &[types()]), 11);
    assert_eq!(supported_fields_reach_request("freshsales", account(), "list", &[json!({})]), 5);
}
