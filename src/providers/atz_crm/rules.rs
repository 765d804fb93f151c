//! Seed 001's rules for `POST /v1/activity`, applied to the body crosswalk would
//! actually send: unified fields mapped to ATZ names, with ATZ's own fields from
//! `remote_data` on top. One function builds that body and collects every problem,
//! so validation (`OpDef.check`) and the request (`start`) cannot disagree.

use serde_json::{json, Map, Value};
use time::Duration;

use crate::codec::datetime::{iso_utc, parse_datetime};
use crate::error::{Issue, IssueCode};
use crate::unified::validate::is_http_url;

/// ATZ's create-activity fields, in the order the seed lists them (also the
/// multipart part order).
pub const ATZ_FIELDS: &[&str] = &[
    "title", "activity_type_id", "related_to_entity", "related_to", "collaborators", "start_datetime", "end_datetime",
    "candidates_as_attendees", "contacts_as_attendees", "users_as_attendees", "meeting_link", "importance", "location",
    "description", "do_not_send_calendar_invite", "mark_as_done", "attachment",
];
/// Built-in activity types a unified engagement type maps to (5 Interview and
/// custom ids only through `remote_data.activity_type_id`).
pub const BUILT_IN_TYPES: &[(&str, i64)] = &[("meeting", 2), ("task", 3), ("email", 4)];
/// `related_to_entity`: 1 Candidate, 2 Job, 3 Organization, 4 Contact, 5 Deal, 10 Other.
pub const ENTITIES: &[i64] = &[1, 2, 3, 4, 5, 10];
pub const IMPORTANCE: &[&str] = &["low", "normal", "high", "critical"];
/// The seed says importance "Defaults to high"; crosswalk sends it explicitly so
/// the stored value never depends on a server default.
pub const DEFAULT_IMPORTANCE: &str = "high";

/// The request body crosswalk would send, and everything wrong with it.
#[derive(Debug, Default)]
pub struct Planned {
    pub body: Map<String, Value>,
    /// The `{ "$file": … }` placeholder when `attachment` is a file upload.
    pub file: Option<Value>,
    pub issues: Vec<Issue>,
}

impl Planned {
    fn issue(&mut self, path: &str, code: IssueCode, message: impl Into<String>) {
        self.issues.push(Issue::new(path, code, message).with_meta(json!({ "provider": "atz_crm" })));
    }
}

/// A value and the request path it came from (for error messages).
struct Src<'a> {
    value: &'a Value,
    path: String,
}

/// Builds the ATZ body from validated unified `fields` and raw `remote_data`.
pub fn plan(fields: &Map<String, Value>, remote: Option<&Value>) -> Planned {
    let mut p = Planned::default();
    let rd = remote.and_then(Value::as_object);
    let given = |k: &str| rd.and_then(|m| m.get(k)).filter(|v| !v.is_null()).map(|value| Src { value, path: format!("body.remote_data.{k}") });
    let unified = |k: &'static str| fields.get(k).filter(|v| !v.is_null()).map(|value| Src { value, path: format!("body.{k}") });

    if let Some(s) = given("title").or_else(|| unified("subject")) {
        text(&mut p, "title", &s, Some(100), true);
    }
    activity_type(&mut p, given("activity_type_id"), fields.get("engagement_type").and_then(Value::as_str));
    let start = given("start_datetime").or_else(|| unified("start_time")).and_then(|s| datetime(&mut p, "start_datetime", &s)).map(|(dt, _)| dt);
    let end = match given("end_datetime").or_else(|| unified("end_time")) {
        Some(s) => datetime(&mut p, "end_datetime", &s),
        None => match (start, fields.get("duration").and_then(Value::as_i64)) {
            (Some(dt), Some(secs)) => match dt.checked_add(Duration::seconds(secs)).filter(|e| !iso_utc(*e).is_empty()) {
                Some(end) => {
                    p.body.insert("end_datetime".into(), json!(iso_utc(end)));
                    Some((end, "body.duration".to_string()))
                }
                None => {
                    p.issue("body.duration", IssueCode::OutOfRange, "start_time + duration is after 9999-12-31T23:59:59Z");
                    None
                }
            },
            _ => {
                p.issue("body.end_time", IssueCode::Required, "ATZ CRM needs an end: set end_time, duration or remote_data.end_datetime");
                None
            }
        },
    };
    if let (Some(s), Some((e, path))) = (start, end) {
        if e <= s {
            p.issue(&path, IssueCode::InvalidOrder, "the end must be after the start (ATZ CRM: end_datetime must be after start_datetime)");
        }
    }
    related(&mut p, rd, fields);
    match given("contacts_as_attendees") {
        Some(s) => id_list(&mut p, "contacts_as_attendees", &s, false),
        None => contact_slugs(&mut p, fields.get("contacts")),
    }
    for (key, numeric) in [("collaborators", true), ("candidates_as_attendees", false), ("users_as_attendees", true)] {
        if let Some(s) = given(key) {
            id_list(&mut p, key, &s, numeric);
        }
    }
    if let Some(s) = given("meeting_link") {
        if text(&mut p, "meeting_link", &s, Some(100), true) && !s.value.as_str().is_some_and(is_http_url) {
            p.issue(&s.path, IssueCode::InvalidFormat, "must be a valid http(s) URL");
        }
    }
    match given("importance") {
        Some(s) => match s.value.as_str() {
            Some(v) if IMPORTANCE.contains(&v) => {
                p.body.insert("importance".into(), json!(v));
            }
            _ => p.issues.push(
                Issue::new(s.path, IssueCode::NotOneOf, format!("must be one of {}", IMPORTANCE.join(", ")))
                    .with_meta(json!({ "allowed": IMPORTANCE, "provider": "atz_crm" })),
            ),
        },
        None => {
            p.body.insert("importance".into(), json!(DEFAULT_IMPORTANCE));
        }
    }
    if let Some(s) = given("location") {
        text(&mut p, "location", &s, Some(50), false);
    }
    if let Some(s) = given("description").or_else(|| unified("content")) {
        text(&mut p, "description", &s, None, false);
    }
    for key in ["do_not_send_calendar_invite", "mark_as_done"] {
        if let Some(s) = given(key) {
            match s.value {
                Value::Bool(_) => {
                    p.body.insert(key.into(), s.value.clone());
                }
                _ => p.issue(&s.path, IssueCode::InvalidType, "must be true or false"),
            }
        }
    }
    if let Some(s) = given("attachment") {
        attachment(&mut p, &s);
    }
    // Keys ATZ does not document pass through as is (remote_data's contract).
    for (k, v) in rd.into_iter().flatten() {
        if ATZ_FIELDS.contains(&k.as_str()) || v.is_null() {
            continue;
        }
        if p.file.is_some() && (v.is_object() || v.is_array()) {
            p.issue(&format!("body.remote_data.{k}"), IssueCode::InvalidType, "cannot be sent as a form field next to a file attachment (only strings, numbers and booleans can)");
            continue;
        }
        p.body.insert(k.clone(), v.clone());
    }
    p
}

/// A string of at most `max` characters; `nonblank` refuses "" and spaces-only.
fn text(p: &mut Planned, key: &str, s: &Src, max: Option<usize>, nonblank: bool) -> bool {
    let Some(v) = s.value.as_str() else {
        p.issue(&s.path, IssueCode::InvalidType, "must be a string");
        return false;
    };
    let n = v.chars().count();
    if nonblank && v.trim().is_empty() {
        p.issue(&s.path, IssueCode::Required, "must not be empty");
        return false;
    }
    if let Some(max) = max.filter(|m| n > *m) {
        p.issues.push(
            Issue::new(&s.path, IssueCode::TooLong, format!("is {n} characters; ATZ CRM allows at most {max}"))
                .with_meta(json!({ "max": max, "actual": n, "provider": "atz_crm" })),
        );
        return false;
    }
    p.body.insert(key.into(), json!(v));
    true
}

fn activity_type(p: &mut Planned, given: Option<Src>, engagement_type: Option<&str>) {
    if let Some(s) = given {
        match s.value.as_i64() {
            Some(n) if n >= 1 && s.value.is_number() => {
                p.body.insert("activity_type_id".into(), json!(n));
            }
            Some(_) => p.issue(&s.path, IssueCode::OutOfRange, "must be a positive integer (2 Meeting, 3 Task, 4 Email, 5 Interview, or a custom type id)"),
            None => p.issue(&s.path, IssueCode::InvalidType, "must be a positive integer (2 Meeting, 3 Task, 4 Email, 5 Interview, or a custom type id)"),
        }
        return;
    }
    let Some(t) = engagement_type else { return }; // the table reports the missing type
    match BUILT_IN_TYPES.iter().find(|(u, _)| *u == t) {
        Some((_, id)) => {
            p.body.insert("activity_type_id".into(), json!(id));
        }
        None => p.issues.push(
            Issue::new(
                "body.engagement_type",
                IssueCode::NotOneOf,
                format!("ATZ CRM has no built-in {t:?} activity type; use meeting, task or email, or give your account's custom type id in remote_data.activity_type_id"),
            )
            .with_meta(json!({ "allowed": ["meeting", "task", "email"], "provider": "atz_crm" })),
        ),
    }
}

fn datetime(p: &mut Planned, key: &str, s: &Src) -> Option<(time::OffsetDateTime, String)> {
    match s.value.as_str().map(|v| (v, parse_datetime(v))) {
        Some((_, Some(dt))) => {
            p.body.insert(key.into(), json!(iso_utc(dt)));
            Some((dt, s.path.clone()))
        }
        Some((v, None)) => {
            p.issue(&s.path, IssueCode::InvalidDatetime, crate::codec::datetime::datetime_problem(v));
            None
        }
        None => {
            p.issue(&s.path, IssueCode::InvalidType, "must be an ISO 8601 date-time string");
            None
        }
    }
}

/// `related_to_entity` + `related_to`: from remote_data as a pair, else from the
/// unified opportunity (5), account (3) or first contact (4).
fn related(p: &mut Planned, rd: Option<&Map<String, Value>>, fields: &Map<String, Value>) {
    let entity = rd.and_then(|m| m.get("related_to_entity")).filter(|v| !v.is_null());
    let slug = rd.and_then(|m| m.get("related_to")).filter(|v| !v.is_null());
    if entity.is_some() || slug.is_some() {
        match entity {
            Some(v) if v.as_i64().is_some_and(|n| ENTITIES.contains(&n)) => {
                p.body.insert("related_to_entity".into(), v.clone());
            }
            Some(_) => p.issues.push(
                Issue::new("body.remote_data.related_to_entity", IssueCode::NotOneOf, "must be 1 (Candidate), 2 (Job), 3 (Organization), 4 (Contact), 5 (Deal) or 10 (Other)")
                    .with_meta(json!({ "allowed": ENTITIES, "provider": "atz_crm" })),
            ),
            None => p.issue("body.remote_data.related_to_entity", IssueCode::Required, "must be given together with related_to"),
        }
        match slug {
            Some(v) => {
                text(p, "related_to", &Src { value: v, path: "body.remote_data.related_to".into() }, Some(50), true);
            }
            None => p.issue("body.remote_data.related_to", IssueCode::Required, "must be given together with related_to_entity"),
        }
        return;
    }
    let first_contact = fields.get("contacts").and_then(|c| c.get(0)).map(|c| (4, c.get("id"), "body.contacts[0].id"));
    let opportunity = fields.get("opportunity").map(|o| (5, o.get("id"), "body.opportunity.id"));
    let account = fields.get("account").map(|a| (3, a.get("id"), "body.account.id"));
    if opportunity.is_some() && account.is_some() {
        p.issue("body.account", IssueCode::Conflict, "ATZ CRM relates an activity to one record: give either opportunity or account (contacts are sent as attendees)");
        return;
    }
    if let Some((entity, Some(id), path)) = opportunity.or(account).or(first_contact) {
        let id = crate::codec::json::id_string(Some(id)).map(Value::String).unwrap_or(Value::Null);
        if text(p, "related_to", &Src { value: &id, path: path.into() }, Some(50), true) {
            p.body.insert("related_to_entity".into(), json!(entity));
        }
    }
}

/// The unified contacts as ATZ's comma-separated `contacts_as_attendees`.
fn contact_slugs(p: &mut Planned, contacts: Option<&Value>) {
    let Some(items) = contacts.and_then(Value::as_array).filter(|a| !a.is_empty()) else { return };
    let mut slugs = Vec::new();
    for (i, c) in items.iter().enumerate() {
        let slug = crate::codec::json::id_string(c.get("id")).unwrap_or_default();
        if slug.trim().is_empty() || slug.contains(',') || slug.chars().any(char::is_whitespace) {
            p.issue(&format!("body.contacts[{i}].id"), IssueCode::InvalidFormat, "an ATZ contact slug cannot be empty or contain commas or spaces");
        } else {
            slugs.push(slug);
        }
    }
    if slugs.len() == items.len() {
        p.body.insert("contacts_as_attendees".into(), json!(slugs.join(",")));
    }
}

/// A comma-separated list ("1,2,3"): no empty or blank items, no spaces, and
/// digits only for user ids.
fn id_list(p: &mut Planned, key: &str, s: &Src, numeric: bool) {
    let what = if numeric { "user ids, e.g. \"1,2,3\"" } else { "slugs, e.g. \"contact_d86c343cf49040381fc7,contact_a12b456cd78ef9012345\"" };
    let Some(v) = s.value.as_str() else {
        p.issue(&s.path, IssueCode::InvalidType, format!("must be a string of comma-separated {what}"));
        return;
    };
    let bad = v.split(',').enumerate().find_map(|(i, item)| {
        if item.trim().is_empty() {
            Some(format!("item {} is empty", i.saturating_add(1)))
        } else if item.chars().any(char::is_whitespace) {
            Some(format!("item {} ({item:?}) contains spaces", i.saturating_add(1)))
        } else if numeric && !item.bytes().all(|b| b.is_ascii_digit()) {
            Some(format!("item {} ({item:?}) is not a numeric user id", i.saturating_add(1)))
        } else {
            None
        }
    });
    match bad {
        Some(why) => p.issue(&s.path, IssueCode::InvalidFormat, format!("must be comma-separated {what}: {why}")),
        None => {
            p.body.insert(key.into(), json!(v));
        }
    }
}

/// A URL of at most 350 characters, or a file (`{ "$file": ref, name?, type? }`)
/// that the request sends as multipart form data.
fn attachment(p: &mut Planned, s: &Src) {
    match s.value {
        Value::String(url) => {
            if text(p, "attachment", s, Some(350), true) && !is_http_url(url) {
                p.issue(&s.path, IssueCode::InvalidFormat, "must be an http(s) URL or a file");
            }
        }
        Value::Object(m) if m.get("$file").and_then(Value::as_str).is_some_and(|r| !r.is_empty()) => {
            p.file = Some(s.value.clone());
        }
        _ => p.issue(&s.path, IssueCode::InvalidType, "must be a file (Blob, File or bytes) or a URL string"),
    }
}
