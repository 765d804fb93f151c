//! Pinpoint — JSON:API at `https://{subdomain}.pinpointhq.com/api/v1` (Graphiti-style
//! `filter[field][gt|lt]`, `include`, `page[number]`/`page[size]`).
//! Docs: https://developers.pinpointhq.com/reference/get-interviews and
//! .../get-interview (OpenAPI v1.0.27, read through a reconstruction of those pages;
//! see tests/fixtures/pinpoint/README.md).
//! Auth: `X-API-KEY: <key>` (the key needs Interview: Read); `Accept: application/vnd.api+json`.
//! The collection document has `data`, `included` and a free-form `meta`, no `links`:
//! paging is by page number, and a page shorter than `page[size]` is the last one.
//! Because a server that ignored `page[number]` would return the same full page
//! forever, each page's first id travels in the paging state and a repeat is an error.
//! Pinpoint documents `status` only as a string (no values), so `status` is unsupported
//! (always null, not in `returns`; the original is in `remote_data.attributes.status`).


use crate::unified::record::Record;
use serde_json::{json, Map, Value};
use time::Duration;

use crate::provider::account::Account;
use crate::codec::datetime::{iso_or_null, iso_utc};
use crate::codec::doc::Json;
use crate::codec::json::{get_str, id_ref, id_string};
use crate::error::{Error, Result, Warning};
use crate::unified::filters::window;
use crate::codec::http::{host_label, HttpRequest, HttpResponse, Method};
use crate::unified::schema::{FieldMap, UnifiedMethod};

use crate::provider::{mapped_page, Ctx, Exchange, Next, OpDef, ProviderDef, RawPage, Single};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "pinpoint",
    label: "Pinpoint",
    docs: "https://developers.pinpointhq.com/reference",
    hosts: &["*.pinpointhq.com"],
    origin: |account| Ok(format!("https://{}.pinpointhq.com", host_label(&account.context_str("subdomain")?, "account.context.subdomain")?)),
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
            start: |ctx| {
                // `filter[interviewable_id]` also matches job seekers with that id.
                let local = if ctx.fields.contains_key("application_id") { vec!["application_id"] } else { Vec::new() };
                Ok(Box::new(Pages { local, ..Pages::default() }))
            },
            check: None,
            notes: "GET /api/v1/interviews?include=stage; page[number]/page[size] ≤ 1000; status is unsupported: Pinpoint documents no status values (always null; the original is in remote_data.attributes.status); application_id is re-checked because interviewable_id may name a job seeker",
        },
        OpDef {
            model: "ats",
            resource: "interviews",
            method: UnifiedMethod::Get,
            fields: &[],
            returns: RETURNS,
            start: start_get,
            check: None,
            notes: "GET /api/v1/interviews/{id}?include=stage",
        },
    ],
};

const FILTERS: &[FieldMap] = &[
    FieldMap::custom("application_id", "filter[interviewable_id] (re-checked by crosswalk)"),
    FieldMap::custom("created_at", "filter[created_at][gt] / [lt]"),
    FieldMap::custom("updated_at", "filter[updated_at][gt] / [lt]"),
    FieldMap::custom("start_at", "filter[start_at][gt] / [lt]"),
    FieldMap::local("end_at"),
];

const RETURNS: &[&str] = &["id", "application", "created_at", "end_at", "job_interview_stage", "start_at", "updated_at"];


const PAGE_MAX: u32 = 1000;

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    Ok(req.secret_header("x-api-key", account.credential("api_key")?).header("accept", "application/vnd.api+json"))
}

fn page_size(ctx: &Ctx) -> u32 {
    ctx.query.limit.unwrap_or(100).clamp(1, PAGE_MAX)
}

fn list_request(ctx: &Ctx, page: u64) -> Result<HttpRequest> {
    let mut url = ctx.url().path("/api/v1/interviews").query("include", "stage").query("page[number]", page.to_string()).query("page[size]", page_size(ctx).to_string());
    url = url.query_opt("filter[interviewable_id]", ctx.field_str("application_id"));
    for field in ["created_at", "updated_at", "start_at"] {
        let Some(v) = ctx.fields.get(field) else { continue };
        // Pinpoint's bounds are strict (`gt`, `lt`): one second below an inclusive lower
        // bound keeps a record exactly on it; crosswalk's re-check trims the rest.
        let w = window(field, v);
        url = url
            .query_opt(&format!("filter[{field}][gt]"), w.after.map(|a| a.checked_sub(Duration::SECOND).map(iso_utc).filter(|s| !s.is_empty()).unwrap_or_else(|| iso_utc(a))))
            .query_opt(&format!("filter[{field}][lt]"), w.before.map(iso_utc));
    }
    ctx.request(Method::Get, url.queries(ctx.query.remote_query.iter().cloned()).build())
}

/// Page-number paging with a repeat check (see the module doc).
#[derive(Default)]
struct Pages {
    page: u64,
    prev_first: Option<String>,
    local: Vec<&'static str>,
}

impl Exchange for Pages {
    fn start(&mut self, ctx: &Ctx) -> Result<Next> {
        self.page = 1;
        list_request(ctx, 1).map(Next::Send)
    }
    fn page(&mut self, ctx: &Ctx, state: &Value) -> Result<Next> {
        self.page = crate::provider::state_count(state, "page", 0)?;
        if self.page < 2 {
            return Err(Error::InvalidCursor { reason: "no Pinpoint page number in it".into() });
        }
        self.prev_first = get_str(state, "prev_first").map(str::to_string);
        list_request(ctx, self.page).map(Next::Send)
    }
    fn on_success(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        let doc = resp.doc("pinpoint")?;
        let body = doc.root();
        let stages = stage_names(body);
        let Some(data) = body.get("data").and_then(Json::items) else {
            return Err(Error::protocol("pinpoint", "interviews list has no data array"));
        };
        let data: Vec<Json<'_>> = data.collect();
        let first = data.first().and_then(|d| id_string(d.get("id")));
        if first.is_some() && first == self.prev_first {
            return Err(Error::PaginationLoop { provider: "pinpoint".into(), pages: u32::try_from(self.page).unwrap_or(u32::MAX) });
        }
        let full = data.len() >= page_size(ctx) as usize;
        let next = if full { Some(json!({ "page": crate::provider::next_count(self.page, 1)?, "prev_first": first })) } else { None };
        mapped_page(ctx, RawPage { items: data, next, at: Some(&["data"]) }, |raw, w| map_interview(raw, &stages, w))
    }
    fn on_failure(&mut self, _ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        Err(remote_error(resp))
    }
    fn locally_applied(&self) -> &[&'static str] {
        &self.local
    }
}

/// JSON:API error documents carry `errors[].detail` / `title`.
fn remote_error(resp: &HttpResponse) -> Error {
    match crate::provider::remote_error("pinpoint", resp) {
        Error::Remote { provider, status, message, body } => {
            let jsonapi = get_str(&body, "errors.0.detail").or_else(|| get_str(&body, "errors.0.title")).map(str::to_string);
            Error::Remote { provider, status, message: jsonapi.or(message), body }
        }
        other => other,
    }
}

fn start_get(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    let url = ctx.url().path("/api/v1/interviews").seg(ctx.id()?).query("include", "stage").queries(ctx.query.remote_query.iter().cloned()).build();
    Ok(Box::new(Get(Single { request: Some(ctx.request(Method::Get, url)?), map: |_, body, w| {
        let stages = stage_names(body);
        let data = body.get("data").filter(|d| d.is_object()).ok_or_else(|| Error::protocol("pinpoint", "interview response has no data object"))?;
        Ok((map_interview(data, &stages, w)?, data))
    } })))
}

/// `Single` with Pinpoint's error reading.
struct Get(Single);

impl Exchange for Get {
    fn start(&mut self, ctx: &Ctx) -> Result<Next> {
        self.0.start(ctx)
    }
    fn on_success(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        self.0.on_success(ctx, resp)
    }
    fn on_failure(&mut self, _ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        Err(remote_error(resp))
    }
}

/// Stage id → name from the `included` stages.
fn stage_names(body: Json<'_>) -> Map<String, Value> {
    body.get("included")
        .and_then(Json::items)
        .into_iter()
        .flatten()
        .filter(|r| r.get_str("type") == Some("stages"))
        .filter_map(|r| Some((id_string(r.get("id"))?, r.path("attributes.name").map_or(Value::Null, Json::to_value))))
        .collect()
}

fn map_interview(item: Json<'_>, stages: &Map<String, Value>, _: &mut Vec<Warning>) -> Result<Record> {
    let id = id_string(item.get("id")).ok_or_else(|| Error::protocol("pinpoint", "interview has no id"))?;
    let attr = |k: &str| item.get("attributes").and_then(|a| a.path(k));
    // `interviewable` is an application or a job seeker (talent pipeline).
    let interviewable = item.path("relationships.interviewable.data");
    let application = match interviewable {
        Some(d) => if d.get_str("type") == Some("applications") { id_ref(d.get("id")) } else { Value::Null },
        // Without linkage, the polymorphic attributes (Rails class names, as in
        // Pinpoint's `commentable_type` values).
        None if attr("interviewable_type").and_then(Json::as_str) == Some("Application") => id_ref(attr("interviewable_id")),
        None => Value::Null,
    };
    let stage = id_string(item.path("relationships.stage.data.id"));
    let mut r = Record::new();
    r.insert("id", json!(id));
    r.insert("application", application);
    r.insert("candidate", Value::Null);
    r.insert("created_at", iso_or_null(attr("created_at")));
    r.insert("updated_at", iso_or_null(attr("updated_at")));
    r.insert("start_at", iso_or_null(attr("start_at")));
    r.insert("end_at", iso_or_null(attr("end_at")));
    r.insert("job_interview_stage", match stage {
        Some(s) => json!({ "name": stages.get(&s).cloned().unwrap_or(Value::Null), "id": s }),
        None => Value::Null,
    });
    // Unsupported, not unknown: with no documented values a per-record warning says nothing.
    r.insert("status", Value::Null);
    Ok(r)
}

#[cfg(test)]
mod tests;
