//! Capsule CRM (API v2) — history entries and tasks as CRM engagements.
//! Docs: https://developer.capsulecrm.com/v2/operations/Entry, /v2/operations/Task,
//! /v2/operations/Activity_Type. Base `https://api.capsulecrm.com/api/v2`, one host;
//! auth `Authorization: Bearer <token>` (account credential `access_token`).
//! Notes, calls and meetings are all *entries* (`POST /entries`, body `{"entry": …}`):
//! the API creates only `type: "note"` entries and tells calls and meetings apart by the
//! entry's `activityType`. Activity types are editable per account, so for a call or
//! meeting crosswalk first reads `GET /activitytypes` and picks the one named "Call" /
//! "Meeting" (case-insensitive); `remote_data.entry.activityType` skips the lookup. The
//! lookup only reads, so a failed create after it is a plain remote error. Tasks are
//! `POST /tasks` (`{"task": …}`). Emails arrive by mail drop and cannot be created.
//! An entry belongs to exactly one party (contact or organisation), opportunity or
//! project (`kase`); a task to at most one: several links are a validation error.
//! Task `dueTime` is in the *user's* timezone, not UTC, so crosswalk sends only `dueOn`
//! (the UTC date of `start_time`). Lists page with `page`/`perPage` and an RFC 8288
//! `Link` header, rebased on the account's origin.
//! Entries and tasks number their records apart, so unified ids carry the type: a
//! task is `task:493`, an entry `note:11`, `call:102`, `meeting:…` or `email:…` —
//! or `entry:12` when its type does not say it is an entry (a completed-task entry,
//! an unknown activity type). `get` reads `/tasks` or `/entries` from that; a plain
//! id is taken with the `engagement_type` query (task → `/tasks`, others → `/entries`).
//! Sources: tests/fixtures/capsule/README.md.

use crate::unified::record::Record;
use crate::provider::auth::{Grant, OAuthDef};
use serde_json::{json, Map, Value};

use crate::provider::account::Account;
use crate::codec::datetime::iso_or_null;
use crate::codec::doc::Json;
use crate::codec::json::id_ref;
use crate::error::{Error, Issue, IssueCode, Result, Warning};
use crate::codec::http::{HttpRequest, HttpResponse, Method};
use crate::unified::schema::{FieldMap, Rule, UnifiedMethod};

use crate::providers::crm_engagements::{self as eng, TypeRule, TypedPages};
use crate::provider::{link_next, rebase_on_origin, Ctx, Exchange, Next, OpDef, ProviderDef, RawPage, Single};

/// OAuth: https://developer.capsulecrm.com/v2/overview/authentication (Bearer tokens
/// from the OAuth 2 flow or personal tokens); endpoints api.capsulecrm.com
/// /oauth/authorise and /oauth/token, scopes `read write`, and a token answer with
/// `expires_in` and a refresh token (Capsule's basic-auth migration page).
const OAUTH: OAuthDef = OAuthDef {
    authorize_url: Some("https://api.capsulecrm.com/oauth/authorise"),
    token_url: "https://api.capsulecrm.com/oauth/token",
    hosts: &["api.capsulecrm.com"],
    grants: &[Grant::AuthorizationCode, Grant::RefreshToken],
    scopes: &["read", "write"],
    notes: "personal tokens or OAuth; the token answer carries expires_in and a refresh token",
    ..OAuthDef::DEFAULTS
};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "capsule",
    label: "Capsule CRM",
    docs: "https://developer.capsulecrm.com/v2/",
    hosts: &["api.capsulecrm.com"],
    origin: |_| Ok("https://api.capsulecrm.com".into()),
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
            start: |_| Ok(Box::new(Create { lookup_done: false })),
            check: Some(check_create),
            notes: "note/call/meeting → POST /entries (call and meeting activity types looked up by name), task → POST /tasks (dueOn only: Capsule's dueTime is in the user's timezone)",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::List,
            fields: LIST,
            returns: RETURNS,
            start: start_list,
            check: Some(check_list),
            notes: "entries (notes, calls, meetings, emails, completed tasks) then open/pending tasks; with contact_id/account_id, the party's entries only",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::Get,
            fields: GET,
            returns: RETURNS,
            start: |ctx| {
                let (kind, id) = eng::split_typed_id(ctx, ID_KINDS, None)?;
                let path = if kind == "task" { "/api/v2/tasks" } else { "/api/v2/entries" };
                Single::boxed(ctx.request(Method::Get, ctx.url().path(path).seg(id).build())?, map_created)
            },
            check: None,
            notes: "ids are {type}:{Capsule id}: task → /tasks/{id}, any other → /entries/{id}; a plain id needs ?engagement_type",
        },
    ],
};

const TYPES: &[&str] = &["note", "call", "meeting", "task"];
const LIST_TYPES: &[&str] = &["note", "call", "meeting", "email", "task"];
/// What a typed id can start with: task → `/tasks`, the rest → `/entries`.
const ID_KINDS: &[&str] = &["note", "call", "meeting", "email", "entry", "task"];
const ENTRY_TYPES: &[&str] = &["note", "call", "meeting", "email"];
const PARENTS: &[&str] = &["contacts", "account", "opportunity", "project"];

const CREATE: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "note/call/meeting → POST /entries (activityType), task → POST /tasks").required().rules(&[Rule::OneOf(TYPES)]),
    FieldMap::custom("content", "entry: content; task: detail"),
    FieldMap::custom("subject", "task: description"),
    FieldMap::custom("owner", "task: owner"),
    FieldMap::custom("contacts", "party").rules(&[Rule::MaxItems(1)]),
    FieldMap::custom("account", "party (organisations are parties)"),
    FieldMap::custom("opportunity", "opportunity"),
    FieldMap::custom("project", "kase"),
    FieldMap::custom("start_time", "entry: entryAt; task: dueOn (UTC date)"),
];

/// An entry belongs to exactly one parent, a task to at most one.
const TYPE_RULES: &[TypeRule] = &[
    TypeRule::Only("subject", &["task"]),
    TypeRule::Only("owner", &["task"]),
    TypeRule::AnyOf(PARENTS, &["note", "call", "meeting"]),
    TypeRule::AtMostOne(PARENTS, TYPES),
    TypeRule::Required("content", &["note", "call", "meeting"]),
    TypeRule::Required("subject", &["task"]),
    TypeRule::Required("start_time", &["task"]),
];

const LIST: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "task → /tasks; other types → /entries, narrowed by activity type").rules(&[Rule::OneOf(LIST_TYPES)]),
    FieldMap::custom("contact_id", "/parties/{id}/entries"),
    FieldMap::custom("account_id", "/parties/{id}/entries"),
    FieldMap::local("created_at"),
    FieldMap::local("updated_at"),
];

const GET: &[FieldMap] = &[FieldMap::custom("engagement_type", "with a plain id: task → /tasks/{id}, others → /entries/{id}").rules(&[Rule::OneOf(LIST_TYPES)])];

const RETURNS: &[&str] = &[
    "id", "engagement_type", "content", "subject", "owner", "contacts", "account", "opportunity", "project", "start_time", "created_at", "updated_at",
];

/// Unified type → the activity type name Capsule ships with.
const ACTIVITY_NAMES: &[(&str, &str)] = &[("call", "Call"), ("meeting", "Meeting"), ("note", "Note")];

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    let token = account.credential("access_token")?;
    Ok(req.secret_header("authorization", format!("Bearer {token}")).header("accept", "application/json"))
}

fn check_create(f: &Map<String, Value>) -> Vec<Issue> {
    let mut issues = eng::check_types("capsule", f, TYPE_RULES);
    issues.extend(eng::int_id_issues("capsule", f, &["owner", "contacts", "account", "opportunity", "project"]));
    issues
}

fn check_list(f: &Map<String, Value>) -> Vec<Issue> {
    let party = f.contains_key("contact_id") || f.contains_key("account_id");
    if let Some(conflict) = eng::one_list_parent(f, "capsule lists one party's entries at a time: send contact_id or account_id") {
        return vec![conflict];
    }
    if party && eng::engagement_type(f) == Some("task") {
        return vec![Issue::new("query.engagement_type", IssueCode::Conflict, "capsule cannot list tasks by party; open tasks are listed account-wide, completed ones are entries")];
    }
    Vec::new()
}

/// The one parent link, as Capsule's nested `{ "id": n }`.
fn parent(ctx: &Ctx) -> Option<(&'static str, Value)> {
    [("contacts", "party"), ("account", "party"), ("opportunity", "opportunity"), ("project", "kase")]
        .into_iter()
        .find_map(|(field, key)| eng::ref_json(ctx.fields, field, true).map(|id| (key, json!({ "id": id }))))
}

fn create_request(ctx: &Ctx, activity_type: Option<Value>) -> Result<HttpRequest> {
    let f = ctx.fields;
    let is_task = eng::engagement_type(f) == Some("task");
    let mut obj = Map::new();
    if let Some((key, link)) = parent(ctx) {
        obj.insert(key.into(), link);
    }
    let start = f.get("start_time").and_then(Value::as_str).and_then(crate::codec::datetime::parse_datetime);
    if is_task {
        obj.insert("description".into(), f.get("subject").cloned().unwrap_or(Value::Null));
        if let Some(c) = f.get("content") {
            obj.insert("detail".into(), c.clone());
        }
        if let Some(dt) = start {
            obj.insert("dueOn".into(), json!(crate::codec::datetime::date_only(dt)));
        }
        if let Some(owner) = eng::ref_json(f, "owner", true) {
            obj.insert("owner".into(), json!({ "id": owner }));
        }
    } else {
        obj.insert("type".into(), json!("note"));
        obj.insert("content".into(), f.get("content").cloned().unwrap_or(Value::Null));
        if let Some(dt) = start {
            obj.insert("entryAt".into(), json!(crate::codec::datetime::iso_utc(dt)));
        }
        if let Some(id) = activity_type {
            obj.insert("activityType".into(), json!({ "id": id }));
        }
    }
    let mut wrapper = Map::new();
    wrapper.insert(if is_task { "task" } else { "entry" }.into(), Value::Object(obj));
    let mut body = Value::Object(wrapper);
    if let Some(extra) = ctx.remote_data {
        crate::codec::json::merge(&mut body, extra);
    }
    let path = if is_task { "/api/v2/tasks" } else { "/api/v2/entries" };
    Ok(ctx.request(Method::Post, ctx.url().path(path).build())?.json(body))
}

/// Calls and meetings need the account's activity type id (unless the caller gave one).
fn needs_lookup(ctx: &Ctx) -> Option<&'static str> {
    let ty = eng::engagement_type(ctx.fields)?;
    let given = ctx.remote_data.and_then(|r| r.pointer("/entry/activityType")).is_some();
    (!given && matches!(ty, "call" | "meeting")).then(|| ACTIVITY_NAMES.iter().find(|(t, _)| *t == ty).map(|(_, n)| *n)).flatten()
}

/// Create: an optional activity-type lookup (a read), then the create.
struct Create {
    lookup_done: bool,
}

impl Exchange for Create {
    fn start(&mut self, ctx: &Ctx) -> Result<Next> {
        if needs_lookup(ctx).is_some() {
            let url = ctx.url().path("/api/v2/activitytypes").query("perPage", "100").build();
            return Ok(Next::Send(ctx.request(Method::Get, url)?));
        }
        self.lookup_done = true;
        Ok(Next::Send(create_request(ctx, None)?))
    }

    fn on_success(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        let doc = resp.doc("capsule")?;
        let body = doc.root();
        if !self.lookup_done {
            self.lookup_done = true;
            let id = activity_type_id(ctx, resp, body)?;
            return Ok(Next::Send(create_request(ctx, Some(id))?));
        }
        if ctx.raw() {
            return Ok(Next::Record { record: Record::new(), raw: body.to_value().into(), warnings: Vec::new() });
        }
        let mut warnings = Vec::new();
        let (record, raw) = map_created(ctx, body, &mut warnings)?;
        Ok(Next::Record { record, raw: ctx.raw_record(raw), warnings })
    }
}

/// Finds the activity type named for the requested engagement type.
fn activity_type_id(ctx: &Ctx, resp: &HttpResponse, body: Json<'_>) -> Result<Value> {
    let wanted = needs_lookup(ctx).unwrap_or_default();
    let types = body.get("activityTypes").and_then(Json::items).ok_or_else(|| Error::protocol("capsule", "activity types response has no activityTypes array"))?;
    let found = types.clone().find(|t| t.get_str("name").is_some_and(|n| n.eq_ignore_ascii_case(wanted)));
    if let Some(id) = found.and_then(|t| t.get("id")).filter(|id| id.as_i64().is_some()) {
        return Ok(id.to_value());
    }
    let names: Vec<&str> = types.filter_map(|t| t.get_str("name")).collect();
    let more = if link_next(resp.header("link")).is_some() { " among its first 100 activity types" } else { "" };
    Err(Error::one_issue(
        Some("capsule"),
        Issue::new(
            "body.engagement_type",
            IssueCode::NotOneOf,
            format!("this Capsule account has no activity type named {wanted:?}{more}; set remote_data.entry.activityType to choose one"),
        )
        .with_meta(json!({ "provider": "capsule", "available": names })),
    ))
}

/// `{"entry": …}` or `{"task": …}` → unified.
fn map_created<'a>(ctx: &Ctx, body: Json<'a>, w: &mut Vec<Warning>) -> Result<(Record, Json<'a>)> {
    let (kind, record) = match (body.get("entry"), body.get("task")) {
        (Some(e), _) if e.is_object() => ("entries", e),
        (_, Some(t)) if t.is_object() => ("tasks", t),
        _ => return Err(Error::protocol("capsule", "response has no entry or task object")),
    };
    if record.get("id").is_none() {
        return Err(Error::protocol("capsule", "record has no id"));
    }
    let mut r = to_unified(kind, record, w);
    // A fresh entry may come back without its activity type's name: it is the one
    // sent (or the one its id names).
    if r.get("engagement_type").is_some_and(Value::is_null) {
        if let Some(ty) = eng::answered_kind(ctx, ID_KINDS, None).ok().filter(|t| ENTRY_TYPES.contains(t)) {
            r.insert("engagement_type", json!(ty));
            r.insert("id", unified_id(kind, Some(ty), record));
            w.retain(|x| x.field != "engagement_type");
        }
    }
    Ok((r, record))
}

/// An entry's unified type: emails and completed tasks by `type`; notes by their
/// activity type's name (no activity type means Note).
fn entry_type(e: Json<'_>, w: &mut Vec<Warning>) -> Value {
    match e.get_str("type") {
        Some("email") => return json!("email"),
        Some("task") => return json!("task"),
        _ => {}
    }
    let Some(name) = e.pointer("/activityType/name").and_then(Json::as_str) else {
        return if e.get("activityType").is_some_and(|a| !a.is_null()) { Value::Null } else { json!("note") };
    };
    match ACTIVITY_NAMES.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)) {
        Some((t, _)) => json!(t),
        None => {
            eng::unknown_type_warning(w, name);
            Value::Null
        }
    }
}

/// The typed id of a record read from `kind` (entries, tasks or open tasks).
fn unified_id(kind: &str, engagement_type: Option<&str>, x: Json<'_>) -> Value {
    let prefix = match engagement_type {
        _ if kind != "entries" => "task",
        Some(t) if ENTRY_TYPES.contains(&t) => t,
        _ => "entry",
    };
    json!(crate::codec::json::id_string(x.get("id")).map(|id| eng::typed_id(prefix, &id)))
}

fn to_unified(kind: &str, x: Json<'_>, w: &mut Vec<Warning>) -> Record {
    let mut r = Record::new();
    let task = kind != "entries";
    let engagement_type = if task { json!("task") } else { entry_type(x, w) };
    r.insert("id", unified_id(kind, engagement_type.as_str(), x));
    r.insert("engagement_type", engagement_type);
    r.insert("content", x.field(if task { "detail" } else { "content" }));
    r.insert("subject", x.field(if task { "description" } else { "subject" }));
    r.insert("owner", id_ref(x.pointer(if task { "/owner/id" } else { "/creator/id" })));
    let party = x.get("party").filter(|p| p.is_object());
    let is_org = party.and_then(|p| p.get_str("type")) == Some("organisation");
    let party_ref = id_ref(party.and_then(|p| p.get("id")));
    r.insert("contacts", if !is_org && !party_ref.is_null() { json!([party_ref]) } else { json!([]) });
    r.insert("account", if is_org { party_ref } else { Value::Null });
    r.insert("opportunity", id_ref(x.pointer("/opportunity/id")));
    r.insert("project", id_ref(x.pointer("/kase/id")));
    // dueOn is a date; it reads as midnight UTC (dueTime, in the user's zone, stays in remote_data).
    r.insert("start_time", iso_or_null(x.get(if task { "dueOn" } else { "entryAt" })));
    r.insert("created_at", iso_or_null(x.get("createdAt")));
    r.insert("updated_at", iso_or_null(x.get("updatedAt")));
    r
}

fn start_list(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    let party = ctx.fields.contains_key("contact_id") || ctx.fields.contains_key("account_id");
    let (kinds, notice) = match (eng::engagement_type(ctx.fields), party) {
        (Some("task"), _) => (vec!["tasks"], None),
        (Some(_), _) => (vec!["entries"], None),
        (None, false) => (vec!["entries", "open_tasks"], None),
        (None, true) => (
            vec!["entries"],
            Some(Warning { field: "query.contact_id".into(), code: crate::error::WarningCode::PartialListing, message: "capsule cannot list tasks by party: open tasks are not included (completed ones are entries)".into() }),
        ),
    };
    TypedPages::with_notice(kinds, list_request, list_parse, |_, kind, item, w| Ok(to_unified(kind, item, w)), notice)
}

fn list_request(ctx: &Ctx, kind: &'static str, state: &Value) -> Result<HttpRequest> {
    // A next-page path from the Link header, on our origin and (the cursor is
    // caller-held) on one of the list endpoints this op pages through.
    if let Some(path) = state.get("path").and_then(Value::as_str).filter(|p| is_list_path(p)) {
        let url = rebase_on_origin(&format!("https://x{path}"), ctx.origin).ok_or_else(|| Error::InvalidCursor { reason: "bad next page path".into() })?;
        return ctx.request(Method::Get, url);
    }
    let party = ctx.field_str("contact_id").or_else(|| ctx.field_str("account_id"));
    let url = match (kind, party) {
        ("entries", Some(id)) => ctx.url().path("/api/v2/parties").seg(id).path("/entries").query("perPage", eng::page_size(ctx, 50, 50).to_string()),
        ("entries", None) => ctx.url().path("/api/v2/entries").query("perPage", eng::page_size(ctx, 50, 100).to_string()),
        _ => ctx
            .url()
            .path("/api/v2/tasks")
            .query("perPage", eng::page_size(ctx, 50, 100).to_string())
            .query("status", if kind == "tasks" { "open,completed,pending" } else { "open,pending" }),
    };
    ctx.request(Method::Get, url.queries(ctx.query.remote_query.iter().cloned()).build())
}

/// `/api/v2/entries`, `/api/v2/parties/{id}/entries` or `/api/v2/tasks`, with any query.
fn is_list_path(p: &str) -> bool {
    let path = p.split('?').next().unwrap_or("");
    let party = path.strip_prefix("/api/v2/parties/").and_then(|r| r.strip_suffix("/entries")).is_some_and(|id| !id.is_empty() && !id.contains('/'));
    party || path == "/api/v2/entries" || path == "/api/v2/tasks"
}

fn list_parse<'a>(ctx: &Ctx, kind: &'static str, _state: &Value, resp: &HttpResponse, body: Json<'a>) -> Result<RawPage<'a>> {
    let key = if kind == "entries" { "entries" } else { "tasks" };
    let items = body.get(key).and_then(Json::items).ok_or_else(|| Error::protocol("capsule", format!("list response has no {key} array")))?.collect();
    let next = link_next(resp.header("link")).and_then(|u| rebase_on_origin(&u, ctx.origin)).map(|u| {
        let path = u.strip_prefix(ctx.origin.as_str()).unwrap_or(&u).to_string();
        json!({ "path": path })
    });
    let at: &'static [&'static str] = if kind == "entries" { &["entries"] } else { &["tasks"] };
    Ok(RawPage { items, next, at: Some(at) })
}

#[cfg(test)]
mod tests;
