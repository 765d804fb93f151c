use super::*;
use crate::tests::support::{drive, drive_pages, fixture, input, Script};

fn account() -> Value {
    json!({"id": "a1", "provider": "affinity", "credentials": {"api_key": "aff_key_123"}})
}

#[test]
fn create_matches_the_recorded_note() {
    let recorded = fixture("affinity/recorded.notes.create.request.json");
    let resp = fixture("affinity/recorded.notes.create.response.json");
    let body = json!({"engagement_type": "note", "content": recorded["content"], "account": {"id": "297551634"}, "created_at": "2021-01-01T00:00:00.000Z", "remote_data": {"type": 2}});
    let (sent, out) = drive(input(account(), "crm", "engagements", "create", None, body, json!({})), Script::ok(200, &resp));
    let req = &sent[0];
    assert_eq!(req.method.as_str(), "POST");
    assert_eq!(req.url, "https://api.affinity.co/notes");
    assert_eq!(req.headers["authorization"], basic("", "aff_key_123"));
    let mut expected = recorded.clone();
    expected["created_at"] = json!("2021-01-01T00:00:00Z");
    assert_eq!(req.body_json().unwrap(), &expected);
    let out = out.unwrap();
    assert_eq!(out["id"], "20423147");
    assert_eq!(out["engagement_type"], "note");
    assert_eq!(out["content"], "This is an **important** note");
    assert_eq!(out["owner"], json!({"id": "54576635"}));
    assert_eq!(out["account"], json!({"id": "297551634"}));
    assert_eq!(out["contacts"], json!([]));
    assert_eq!(out["opportunity"], Value::Null);
    assert_eq!(out["created_at"], "2021-01-01T07:00:00Z");
    assert_eq!(out["updated_at"], Value::Null);
    assert_eq!(out["remote_data"], resp);
}

#[test]
fn create_matches_the_documented_example() {
    let expected = fixture("affinity/doc.notes.create.request.json");
    let resp = fixture("affinity/doc.notes.create.response.json");
    let body = json!({"content": expected["content"], "contacts": [{"id": "38706"}, {"id": 624289}], "account": {"id": "120611418"}, "opportunity": {"id": "167"}});
    let (sent, out) = drive(input(account(), "crm", "engagements", "create", None, body, json!({})), Script::ok(200, &resp));
    assert_eq!(sent[0].body_json().unwrap(), &expected);
    let out = out.unwrap();
    assert_eq!(out["id"], "22985");
    assert_eq!(out["engagement_type"], "note", "a note on a meeting is still a note; the interaction stays in remote_data");
    assert_eq!(out["contacts"], json!([{"id": "38708"}, {"id": "24809"}, {"id": "89203"}, {"id": "97304"}]));
    assert_eq!(out["account"], json!({"id": "64779194"}));
    assert_eq!(out["opportunity"], json!({"id": "117"}));
    assert_eq!(out["owner"], json!({"id": "860197"}));
    assert_eq!(out["created_at"], "2017-03-28T08:38:41.275Z");
    assert_eq!(out["remote_data"]["interaction_id"], 114);
}

#[test]
fn every_link_is_sent_as_integers() {
    let body = json!({"content": "hi", "contacts": [{"id": "1"}, {"id": 2}], "opportunity": {"id": "3"}, "owner": {"id": "4"}});
    let (sent, _) = drive(input(account(), "crm", "engagements", "create", None, body, json!({})), Script::ok(200, &fixture("affinity/recorded.notes.get.response.json")));
    assert_eq!(sent[0].body_json().unwrap(), &json!({"content": "hi", "person_ids": [1, 2], "opportunity_ids": [3], "creator_id": 4}));
}

#[test]
fn only_notes_with_a_link_and_integer_ids() {
    let start = |body: Value| match crate::engine::operation::Operation::start(input(account(), "crm", "engagements", "create", None, body, json!({})), 0) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_json(),
    };
    let err = start(json!({"engagement_type": "meeting", "content": "x", "contacts": [{"id": 1}]}));
    assert_eq!(err["details"][0]["field"], "body.engagement_type");
    assert_eq!(err["details"][0]["meta"]["allowed"], json!(["note"]));
    let err = start(json!({"content": "x"}));
    assert_eq!(err["details"][0]["field"], "body.contacts");
    assert_eq!(err["details"][0]["meta"]["one_of"], json!(["contacts", "account", "opportunity"]));
    let err = start(json!({"content": "x", "contacts": [{"id": "p-1"}]}));
    assert_eq!(err["details"][0]["field"], "body.contacts[0].id");
    let err = start(json!({"contacts": [{"id": 1}], "direction": "inbound"}));
    let fields: Vec<&str> = err["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["body.direction", "body.content"]);
}

#[test]
fn get_and_several_organizations_warn() {
    let mut note = fixture("affinity/recorded.notes.get.response.json");
    note["organization_ids"] = json!([297551634, 5]);
    let (sent, out) = drive(input(account(), "crm", "engagements", "get", Some("20423470"), Value::Null, json!({})), Script::ok(200, &note));
    assert_eq!(sent[0].url, "https://api.affinity.co/notes/20423470");
    let out = out.unwrap();
    assert_eq!(out["account"], json!({"id": "297551634"}));
    assert_eq!(out["warnings"][0]["code"], "more_links_in_remote_data");
    assert_eq!(out["remote_data"]["organization_ids"], json!([297551634, 5]));
}

#[test]
fn list_pages_by_token_until_null() {
    let mut page1 = fixture("affinity/recorded.notes.list.response.json");
    page1["next_page_token"] = json!("eyJwYWdlIjoyfQ");
    let page2 = json!({"notes": [], "next_page_token": "eyJwYWdlIjozfQ"});
    let page3 = fixture("affinity/recorded.notes.list.response.json");
    let q = json!({"account_id": "297551634", "limit": 2, "created_at": {"gte": "2024-08-13T10:23:00Z"}});
    let script = Script::ok(200, &page1).then(200, &page2).then(200, &page3);
    let (sent, pages) = drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, q), script);
    let urls: Vec<&str> = sent.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://api.affinity.co/notes?organization_id=297551634&page_size=2",
            "https://api.affinity.co/notes?organization_id=297551634&page_size=2&page_token=eyJwYWdlIjoyfQ",
            "https://api.affinity.co/notes?organization_id=297551634&page_size=2&page_token=eyJwYWdlIjozfQ",
        ]
    );
    let pages = pages.unwrap();
    assert_eq!(pages.len(), 3);
    // 03:23:07-07:00 is 10:23:07Z (kept); 03:22:45-07:00 is 10:22:45Z (dropped locally).
    let ids: Vec<&str> = pages[0]["result"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["20421456"]);
    assert_eq!(pages[0]["result"][0]["created_at"], "2024-08-13T10:23:07.846Z");
    assert_eq!(pages[0]["warnings"][0]["code"], "filter_applied_locally");
    assert!(pages[2]["next_cursor"].is_null());
    let (sent, _) = drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, json!({"contact_id": "7", "engagement_type": "note"})), Script::ok(200, &page3));
    assert_eq!(sent[0].url, "https://api.affinity.co/notes?person_id=7&page_size=100");
    let (sent, out) = drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, json!({"engagement_type": "call"})), Script::default());
    assert!(sent.is_empty());
    assert_eq!(out.unwrap_err().to_json()["details"][0]["field"], "query.engagement_type");
    // The reference's own list example is a bare array.
    let (_, pages) = drive_pages(input(account(), "crm", "engagements", "list", None, Value::Null, json!({})), Script::ok(200, &fixture("affinity/doc.notes.list.response.json")));
    let pages = pages.unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0]["result"][1]["id"], "22983");
    assert_eq!(pages[0]["result"][1]["opportunity"], json!({"id": "115"}));
}

/// Every field coverage calls supported changes the request (and carries its value);
/// engagement_type proves itself by refusing every type but note.
#[test]
fn supported_fields_reach_the_request() {
    use crate::providers::crm_engagements::test_support::supported_fields_reach_request;
    let bases = [json!({"content": "base content", "contacts": [{"id": 1}]}), json!({"content": "base content"})];
    assert_eq!(supported_fields_reach_request("affinity", account(), "create", &bases), 8);
    assert_eq!(supported_fields_reach_request("affinity", account(), "list", &[json!({})]), 5);
}

#[test]
fn errors_keep_status_and_body() {
    // The reference lists the codes (401, 403, 404, 422, 429, 500, 503) but not the
    // body's shape: crosswalk keeps the status and whatever body arrives.
    let (_, out) = drive(input(account(), "crm", "engagements", "get", Some("1"), Value::Null, json!({})), Script::default().then_response(HttpResponse::new(404, "Not Found")));
    let err = out.unwrap_err().to_json();
    assert_eq!(err["statusCode"], 404);
    assert_eq!(err["truto_is_remote_error"], true);
    assert_eq!(err["remote"]["body"], "Not Found");
}
