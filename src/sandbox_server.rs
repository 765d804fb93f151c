//! The embedded sandbox backend: a small in-memory HTTP API that the JS driver
//! calls instead of `fetch` for the sandbox origin, so the demo, the admin page and
//! first-time users work with no credentials and no network. It is a *server*: the
//! sandbox provider module maps unified requests onto it exactly as a real
//! provider module maps onto a real API, through the same operation machine.
//!
//! Behaviour worth knowing (documented for users in the README):
//! - candidate `missing` → 404; token `invalid` → 401;
//! - candidate `rate-limited` → the first note request answers 429 with
//!   `Retry-After: 1`, the retry succeeds;
//! - 120 seeded interviews across 5 pages of 25 by default, several statuses
//!   (one unknown to the status table, to show the warning path).

use std::cell::RefCell;

use serde_json::{json, Map, Value};

use crate::convert::{iso_from_epoch_ms, parse_datetime};
use crate::http::HttpResponse;

pub const ORIGIN: &str = "https://sandbox.crosswalk.invalid";

#[derive(Default)]
struct Store {
    seeded: bool,
    notes: Vec<Value>,
    interviews: Vec<Value>,
    engagements: Vec<Value>,
    next_id: u64,
    rate_limited_once: bool,
}

thread_local! {
    static STORE: RefCell<Store> = RefCell::new(Store::default());
}

const BASE_MS: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const STAGES: &[&str] = &["Phone screen", "Onsite", "Final"];
const TYPES: &[&str] = &["call", "meeting", "email", "note"];
const STATUSES: &[&str] = &["SCHEDULED", "NEEDS_FEEDBACK", "DONE", "CANCELED", "DRAFT", "ON_HOLD"];

fn seed(store: &mut Store) {
    if store.seeded {
        return;
    }
    store.seeded = true;
    for i in 0..120i64 {
        let created = BASE_MS + i * 3_600_000;
        let start = created + 86_400_000;
        store.interviews.push(json!({
            "id": format!("int_{:03}", i + 1),
            "application_id": format!("app_{}", i % 7 + 1),
            "candidate_id": format!("cand_{}", i % 5 + 1),
            "stage": { "id": format!("stage_{}", i % 3 + 1), "title": STAGES[(i % 3) as usize] },
            "status": STATUSES[(i % 6) as usize],
            "starts_at": iso_from_epoch_ms(start),
            "ends_at": iso_from_epoch_ms(start + 2_700_000),
            "location": if i % 2 == 0 { "Video call" } else { "Room 4" },
            "organizer": { "id": "user_1", "name": "Riley Recruiter", "email": "riley@sandbox.example" },
            "panel": [ { "id": format!("user_{}", i % 4 + 2), "name": format!("Interviewer {}", i % 4 + 2), "email": format!("i{}@sandbox.example", i % 4 + 2) } ],
            "created_at": iso_from_epoch_ms(created),
            "updated_at": iso_from_epoch_ms(created + 600_000),
        }));
    }
    for i in 0..8i64 {
        let t = BASE_MS + i * 7_200_000;
        store.engagements.push(json!({
            "id": format!("eng_{:03}", i + 1),
            "type": TYPES[(i % 4) as usize],
            "subject": format!("Seeded engagement {}", i + 1),
            "body": "Seeded by the crosswalk sandbox",
            "direction": if i % 4 == 0 { Value::from("outbound") } else { Value::Null },
            "duration_seconds": if i % 4 == 0 { Value::from(300) } else { Value::Null },
            "starts_at": iso_from_epoch_ms(t), "ends_at": iso_from_epoch_ms(t + 1_800_000),
            "owner_id": "user_1", "contact_ids": [format!("contact_{}", i % 3 + 1)], "account_id": "account_1", "deal_id": Value::Null,
            "created_at": iso_from_epoch_ms(t), "updated_at": iso_from_epoch_ms(t),
        }));
    }
    store.next_id = 1000;
}

/// Resets the sandbox to its seeded state (tests and the admin page use this).
pub fn reset() {
    STORE.with(|s| *s.borrow_mut() = Store::default());
}

/// Answers one request the way a provider would.
pub fn respond(method: &str, url: &str, headers: &Map<String, Value>, body: &str, now_ms: u64) -> HttpResponse {
    let auth = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("authorization")).and_then(|(_, v)| v.as_str()).unwrap_or("");
    if auth.is_empty() || auth == "Bearer invalid" {
        return reply(401, json!({"error": "unauthorized", "message": "missing or invalid sandbox token"}));
    }
    let path_and_query = url.strip_prefix(ORIGIN).unwrap_or(url);
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    let query: Map<String, Value> = form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), Value::String(v.into_owned()))).collect();
    let segments: Vec<String> = path.trim_matches('/').split('/').map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()).collect();
    let parsed_body: Value = if body.is_empty() { Value::Null } else { serde_json::from_str(body).unwrap_or(Value::Null) };
    STORE.with(|cell| {
        let mut store = cell.borrow_mut();
        seed(&mut store);
        let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
        match (method, segs.as_slice()) {
            ("POST", ["v1", "candidates", cand, "notes"]) => create_note(&mut store, cand, &parsed_body, now_ms),
            ("GET", ["v1", "candidates", cand, "notes"]) => {
                let items: Vec<Value> = store.notes.iter().filter(|n| n["candidate_id"] == *cand).cloned().collect();
                page(items, &query)
            }
            ("GET", ["v1", "interviews"]) => {
                let items: Vec<Value> = store.interviews.iter().filter(|i| interview_matches(i, &query)).cloned().collect();
                page(items, &query)
            }
            ("GET", ["v1", "interviews", id]) => find(&store.interviews, id),
            ("POST", ["v1", "engagements"]) => create_engagement(&mut store, &parsed_body, now_ms),
            ("GET", ["v1", "engagements"]) => {
                let items: Vec<Value> = store.engagements.iter().filter(|e| query.get("type").map_or(true, |t| &e["type"] == t)).cloned().collect();
                page(items, &query)
            }
            ("GET", ["v1", "engagements", id]) => find(&store.engagements, id),
            _ => reply(404, json!({"error": "not_found", "message": format!("no sandbox route for {method} {path}")})),
        }
    })
}

fn reply(status: u16, body: Value) -> HttpResponse {
    HttpResponse::new(status, body.to_string()).with_header("content-type", "application/json")
}

fn find(items: &[Value], id: &str) -> HttpResponse {
    match items.iter().find(|x| x["id"] == id) {
        Some(item) => reply(200, json!({ "data": item })),
        None => reply(404, json!({"error": "not_found", "message": format!("{id} does not exist")})),
    }
}

fn create_note(store: &mut Store, candidate: &str, body: &Value, now_ms: u64) -> HttpResponse {
    if candidate == "missing" {
        return reply(404, json!({"error": "not_found", "message": "candidate missing does not exist"}));
    }
    if candidate == "rate-limited" && !store.rate_limited_once {
        store.rate_limited_once = true;
        return reply(429, json!({"error": "rate_limited", "message": "slow down"})).with_header("retry-after", "1");
    }
    let Some(text) = body.get("text").and_then(Value::as_str).filter(|t| !t.is_empty()) else {
        return reply(422, json!({"error": "invalid", "message": "text is required", "field": "text"}));
    };
    store.next_id += 1;
    let now = iso_from_epoch_ms(now_ms as i64);
    let note = json!({
        "id": format!("note_{}", store.next_id),
        "candidate_id": candidate,
        "text": text,
        "visibility": body.get("visibility").cloned().unwrap_or(json!("public")),
        "author": { "id": "user_1", "name": "Riley Recruiter", "email": "riley@sandbox.example" },
        "created_at": body.get("created_at").cloned().filter(Value::is_string).unwrap_or(json!(now)),
        "updated_at": now,
    });
    store.notes.push(note.clone());
    reply(201, json!({ "data": note }))
}

fn create_engagement(store: &mut Store, body: &Value, now_ms: u64) -> HttpResponse {
    if !body.is_object() || body.get("type").and_then(Value::as_str).is_none() {
        return reply(422, json!({"error": "invalid", "message": "type is required", "field": "type"}));
    }
    store.next_id += 1;
    let now = iso_from_epoch_ms(now_ms as i64);
    let mut e = body.clone();
    e["id"] = json!(format!("eng_{}", store.next_id));
    e["created_at"] = e.get("created_at").cloned().filter(Value::is_string).unwrap_or(json!(now));
    e["updated_at"] = json!(now);
    store.engagements.push(e.clone());
    reply(201, json!({ "data": e }))
}

fn interview_matches(item: &Value, q: &Map<String, Value>) -> bool {
    let eq = |param: &str, field: &str| q.get(param).map_or(true, |v| crate::convert::get(item, field) == Some(v));
    let after = |param: &str, field: &str, later: bool| {
        q.get(param).and_then(Value::as_str).and_then(parse_datetime).map_or(true, |bound| {
            item.get(field).and_then(Value::as_str).and_then(parse_datetime).is_some_and(|at| if later { at >= bound } else { at < bound })
        })
    };
    eq("application_id", "application_id")
        && eq("candidate_id", "candidate_id")
        && eq("stage_id", "stage.id")
        && after("created_after", "created_at", true)
        && after("created_before", "created_at", false)
        && after("updated_after", "updated_at", true)
        && after("updated_before", "updated_at", false)
}

/// Token paging: `page_token` is the offset as text; `page_size` 1–100 (default 25).
fn page(items: Vec<Value>, q: &Map<String, Value>) -> HttpResponse {
    let size = q.get("page_size").and_then(Value::as_str).and_then(|s| s.parse::<usize>().ok()).unwrap_or(25);
    if !(1..=100).contains(&size) {
        return reply(400, json!({"error": "invalid", "message": "page_size must be 1-100", "field": "page_size"}));
    }
    let start = match q.get("page_token").and_then(Value::as_str) {
        None | Some("") => 0,
        Some(t) => match t.strip_prefix("o").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => n,
            None => return reply(400, json!({"error": "invalid", "message": "bad page_token", "field": "page_token"})),
        },
    };
    let end = (start + size).min(items.len());
    let data: Vec<Value> = items.get(start..end).map(<[Value]>::to_vec).unwrap_or_default();
    let next = if end < items.len() { json!(format!("o{end}")) } else { Value::Null };
    reply(200, json!({ "data": data, "next_page_token": next, "total": items.len() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Map<String, Value> {
        json!({"authorization": "Bearer sandbox"}).as_object().unwrap().clone()
    }

    #[test]
    fn pages_cover_all_seeded_interviews() {
        reset();
        let mut token = String::new();
        let mut seen = 0;
        for _ in 0..10 {
            let r = respond("GET", &format!("{ORIGIN}/v1/interviews?page_size=25&page_token={token}"), &auth(), "", 0);
            let v: Value = serde_json::from_str(&r.body).unwrap();
            seen += v["data"].as_array().unwrap().len();
            match v["next_page_token"].as_str() {
                Some(t) => token = t.to_string(),
                None => break,
            }
        }
        assert_eq!(seen, 120);
    }

    #[test]
    fn notes_and_failures() {
        reset();
        let r = respond("POST", &format!("{ORIGIN}/v1/candidates/c1/notes"), &auth(), r#"{"text":"hi"}"#, 1_767_225_600_000);
        assert_eq!(r.status, 201);
        assert_eq!(respond("POST", &format!("{ORIGIN}/v1/candidates/missing/notes"), &auth(), r#"{"text":"hi"}"#, 0).status, 404);
        assert_eq!(respond("POST", &format!("{ORIGIN}/v1/candidates/rate-limited/notes"), &auth(), r#"{"text":"hi"}"#, 0).status, 429);
        assert_eq!(respond("POST", &format!("{ORIGIN}/v1/candidates/rate-limited/notes"), &auth(), r#"{"text":"hi"}"#, 0).status, 201);
        assert_eq!(respond("GET", &format!("{ORIGIN}/v1/interviews"), &Map::new(), "", 0).status, 401);
    }
}
