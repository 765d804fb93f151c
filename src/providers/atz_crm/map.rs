//! ATZ activity → unified engagement.

use crate::unified::record::Record;
use serde_json::{json, Value};

use crate::codec::datetime::{iso_from_date_and_time, iso_or_null, parse_datetime};
use crate::codec::doc::Json;
use crate::codec::json::{id_ref, id_string};
use crate::error::{Error, Result, Warning};

use super::rules::BUILT_IN_TYPES;

/// ATZ answers with the bare activity object (seed 001 response example).
pub fn to_unified(a: Json<'_>, w: &mut Vec<Warning>) -> Result<Record> {
    let id = id_string(a.get("id")).ok_or_else(|| Error::protocol("atz_crm", "the activity has no id"))?;
    let (start, end) = times(a, w);
    let mut r = Record::new();
    r.insert("id", json!(id));
    r.insert("engagement_type", engagement_type(a.get("activity_type")));
    r.insert("subject", a.field("title"));
    r.insert("content", a.field("description"));
    r.insert("duration", match (start.as_deref().and_then(parse_datetime), end.as_deref().and_then(parse_datetime)) {
        (Some(s), Some(e)) => crate::codec::numbers::provider_int("duration", &"end_time − start_time", crate::codec::datetime::secs_between(s, e), w),
        _ => Value::Null,
    });
    r.insert("start_time", json!(start));
    r.insert("end_time", json!(end));
    let related_type = a.get_str("related_to_type").map(str::to_ascii_lowercase);
    let related = a.get("related_to").filter(|v| v.is_string());
    let mut contacts: Vec<Value> = a
        .pointer("/attendees/contacts")
        .and_then(Json::items)
        .map(|cs| cs.map(|c| id_ref(c.get("slug"))).filter(|c| !c.is_null()).collect())
        .unwrap_or_default();
    if related_type.as_deref() == Some("contact") {
        let rel = id_ref(related);
        if !rel.is_null() && !contacts.contains(&rel) {
            contacts.insert(0, rel);
        }
    }
    r.insert("contacts", Value::Array(contacts));
    let related_as = |kinds: &[&str]| if related_type.as_deref().is_some_and(|t| kinds.contains(&t)) { id_ref(related) } else { Value::Null };
    r.insert("account", related_as(&["organization", "company"]));
    r.insert("opportunity", related_as(&["deal"]));
    r.insert("owner", id_ref(a.pointer("/created_by/id")));
    r.insert("created_at", iso_or_null(a.get("created_at")));
    r.insert("updated_at", iso_or_null(a.get("updated_at")));
    Ok(r)
}

/// Built-in ids map back to their unified type (5 Interview is a meeting); a
/// custom type maps by its label when the label is a unified type name ("Call").
fn engagement_type(t: Option<Json<'_>>) -> Value {
    let Some(t) = t else { return Value::Null };
    if let Some(id) = t.get("id").and_then(Json::as_i64) {
        if let Some((u, _)) = BUILT_IN_TYPES.iter().find(|(_, i)| *i == id) {
            return json!(u);
        }
        if id == 5 {
            return json!("meeting");
        }
    }
    let label = t.get("label").and_then(Json::as_str).map(|l| l.trim().to_ascii_lowercase());
    match label {
        Some(l) if crate::unified::models::ENGAGEMENT_TYPES.contains(&l.as_str()) => json!(l),
        _ => Value::Null,
    }
}

/// ATZ splits the times: `start_date` (YYYY-MM-DD), `start_time` and `end_time`
/// (HH:MM), with no end date; an end earlier than the start is read as the next
/// day. The timezone is not documented; crosswalk sends UTC and reads UTC.
fn times(a: Json<'_>, w: &mut Vec<Warning>) -> (Option<String>, Option<String>) {
    let Some(date) = a.get_str("start_date") else { return (None, None) };
    let start = a.get_str("start_time").and_then(|t| iso_from_date_and_time(date, t));
    let end = a.get_str("end_time").and_then(|t| iso_from_date_and_time(date, t));
    let end = match (start.as_deref().and_then(parse_datetime), end.as_deref().and_then(parse_datetime)) {
        (Some(s), Some(e)) if e < s => {
            let next = crate::codec::datetime::iso_after(e, 86_400);
            if next.is_none() {
                crate::codec::numbers::out_of_range("end_time", &json!(a.get_str("end_time")), "the next day after 9999-12-31", w);
            }
            next
        }
        _ => end,
    };
    (start, end)
}
