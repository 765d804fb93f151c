//! Salesforce — REST API on the account's own instance, `{instance_url}/services/data/v60.0`.
//! Docs: https://developer.salesforce.com/docs/platform/object-reference/references/standard-objects/object-task.html,
//! object-event.html, and https://developer.salesforce.com/docs/platform/api-rest/guide/dome-query.md.
//! Auth: `Authorization: Bearer <OAuth access token>`; the host is `account.context.instance_url`
//! (from the token response), which must be an https My Domain host, `*.my.salesforce.com`
//! (sandbox, scratch, developer and other partitions are subdomains of it).
//!
//! Calls, emails and tasks are `Task` records told apart by `TaskSubtype` (Call, Email,
//! Task); meetings are `Event` records. Salesforce has no note or chat activity here
//! (notes are ContentNote, a different API), so those types are refused.
//! A create answers only `{id, success}`, so it is a chain: POST the sObject, then read
//! it back with SOQL (which also gives `Who.Type`/`What.Type`, telling contacts from
//! leads and deals from accounts). If the read fails the error is a partial failure
//! naming the created id. Lists run one SOQL query per sObject (Task, then Event) and
//! follow `nextRecordsUrl` on the account's own origin. Unified ids carry the type
//! (`call:00T…`, `meeting:00U…`), which picks the sObject to read.
//! A Task's date is `ActivityDate`, a date: `start_time` keeps only its date there (the
//! day as the caller wrote it, in their offset). Read back, a date is no instant (midnight
//! UTC is the day before west of UTC) and the model has no date-only field, so a Task's
//! `start_time` is null with a `date_only` warning; `ActivityDate` is in remote_data.
//! `status` is crosswalk's choice of Task `Status` values: sent = Completed,
//! scheduled = Not Started. Sources and examples: tests/fixtures/salesforce/README.md.

use crate::unified::record::Record;
use crate::provider::auth::{Grant, OAuthDef};
use serde_json::{json, Map, Value};

use crate::provider::account::Account;
use crate::codec::datetime::{iso_from_str, parse_datetime};
use crate::codec::doc::Json;
use crate::codec::json::get_str;
use crate::error::{Error, Issue, IssueCode, Result, Warning};
use crate::unified::filters::as_range;
use crate::codec::http::{HttpRequest, HttpResponse, Method, Origin};
use crate::unified::schema::{s, Conv, FieldMap, Rule, UnifiedMethod};

use crate::provider::chain::{Chain, ChainStep};
use crate::providers::crm_engagements::{self as eng, TypeRule, TypedPages};
use crate::provider::{map_status, Ctx, Exchange, OpDef, ProviderDef, RawPage, Single};

/// The REST API version every request uses.
pub const API: &str = "/services/data/v60.0";

/// OAuth: https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_endpoints.htm
/// (endpoints on login/test or the My Domain host) and the refresh-token flow page
/// (rotation is optional per connected app, so a returned refresh token replaces
/// the old one). No `expires_in`: the session timeout is the org's, so the token is
/// renewed on a 401. The token response's `instance_url` is where the API lives.
const OAUTH: OAuthDef = OAuthDef {
    authorize_url: Some("{login_url}/services/oauth2/authorize"),
    token_url: "{login_url}/services/oauth2/token",
    hosts: &["login.salesforce.com", "test.salesforce.com", "*.my.salesforce.com"],
    grants: &[Grant::AuthorizationCode, Grant::RefreshToken, Grant::ClientCredentials],
    pkce: true,
    scopes: &["api", "refresh_token"],
    response_context: &[("instance_url", "instance_url")],
    defaults: &[("login_url", "https://login.salesforce.com")],
    notes: "no expires_in (org session timeout): renewed on 401; instance_url comes from the token response; refresh tokens rotate when the app enables it",
    ..OAuthDef::DEFAULTS
};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "salesforce",
    label: "Salesforce",
    docs: "https://developer.salesforce.com/docs/platform/object-reference/references/standard-objects/object-task.html",
    // My Domain hosts only (tests/fixtures/salesforce/README.md §8): API calls go to
    // the token response's instance_url, never to Lightning, Visualforce or site hosts.
    hosts: &["*.my.salesforce.com"],
    origin: instance_origin,
    auth: |account, req| Ok(req.secret_header("authorization", format!("Bearer {}", account.credential("access_token")?))),
    idempotency_header: None,
    oauth: Some(&OAUTH),
    ops: &[
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::Create,
            fields: CREATE,
            returns: RETURNS,
            start: |_| Chain::boxed(CREATE_STEPS, |_, results, w| {
                let record = results.get(1).copied().unwrap_or(Json::NULL);
                Ok((map_record(record, w)?, record))
            }),
            check: Some(check),
            notes: "POST /sobjects/Task (call, email, task via TaskSubtype) or /sobjects/Event (meeting), then a SOQL read of the new record",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::List,
            fields: FILTERS,
            returns: RETURNS,
            start: |ctx| TypedPages::boxed(list_sobjects(ctx), page_request, parse_page, |_, _, raw, w| map_record(raw, w)),
            check: None,
            notes: "SOQL over Task then Event (one of them with engagement_type); pages of 200–2000 (Sforce-Query-Options)",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::Get,
            fields: &[FieldMap::custom("engagement_type", "sObject (Task or Event), when the id has no type prefix").conv(Conv::Map(SOBJECTS))],
            returns: RETURNS,
            start: start_get,
            check: None,
            notes: "ids are {type}:{Salesforce id}; a bare id needs ?engagement_type",
        },
    ],
};

const SOBJECTS: &[(&str, crate::unified::schema::Lit)] = &[("call", s("Task")), ("email", s("Task")), ("task", s("Task")), ("meeting", s("Event"))];
const KINDS: &[&str] = &["call", "email", "task", "meeting"];

const CREATE: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "sObject: Task with TaskSubtype Call | Email | Task, or Event (meeting)").required().conv(Conv::Map(SOBJECTS)),
    FieldMap::body("subject", "Subject").rules(&[Rule::MaxLen(255)]),
    FieldMap::body("content", "Description").rules(&[Rule::MaxLen(32_000)]),
    FieldMap::body("owner", "OwnerId").conv(Conv::Id),
    FieldMap::custom("contacts", "WhoId (one contact)").rules(&[Rule::MaxItems(1)]),
    FieldMap::custom("lead", "WhoId (one lead)").rules(&[Rule::MaxItems(1)]),
    FieldMap::custom("account", "WhatId"),
    FieldMap::custom("opportunity", "WhatId"),
    FieldMap::custom("start_time", "ActivityDate (Task, the caller's date; read back as null + date_only warning) | StartDateTime (Event)"),
    FieldMap::custom("end_time", "EndDateTime (Event)"),
    FieldMap::custom("duration", "CallDurationInSeconds (call) | DurationInMinutes (meeting, whole minutes)"),
    FieldMap::custom("direction", "CallType: Inbound | Outbound").rules(&[Rule::OneOf(&["inbound", "outbound"])]),
    FieldMap::custom("status", "Status (Task): sent = Completed, scheduled = Not Started").rules(&[Rule::OneOf(&["scheduled", "sent"])]),
    FieldMap::custom("custom_fields", "fields of the sObject by API name (e.g. Score__c)"),
];

const TYPE_RULES: &[TypeRule] = &[
    TypeRule::Only("direction", &["call"]),
    TypeRule::Only("duration", &["call", "meeting"]),
    TypeRule::Only("end_time", &["meeting"]),
    TypeRule::Only("status", &["call", "email", "task"]),
    TypeRule::Required("start_time", &["meeting"]),
    TypeRule::AnyOf(&["end_time", "duration"], &["meeting"]),
    TypeRule::AtMostOne(&["contacts", "lead"], KINDS),
    TypeRule::AtMostOne(&["opportunity", "account"], KINDS),
];

const FILTERS: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "FROM Task WHERE TaskSubtype … | FROM Event").conv(Conv::Map(SOBJECTS)),
    FieldMap::custom("contact_id", "WHERE WhoId = …"),
    FieldMap::custom("account_id", "WHERE AccountId = …"),
    FieldMap::custom("created_at", "WHERE CreatedDate >=/>/</<= …"),
    FieldMap::custom("updated_at", "WHERE LastModifiedDate >=/>/</<= …"),
];

const RETURNS: &[&str] = &[
    "id", "engagement_type", "subject", "content", "owner", "contacts", "lead", "account", "opportunity", "start_time", "end_time", "duration", "direction", "status",
    "created_at", "updated_at",
];

const TASK_FIELDS: &str = "Id, Subject, Description, ActivityDate, Status, OwnerId, WhoId, Who.Type, WhatId, What.Type, AccountId, TaskSubtype, CallType, CallDurationInSeconds, CreatedDate, LastModifiedDate";
const EVENT_FIELDS: &str = "Id, Subject, Description, StartDateTime, EndDateTime, DurationInMinutes, OwnerId, WhoId, Who.Type, WhatId, What.Type, AccountId, CreatedDate, LastModifiedDate";

const TASK_STATUS: &[(&str, &str)] = &[("Completed", "sent"), ("Not Started", "scheduled")];
const CALL_TYPE: &[(&str, &str)] = &[("Inbound", "inbound"), ("Outbound", "outbound")];

fn instance_origin(account: &Account) -> Result<String> {
    let raw = account.context_str("instance_url")?;
    let origin = Origin::parse(raw.trim_end_matches('/'), "account.context.instance_url")?;
    // The same patterns the Worker allows, on https's default port only.
    let default_port = origin.as_str().strip_prefix("https://").is_some_and(|rest| !rest.contains(':') || rest.ends_with(":443"));
    let ok = default_port && PROVIDER.hosts.iter().any(|p| crate::codec::http::host_matches(origin.host(), p));
    if !ok {
        return Err(Error::one_issue(Some("salesforce"), Issue::new("account.context.instance_url", IssueCode::InvalidFormat, "must be the https://….my.salesforce.com instance URL from the token response")));
    }
    Ok(origin.as_str().to_string())
}

fn sobject(kind: &str) -> &'static str {
    if kind == "meeting" { "Event" } else { "Task" }
}

fn check(fields: &Map<String, Value>) -> Vec<Issue> {
    let mut issues = eng::check_types("salesforce", fields, TYPE_RULES);
    issues.extend(eng::end_after_start(fields, false));
    if eng::engagement_type(fields) == Some("meeting") {
        if let Some(secs) = fields.get("duration").and_then(Value::as_i64) {
            let at = |k: &str| fields.get(k).and_then(Value::as_str).and_then(parse_datetime);
            if secs % 60 != 0 {
                issues.push(Issue::new("body.duration", IssueCode::InvalidFormat, "Salesforce stores meeting durations in whole minutes (DurationInMinutes); give a multiple of 60 seconds"));
            } else if let (Some(start), Some(end)) = (at("start_time"), at("end_time")) {
                if crate::codec::datetime::secs_between(start, end) != Some(secs) {
                    issues.push(Issue::new("body.duration", IssueCode::Conflict, "does not match end_time − start_time; Salesforce needs both to agree"));
                }
            }
        }
    }
    issues
}

fn create_body(ctx: &Ctx) -> Value {
    let f = ctx.fields;
    let kind = eng::engagement_type(f).unwrap_or_default();
    let mut body = eng::custom_fields(f);
    body.extend(crate::unified::mapping::apply(ctx.op.fields, f).body);
    let who = eng::first_ref_id(f, "contacts").or_else(|| eng::first_ref_id(f, "lead"));
    let what = eng::first_ref_id(f, "opportunity").or_else(|| eng::first_ref_id(f, "account"));
    body.extend(who.map(|id| ("WhoId".to_string(), json!(id))));
    body.extend(what.map(|id| ("WhatId".to_string(), json!(id))));
    let start = f.get("start_time").and_then(Value::as_str).and_then(parse_datetime);
    let duration = f.get("duration").and_then(Value::as_i64);
    if kind == "meeting" {
        body.extend(start.map(|t| ("StartDateTime".to_string(), json!(crate::codec::datetime::iso_utc(t)))));
        body.extend(f.get("end_time").and_then(Value::as_str).and_then(iso_from_str).map(|t| ("EndDateTime".to_string(), json!(t))));
        body.extend(duration.map(|d| ("DurationInMinutes".to_string(), json!(d / 60))));
    } else {
        let subtype = match kind {
            "call" => "Call",
            "email" => "Email",
            _ => "Task",
        };
        body.insert("TaskSubtype".into(), json!(subtype));
        // A date as the caller wrote it: the local day they meant, not the UTC one.
        let day = f.get("start_time").and_then(Value::as_str).and_then(|s| s.get(..10));
        body.extend(day.map(|d| ("ActivityDate".to_string(), json!(d))));
        if let Some(status) = f.get("status").and_then(Value::as_str) {
            body.insert("Status".into(), json!(if status == "sent" { "Completed" } else { "Not Started" }));
        }
        if kind == "call" {
            body.extend(f.get("direction").and_then(Value::as_str).map(|d| ("CallType".to_string(), json!(if d == "inbound" { "Inbound" } else { "Outbound" }))));
            body.extend(duration.map(|d| ("CallDurationInSeconds".to_string(), json!(d))));
        }
    }
    let mut body = Value::Object(body);
    if let Some(extra) = ctx.remote_data {
        crate::codec::json::merge(&mut body, extra);
    }
    body
}

/// A SOQL string literal.
fn soql_str(s: &str) -> String {
    let escaped = s.replace('\\', "\\\\").replace('\'', "\\'").replace('\n', "\\n").replace('\r', "\\r").replace('\t', "\\t").replace('"', "\\\"");
    format!("'{escaped}'")
}

fn query_request(ctx: &Ctx, soql: &str, batch: Option<u32>) -> Result<HttpRequest> {
    let url = ctx.url().path(API).path("/query").query("q", soql).queries(ctx.query.remote_query.iter().cloned());
    let req = ctx.request(Method::Get, url.build())?;
    Ok(match batch {
        Some(n) => req.header("sforce-query-options", format!("batchSize={n}")),
        None => req,
    })
}

fn select_by_id(ctx: &Ctx, object: &str, id: &str) -> Result<HttpRequest> {
    let fields = if object == "Event" { EVENT_FIELDS } else { TASK_FIELDS };
    query_request(ctx, &format!("SELECT {fields} FROM {object} WHERE Id = {}", soql_str(id)), None)
}

static CREATE_STEPS: &[ChainStep] = &[
    ChainStep {
        name: "create",
        build: |ctx, _| {
            let object = sobject(eng::engagement_type(ctx.fields).unwrap_or_default());
            Ok(Some(ctx.request(Method::Post, ctx.url().path(API).path("/sobjects/").path(object).build())?.json(create_body(ctx))))
        },
        read: |ctx, _, body| {
            if body.get("success").and_then(Json::as_bool) == Some(false) {
                return Err(Error::Remote { provider: "salesforce".into(), status: 400, message: crate::provider::error_message(&body.field("errors")), body: body.to_value() });
            }
            let id = body.get_str("id").ok_or_else(|| Error::protocol("salesforce", "create answered without an id"))?;
            Ok(json!({ "id": id, "sobject": sobject(eng::engagement_type(ctx.fields).unwrap_or_default()) }))
        },
    },
    ChainStep {
        name: "fetch",
        build: |ctx, done| {
            let created = done.first().cloned().unwrap_or(Value::Null);
            Ok(Some(select_by_id(ctx, get_str(&created, "sobject").unwrap_or("Task"), get_str(&created, "id").unwrap_or_default())?))
        },
        read: |_, _, body| first_record(body).map(Json::to_value),
    },
];

/// The one record a query by id answers, or a 404 when it found none.
fn first_record(body: Json<'_>) -> Result<Json<'_>> {
    body.get("records").and_then(|r| r.get(0)).ok_or_else(|| Error::Remote {
        provider: "salesforce".into(),
        status: 404,
        message: Some("no record with this id".into()),
        body: body.to_value(),
    })
}

fn start_get(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    let (kind, native) = eng::split_typed_id(ctx, KINDS, None)?;
    Single::boxed(select_by_id(ctx, sobject(kind), native)?, |_, body, w| {
        let record = first_record(body)?;
        Ok((map_record(record, w)?, record))
    })
}

/// SOQL date-time literal (whole seconds, UTC), rounded outward so the provider's
/// filter is never narrower than the caller's; crosswalk re-checks exactly.
fn soql_datetime(v: &Value, round_up: bool) -> Option<String> {
    let t = v.as_str().and_then(parse_datetime)?.to_offset(time::UtcOffset::UTC);
    let whole = t.replace_nanosecond(0).ok()?;
    let t = if round_up && whole != t { whole.checked_add(time::Duration::SECOND)? } else { whole };
    Some(format!("{}T{:02}:{:02}:{:02}Z", crate::codec::datetime::date_only(t), t.hour(), t.minute(), t.second()))
}

fn list_soql(ctx: &Ctx, object: &str) -> String {
    let f = ctx.fields;
    let mut wheres = Vec::new();
    match (object, eng::engagement_type(f)) {
        ("Task", Some("call")) => wheres.push("TaskSubtype = 'Call'".to_string()),
        ("Task", Some("email")) => wheres.push("TaskSubtype = 'Email'".to_string()),
        ("Task", Some("task")) => wheres.push("TaskSubtype NOT IN ('Call', 'Email', 'ListEmail')".to_string()),
        _ => {}
    }
    if let Some(id) = f.get("contact_id").and_then(Value::as_str) {
        wheres.push(format!("WhoId = {}", soql_str(id)));
    }
    if let Some(id) = f.get("account_id").and_then(Value::as_str) {
        wheres.push(format!("AccountId = {}", soql_str(id)));
    }
    for (filter, column) in [("created_at", "CreatedDate"), ("updated_at", "LastModifiedDate")] {
        for (op, bound) in f.get(filter).map(|v| as_range(filter, v)).into_iter().flatten() {
            let (sym, up) = match op.as_str() {
                "gt" => (">", false),
                "gte" => (">=", false),
                "lt" => ("<", true),
                _ => ("<=", true),
            };
            wheres.extend(soql_datetime(&bound, up).map(|t| format!("{column} {sym} {t}")));
        }
    }
    let fields = if object == "Event" { EVENT_FIELDS } else { TASK_FIELDS };
    let mut soql = format!("SELECT {fields} FROM {object}");
    if !wheres.is_empty() {
        soql.push_str(" WHERE ");
        soql.push_str(&wheres.join(" AND "));
    }
    soql
}

/// The sObjects a list queries: the one the type filter names, else Task then Event.
fn list_sobjects(ctx: &Ctx) -> Vec<&'static str> {
    match eng::engagement_type(ctx.fields) {
        Some(kind) => vec![sobject(kind)],
        None => vec!["Task", "Event"],
    }
}

fn page_request(ctx: &Ctx, object: &'static str, state: &Value) -> Result<HttpRequest> {
    let batch = eng::page_size(ctx, 2000, 2000).max(200);
    match state.get("next").and_then(Value::as_str) {
        Some(path) => {
            // nextRecordsUrl is a path; it is only ever sent to the account's own origin,
            // and only as a query locator: the cursor is caller-held, so anything else
            // (`/query?q=<any SOQL>`, `/sobjects/…`) would read what this list never does.
            if !is_query_locator(path) {
                return Err(Error::InvalidCursor { reason: "nextRecordsUrl is not a Salesforce query path".into() });
            }
            Ok(ctx.request(Method::Get, ctx.url().raw_path(path).build())?.header("sforce-query-options", format!("batchSize={batch}")))
        }
        None => query_request(ctx, &list_soql(ctx, object), Some(batch)),
    }
}

/// `/services/data/v68.0/query/01gD0000002HU6KIAW-2000`: the shape of a query's
/// `nextRecordsUrl`, and nothing else.
fn is_query_locator(path: &str) -> bool {
    let Some((version, locator)) = path.strip_prefix("/services/data/v").and_then(|r| r.split_once("/query/")) else { return false };
    let version_ok = version.split_once('.').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty() && (a.to_owned() + b).bytes().all(|c| c.is_ascii_digit()));
    version_ok && !locator.is_empty() && locator.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
}

fn parse_page<'a>(_: &Ctx, _: &'static str, _: &Value, _: &HttpResponse, body: Json<'a>) -> Result<RawPage<'a>> {
    let items = body.get("records").and_then(Json::items).ok_or_else(|| Error::protocol("salesforce", "query response has no records array"))?.collect();
    let next = body.get_str("nextRecordsUrl").filter(|_| body.get("done").and_then(Json::as_bool) != Some(true)).map(|url| json!({ "next": url }));
    Ok(RawPage { items, next, at: Some(&["records"]) })
}

/// Salesforce writes offsets as `+0000`; RFC 3339 wants `+00:00`.
fn sf_time(v: Option<Json<'_>>) -> Value {
    let Some(s) = v.and_then(Json::as_str) else { return Value::Null };
    let fixed = match s.len().checked_sub(5).and_then(|i| s.get(i..).map(|tail| (i, tail))) {
        Some((i, tail)) if (tail.starts_with('+') || tail.starts_with('-')) && tail[1..].bytes().all(|b| b.is_ascii_digit()) => {
            let (head, mm) = s.split_at(i.saturating_add(3));
            format!("{head}:{mm}")
        }
        _ => s.to_string(),
    };
    iso_from_str(&fixed).map(Value::String).unwrap_or(Value::Null)
}

fn map_record(rec: Json<'_>, w: &mut Vec<Warning>) -> Result<Record> {
    let id = rec.get_str("Id").ok_or_else(|| Error::protocol("salesforce", "record has no Id"))?;
    let is_event = rec.get_str("attributes.type") == Some("Event") || rec.get("StartDateTime").is_some();
    let kind = if is_event {
        "meeting"
    } else {
        match rec.get_str("TaskSubtype") {
            Some("Call") => "call",
            Some("Email") | Some("ListEmail") | Some("List Email") => "email",
            // Task, LinkedIn, Cadence and unset subtypes are all tasks.
            _ => "task",
        }
    };
    let who = |t: &str| if rec.get_str("Who.Type") == Some(t) { crate::codec::json::id_ref(rec.get("WhoId")) } else { Value::Null };
    let mut r = Record::new();
    r.insert("id", json!(eng::typed_id(kind, id)));
    r.insert("engagement_type", json!(kind));
    r.insert("subject", rec.field("Subject"));
    r.insert("content", rec.field("Description"));
    r.insert("owner", crate::codec::json::id_ref(rec.get("OwnerId")));
    r.insert("contacts", Value::Array(Some(who("Contact")).filter(|v| !v.is_null()).into_iter().collect()));
    r.insert("lead", Value::Array(Some(who("Lead")).filter(|v| !v.is_null()).into_iter().collect()));
    r.insert("account", crate::codec::json::id_ref(rec.get("AccountId")));
    r.insert("opportunity", if rec.get_str("What.Type") == Some("Opportunity") { crate::codec::json::id_ref(rec.get("WhatId")) } else { Value::Null });
    if is_event {
        r.insert("start_time", sf_time(rec.get("StartDateTime")));
        r.insert("end_time", sf_time(rec.get("EndDateTime")));
        r.insert("duration", crate::codec::numbers::provider_secs("duration", rec.get("DurationInMinutes"), 60, w));
        r.insert("direction", Value::Null);
        r.insert("status", Value::Null);
    } else {
        r.insert("start_time", Value::Null);
        if let Some(day) = rec.get_str("ActivityDate").filter(|d| !d.is_empty()) {
            w.push(Warning {
                field: "start_time".into(),
                code: crate::error::WarningCode::DateOnly,
                message: format!("Salesforce gives this Task only a date ({day}), no time; start_time is null, the date is remote_data.ActivityDate"),
            });
        }
        r.insert("end_time", Value::Null);
        r.insert("duration", crate::codec::numbers::provider_secs("duration", rec.get("CallDurationInSeconds"), 1, w));
        r.insert("direction", eng::map_value(CALL_TYPE, rec.get_str("CallType"), "direction", w));
        r.insert("status", map_status(TASK_STATUS, rec.get_str("Status"), w));
    }
    r.insert("created_at", sf_time(rec.get("CreatedDate")));
    r.insert("updated_at", sf_time(rec.get("LastModifiedDate")));
    Ok(r)
}

#[cfg(test)]
mod tests;
