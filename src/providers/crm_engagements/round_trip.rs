//! The unified id round-trips: for every CRM provider with create and get, the id a
//! create answers with, passed to get as it is (no query), plans a read of that
//! very record — and the record read back carries the same id.

use serde_json::{json, Value};

use crate::unified::schema::UnifiedMethod;
use crate::tests::support::{fixture, Script};

use super::test_support::{create, get};

/// One engagement type of one provider: what to create, the provider's answers to
/// the create and to the get, and the URL the get must read.
struct Case {
    provider: &'static str,
    account: Value,
    body: Value,
    created: Script,
    read: Script,
    /// `None`: the provider cannot read this type, and get says so before sending.
    url: Option<&'static str>,
}

fn case(provider: &'static str, account: Value, body: Value, record: Value, url: &'static str) -> Case {
    Case { provider, account, body, created: Script::ok(201, &record), read: Script::ok(200, &record), url: Some(url) }
}

fn cases() -> Vec<Case> {
    let hubspot = json!({"provider": "hubspot", "credentials": {"access_token": "t"}});
    let salesforce = json!({"provider": "salesforce", "credentials": {"access_token": "t"}, "context": {"instance_url": "https://acme.my.salesforce.com"}});
    let pipedrive = json!({"provider": "pipedrive", "credentials": {"api_key": "k"}});
    let zoho = json!({"provider": "zoho_crm", "credentials": {"access_token": "t"}});
    let dynamics = json!({"provider": "dynamics365", "credentials": {"access_token": "t"}, "context": {"instance_url": "https://contoso.crm.dynamics.com"}});
    let attio = json!({"provider": "attio", "credentials": {"access_token": "t"}});
    let freshsales = json!({"provider": "freshsales", "credentials": {"api_key": "k"}, "context": {"bundle_alias": "widgetz"}});
    let sell = json!({"provider": "zendesk_sell", "credentials": {"access_token": "t"}});
    let capsule = json!({"provider": "capsule", "credentials": {"access_token": "t"}});
    let onepage = json!({"provider": "onepagecrm", "credentials": {"api_key": "k"}, "context": {"user_id": "u1"}});

    let sf_task = json!({"totalSize": 1, "done": true, "records": [{"attributes": {"type": "Task"}, "Id": "00T1", "TaskSubtype": "Call", "Subject": "s"}]});
    let zoho_note = json!({"data": [{"id": "7328000002", "Note_Content": "c", "Parent_Id": {"id": "1", "module": {"api_name": "Contacts"}}}]});
    let capsule_call = json!({"entry": {"id": 102, "type": "note", "content": "x", "activityType": {"id": -3, "name": "Call"}, "party": {"id": 1, "type": "person"}}});
    let fs_types = fixture("freshsales/secondary.selector.sales_activity_types.response.json");
    let fs_activity = fixture("freshsales/assembled.sales_activity.create.response.json");
    let fs_call = json!({"engagement_type": "call", "subject": "s", "start_time": "2022-08-30T10:00:00Z", "duration": 1800, "owner": {"id": "1"}, "contacts": [{"id": "2"}]});
    let copper_note = fixture("copper/doc.activities.post.response.json");
    let copper_types = fixture("copper/doc.activity_types.get.response.json");
    vec![
        case("atz_crm", json!({"provider": "atz_crm", "credentials": {"access_token": "t"}}),
            json!({"engagement_type": "meeting", "subject": "s", "start_time": "2024-06-15T10:00:00Z", "end_time": "2024-06-15T11:00:00Z"}),
            fixture("atz_crm/doc.activity.post.response.json"), "https://api.atzcrm.com/v1/activity/42"),
        case("hubspot", hubspot.clone(), json!({"engagement_type": "note", "content": "x"}), fixture("hubspot/recorded.notes.post.response.json"),
            "https://api.hubapi.com/crm/v3/objects/notes/478016441536?properties=hs_timestamp%2Chs_note_body%2Chubspot_owner_id&associations=contacts%2Ccompanies%2Cdeals&archived=false"),
        case("hubspot", hubspot, json!({"engagement_type": "task", "subject": "s"}), fixture("hubspot/recorded.tasks.post.response.json"),
            "https://api.hubapi.com/crm/v3/objects/tasks/477970581703?properties=hs_timestamp%2Chs_task_subject%2Chs_task_body%2Chubspot_owner_id&associations=contacts%2Ccompanies%2Cdeals&archived=false"),
        Case {
            provider: "salesforce", account: salesforce, body: json!({"engagement_type": "call", "subject": "s"}),
            created: Script::ok(201, &json!({"id": "00T1", "success": true, "errors": []})).then(200, &sf_task), read: Script::ok(200, &sf_task),
            url: Some("https://acme.my.salesforce.com/services/data/v60.0/query?q=SELECT%20Id%2C%20Subject%2C%20Description%2C%20ActivityDate%2C%20Status%2C%20OwnerId%2C%20WhoId%2C%20Who.Type%2C%20WhatId%2C%20What.Type%2C%20AccountId%2C%20TaskSubtype%2C%20CallType%2C%20CallDurationInSeconds%2C%20CreatedDate%2C%20LastModifiedDate%20FROM%20Task%20WHERE%20Id%20%3D%20%2700T1%27"),
        },
        case("pipedrive", pipedrive.clone(), json!({"engagement_type": "call", "subject": "s"}), fixture("pipedrive/recorded.v1.activities.post.response.json"), "https://api.pipedrive.com/api/v2/activities/6"),
        case("pipedrive", pipedrive, json!({"engagement_type": "note", "content": "c", "opportunity": {"id": "1"}}), fixture("pipedrive/recorded.v1.notes.post.response.json"), "https://api.pipedrive.com/v1/notes/5"),
        Case {
            provider: "zoho_crm", account: zoho, body: json!({"engagement_type": "note", "content": "c", "contacts": [{"id": "1"}]}),
            created: Script::ok(201, &json!({"data": [{"code": "SUCCESS", "details": {"id": "7328000002"}, "status": "success"}]})).then(200, &zoho_note),
            read: Script::ok(200, &zoho_note), url: Some("https://www.zohoapis.com/crm/v8/Notes/7328000002"),
        },
        case("close", json!({"provider": "close", "credentials": {"api_key": "k"}}), json!({"engagement_type": "note", "content": "x", "account": {"id": "lead_1"}}),
            fixture("close/recorded.note.post.response.json"), "https://api.close.com/api/v1/activity/note/acti_JIKGUw3ElH39M1C5vgjpRSWY0u8levRjO2o35wxDiYt/"),
        Case {
            provider: "copper", account: json!({"provider": "copper", "credentials": {"api_key": "k"}, "context": {"user_email": "a@example.com"}}),
            body: json!({"engagement_type": "note", "content": "x", "account": {"id": "1"}}),
            created: Script::ok(200, &copper_note), read: Script::ok(200, &copper_types).then(200, &copper_note),
            url: Some("https://api.copper.com/developer_api/v1/activities/3064242278"),
        },
        case("dynamics365", dynamics.clone(), json!({"engagement_type": "call", "subject": "s"}), fixture("dynamics365/assembled.phonecall.create.response.json"),
            "https://contoso.crm.dynamics.com/api/data/v9.2/phonecalls(6b1a3f40-8d2e-ef11-8409-000d3a5a1c21)?$expand=phonecall_activity_parties($select=participationtypemask,_partyid_value)"),
        case("dynamics365", dynamics, json!({"engagement_type": "note", "content": "x"}), json!({"annotationid": "00000001-aaaa-bbbb-cccc-000000000000", "notetext": "x"}),
            "https://contoso.crm.dynamics.com/api/data/v9.2/annotations(00000001-aaaa-bbbb-cccc-000000000000)"),
        case("attio", attio.clone(), json!({"engagement_type": "note", "subject": "s", "content": "c", "contacts": [{"id": "p1"}]}), fixture("attio/recorded.notes.create.response.json"),
            "https://api.attio.com/v2/notes/c4b896b6-09ef-498b-a1b4-8650e0539393"),
        case("attio", attio, json!({"engagement_type": "task", "content": "c"}), fixture("attio/recorded.tasks.create.response.json"), "https://api.attio.com/v2/tasks/2bdab1da-3ec7-41b4-bd9d-8a9b2d0d7cec"),
        Case {
            provider: "freshsales", account: freshsales.clone(), body: fs_call,
            created: Script::ok(200, &fs_types).then(201, &fs_activity), read: Script::ok(200, &fs_types).then(200, &fs_activity),
            url: Some("https://widgetz.myfreshworks.com/crm/sales/api/sales_activities/70000123456"),
        },
        Case {
            provider: "freshsales", account: freshsales, body: json!({"engagement_type": "note", "content": "c", "account": {"id": "9"}}),
            created: Script::ok(201, &json!({"note": {"id": 31, "description": "c", "targetable_type": "SalesAccount", "targetable_id": 9}})), read: Script::default(),
            url: None,
        },
        case("zendesk_sell", sell.clone(), json!({"engagement_type": "call", "content": "x"}), fixture("zendesk_sell/assembled.calls.create.response.json"), "https://api.getbase.com/v2/calls/171"),
        case("zendesk_sell", sell.clone(), json!({"engagement_type": "note", "content": "x"}), fixture("zendesk_sell/assembled.notes.get.response.json"), "https://api.getbase.com/v2/notes/2"),
        case("zendesk_sell", sell, json!({"engagement_type": "task", "content": "x"}), json!({"data": {"id": 7, "content": "x"}}), "https://api.getbase.com/v2/tasks/7"),
        case("capsule", capsule.clone(), json!({"engagement_type": "note", "content": "x", "contacts": [{"id": 1}]}), json!({"entry": {"id": 101, "type": "note", "content": "x"}}),
            "https://api.capsulecrm.com/api/v2/entries/101"),
        Case {
            provider: "capsule", account: capsule.clone(), body: json!({"engagement_type": "call", "content": "x", "contacts": [{"id": 1}]}),
            created: Script::ok(200, &fixture("capsule/doc.activitytypes.list.response.json")).then(201, &capsule_call), read: Script::ok(200, &capsule_call),
            url: Some("https://api.capsulecrm.com/api/v2/entries/102"),
        },
        case("capsule", capsule, json!({"engagement_type": "task", "subject": "s", "start_time": "2020-01-01T00:00:00Z"}), json!({"task": {"id": 493, "description": "s"}}),
            "https://api.capsulecrm.com/api/v2/tasks/493"),
        case("affinity", json!({"provider": "affinity", "credentials": {"api_key": "k"}}), json!({"content": "x", "contacts": [{"id": 1}]}), fixture("affinity/recorded.notes.create.response.json"),
            "https://api.affinity.co/notes/20423147"),
        case("onepagecrm", onepage.clone(), json!({"engagement_type": "call", "contacts": [{"id": "c1"}]}), fixture("onepagecrm/doc.calls.create.response.json"),
            "https://app.onepagecrm.com/api/v3/calls/5afc1b69d556730b580596cb"),
        case("onepagecrm", onepage, json!({"engagement_type": "task", "contacts": [{"id": "c1"}], "content": "t"}), json!({"status": 0, "data": {"action": {"id": "a1", "text": "t", "contact_id": "c1"}}}),
            "https://app.onepagecrm.com/api/v3/actions/a1"),
    ]
}

#[test]
fn every_id_from_a_create_reads_that_record_back() {
    let cases = cases();
    let with_both: Vec<&str> = crate::providers::PROVIDERS
        .iter()
        .filter(|p| p.name != "sandbox" && [UnifiedMethod::Create, UnifiedMethod::Get].iter().all(|m| p.op("crm", "engagements", *m).is_some()))
        .map(|p| p.name)
        .collect();
    for name in &with_both {
        assert!(cases.iter().any(|c| c.provider == *name), "{name} has create and get: add a round-trip case");
    }
    for c in cases {
        let label = format!("{} {}", c.provider, c.body["engagement_type"]);
        let (_, out) = create(&c.account, c.body.clone(), c.created);
        let created = out.unwrap_or_else(|e| panic!("{label}: create failed: {}", e.to_json()));
        let id = created["id"].as_str().unwrap_or_else(|| panic!("{label}: no id in {created}"));
        let (sent, out) = get(&c.account, id, c.read);
        match c.url {
            Some(url) => {
                let read = sent.last().unwrap_or_else(|| panic!("{label}: get({id}) sent nothing: {:?}", out.as_ref().err().map(|e| e.to_json())));
                assert_eq!((read.method.as_str(), read.url.as_str()), ("GET", url), "{label}: get({id})");
                let back = out.unwrap_or_else(|e| panic!("{label}: get({id}) failed: {}", e.to_json()));
                assert_eq!(back["id"], id, "{label}: the record read back has the id get was given");
                assert_eq!(back["engagement_type"], created["engagement_type"], "{label}");
            }
            None => {
                assert!(sent.is_empty(), "{label}: get({id}) must refuse before sending");
                assert_eq!(out.expect_err("a refusal").to_json()["details"][0]["field"], "id", "{label}");
            }
        }
    }
}
