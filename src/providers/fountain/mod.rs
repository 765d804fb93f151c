//! Fountain — Hire API v2, an applicant's booked interview sessions.
//! Docs: https://developer.fountain.com/reference (`GET /v2/applicants/{id}/booked_slots`,
//! "Get Interview Sessions").
//! Auth: `X-ACCESS-TOKEN: <private API key>`.
//! Host: `https://api.fountain.com/v2`; region or single-tenant accounts use
//! `https://<label>.fountain.com/api/v2` (account `context.region`, e.g. `us-2`).
//! Fountain lists sessions per applicant only, so `candidate_id` is required (checked
//! before anything is sent). The endpoint is not paginated and has no filters;
//! `end_at` is applied by crosswalk. There is no call for one booked slot, so there
//! is no `get`. A booked slot has no status field: the status is derived from
//! `showed_up` and the end time (see [`situation`]). Sources:
//! tests/fixtures/fountain/README.md.

use crate::unified::record::Record;
use serde_json::{json, Value};

use crate::provider::account::Account;
use crate::codec::datetime::{iso_or_null, parse_datetime, to_iso};
use crate::codec::doc::Json;
use crate::codec::json::id_string;
use crate::error::{Error, Result, Warning};
use crate::codec::http::{host_label, HttpRequest, HttpResponse, Method};
use crate::unified::schema::{FieldMap, UnifiedMethod};

use crate::provider::{map_status, Ctx, OpDef, Paged, ProviderDef, RawPage};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "fountain",
    label: "Fountain",
    docs: "https://developer.fountain.com/reference",
    hosts: &["api.fountain.com", "*.fountain.com"],
    origin: |account| match account.context_opt("region") {
        Some(label) => Ok(format!("https://{}.fountain.com", host_label(&label, "account.context.region")?)),
        None => Ok("https://api.fountain.com".into()),
    },
    auth,
    idempotency_header: None,
    oauth: None,
    ops: &[OpDef {
        model: "ats",
        resource: "interviews",
        method: UnifiedMethod::List,
        fields: FILTERS,
        returns: &["id", "candidate", "created_at", "end_at", "interviewers", "job_interview_stage", "location", "start_at", "status"],
        start: |_| Paged::boxed(request, parse, map_slot),
        check: None,
        notes: "GET /v2/applicants/{candidate_id}/booked_slots (one unpaginated response); no get (Fountain has no call for one booked slot); interviewers carry the recruiter's name only; status derived from showed_up and the end time; created_at is booked_time",
    }],
};

const FILTERS: &[FieldMap] = &[FieldMap::path("candidate_id", "id").required(), FieldMap::local("end_at")];

/// Derived booked-slot situation → unified status. `no_show` (`showed_up: false`)
/// has no unified equivalent: it is neither completed nor cancelled, so it maps to
/// `null` with a warning.
pub const STATUS: &[(&str, &str)] = &[("attended", "completed"), ("upcoming", "scheduled"), ("attendance_not_recorded", "awaiting_feedback")];

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    Ok(req.secret_header("x-access-token", account.credential("api_key")?))
}

fn request(ctx: &Ctx, state: &Value) -> Result<HttpRequest> {
    if !state.is_null() {
        return Err(Error::InvalidCursor { reason: "Fountain booked slots have a single page".into() });
    }
    let prefix = if ctx.account.context_opt("region").is_some() { "/api/v2" } else { "/v2" };
    let candidate = ctx.field_str("candidate_id").unwrap_or_default();
    let url = ctx.url().path(prefix).path("/applicants").seg(candidate).path("/booked_slots").queries(ctx.query.remote_query.iter().cloned());
    ctx.request(Method::Get, url.build())
}

fn parse<'a>(_ctx: &Ctx, _resp: &HttpResponse, body: Json<'a>) -> Result<RawPage<'a>> {
    match body.get("booked_slots").and_then(Json::items) {
        Some(items) => Ok(RawPage { items: items.collect(), next: None, at: Some(&["booked_slots"]) }),
        None => Err(Error::protocol("fountain", "response has no booked_slots list")),
    }
}

/// `showed_up` is a boolean in one Fountain schema and a string in another.
fn showed_up(v: Option<Json<'_>>) -> Option<bool> {
    let v = v?;
    match (v.as_bool(), v.as_str()) {
        (Some(b), _) => Some(b),
        (_, Some(s)) if s.eq_ignore_ascii_case("true") => Some(true),
        (_, Some(s)) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// What is known about a booked slot: attendance when recorded, else whether its end
/// time has passed (`None` when neither can be told).
pub fn situation(slot: Json<'_>, now_ms: u64) -> Option<&'static str> {
    match showed_up(slot.get("showed_up")) {
        Some(true) => Some("attended"),
        Some(false) => Some("no_show"),
        None => {
            let end = slot.get("end_time").and_then(to_iso).as_deref().and_then(parse_datetime)?;
            let now = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now_ms).checked_mul(1_000_000)?).ok()?;
            Some(if end > now { "upcoming" } else { "attendance_not_recorded" })
        }
    }
}

fn map_slot(ctx: &Ctx, slot: Json<'_>, w: &mut Vec<Warning>) -> Result<Record> {
    let id = id_string(slot.get("id")).ok_or_else(|| Error::protocol("fountain", "booked slot has no id"))?;
    let text = |key: &str| slot.get_str(key).filter(|s| !s.is_empty());
    let mut r = Record::new();
    r.insert("id", json!(id));
    // The applicant is the one in the request path; Fountain does not echo it.
    r.insert("candidate", json!({ "id": ctx.field_str("candidate_id") }));
    r.insert("application", Value::Null);
    r.insert("created_at", iso_or_null(slot.get("booked_time")));
    r.insert("updated_at", Value::Null);
    r.insert("start_at", iso_or_null(slot.get("start_time")));
    r.insert("end_at", iso_or_null(slot.get("end_time")));
    r.insert("location", json!(text("location")));
    r.insert("interviewers", match text("recruiter") {
        Some(name) => json!([{ "id": null, "name": name, "email": null }]),
        None => json!([]),
    });
    r.insert("organizer", Value::Null);
    r.insert("job_interview_stage", match text("stage_title") {
        Some(title) => json!({ "id": null, "name": title }),
        None => Value::Null,
    });
    r.insert("status", map_status(STATUS, situation(slot, ctx.now_ms), w));
    Ok(r)
}

#[cfg(test)]
mod tests;
