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
//! - candidate `flaky` → the first note request is applied but answers 503 (as
//!   when a gateway times out after the work), to show what happens to a write
//!   whose answer is lost;
//! - a POST with `Idempotency-Key` that repeats an earlier key gets the first
//!   answer again (`Idempotent-Replayed: true`) and creates nothing;
//! - 120 seeded interviews across 5 pages of 25 by default, several statuses
//!   (one unknown to the status table, to show the warning path).

use std::cell::RefCell;

use serde_json::{Map, Value};

use crate::codec::datetime::{iso_from_epoch_ms, parse_datetime};
use crate::codec::http::HttpResponse;

pub const ORIGIN: &str = "https://sandbox.crosswalk.invalid";

#[derive(Default)]
struct Store {
    seeded: bool,
    notes: Vec<Value>,
    interviews: Vec<Value>,
    engagements: Vec<Value>,
    next_id: u64,
    rate_limited_once: bool,
    flaky_once: bool,
    /// Answers to keyed POSTs, newest last, at most [`KEYED_ANSWERS`].
    keyed: Vec<(String, HttpResponse)>,
}

const KEYED_ANSWERS: usize = 1000;

thread_local! {
    static STORE: RefCell<Store> = RefCell::new(Store::default());
}

const BASE_MS: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const STAGES: &[&str] = &["Phone screen", "Onsite", "Final"];
const TYPES: &[&str] = &["call", "meeting", "email", "note"];
const STATUSES: &[&str] = &["SCHEDULED", "NEEDS_FEEDBACK", "DONE", "CANCELED", "DRAFT", "ON_HOLD"];

// The seed records as JSON templates: `$0`…`$9` are filled per record. Data, not
// code: building 14-field objects with `json!` cost ~14 KB of wasm.
const INTERVIEW: &str = r#"{"id":"int_$0","application_id":"app_$1","candidate_id":"cand_$2","stage":{"id":"stage_$3","title":"$4"},"status":"$5","starts_at":"$6","ends_at":"$7","location":"$8","organizer":{"id":"user_1","name":"Riley Recruiter","email":"riley@sandbox.example"},"panel":[{"id":"user_$9","name":"Interviewer $9","email":"i$9@sandbox.example"}],"created_at":"$a","updated_at":"$b"}"#;
const NOTE: &str = r#"{"id":"note_$0","author":{"id":"user_1","name":"Riley Recruiter","email":"riley@sandbox.example"}}"#;
const ENGAGEMENT: &str = r#"{"id":"eng_$0","type":"$1","subject":"Seeded engagement $2","body":"Seeded by the crosswalk sandbox","direction":$3,"duration_seconds":$4,"starts_at":"$5","ends_at":"$6","owner_id":"user_1","contact_ids":["contact_$7"],"account_id":"account_1","deal_id":null,"created_at":"$5","updated_at":"$5"}"#;

/// Fills `$0`…`$9`, `$a`… in a template (values never contain `$` or `"`) and
/// parses it.
fn fill(template: &str, args: &[&str]) -> Value {
    let mut parts = template.split('$');
    let mut out = String::from(parts.next().unwrap_or(""));
    for part in parts {
        let Some(&key) = part.as_bytes().first() else { continue };
        let index = char::from(key).to_digit(36).and_then(|i| usize::try_from(i).ok()).unwrap_or(usize::MAX);
        out.push_str(args.get(index).copied().unwrap_or(""));
        out.push_str(part.get(1..).unwrap_or(""));
    }
    serde_json::from_str(&out).unwrap_or(Value::Null)
}

fn iso(ms: i64) -> String {
    iso_from_epoch_ms(ms).unwrap_or_default()
}

// Fixed seed data: small loop counters times constants, far from any limit.
#[allow(clippy::arithmetic_side_effects)]
fn seed(store: &mut Store) {
    if store.seeded {
        return;
    }
    store.seeded = true;
    for i in 0..120i64 {
        let created = BASE_MS + i * 3_600_000;
        let start = created + 86_400_000;
        let n = |x: i64| x.to_string();
        let (stage, status) = (STAGES[(i % 3) as usize], STATUSES[(i % 6) as usize]);
        let location = if i % 2 == 0 { "Video call" } else { "Room 4" };
        let args = [
            format!("{:03}", i + 1), n(i % 7 + 1), n(i % 5 + 1), n(i % 3 + 1), stage.into(), status.into(),
            iso(start), iso(start + 2_700_000), location.into(), n(i % 4 + 2), iso(created), iso(created + 600_000),
        ];
        store.interviews.push(fill(INTERVIEW, &args.each_ref().map(String::as_str)));
    }
    for i in 0..8i64 {
        let t = BASE_MS + i * 7_200_000;
        let call = i % 4 == 0;
        let args = [
            format!("{:03}", i + 1), TYPES[(i % 4) as usize].into(), (i + 1).to_string(),
            (if call { "\"outbound\"" } else { "null" }).into(), (if call { "300" } else { "null" }).into(),
            iso(t), iso(t + 1_800_000), (i % 3 + 1).to_string(),
        ];
        store.engagements.push(fill(ENGAGEMENT, &args.each_ref().map(String::as_str)));
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
        return fail(401, "unauthorized", "missing or invalid sandbox token", None);
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
        let key = (method == "POST").then(|| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("idempotency-key")).and_then(|(_, v)| v.as_str())).flatten();
        if let Some(key) = key {
            if let Some((_, first)) = store.keyed.iter().find(|(k, _)| k == key) {
                return first.clone().with_header("idempotent-replayed", "true");
            }
        }
        let answer = match (method, segs.as_slice()) {
            ("POST", ["v1", "candidates", "flaky", "notes"]) if !store.flaky_once => {
                store.flaky_once = true;
                let applied = create_note(&mut store, "flaky", &parsed_body, now_ms);
                remember(&mut store, key, &applied);
                return fail(503, "unavailable", "the note was saved but the answer was lost", None);
            }
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
            _ => fail(404, "not_found", &format!("no sandbox route for {method} {path}"), None),
        };
        remember(&mut store, key, &answer);
        answer
    })
}

/// Keeps a keyed write's answer for replay (successful writes only: a refused one
/// may be sent again with the same key once fixed).
fn remember(store: &mut Store, key: Option<&str>, answer: &HttpResponse) {
    let Some(key) = key else { return };
    if !answer.is_success() {
        return;
    }
    if store.keyed.len() >= KEYED_ANSWERS {
        store.keyed.remove(0);
    }
    store.keyed.push((key.to_string(), answer.clone()));
}

fn reply(status: u16, body: Value) -> HttpResponse {
    HttpResponse::new(status, body.to_string()).with_header("content-type", "application/json")
}

/// `{ data }` with a status.
fn data(status: u16, item: Value) -> HttpResponse {
    let mut m = Map::new();
    m.insert("data".into(), item);
    reply(status, Value::Object(m))
}

/// `{ error, message, field? }` with a status.
fn fail(status: u16, error: &str, message: &str, field: Option<&str>) -> HttpResponse {
    let mut m = Map::new();
    m.insert("error".into(), error.into());
    m.insert("message".into(), message.into());
    if let Some(f) = field {
        m.insert("field".into(), f.into());
    }
    reply(status, Value::Object(m))
}

fn find(items: &[Value], id: &str) -> HttpResponse {
    match items.iter().find(|x| x["id"] == id) {
        Some(item) => data(200, item.clone()),
        None => fail(404, "not_found", &format!("{id} does not exist"), None),
    }
}

fn create_note(store: &mut Store, candidate: &str, body: &Value, now_ms: u64) -> HttpResponse {
    if candidate == "missing" {
        return fail(404, "not_found", "candidate missing does not exist", None);
    }
    if candidate == "rate-limited" && !store.rate_limited_once {
        store.rate_limited_once = true;
        return fail(429, "rate_limited", "slow down", None).with_header("retry-after", "1");
    }
    let Some(text) = body.get("text").and_then(Value::as_str).filter(|t| !t.is_empty()) else {
        return fail(422, "invalid", "text is required", Some("text"));
    };
    store.next_id = store.next_id.saturating_add(1);
    let now = i64::try_from(now_ms).ok().and_then(iso_from_epoch_ms).map_or(Value::Null, Value::String);
    let mut note = fill(NOTE, &[&store.next_id.to_string()]);
    note["candidate_id"] = candidate.into();
    note["text"] = text.into();
    note["visibility"] = body.get("visibility").cloned().unwrap_or_else(|| "public".into());
    note["created_at"] = body.get("created_at").cloned().filter(Value::is_string).unwrap_or_else(|| now.clone());
    note["updated_at"] = now;
    store.notes.push(note.clone());
    data(201, note)
}

fn create_engagement(store: &mut Store, body: &Value, now_ms: u64) -> HttpResponse {
    if !body.is_object() || body.get("type").and_then(Value::as_str).is_none() {
        return fail(422, "invalid", "type is required", Some("type"));
    }
    store.next_id = store.next_id.saturating_add(1);
    let now = i64::try_from(now_ms).ok().and_then(iso_from_epoch_ms).map_or(Value::Null, Value::String);
    let mut e = body.clone();
    e["id"] = format!("eng_{}", store.next_id).into();
    e["created_at"] = e.get("created_at").cloned().filter(Value::is_string).unwrap_or_else(|| now.clone());
    e["updated_at"] = now;
    store.engagements.push(e.clone());
    data(201, e)
}

fn interview_matches(item: &Value, q: &Map<String, Value>) -> bool {
    let eq = |param: &str, field: &str| q.get(param).map_or(true, |v| crate::codec::json::get(item, field) == Some(v));
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
        return fail(400, "invalid", "page_size must be 1-100", Some("page_size"));
    }
    let start = match q.get("page_token").and_then(Value::as_str) {
        None | Some("") => 0,
        Some(t) => match t.strip_prefix("o").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => n,
            None => return fail(400, "invalid", "bad page_token", Some("page_token")),
        },
    };
    let end = start.saturating_add(size).min(items.len());
    let page: Vec<Value> = items.get(start..end).map(<[Value]>::to_vec).unwrap_or_default();
    let next = if end < items.len() { Value::String(format!("o{end}")) } else { Value::Null };
    let mut m = Map::new();
    m.insert("total".into(), items.len().into());
    m.insert("data".into(), Value::Array(page));
    m.insert("next_page_token".into(), next);
    reply(200, Value::Object(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
    fn created_records_have_the_documented_shape() {
        reset();
        let r = respond("POST", &format!("{ORIGIN}/v1/candidates/c1/notes"), &auth(), r#"{"text":"hi"}"#, 1_767_225_600_000);
        let v: Value = serde_json::from_str(&r.body).unwrap();
        let author = json!({"id": "user_1", "name": "Riley Recruiter", "email": "riley@sandbox.example"});
        let at = "2026-01-01T00:00:00Z";
        assert_eq!(v, json!({"data": {"id": "note_1001", "candidate_id": "c1", "text": "hi", "visibility": "public", "author": author, "created_at": at, "updated_at": at}}));
        let r = respond("POST", &format!("{ORIGIN}/v1/engagements"), &auth(), r#"{"type":"call","created_at":"2025-01-01T00:00:00Z"}"#, 1_767_225_600_000);
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v, json!({"data": {"id": "eng_1002", "type": "call", "created_at": "2025-01-01T00:00:00Z", "updated_at": at}}));
        let r = respond("GET", &format!("{ORIGIN}/v1/engagements/eng_001"), &auth(), "", 0);
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["data"], json!({
            "id": "eng_001", "type": "call", "subject": "Seeded engagement 1", "body": "Seeded by the crosswalk sandbox", "direction": "outbound",
            "duration_seconds": 300, "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2026-01-01T00:30:00Z", "owner_id": "user_1", "contact_ids": ["contact_1"],
            "account_id": "account_1", "deal_id": null, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
        }));
        let r = respond("GET", &format!("{ORIGIN}/v1/nope"), &auth(), "", 0);
        assert_eq!((r.status, r.body.as_str()), (404, r#"{"error":"not_found","message":"no sandbox route for GET /v1/nope"}"#));
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
