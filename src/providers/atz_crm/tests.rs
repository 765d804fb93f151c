use serde_json::{json, Value};

use crate::codec::doc::of;
use crate::codec::http::{Body, Part};
use crate::providers::crm_engagements::test_support::{create, supported_fields_reach_request};
use crate::tests::support::{drive, drive_pages, fixture, input, Script};

const TOKEN: &str = "atz_tok_live_123";

fn account() -> Value {
    json!({"id": "acc", "provider": "atz_crm", "credentials": {"access_token": TOKEN}})
}


/// A body that passes every rule; tests change one thing at a time.
fn valid() -> Value {
    json!({
        "engagement_type": "meeting",
        "subject": "Team Sync",
        "start_time": "2024-06-15T10:00:00Z",
        "end_time": "2024-06-15T11:00:00Z",
    })
}

fn with(mut base: Value, patch: Value) -> Value {
    crate::codec::json::merge(&mut base, &patch);
    base
}

/// The ATZ body that would be sent, or the validation issues `(field, code)`.
fn outcome(body: Value) -> Result<Value, Vec<(String, String)>> {
    let (sent, out) = create(&account(), body, Script::ok(200, &fixture("atz_crm/doc.activity.post.response.json")));
    match out {
        Ok(_) => Ok(sent[0].body_json().cloned().unwrap_or(Value::Null)),
        Err(e) => {
            assert!(sent.is_empty(), "nothing is sent when validation fails");
            let j = e.to_json();
            assert_eq!(j["code"], "validation_failed", "{j}");
            Err(j["details"].as_array().unwrap().iter().map(|d| (d["field"].as_str().unwrap().to_string(), d["code"].as_str().unwrap().to_string())).collect())
        }
    }
}

fn fails(patch: Value, field: &str, code: &str) {
    match outcome(with(valid(), patch.clone())) {
        Ok(b) => panic!("{patch} should fail at {field} but sent {b}"),
        Err(issues) => assert!(issues.contains(&(field.to_string(), code.to_string())), "{patch}: expected {field}/{code}, got {issues:?}"),
    }
}

fn passes(patch: Value) -> Value {
    outcome(with(valid(), patch.clone())).unwrap_or_else(|e| panic!("{patch} should pass, got {e:?}"))
}

#[test]
fn seed_request_example_is_reproduced_exactly() {
    let body = json!({
        "engagement_type": "task",
        "subject": "Client Demo Call",
        "content": "Discuss product demo and onboarding",
        "start_time": "2026-04-25T10:00:00Z",
        "end_time": "2026-04-25T11:00:00Z",
        "contacts": [{"id": "contact_d86c343cf49040381fc7"}],
        "remote_data": {
            "related_to_entity": 1, "related_to": "candidate_2f0ea5cd69a6cd6c7163", "collaborators": "1",
            "candidates_as_attendees": "candidate_2f0ea5cd69a6cd6c7163", "users_as_attendees": "1",
            "meeting_link": "https://meet.google.com/xyz-abcd-efg", "importance": "normal", "location": "Zoom",
            "do_not_send_calendar_invite": true, "mark_as_done": false, "attachment": "https://example.com/files/sample-agenda.pdf"
        }
    });
    let (sent, out) = create(&account(), body, Script::ok(200, &fixture("atz_crm/doc.activity.post.response.json")));
    let req = &sent[0];
    assert_eq!(req.method.as_str(), "POST");
    assert_eq!(req.url, "https://api.atzcrm.com/v1/activity");
    assert_eq!(req.headers["authorization"], format!("Bearer {TOKEN}"));
    assert_eq!(req.headers["content-type"], "application/json");
    assert_eq!(req.body_json().unwrap(), &fixture("atz_crm/doc.activity.post.request.json"));
    assert!(out.is_ok());
}

#[test]
fn seed_response_example_maps_to_unified() {
    let resp = fixture("atz_crm/doc.activity.post.response.json");
    let (_, out) = create(&account(), valid(), Script::ok(200, &resp));
    let out = out.unwrap();
    let expected = json!({
        "id": "42", "engagement_type": "meeting", "subject": "Team Sync", "content": "Monthly team sync",
        "start_time": "2024-06-15T10:00:00Z", "end_time": "2024-06-15T11:00:00Z", "duration": 3600,
        "contacts": [], "account": null, "opportunity": null, "owner": {"id": "1"},
        "created_at": "2024-06-15T10:00:00Z", "updated_at": "2024-06-15T10:00:00Z", "remote_data": resp,
    });
    assert_eq!(out, expected);
}

#[test]
fn unified_fields_map_to_atz_fields() {
    let sent = passes(json!({"content": "Agenda", "contacts": [{"id": "contact_a"}, {"id": "contact_b"}], "account": {"id": "organization_x"}}));
    assert_eq!(
        sent,
        json!({
            "title": "Team Sync", "activity_type_id": 2, "start_datetime": "2024-06-15T10:00:00Z", "end_datetime": "2024-06-15T11:00:00Z",
            "description": "Agenda", "contacts_as_attendees": "contact_a,contact_b", "related_to_entity": 3, "related_to": "organization_x",
            "importance": "high"
        })
    );
    assert_eq!(passes(json!({"opportunity": {"id": "deal_1"}}))["related_to_entity"], 5);
    let contact_only = passes(json!({"contacts": [{"id": "contact_a"}]}));
    assert_eq!((contact_only["related_to_entity"].clone(), contact_only["related_to"].clone()), (json!(4), json!("contact_a")));
    assert_eq!(passes(json!({"engagement_type": "task"}))["activity_type_id"], 3);
    assert_eq!(passes(json!({"engagement_type": "email"}))["activity_type_id"], 4);
    // Offsets are normalised to UTC.
    assert_eq!(passes(json!({"start_time": "2024-06-15T12:00:00+02:00"}))["start_datetime"], "2024-06-15T10:00:00Z");
}

#[test]
fn rule_title_required_max_100() {
    let mut body = valid();
    body.as_object_mut().unwrap().remove("subject");
    assert!(outcome(body).unwrap_err().contains(&("body.subject".into(), "required".into())));
    passes(json!({"subject": "x".repeat(100)}));
    fails(json!({"subject": "x".repeat(101)}), "body.subject", "too_long");
    assert_eq!(passes(json!({"remote_data": {"title": "From remote"}}))["title"], "From remote");
    fails(json!({"remote_data": {"title": "y".repeat(101)}}), "body.remote_data.title", "too_long");
    fails(json!({"remote_data": {"title": "   "}}), "body.remote_data.title", "required");
    fails(json!({"remote_data": {"title": 7}}), "body.remote_data.title", "invalid_type");
}

#[test]
fn rule_activity_type_id_positive_integer() {
    assert_eq!(passes(json!({"remote_data": {"activity_type_id": 5}}))["activity_type_id"], 5);
    assert_eq!(passes(json!({"engagement_type": "call", "remote_data": {"activity_type_id": 17}}))["activity_type_id"], 17);
    fails(json!({"remote_data": {"activity_type_id": 0}}), "body.remote_data.activity_type_id", "out_of_range");
    fails(json!({"remote_data": {"activity_type_id": -3}}), "body.remote_data.activity_type_id", "out_of_range");
    fails(json!({"remote_data": {"activity_type_id": "3"}}), "body.remote_data.activity_type_id", "invalid_type");
    fails(json!({"remote_data": {"activity_type_id": 2.5}}), "body.remote_data.activity_type_id", "invalid_type");
    for t in ["call", "note", "chat"] {
        fails(json!({"engagement_type": t}), "body.engagement_type", "not_one_of");
    }
}

#[test]
fn rule_start_and_end_required_iso_end_after_start() {
    let mut body = valid();
    body.as_object_mut().unwrap().remove("start_time");
    assert!(outcome(body).unwrap_err().contains(&("body.start_time".into(), "required".into())));
    let mut body = valid();
    body.as_object_mut().unwrap().remove("end_time");
    assert!(outcome(body.clone()).unwrap_err().contains(&("body.end_time".into(), "required".into())));
    assert_eq!(outcome(with(body, json!({"duration": 1800}))).unwrap()["end_datetime"], "2024-06-15T10:30:00Z");
    fails(json!({"start_time": "2024-06-15T10:00:00"}), "body.start_time", "invalid_datetime");
    fails(json!({"remote_data": {"start_datetime": "tomorrow"}}), "body.remote_data.start_datetime", "invalid_datetime");
    fails(json!({"remote_data": {"end_datetime": 12}}), "body.remote_data.end_datetime", "invalid_type");
    fails(json!({"end_time": "2024-06-15T10:00:00Z"}), "body.end_time", "invalid_order");
    fails(json!({"end_time": "2024-06-15T09:00:00Z"}), "body.end_time", "invalid_order");
    fails(json!({"remote_data": {"end_datetime": "2024-06-14T11:00:00Z"}}), "body.remote_data.end_datetime", "invalid_order");
    let sent = passes(json!({"remote_data": {"start_datetime": "2024-06-16T08:00:00Z", "end_datetime": "2024-06-16T09:00:00+00:00"}}));
    assert_eq!((sent["start_datetime"].clone(), sent["end_datetime"].clone()), (json!("2024-06-16T08:00:00Z"), json!("2024-06-16T09:00:00Z")));
}

#[test]
fn rule_related_to_entity_and_slug() {
    for entity in [1, 2, 3, 4, 5, 10] {
        assert_eq!(passes(json!({"remote_data": {"related_to_entity": entity, "related_to": "candidate_1"}}))["related_to_entity"], entity);
    }
    for bad in [json!(6), json!(0), json!("1")] {
        fails(json!({"remote_data": {"related_to_entity": bad, "related_to": "candidate_1"}}), "body.remote_data.related_to_entity", "not_one_of");
    }
    passes(json!({"remote_data": {"related_to_entity": 1, "related_to": "c".repeat(50)}}));
    fails(json!({"remote_data": {"related_to_entity": 1, "related_to": "c".repeat(51)}}), "body.remote_data.related_to", "too_long");
    fails(json!({"remote_data": {"related_to": "candidate_1"}}), "body.remote_data.related_to_entity", "required");
    fails(json!({"remote_data": {"related_to_entity": 1}}), "body.remote_data.related_to", "required");
    fails(json!({"account": {"id": "o".repeat(51)}}), "body.account.id", "too_long");
    fails(json!({"account": {"id": "organization_1"}, "opportunity": {"id": "deal_1"}}), "body.account", "conflict");
}

#[test]
fn rule_comma_separated_lists() {
    for key in ["collaborators", "users_as_attendees"] {
        assert_eq!(passes(json!({"remote_data": {key: "1,2,3"}}))[key], "1,2,3");
        for bad in ["1,,2", "1, 2", "a", " ", "1,", ",1"] {
            fails(json!({"remote_data": {key: bad}}), &format!("body.remote_data.{key}"), "invalid_format");
        }
        fails(json!({"remote_data": {key: 5}}), &format!("body.remote_data.{key}"), "invalid_type");
    }
    for key in ["candidates_as_attendees", "contacts_as_attendees"] {
        assert_eq!(passes(json!({"remote_data": {key: "slug_a,slug_b"}}))[key], "slug_a,slug_b");
        for bad in ["slug_a,", "slug a", "  ", "slug_a,,slug_b"] {
            fails(json!({"remote_data": {key: bad}}), &format!("body.remote_data.{key}"), "invalid_format");
        }
    }
    fails(json!({"contacts": [{"id": "contact_a"}, {"id": "contact,b"}]}), "body.contacts[1].id", "invalid_format");
}

#[test]
fn rule_meeting_link_url_max_100() {
    passes(json!({"remote_data": {"meeting_link": "https://meet.google.com/abc-xyz"}}));
    passes(json!({"remote_data": {"meeting_link": format!("https://meet.example.com/{}", "a".repeat(75))}}));
    let long = format!("https://meet.example.com/{}", "a".repeat(76));
    assert_eq!(long.len(), 101);
    fails(json!({"remote_data": {"meeting_link": long}}), "body.remote_data.meeting_link", "too_long");
    fails(json!({"remote_data": {"meeting_link": "meet.google.com/abc"}}), "body.remote_data.meeting_link", "invalid_format");
}

#[test]
fn rule_importance_enum_defaults_to_high() {
    assert_eq!(passes(json!({}))["importance"], "high");
    for level in ["low", "normal", "high", "critical"] {
        assert_eq!(passes(json!({"remote_data": {"importance": level}}))["importance"], level);
    }
    fails(json!({"remote_data": {"importance": "urgent"}}), "body.remote_data.importance", "not_one_of");
}

#[test]
fn rule_location_max_50() {
    passes(json!({"remote_data": {"location": "l".repeat(50)}}));
    fails(json!({"remote_data": {"location": "l".repeat(51)}}), "body.remote_data.location", "too_long");
}

#[test]
fn rule_booleans() {
    for key in ["do_not_send_calendar_invite", "mark_as_done"] {
        assert_eq!(passes(json!({"remote_data": {key: true}}))[key], true);
        fails(json!({"remote_data": {key: "true"}}), &format!("body.remote_data.{key}"), "invalid_type");
    }
}

#[test]
fn rule_attachment_url_max_350_or_file() {
    passes(json!({"remote_data": {"attachment": "https://example.com/files/sample-agenda.pdf"}}));
    let long = format!("https://example.com/{}", "f".repeat(331));
    assert_eq!(long.len(), 351);
    fails(json!({"remote_data": {"attachment": long}}), "body.remote_data.attachment", "too_long");
    fails(json!({"remote_data": {"attachment": "agenda.pdf"}}), "body.remote_data.attachment", "invalid_format");
    fails(json!({"remote_data": {"attachment": 5}}), "body.remote_data.attachment", "invalid_type");
    fails(json!({"remote_data": {"attachment": {"name": "x.pdf"}}}), "body.remote_data.attachment", "invalid_type");
}

#[test]
fn file_attachment_is_sent_as_multipart() {
    let body = with(valid(), json!({"contacts": [{"id": "contact_a"}], "remote_data": {
        "mark_as_done": true, "do_not_send_calendar_invite": false, "collaborators": "1,2", "custom_flag": 9,
        "attachment": {"$file": "f0", "name": "agenda.pdf", "type": "application/pdf", "size": 12}
    }}));
    let (sent, out) = create(&account(), body, Script::ok(200, &fixture("atz_crm/doc.activity.post.response.json")));
    assert!(out.is_ok());
    let req = &sent[0];
    assert!(!req.headers.contains_key("content-type"), "FormData sets the boundary");
    assert_eq!(req.headers["authorization"], format!("Bearer {TOKEN}"));
    let Some(Body::Multipart(parts)) = &req.body else { panic!("expected multipart") };
    let text = |n: &str, v: &str| Part::Text { name: n.into(), value: v.into() };
    assert_eq!(
        parts,
        &vec![
            text("title", "Team Sync"),
            text("activity_type_id", "2"),
            text("related_to_entity", "4"),
            text("related_to", "contact_a"),
            text("collaborators", "1,2"),
            text("start_datetime", "2024-06-15T10:00:00Z"),
            text("end_datetime", "2024-06-15T11:00:00Z"),
            text("contacts_as_attendees", "contact_a"),
            text("importance", "high"),
            text("do_not_send_calendar_invite", "0"),
            text("mark_as_done", "1"),
            Part::File { name: "attachment".into(), file: "f0".into(), filename: Some("agenda.pdf".into()), content_type: Some("application/pdf".into()) },
            text("custom_flag", "9"),
        ]
    );
    let wire = serde_json::to_value(req).unwrap();
    assert_eq!(wire["multipart"][11], json!({"name": "attachment", "file": "f0", "filename": "agenda.pdf", "content_type": "application/pdf"}));
    // Nested values cannot be form fields.
    fails(json!({"remote_data": {"attachment": {"$file": "f0"}, "extra": {"a": 1}}}), "body.remote_data.extra", "invalid_type");
}

#[test]
fn one_request_reports_every_problem() {
    let body = json!({
        "engagement_type": "chat",
        "subject": "s".repeat(101),
        "start_time": "2024-06-15T10:00:00Z",
        "end_time": "2024-06-15T09:00:00Z",
        "contacts": [{"id": "bad slug"}],
        "remote_data": {
            "related_to_entity": 7, "collaborators": "1,x", "users_as_attendees": "", "candidates_as_attendees": "a,,b",
            "meeting_link": "nope", "importance": "urgent", "location": "l".repeat(51), "mark_as_done": "yes",
            "do_not_send_calendar_invite": 1, "attachment": "ftp://x"
        }
    });
    let issues = outcome(body).unwrap_err();
    let expected = [
        ("body.subject", "too_long"),
        ("body.engagement_type", "not_one_of"),
        ("body.end_time", "invalid_order"),
        ("body.contacts[0].id", "invalid_format"),
        ("body.remote_data.related_to_entity", "not_one_of"),
        ("body.remote_data.related_to", "required"),
        ("body.remote_data.collaborators", "invalid_format"),
        ("body.remote_data.users_as_attendees", "invalid_format"),
        ("body.remote_data.candidates_as_attendees", "invalid_format"),
        ("body.remote_data.meeting_link", "invalid_format"),
        ("body.remote_data.importance", "not_one_of"),
        ("body.remote_data.location", "too_long"),
        ("body.remote_data.mark_as_done", "invalid_type"),
        ("body.remote_data.do_not_send_calendar_invite", "invalid_type"),
        ("body.remote_data.attachment", "invalid_format"),
    ];
    for (f, c) in expected {
        assert!(issues.contains(&(f.to_string(), c.to_string())), "missing {f}/{c} in {issues:?}");
    }
    assert_eq!(issues.len(), expected.len(), "{issues:?}");
}

#[test]
fn validate_entry_point_reports_the_same_rules() {
    let v = crate::facade::api::validate(&json!({"provider": "atz_crm", "model": "crm", "resource": "engagements", "method": "create",
        "body": with(valid(), json!({"remote_data": {"importance": "urgent"}}))}));
    assert_eq!(v["valid"], false);
    assert_eq!(v["errors"][0]["field"], "body.remote_data.importance");
}

#[test]
fn remote_errors_400_and_401() {
    let (_, out) = create(&account(), valid(), Script::default().then_response(crate::codec::http::HttpResponse::new(400, "Validation error message")));
    let e = out.unwrap_err().to_json();
    assert_eq!((e["statusCode"].clone(), e["truto_is_remote_error"].clone()), (json!(400), json!(true)));
    assert_eq!(e["remote"]["message"], "Validation error message");
    let laravel = json!({"message": "The title field is required.", "errors": {"title": ["The title field is required."]}});
    let (_, out) = create(&account(), valid(), Script::ok(400, &laravel));
    let e = out.unwrap_err().to_json();
    assert_eq!(e["remote"]["message"], "The title field is required.");
    assert_eq!(e["remote"]["body"], laravel);
    let (_, out) = create(&account(), valid(), Script::default().then_response(crate::codec::http::HttpResponse::new(401, "Unauthorized")));
    let e = out.unwrap_err().to_json();
    assert_eq!((e["statusCode"].clone(), e["error"].clone(), e["remote"]["message"].clone()), (json!(401), json!("Unauthorized"), json!("Unauthorized")));
    assert!(!e.to_string().contains(TOKEN));
}

#[test]
fn response_types_and_times() {
    let mut resp = fixture("atz_crm/doc.activity.post.response.json");
    let map = |resp: &Value| {
        let mut w = Vec::new();
        super::map::to_unified(of(resp), &mut w).unwrap()
    };
    resp["activity_type"] = json!({"id": 5, "label": "Interview"});
    resp["start_time"] = json!("23:30");
    resp["end_time"] = json!("00:15");
    resp["related_to_type"] = json!("contact");
    resp["related_to"] = json!("contact_abc");
    resp["attendees"]["contacts"] = json!([{"slug": "contact_x", "full_name": "X"}]);
    let r = map(&resp);
    assert_eq!(r["engagement_type"], "meeting");
    assert_eq!((r["start_time"].clone(), r["end_time"].clone(), r["duration"].clone()), (json!("2024-06-15T23:30:00Z"), json!("2024-06-16T00:15:00Z"), json!(2700)));
    assert_eq!(r["contacts"], json!([{"id": "contact_abc"}, {"id": "contact_x"}]));
    resp["activity_type"] = json!({"id": 31, "label": "Call"});
    resp["related_to_type"] = json!("deal");
    resp["related_to"] = json!("deal_9");
    let r = map(&resp);
    assert_eq!((r["engagement_type"].clone(), r["opportunity"].clone(), r["account"].clone()), (json!("call"), json!({"id": "deal_9"}), Value::Null));
    resp["activity_type"] = json!({"id": 32, "label": "Site visit"});
    assert_eq!(map(&resp)["engagement_type"], Value::Null);
    resp["id"] = Value::Null;
    assert!(super::map::to_unified(of(&resp), &mut Vec::new()).is_err());
}

#[test]
fn list_pages_through_page_numbers() {
    let query = json!({"limit": 50, "engagement_type": "meeting", "account_id": "organization_1"});
    let script = Script::ok(200, &fixture("atz_crm/assembled.activity.list.page1.response.json")).then(200, &fixture("atz_crm/assembled.activity.list.page2.response.json"));
    let (sent, pages) = drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, query), script);
    let pages = pages.unwrap();
    assert_eq!(sent[0].url, "https://api.atzcrm.com/v1/activity?page=1&limit=25&activity_type_id=2&related_to_entity=3&related_to=organization_1");
    assert_eq!(sent[1].url, "https://api.atzcrm.com/v1/activity?page=2&limit=25&activity_type_id=2&related_to_entity=3&related_to=organization_1");
    assert_eq!(sent[0].method.as_str(), "GET");
    assert_eq!(sent[0].headers["authorization"], format!("Bearer {TOKEN}"));
    let ids: Vec<&str> = pages.iter().flat_map(|p| p["result"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap())).collect();
    assert_eq!(ids, ["41", "42", "43"]);
    assert!(pages[0]["next_cursor"].is_string());
    assert!(pages[1]["next_cursor"].is_null());
}

#[test]
fn list_filters_and_conflicts() {
    let run = |q: Value| drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, q), Script::ok(200, &fixture("atz_crm/assembled.activity.list.page2.response.json")));
    let (sent, _) = run(json!({"contact_id": "contact_1", "limit": 10}));
    assert_eq!(sent[0].url, "https://api.atzcrm.com/v1/activity?page=1&limit=10&related_to_entity=4&related_to=contact_1");
    let (sent, out) = run(json!({"contact_id": "c", "account_id": "a"}));
    assert!(sent.is_empty());
    assert_eq!(out.unwrap_err().to_json()["details"][0]["code"], "conflict");
    let (_, out) = run(json!({"engagement_type": "call"}));
    assert_eq!(out.unwrap_err().to_json()["details"][0]["field"], "query.engagement_type");
    let (_, out) = run(json!({"created_at": {"gte": "2025-01-01T00:00:00Z"}}));
    let page = &out.unwrap()[0];
    assert_eq!(page["result_count"], 0, "the fixture activity was created in 2024");
    assert_eq!(page["warnings"][0]["code"], "filter_applied_locally");
}

#[test]
fn get_by_numeric_id() {
    let resp = fixture("atz_crm/doc.activity.post.response.json");
    let (sent, out) = drive(input(account(), "crm", "engagements", "get", Some("42"), Value::Null, json!({})), Script::ok(200, &resp));
    assert_eq!(sent[0].url, "https://api.atzcrm.com/v1/activity/42");
    assert_eq!(out.unwrap()["id"], "42");
    let (sent, out) = drive(input(account(), "crm", "engagements", "get", Some("../x"), Value::Null, json!({})), Script::default());
    assert!(sent.is_empty());
    assert_eq!(out.unwrap_err().to_json()["details"][0]["field"], "id");
}

#[test]
fn every_supported_create_field_reaches_the_request() {
    let op = super::PROVIDER.op("crm", "engagements", crate::unified::schema::UnifiedMethod::Create).unwrap();
    let samples = json!({
        "engagement_type": ["meeting", "activity_type_id", 2], "subject": ["Team Sync", "title", "Team Sync"],
        "content": ["Notes", "description", "Notes"], "start_time": ["2024-06-15T10:00:00Z", "start_datetime", "2024-06-15T10:00:00Z"],
        "end_time": ["2024-06-15T10:30:00Z", "end_datetime", "2024-06-15T10:30:00Z"], "duration": [900, "end_datetime", "2024-06-15T10:15:00Z"],
        "contacts": [[{"id": "contact_1"}], "contacts_as_attendees", "contact_1"], "account": [{"id": "org_1"}, "related_to", "org_1"],
        "opportunity": [{"id": "deal_1"}, "related_to", "deal_1"],
    });
    for row in op.fields {
        let [value, target, expected] = samples[row.field].as_array().unwrap_or_else(|| panic!("no sample for {}", row.field)).clone().try_into().unwrap();
        let mut body = valid();
        if row.field == "duration" {
            body.as_object_mut().unwrap().remove("end_time");
        }
        body[row.field] = value;
        let sent = outcome(body).unwrap();
        assert_eq!(sent[target.as_str().unwrap()], expected, "{}", row.field);
    }
}

/// Every field coverage calls supported changes the request (and carries its value).
#[test]
fn supported_fields_reach_the_provider_request() {
    let mut by_duration = valid();
    by_duration.as_object_mut().unwrap().remove("end_time");
    by_duration["duration"] = json!(900);
    assert_eq!(supported_fields_reach_request("atz_crm", account(), "create", &[valid(), by_duration]), 10);
    assert_eq!(supported_fields_reach_request("atz_crm", account(), "list", &[json!({})]), 5);
}

#[test]
fn an_end_rolling_past_year_9999_is_null_with_a_warning() {
    let mut resp = fixture("atz_crm/doc.activity.post.response.json");
    resp["start_date"] = json!("9999-12-31");
    resp["start_time"] = json!("23:00");
    resp["end_time"] = json!("01:00");
    let mut w = Vec::new();
    let r = super::map::to_unified(of(&resp), &mut w).unwrap();
    assert_eq!((r["end_time"].clone(), r["duration"].clone()), (Value::Null, Value::Null));
    assert_eq!(w.iter().map(|w| (w.field.as_str(), w.code.as_str())).collect::<Vec<_>>(), [("end_time", "value_out_of_range")]);
}
