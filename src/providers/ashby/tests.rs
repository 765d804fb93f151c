use crate::tests::support::{fixture, run_create, Script};
use serde_json::json;

#[test]
fn create_note_matches_recorded_exchange() {
    let recorded_req = fixture("ashby/recorded.notes.create.request.json");
    let recorded_resp = fixture("ashby/recorded.notes.create.response.json");
    let body = json!({"candidate_id": recorded_req["candidateId"], "body": recorded_req["note"]});
    let (sent, out) = run_create("ashby", json!({"api_key": "k_live_123"}), body, json!({}), Script::ok(200, &recorded_resp));
    let req = &sent[0];
    assert_eq!(req.method.as_str(), "POST");
    assert_eq!(req.url, "https://api.ashbyhq.com/candidate.createNote");
    assert_eq!(req.headers["authorization"], crate::provider::account::basic("k_live_123", ""));
    assert_eq!(req.body_json().unwrap(), &recorded_req);
    let out = out.unwrap();
    assert_eq!(out["id"], "00000000-0000-0000-0000-000000000002");
    assert_eq!(out["activity_type"], "note");
    assert_eq!(out["actor"], json!({"id": "00000000-0000-0000-0000-000000000003", "type": "user", "name": "Test User1", "email": "user1@example.com"}));
    assert_eq!(out["body"], "Test note from Nango action validation");
    assert_eq!(out["candidate"]["id"], "00000000-0000-0000-0000-000000000001");
    assert_eq!(out["created_at"], "2026-05-28T21:07:04.042Z");
    assert_eq!(out["visibility"], "public");
    assert_eq!(out["remote_data"], recorded_resp["results"]);
}

#[test]
fn visibility_and_created_at_are_converted() {
    let body = json!({"candidate_id": "c1", "body": "hi", "visibility": "private", "created_at": "2022-08-12T22:29:56.964+02:00", "remote_data": {"sendNotifications": true}});
    let (sent, _) = run_create("ashby", json!({"api_key": "k"}), body, json!({}), Script::ok(200, &fixture("ashby/recorded.notes.create.response.json")));
    assert_eq!(
        sent[0].body_json().unwrap(),
        &json!({"candidateId": "c1", "note": "hi", "isPrivate": true, "createdAt": "2022-08-12T20:29:56.964Z", "sendNotifications": true})
    );
}

#[test]
fn admin_only_is_not_representable() {
    let err = crate::tests::support::start_err("ashby", json!({"candidate_id": "c1", "body": "hi", "visibility": "admin_only"}));
    assert_eq!(err["details"][0]["field"], "body.visibility");
    assert_eq!(err["details"][0]["code"], "not_one_of");
    assert_eq!(err["details"][0]["meta"]["allowed"], json!(["private", "public"]));
}

#[test]
fn success_false_is_a_remote_error() {
    let (_, out) = run_create("ashby", json!({"api_key": "k"}), json!({"candidate_id": "c1", "body": "hi"}), json!({}), Script::ok(200, &fixture("ashby/doc.error.response.json")));
    let err = out.unwrap_err().to_json();
    assert_eq!(err["statusCode"], 400);
    assert_eq!(err["truto_is_remote_error"], true);
    assert_eq!(err["remote"]["message"], "Application not found - are you lacking permissions to edit candidates?");
    let (_, out) = run_create("ashby", json!({"api_key": "k"}), json!({"candidate_id": "c1", "body": "hi"}), json!({}), Script::ok(200, &fixture("ashby/doc.error_legacy.response.json")));
    assert_eq!(out.unwrap_err().to_json()["remote"]["message"], "requested_job_not_found");
}
