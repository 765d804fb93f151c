//! Close — activities at `https://api.close.com/api/v1/activity/{call|email|note|meeting}/`.
//! Docs: https://developer.close.com/api/resources/activities/calls/create.md (and the
//! email, note, meeting pages; request schemas from Close's OpenAPI document).
//! Auth: HTTP Basic with the API key as user name and no password, or
//! `Authorization: Bearer <OAuth access token>`.
//!
//! Each type has its own endpoint, so unified ids carry the type (`call:acti_…`).
//! Close cannot create meetings through the API (they are synced from calendars), so
//! a meeting create is refused; meetings are listed and read. Tasks and chats (SMS,
//! WhatsApp) are other resources and not mapped. A Close "lead" is the company, so
//! `account` and `lead` both mean `lead_id` (give one); emails and notes need it.
//! Email `status` is Close's own set (inbox, draft, scheduled, outbox, sent) and is
//! required; `outbox` really sends the email. A scheduled email is sent at `start_time`.
//! Close requires `sender` for inbox, scheduled and outbox emails (its `error` status is
//! not in the unified enum); the unified model has no sender field, so it is passed as
//! `remote_data.sender` and its absence is a validation error, not a failed request.
//! The unit of a call's `duration` is not stated in Close's spec; public clients
//! treat it as seconds (UNCONFIRMED). Meeting-specific fields are not in the spec, so
//! meetings read back with the fields every activity has.
//! Sources and examples: tests/fixtures/close/README.md.

use crate::unified::record::Record;
use crate::provider::auth::{Grant, OAuthDef};
use serde_json::{json, Map, Value};

use crate::provider::account::{basic, Account};
use crate::codec::datetime::iso_or_null;
use crate::codec::doc::Json;
use crate::error::{Error, Issue, IssueCode, Result, Warning};
use crate::unified::filters::as_range;
use crate::codec::http::{HttpRequest, HttpResponse, Method};
use crate::unified::schema::{s, Conv, FieldMap, Rule, UnifiedMethod};

use crate::providers::crm_engagements::{self as eng, TypeRule, TypedPages};
use crate::provider::{map_status, Ctx, Exchange, OpDef, ProviderDef, RawPage, Single};

/// OAuth: https://developer.close.com/api/overview/oauth-authentication (code
/// exchange at api.close.com/oauth2/token/ with the client in the body); every app
/// is granted `all.full_access offline_access`, so no scope is sent.
const OAUTH: OAuthDef = OAuthDef {
    authorize_url: Some("https://app.close.com/oauth2/authorize/"),
    token_url: "https://api.close.com/oauth2/token/",
    hosts: &["app.close.com", "api.close.com"],
    grants: &[Grant::AuthorizationCode, Grant::RefreshToken],
    notes: "API keys (Basic) or OAuth; apps get all.full_access offline_access; refresh lifetimes not documented on the pages read",
    ..OAuthDef::DEFAULTS
};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "close",
    label: "Close",
    docs: "https://developer.close.com/api/resources/activities/calls/create.md",
    hosts: &["api.close.com"],
    origin: |_| Ok("https://api.close.com".into()),
    auth,
    idempotency_header: None,
    oauth: Some(&OAUTH),
    ops: &[
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::Create,
            fields: CREATE,
            returns: RETURNS,
            start: start_create,
            check: Some(check),
            notes: "POST /api/v1/activity/{call|email|note}/; meetings cannot be created through Close's API",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::List,
            fields: FILTERS,
            returns: RETURNS,
            start: |ctx| TypedPages::boxed(eng::listed_kinds(ctx, KINDS), page_request, parse_page, |_, _, raw, w| map_activity(raw, w)),
            check: None,
            notes: "calls, emails, notes, meetings in turn (_skip/_limit/has_more); updated_at is applied by crosswalk",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::Get,
            fields: &[FieldMap::custom("engagement_type", "activity type, when the id has no type prefix").conv(Conv::Map(READ_TYPES))],
            returns: RETURNS,
            start: start_get,
            check: None,
            notes: "ids are {type}:{Close id}; a bare id needs ?engagement_type",
        },
    ],
};

const READ_TYPES: &[(&str, crate::unified::schema::Lit)] = &[("call", s("call")), ("email", s("email")), ("note", s("note")), ("meeting", s("meeting"))];
const KINDS: &[&str] = &["call", "email", "note", "meeting"];
const ALL: &[&str] = &["call", "email", "note"];

const CREATE: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "/api/v1/activity/{call|email|note}/").required().conv(Conv::Map(&[("call", s("call")), ("email", s("email")), ("note", s("note"))])),
    FieldMap::custom("content", "note (calls, notes) | body_text (emails)"),
    FieldMap::custom("subject", "subject (emails) | title (notes)"),
    FieldMap::body("owner", "user_id").conv(Conv::Id),
    FieldMap::custom("account", "lead_id (a Close lead is the company)"),
    FieldMap::custom("lead", "lead_id").rules(&[Rule::MaxItems(1)]),
    FieldMap::custom("contacts", "contact_id (one)").rules(&[Rule::MaxItems(1)]),
    FieldMap::body("start_time", "activity_at").conv(Conv::UtcIso),
    FieldMap::body("created_at", "date_created").conv(Conv::UtcIso),
    FieldMap::custom("duration", "duration (calls; seconds, UNCONFIRMED unit)"),
    FieldMap::custom("direction", "direction (calls): inbound | outbound").rules(&[Rule::OneOf(&["inbound", "outbound"])]),
    FieldMap::custom("status", "status (emails): inbox | draft | scheduled | outbox | sent; inbox, scheduled and outbox need remote_data.sender"),
    FieldMap::custom("phone_numbers", "phone (calls, E.164)").rules(&[Rule::MaxItems(1)]),
    FieldMap::custom("custom_fields", "custom_fields (calls)"),
];

const TYPE_RULES: &[TypeRule] = &[
    TypeRule::Only("subject", &["email", "note"]),
    TypeRule::Only("duration", &["call"]),
    TypeRule::Only("direction", &["call"]),
    TypeRule::Only("phone_numbers", &["call"]),
    TypeRule::Only("custom_fields", &["call"]),
    TypeRule::Only("status", &["email"]),
    TypeRule::Required("status", &["email"]),
    TypeRule::AnyOf(&["account", "lead"], &["email", "note"]),
    TypeRule::AtMostOne(&["account", "lead"], ALL),
];

const FILTERS: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "activity type to list (else call, email, note, meeting in turn)").conv(Conv::Map(READ_TYPES)),
    FieldMap::query("contact_id", "contact_id"),
    FieldMap::query("account_id", "lead_id"),
    FieldMap::custom("created_at", "?date_created__gt/gte/lt/lte"),
    FieldMap::local("updated_at"),
];

const RETURNS: &[&str] = &[
    "id", "engagement_type", "subject", "content", "owner", "contacts", "account", "start_time", "duration", "direction", "status", "phone_numbers", "created_at", "updated_at",
];

const EMAIL_STATUS: &[(&str, &str)] = &[("inbox", "inbox"), ("draft", "draft"), ("scheduled", "scheduled"), ("outbox", "outbox"), ("sent", "sent")];
/// Calls say inbound/outbound; emails say incoming/outgoing.
const DIRECTION: &[(&str, &str)] = &[("inbound", "inbound"), ("outbound", "outbound"), ("incoming", "inbound"), ("outgoing", "outbound")];

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    if let Some(token) = account.credential_opt("access_token") {
        return Ok(req.secret_header("authorization", format!("Bearer {token}")));
    }
    Ok(req.secret_header("authorization", basic(account.credential("api_key")?, "")))
}

fn check(fields: &Map<String, Value>) -> Vec<Issue> {
    let mut issues = eng::check_types("close", fields, TYPE_RULES);
    issues.extend(eng::no_phone_extensions("close", fields));
    issues.extend(email_status_needs(fields));
    issues
}

/// Emails Close rejects without `sender` (and `scheduled` without `date_scheduled`),
/// per developer.close.com emails/create.md and the 2025-12-17 changelog.
const NEEDS_SENDER: &[&str] = &["inbox", "scheduled", "outbox"];

fn email_status_needs(fields: &Map<String, Value>) -> Vec<Issue> {
    let mut issues = Vec::new();
    let status = fields.get("status").and_then(Value::as_str);
    let Some(status) = status.filter(|_| eng::engagement_type(fields) == Some("email")) else { return issues };
    let remote = |k: &str| fields.get("remote_data").and_then(|r| r.get(k)).filter(|v| v.as_str().is_some_and(|s| !s.trim().is_empty()));
    if NEEDS_SENDER.contains(&status) && remote("sender").is_none() {
        issues.push(
            Issue::new(
                "body.remote_data.sender",
                IssueCode::Required,
                format!("Close requires a sender (\"Name\" <address>) for an email with status {status}; the unified model has no sender field, so pass it as remote_data.sender"),
            )
            .with_meta(json!({ "provider": "close", "statuses": NEEDS_SENDER })),
        );
    }
    if status == "scheduled" && !eng::present(fields, "start_time") && remote("date_scheduled").is_none() {
        issues.push(Issue::new("body.start_time", IssueCode::Required, "a scheduled email is sent at start_time (Close's date_scheduled)").with_meta(json!({ "provider": "close" })));
    }
    issues
}

fn create_body(ctx: &Ctx, kind: &str) -> Value {
    let f = ctx.fields;
    let mut b = crate::unified::mapping::apply(ctx.op.fields, f).body;
    let activity_at = b.get("activity_at").cloned();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            b.insert(k.to_string(), v);
        }
    };
    put("lead_id", eng::first_ref_id(f, "account").or_else(|| eng::first_ref_id(f, "lead")).map(Value::String));
    put("contact_id", eng::first_ref_id(f, "contacts").map(Value::String));
    let content = f.get("content").cloned();
    match kind {
        "call" => {
            put("note", content);
            put("duration", f.get("duration").cloned());
            put("direction", f.get("direction").cloned());
            put("phone", f.get("phone_numbers").and_then(|p| p.get(0)).and_then(|p| p.get("number")).cloned());
            put("custom_fields", f.get("custom_fields").cloned());
        }
        "email" => {
            put("body_text", content);
            put("subject", f.get("subject").cloned());
            let status = f.get("status").and_then(Value::as_str);
            put("status", status.map(|s| json!(s)));
            if status == Some("scheduled") {
                put("date_scheduled", activity_at);
            }
        }
        _ => {
            put("note", content);
            put("title", f.get("subject").cloned());
        }
    }
    let mut body = Value::Object(b);
    if let Some(extra) = ctx.remote_data {
        crate::codec::json::merge(&mut body, extra);
    }
    body
}

fn activity_url(ctx: &Ctx, kind: &str, id: Option<&str>) -> crate::codec::http::UrlBuilder {
    let url = ctx.url().path("/api/v1/activity/").path(kind);
    match id {
        Some(id) => url.seg(id).path("/"),
        None => url.path("/"),
    }
}

fn start_create(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    let kind = eng::engagement_type(ctx.fields).unwrap_or_default();
    let req = ctx.request(Method::Post, activity_url(ctx, kind, None).build())?.json(create_body(ctx, kind));
    Single::boxed(req, |_, body, w| Ok((map_activity(body, w)?, body)))
}

fn start_get(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    let (kind, native) = eng::split_typed_id(ctx, KINDS, None)?;
    let url = activity_url(ctx, kind, Some(native)).queries(ctx.query.remote_query.iter().cloned()).build();
    Single::boxed(ctx.request(Method::Get, url)?, |_, body, w| Ok((map_activity(body, w)?, body)))
}

fn page_request(ctx: &Ctx, kind: &'static str, state: &Value) -> Result<HttpRequest> {
    let mut url = activity_url(ctx, kind, None)
        .query("_limit", eng::page_size(ctx, 100, 100).to_string())
        .query("_skip", crate::provider::state_count(state, "skip", 0)?.to_string())
        .queries(ctx.table_query());
    if let Some(v) = ctx.fields.get("created_at") {
        for (op, bound) in as_range("created_at", v) {
            url = url.query(&format!("date_created__{op}"), bound.as_str().and_then(crate::codec::datetime::iso_from_str).unwrap_or_default());
        }
    }
    ctx.request(Method::Get, url.build())
}

fn parse_page<'a>(_: &Ctx, _: &'static str, state: &Value, _: &HttpResponse, body: Json<'a>) -> Result<RawPage<'a>> {
    let items: Vec<Json<'a>> = body.get("data").and_then(Json::items).ok_or_else(|| Error::protocol("close", "list response has no data array"))?.collect();
    let next = if body.get("has_more").and_then(Json::as_bool) == Some(true) {
        Some(json!({ "skip": crate::provider::next_count(crate::provider::state_count(state, "skip", 0)?, items.len() as u64)? }))
    } else {
        None
    };
    Ok(RawPage { items, next, at: Some(&["data"]) })
}

fn map_activity(a: Json<'_>, w: &mut Vec<Warning>) -> Result<Record> {
    let id = a.get_str("id").ok_or_else(|| Error::protocol("close", "activity has no id"))?;
    let raw_type = a.get_str("_type").unwrap_or_default();
    let kind = KINDS.iter().copied().find(|k| k.eq_ignore_ascii_case(raw_type));
    let Some(kind) = kind else {
        return Err(Error::protocol("close", format!("unexpected activity type {raw_type:?}")));
    };
    let text = |k: &str| a.field(k);
    let mut r = Record::new();
    r.insert("id", json!(eng::typed_id(kind, id)));
    r.insert("engagement_type", json!(kind));
    r.insert("subject", match kind {
        "email" => text("subject"),
        "note" => text("title"),
        _ => Value::Null,
    });
    r.insert("content", match kind {
        "email" => text("body_text"),
        "call" | "note" => text("note"),
        _ => Value::Null,
    });
    r.insert("owner", crate::codec::json::id_ref(a.get("user_id")));
    r.insert("contacts", eng::ref_list([a.get("contact_id")]));
    r.insert("account", crate::codec::json::id_ref(a.get("lead_id")));
    r.insert("start_time", iso_or_null(a.get("activity_at")));
    r.insert("duration", if kind == "call" { crate::codec::numbers::provider_secs("duration", a.get("duration"), 1, w) } else { Value::Null });
    r.insert("direction", if matches!(kind, "call" | "email") { eng::map_value(DIRECTION, a.get_str("direction"), "direction", w) } else { Value::Null });
    r.insert("status", if kind == "email" { map_status(EMAIL_STATUS, a.get_str("status"), w) } else { Value::Null });
    r.insert("phone_numbers", eng::phone_list(a.get("phone").filter(|_| kind == "call")));
    r.insert("created_at", iso_or_null(a.get("date_created")));
    r.insert("updated_at", iso_or_null(a.get("date_updated")));
    Ok(r)
}

#[cfg(test)]
mod tests;
