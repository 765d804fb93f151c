use serde_json::{json, Value};

use crate::codec::doc::of;
use crate::codec::http::HttpResponse;
use crate::providers::crm_engagements::test_support::{create, create_issues, supported_fields_reach_request};
use crate::tests::support::{drive, drive_pages, fixture, input, Script};

const TOKEN: &str = "eyJ0eXAi.dyn-token";
const ORG: &str = "https://contoso.crm.dynamics.com";
const CONTACT: &str = "00000000-0000-0000-0000-000000000001";
const USER: &str = "00000000-0000-0000-0000-000000000002";
const OPP: &str = "00000000-0000-0000-0000-000000000003";
const ACCOUNT: &str = "00000000-0000-0000-0000-00000000000a";
const ANNOTATIONS: &str = "odata.include-annotations=\"Microsoft.Dynamics.CRM.lookuplogicalname\"";

fn account() -> Value {
    json!({"id": "acc", "provider": "dynamics365", "credentials": {"access_token": TOKEN}, "context": {"instance_url": ORG}})
}


fn call_response() -> Script {
    Script::ok(201, &fixture("dynamics365/assembled.phonecall.create.response.json"))
}

fn sent_body(body: Value) -> Value {
    let (sent, out) = create(&account(), body, call_response());
    out.unwrap_or_else(|e| panic!("{}", e.to_json()));
    sent[0].body_json().unwrap().clone()
}


#[test]
fn create_phone_call_request_and_result() {
    let body = json!({
        "engagement_type": "call", "subject": "Call with Jane", "content": "Discussed renewal", "direction": "outbound",
        "start_time": "2024-01-15T11:00:00+01:00", "end_time": "2024-01-15T10:15:00Z", "duration": 850,
        "phone_numbers": [{"number": "+1 555 0100"}], "owner": {"id": USER}, "contacts": [{"id": CONTACT}], "opportunity": {"id": OPP},
        "remote_data": {"prioritycode": 2}
    });
    let (sent, out) = create(&account(), body, call_response());
    let req = &sent[0];
    assert_eq!(req.method.as_str(), "POST");
    assert_eq!(req.url, format!("{ORG}/api/data/v9.2/phonecalls?$expand=phonecall_activity_parties($select=participationtypemask,_partyid_value)"));
    assert_eq!(req.headers["authorization"], format!("Bearer {TOKEN}"));
    assert_eq!(req.headers["prefer"], format!("return=representation,{ANNOTATIONS}"));
    assert_eq!((req.headers["odata-version"].as_str(), req.headers["odata-maxversion"].as_str()), ("4.0", "4.0"));
    assert_eq!(req.headers["content-type"], "application/json; charset=utf-8");
    assert_eq!(req.headers["accept"], "application/json");
    assert_eq!(
        req.body_json().unwrap(),
        &json!({
            "subject": "Call with Jane", "description": "Discussed renewal", "directioncode": true,
            "scheduledstart": "2024-01-15T10:00:00Z", "scheduledend": "2024-01-15T10:15:00Z", "actualdurationminutes": 15,
            "phonenumber": "+1 555 0100", "ownerid@odata.bind": format!("/systemusers({USER})"),
            "regardingobjectid_opportunity_phonecall@odata.bind": format!("/opportunities({OPP})"),
            "phonecall_activity_parties": [{"partyid_contact@odata.bind": format!("/contacts({CONTACT})"), "participationtypemask": 2}],
            "prioritycode": 2
        })
    );
    let resp = fixture("dynamics365/assembled.phonecall.create.response.json");
    assert_eq!(
        out.unwrap(),
        json!({
            "id": "call:6b1a3f40-8d2e-ef11-8409-000d3a5a1c21", "engagement_type": "call", "subject": "Call with Jane", "content": "Discussed renewal",
            "start_time": "2024-01-15T10:00:00Z", "end_time": "2024-01-15T10:15:00Z", "duration": 900, "direction": "outbound",
            "phone_numbers": [{"number": "+1 555 0100"}], "owner": {"id": USER}, "contacts": [{"id": CONTACT}],
            "account": null, "opportunity": {"id": OPP}, "lead": [], "created_at": "2024-01-15T10:16:02Z", "updated_at": "2024-01-15T10:16:02Z",
            "remote_data": resp
        })
    );
}

#[test]
fn each_type_goes_to_its_table() {
    let (sent, _) = create(&account(), json!({"engagement_type": "meeting", "subject": "Demo", "contacts": [{"id": CONTACT}], "account": {"id": ACCOUNT}}), call_response());
    assert!(sent[0].url.starts_with(&format!("{ORG}/api/data/v9.2/appointments?$expand=appointment_activity_parties(")));
    assert_eq!(
        sent[0].body_json().unwrap(),
        &json!({"subject": "Demo", "regardingobjectid_account_appointment@odata.bind": format!("/accounts({ACCOUNT})"),
            "appointment_activity_parties": [{"partyid_contact@odata.bind": format!("/contacts({CONTACT})"), "participationtypemask": 5}]})
    );
    let email = sent_body(json!({"engagement_type": "email", "direction": "inbound", "contacts": [{"id": CONTACT}], "lead": [{"id": OPP}]}));
    assert_eq!(
        email,
        json!({"directioncode": false, "regardingobjectid_lead_email@odata.bind": format!("/leads({OPP})"),
            "email_activity_parties": [{"partyid_contact@odata.bind": format!("/contacts({CONTACT})"), "participationtypemask": 1}]})
    );
    let (sent, _) = create(&account(), json!({"engagement_type": "task", "subject": "Follow up", "end_time": "2024-01-20T17:00:00Z", "contacts": [{"id": CONTACT}]}), call_response());
    assert_eq!(sent[0].url, format!("{ORG}/api/data/v9.2/tasks"));
    assert_eq!(sent[0].body_json().unwrap(), &json!({"subject": "Follow up", "scheduledend": "2024-01-20T17:00:00Z", "regardingobjectid_contact_task@odata.bind": format!("/contacts({CONTACT})")}));
    let (sent, _) = create(&account(), json!({"engagement_type": "note", "subject": "Summary", "content": "Text", "account": {"id": ACCOUNT}}), call_response());
    assert_eq!(sent[0].url, format!("{ORG}/api/data/v9.2/annotations"));
    assert_eq!(sent[0].body_json().unwrap(), &json!({"subject": "Summary", "notetext": "Text", "objectid_account@odata.bind": format!("/accounts({ACCOUNT})")}));
}

#[test]
fn unrepresentable_requests_fail_before_sending() {
    let all = create_issues(&account(), json!({
        "engagement_type": "meeting", "direction": "missed", "phone_numbers": [{"number": "1"}, {"number": "2"}],
        "account": {"id": ACCOUNT}, "opportunity": {"id": "not-a-guid"}, "owner": {"id": "bob"},
        "start_time": "2024-01-15T11:00:00Z", "end_time": "2024-01-15T10:00:00Z"
    }));
    for expected in [
        ("body.direction", "not_one_of"),
        ("body.phone_numbers", "too_long"),
        ("body.opportunity.id", "invalid_format"),
        ("body.owner.id", "invalid_format"),
        ("body", "conflict"),
        ("body.end_time", "invalid_order"),
    ] {
        assert!(all.contains(&(expected.0.into(), expected.1.into())), "{expected:?} missing from {all:?}");
    }
    assert_eq!(create_issues(&account(), json!({"engagement_type": "chat", "direction": "inbound"})), vec![("body.engagement_type".to_string(), "not_one_of".to_string())]);
    assert!(create_issues(&account(), json!({"engagement_type": "meeting", "direction": "inbound"})).contains(&("body.direction".into(), "unsupported_field".into())));
    assert!(create_issues(&account(), json!({"engagement_type": "email", "phone_numbers": [{"number": "1"}]})).contains(&("body.phone_numbers".into(), "unsupported_field".into())));
    assert!(create_issues(&account(), json!({"engagement_type": "note", "start_time": "2024-01-15T11:00:00Z"})).contains(&("body.start_time".into(), "unsupported_field".into())));
    assert!(create_issues(&account(), json!({"engagement_type": "note", "contacts": [{"id": CONTACT}], "account": {"id": ACCOUNT}})).contains(&("body".into(), "conflict".into())));
    assert!(create_issues(&account(), json!({"engagement_type": "task", "contacts": [{"id": CONTACT}, {"id": USER}]})).contains(&("body.contacts".into(), "conflict".into())));
    assert!(create_issues(&account(), json!({"engagement_type": "call", "subject": "s".repeat(201)})).contains(&("body.subject".into(), "too_long".into())));
}

#[test]
fn instance_url_must_be_a_dynamics_origin() {
    for bad in [json!(null), json!("https://evil.example.com"), json!("http://contoso.crm.dynamics.com"), json!("https://dynamics.com"), json!("https://contoso.crm.dynamics.com/api")] {
        let mut acc = account();
        acc["context"]["instance_url"] = bad.clone();
        let (sent, out) = drive(input(acc, "crm", "engagements", "create", None, json!({"engagement_type": "task"}), json!({})), Script::default());
        assert!(sent.is_empty());
        assert_eq!(out.unwrap_err().to_json()["details"][0]["field"], "account.context.instance_url", "{bad}");
    }
    let mut acc = account();
    acc["context"]["instance_url"] = json!("https://contoso.crm4.dynamics.com/");
    let (sent, _) = drive(input(acc, "crm", "engagements", "create", None, json!({"engagement_type": "task"}), json!({})), call_response());
    assert_eq!(sent[0].url, "https://contoso.crm4.dynamics.com/api/data/v9.2/tasks");
}

#[test]
fn remote_errors_and_missing_representation() {
    let (_, out) = create(&account(), json!({"engagement_type": "task"}), Script::ok(404, &fixture("dynamics365/doc.error.not_found.response.json")));
    let e = out.unwrap_err().to_json();
    assert_eq!((e["statusCode"].clone(), e["remote"]["message"].clone()), (json!(404), json!("Resource not found for the segment 'Account'.")));
    let (_, out) = create(&account(), json!({"engagement_type": "task"}), Script::default().then_response(HttpResponse::new(204, "")));
    assert_eq!(out.unwrap_err().code(), "protocol_error");
    // A row of another table (the D1 example) has no activityid.
    let (_, out) = create(&account(), json!({"engagement_type": "task"}), Script::ok(201, &fixture("dynamics365/doc.accounts.create_with_data.response.json")));
    assert_eq!(out.unwrap_err().code(), "protocol_error");
}

#[test]
fn list_notes_follows_next_link_on_the_account_origin() {
    let q = json!({"engagement_type": "note", "account_id": ACCOUNT, "created_at": {"gte": "2024-02-01T00:00:00Z", "lt": "2024-03-01T00:00:00+01:00"}, "limit": 2});
    let script = Script::ok(200, &fixture("dynamics365/assembled.annotations.list.page1.response.json")).then(200, &fixture("dynamics365/assembled.annotations.list.page2.response.json"));
    let mut acc = account();
    acc["base_url"] = json!("http://127.0.0.1:9");
    let (sent, pages) = drive_pages(input(acc, "crm", "engagements", "list", None, Value::Null, q), script);
    let pages = pages.unwrap();
    assert_eq!(
        sent[0].url,
        "http://127.0.0.1:9/api/data/v9.2/annotations?$filter=_objectid_value%20eq%2000000000-0000-0000-0000-00000000000a%20and%20createdon%20ge%202024-02-01T00:00:00Z%20and%20createdon%20lt%202024-02-29T23:00:00Z"
    );
    assert_eq!(sent[0].headers["prefer"], format!("{ANNOTATIONS},odata.maxpagesize=2"));
    assert_eq!(sent[0].headers["authorization"], format!("Bearer {TOKEN}"));
    assert!(sent[1].url.starts_with("http://127.0.0.1:9/api/data/v9.2/annotations?$filter=_objectid_value%20eq%20"), "{}", sent[1].url);
    assert!(sent[1].url.contains("$skiptoken="));
    assert_eq!(sent[1].headers["prefer"], sent[0].headers["prefer"]);
    let results: Vec<&Value> = pages.iter().flat_map(|p| p["result"].as_array().unwrap()).collect();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["id"], "note:00000001-aaaa-bbbb-cccc-000000000000");
    assert_eq!(results[0]["engagement_type"], "note");
    assert_eq!(results[0]["content"], "Text 1");
    assert_eq!(results[0]["account"], json!({"id": ACCOUNT}));
    assert_eq!(results[0]["owner"], json!({"id": USER}));
    assert!(pages[1]["next_cursor"].is_null());
}

#[test]
fn list_and_get_need_the_type() {
    let run = |q: Value| drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, q), Script::ok(200, &json!({"value": []})));
    let (_, out) = run(json!({}));
    assert_eq!(out.unwrap_err().to_json()["details"][0], json!({"field": "query.engagement_type", "code": "required", "message": "is required by dynamics365", "meta": {"provider": "dynamics365"}}));
    let (_, out) = run(json!({"engagement_type": "call", "account_id": "x"}));
    assert_eq!(out.unwrap_err().to_json()["details"][0]["field"], "query.account_id");
    let (sent, out) = run(json!({"engagement_type": "call", "contact_id": CONTACT, "remote_query": {"$orderby": "createdon desc"}}));
    assert_eq!(sent[0].url, format!("{ORG}/api/data/v9.2/phonecalls?$expand=phonecall_activity_parties($select=participationtypemask,_partyid_value)&$orderby=createdon%20desc"));
    assert_eq!(out.unwrap()[0]["warnings"][0]["code"], "filter_applied_locally");
    let (sent, out) = run(json!({"engagement_type": "call", "remote_query": {"evil&x": "1"}}));
    assert!(sent.is_empty());
    assert_eq!(out.unwrap_err().code(), "validation_failed");

    let id = "6b1a3f40-8d2e-ef11-8409-000d3a5a1c21";
    let (sent, out) = drive(input(account(), "crm", "engagements", "get", Some(id), Value::Null, json!({"engagement_type": "call"})), call_response());
    assert_eq!(sent[0].url, format!("{ORG}/api/data/v9.2/phonecalls({id})?$expand=phonecall_activity_parties($select=participationtypemask,_partyid_value)"));
    assert_eq!(sent[0].headers["prefer"], ANNOTATIONS);
    let out = out.unwrap();
    assert_eq!(out["contacts"], json!([{"id": CONTACT}]));
    assert_eq!(out["id"], format!("call:{id}"));
    // A typed id names the table; a plain GUID without engagement_type cannot.
    let (sent, _) = drive(input(account(), "crm", "engagements", "get", Some(&format!("call:{id}")), Value::Null, json!({})), call_response());
    assert!(sent[0].url.starts_with(&format!("{ORG}/api/data/v9.2/phonecalls({id})?")));
    let (_, out) = drive(input(account(), "crm", "engagements", "get", Some(id), Value::Null, json!({})), Script::default());
    assert_eq!(out.unwrap_err().to_json()["details"][0]["field"], "id");
    let (sent, out) = drive(input(account(), "crm", "engagements", "get", Some("x)/accounts(y"), Value::Null, json!({"engagement_type": "call"})), Script::default());
    assert!(sent.is_empty());
    assert_eq!(out.unwrap_err().to_json()["details"][0]["field"], "id");
}

#[test]
fn every_supported_create_field_reaches_the_request() {
    let op = super::PROVIDER.op("crm", "engagements", crate::unified::schema::UnifiedMethod::Create).unwrap();
    let samples = json!({
        "engagement_type": ["call", null], "subject": ["S", "subject"], "content": ["C", "description"],
        "start_time": ["2024-01-15T10:00:00Z", "scheduledstart"], "end_time": ["2024-01-15T11:00:00Z", "scheduledend"],
        "duration": [60, "actualdurationminutes"], "direction": ["inbound", "directioncode"], "phone_numbers": [[{"number": "1"}], "phonenumber"],
        "owner": [{"id": USER}, "ownerid@odata.bind"], "contacts": [[{"id": CONTACT}], "phonecall_activity_parties"],
        "account": [{"id": ACCOUNT}, "regardingobjectid_account_phonecall@odata.bind"], "opportunity": [{"id": OPP}, "regardingobjectid_opportunity_phonecall@odata.bind"],
        "lead": [[{"id": OPP}], "regardingobjectid_lead_phonecall@odata.bind"],
    });
    for row in op.fields {
        let sample = samples[row.field].as_array().unwrap_or_else(|| panic!("no sample for {}", row.field));
        let body = sent_body(json!({"engagement_type": "call", row.field: sample[0]}));
        if let Some(target) = sample[1].as_str() {
            assert!(body.get(target).is_some(), "{} did not reach {target}: {body}", row.field);
        }
    }
}

/// Every field coverage calls supported changes the request (and carries its value).
#[test]
fn supported_fields_reach_the_provider_request() {
    let bases: Vec<Value> = ["call", "meeting", "email", "task", "note"].iter().map(|t| json!({"engagement_type": t})).collect();
    assert_eq!(supported_fields_reach_request("dynamics365", account(), "create", &bases), 14);
    assert_eq!(supported_fields_reach_request("dynamics365", account(), "list", &[json!({"engagement_type": "call"}), json!({"engagement_type": "note"})]), 5);
}

#[test]
fn out_of_range_durations_are_null_with_a_warning() {
    // Regression (issue 12): `actualdurationminutes * 60` overflowed.
    let call = &super::KINDS[0];
    let read = |m: Value| {
        let mut w = Vec::new();
        let r = super::map::to_unified(call, of(&json!({"activityid": "7a1b2c3d-0000-4000-8000-000000001001", "actualdurationminutes": m})), &mut w).unwrap();
        (r["duration"].clone(), w.iter().any(|w| w.code == "value_out_of_range" && w.field == "duration"))
    };
    assert_eq!(read(json!(15)), (json!(900), false));
    assert_eq!(read(json!(150119987579016i64)), (json!(9007199254740960i64), false));
    for m in [json!(153722867280912931i64), json!(i64::MAX), json!(i64::MIN), json!(u64::MAX), json!(150119987579017i64), json!(-1), json!(1.5), json!(1e308)] {
        assert_eq!(read(m.clone()), (Value::Null, true), "{m}");
    }
    assert_eq!(read(json!("15")), (Value::Null, false), "a string is not a number (as before)");
}
