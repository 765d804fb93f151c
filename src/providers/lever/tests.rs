use crate::tests::support::{fixture, run_create, Script};
use serde_json::json;

#[test]
fn create_note_matches_recorded_exchange() {
    let recorded = fixture("lever/recorded.notes.create.response.json");
    let body = json!({"candidate_id": "6408dc54-4f5d-4d79-8d67-c7a0a7a4a7a1", "body": "Test note created by Nango action dryrun",
        "visibility": "public", "created_at": "2026-07-02T06:36:29.118Z"});
    let query = json!({"remote_query": {"perform_as": "be129d9b-50da-4485-9377-0d83e981f30b"}});
    let (sent, out) = run_create("lever", json!({"api_key": "lever-key-1"}), body, query, Script::ok(201, &recorded));
    let req = &sent[0];
    assert_eq!(req.url, "https://api.lever.co/v1/opportunities/6408dc54-4f5d-4d79-8d67-c7a0a7a4a7a1/notes?perform_as=be129d9b-50da-4485-9377-0d83e981f30b");
    assert_eq!(req.headers["authorization"], crate::provider::account::basic("lever-key-1", ""));
    assert_eq!(req.body_json().unwrap(), &json!({"value": "Test note created by Nango action dryrun", "secret": false, "createdAt": 1782974189118i64}));
    let out = out.unwrap();
    assert_eq!(out["id"], "7f8004a4-e5db-466a-ae31-7a26346701ed");
    assert_eq!(out["actor"], json!({"id": "be129d9b-50da-4485-9377-0d83e981f30b", "type": "user"}));
    assert_eq!(out["body"], "Test note created by Nango action dryrun");
    assert_eq!(out["created_at"], "2026-07-02T06:36:29.118Z");
    assert_eq!(out["visibility"], "public");
    assert_eq!(out["candidate"]["id"], "6408dc54-4f5d-4d79-8d67-c7a0a7a4a7a1");
}

#[test]
fn ids_stay_one_path_segment_and_oauth_tokens_work() {
    let (sent, _) = run_create("lever", json!({"access_token": "tok-123456"}), json!({"candidate_id": "../../v1/users?x=1", "body": "b"}), json!({}),
        Script::ok(201, &fixture("lever/recorded.notes.create.response.json")));
    assert_eq!(sent[0].url, "https://api.lever.co/v1/opportunities/..%2F..%2Fv1%2Fusers%3Fx%3D1/notes");
    assert_eq!(sent[0].headers["authorization"], "Bearer tok-123456");
}

#[test]
fn remote_404_is_a_remote_error() {
    let (_, out) = run_create("lever", json!({"api_key": "lever-key-1"}), json!({"candidate_id": "x", "body": "b"}), json!({}),
        Script::ok(404, &json!({"code": "ResourceNotFound", "message": "Opportunity not found"})));
    let e = out.unwrap_err().to_json();
    assert_eq!(e["statusCode"], 404);
    assert_eq!(e["remote"]["message"], "Opportunity not found");
}
