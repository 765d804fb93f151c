//! Greenhouse — Harvest API v1 at `https://harvest.greenhouse.io`, scheduled interviews.
//! Docs: https://developers.greenhouse.io/harvest.html#scheduled-interviews
//! Auth: HTTP Basic with the Harvest API token as user name and an empty password.
//! Lists page with `page`/`per_page` (1–500) and an RFC 8288 `Link` header; Greenhouse
//! asks clients to follow `rel="next"` rather than count pages, so the next URL is the
//! paging state (its path and query only: it is always re-based on the account origin).
//! `application_id` switches to `/v1/applications/{id}/scheduled_interviews`, which has
//! no `starts_*`/`ends_*` parameters; start/end filters are then applied by crosswalk.
//! All-day interviews carry `start.date`/`end.date` (`YYYY-MM-DD`) instead of
//! `date_time`; they map to midnight UTC of that date.
//! Greenhouse announces the v1/v2 Harvest sunset for 2026-08-31 (v3 is a different API).
//! Sources and documented examples: tests/fixtures/greenhouse/README.md.

use serde_json::{json, Map, Value};

use crate::provider::account::{basic, Account};
use crate::codec::datetime::{iso_or_null, iso_utc};
use crate::codec::json::{get_str, id_ref, id_string};
use crate::error::{Error, Result, Warning};
use crate::unified::filters::window;
use crate::codec::http::{HttpRequest, HttpResponse, Method};
use crate::unified::schema::{FieldMap, UnifiedMethod};

use crate::provider::{link_next, map_status, rebase_on_origin, Ctx, Exchange, OpDef, Paged, PartlyLocal, ProviderDef, RawPage, Single};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "greenhouse",
    label: "Greenhouse",
    docs: "https://developers.greenhouse.io/harvest.html",
    hosts: &["harvest.greenhouse.io"],
    origin: |_| Ok("https://harvest.greenhouse.io".into()),
    auth,
    idempotency_header: None,
    oauth: None,
    ops: &[
        OpDef {
            model: "ats",
            resource: "interviews",
            method: UnifiedMethod::List,
            fields: FILTERS,
            returns: RETURNS,
            start: start_list,
            check: None,
            notes: "GET /v1/scheduled_interviews (or /v1/applications/{id}/scheduled_interviews); Link-header paging, per_page ≤ 500; job_interview_stage is the interview step (interview{id,name}); all-day interviews start/end at midnight UTC",
        },
        OpDef {
            model: "ats",
            resource: "interviews",
            method: UnifiedMethod::Get,
            fields: &[],
            returns: RETURNS,
            start: start_get,
            check: None,
            notes: "GET /v1/scheduled_interviews/{id}",
        },
    ],
};

const FILTERS: &[FieldMap] = &[
    FieldMap::custom("application_id", "/v1/applications/{id}/scheduled_interviews"),
    FieldMap::custom("created_at", "created_after / created_before"),
    FieldMap::custom("updated_at", "updated_after / updated_before"),
    FieldMap::custom("start_at", "starts_after / starts_before (crosswalk with application_id)"),
    FieldMap::custom("end_at", "ends_after / ends_before (crosswalk with application_id)"),
];

const RETURNS: &[&str] = &["id", "application", "created_at", "end_at", "interviewers", "job_interview_stage", "location", "organizer", "start_at", "status", "updated_at"];

/// Greenhouse documents exactly these three statuses.
pub const STATUS: &[(&str, &str)] = &[("scheduled", "scheduled"), ("awaiting_feedback", "awaiting_feedback"), ("complete", "completed")];

/// Unified date filter → Greenhouse `<prefix>_after` / `<prefix>_before`.
const DATE_PARAMS: &[(&str, &str)] = &[("created_at", "created"), ("updated_at", "updated"), ("start_at", "starts"), ("end_at", "ends")];

const PER_PAGE_MAX: u32 = 500;

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    let token = account.credential("api_key")?;
    Ok(req.secret_header("authorization", basic(token, "")))
}

fn start_list(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    // The per-application endpoint has no start/end parameters.
    let unsent = match ctx.field_str("application_id") {
        Some(_) => ["start_at", "end_at"].into_iter().filter(|f| ctx.fields.contains_key(*f)).collect(),
        None => Vec::new(),
    };
    Ok(PartlyLocal::boxed(Paged::boxed(list_page, parse_page, |_, item, w| map_interview(item, w))?, unsent))
}

fn list_page(ctx: &Ctx, state: &Value) -> Result<HttpRequest> {
    if !state.is_null() {
        let path = state.get("next").and_then(Value::as_str).filter(|p| is_list_path(p)).ok_or_else(|| Error::InvalidCursor { reason: "not a Greenhouse scheduled-interviews page".into() })?;
        return ctx.request(Method::Get, ctx.url().raw_path(path).build());
    }
    let app = ctx.field_str("application_id");
    let mut url = match app {
        Some(id) => ctx.url().path("/v1/applications").seg(id).path("/scheduled_interviews"),
        None => ctx.url().path("/v1/scheduled_interviews"),
    };
    url = url.query("per_page", ctx.query.limit.unwrap_or(100).clamp(1, PER_PAGE_MAX).to_string());
    for (field, prefix) in DATE_PARAMS {
        let sent_here = app.is_none() || matches!(*field, "created_at" | "updated_at");
        let Some(v) = ctx.fields.get(*field).filter(|_| sent_here) else { continue };
        // Greenhouse's `_after` is "at or after", `_before` is "before": the window fits.
        let w = window(field, v);
        url = url.query_opt(&format!("{prefix}_after"), w.after.map(iso_utc)).query_opt(&format!("{prefix}_before"), w.before.map(iso_utc));
    }
    ctx.request(Method::Get, url.queries(ctx.query.remote_query.iter().cloned()).build())
}

/// A next-page path must stay on one of the two list endpoints.
fn is_list_path(p: &str) -> bool {
    let path = p.split('?').next().unwrap_or("");
    let app_list = path.strip_prefix("/v1/applications/").and_then(|rest| rest.strip_suffix("/scheduled_interviews")).is_some_and(|id| !id.is_empty() && !id.contains('/'));
    (path == "/v1/scheduled_interviews" || app_list) && !p.chars().any(|c| c.is_control() || c == ' ' || c == '#')
}

fn parse_page(ctx: &Ctx, resp: &HttpResponse, body: Value) -> Result<RawPage> {
    let Value::Array(items) = body else {
        return Err(Error::protocol("greenhouse", "scheduled interviews list is not a JSON array"));
    };
    let next = match link_next(resp.header("link")) {
        None => None,
        Some(url) => {
            let path = rebase_on_origin(&url, ctx.origin).and_then(|u| u.strip_prefix(ctx.origin.as_str()).map(str::to_string)).filter(|p| is_list_path(p));
            Some(json!({ "next": path.ok_or_else(|| Error::protocol("greenhouse", "the Link rel=\"next\" URL is not a scheduled-interviews page"))? }))
        }
    };
    Ok(RawPage { items, next })
}

fn start_get(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    let url = ctx.url().path("/v1/scheduled_interviews").seg(ctx.id()?).queries(ctx.query.remote_query.iter().cloned()).build();
    Single::boxed(ctx.request(Method::Get, url)?, |_, body, w| Ok((map_interview(&body, w)?, body)))
}

/// `start`/`end`: `{date_time}` for timed interviews, `{date}` for all-day ones.
fn moment(v: Option<&Value>) -> Value {
    let v = v.and_then(|m| m.get("date_time").filter(|d| !d.is_null()).or_else(|| m.get("date")));
    iso_or_null(v)
}

fn user(u: &Value) -> Value {
    let joined = [get_str(u, "first_name"), get_str(u, "last_name")].into_iter().flatten().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ");
    let name = get_str(u, "name").map(str::to_string).or(Some(joined).filter(|s| !s.is_empty()));
    json!({ "id": id_string(u.get("id")), "name": name, "email": u.get("email") })
}

fn map_interview(item: &Value, w: &mut Vec<Warning>) -> Result<Map<String, Value>> {
    let id = id_string(item.get("id")).ok_or_else(|| Error::protocol("greenhouse", "scheduled interview has no id"))?;
    let mut r = Map::new();
    r.insert("id".into(), json!(id));
    r.insert("application".into(), id_ref(item.get("application_id")));
    r.insert("candidate".into(), Value::Null);
    r.insert("created_at".into(), iso_or_null(item.get("created_at")));
    r.insert("updated_at".into(), iso_or_null(item.get("updated_at")));
    r.insert("start_at".into(), moment(item.get("start")));
    r.insert("end_at".into(), moment(item.get("end")));
    r.insert("interviewers".into(), Value::Array(item.get("interviewers").and_then(Value::as_array).map(|l| l.iter().map(user).collect()).unwrap_or_default()));
    r.insert("organizer".into(), item.get("organizer").filter(|o| o.is_object()).map(user).unwrap_or(Value::Null));
    r.insert("job_interview_stage".into(), match item.get("interview").filter(|i| i.is_object()) {
        Some(step) => json!({ "id": id_string(step.get("id")), "name": step.get("name") }),
        None => Value::Null,
    });
    let location = get_str(item, "location").filter(|s| !s.is_empty()).or_else(|| get_str(item, "video_conferencing_url"));
    r.insert("location".into(), json!(location));
    r.insert("status".into(), map_status(STATUS, get_str(item, "status"), w));
    Ok(r)
}

#[cfg(test)]
mod tests;
