//! List filters applied by crosswalk to mapped records: the ones a provider cannot
//! apply (`Target::Local` rows, reported as such), and, as a safety net, the ones
//! it applied server-side whenever the record carries the field.

use serde_json::{Map, Value};

use crate::codec::datetime::parse_datetime;
use crate::codec::json::get;
use crate::unified::record::Record;
use crate::unified::schema::{FieldMap, Target};

/// Which unified record path a filter reads.
fn record_path(filter: &str) -> &str {
    match filter {
        "application_id" => "application.id",
        "candidate_id" => "candidate.id",
        "job_interview_stage_id" => "job_interview_stage.id",
        "contact_id" => "contacts[].id",
        "account_id" => "account.id",
        other => other,
    }
}

/// One active filter: its name, value, and whether the provider could not apply it.
#[derive(Debug, Clone)]
pub struct Active {
    pub name: String,
    pub value: Value,
    pub local_only: bool,
}

/// Filters the caller set for this list, in table order.
pub fn active(table: &[FieldMap], fields: &Map<String, Value>) -> Vec<Active> {
    table
        .iter()
        .filter_map(|row| {
            fields.get(row.field).map(|v| Active { name: row.field.to_string(), value: v.clone(), local_only: matches!(row.target, Target::Local) })
        })
        .collect()
}

/// Filters only crosswalk applies (reported to the caller).
pub fn local_filters(table: &[FieldMap], fields: &Map<String, Value>) -> Vec<(String, Value)> {
    active(table, fields).into_iter().filter(|a| a.local_only).map(|a| (a.name, a.value)).collect()
}

/// Whether a mapped record passes every filter.
pub fn matches_all(filters: &[Active], record: &Record) -> bool {
    filters.iter().all(|f| matches_one(f, record))
}

fn matches_one(f: &Active, record: &Record) -> bool {
    let path = record_path(&f.name);
    let values: Vec<&Value> = match path.split_once("[].") {
        Some((list, field)) => field_at(record, list).and_then(Value::as_array).map(|a| a.iter().filter_map(|x| get(x, field)).collect()).unwrap_or_default(),
        None => field_at(record, path).into_iter().collect(),
    };
    if values.is_empty() {
        // The provider applied it and the record does not say: trust the provider.
        return !f.local_only;
    }
    values.iter().any(|v| value_matches(&f.name, &f.value, v))
}

/// `get` on a record's map without copying it into a `Value` (a page filters
/// thousands of records).
fn field_at<'a>(record: &'a Record, path: &str) -> Option<&'a Value> {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let v = record.get(head)?;
    match rest {
        Some(rest) => get(v, rest),
        None => Some(v).filter(|v| !v.is_null()),
    }
}

fn value_matches(name: &str, filter: &Value, actual: &Value) -> bool {
    let actual_text = match actual {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return false,
    };
    match filter {
        Value::Object(range) => {
            let Some(at) = parse_datetime(&actual_text) else { return false };
            range.iter().all(|(op, bound)| {
                let Some(b) = bound.as_str().and_then(parse_datetime) else { return false };
                match op.as_str() {
                    "gt" => at > b,
                    "gte" => at >= b,
                    "lt" => at < b,
                    "lte" => at <= b,
                    _ => false,
                }
            })
        }
        Value::String(s) => match (parse_datetime(s), is_date_filter(name)) {
            // A bare date-time is a lower bound, except `end_at`, an upper bound.
            (Some(b), true) => parse_datetime(&actual_text).is_some_and(|at| if name == "end_at" { at <= b } else { at >= b }),
            _ => &actual_text == s,
        },
        other => other.to_string() == actual_text,
    }
}

fn is_date_filter(name: &str) -> bool {
    matches!(name, "created_at" | "updated_at" | "start_at" | "end_at")
}

/// A bare date-time filter as the range it means.
pub fn as_range(name: &str, value: &Value) -> Map<String, Value> {
    match value {
        Value::Object(m) => m.clone(),
        Value::String(s) => {
            let mut m = Map::new();
            m.insert(if name == "end_at" { "lte" } else { "gte" }.to_string(), Value::String(s.clone()));
            m
        }
        _ => Map::new(),
    }
}

/// A date filter as the widest window a provider's "at or after" / "before"
/// parameters can express without losing a matching record: `after` is an inclusive
/// lower bound, `before` an exclusive upper bound (`lte X` becomes `before X+1s`, so a
/// provider comparing at second precision keeps `X`). Crosswalk's re-check of
/// provider-applied filters trims the result to the exact range.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Window {
    pub after: Option<time::OffsetDateTime>,
    pub before: Option<time::OffsetDateTime>,
}

pub fn window(name: &str, value: &Value) -> Window {
    let mut w = Window::default();
    for (op, bound) in as_range(name, value) {
        let Some(at) = bound.as_str().and_then(parse_datetime) else { continue };
        match op.as_str() {
            "gt" | "gte" => w.after = Some(w.after.map_or(at, |a| a.max(at))),
            "lt" | "lte" => {
                // `lte` the last representable second: no later instant exists, so no bound.
                let Some(end) = (if op == "lte" { at.checked_add(time::Duration::SECOND) } else { Some(at) }) else { continue };
                w.before = Some(w.before.map_or(end, |b| b.min(end)));
            }
            _ => {}
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: Value) -> Record {
        Record::from_map(v.as_object().unwrap().clone())
    }

    #[test]
    fn ids_ranges_and_lists() {
        let r = rec(json!({"application": {"id": "a1"}, "start_at": "2024-06-15T10:00:00Z", "contacts": [{"id": "c1"}, {"id": "c2"}]}));
        let f = |name: &str, value: Value, local_only: bool| Active { name: name.into(), value, local_only };
        assert!(matches_all(&[f("application_id", json!("a1"), true)], &r));
        assert!(!matches_all(&[f("application_id", json!("a2"), true)], &r));
        assert!(matches_all(&[f("contact_id", json!("c2"), true)], &r));
        assert!(matches_all(&[f("start_at", json!({"gte": "2024-06-15T10:00:00Z", "lt": "2024-06-16T00:00:00Z"}), true)], &r));
        assert!(!matches_all(&[f("start_at", json!({"gt": "2024-06-15T10:00:00Z"}), true)], &r));
        assert!(matches_all(&[f("start_at", json!("2024-06-15T09:00:00+00:00"), true)], &r));
        assert!(!matches_all(&[f("end_at", json!("2024-06-15T09:00:00Z"), true)], &r), "no end_at on record, local filter excludes");
        assert!(matches_all(&[f("end_at", json!("2024-06-15T09:00:00Z"), false)], &r), "provider-applied filter is trusted when the record is silent");
    }

    #[test]
    fn windows_are_supersets_of_the_range() {
        let dt = |s: &str| parse_datetime(s).unwrap();
        let w = window("created_at", &json!("2024-06-15T10:00:00Z"));
        assert_eq!(w, Window { after: Some(dt("2024-06-15T10:00:00Z")), before: None });
        let w = window("end_at", &json!("2024-06-15T10:00:00Z"));
        assert_eq!(w, Window { after: None, before: Some(dt("2024-06-15T10:00:01Z")) });
        let w = window("start_at", &json!({"gt": "2024-06-01T00:00:00Z", "gte": "2024-06-02T00:00:00Z", "lt": "2024-07-01T00:00:00Z", "lte": "2024-06-20T00:00:00+02:00"}));
        assert_eq!(w, Window { after: Some(dt("2024-06-02T00:00:00Z")), before: Some(dt("2024-06-19T22:00:01Z")) });
    }
}
