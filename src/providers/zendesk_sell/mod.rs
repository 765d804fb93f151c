//! Zendesk Sell (Core API v2, formerly Base CRM) — calls, notes and tasks as CRM engagements.
//! Docs: https://developer.zendesk.com/api-reference/sales-crm/introduction/ (resources calls, notes, tasks).
//! Base `https://api.getbase.com/v2`, one global host. Auth: `Authorization: Bearer <token>`
//! (personal access token or OAuth token, account credential `access_token`).
//! Request bodies are wrapped as `{"data": {…}}`; a single record answers `{"data": …, "meta": …}`
//! and a list `{"items": [{"data": …, "meta": …}], "meta": {"links": {"next_page": …}}}`.
//! Each engagement type is its own resource: call → `/v2/calls`, note → `/v2/notes`,
//! task → `/v2/tasks`. Sell has no meeting, email or chat resource: those types are
//! rejected before any request. A record hangs off one resource (`resource_type`
//! contact | lead | deal + `resource_id`); calls link deals separately through
//! `associated_deal_ids`. Several parents in one unified body are a validation error.
//! Each resource numbers its own records, so unified ids carry the type (`call:171`)
//! and `get` reads the resource from them; a plain id is taken with the
//! `engagement_type` query. `list` without a type walks calls, notes and tasks in
//! turn. Provider ids are integers.
//! Sources and examples: tests/fixtures/zendesk_sell/README.md.

use crate::unified::record::Record;
use crate::provider::auth::{ClientAuth, Grant, OAuthDef};
use serde_json::{json, Map, Value};

use crate::provider::account::Account;
use crate::codec::datetime::{iso_or_null, to_iso};
use crate::codec::doc::Json;
use crate::codec::json::id_ref;
use crate::error::{Error, Issue, Result, Warning};
use crate::codec::http::{HttpRequest, HttpResponse, Method};
use crate::unified::models::DIRECTIONS;
use crate::unified::schema::{FieldMap, Rule, UnifiedMethod};

use crate::providers::crm_engagements::{self as eng, TypeRule, TypedPages};
use crate::provider::{Ctx, OpDef, ProviderDef, RawPage, Single};

/// OAuth: api.getbase.com/oauth2/authorize and /oauth2/token with Basic client
/// authentication (Nango's provider registry); a refresh answers `expires_in: 3599`
/// and a refresh token, scopes `read write profile` (Zendesk community thread
/// 5003737490458).
const OAUTH: OAuthDef = OAuthDef {
    authorize_url: Some("https://api.getbase.com/oauth2/authorize"),
    token_url: "https://api.getbase.com/oauth2/token",
    hosts: &["api.getbase.com"],
    grants: &[Grant::AuthorizationCode, Grant::RefreshToken],
    client_auth: ClientAuth::Basic,
    scopes: &["read", "write", "profile"],
    notes: "access tokens expire after about 1 hour (expires_in 3599)",
    ..OAuthDef::DEFAULTS
};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "zendesk_sell",
    label: "Zendesk Sell",
    docs: "https://developer.zendesk.com/api-reference/sales-crm/introduction/",
    hosts: &["api.getbase.com"],
    origin: |_| Ok("https://api.getbase.com".into()),
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
            start: |ctx| {
                let ty = eng::engagement_type(ctx.fields).unwrap_or_default();
                let mut body = json!({ "data": Value::Object(create_data(ctx, ty)) });
                if let Some(extra) = ctx.remote_data {
                    crate::codec::json::merge(&mut body, extra);
                }
                Single::boxed(ctx.request(Method::Post, ctx.url().path("/v2/").path(resource(ty)).build())?.json(body), map_single)
            },
            check: Some(check_create),
            notes: "call → /v2/calls, note → /v2/notes, task → /v2/tasks (meeting, email, chat are not Sell resources); one parent per record; calls have no created_at",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::List,
            fields: LIST,
            returns: RETURNS,
            start: |ctx| TypedPages::boxed(eng::listed_kinds(ctx, TYPES), list_request, list_parse, |_, kind, item, w| Ok(to_unified(kind, item, w))),
            check: Some(conflicting_filters),
            notes: "without engagement_type, calls, notes and tasks are listed in turn; created_at/updated_at are applied by crosswalk",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::Get,
            fields: GET,
            returns: RETURNS,
            start: |ctx| {
                let (ty, id) = eng::split_typed_id(ctx, TYPES, None)?;
                Single::boxed(ctx.request(Method::Get, ctx.url().path("/v2/").path(resource(ty)).seg(id).build())?, map_single)
            },
            check: None,
            notes: "ids are {type}:{Sell id} (call:171); a plain id needs ?engagement_type, which selects /v2/calls, /v2/notes or /v2/tasks",
        },
    ],
};

const TYPES: &[&str] = &["call", "note", "task"];

const CREATE: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "call → POST /v2/calls, note → /v2/notes, task → /v2/tasks").required().rules(&[Rule::OneOf(TYPES)]),
    FieldMap::custom("content", "call: summary; note, task: content"),
    FieldMap::custom("owner", "call: user_id; task: owner_id"),
    FieldMap::custom("contacts", "resource_type \"contact\" + resource_id").rules(&[Rule::MaxItems(1)]),
    FieldMap::custom("account", "resource_type \"contact\" + resource_id (Sell organizations are contacts)"),
    FieldMap::custom("lead", "resource_type \"lead\" + resource_id").rules(&[Rule::MaxItems(1)]),
    FieldMap::custom("opportunity", "call: associated_deal_ids; note, task: resource_type \"deal\" + resource_id"),
    FieldMap::custom("direction", "call: incoming + missed").rules(&[Rule::OneOf(DIRECTIONS)]),
    FieldMap::custom("duration", "call: duration (seconds)").rules(&[Rule::Range(0, i32::MAX as i64)]),
    FieldMap::custom("start_time", "call: made_at; task: due_date"),
    FieldMap::custom("phone_numbers", "call: phone_number").rules(&[Rule::MaxItems(1)]),
];

/// Fields only some types carry, and the one parent: calls link deals through
/// associated_deal_ids, next to their one contact or lead.
const TYPE_RULES: &[TypeRule] = &[
    TypeRule::Only("owner", &["call", "task"]),
    TypeRule::Only("direction", &["call"]),
    TypeRule::Only("duration", &["call"]),
    TypeRule::Only("phone_numbers", &["call"]),
    TypeRule::Only("start_time", &["call", "task"]),
    TypeRule::AtMostOne(&["contacts", "account", "lead"], &["call"]),
    TypeRule::AtMostOne(&["contacts", "account", "lead", "opportunity"], &["note", "task"]),
    TypeRule::Required("content", &["note", "task"]),
];

const LIST: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "selects /v2/calls, /v2/notes or /v2/tasks; without it all three in turn").rules(&[Rule::OneOf(TYPES)]),
    FieldMap::custom("contact_id", "?resource_type=contact&resource_id="),
    FieldMap::custom("account_id", "?resource_type=contact&resource_id= (organizations are contacts)"),
    FieldMap::local("created_at"),
    FieldMap::local("updated_at"),
];

const GET: &[FieldMap] = &[FieldMap::custom("engagement_type", "with a plain id: selects /v2/calls, /v2/notes or /v2/tasks").rules(&[Rule::OneOf(TYPES)])];

const RETURNS: &[&str] = &[
    "id", "engagement_type", "content", "owner", "contacts", "lead", "opportunity", "direction", "duration", "start_time", "phone_numbers", "created_at", "updated_at",
];

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    let token = account.credential("access_token")?;
    Ok(req.secret_header("authorization", format!("Bearer {token}")).header("accept", "application/json"))
}

fn resource(ty: &str) -> &'static str {
    match ty {
        "call" => "calls",
        "task" => "tasks",
        _ => "notes",
    }
}

fn check_create(f: &Map<String, Value>) -> Vec<Issue> {
    let mut issues = eng::check_types("zendesk_sell", f, TYPE_RULES);
    issues.extend(eng::int_id_issues("zendesk_sell", f, &["owner", "contacts", "account", "lead", "opportunity"]));
    issues.extend(eng::phone_numbers_need_numbers(f));
    issues
}

fn conflicting_filters(f: &Map<String, Value>) -> Vec<Issue> {
    eng::one_list_parent(f, "zendesk_sell filters by one resource at a time: send contact_id or account_id").into_iter().collect()
}

/// The `data` object of a create, per type.
fn create_data(ctx: &Ctx, ty: &str) -> Map<String, Value> {
    let f = ctx.fields;
    let mut d = Map::new();
    let id = |name| eng::ref_json(f, name, true);
    if let Some(c) = f.get("content") {
        d.insert(if ty == "call" { "summary" } else { "content" }.into(), c.clone());
    }
    let parent = [("contacts", "contact"), ("account", "contact"), ("lead", "lead"), ("opportunity", "deal")]
        .into_iter()
        .filter(|(field, _)| ty != "call" || *field != "opportunity")
        .find_map(|(field, kind)| id(field).map(|v| (kind, v)));
    if let Some((kind, v)) = parent {
        d.insert("resource_type".into(), json!(kind));
        d.insert("resource_id".into(), v);
    }
    let start = f.get("start_time").and_then(Value::as_str).and_then(crate::codec::datetime::iso_from_str);
    match ty {
        "call" => {
            if let Some(owner) = id("owner") {
                d.insert("user_id".into(), owner);
            }
            if let Some(deal) = id("opportunity") {
                d.insert("associated_deal_ids".into(), json!([deal]));
            }
            if let Some(dir) = f.get("direction").and_then(Value::as_str) {
                d.insert("incoming".into(), json!(dir != "outbound"));
                d.insert("missed".into(), json!(dir == "missed"));
            }
            if let Some(n) = f.get("duration") {
                d.insert("duration".into(), n.clone());
            }
            if let Some(t) = start {
                d.insert("made_at".into(), json!(t));
            }
            if let Some(n) = f.get("phone_numbers").and_then(|p| p.pointer("/0/number")) {
                d.insert("phone_number".into(), n.clone());
            }
        }
        "task" => {
            if let Some(owner) = id("owner") {
                d.insert("owner_id".into(), owner);
            }
            if let Some(t) = start {
                d.insert("due_date".into(), json!(t));
            }
        }
        _ => {}
    }
    d
}

fn map_single<'a>(ctx: &Ctx, body: Json<'a>, w: &mut Vec<Warning>) -> Result<(Record, Json<'a>)> {
    let data = body.get("data").filter(|d| d.is_object()).ok_or_else(|| Error::protocol("zendesk_sell", "response has no data object"))?;
    if data.get("id").is_none() {
        return Err(Error::protocol("zendesk_sell", "record has no id"));
    }
    Ok((to_unified(eng::answered_kind(ctx, TYPES, None)?, data, w), data))
}

/// A Sell call, note or task (the `data` object) as a unified engagement.
fn to_unified(ty: &str, d: Json<'_>, w: &mut Vec<Warning>) -> Record {
    let mut r = Record::new();
    let id = |k: &str| id_ref(d.get(k));
    r.insert("id", json!(crate::codec::json::id_string(d.get("id")).map(|id| eng::typed_id(ty, &id))));
    r.insert("engagement_type", json!(ty));
    r.insert("content", d.field(if ty == "call" { "summary" } else { "content" }));
    r.insert("owner", id(match ty {
        "call" => "user_id",
        "task" => "owner_id",
        _ => "creator_id",
    }));
    let resource = id("resource_id");
    let kind = d.get_str("resource_type");
    let one = |k: &str| if kind == Some(k) && !resource.is_null() { json!([resource]) } else { json!([]) };
    r.insert("contacts", one("contact"));
    r.insert("lead", one("lead"));
    let deal = if kind == Some("deal") { resource.clone() } else { id_ref(d.pointer("/associated_deal_ids/0")) };
    r.insert("opportunity", deal);
    let direction = match (d.get("missed").and_then(Json::as_bool), d.get("incoming").and_then(Json::as_bool)) {
        (Some(true), _) => json!("missed"),
        (_, Some(true)) => json!("inbound"),
        (_, Some(false)) => json!("outbound"),
        _ => Value::Null,
    };
    r.insert("direction", direction);
    r.insert("duration", crate::codec::numbers::provider_secs("duration", d.get("duration"), 1, w));
    let start = d.get(if ty == "task" { "due_date" } else { "made_at" }).and_then(to_iso);
    r.insert("start_time", json!(start));
    r.insert("phone_numbers", eng::phone_list(d.get("phone_number")));
    r.insert("created_at", iso_or_null(d.get("created_at")));
    r.insert("updated_at", iso_or_null(d.get("updated_at")));
    r
}

fn list_request(ctx: &Ctx, kind: &'static str, state: &Value) -> Result<HttpRequest> {
    let page = crate::provider::state_count(state, "page", 1)?;
    let party = ctx.field_str("contact_id").or_else(|| ctx.field_str("account_id"));
    let url = ctx
        .url()
        .path("/v2/")
        .path(resource(kind))
        .query("page", page.to_string())
        .query("per_page", eng::page_size(ctx, 25, 100).to_string())
        .query_opt("resource_type", party.map(|_| "contact"))
        .query_opt("resource_id", party)
        .queries(ctx.query.remote_query.iter().cloned())
        .build();
    ctx.request(Method::Get, url)
}

fn list_parse<'a>(ctx: &Ctx, _kind: &'static str, state: &Value, _resp: &HttpResponse, body: Json<'a>) -> Result<RawPage<'a>> {
    let items: Vec<Json<'a>> = match body.get("items").and_then(Json::items) {
        Some(items) => items.filter_map(|i| i.get("data")).collect(),
        None => return Err(Error::protocol("zendesk_sell", "list response has no items array")),
    };
    // `meta.links.next_page` is present exactly when there is another page; without
    // links, a full page may have a successor (the official client reads until empty).
    let more = match body.pointer("/meta/links") {
        Some(links) => links.get("next_page").is_some_and(|n| n.is_string()),
        None => items.len() as u32 >= eng::page_size(ctx, 25, 100),
    };
    let page = crate::provider::state_count(state, "page", 1)?;
    let next = if more { Some(json!({ "page": crate::provider::next_count(page, 1)? })) } else { None };
    // Each item is unwrapped from its `data` envelope: not verbatim.
    Ok(RawPage { items, next, at: None })
}

#[cfg(test)]
mod tests;
