use serde_json::{json, Value};

use crate::codec::doc::of;
use crate::providers::crm_engagements::test_support::{create_error, issue_codes, list_pages, run, supported_fields_reach_request};
use crate::tests::support::{fixture, Script};

fn account() -> Value {
    json!({"id": "acc", "provider": "hubspot", "credentials": {"access_token": "pat-na1-secret"}})
}

/// HubSpot documents association ids as numbers in some examples; crosswalk sends
/// the string form the spec declares.
fn ids_as_strings(mut body: Value) -> Value {
    for a in body["associations"].as_array_mut().into_iter().flatten() {
        let id = a["to"]["id"].to_string().trim_matches('"').to_string();
        a["to"]["id"] = json!(id);
    }
    body
}

#[test]
fn note_create_matches_recorded_exchange() {
    let recorded_resp = fixture("hubspot/recorded.notes.post.response.json");
    let body = json!({
        "engagement_type": "note", "content": "Test note created via Nango action", "owner": {"id": "88842095"},
        "start_time": "2026-03-12T10:00:00Z", "contacts": [{"id": "713492963559"}]
    });
    let (sent, out) = run(&account(), "create", None, body, json!({}), Script::ok(201, &recorded_resp));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method.as_str(), "POST");
    assert_eq!(sent[0].url, "https://api.hubapi.com/crm/v3/objects/notes");
    assert_eq!(sent[0].headers["authorization"], "Bearer pat-na1-secret");
    assert_eq!(sent[0].body_json().unwrap(), &fixture("hubspot/recorded.notes.post.request.json"));
    let out = out.unwrap();
    assert_eq!(out["id"], "note:478016441536");
    assert_eq!(out["engagement_type"], "note");
    assert_eq!(out["content"], "Test note created via Nango action");
    assert_eq!(out["owner"], json!({"id": "88842095"}));
    assert_eq!(out["contacts"], json!([{"id": "713492963559"}]));
    assert_eq!(out["start_time"], "2026-03-12T10:00:00Z");
    assert_eq!(out["created_at"], "2026-03-12T07:34:23.259Z");
    assert_eq!(out["updated_at"], "2026-03-12T07:34:23.259Z");
    assert_eq!(out["subject"], Value::Null);
    assert_eq!(out["remote_data"], recorded_resp);
}

#[test]
fn task_create_with_remote_data_matches_recorded_request() {
    let body = json!({
        "engagement_type": "task", "subject": "Test task from Nango", "start_time": "2024-12-31T23:59:59Z",
        "remote_data": {"properties": {"hs_task_type": "TODO", "hs_task_priority": "MEDIUM", "hs_task_status": "NOT_STARTED"}}
    });
    let resp = fixture("hubspot/recorded.tasks.post.response.json");
    let (sent, out) = run(&account(), "create", None, body, json!({}), Script::ok(201, &resp));
    assert_eq!(sent[0].url, "https://api.hubapi.com/crm/v3/objects/tasks");
    assert_eq!(sent[0].body_json().unwrap(), &fixture("hubspot/recorded.tasks.post.request.json"));
    let out = out.unwrap();
    assert_eq!(out["id"], "task:477970581703");
    assert_eq!(out["subject"], "Test task from Nango");
    assert_eq!(out["start_time"], "2024-12-31T23:59:59Z");
}

#[test]
fn meeting_create_matches_documented_request() {
    let doc = fixture("hubspot/doc.meetings.post.request.json");
    let body = json!({
        "engagement_type": "meeting", "start_time": "2021-03-23T01:02:44.872Z", "end_time": "2021-03-23T01:52:44.872Z",
        "owner": {"id": "11349275740"}, "subject": "Intro meeting", "content": "The first meeting to discuss options",
        "internal_notes": "These are the meeting notes", "status": "scheduled", "contacts": [{"id": "101"}, {"id": "102"}],
        "remote_data": {"properties": {"hs_meeting_external_url": "https://Zoom.com/0000", "hs_meeting_location": "Remote"}}
    });
    let (sent, _) = run(&account(), "create", None, body, json!({}), Script::ok(201, &fixture("hubspot/doc.object.post.response.json")));
    assert_eq!(sent[0].url, "https://api.hubapi.com/crm/v3/objects/meetings");
    assert_eq!(sent[0].body_json().unwrap(), &ids_as_strings(doc));
}

#[test]
fn email_create_matches_documented_request() {
    let doc = ids_as_strings(fixture("hubspot/doc.emails.post.request.json"));
    let body = json!({
        "engagement_type": "email", "start_time": "2019-10-30T03:30:17.883Z", "owner": {"id": "11349275740"},
        "direction": "outbound", "status": "sent", "subject": "Let's talk", "content": "Thanks for your interest let's find a time to connect",
        "opportunity": {"id": "601"}, "contacts": [{"id": "602"}]
    });
    let (sent, _) = run(&account(), "create", None, body, json!({}), Script::ok(201, &fixture("hubspot/doc.object.post.response.json")));
    let got = sent[0].body_json().unwrap();
    assert_eq!(got["properties"], doc["properties"]);
    // Same associations; crosswalk lists contacts before deals.
    let mut want: Vec<Value> = doc["associations"].as_array().unwrap().clone();
    want.reverse();
    assert_eq!(got["associations"], Value::Array(want));
}

#[test]
fn call_create_maps_every_call_field() {
    let body = json!({
        "engagement_type": "call", "subject": "Support call", "content": "Resolved issue", "start_time": "2021-03-17T03:32:44.872+02:00",
        "duration": 38, "direction": "inbound", "phone_numbers": [{"number": "(857) 829 5489", "type": "work"}],
        "owner": {"id": "11349275740"}, "contacts": [{"id": "500"}], "account": {"id": "7"}, "opportunity": {"id": "8"},
        "lead": [{"id": "9"}], "project": {"id": "10"}, "custom_fields": {"hs_call_disposition": "f240bbac-87c9-4f6e-bf70-924b57d47db7", "score": 3}
    });
    let resp = json!({"id": "11", "properties": {"hs_call_direction": "INBOUND", "hs_call_duration": "38000", "hs_call_from_number": "(857) 829 5489", "hs_call_title": "Support call", "hs_timestamp": "2021-03-17T01:32:44.872Z"}, "createdAt": "2021-03-17T01:32:45Z", "updatedAt": "2021-03-17T01:32:45Z"});
    let (sent, out) = run(&account(), "create", None, body, json!({}), Script::ok(201, &resp));
    let assoc = |id: &str, t: u32| json!({"to": {"id": id}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": t}]});
    assert_eq!(
        sent[0].body_json().unwrap(),
        &json!({
            "properties": {
                "hs_call_disposition": "f240bbac-87c9-4f6e-bf70-924b57d47db7", "score": "3",
                "hs_timestamp": "2021-03-17T01:32:44.872Z", "hs_call_body": "Resolved issue", "hs_call_title": "Support call",
                "hs_call_direction": "INBOUND", "hs_call_duration": "38000", "hs_call_from_number": "(857) 829 5489", "hubspot_owner_id": "11349275740"
            },
            "associations": [assoc("500", 194), assoc("7", 182), assoc("8", 206), assoc("9", 597), assoc("10", 1258)]
        })
    );
    let out = out.unwrap();
    assert_eq!(out["id"], "call:11");
    assert_eq!(out["direction"], "inbound");
    assert_eq!(out["duration"], 38);
    assert_eq!(out["phone_numbers"], json!([{"number": "(857) 829 5489"}]));
    assert_eq!(out["account"], json!({"id": "7"}));
    assert_eq!(out["lead"], json!([{"id": "9"}]));
    assert_eq!(out["project"], json!({"id": "10"}));
}

#[test]
fn timestamp_defaults_to_the_drivers_clock() {
    let (sent, _) = run(&account(), "create", None, json!({"engagement_type": "note", "content": "hi"}), json!({}), Script::ok(201, &json!({"id": "1"})));
    assert_eq!(sent[0].body_json().unwrap()["properties"]["hs_timestamp"], "2026-01-01T00:00:00Z");
}

#[test]
fn types_and_per_type_fields_hubspot_cannot_store_are_refused() {
    let err = create_error(&account(), json!({"engagement_type": "chat", "content": "hi"}));
    assert_eq!(issue_codes(&err), vec![("body.engagement_type".to_string(), "not_one_of".to_string())]);
    assert_eq!(err["details"][0]["meta"]["allowed"], json!(["call", "meeting", "email", "note", "task"]));

    let err = create_error(&account(), json!({
        "engagement_type": "note", "subject": "x", "direction": "inbound", "duration": 5, "end_time": "2024-01-01T00:00:00Z",
        "internal_notes": "n", "status": "sent", "phone_numbers": [{"number": "1"}]
    }));
    let fields: Vec<String> = issue_codes(&err).into_iter().map(|(f, c)| format!("{f}:{c}")).collect();
    for f in ["subject", "direction", "duration", "phone_numbers", "end_time", "internal_notes", "status"] {
        assert!(fields.contains(&format!("body.{f}:unsupported_field")), "{f} in {fields:?}");
    }
    let err = create_error(&account(), json!({"engagement_type": "meeting", "status": "sent", "start_time": "2024-01-01T10:00:00Z", "end_time": "2024-01-01T09:00:00Z"}));
    assert_eq!(issue_codes(&err), vec![("body.status".into(), "not_one_of".into()), ("body.end_time".into(), "invalid_order".into())]);
    let err = create_error(&account(), json!({"engagement_type": "call", "direction": "missed"}));
    assert_eq!(issue_codes(&err), vec![("body.direction".into(), "not_one_of".into())]);
    let err = create_error(&account(), json!({"engagement_type": "call", "phone_numbers": [{"number": "1", "extension": "2"}], "custom_fields": {"x": {"nested": 1}}}));
    assert_eq!(
        issue_codes(&err),
        vec![("body.phone_numbers[0].extension".into(), "unsupported_field".into()), ("body.direction".into(), "required".into()), ("body.custom_fields.x".into(), "invalid_type".into())]
    );
    let err = create_error(&account(), json!({"engagement_type": "email", "lead": [{"id": "1"}]}));
    assert_eq!(issue_codes(&err), vec![("body.lead".into(), "unsupported_field".into())]);
}

#[test]
fn error_body_becomes_a_remote_error() {
    let (_, out) = run(&account(), "create", None, json!({"engagement_type": "note", "content": "x"}), json!({}), Script::ok(400, &fixture("hubspot/doc.error.response.json")));
    let err = out.unwrap_err().to_json();
    assert_eq!(err["code"], "remote_error");
    assert_eq!(err["statusCode"], 400);
    assert_eq!(err["remote"]["message"], "Invalid input (details will vary based on the error)");
}

#[test]
fn get_needs_the_type_and_maps_associations() {
    let resp = json!({
        "id": "512", "createdAt": "2019-10-30T03:30:17.883Z", "updatedAt": "2019-12-07T16:50:06.678Z", "archived": false,
        "properties": {"hs_email_subject": "Let's talk", "hs_email_text": "Body", "hs_email_direction": "INCOMING_EMAIL", "hs_email_status": "BOUNCED", "hs_timestamp": "2019-10-30T03:30:17.883Z", "hubspot_owner_id": "47550177"},
        "associations": {"contacts": {"results": [{"id": "601", "type": "email_to_contact"}, {"id": "602", "type": "email_to_contact"}]}, "companies": {"results": [{"id": "77", "type": "email_to_company"}]}}
    });
    let (sent, out) = run(&account(), "get", Some("email:512"), Value::Null, json!({}), Script::ok(200, &resp));
    assert_eq!(sent[0].method.as_str(), "GET");
    assert_eq!(
        sent[0].url,
        "https://api.hubapi.com/crm/v3/objects/emails/512?properties=hs_timestamp%2Chs_email_subject%2Chs_email_text%2Chs_email_direction%2Chs_email_status%2Chubspot_owner_id&associations=contacts%2Ccompanies%2Cdeals&archived=false"
    );
    let out = out.unwrap();
    assert_eq!(out["id"], "email:512");
    assert_eq!(out["contacts"], json!([{"id": "601"}, {"id": "602"}]));
    assert_eq!(out["account"], json!({"id": "77"}));
    assert_eq!(out["opportunity"], Value::Null);
    assert_eq!(out["direction"], "inbound");
    assert_eq!(out["status"], Value::Null, "BOUNCED has no unified status");
    assert_eq!(out["warnings"][0]["code"], "unknown_status");
    assert_eq!(out["owner"], json!({"id": "47550177"}));

    let (sent, _) = run(&account(), "get", Some("512"), Value::Null, json!({"engagement_type": "meeting"}), Script::ok(200, &resp));
    assert!(sent[0].url.starts_with("https://api.hubapi.com/crm/v3/objects/meetings/512?"));
    let (sent, out) = run(&account(), "get", Some("512"), Value::Null, json!({}), Script::default());
    assert!(sent.is_empty());
    assert_eq!(out.unwrap_err().to_json()["details"][0]["field"], "id");
}

#[test]
fn an_object_listed_once_per_association_label_is_one_link() {
    // v3 gives one result per association type; 601 has two labels here.
    let resp = json!({
        "id": "512", "properties": {"hs_email_subject": "s"},
        "associations": {
            "contacts": {"results": [{"id": "601", "type": "email_to_contact"}, {"id": "602", "type": "email_to_contact"}, {"id": 601, "type": "primary"}]},
            "companies": {"results": [{"id": "77", "type": "email_to_company"}, {"id": "77", "type": "primary"}]}
        }
    });
    let (_, out) = run(&account(), "get", Some("email:512"), Value::Null, json!({}), Script::ok(200, &resp));
    let out = out.unwrap();
    assert_eq!(out["contacts"], json!([{"id": "601"}, {"id": "602"}]));
    assert_eq!(out["account"], json!({"id": "77"}));
}

#[test]
fn list_pages_through_each_object_in_turn() {
    let call = |id: &str| json!({"id": id, "properties": {"hs_call_title": "c", "hs_call_direction": "OUTBOUND", "hs_call_to_number": "+1"}, "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z"});
    let script = Script::default()
        .then(200, &json!({"results": [call("1"), call("2")], "paging": {"next": fixture("hubspot/doc.paging.next.json")}}))
        .then(200, &json!({"results": [call("3")]}))
        .then(200, &json!({"results": [{"id": "4", "properties": {"hs_meeting_title": "m", "hs_meeting_start_time": "2024-02-01T10:00:00Z", "hs_meeting_outcome": "SCHEDULED"}}]}))
        .then(200, &json!({"results": []}))
        .then(200, &json!({"results": [{"id": "5", "properties": {"hs_note_body": "n"}}]}))
        .then(200, &json!({"results": []}));
    let (sent, out) = list_pages(&account(), json!({"limit": 2}), script);
    let pages = out.unwrap();
    let urls: Vec<&str> = sent.iter().map(|r| r.url.split('?').next().unwrap()).collect();
    assert_eq!(urls, ["calls", "calls", "meetings", "emails", "notes", "tasks"].map(|o| format!("https://api.hubapi.com/crm/v3/objects/{o}")));
    assert!(sent[0].url.ends_with("&archived=false&limit=2"), "{}", sent[0].url);
    assert!(sent[1].url.ends_with("&limit=2&after=NTI1Cg%253D%253D"), "{}", sent[1].url);
    let ids: Vec<&str> = pages.iter().flat_map(|p| p["result"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap())).collect();
    assert_eq!(ids, ["call:1", "call:2", "call:3", "meeting:4", "note:5"]);
    assert_eq!(pages[0]["result"][0]["phone_numbers"], json!([{"number": "+1"}]));
    assert_eq!(pages[2]["result"][0]["status"], "scheduled");
    assert_eq!(pages[2]["result"][0]["start_time"], "2024-02-01T10:00:00Z");
    assert!(pages[5]["next_cursor"].is_null());
    assert!(pages[0]["next_cursor"].is_string());
}

#[test]
fn list_of_one_type_stops_after_its_last_page_and_filters_locally() {
    let note = |id: &str, contact: &str| json!({"id": id, "properties": {"hs_note_body": "n"}, "associations": {"contacts": {"results": [{"id": contact}]}}});
    let script = Script::default().then(200, &json!({"results": [note("1", "c1"), note("2", "c2")]}));
    let (sent, out) = list_pages(&account(), json!({"engagement_type": "note", "contact_id": "c2"}), script);
    assert_eq!(sent.len(), 1);
    assert!(sent[0].url.starts_with("https://api.hubapi.com/crm/v3/objects/notes?properties=hs_timestamp%2Chs_note_body%2Chubspot_owner_id&"));
    let pages = out.unwrap();
    assert_eq!(pages[0]["result"].as_array().unwrap().len(), 1);
    assert_eq!(pages[0]["result"][0]["id"], "note:2");
    assert_eq!(pages[0]["warnings"][0]["code"], "filter_applied_locally");
}

#[test]
fn supported_fields_reach_the_request() {
    let bases = [
        json!({"engagement_type": "call", "direction": "outbound", "start_time": "2024-06-15T10:00:00Z"}),
        json!({"engagement_type": "meeting", "start_time": "2024-06-15T10:00:00Z"}),
        json!({"engagement_type": "email"}),
        json!({"engagement_type": "call", "start_time": "2024-06-15T10:00:00Z"}),
    ];
    supported_fields_reach_request("hubspot", account(), "create", &bases);
    supported_fields_reach_request("hubspot", account(), "list", &[json!({})]);
}

#[test]
fn every_status_and_direction_row_maps_both_ways() {
    use super::{map_object, object, CALL_DIRECTION, EMAIL_DIRECTION, EMAIL_STATUS, MEETING_OUTCOME};
    let read = |kind: &str, prop: &str, value: &str, field: &str| {
        let mut w = Vec::new();
        let r = map_object(object(kind).unwrap(), of(&json!({"id": "1", "properties": {prop: value}})), &mut w).unwrap();
        assert!(w.is_empty(), "{kind} {prop}={value}: {w:?}");
        r[field].clone()
    };
    for (p, u) in EMAIL_STATUS {
        assert_eq!(read("email", "hs_email_status", p, "status"), *u);
    }
    for (p, u) in MEETING_OUTCOME {
        assert_eq!(read("meeting", "hs_meeting_outcome", p, "status"), *u);
    }
    for (p, u) in CALL_DIRECTION {
        assert_eq!(read("call", "hs_call_direction", p, "direction"), *u);
    }
    for (p, u) in EMAIL_DIRECTION {
        assert_eq!(read("email", "hs_email_direction", p, "direction"), *u);
    }
    // Written the other way for every unified value each type accepts.
    let written = |body: Value, prop: &str| {
        let (sent, _) = run(&account(), "create", None, body, json!({}), Script::ok(201, &json!({"id": "1"})));
        sent[0].body_json().unwrap()["properties"][prop].clone()
    };
    for (p, u) in EMAIL_STATUS {
        assert_eq!(written(json!({"engagement_type": "email", "status": u}), "hs_email_status"), *p);
    }
    assert_eq!(written(json!({"engagement_type": "meeting", "status": "scheduled"}), "hs_meeting_outcome"), "SCHEDULED");
    for (p, u) in CALL_DIRECTION {
        assert_eq!(written(json!({"engagement_type": "call", "direction": u}), "hs_call_direction"), *p);
    }
    for (p, u) in EMAIL_DIRECTION {
        assert_eq!(written(json!({"engagement_type": "email", "direction": u}), "hs_email_direction"), *p);
    }
}

#[test]
fn call_durations_are_exact_or_null_with_a_warning() {
    use super::call_duration;
    let read = |v: Value| {
        let mut w = Vec::new();
        let d = call_duration(Some(of(&v)), &mut w);
        (d, w.iter().any(|w| w.code == "value_out_of_range" && w.field == "duration"))
    };
    for (ms, secs) in [(json!("1500"), 2), (json!("1499"), 1), (json!(90000), 90), (json!("2500.4"), 3), (json!("0"), 0), (json!("9007199254740991499"), 9007199254740991i64)] {
        assert_eq!(read(ms.clone()), (json!(secs), false), "{ms}");
    }
    for ms in [json!("9223372036854775807"), json!("9007199254740991500"), json!("-5000"), json!("1e308"), json!(-1), json!("99999999999999999999")] {
        assert_eq!(read(ms.clone()), (Value::Null, true), "{ms}");
    }
    assert_eq!(read(json!("abc")), (Value::Null, false));
}
