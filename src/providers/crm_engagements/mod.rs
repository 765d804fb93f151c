//! What the `crm/engagements` providers share. A field table has one row per unified
//! field, but CRMs keep calls, meetings, notes and tasks apart — often as separate
//! objects with their own fields, their own paths and their own id spaces. So:
//! - [`TypeRule`] ([`rules`]): per-engagement-type rules (a field only some types
//!   carry, a field some types require, the values a type accepts) and the
//!   one-parent rule (`AnyOf` + `AtMostOne`: the record a provider links to one
//!   parent);
//! - typed ids ([`ids`]): records kept in per-type objects have unified ids
//!   `{type}:{provider id}` (`call:512`), so `get` works with the id alone;
//! - [`TypedPages`] ([`pages`]): a list that walks one endpoint per engagement type;
//! - readers for unified refs and provider ids, and small checks several providers
//!   make (phone numbers, times);
//! - test helpers, including the coverage walk ([`test_support`]).

pub mod ids;
pub mod pages;
#[cfg(test)]
mod round_trip;
pub mod rules;
#[cfg(test)]
pub mod test_support;
#[cfg(test)]
mod tests;

use serde_json::{json, Map, Value};

use crate::codec::doc::Json;
use crate::error::{Issue, IssueCode, Warning};

use crate::provider::Ctx;

pub use ids::{answered_kind, id_format_issues, id_json, int_id, int_id_issues, split_typed_id, typed_id};
pub use pages::TypedPages;
pub use rules::{check_kind, check_types, TypeRule};

pub fn engagement_type(fields: &Map<String, Value>) -> Option<&str> {
    fields.get("engagement_type").and_then(Value::as_str)
}

/// A field is set when it is not null and, for strings and lists, not empty.
pub fn present(fields: &Map<String, Value>, name: &str) -> bool {
    match fields.get(name) {
        None | Some(Value::Null) => false,
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// One `{id}` named by a ref field (`owner`) or an item of a ref-list field
/// (`contacts`), with the request path it came from.
pub struct Linked<'a> {
    pub path: String,
    pub id: &'a Value,
}

/// Every id the ref and ref-list fields `names` carry, in that order.
pub fn linked<'a>(fields: &'a Map<String, Value>, names: &[&'static str]) -> Vec<Linked<'a>> {
    let mut out = Vec::new();
    for &field in names {
        match fields.get(field) {
            Some(Value::Array(items)) => {
                out.extend(items.iter().enumerate().filter_map(|(i, x)| Some(Linked { path: format!("body.{field}[{i}].id"), id: x.get("id")? })));
            }
            Some(one) => out.extend(one.get("id").map(|id| Linked { path: format!("body.{field}.id"), id })),
            None => {}
        }
    }
    out
}

/// The ids of a ref or ref-list field, as strings.
pub fn ref_ids(fields: &Map<String, Value>, name: &'static str) -> Vec<String> {
    linked(fields, &[name]).into_iter().filter_map(|l| crate::codec::json::id_string(Some(l.id))).collect()
}

/// The id of a ref field, or of the first item of a ref-list field.
pub fn first_ref_id(fields: &Map<String, Value>, name: &'static str) -> Option<String> {
    ref_ids(fields, name).into_iter().next()
}

/// [`first_ref_id`] as JSON: with `integers`, a number when it is one.
pub fn ref_json(fields: &Map<String, Value>, name: &'static str, integers: bool) -> Option<Value> {
    let id = first_ref_id(fields, name)?;
    Some(if integers { id_json(&id) } else { Value::String(id) })
}

/// `[{id}]` from provider ids (missing ones skipped).
pub fn ref_list<'a>(ids: impl IntoIterator<Item = Option<Json<'a>>>) -> Value {
    Value::Array(ids.into_iter().map(crate::codec::json::id_ref).filter(|v| !v.is_null()).collect())
}

/// The items of a provider array (none when it is missing), for [`ref_list`].
pub fn items(v: Option<Json<'_>>) -> impl Iterator<Item = Option<Json<'_>>> {
    v.and_then(Json::items).into_iter().flatten().map(Some)
}

/// `[{number}]` from a provider's bare phone number (none when missing or empty).
pub fn phone_list(number: Option<Json<'_>>) -> Value {
    Value::Array(number.and_then(Json::as_str).filter(|n| !n.is_empty()).map(|n| json!({ "number": n })).into_iter().collect())
}

/// The caller's `custom_fields`, to start a provider body with (their names are
/// the provider's own; mapped fields then go on top).
pub fn custom_fields(fields: &Map<String, Value>) -> Map<String, Value> {
    fields.get("custom_fields").and_then(Value::as_object).cloned().unwrap_or_default()
}

/// Maps a provider enum value through an explicit table; an unknown value becomes
/// `null` with a warning (the original stays in `remote_data`).
pub fn map_value(table: &[(&str, &str)], raw: Option<&str>, field: &str, w: &mut Vec<Warning>) -> Value {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else { return Value::Null };
    match table.iter().find(|(p, _)| *p == raw) {
        Some((_, u)) => json!(u),
        None => {
            w.push(Warning { field: field.into(), code: crate::error::WarningCode::UnknownValue, message: format!("provider value {raw:?} has no unified equivalent; {field} is null, the original is in remote_data") });
            Value::Null
        }
    }
}

/// Adds a warning for a provider type with no unified engagement type.
pub fn unknown_type_warning(w: &mut Vec<Warning>, raw: &str) {
    w.push(Warning {
        field: "engagement_type".into(),
        code: crate::error::WarningCode::UnknownEngagementType,
        message: format!("provider type {raw:?} has no unified engagement type; engagement_type is null, the original is in remote_data"),
    });
}

/// The kinds a list walks: the one the `engagement_type` filter names, else all.
pub fn listed_kinds(ctx: &Ctx, kinds: &[&'static str]) -> Vec<&'static str> {
    let wanted = engagement_type(ctx.fields);
    kinds.iter().copied().filter(|k| wanted.map_or(true, |t| t == *k)).collect()
}

/// Page size: the caller's `limit`, else the provider default, at most its maximum.
pub fn page_size(ctx: &Ctx, default: u32, max: u32) -> u32 {
    ctx.query.limit.unwrap_or(default).clamp(1, max)
}

/// `end_time` against `start_time` when both are given: it must come after the
/// start, or with `equal_ok` not before it.
pub fn end_after_start(fields: &Map<String, Value>, equal_ok: bool) -> Option<Issue> {
    let at = |k: &str| fields.get(k).and_then(Value::as_str).and_then(crate::codec::datetime::parse_datetime);
    let (start, end) = (at("start_time")?, at("end_time")?);
    match (equal_ok, end.cmp(&start)) {
        (true, std::cmp::Ordering::Less) => Some(Issue::new("body.end_time", IssueCode::InvalidOrder, "must not be before start_time")),
        (false, std::cmp::Ordering::Less | std::cmp::Ordering::Equal) => Some(Issue::new("body.end_time", IssueCode::InvalidOrder, "must be after start_time")),
        _ => None,
    }
}

/// Every phone number needs its number.
/// Providers that list engagements under one parent record take either
/// `contact_id` or `account_id`, never both: both is a conflict, reported on
/// `query.account_id` with the provider's own wording (`why`).
pub fn one_list_parent(fields: &Map<String, Value>, why: &str) -> Option<Issue> {
    (fields.contains_key("contact_id") && fields.contains_key("account_id")).then(|| Issue::new("query.account_id", IssueCode::Conflict, why))
}

pub fn phone_numbers_need_numbers(fields: &Map<String, Value>) -> Vec<Issue> {
    let items = fields.get("phone_numbers").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let empty = |p: &Value| p.get("number").and_then(Value::as_str).map_or(true, str::is_empty);
    items.iter().enumerate().filter(|(_, p)| empty(p)).map(|(i, _)| Issue::new(format!("body.phone_numbers[{i}].number"), IssueCode::Required, "is required")).collect()
}

/// A phone number's extension has nowhere to go in the providers that take a bare
/// number; it is an error rather than a silently shortened number.
pub fn no_phone_extensions(provider: &str, fields: &Map<String, Value>) -> Vec<Issue> {
    let items = fields.get("phone_numbers").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let mut issues: Vec<Issue> = items
        .iter()
        .enumerate()
        .filter(|(_, p)| p.get("extension").is_some_and(|e| !e.is_null()))
        .map(|(i, _)| Issue::new(format!("body.phone_numbers[{i}].extension"), IssueCode::UnsupportedField, format!("{provider} stores a bare phone number; it has no extension field")))
        .collect();
    issues.extend(phone_numbers_need_numbers(fields));
    issues
}
