//! Attio — notes and tasks as unified CRM engagements.
//! Docs: https://docs.attio.com/rest-api/endpoint-reference (notes, tasks); the
//! request/response schemas come from Attio's OpenAPI spec. Base
//! `https://api.attio.com`, `Authorization: Bearer <token>`. Bodies are wrapped
//! `{"data": {…}}` and so are responses; ids are composite
//! (`{workspace_id, note_id}`). Notes and tasks live at different paths and an id
//! does not say which, so the unified id is the type and the inner id
//! (`note:c4b8…`, `task:2bda…`); `get` reads the path from it (a plain id is taken
//! with the `engagement_type` query).
//!
//! Attio has no call, email or chat objects to write. Meetings are not offered:
//! `POST /v2/meetings` "always creates a new meeting", so a retried or repeated
//! create would duplicate it (see the fixture README). `remote_data` merges at the
//! body root, so Attio fields go under `data` (`{"data": {"meeting_id": …}}`).
//! A list takes `engagement_type` (note or task).
//! Sources and recorded examples: tests/fixtures/attio/README.md.

#[cfg(test)]
mod tests;

use crate::unified::record::Record;
use crate::provider::auth::{Grant, OAuthDef};
use serde_json::{json, Map, Value};

use crate::provider::account::Account;
use crate::codec::datetime::iso_or_null;
use crate::codec::doc::Json;
use crate::codec::json::{id_ref, id_string};
use crate::error::{Error, Issue, IssueCode, Result, Warning};
use crate::codec::http::{HttpRequest, HttpResponse, Method};
use crate::unified::schema::{Conv, FieldMap, Rule, UnifiedMethod};

use crate::providers::crm_engagements::{self as eng, TypeRule, TypedPages};
use crate::provider::{Ctx, Exchange, OpDef, ProviderDef, RawPage, Single};

/// OAuth: https://docs.attio.com/docs/oauth/token — the code exchange answers only
/// `access_token` and `token_type`: tokens do not expire and there is no refresh
/// token. No scope parameter (scopes are set on the app).
const OAUTH: OAuthDef = OAuthDef {
    authorize_url: Some("https://app.attio.com/authorize"),
    token_url: "https://app.attio.com/oauth/token",
    hosts: &["app.attio.com"],
    grants: &[Grant::AuthorizationCode],
    notes: "tokens do not expire and there is no refresh token: a revoked token needs a new connection",
    ..OAuthDef::DEFAULTS
};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "attio",
    label: "Attio",
    docs: "https://docs.attio.com/rest-api/overview",
    hosts: &["api.attio.com"],
    origin: |_| Ok("https://api.attio.com".into()),
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
            check: Some(check_create),
            notes: "note → POST /v2/notes (one parent record: a contact, account or opportunity; subject and content required); task → POST /v2/tasks (content ≤ 2000, linked records, assignee = owner, deadline = end_time). call, email, chat and meeting are not offered.",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::List,
            fields: LIST,
            returns: RETURNS,
            start: |ctx| TypedPages::boxed(vec![kind(ctx)], page_request, read_page, |_, kind, item, w| to_unified(kind, item, w)),
            check: Some(|f| eng::one_list_parent(f, "Attio filters by one parent record: give contact_id or account_id").into_iter().collect()),
            notes: "engagement_type (note or task) is required. limit/offset paging (notes: 50 per page at most).",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::Get,
            fields: &[FieldMap::custom("engagement_type", "with a plain id, the path: /v2/notes/{id} or /v2/tasks/{id}").rules(&[Rule::OneOf(TYPES)])],
            returns: RETURNS,
            start: |ctx| {
                let (kind, id) = eng::split_typed_id(ctx, TYPES, None)?;
                Single::boxed(ctx.request(Method::Get, ctx.url().path(path(kind)).seg(id).build())?, |ctx, body, w| {
                    let item = data(body)?;
                    Ok((to_unified(eng::answered_kind(ctx, TYPES, None)?, item, w)?, item))
                })
            },
            check: None,
            notes: "ids are {type}:{Attio id}: GET /v2/notes/{id} or /v2/tasks/{id}; a plain id needs ?engagement_type.",
        },
    ],
};

const TYPES: &[&str] = &["note", "task"];
const TYPE_RULES: &[TypeRule] = &[
    TypeRule::Required("subject", &["note"]),
    TypeRule::Only("owner", &["task"]),
    TypeRule::Only("end_time", &["task"]),
    TypeRule::Only("subject", &["note"]),
    TypeRule::Only("created_at", &["note"]),
];
const CREATE: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "POST /v2/notes or /v2/tasks").required().rules(&[Rule::OneOf(TYPES)]),
    FieldMap::custom("subject", "note title (required for notes)"),
    FieldMap::custom("content", "note content / task content (plaintext)").required(),
    FieldMap::custom("contacts", "note parent people / task linked_records people"),
    FieldMap::custom("account", "note parent companies / task linked_records companies"),
    FieldMap::custom("opportunity", "note parent deals / task linked_records deals"),
    FieldMap::custom("owner", "task assignees (workspace member id)"),
    FieldMap::custom("end_time", "task deadline_at"),
    FieldMap::custom("created_at", "note created_at (backdating)").conv(Conv::UtcIso),
];
const LIST: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "path: /v2/notes or /v2/tasks").required().rules(&[Rule::OneOf(TYPES)]),
    FieldMap::custom("contact_id", "notes: parent_object=people&parent_record_id; tasks: linked_object=people&linked_record_id"),
    FieldMap::custom("account_id", "notes: parent_object=companies&parent_record_id; tasks: linked_object=companies&linked_record_id"),
    FieldMap::local("created_at"),
];
const RETURNS: &[&str] = &["id", "engagement_type", "subject", "content", "contacts", "account", "opportunity", "owner", "end_time", "created_at"];
/// Unified link field → Attio object slug.
const OBJECTS: &[(&str, &str)] = &[("contacts", "people"), ("account", "companies"), ("opportunity", "deals")];
const TASK_MAX_CONTENT: usize = 2000;

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    let (_, token) = account.any_credential(&["access_token", "api_key"])?;
    Ok(req.secret_header("authorization", format!("Bearer {token}")))
}

/// The type a create or list is for (both require it).
fn kind(ctx: &Ctx) -> &'static str {
    if ctx.field_str("engagement_type") == Some("task") { "task" } else { "note" }
}

fn path(kind: &str) -> &'static str {
    if kind == "task" { "/v2/tasks" } else { "/v2/notes" }
}

fn data(body: Json<'_>) -> Result<Json<'_>> {
    body.get("data").ok_or_else(|| Error::protocol("attio", "the response has no data"))
}

/// `(object slug, record id)` for every linked record in the body.
fn links(f: &Map<String, Value>) -> Vec<(&'static str, String)> {
    OBJECTS.iter().flat_map(|&(field, object)| eng::ref_ids(f, field).into_iter().map(move |id| (object, id))).collect()
}

fn check_create(f: &Map<String, Value>) -> Vec<Issue> {
    let mut issues = eng::check_types("attio", f, TYPE_RULES);
    let mut bad = |path: &str, code: IssueCode, msg: &str| issues.push(Issue::new(path, code, msg).with_meta(json!({ "provider": "attio" })));
    match f.get("engagement_type").and_then(Value::as_str) {
        // A note's parent: counted per record, so two contacts are two parents.
        Some("note") => match links(f).len() {
            0 => bad("body.contacts", IssueCode::Required, "an Attio note needs its parent record: one contact, account or opportunity"),
            1 => {}
            _ => bad("body", IssueCode::Conflict, "an Attio note has one parent record: give only one contact, account or opportunity"),
        },
        Some("task") => {
            let n = f.get("content").and_then(Value::as_str).map_or(0, |c| c.chars().count());
            if n > TASK_MAX_CONTENT {
                issues.push(Issue::new("body.content", IssueCode::TooLong, format!("is {n} characters; Attio tasks allow at most {TASK_MAX_CONTENT}")).with_meta(json!({ "max": TASK_MAX_CONTENT, "actual": n, "provider": "attio" })));
            }
        }
        _ => {}
    }
    issues
}

fn start_create(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    let f = ctx.fields;
    let content = f.get("content").cloned().unwrap_or(Value::Null);
    let inner = if kind(ctx) == "note" {
        let (object, id) = links(f).into_iter().next().unwrap_or(("people", String::new()));
        let mut note = json!({ "parent_object": object, "parent_record_id": id, "title": f.get("subject"), "format": "plaintext", "content": content });
        if let Some(dt) = f.get("created_at").and_then(Value::as_str).and_then(crate::codec::datetime::parse_datetime) {
            note["created_at"] = json!(crate::codec::datetime::iso_utc(dt));
        }
        note
    } else {
        let deadline = f.get("end_time").and_then(Value::as_str).and_then(crate::codec::datetime::parse_datetime).map(crate::codec::datetime::iso_utc);
        let linked: Vec<Value> = links(f).into_iter().map(|(o, id)| json!({ "target_object": o, "target_record_id": id })).collect();
        let assignees: Vec<Value> = id_string(f.get("owner").and_then(|o| o.get("id")))
            .map(|id| json!({ "referenced_actor_type": "workspace-member", "referenced_actor_id": id }))
            .into_iter()
            .collect();
        // Attio's schema requires every key; these are the "nothing" values.
        json!({ "content": content, "format": "plaintext", "deadline_at": deadline, "is_completed": false, "linked_records": linked, "assignees": assignees })
    };
    let mut body = json!({ "data": inner });
    if let Some(extra) = ctx.remote_data {
        crate::codec::json::merge(&mut body, extra);
    }
    let req = ctx.request(Method::Post, ctx.url().path(path(kind(ctx))).build())?.json(body);
    Single::boxed(req, |ctx, body, w| {
        let item = data(body)?;
        Ok((to_unified(kind(ctx), item, w)?, item))
    })
}

fn to_unified(kind: &str, item: Json<'_>, _w: &mut Vec<Warning>) -> Result<Record> {
    let key = if kind == "task" { "task_id" } else { "note_id" };
    let id = item.get("id").and_then(|i| id_string(i.get(key))).ok_or_else(|| Error::protocol("attio", format!("the {kind} has no id.{key}")))?;
    let member = |actor: Option<Json<'_>>| match actor {
        Some(a) if a.get_str("type").or_else(|| a.get_str("referenced_actor_type")) == Some("workspace-member") => {
            id_ref(a.get("id").or_else(|| a.get("referenced_actor_id")))
        }
        _ => Value::Null,
    };
    let mut r = Record::new();
    r.insert("id", json!(eng::typed_id(kind, &id)));
    r.insert("engagement_type", json!(kind));
    r.insert("content", item.field("content_plaintext"));
    r.insert("created_at", iso_or_null(item.get("created_at")));
    if kind == "task" {
        // Linked records come back with object UUIDs, not slugs: which one is a
        // person is unknown without another call, so links stay in remote_data.
        r.insert("subject", Value::Null);
        r.insert("end_time", iso_or_null(item.get("deadline_at")));
        r.insert("owner", member(item.pointer("/assignees/0")));
        for field in ["contacts", "account", "opportunity"] {
            r.insert(field, Value::Null);
        }
    } else {
        r.insert("subject", item.field("title"));
        r.insert("end_time", Value::Null);
        r.insert("owner", member(item.get("created_by_actor")));
        let parent = id_ref(item.get("parent_record_id"));
        let object = item.get_str("parent_object");
        r.insert("contacts", if object == Some("people") { json!([parent]) } else { json!([]) });
        r.insert("account", if object == Some("companies") { parent.clone() } else { Value::Null });
        r.insert("opportunity", if object == Some("deals") { parent } else { Value::Null });
    }
    Ok(r)
}

/// Attio lists answer `{"data": […]}` with no cursor or total: a full page means
/// there may be more, at the next offset.
fn read_page<'a>(ctx: &Ctx, kind: &'static str, state: &Value, _: &HttpResponse, body: Json<'a>) -> Result<RawPage<'a>> {
    let Some(items) = data(body)?.items() else { return Err(Error::protocol("attio", "the list data is not an array")) };
    let items: Vec<Json<'a>> = items.collect();
    let limit = u64::from(page_size(ctx, kind));
    let offset = crate::provider::state_count(state, "offset", 0)?;
    let next = if items.len() as u64 >= limit { Some(json!({ "offset": crate::provider::next_count(offset, limit)? })) } else { None };
    Ok(RawPage { items, next, at: Some(&["data"]) })
}

fn page_size(ctx: &Ctx, kind: &str) -> u32 {
    let max = if kind == "task" { 500 } else { 50 };
    eng::page_size(ctx, max, max)
}

fn page_request(ctx: &Ctx, kind: &'static str, state: &Value) -> Result<HttpRequest> {
    let offset = crate::provider::state_count(state, "offset", 0)?;
    let mut url = ctx.url().path(path(kind)).query("limit", page_size(ctx, kind).to_string()).query("offset", offset.to_string());
    let (object_param, id_param) = if kind == "task" { ("linked_object", "linked_record_id") } else { ("parent_object", "parent_record_id") };
    for (filter, object) in [("contact_id", "people"), ("account_id", "companies")] {
        if let Some(id) = ctx.field_str(filter) {
            url = url.query(object_param, object).query(id_param, id);
        }
    }
    ctx.request(Method::Get, url.queries(ctx.query.remote_query.iter().cloned()).build())
}
