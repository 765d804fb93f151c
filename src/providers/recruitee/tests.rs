use crate::tests::support::{run_create_with, Script};
use serde_json::json;

fn account() -> serde_json::Value {
    json!({"provider": "recruitee", "credentials": {"api_key": "rec-token-9"}, "context": {"company_id": 12345}})
}

#[test]
fn create_note_request_and_response() {
    let resp = json!({"note": {"id": 987, "body": "Great call", "admin_id": 316973, "created_at": "2023-01-15T12:01:10.725552Z", "visibility": {"level": "private"}}});
    let (sent, out) = run_create_with(account(), json!({"candidate_id": "46566917", "body": "Great call", "visibility": "private"}), json!({}), Script::ok(201, &resp));
    let req = &sent[0];
    assert_eq!(req.url, "https://api.recruitee.com/c/12345/candidates/46566917/notes");
    assert_eq!(req.headers["authorization"], "Bearer rec-token-9");
    assert_eq!(req.body_json().unwrap(), &json!({"note": {"body": "Great call", "visibility": {"level": "private"}}}));
    let out = out.unwrap();
    assert_eq!(out["id"], "987");
    assert_eq!(out["actor"], json!({"id": "316973", "type": "user"}));
    assert_eq!(out["created_at"], "2023-01-15T12:01:10.725Z");
    assert_eq!(out["visibility"], "private");
    assert_eq!(out["candidate"]["id"], "46566917");
}

#[test]
fn company_id_is_required_and_created_at_unsupported() {
    let mut acc = account();
    acc["context"] = json!({});
    let err = crate::tests::support::start_err_with(acc, json!({"candidate_id": "1", "body": "x"}));
    assert_eq!(err["details"][0]["field"], "account.context.company_id");
    let err = crate::tests::support::start_err_with(account(), json!({"candidate_id": "1", "body": "x", "created_at": "2024-01-01T00:00:00Z"}));
    assert_eq!(err["details"][0]["code"], "unsupported_field");
}
