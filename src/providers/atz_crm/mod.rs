//! ATZ CRM — activities (meetings, tasks, emails, interviews, custom types) as
//! unified CRM engagements.
//! Docs: https://docs.atzcrm.com/docs/endpoints/activities/add-activity (= seed 001),
//! …/show-all-activity, …/get-activity. Base `https://api.atzcrm.com/v1`,
//! `Authorization: Bearer <access token>`.
//!
//! Create enforces every rule of seed 001 before anything is sent, on the body
//! crosswalk would send (see [`rules`]): ATZ's own fields that have no unified home
//! (`collaborators`, `*_as_attendees`, `meeting_link`, `importance`, `location`,
//! `attachment`, `do_not_send_calendar_invite`, `mark_as_done`, `activity_type_id`,
//! `related_to(_entity)`) go in `remote_data` under their ATZ names and are checked
//! by the same rules; a `remote_data` value wins over the unified field it overlaps.
//! `importance` is always sent (default `high`). An `attachment` file turns the
//! request into multipart form data (booleans as `1`/`0`, the form convention of the
//! Laravel-style API ATZ runs — see the fixture README).
//! Sources and examples: tests/fixtures/atz_crm/README.md.

mod map;
pub mod rules;
#[cfg(test)]
mod tests;

use serde_json::{json, Map, Value};

use crate::codec::doc::Json;
use crate::provider::account::Account;
use crate::error::{Error, Issue, IssueCode, Result};
use crate::codec::http::{HttpRequest, HttpResponse, Method, Part};
use crate::unified::schema::{Conv, FieldMap, Lit, Rule, UnifiedMethod};

use crate::provider::{Ctx, Exchange, OpDef, Paged, ProviderDef, RawPage, Single};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "atz_crm",
    label: "ATZ CRM",
    docs: "https://docs.atzcrm.com/docs/endpoints/activities/add-activity",
    hosts: &["api.atzcrm.com"],
    origin: |_| Ok("https://api.atzcrm.com".into()),
    auth,
    idempotency_header: None,
    oauth: None,
    ops: &[
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::Create,
            fields: CREATE,
            returns: RETURNS,
            start: start_create,
            check: Some(|fields| rules::plan(fields, fields.get("remote_data")).issues),
            notes: "POST /v1/activity. meeting/task/email → activity_type_id 2/3/4; call, note, chat and 5 Interview need remote_data.activity_type_id. end_time may come from start_time + duration. ATZ-only fields go in remote_data under their ATZ names and are validated; importance defaults to high and is always sent; an attachment file is sent as multipart/form-data.",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::List,
            fields: LIST,
            returns: RETURNS,
            start: |_| Paged::boxed(page_request, read_page, |_, item, w| map::to_unified(item, w)),
            check: Some(|f| crate::providers::crm_engagements::one_list_parent(f, "ATZ CRM filters by one related record: give contact_id or account_id").into_iter().collect()),
            notes: "GET /v1/activity, 25 per page at most, page numbers until next_page_url is null. contact_id/account_id filter on the related record (related_to_entity 4/3).",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::Get,
            fields: &[],
            returns: RETURNS,
            start: |ctx| {
                let id = ctx.id()?;
                if !id.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Error::one_issue(Some("atz_crm"), Issue::new("id", IssueCode::InvalidFormat, "ATZ activity ids are numbers")));
                }
                let url = ctx.url().path("/v1/activity").seg(id).build();
                Single::boxed(ctx.request(Method::Get, url)?, |_, body, w| Ok((map::to_unified(body, w)?, body)))
            },
            check: None,
            notes: "GET /v1/activity/{id}",
        },
    ],
};

const CREATE: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "activity_type_id (meeting 2, task 3, email 4; others: remote_data.activity_type_id)").required(),
    FieldMap::body("subject", "title").required().rules(&[Rule::MaxLen(100)]),
    FieldMap::body("content", "description"),
    FieldMap::body("start_time", "start_datetime").required().conv(Conv::UtcIso),
    FieldMap::body("end_time", "end_datetime").conv(Conv::UtcIso),
    FieldMap::custom("duration", "end_datetime = start_time + duration (when end_time is absent)").rules(&[Rule::Range(1, 31_622_400)]),
    FieldMap::custom("contacts", "contacts_as_attendees (comma-joined slugs); the first is related_to (entity 4) without account/opportunity"),
    FieldMap::custom("account", "related_to_entity 3 (Organization) + related_to"),
    FieldMap::custom("opportunity", "related_to_entity 5 (Deal) + related_to"),
];
const LIST: &[FieldMap] = &[
    FieldMap::query("engagement_type", "activity_type_id").conv(Conv::Map(&[("meeting", Lit::Int(2)), ("task", Lit::Int(3)), ("email", Lit::Int(4))])),
    FieldMap::custom("contact_id", "related_to_entity=4&related_to=<slug>"),
    FieldMap::custom("account_id", "related_to_entity=3&related_to=<slug>"),
    FieldMap::local("created_at"),
    FieldMap::local("updated_at"),
];
const RETURNS: &[&str] = &[
    "id", "engagement_type", "subject", "content", "duration", "start_time", "end_time", "contacts", "account", "opportunity", "owner", "created_at", "updated_at",
];
const MAX_PAGE: u32 = 25;

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    let (_, token) = account.any_credential(&["access_token", "api_key"])?;
    Ok(req.secret_header("authorization", format!("Bearer {token}")).header("accept", "application/json"))
}

fn start_create(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    let planned = rules::plan(ctx.fields, ctx.remote_data);
    if !planned.issues.is_empty() {
        return Err(Error::Validation { provider: Some("atz_crm".into()), issues: planned.issues });
    }
    let req = ctx.request(Method::Post, ctx.url().path("/v1/activity").build())?;
    let req = match &planned.file {
        Some(file) => req.multipart(form_parts(&planned.body, file)),
        None => req.json(Value::Object(planned.body)),
    };
    Single::boxed(req, |_, body, w| Ok((map::to_unified(body, w)?, body)))
}

/// The body as form parts, ATZ fields in the seed's order, then any other
/// remote_data keys; the attachment is the file part.
fn form_parts(body: &Map<String, Value>, file: &Value) -> Vec<Part> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "1" } else { "0" }.to_string(),
        other => other.to_string(),
    };
    let mut parts = Vec::new();
    let extra = body.keys().filter(|k| !rules::ATZ_FIELDS.contains(&k.as_str())).map(String::as_str);
    for key in rules::ATZ_FIELDS.iter().copied().chain(extra) {
        if key == "attachment" {
            parts.push(Part::File {
                name: "attachment".into(),
                file: file.get("$file").and_then(Value::as_str).unwrap_or_default().to_string(),
                filename: file.get("name").and_then(Value::as_str).map(str::to_string),
                content_type: file.get("type").and_then(Value::as_str).map(str::to_string),
            });
        } else if let Some(v) = body.get(key) {
            parts.push(Part::Text { name: key.to_string(), value: text(v) });
        }
    }
    parts
}

fn page_request(ctx: &Ctx, state: &Value) -> Result<HttpRequest> {
    let page = crate::provider::state_count(state, "page", 1)?;
    let limit = ctx.query.limit.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
    let mut url = ctx.url().path("/v1/activity").query("page", page.to_string()).query("limit", limit.to_string()).queries(ctx.table_query());
    for (filter, entity) in [("contact_id", "4"), ("account_id", "3")] {
        if let Some(slug) = ctx.field_str(filter) {
            url = url.query("related_to_entity", entity).query("related_to", slug);
        }
    }
    ctx.request(Method::Get, url.build())
}

/// Laravel-style page: `{current_page, next_page_url, data: […]}`.
fn read_page<'a>(_ctx: &Ctx, _resp: &HttpResponse, body: Json<'a>) -> Result<RawPage<'a>> {
    let Some(items) = body.get("data").and_then(Json::items) else {
        return Err(Error::protocol("atz_crm", "the activity list has no data array"));
    };
    let items = items.collect();
    let next = match (body.get("next_page_url").is_some_and(|u| u.is_string()), body.get("current_page").and_then(Json::as_u64)) {
        (true, Some(current)) => Some(json!({ "page": crate::provider::next_count(current, 1)? })),
        (true, None) => return Err(Error::protocol("atz_crm", "a page with next_page_url but no current_page")),
        _ => None,
    };
    Ok(RawPage { items, next, at: Some(&["data"]) })
}
