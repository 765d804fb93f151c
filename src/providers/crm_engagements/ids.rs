//! Ids. A CRM that keeps each engagement type in its own object (HubSpot's `calls`
//! and `notes`, Zendesk Sell's `/v2/calls` and `/v2/notes`…) numbers each object on
//! its own, so a provider id alone does not say where to read the record. Such
//! records get a typed unified id, `{type}:{provider id}` (`call:512`), from create,
//! list and get alike; `get` reads the type back out of it. A plain provider id is
//! still accepted together with the `engagement_type` query parameter. Providers
//! whose records share one id space (one `/activities` endpoint) keep plain ids;
//! those with one main object and a side object (Pipedrive activities and notes)
//! keep plain ids for the main one and type the others (`note:5`).

use serde_json::{json, Map, Value};

use crate::error::{Error, Issue, IssueCode, Result};

use crate::provider::Ctx;
use super::linked;

/// `{kind}:{native id}`: the unified id of a record stored in a per-type object.
pub fn typed_id(kind: &str, native: &str) -> String {
    format!("{kind}:{native}")
}

/// Splits a unified id into (kind, provider id). The kind comes from the id's prefix
/// when it is one of `kinds`; for a plain id, from the `engagement_type` query when
/// that is one of `kinds`; else it is `plain` (the object plain ids belong to, for
/// providers that type only some of their ids). Neither: an `id` issue.
pub fn split_typed_id<'a>(ctx: &'a Ctx, kinds: &[&'static str], plain: Option<&'static str>) -> Result<(&'static str, &'a str)> {
    let id = ctx.id()?;
    let known = |k: &str| kinds.iter().copied().find(|x| *x == k);
    if let Some((kind, native)) = id.split_once(':').and_then(|(prefix, native)| Some((known(prefix)?, native))) {
        if !native.is_empty() {
            return Ok((kind, native));
        }
    }
    if let Some(kind) = super::engagement_type(ctx.fields).and_then(known).or(plain) {
        return Ok((kind, id));
    }
    let example = kinds.first().copied().unwrap_or("call");
    Err(Error::one_issue(
        Some(ctx.provider.name),
        Issue::new("id", IssueCode::InvalidFormat, format!("{} keeps each engagement type apart; use the id as returned (e.g. {example}:123), or a plain id with engagement_type", ctx.provider.name))
            .with_meta(json!({ "types": kinds })),
    ))
}

/// The kind of record an answer holds: for a get, the one its id names (see
/// [`split_typed_id`]); for a create, the `engagement_type` asked for.
pub fn answered_kind(ctx: &Ctx, kinds: &[&'static str], plain: Option<&'static str>) -> Result<&'static str> {
    if ctx.id.is_some() {
        return split_typed_id(ctx, kinds, plain).map(|(kind, _)| kind);
    }
    let wanted = super::engagement_type(ctx.fields);
    kinds.iter().copied().find(|k| Some(*k) == wanted).or(plain).ok_or_else(|| Error::protocol(ctx.provider.name, format!("no kind for engagement type {wanted:?}")))
}

/// An id as an integer: a JSON integer, or a string of at most 18 digits with no
/// leading zero ("0" itself is one).
pub fn int_id(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) if !s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0')) => s.parse().ok(),
        _ => None,
    }
}

/// A provider id as a JSON number when it is an integer id, else the string (for
/// the provider to judge).
pub fn id_json(id: &str) -> Value {
    match int_id(&Value::String(id.to_string())) {
        Some(n) => Value::from(n),
        None => Value::String(id.to_string()),
    }
}

/// Issues for ids in `names` (ref and ref-list fields) that `valid` refuses, one
/// per id, at its path (`body.contacts[1].id`).
pub fn id_format_issues(provider: &str, fields: &Map<String, Value>, names: &[&'static str], valid: impl Fn(&Value) -> bool, message: &str) -> Vec<Issue> {
    linked(fields, names)
        .into_iter()
        .filter(|l| !valid(l.id))
        .map(|l| Issue::new(l.path, IssueCode::InvalidFormat, message).with_meta(json!({ "provider": provider })))
        .collect()
}

/// Issues for ids in `names` that are not integers.
pub fn int_id_issues(provider: &str, fields: &Map<String, Value>, names: &[&'static str]) -> Vec<Issue> {
    id_format_issues(provider, fields, names, |id| int_id(id).is_some(), &format!("{provider} ids are integers"))
}
