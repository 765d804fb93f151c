//! Ashby — RPC-style JSON API, every call `POST https://api.ashbyhq.com/{category}.{method}`.
//! Docs: https://developers.ashbyhq.com/reference/candidatecreatenote
//! Auth: HTTP Basic, API key as user name, empty password.
//! Ashby reports most failures as HTTP 200 with `success: false` (and `errorInfo` or
//! `errors`), so every response is checked for that before it is mapped.
//! Scheduled interviews (list only) live in `ashby/interviews.rs`.
//! Sources and recorded examples: tests/fixtures/ashby/README.md.

use crate::unified::record::Record;
use serde_json::{json, Value};

use crate::provider::account::{basic, Account};
use crate::codec::datetime::iso_or_null;
use crate::codec::doc::Json;
use crate::error::{Error, Result, Warning};
use crate::codec::http::{HttpRequest, Method};
use crate::unified::schema::{Conv, FieldMap, Lit, UnifiedMethod};

use crate::provider::{Ctx, Exchange, OpDef, ProviderDef, Single};

mod interviews;

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "ashby",
    label: "Ashby",
    docs: "https://developers.ashbyhq.com/reference/introduction",
    hosts: &["api.ashbyhq.com"],
    origin: |_| Ok("https://api.ashbyhq.com".into()),
    auth,
    idempotency_header: None,
    oauth: None,
    ops: &[
        OpDef {
            model: "ats",
            resource: "activities",
            method: UnifiedMethod::Create,
            fields: ACTIVITY_CREATE,
            returns: &["id", "activity_type", "actor", "body", "candidate", "created_at", "visibility"],
            start: start_create_note,
            check: None,
            notes: "candidate.createNote; Ashby has no admin-only notes, so admin_only is rejected",
        },
        interviews::LIST,
    ],
};

const ACTIVITY_CREATE: &[FieldMap] = &[
    FieldMap::body("candidate_id", "candidateId").required(),
    FieldMap::body("body", "note").required(),
    FieldMap::body("created_at", "createdAt").conv(Conv::UtcIso),
    FieldMap::body("visibility", "isPrivate").conv(Conv::Map(&[("private", Lit::Bool(true)), ("public", Lit::Bool(false))])),
];

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    let key = account.credential("api_key")?;
    Ok(req.secret_header("authorization", basic(key, "")).header("accept", "application/json; version=1"))
}

/// `POST /{endpoint}` with a JSON body: the shape of every Ashby call.
pub(crate) fn rpc(ctx: &Ctx, endpoint: &str, body: Value) -> Result<HttpRequest> {
    Ok(ctx.request(Method::Post, ctx.url().path("/").path(endpoint).build())?.json(body))
}

fn start_create_note(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    Single::boxed(rpc(ctx, "candidate.createNote", ctx.table_body())?, map_note)
}

/// An Ashby answer's `results` (a missing one reads as `null`), or its error:
/// Ashby says "what would be 4XX errors will return 200 with success being
/// false"; crosswalk reports those as 400 with the provider's code and message.
pub(crate) fn unwrap_results(body: Json<'_>) -> Result<Json<'_>> {
    let success = body.get("success").and_then(Json::as_bool);
    if success == Some(true) {
        return Ok(body.get("results").unwrap_or(Json::NULL));
    }
    if success == Some(false) {
        let message = body
            .get_str("errorInfo.message")
            .map(str::to_string)
            .or_else(|| body.get("errors").and_then(Json::items).map(|e| e.filter_map(Json::as_str).collect::<Vec<_>>().join("; ")))
            .filter(|m| !m.is_empty());
        return Err(Error::Remote { provider: "ashby".into(), status: 400, message, body: body.to_value() });
    }
    Err(Error::protocol("ashby", "response has no success flag"))
}

fn map_note<'a>(ctx: &Ctx, body: Json<'a>, _w: &mut Vec<Warning>) -> Result<(Record, Json<'a>)> {
    let note = unwrap_results(body)?;
    let id = note.get_str("id").ok_or_else(|| Error::protocol("ashby", "createNote result has no id"))?;
    let mut r = Record::new();
    r.insert("id", json!(id));
    r.insert("activity_type", json!("note"));
    r.insert("actor", match note.path("author") {
        Some(a) => json!({
            "id": a.get("id"),
            "type": "user",
            "name": full_name(a.get("firstName"), a.get("lastName")),
            "email": a.get("email"),
        }),
        None => Value::Null,
    });
    r.insert("body", note.field("content"));
    // Ashby does not echo the candidate; it is the one the note was posted on.
    r.insert("candidate", json!({ "id": ctx.field_str("candidate_id") }));
    r.insert("created_at", iso_or_null(note.get("createdAt")));
    r.insert("updated_at", Value::Null);
    r.insert("visibility", crate::provider::visibility_of_private_flag(note.get("isPrivate")));
    Ok((r, note))
}

pub(crate) fn full_name(first: Option<Json<'_>>, last: Option<Json<'_>>) -> Value {
    let parts: Vec<&str> = [first, last].into_iter().flatten().filter_map(Json::as_str).filter(|s| !s.is_empty()).collect();
    if parts.is_empty() {
        Value::Null
    } else {
        Value::String(parts.join(" "))
    }
}

#[cfg(test)]
mod tests;
