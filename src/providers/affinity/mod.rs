//! Affinity (API v1) — notes as CRM engagements.
//! Docs: https://api-docs.affinity.co/#notes (v1, generally available). Base `https://api.affinity.co`;
//! auth HTTP Basic with an empty user name and the API key as password.
//! Affinity's one writable engagement is the note: meetings, calls and emails are
//! interactions synced from calendars and mailboxes (v1 has no endpoint to create
//! them), so every other engagement type is rejected before any request. A note may
//! hang off several persons, organizations and opportunities at once, so every
//! unified link is sent (`person_ids`, `organization_ids`, `opportunity_ids`); at
//! least one is required. Ids are integers. Responses are the bare note object; lists
//! are `{"notes": […], "next_page_token": …}` (a token may precede an empty last page).
//! Sources and recorded examples: tests/fixtures/affinity/README.md.

use crate::unified::record::Record;
use serde_json::{json, Map, Value};

use crate::provider::account::{basic, Account};
use crate::codec::datetime::iso_or_null;
use crate::codec::doc::Json;
use crate::codec::json::id_ref;
use crate::error::{Error, Issue, Result, Warning};
use crate::codec::http::{HttpRequest, HttpResponse, Method};
use crate::unified::schema::{Conv, FieldMap, Rule, UnifiedMethod};

use crate::providers::crm_engagements::{self as eng, TypeRule};
use crate::provider::{Ctx, OpDef, Paged, ProviderDef, RawPage, Single};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "affinity",
    label: "Affinity",
    docs: "https://api-docs.affinity.co/#notes",
    hosts: &["api.affinity.co"],
    origin: |_| Ok("https://api.affinity.co".into()),
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
            start: |ctx| Single::boxed(ctx.request(Method::Post, ctx.url().path("/notes").build())?.json(create_body(ctx)), map_single),
            check: Some(check_create),
            notes: "POST /notes; only notes can be created (meetings, calls and emails are synced interactions); all contacts, the account and the opportunity are linked",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::List,
            fields: LIST,
            returns: RETURNS,
            start: |_| Paged::boxed(list_request, list_parse, |_, note, w| Ok(to_unified(note, w))),
            check: Some(check_list),
            notes: "GET /notes filters by one of person_id / organization_id; created_at/updated_at are applied by crosswalk",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::Get,
            fields: &[],
            returns: RETURNS,
            start: |ctx| Single::boxed(ctx.request(Method::Get, ctx.url().path("/notes").seg(ctx.id()?).build())?, map_single),
            check: None,
            notes: "GET /notes/{id}",
        },
    ],
};

const NOTE_ONLY: &[&str] = &["note"];

const CREATE: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "(every Affinity engagement is a note)").rules(&[Rule::OneOf(NOTE_ONLY)]),
    FieldMap::body("content", "content").required(),
    FieldMap::custom("contacts", "person_ids"),
    FieldMap::custom("account", "organization_ids"),
    FieldMap::custom("opportunity", "opportunity_ids"),
    FieldMap::custom("owner", "creator_id"),
    FieldMap::body("created_at", "created_at").conv(Conv::UtcIso),
];

const LIST: &[FieldMap] = &[
    FieldMap::local("engagement_type").rules(&[Rule::OneOf(NOTE_ONLY)]),
    FieldMap::query("contact_id", "person_id"),
    FieldMap::query("account_id", "organization_id"),
    FieldMap::local("created_at"),
    FieldMap::local("updated_at"),
];

const RETURNS: &[&str] = &["id", "engagement_type", "content", "owner", "contacts", "account", "opportunity", "created_at", "updated_at"];

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    let key = account.credential("api_key")?;
    Ok(req.secret_header("authorization", basic("", key)))
}

fn check_create(f: &Map<String, Value>) -> Vec<Issue> {
    // Every engagement is a note, whether or not the caller says so.
    let mut issues = eng::check_kind("affinity", "note", f, &[TypeRule::AnyOf(&["contacts", "account", "opportunity"], &["note"])]);
    issues.extend(eng::int_id_issues("affinity", f, &["contacts", "account", "opportunity", "owner"]));
    issues
}

fn check_list(f: &Map<String, Value>) -> Vec<Issue> {
    eng::one_list_parent(f, "affinity filters notes by one entity at a time: send contact_id or account_id").into_iter().collect()
}

fn ints(fields: &Map<String, Value>, field: &'static str) -> Vec<Value> {
    eng::linked(fields, &[field]).into_iter().filter_map(|l| eng::int_id(l.id)).map(Value::from).collect()
}

fn create_body(ctx: &Ctx) -> Value {
    let mut body = ctx.table_body();
    if let Value::Object(b) = &mut body {
        for (field, key) in [("contacts", "person_ids"), ("account", "organization_ids"), ("opportunity", "opportunity_ids")] {
            let ids = ints(ctx.fields, field);
            if !ids.is_empty() {
                b.entry(key).or_insert(Value::Array(ids));
            }
        }
        if let Some(owner) = ints(ctx.fields, "owner").pop() {
            b.entry("creator_id").or_insert(owner);
        }
    }
    body
}

fn map_single<'a>(_ctx: &Ctx, note: Json<'a>, w: &mut Vec<Warning>) -> Result<(Record, Json<'a>)> {
    if !note.is_object() || note.get("id").is_none() {
        return Err(Error::protocol("affinity", "response is not a note with an id"));
    }
    Ok((to_unified(note, w), note))
}

/// The first of several linked ids (the unified field holds one); more → a warning.
fn first_of(note: Json<'_>, key: &str, field: &str, w: &mut Vec<Warning>) -> Value {
    let ids = note.get(key).filter(|ids| ids.is_array());
    if ids.map_or(0, Json::len) > 1 {
        w.push(Warning {
            field: field.into(),
            code: crate::error::WarningCode::MoreLinksInRemoteData,
            message: format!("the note is linked to {} {key}; {field} shows the first, all are in remote_data.{key}", ids.map_or(0, Json::len)),
        });
    }
    id_ref(ids.and_then(|ids| ids.get(0)))
}

fn to_unified(note: Json<'_>, w: &mut Vec<Warning>) -> Record {
    let mut r = Record::new();
    r.insert("id", json!(crate::codec::json::id_string(note.get("id"))));
    r.insert("engagement_type", json!("note"));
    r.insert("content", note.field("content"));
    r.insert("owner", id_ref(note.get("creator_id")));
    // person_ids is the union of directly associated persons and the attendees of
    // the interaction the note hangs off.
    r.insert("contacts", eng::ref_list(eng::items(note.get("person_ids"))));
    r.insert("account", first_of(note, "organization_ids", "account", w));
    r.insert("opportunity", first_of(note, "opportunity_ids", "opportunity", w));
    r.insert("created_at", iso_or_null(note.get("created_at")));
    r.insert("updated_at", iso_or_null(note.get("updated_at")));
    r
}

fn list_request(ctx: &Ctx, state: &Value) -> Result<HttpRequest> {
    let url = ctx
        .url()
        .path("/notes")
        .queries(ctx.table_query())
        .query("page_size", eng::page_size(ctx, 100, 500).to_string())
        .query_opt("page_token", state.get("token").and_then(Value::as_str))
        .build();
    ctx.request(Method::Get, url)
}

fn list_parse<'a>(_ctx: &Ctx, _resp: &HttpResponse, body: Json<'a>) -> Result<RawPage<'a>> {
    // With page_size the answer is `{notes, next_page_token}`; the reference's own
    // example (no page_size) is a bare array, read as one last page.
    if let Some(items) = body.items() {
        return Ok(RawPage { items: items.collect(), next: None, at: Some(&[]) });
    }
    let items = body.get("notes").and_then(Json::items).ok_or_else(|| Error::protocol("affinity", "list response has no notes array"))?.collect();
    let next = body.get("next_page_token").and_then(Json::as_str).filter(|t| !t.is_empty()).map(|t| json!({ "token": t }));
    Ok(RawPage { items, next, at: Some(&["notes"]) })
}

#[cfg(test)]
mod tests;
