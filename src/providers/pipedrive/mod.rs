//! Pipedrive — activities through API v2 (`/api/v2/activities`), notes through v1
//! (`/v1/notes`; Pipedrive has no v2 notes). Docs: https://developers.pipedrive.com/docs/api/v1/Activities,
//! the v2 schema in Pipedrive's generated client (pipedrive/client-nodejs, `src/versions/v2`).
//! Host: `https://api.pipedrive.com`, or the account's `context.api_domain`
//! (`https://{company}.pipedrive.com`, from the OAuth token response; v1 is then under `/api/v1`).
//! Auth: `Authorization: Bearer <access_token>` (OAuth) or `x-api-token: <api_key>`.
//!
//! Calls, meetings, emails and tasks are activities of that type key (the default
//! keys; accounts can add their own, which read back as engagement_type null with a
//! warning). Notes are a separate object, so their unified ids are `note:{id}`;
//! activity ids are plain. v2 takes contacts only as `participants` (its `person_id`
//! is read-only). Times are UTC: `due_date` + `due_time` (HH:MM), and `duration` is
//! HH:MM, so durations must be whole minutes. `status` sent/scheduled is `done`
//! true/false. The v2 list has no type filter: an engagement_type filter on
//! activities is applied by crosswalk. A list without it reads activities, then notes.
//! The v2 `add_time` format is UNCONFIRMED; both RFC 3339 and v1's `YYYY-MM-DD HH:MM:SS`
//! are read. Sources and examples: tests/fixtures/pipedrive/README.md.

use crate::unified::record::Record;
use crate::provider::auth::{ClientAuth, Grant, OAuthDef};
use serde_json::{json, Map, Value};

use crate::provider::account::Account;
use crate::codec::datetime::{iso_from_date_and_time, iso_or_null, parse_datetime};
use crate::codec::doc::Json;
use crate::error::{Error, Issue, IssueCode, Result, Warning};
use crate::unified::filters::as_range;
use crate::codec::http::{HttpRequest, HttpResponse, Method, Origin};
use crate::unified::schema::{s, Conv, FieldMap, Rule, UnifiedMethod};

use crate::providers::crm_engagements::{self as eng, TypeRule, TypedPages};
use crate::provider::{Ctx, Exchange, OpDef, PartlyLocal, ProviderDef, RawPage, Single};

/// OAuth: https://pipedrive.readme.io/docs/marketplace-oauth-authorization and the
/// official SDK (client-nodejs `configuration.ts`): Basic client authentication,
/// `api_domain` in the token response, a refresh token that is single-use once a
/// new one is issued. No scope parameter (scopes are set on the app).
const OAUTH: OAuthDef = OAuthDef {
    authorize_url: Some("https://oauth.pipedrive.com/oauth/authorize"),
    token_url: "https://oauth.pipedrive.com/oauth/token",
    hosts: &["oauth.pipedrive.com"],
    grants: &[Grant::AuthorizationCode, Grant::RefreshToken],
    client_auth: ClientAuth::Basic,
    response_context: &[("api_domain", "api_domain")],
    notes: "access tokens expire after 1 hour; a returned refresh token replaces the old one, which is then refused",
    ..OAuthDef::DEFAULTS
};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "pipedrive",
    label: "Pipedrive",
    docs: "https://developers.pipedrive.com/docs/api/v1/Activities",
    hosts: &["api.pipedrive.com", "*.pipedrive.com"],
    origin,
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
            notes: "POST /api/v2/activities (call, meeting, email, task) or /v1/notes (note); chat is not a default activity type",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::List,
            fields: FILTERS,
            returns: RETURNS,
            start: start_list,
            check: None,
            notes: "activities (v2 cursor), then notes (v1 start/limit); engagement_type note lists notes only, an activity type is filtered by crosswalk (the v2 list has no type filter); created_at is applied by crosswalk",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::Get,
            fields: &[FieldMap::custom("engagement_type", "note → /v1/notes/{id}; else /api/v2/activities/{id}").conv(Conv::Map(TYPES))],
            returns: RETURNS,
            start: start_get,
            check: None,
            notes: "activity ids are plain; note ids are note:{id}",
        },
    ],
};

const TYPES: &[(&str, crate::unified::schema::Lit)] = &[("call", s("call")), ("meeting", s("meeting")), ("email", s("email")), ("task", s("task")), ("note", s("note"))];
const ACTIVITY: &[&str] = &["call", "meeting", "email", "task"];
const NUMERIC_IDS: &[&str] = &["owner", "contacts", "account", "opportunity", "project"];

const CREATE: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "activity type key (call, meeting, email, task) | note → POST /v1/notes").required().conv(Conv::Map(TYPES)),
    FieldMap::custom("subject", "subject (activities)"),
    FieldMap::custom("content", "note (activities, HTML) | content (notes, HTML)"),
    FieldMap::custom("owner", "owner_id (activities) | user_id (notes; admins only)"),
    FieldMap::custom("contacts", "participants [{person_id, primary}] (activities) | person_id (notes, one)"),
    FieldMap::custom("account", "org_id"),
    FieldMap::custom("opportunity", "deal_id"),
    FieldMap::custom("lead", "lead_id (one)").rules(&[Rule::MaxItems(1)]),
    FieldMap::custom("project", "project_id"),
    FieldMap::custom("start_time", "due_date + due_time (UTC, activities)"),
    FieldMap::custom("end_time", "duration = end_time − start_time (activities)"),
    FieldMap::custom("duration", "duration HH:MM (activities, whole minutes)"),
    FieldMap::custom("status", "done: sent = true, scheduled = false (activities)").rules(&[Rule::OneOf(&["scheduled", "sent"])]),
    FieldMap::custom("created_at", "add_time (notes, UTC)"),
    FieldMap::custom("custom_fields", "merged into the body by field key"),
];

const TYPE_RULES: &[TypeRule] = &[
    TypeRule::Only("subject", ACTIVITY),
    TypeRule::Only("start_time", ACTIVITY),
    TypeRule::Only("end_time", ACTIVITY),
    TypeRule::Only("duration", ACTIVITY),
    TypeRule::Only("status", ACTIVITY),
    TypeRule::Only("created_at", &["note"]),
    TypeRule::Required("content", &["note"]),
    TypeRule::AnyOf(&["opportunity", "contacts", "account", "lead", "project"], &["note"]),
    TypeRule::MaxItems("contacts", 1, &["note"]),
];

const FILTERS: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "note → /v1/notes only; activity types: /api/v2/activities, filtered by crosswalk"),
    FieldMap::custom("contact_id", "?person_id"),
    FieldMap::custom("account_id", "?org_id"),
    FieldMap::custom("updated_at", "?updated_since / updated_until (notes: updated_since)"),
    FieldMap::local("created_at"),
];

const RETURNS: &[&str] = &[
    "id", "engagement_type", "subject", "content", "owner", "contacts", "account", "opportunity", "lead", "project", "start_time", "end_time", "duration", "status",
    "created_at", "updated_at",
];

fn origin(account: &Account) -> Result<String> {
    let Some(domain) = account.context_opt("api_domain") else { return Ok("https://api.pipedrive.com".into()) };
    let o = Origin::parse(domain.trim_end_matches('/'), "account.context.api_domain")?;
    if !o.as_str().starts_with("https://") || !o.host().ends_with(".pipedrive.com") {
        return Err(Error::one_issue(Some("pipedrive"), Issue::new("account.context.api_domain", IssueCode::InvalidFormat, "must be the https://….pipedrive.com api_domain from the token response")));
    }
    Ok(o.as_str().to_string())
}

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    if let Some(token) = account.credential_opt("access_token") {
        return Ok(req.secret_header("authorization", format!("Bearer {token}")));
    }
    Ok(req.secret_header("x-api-token", account.credential("api_key")?))
}

/// v1 lives under `/api/v1` on company domains and under `/v1` on api.pipedrive.com.
fn v1(ctx: &Ctx) -> &'static str {
    if ctx.account.context_opt("api_domain").is_some() { "/api/v1" } else { "/v1" }
}

fn check(fields: &Map<String, Value>) -> Vec<Issue> {
    let mut issues = eng::check_types("pipedrive", fields, TYPE_RULES);
    issues.extend(eng::end_after_start(fields, false));
    for name in NUMERIC_IDS {
        if eng::ref_ids(fields, name).iter().any(|id| id.parse::<u64>().is_err()) {
            issues.push(Issue::new(format!("body.{name}"), IssueCode::InvalidFormat, "Pipedrive ids are numbers"));
        }
    }
    if fields.contains_key("end_time") && !fields.contains_key("start_time") {
        issues.push(Issue::new("body.start_time", IssueCode::Required, "Pipedrive stores end_time as a duration from start_time"));
    }
    if let Some(secs) = fields.get("duration").and_then(Value::as_i64) {
        if secs % 60 != 0 || secs >= 100 * 3600 {
            issues.push(Issue::new("body.duration", IssueCode::InvalidFormat, "Pipedrive stores durations as HH:MM; give whole minutes under 100 hours"));
        } else if span(fields).is_some_and(|s| s != secs) {
            issues.push(Issue::new("body.duration", IssueCode::Conflict, "does not match end_time − start_time"));
        }
    }
    if span(fields).is_some_and(|s| s % 60 != 0 || s >= 100 * 3600) {
        issues.push(Issue::new("body.end_time", IssueCode::InvalidFormat, "Pipedrive stores end_time as an HH:MM duration; it must be whole minutes after start_time"));
    }
    issues
}

/// end_time − start_time in seconds.
fn span(fields: &Map<String, Value>) -> Option<i64> {
    let at = |k: &str| fields.get(k).and_then(Value::as_str).and_then(parse_datetime);
    crate::codec::datetime::secs_between(at("start_time")?, at("end_time")?)
}

fn num(fields: &Map<String, Value>, name: &'static str) -> Option<Value> {
    eng::ref_json(fields, name, true)
}

fn body_for(ctx: &Ctx, kind: &str) -> Value {
    let f = ctx.fields;
    let mut b = eng::custom_fields(f);
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            b.insert(k.to_string(), v);
        }
    };
    let contacts: Vec<Value> = eng::ref_ids(f, "contacts").iter().map(|id| eng::id_json(id)).collect();
    put("deal_id", num(f, "opportunity"));
    put("org_id", num(f, "account"));
    put("project_id", num(f, "project"));
    put("lead_id", eng::first_ref_id(f, "lead").map(Value::String));
    if kind == "note" {
        put("content", f.get("content").cloned());
        put("person_id", contacts.first().cloned());
        put("user_id", num(f, "owner"));
        let at = f.get("created_at").and_then(Value::as_str).and_then(parse_datetime).map(|t| t.to_offset(time::UtcOffset::UTC));
        put("add_time", at.map(|t| json!(format!("{} {:02}:{:02}:{:02}", crate::codec::datetime::date_only(t), t.hour(), t.minute(), t.second()))));
    } else {
        put("subject", f.get("subject").cloned());
        put("type", Some(json!(kind)));
        put("owner_id", num(f, "owner"));
        put("note", f.get("content").cloned());
        let start = f.get("start_time").and_then(Value::as_str).and_then(parse_datetime);
        put("due_date", start.map(|t| json!(crate::codec::datetime::date_only(t))));
        put("due_time", start.map(|t| json!(crate::codec::datetime::time_hm(t))));
        let secs = f.get("duration").and_then(Value::as_i64).or_else(|| span(f));
        put("duration", secs.map(|s| json!(format!("{:02}:{:02}", s / 3600, (s % 3600) / 60))));
        put("done", f.get("status").and_then(Value::as_str).map(|s| json!(s == "sent")));
        if !contacts.is_empty() {
            let participants: Vec<Value> = contacts.into_iter().enumerate().map(|(i, id)| json!({ "person_id": id, "primary": i == 0 })).collect();
            put("participants", Some(Value::Array(participants)));
        }
    }
    let mut body = Value::Object(b);
    if let Some(extra) = ctx.remote_data {
        crate::codec::json::merge(&mut body, extra);
    }
    body
}

fn start_create(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    let kind = eng::engagement_type(ctx.fields).unwrap_or_default();
    let url = if kind == "note" { ctx.url().path(v1(ctx)).path("/notes") } else { ctx.url().path("/api/v2/activities") };
    Single::boxed(ctx.request(Method::Post, url.build())?.json(body_for(ctx, kind)), |ctx, body, w| {
        let item = data(body)?;
        let record = if eng::engagement_type(ctx.fields) == Some("note") { map_note(item)? } else { map_activity(item, w)? };
        Ok((record, item))
    })
}

/// `data` of a `{success, data}` envelope; `success: false` is a remote error.
fn data(body: Json<'_>) -> Result<Json<'_>> {
    if body.get("success").and_then(Json::as_bool) == Some(false) {
        return Err(failure(body));
    }
    body.get("data").filter(|d| !d.is_null()).ok_or_else(|| Error::protocol("pipedrive", "response has no data"))
}

/// Pipedrive's `{success: false, error}` as a remote error.
fn failure(body: Json<'_>) -> Error {
    Error::Remote { provider: "pipedrive".into(), status: 400, message: body.get_str("error").map(str::to_string), body: body.to_value() }
}

fn start_get(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    let (object, native) = eng::split_typed_id(ctx, &["note"], Some("activity"))?;
    let is_note = object == "note";
    let url = if is_note { ctx.url().path(v1(ctx)).path("/notes").seg(native) } else { ctx.url().path("/api/v2/activities").seg(native) };
    let map: crate::provider::RecordMapper = if is_note {
        |_, body, _| {
            let item = data(body)?;
            Ok((map_note(item)?, item))
        }
    } else {
        |_, body, w| {
            let item = data(body)?;
            Ok((map_activity(item, w)?, item))
        }
    };
    Single::boxed(ctx.request(Method::Get, url.build())?, map)
}

/// A list reads activities, then notes; one of them with a type filter. The v2
/// activity list cannot filter by type, so an activity type is filtered locally.
fn start_list(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    let (objects, unsent) = match eng::engagement_type(ctx.fields) {
        Some("note") => (vec!["notes"], vec![]),
        Some(_) => (vec!["activities"], vec!["engagement_type"]),
        None => (vec!["activities", "notes"], vec![]),
    };
    let pages = TypedPages::boxed(objects, page_request, parse_page, |_, object, raw, w| if object == "notes" { map_note(raw) } else { map_activity(raw, w) })?;
    Ok(PartlyLocal::boxed(pages, unsent))
}

fn page_request(ctx: &Ctx, object: &'static str, state: &Value) -> Result<HttpRequest> {
    let limit = eng::page_size(ctx, 100, 500).to_string();
    let f = ctx.fields;
    let range = f.get("updated_at").map(|v| as_range("updated_at", v)).unwrap_or_default();
    let bound = |ops: [&str; 2]| ops.iter().find_map(|op| range.get(*op)).and_then(Value::as_str).and_then(crate::codec::datetime::iso_from_str);
    let url = if object == "notes" {
        let start = crate::provider::state_count(state, "start", 0)?;
        ctx.url().path(v1(ctx)).path("/notes").query("start", start.to_string()).query("limit", limit)
    } else {
        ctx.url()
            .path("/api/v2/activities")
            .query("limit", limit)
            .query_opt("cursor", state.get("cursor").and_then(Value::as_str))
            .query_opt("updated_until", updated_until(&range))
    };
    let url = url
        .query_opt("person_id", f.get("contact_id").and_then(Value::as_str))
        .query_opt("org_id", f.get("account_id").and_then(Value::as_str))
        .query_opt("updated_since", bound(["gt", "gte"]))
        .queries(ctx.query.remote_query.iter().cloned());
    ctx.request(Method::Get, url.build())
}

/// `updated_until` is exclusive ("earlier than") and Pipedrive times are whole
/// seconds, so `lte X` is sent as X+1s and `lt X` as is; the tighter one wins. A bound
/// past the last representable second sends none (crosswalk re-checks the range).
fn updated_until(range: &Map<String, Value>) -> Option<String> {
    let at = |op: &str| range.get(op).and_then(Value::as_str).and_then(crate::codec::datetime::iso_from_str).and_then(|s| parse_datetime(&s));
    let lte = at("lte").and_then(|t| t.checked_add(time::Duration::SECOND));
    [at("lt"), lte].into_iter().flatten().min().map(crate::codec::datetime::iso_utc).filter(|s| !s.is_empty())
}

fn parse_page<'a>(_: &Ctx, object: &'static str, _: &Value, _: &HttpResponse, body: Json<'a>) -> Result<RawPage<'a>> {
    if body.get("success").and_then(Json::as_bool) == Some(false) {
        return Err(failure(body));
    }
    let next = if object == "notes" {
        let more = body.path("additional_data.pagination.more_items_in_collection").and_then(Json::as_bool) == Some(true);
        body.path("additional_data.pagination.next_start").and_then(Json::as_u64).filter(|_| more).map(|n| json!({ "start": n }))
    } else {
        body.get_str("additional_data.next_cursor").map(|c| json!({ "cursor": c }))
    };
    // v1 answers an empty list with `data: null`.
    let items = match body.get("data") {
        Some(data) if data.is_array() => data.items().into_iter().flatten().collect(),
        Some(data) if data.is_null() => Vec::new(),
        None => Vec::new(),
        Some(_) => return Err(Error::protocol("pipedrive", "list data is not an array")),
    };
    Ok(RawPage { items, next, at: Some(&["data"]) })
}

fn id_of(v: Json<'_>) -> Result<String> {
    crate::codec::json::id_string(v.get("id")).ok_or_else(|| Error::protocol("pipedrive", "record has no id"))
}


fn map_activity(a: Json<'_>, w: &mut Vec<Warning>) -> Result<Record> {
    let mut r = Record::new();
    r.insert("id", json!(id_of(a)?));
    r.insert("engagement_type", match a.get_str("type") {
        Some(t) if ACTIVITY.contains(&t) => json!(t),
        Some(t) => {
            eng::unknown_type_warning(w, t);
            Value::Null
        }
        None => Value::Null,
    });
    r.insert("subject", a.field("subject"));
    r.insert("content", a.field("note"));
    r.insert("owner", crate::codec::json::id_ref(a.get("owner_id").or_else(|| a.get("user_id"))));
    let people = a.get("participants").and_then(Json::items).map(|p| p.map(|x| x.get("person_id")).collect::<Vec<_>>());
    r.insert("contacts", match people {
        Some(p) => eng::ref_list(p),
        None => eng::ref_list([a.get("person_id")]),
    });
    r.insert("account", crate::codec::json::id_ref(a.get("org_id")));
    r.insert("opportunity", crate::codec::json::id_ref(a.get("deal_id")));
    r.insert("lead", eng::ref_list([a.get("lead_id")]));
    r.insert("project", crate::codec::json::id_ref(a.get("project_id")));
    let date = a.get_str("due_date").filter(|d| !d.is_empty());
    let time = a.get_str("due_time").filter(|t| !t.is_empty());
    let start = match (date, time) {
        (Some(d), Some(t)) => iso_from_date_and_time(d, t),
        (Some(d), None) => crate::codec::datetime::iso_from_str(d),
        _ => None,
    };
    let duration = a.get_str("duration").map_or(Value::Null, |d| crate::codec::numbers::provider_clock("duration", d, [3600, 60], w));
    let end = match (start.as_deref().and_then(parse_datetime), duration.as_i64(), time) {
        (Some(s), Some(d), Some(_)) => crate::codec::datetime::iso_after(s, d).map_or_else(|| crate::codec::numbers::out_of_range("end_time", &json!(format!("{} + {d} s", s)), "past year 9999", w), Value::String),
        _ => Value::Null,
    };
    r.insert("start_time", json!(start));
    r.insert("end_time", end);
    r.insert("duration", duration);
    r.insert("status", match a.get("done").and_then(Json::as_bool) {
        Some(true) => json!("sent"),
        Some(false) => json!("scheduled"),
        None => Value::Null,
    });
    r.insert("created_at", iso_or_null(a.get("add_time")));
    r.insert("updated_at", iso_or_null(a.get("update_time")));
    Ok(r)
}

fn map_note(n: Json<'_>) -> Result<Record> {
    let mut r = Record::new();
    r.insert("id", json!(eng::typed_id("note", &id_of(n)?)));
    r.insert("engagement_type", json!("note"));
    r.insert("content", n.field("content"));
    r.insert("owner", crate::codec::json::id_ref(n.get("user_id")));
    r.insert("contacts", eng::ref_list([n.get("person_id")]));
    r.insert("account", crate::codec::json::id_ref(n.get("org_id")));
    r.insert("opportunity", crate::codec::json::id_ref(n.get("deal_id")));
    r.insert("lead", eng::ref_list([n.get("lead_id")]));
    r.insert("project", crate::codec::json::id_ref(n.get("project_id")));
    r.insert("created_at", iso_or_null(n.get("add_time")));
    r.insert("updated_at", iso_or_null(n.get("update_time")));
    Ok(r)
}

#[cfg(test)]
mod tests;
