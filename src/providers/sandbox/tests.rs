use super::*;
use crate::tests::support::{drive_sandbox_pages, run_sandbox};

#[test]
fn note_round_trip_through_the_sandbox_server() {
    crate::providers::sandbox::server::reset();
    let out = run_sandbox("ats", "activities", "create", None, json!({"candidate_id": "cand_1", "body": "Great chat", "visibility": "private"}), json!({})).unwrap();
    assert_eq!(out["body"], "Great chat");
    assert_eq!(out["visibility"], "private");
    assert_eq!(out["candidate"]["id"], "cand_1");
    assert!(out["id"].as_str().unwrap().starts_with("note_"));
}

#[test]
fn all_interview_pages_in_order_exactly_once() {
    crate::providers::sandbox::server::reset();
    let pages = drive_sandbox_pages("ats", "interviews", json!({"limit": 25}), 20).unwrap();
    assert_eq!(pages.len(), 5);
    let ids: Vec<String> = pages.iter().flat_map(|p| p["result"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string())).collect();
    let expected: Vec<String> = (1..=120).map(|i| format!("int_{i:03}")).collect();
    assert_eq!(ids, expected);
    assert!(pages[4]["next_cursor"].is_null());
    // ON_HOLD is not in the status table: null + warning, original kept.
    let first = &pages[0];
    let on_hold = first["result"].as_array().unwrap().iter().find(|r| r["remote_data"]["status"] == "ON_HOLD").unwrap();
    assert!(on_hold["status"].is_null());
    assert!(first["warnings"].as_array().unwrap().iter().any(|w| w["code"] == "unknown_status"));
}

#[test]
fn status_table_is_explicit() {
    let mut w = Vec::new();
    assert_eq!(map_status(INTERVIEW_STATUS, Some("DONE"), &mut w), json!("completed"));
    assert_eq!(map_status(INTERVIEW_STATUS, Some("CANCELED"), &mut w), json!("cancelled"));
    assert!(w.is_empty());
    assert_eq!(map_status(INTERVIEW_STATUS, Some("done"), &mut w), Value::Null);
    assert_eq!(w.len(), 1);
}
