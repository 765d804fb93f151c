//! Zoho CRM — record API v8 at `{api domain}/crm/v8/{module}` on the account's data
//! centre. Docs: https://www.zoho.com/crm/developer/docs/api/v8/insert-records.html,
//! get-records.html, multi-dc.html; schemas from Zoho's OpenAPI (zoho/crm-oas, v8.0).
//! Auth: `Authorization: Zoho-oauthtoken <access_token>`. Host: `account.context.api_domain`
//! (from the token response) or `account.context.region` (us, eu, in, au, cn, jp, ca, sa);
//! neither means US.
//!
//! Calls, meetings (module `Events`), tasks and notes are separate modules, so unified
//! ids carry the type (`call:7328…`). Zoho has no email or chat activity module here.
//! A create answers only the new id, so it is a chain: insert, then read the record.
//! Links: `Who_Id` is a contact; `What_Id` + `$se_module` is one account, deal or lead;
//! meetings list contacts and leads as `Participants`; a note hangs off exactly one
//! `Parent_Id`. Calls need `Call_Type` (direction) and `Call_Start_Time`; `Call_Duration`
//! is mm:ss. Times are sent with the caller's own offset (Zoho's documented form);
//! a task's `Due_Date` is the caller's date. `remote_data` goes into the record, except
//! the envelope keys (`trigger`, `process`, `duplicate_check_fields`, `wf_trigger`,
//! `lar_id`). Lists page (`page`, then `page_token` when Zoho offers one) through
//! Calls, Events, Tasks and Notes in turn. `fields=` names `$se_module` (What_Id's
//! module): no Zoho page says list records carry it unasked, and an extra field is harmless.
//! Sources and examples: tests/fixtures/zoho_crm/README.md.

use crate::unified::record::Record;
use crate::provider::auth::{Grant, OAuthDef};
use serde_json::{json, Map, Value};

use crate::provider::account::Account;
use crate::codec::datetime::{iso_or_null, parse_datetime};
use crate::codec::doc::Json;
use crate::codec::json::get_str;
use crate::error::{Error, Issue, IssueCode, Result, Warning};
use crate::codec::http::{HttpRequest, HttpResponse, Method};
use crate::unified::schema::{s, Conv, FieldMap, Rule, UnifiedMethod};

use crate::provider::chain::{Chain, ChainStep};
use crate::providers::crm_engagements::{self as eng, TypeRule, TypedPages};
use crate::provider::{map_status, Ctx, Exchange, OpDef, ProviderDef, RawPage, Single};

const DOMAINS: &[(&str, &str)] = &[
    ("us", "https://www.zohoapis.com"),
    ("eu", "https://www.zohoapis.eu"),
    ("in", "https://www.zohoapis.in"),
    ("au", "https://www.zohoapis.com.au"),
    ("cn", "https://www.zohoapis.com.cn"),
    ("jp", "https://www.zohoapis.jp"),
    ("ca", "https://www.zohoapis.ca"),
    ("sa", "https://www.zohoapis.sa"),
];

/// OAuth: https://zoho.com/accounts/protocol/oauth/web-apps/authorization.html and
/// …/access-token-expiry.html. The accounts server is per data centre: the connect
/// callback's `accounts-server` parameter is stored as `context.accounts_server`.
/// Access tokens live 1 hour; refresh tokens do not rotate (the refresh answer
/// has none) and `api_domain` says where the account's API lives.
const OAUTH: OAuthDef = OAuthDef {
    authorize_url: Some("{accounts_server}/oauth/v2/auth"),
    token_url: "{accounts_server}/oauth/v2/token",
    hosts: &["accounts.zoho.com", "accounts.zoho.eu", "accounts.zoho.in", "accounts.zoho.com.au", "accounts.zoho.com.cn", "accounts.zoho.jp", "accounts.zoho.sa", "accounts.zohocloud.ca"],
    grants: &[Grant::AuthorizationCode, Grant::RefreshToken],
    scopes: &["ZohoCRM.modules.ALL"],
    scope_separator: ",",
    authorize_params: &[("access_type", "offline"), ("prompt", "consent")],
    response_context: &[("api_domain", "api_domain")],
    defaults: &[("accounts_server", "https://accounts.zoho.com")],
    notes: "access tokens expire after 1 hour; refresh tokens do not rotate; api_domain comes from the token response; at most 10 access tokens per 10 minutes, so refreshes are single-flight",
    ..OAuthDef::DEFAULTS
};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "zoho_crm",
    label: "Zoho CRM",
    docs: "https://www.zoho.com/crm/developer/docs/api/v8/insert-records.html",
    hosts: &["www.zohoapis.com", "www.zohoapis.eu", "www.zohoapis.in", "www.zohoapis.com.au", "www.zohoapis.com.cn", "www.zohoapis.jp", "www.zohoapis.ca", "www.zohoapis.sa"],
    origin,
    auth: |account, req| Ok(req.secret_header("authorization", format!("Zoho-oauthtoken {}", account.credential("access_token")?))),
    idempotency_header: None,
    oauth: Some(&OAUTH),
    ops: &[
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::Create,
            fields: CREATE,
            returns: RETURNS,
            start: |_| Chain::boxed(CREATE_STEPS, |ctx, results, w| {
                let record = results.get(1).copied().unwrap_or(Json::NULL);
                Ok((map_record(module(eng::engagement_type(ctx.fields).unwrap_or_default())?, record, w)?, record))
            }),
            check: Some(check),
            notes: "POST /crm/v8/{Calls|Events|Tasks|Notes}, then GET the new record; email and chat are not representable",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::List,
            fields: FILTERS,
            returns: RETURNS,
            start: |ctx| TypedPages::boxed(eng::listed_kinds(ctx, KINDS), page_request, parse_page, |_, kind, raw, w| map_record(module(kind)?, raw, w)),
            check: None,
            notes: "Calls, Events, Tasks, Notes in turn (one module with engagement_type); other filters are applied by crosswalk",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::Get,
            fields: &[FieldMap::custom("engagement_type", "module, when the id has no type prefix").conv(Conv::Map(MODULE_NAMES))],
            returns: RETURNS,
            start: start_get,
            check: None,
            notes: "ids are {type}:{Zoho id}; a bare id needs ?engagement_type",
        },
    ],
};

const MODULE_NAMES: &[(&str, crate::unified::schema::Lit)] = &[("call", s("Calls")), ("meeting", s("Events")), ("task", s("Tasks")), ("note", s("Notes"))];
const KINDS: &[&str] = &["call", "meeting", "task", "note"];
const LINKS: &[&str] = &["contacts", "lead", "account", "opportunity"];

const CREATE: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "module: Calls | Events | Tasks | Notes").required().conv(Conv::Map(MODULE_NAMES)),
    FieldMap::custom("subject", "Subject (calls, tasks) | Event_Title (meetings) | Note_Title (notes)").rules(&[Rule::MaxLen(255)]),
    FieldMap::custom("content", "Description | Note_Content (notes)"),
    FieldMap::custom("owner", "Owner {id} (calls, meetings, tasks)"),
    FieldMap::custom("contacts", "Who_Id (calls, tasks: one) | Participants (meetings) | Parent_Id (notes)"),
    FieldMap::custom("lead", "What_Id + $se_module Leads | Participants (meetings) | Parent_Id (notes)"),
    FieldMap::custom("account", "What_Id + $se_module Accounts | Parent_Id (notes)"),
    FieldMap::custom("opportunity", "What_Id + $se_module Deals | Parent_Id (notes)"),
    FieldMap::custom("start_time", "Call_Start_Time | Start_DateTime | Due_Date (tasks, date)"),
    FieldMap::custom("end_time", "End_DateTime (meetings)"),
    FieldMap::custom("duration", "Call_Duration mm:ss (calls)").rules(&[Rule::Range(0, 5999)]),
    FieldMap::custom("direction", "Call_Type: Inbound | Outbound | Missed (calls)"),
    FieldMap::custom("status", "Outgoing_Call_Status: scheduled = Scheduled, sent = Completed").rules(&[Rule::OneOf(&["scheduled", "sent"])]),
    FieldMap::custom("custom_fields", "fields of the record by API name"),
];

const TYPE_RULES: &[TypeRule] = &[
    TypeRule::Only("owner", &["call", "meeting", "task"]),
    TypeRule::Only("start_time", &["call", "meeting", "task"]),
    TypeRule::Only("end_time", &["meeting"]),
    TypeRule::Only("duration", &["call"]),
    TypeRule::Only("direction", &["call"]),
    TypeRule::Only("status", &["call"]),
    TypeRule::Required("direction", &["call"]),
    TypeRule::Required("start_time", &["call", "meeting"]),
    TypeRule::Required("end_time", &["meeting"]),
    TypeRule::Required("subject", &["meeting", "task"]),
    TypeRule::Required("content", &["note"]),
    TypeRule::AtMostOne(&["lead", "account", "opportunity"], &["call", "task"]),
    TypeRule::AtMostOne(&["account", "opportunity"], &["meeting"]),
    TypeRule::AnyOf(LINKS, &["note"]),
    TypeRule::AtMostOne(LINKS, &["note"]),
    TypeRule::MaxItems("contacts", 1, &["call", "task", "note"]),
    TypeRule::MaxItems("lead", 1, &["call", "task", "note"]),
];

const FILTERS: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "module to list (else Calls, Events, Tasks, Notes in turn)").conv(Conv::Map(MODULE_NAMES)),
    FieldMap::local("contact_id"),
    FieldMap::local("account_id"),
    FieldMap::local("created_at"),
    FieldMap::local("updated_at"),
];

const RETURNS: &[&str] = &[
    "id", "engagement_type", "subject", "content", "owner", "contacts", "lead", "account", "opportunity", "start_time", "end_time", "duration", "direction", "status",
    "created_at", "updated_at",
];

/// A Zoho module and the fields a list asks for (Zoho requires `fields`, at most 50).
struct Module {
    kind: &'static str,
    name: &'static str,
    fields: &'static str,
}

const MODULES: &[Module] = &[
    Module { kind: "call", name: "Calls", fields: "Subject,Description,Owner,Who_Id,What_Id,$se_module,Call_Start_Time,Call_Duration,Call_Duration_in_seconds,Call_Type,Outgoing_Call_Status,Created_Time,Modified_Time" },
    Module { kind: "meeting", name: "Events", fields: "Event_Title,Description,Owner,Who_Id,What_Id,$se_module,Participants,Start_DateTime,End_DateTime,Created_Time,Modified_Time" },
    Module { kind: "task", name: "Tasks", fields: "Subject,Description,Owner,Who_Id,What_Id,$se_module,Due_Date,Status,Created_Time,Modified_Time" },
    Module { kind: "note", name: "Notes", fields: "Note_Title,Note_Content,Owner,Parent_Id,Created_Time,Modified_Time" },
];

const CALL_TYPE: &[(&str, &str)] = &[("Inbound", "inbound"), ("Outbound", "outbound"), ("Missed", "missed")];
const OUTBOUND_STATUS: &[(&str, &str)] = &[("Scheduled", "scheduled"), ("Completed", "sent")];
/// `$se_module` / `Parent_Id.module.api_name` → unified link field.
const LINK_MODULES: &[(&str, &str)] = &[("Accounts", "account"), ("Deals", "opportunity"), ("Leads", "lead"), ("Contacts", "contacts")];
const ENVELOPE_KEYS: &[&str] = &["trigger", "process", "duplicate_check_fields", "wf_trigger", "lar_id"];

fn origin(account: &Account) -> Result<String> {
    let bad = |field: &str, what: &str| Error::one_issue(Some("zoho_crm"), Issue::new(field, IssueCode::InvalidFormat, what.to_string()));
    if let Some(domain) = account.context_opt("api_domain") {
        let domain = domain.trim_end_matches('/');
        return DOMAINS.iter().find(|(_, d)| *d == domain).map(|(_, d)| d.to_string()).ok_or_else(|| bad("account.context.api_domain", "must be a Zoho API domain such as https://www.zohoapis.eu"));
    }
    let region = account.context_opt("region").unwrap_or_else(|| "us".into()).to_ascii_lowercase();
    DOMAINS.iter().find(|(r, _)| *r == region).map(|(_, d)| d.to_string()).ok_or_else(|| bad("account.context.region", "must be one of us, eu, in, au, cn, jp, ca, sa"))
}

fn module(kind: &str) -> Result<&'static Module> {
    MODULES.iter().find(|m| m.kind == kind).ok_or_else(|| Error::protocol("zoho_crm", format!("no Zoho module for {kind}")))
}

fn check(fields: &Map<String, Value>) -> Vec<Issue> {
    let mut issues = eng::check_types("zoho_crm", fields, TYPE_RULES);
    issues.extend(eng::end_after_start(fields, false));
    if fields.contains_key("status") && fields.get("direction").and_then(Value::as_str) != Some("outbound") {
        issues.push(Issue::new("body.status", IssueCode::UnsupportedField, "Zoho keeps a status (Outgoing_Call_Status) only for outbound calls"));
    }
    issues
}

/// RFC 3339 in the caller's own offset, whole seconds: Zoho's `yyyy-MM-ddTHH:mm:ss±HH:mm`.
fn zoho_time(v: Option<&Value>) -> Option<Value> {
    let t = parse_datetime(v?.as_str()?)?;
    let off = t.offset().whole_minutes();
    let sign = if off < 0 { '-' } else { '+' };
    let date = &v?.as_str()?[..10];
    Some(json!(format!("{date}T{:02}:{:02}:{:02}{sign}{:02}:{:02}", t.hour(), t.minute(), t.second(), off.abs() / 60, off.abs() % 60)))
}

fn create_envelope(ctx: &Ctx) -> Value {
    let f = ctx.fields;
    let kind = eng::engagement_type(f).unwrap_or_default();
    let mut r = eng::custom_fields(f);
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            r.insert(k.to_string(), v);
        }
    };
    let id_obj = |id: Option<String>| id.map(|id| json!({ "id": id }));
    let subject = f.get("subject").cloned();
    let content = f.get("content").cloned();
    // Meetings list leads as participants; elsewhere a lead is the What_Id.
    let what_fields: &[(&str, &str)] = if kind == "meeting" { &WHAT[..2] } else { WHAT };
    let what = what_fields.iter().find_map(|(field, m)| eng::first_ref_id(f, field).map(|id| (id, *m)));
    if kind == "note" {
        put("Note_Title", subject);
        put("Note_Content", content);
        let contact = eng::first_ref_id(f, "contacts").map(|id| (id, "Contacts"));
        put("Parent_Id", contact.or(what).map(|(id, m)| json!({ "module": { "api_name": m }, "id": id })));
    } else {
        put(if kind == "meeting" { "Event_Title" } else { "Subject" }, subject);
        put("Description", content);
        put("Owner", id_obj(eng::first_ref_id(f, "owner")));
        if kind == "meeting" {
            let people: Vec<Value> = [("contacts", "contact"), ("lead", "lead")]
                .into_iter()
                .flat_map(|(field, t)| eng::ref_ids(f, field).into_iter().map(move |id| json!({ "type": t, "participant": id })))
                .collect();
            put("Participants", Some(Value::Array(people)).filter(|p| p.as_array().is_some_and(|a| !a.is_empty())));
            put("Start_DateTime", zoho_time(f.get("start_time")));
            put("End_DateTime", zoho_time(f.get("end_time")));
        } else {
            put("Who_Id", id_obj(eng::first_ref_id(f, "contacts")));
        }
        if let Some((id, m)) = what {
            put("What_Id", Some(json!({ "id": id })));
            put("$se_module", Some(json!(m)));
        }
        if kind == "call" {
            put("Call_Start_Time", zoho_time(f.get("start_time")));
            put("Call_Type", f.get("direction").and_then(Value::as_str).and_then(|d| CALL_TYPE.iter().find(|(_, u)| *u == d)).map(|(p, _)| json!(p)));
            put("Call_Duration", f.get("duration").and_then(Value::as_i64).map(|s| json!(format!("{:02}:{:02}", s / 60, s % 60))));
            put("Outgoing_Call_Status", f.get("status").and_then(Value::as_str).map(|s| json!(if s == "sent" { "Completed" } else { "Scheduled" })));
        }
        if kind == "task" {
            put("Due_Date", f.get("start_time").and_then(Value::as_str).map(|s| json!(&s[..10])));
        }
    }
    let mut record = Value::Object(r);
    let mut envelope = Map::new();
    if let Some(extra) = ctx.remote_data.and_then(Value::as_object) {
        let (outer, inner): (Map<String, Value>, Map<String, Value>) = extra.clone().into_iter().partition(|(k, _)| ENVELOPE_KEYS.contains(&k.as_str()));
        crate::codec::json::merge(&mut record, &Value::Object(inner));
        envelope = outer;
    }
    envelope.insert("data".into(), json!([record]));
    Value::Object(envelope)
}

/// What_Id candidates in order of preference (only one may be given).
const WHAT: &[(&str, &str)] = &[("opportunity", "Deals"), ("account", "Accounts"), ("lead", "Leads")];

fn record_url(ctx: &Ctx, m: &Module, id: &str) -> String {
    ctx.url().path("/crm/v8/").path(m.name).seg(id).build()
}

static CREATE_STEPS: &[ChainStep] = &[
    ChainStep {
        name: "create",
        build: |ctx, _| {
            let m = module(eng::engagement_type(ctx.fields).unwrap_or_default())?;
            Ok(Some(ctx.request(Method::Post, ctx.url().path("/crm/v8/").path(m.name).build())?.json(create_envelope(ctx))))
        },
        read: |ctx, _, body| {
            let m = module(eng::engagement_type(ctx.fields).unwrap_or_default())?;
            let item = |path: &str| body.path("data.0").and_then(|i| i.get_str(path));
            if item("status") != Some("success") {
                return Err(Error::Remote { provider: "zoho_crm".into(), status: 400, message: item("message").map(str::to_string), body: body.to_value() });
            }
            let id = item("details.id").ok_or_else(|| Error::protocol("zoho_crm", "insert answered without details.id"))?;
            Ok(json!({ "id": id, "module": m.name }))
        },
    },
    ChainStep {
        name: "fetch",
        build: |ctx, done| {
            let m = module(eng::engagement_type(ctx.fields).unwrap_or_default())?;
            let id = done.first().and_then(|c| get_str(c, "id")).unwrap_or_default();
            Ok(Some(ctx.request(Method::Get, record_url(ctx, m, id))?))
        },
        read: |_, _, body| first_record(body).map(Json::to_value),
    },
];

/// The one record a get answers, or a 404 when it found none.
fn first_record(body: Json<'_>) -> Result<Json<'_>> {
    body.path("data.0").ok_or_else(|| Error::Remote {
        provider: "zoho_crm".into(),
        status: 404,
        message: Some("no record with this id".into()),
        body: body.to_value(),
    })
}

fn start_get(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    let (kind, native) = eng::split_typed_id(ctx, KINDS, None)?;
    Single::boxed(ctx.request(Method::Get, record_url(ctx, module(kind)?, native))?, |ctx, body, w| {
        let kind = eng::answered_kind(ctx, KINDS, None)?;
        let record = first_record(body)?;
        Ok((map_record(module(kind)?, record, w)?, record))
    })
}

fn page_request(ctx: &Ctx, kind: &'static str, state: &Value) -> Result<HttpRequest> {
    let m = module(kind)?;
    let url = ctx.url().path("/crm/v8/").path(m.name).query("fields", m.fields).query("per_page", eng::page_size(ctx, 200, 200).to_string());
    // Zoho takes either page or page_token, never both.
    let url = match state.get("page_token").and_then(Value::as_str) {
        Some(token) => url.query("page_token", token),
        None => url.query("page", crate::provider::state_count(state, "page", 1)?.to_string()),
    };
    ctx.request(Method::Get, url.queries(ctx.query.remote_query.iter().cloned()).build())
}

fn parse_page<'a>(_: &Ctx, _: &'static str, state: &Value, _: &HttpResponse, body: Json<'a>) -> Result<RawPage<'a>> {
    // An empty module answers 204 with no body.
    let items = match body.get("data") {
        Some(data) if data.is_array() => data.items().into_iter().flatten().collect(),
        None if body.is_null() => Vec::new(),
        _ => return Err(Error::protocol("zoho_crm", "list response has no data array")),
    };
    let more = body.path("info.more_records").and_then(Json::as_bool) == Some(true);
    let page = match body.path("info.page").and_then(Json::as_u64) {
        Some(p) => p,
        None => crate::provider::state_count(state, "page", 1)?,
    };
    let next = match (more, body.get_str("info.next_page_token")) {
        (true, Some(token)) => Some(json!({ "page_token": token })),
        (true, None) => Some(json!({ "page": crate::provider::next_count(page, 1)? })),
        (false, _) => None,
    };
    Ok(RawPage { items, next, at: Some(&["data"]) })
}

fn map_record(m: &Module, rec: Json<'_>, w: &mut Vec<Warning>) -> Result<Record> {
    let id = crate::codec::json::id_string(rec.get("id")).ok_or_else(|| Error::protocol("zoho_crm", "record has no id"))?;
    let text = |k: &str| rec.field(k);
    let iso = |k: &str| iso_or_null(rec.get(k));
    let mut r = Record::new();
    for f in ["contacts", "lead"] {
        r.insert(f, json!([]));
    }
    for f in ["account", "opportunity"] {
        r.insert(f, Value::Null);
    }
    let mut link = |module: Option<&str>, id: Option<Json<'_>>| {
        let Some(field) = module.and_then(|m| LINK_MODULES.iter().find(|(p, _)| *p == m)).map(|(_, u)| *u) else { return };
        let id = crate::codec::json::id_ref(id);
        if id.is_null() {
            return;
        }
        match r.get_mut(field) {
            Some(Value::Array(list)) => list.push(id),
            _ => {
                r.insert(field, id);
            }
        }
    };
    if m.kind == "note" {
        link(rec.get_str("Parent_Id.module.api_name").or_else(|| rec.get_str("$se_module")), rec.path("Parent_Id.id"));
    } else {
        link(Some("Contacts"), rec.path("Who_Id.id"));
        link(rec.get_str("$se_module"), rec.path("What_Id.id"));
        for p in rec.get("Participants").and_then(Json::items).into_iter().flatten() {
            let module = match p.get_str("type") {
                Some("contact") => Some("Contacts"),
                Some("lead") => Some("Leads"),
                _ => None,
            };
            link(module, p.get("participant"));
        }
    }
    r.insert("id", json!(eng::typed_id(m.kind, &id)));
    r.insert("engagement_type", json!(m.kind));
    r.insert("subject", text(match m.kind {
        "meeting" => "Event_Title",
        "note" => "Note_Title",
        _ => "Subject",
    }));
    r.insert("content", text(if m.kind == "note" { "Note_Content" } else { "Description" }));
    r.insert("owner", crate::codec::json::id_ref(rec.path("Owner.id")));
    r.insert("start_time", iso(match m.kind {
        "call" => "Call_Start_Time",
        "meeting" => "Start_DateTime",
        "task" => "Due_Date",
        _ => "",
    }));
    r.insert("end_time", if m.kind == "meeting" { iso("End_DateTime") } else { Value::Null });
    let seconds = match (rec.get("Call_Duration_in_seconds").filter(|v| v.is_number()), rec.get_str("Call_Duration")) {
        _ if m.kind != "call" => Value::Null,
        (Some(n), _) => crate::codec::numbers::provider_secs("duration", Some(n), 1, w),
        (None, Some(mm_ss)) => crate::codec::numbers::provider_clock("duration", mm_ss, [60, 1], w),
        (None, None) => Value::Null,
    };
    r.insert("duration", seconds);
    r.insert("direction", if m.kind == "call" { eng::map_value(CALL_TYPE, rec.get_str("Call_Type"), "direction", w) } else { Value::Null });
    r.insert("status", if m.kind == "call" { map_status(OUTBOUND_STATUS, rec.get_str("Outgoing_Call_Status"), w) } else { Value::Null });
    r.insert("created_at", iso("Created_Time"));
    r.insert("updated_at", iso("Modified_Time"));
    Ok(r)
}

#[cfg(test)]
mod tests;
