//! Sandbox — the embedded provider. Its API is served in-memory by
//! [`crate::providers::sandbox::server`] at `https://sandbox.crosswalk.invalid` (a reserved TLD,
//! so a mis-routed request can never reach a real host). It is mapped like any
//! other provider: a field table, requests, and response mappers.

pub mod server;

use crate::unified::record::Record;
use serde_json::{json, Value};

use crate::provider::account::Account;
use crate::codec::datetime::iso_or_null;
use crate::codec::doc::Json;
use crate::codec::json::{id_ref, id_string};
use crate::error::{Error, Result, Warning};
use crate::unified::filters::as_range;
use crate::codec::http::{HttpRequest, HttpResponse, Method};
use crate::unified::schema::{s, Conv, FieldMap, Rule, UnifiedMethod};
use crate::providers::sandbox::server::ORIGIN;

use crate::provider::{map_status, Ctx, OpDef, Paged, ProviderDef, RawPage, Single};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "sandbox",
    label: "Sandbox (embedded, no credentials)",
    docs: "https://github.com/crosswalk/crosswalk#the-sandbox-provider",
    hosts: &["sandbox.crosswalk.invalid"],
    origin: |_| Ok(ORIGIN.into()),
    auth,
    // The embedded server honours Idempotency-Key (replays the first answer), so a
    // keyed write may be re-sent after a lost answer.
    idempotency_header: Some("idempotency-key"),
    oauth: None,
    ops: &[
        OpDef {
            model: "ats",
            resource: "activities",
            method: UnifiedMethod::Create,
            fields: NOTE_CREATE,
            returns: &["id", "activity_type", "actor", "body", "candidate", "created_at", "updated_at", "visibility"],
            start: |ctx| {
                let url = ctx.url().path("/v1/candidates").seg(ctx.field_str("candidate_id").unwrap_or_default()).path("/notes").build();
                Single::boxed(ctx.request(Method::Post, url)?.json(ctx.table_body()), |ctx, body, w| {
                    let note = data(body)?;
                    Ok((map_note(ctx, note, w)?, note))
                })
            },
            check: None,
            notes: "candidate `missing` answers 404; `rate-limited` answers 429 once",
        },
        OpDef {
            model: "ats",
            resource: "activities",
            method: UnifiedMethod::List,
            fields: NOTE_FILTERS,
            returns: &["id", "activity_type", "actor", "body", "candidate", "created_at", "updated_at", "visibility"],
            start: |_| Paged::boxed(note_page, token_page, map_note),
            check: None,
            notes: "candidate_id is required",
        },
        OpDef {
            model: "ats",
            resource: "interviews",
            method: UnifiedMethod::List,
            fields: INTERVIEW_FILTERS,
            returns: INTERVIEW_RETURNS,
            start: |_| Paged::boxed(interview_page, token_page, map_interview),
            check: None,
            notes: "start_at/end_at are applied by crosswalk",
        },
        OpDef {
            model: "ats",
            resource: "interviews",
            method: UnifiedMethod::Get,
            fields: &[],
            returns: INTERVIEW_RETURNS,
            start: |ctx| {
                let url = ctx.url().path("/v1/interviews").seg(ctx.id()?).build();
                Single::boxed(ctx.request(Method::Get, url)?, |ctx, body, w| {
                    let item = data(body)?;
                    Ok((map_interview(ctx, item, w)?, item))
                })
            },
            check: None,
            notes: "",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::Create,
            fields: ENGAGEMENT_CREATE,
            returns: ENGAGEMENT_RETURNS,
            start: |ctx| {
                let url = ctx.url().path("/v1/engagements").build();
                Single::boxed(ctx.request(Method::Post, url)?.json(ctx.table_body()), |ctx, body, w| {
                    let item = data(body)?;
                    Ok((map_engagement(ctx, item, w)?, item))
                })
            },
            check: None,
            notes: "",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::List,
            fields: &[FieldMap::query("engagement_type", "type")],
            returns: ENGAGEMENT_RETURNS,
            start: |_| {
                Paged::boxed(
                    |ctx, state| paged_get(ctx, ctx.url().path("/v1/engagements").queries(ctx.table_query()), state),
                    token_page,
                    map_engagement,
                )
            },
            check: None,
            notes: "",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::Get,
            fields: &[],
            returns: ENGAGEMENT_RETURNS,
            start: |ctx| {
                let url = ctx.url().path("/v1/engagements").seg(ctx.id()?).build();
                Single::boxed(ctx.request(Method::Get, url)?, |ctx, body, w| {
                    let item = data(body)?;
                    Ok((map_engagement(ctx, item, w)?, item))
                })
            },
            check: None,
            notes: "",
        },
    ],
};

const NOTE_CREATE: &[FieldMap] = &[
    FieldMap::path("candidate_id", "candidate_id").required(),
    FieldMap::body("body", "text").required().rules(&[Rule::MaxLen(10_000)]),
    FieldMap::body("created_at", "created_at").conv(Conv::UtcIso),
    FieldMap::body("visibility", "visibility"),
];
const NOTE_FILTERS: &[FieldMap] = &[FieldMap::path("candidate_id", "candidate_id").required()];
const INTERVIEW_FILTERS: &[FieldMap] = &[
    FieldMap::query("application_id", "application_id"),
    FieldMap::query("candidate_id", "candidate_id"),
    FieldMap::query("job_interview_stage_id", "stage_id"),
    FieldMap::custom("created_at", "created_after / created_before"),
    FieldMap::custom("updated_at", "updated_after / updated_before"),
    FieldMap::local("start_at"),
    FieldMap::local("end_at"),
];
const INTERVIEW_RETURNS: &[&str] = &[
    "id", "application", "candidate", "created_at", "end_at", "interviewers", "job_interview_stage", "location", "organizer", "start_at", "status", "updated_at",
];
const ENGAGEMENT_CREATE: &[FieldMap] = &[
    FieldMap::body("engagement_type", "type").required(),
    FieldMap::body("subject", "subject").rules(&[Rule::MaxLen(255)]),
    FieldMap::body("content", "body"),
    FieldMap::body("direction", "direction"),
    FieldMap::body("duration", "duration_seconds").rules(&[Rule::Range(0, 86_400)]),
    FieldMap::body("start_time", "starts_at").conv(Conv::UtcIso),
    FieldMap::body("end_time", "ends_at").conv(Conv::UtcIso),
    FieldMap::body("owner", "owner_id").conv(Conv::Id),
    FieldMap::body("contacts", "contact_ids").conv(Conv::Ids),
    FieldMap::body("account", "account_id").conv(Conv::Id),
    FieldMap::body("opportunity", "deal_id").conv(Conv::Id),
    FieldMap::body("status", "status").conv(Conv::Map(&[("draft", s("draft")), ("scheduled", s("scheduled")), ("sent", s("sent"))])),
    FieldMap::body("created_at", "created_at").conv(Conv::UtcIso),
];
const ENGAGEMENT_RETURNS: &[&str] = &[
    "id", "engagement_type", "subject", "content", "direction", "duration", "start_time", "end_time", "owner", "contacts", "account", "opportunity", "status", "created_at", "updated_at",
];

/// Status table: sandbox status → unified. Anything else maps to `null` with a warning.
pub const INTERVIEW_STATUS: &[(&str, &str)] = &[
    ("DRAFT", "draft"),
    ("SCHEDULED", "scheduled"),
    ("CANCELED", "cancelled"),
    ("NEEDS_FEEDBACK", "awaiting_feedback"),
    ("DONE", "completed"),
];

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    // No credentials needed; a given token is passed through (`invalid` shows a 401).
    let token = account.credential_opt("api_key").unwrap_or("sandbox");
    Ok(req.secret_header("authorization", format!("Bearer {token}")))
}

fn data(body: Json<'_>) -> Result<Json<'_>> {
    body.get("data").ok_or_else(|| Error::protocol("sandbox", "response has no data"))
}

fn paged_get(ctx: &Ctx, url: crate::codec::http::UrlBuilder, state: &Value) -> Result<HttpRequest> {
    let size = ctx.query.limit.unwrap_or(25).min(100);
    let url = url.query("page_size", size.to_string()).query_opt("page_token", state.get("token").and_then(Value::as_str)).build();
    ctx.request(Method::Get, url)
}

fn token_page<'a>(_ctx: &Ctx, _resp: &HttpResponse, body: Json<'a>) -> Result<RawPage<'a>> {
    let items = body.get("data").and_then(Json::items).ok_or_else(|| Error::protocol("sandbox", "list response has no data array"))?.collect();
    let next = body.get("next_page_token").and_then(Json::as_str).map(|t| json!({ "token": t }));
    Ok(RawPage { items, next, at: Some(&["data"]) })
}

fn note_page(ctx: &Ctx, state: &Value) -> Result<HttpRequest> {
    let url = ctx.url().path("/v1/candidates").seg(ctx.field_str("candidate_id").unwrap_or_default()).path("/notes").queries(ctx.query.remote_query.iter().cloned());
    paged_get(ctx, url, state)
}

fn interview_page(ctx: &Ctx, state: &Value) -> Result<HttpRequest> {
    let mut url = ctx.url().path("/v1/interviews").queries(ctx.table_query());
    for (filter, param) in [("created_at", "created"), ("updated_at", "updated")] {
        if let Some(v) = ctx.fields.get(filter) {
            for (op, bound) in as_range(filter, v) {
                // The sandbox takes inclusive lower and exclusive upper bounds; the
                // generic safety net re-checks gt/lte exactly.
                let suffix = if op.starts_with('g') { "after" } else { "before" };
                url = url.query(&format!("{param}_{suffix}"), bound.as_str().unwrap_or_default());
            }
        }
    }
    paged_get(ctx, url, state)
}

fn map_note(_ctx: &Ctx, note: Json<'_>, _w: &mut Vec<Warning>) -> Result<Record> {
    let mut r = Record::new();
    r.insert("id", json!(id_string(note.get("id"))));
    r.insert("activity_type", json!("note"));
    r.insert("actor", json!({"id": note.pointer("/author/id"), "type": "user", "name": note.pointer("/author/name"), "email": note.pointer("/author/email")}));
    r.insert("body", note.field("text"));
    r.insert("candidate", id_ref(note.get("candidate_id")));
    r.insert("created_at", iso_or_null(note.get("created_at")));
    r.insert("updated_at", iso_or_null(note.get("updated_at")));
    r.insert("visibility", note.field("visibility"));
    Ok(r)
}

fn map_interview(_ctx: &Ctx, item: Json<'_>, w: &mut Vec<Warning>) -> Result<Record> {
    let mut r = Record::new();
    r.insert("id", json!(id_string(item.get("id"))));
    r.insert("application", id_ref(item.get("application_id")));
    r.insert("candidate", id_ref(item.get("candidate_id")));
    r.insert("created_at", iso_or_null(item.get("created_at")));
    r.insert("updated_at", iso_or_null(item.get("updated_at")));
    r.insert("start_at", iso_or_null(item.get("starts_at")));
    r.insert("end_at", iso_or_null(item.get("ends_at")));
    r.insert("interviewers", Value::Array(item.get("panel").and_then(Json::items).map(|p| p.map(|x| json!({"id": x.get("id"), "name": x.get("name"), "email": x.get("email")})).collect()).unwrap_or_default()));
    r.insert("job_interview_stage", json!({"id": item.pointer("/stage/id"), "name": item.pointer("/stage/title")}));
    r.insert("location", item.field("location"));
    r.insert("organizer", item.get("organizer").map(|o| json!({"id": o.get("id"), "name": o.get("name"), "email": o.get("email")})).unwrap_or(Value::Null));
    r.insert("status", map_status(INTERVIEW_STATUS, item.get_str("status"), w));
    Ok(r)
}

fn map_engagement(_ctx: &Ctx, e: Json<'_>, w: &mut Vec<Warning>) -> Result<Record> {
    let mut r = Record::new();
    r.insert("id", json!(id_string(e.get("id"))));
    r.insert("engagement_type", e.field("type"));
    r.insert("subject", e.field("subject"));
    r.insert("content", e.field("body"));
    r.insert("direction", e.field("direction"));
    r.insert("duration", crate::codec::numbers::provider_secs("duration", e.get("duration_seconds"), 1, w));
    r.insert("start_time", iso_or_null(e.get("starts_at")));
    r.insert("end_time", iso_or_null(e.get("ends_at")));
    r.insert("owner", id_ref(e.get("owner_id")));
    r.insert("contacts", Value::Array(e.get("contact_ids").and_then(Json::items).map(|ids| ids.map(|i| id_ref(Some(i))).collect()).unwrap_or_default()));
    r.insert("account", id_ref(e.get("account_id")));
    r.insert("opportunity", id_ref(e.get("deal_id")));
    r.insert("status", e.field("status"));
    r.insert("created_at", iso_or_null(e.get("created_at")));
    r.insert("updated_at", iso_or_null(e.get("updated_at")));
    Ok(r)
}

#[cfg(test)]
mod tests;
