//! HubSpot — CRM v3 engagement objects at `https://api.hubapi.com/crm/v3/objects/{type}`.
//! Docs: https://developers.hubspot.com/docs/api-reference/latest/crm/activities/calls/guide
//! (and the meetings, emails, notes, tasks guides; association type ids from
//! https://developers.hubspot.com/docs/api-reference/legacy/crm/associations/associate-records/guide).
//! Auth: `Authorization: Bearer <OAuth access token or private-app token>`.
//!
//! Each engagement type is its own object (`calls`, `meetings`, `emails`, `notes`,
//! `tasks`) with its own property names, so most fields are mapped here rather than
//! by the table. Associations go inline in the create body with HubSpot-defined type
//! ids, in one request. HubSpot has no `chat` object among these five.
//! Unified ids carry the object (`call:512`): object ids are per object type, so a get
//! needs it. A list without `engagement_type` pages through the five objects in turn.
//! `hs_timestamp` is required by HubSpot; without `start_time` it is the driver's now.
//! Property values are strings (`hs_call_duration` is milliseconds). The 100-per-page
//! list maximum is from public client code, not HubSpot's spec (UNCONFIRMED).
//! Sources and examples: tests/fixtures/hubspot/README.md.

use crate::unified::record::Record;
use crate::provider::auth::{Grant, OAuthDef};
use serde_json::{json, Map, Value};

use crate::provider::account::Account;
use crate::codec::datetime::{iso_from_epoch_ms, iso_from_str, iso_or_null};
use crate::codec::doc::Json;
use crate::error::{Error, Issue, IssueCode, Result, Warning};
use crate::codec::http::{HttpRequest, HttpResponse, Method};
use crate::unified::schema::{s, Conv, FieldMap, Rule, UnifiedMethod};

use crate::providers::crm_engagements::{self as eng, TypeRule, TypedPages};
use crate::provider::{map_status, Ctx, Exchange, OpDef, ProviderDef, RawPage, Single};

/// OAuth: https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide (v3 token
/// endpoint, parameters in the form body; v1 is deprecated on 2027-02-16). Access
/// tokens live 30 minutes. Scopes for engagement objects are UNCONFIRMED from
/// HubSpot's pages; an app sets its own with `oauth_app.scopes`.
const OAUTH: OAuthDef = OAuthDef {
    authorize_url: Some("https://app.hubspot.com/oauth/authorize"),
    token_url: "https://api.hubapi.com/oauth/v3/token",
    hosts: &["app.hubspot.com", "api.hubapi.com"],
    grants: &[Grant::AuthorizationCode, Grant::RefreshToken],
    pkce: true,
    scopes: &["oauth", "crm.objects.contacts.read", "crm.objects.contacts.write"],
    notes: "access tokens expire after 30 minutes (expires_in); the refresh token is kept",
    ..OAuthDef::DEFAULTS
};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "hubspot",
    label: "HubSpot",
    docs: "https://developers.hubspot.com/docs/api-reference/latest/crm/activities/calls/guide",
    hosts: &["api.hubapi.com"],
    origin: |_| Ok("https://api.hubapi.com".into()),
    auth,
    idempotency_header: None,
    oauth: Some(&OAUTH),
    ops: &[
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::Create,
            fields: CREATE,
            returns: &[
                "id", "engagement_type", "subject", "content", "direction", "duration", "start_time", "end_time", "owner", "contacts", "account", "opportunity",
                "lead", "project", "status", "phone_numbers", "internal_notes", "created_at", "updated_at",
            ],
            start: start_create,
            check: Some(check),
            notes: "POST /crm/v3/objects/{calls|meetings|emails|notes|tasks} with inline associations; hs_timestamp defaults to now; chat is not representable",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::List,
            fields: FILTERS,
            returns: READ_RETURNS,
            start: |ctx| TypedPages::boxed(eng::listed_kinds(ctx, KINDS), page_request, parse_page, |_, kind, raw, w| map_object(object(kind)?, raw, w)),
            check: None,
            notes: "without engagement_type, pages through calls, meetings, emails, notes, tasks in turn; contact/account/date filters are applied by crosswalk",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::Get,
            fields: &[FieldMap::custom("engagement_type", "object type, when the id has no type prefix").conv(Conv::Map(OBJECT_NAMES))],
            returns: READ_RETURNS,
            start: start_get,
            check: None,
            notes: "ids are {type}:{HubSpot id} (e.g. call:512); a bare id needs ?engagement_type",
        },
    ],
};

const OBJECT_NAMES: &[(&str, crate::unified::schema::Lit)] = &[("call", s("calls")), ("meeting", s("meetings")), ("email", s("emails")), ("note", s("notes")), ("task", s("tasks"))];

const CREATE: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "object type: /crm/v3/objects/{calls|meetings|emails|notes|tasks}").required().conv(Conv::Map(OBJECT_NAMES)),
    FieldMap::custom("content", "properties.hs_call_body | hs_meeting_body | hs_email_text | hs_note_body | hs_task_body"),
    FieldMap::custom("subject", "properties.hs_call_title | hs_meeting_title | hs_email_subject | hs_task_subject"),
    FieldMap::body("owner", "properties.hubspot_owner_id").conv(Conv::Id),
    FieldMap::custom("contacts", "associations (contact; type id 194/200/198/202/204)"),
    FieldMap::custom("account", "associations (company; type id 182/188/186/190/192)"),
    FieldMap::custom("opportunity", "associations (deal; type id 206/212/210/214/216)"),
    FieldMap::custom("lead", "associations (lead; calls, meetings, notes, tasks)"),
    FieldMap::custom("project", "associations (project; calls, emails, notes, tasks)"),
    FieldMap::custom("start_time", "properties.hs_timestamp (meetings also hs_meeting_start_time)"),
    FieldMap::custom("end_time", "properties.hs_meeting_end_time"),
    FieldMap::custom("duration", "properties.hs_call_duration (milliseconds)"),
    FieldMap::custom("direction", "properties.hs_call_direction (INBOUND/OUTBOUND) | hs_email_direction (INCOMING_EMAIL/EMAIL)").rules(&[Rule::OneOf(&["inbound", "outbound"])]),
    FieldMap::custom("status", "properties.hs_email_status (SCHEDULED/SENT) | hs_meeting_outcome (SCHEDULED)").rules(&[Rule::OneOf(&["scheduled", "sent"])]),
    FieldMap::custom("phone_numbers", "properties.hs_call_to_number (outbound) | hs_call_from_number (inbound)").rules(&[Rule::MaxItems(1)]),
    FieldMap::body("internal_notes", "properties.hs_internal_meeting_notes"),
    FieldMap::custom("custom_fields", "properties.<name>, values sent as strings"),
];

const TYPE_RULES: &[TypeRule] = &[
    TypeRule::Only("subject", &["call", "meeting", "email", "task"]),
    TypeRule::Only("direction", &["call", "email"]),
    TypeRule::Only("duration", &["call"]),
    TypeRule::Only("phone_numbers", &["call"]),
    TypeRule::Only("end_time", &["meeting"]),
    TypeRule::Only("internal_notes", &["meeting"]),
    TypeRule::Only("status", &["meeting", "email"]),
    TypeRule::Values("status", &["meeting"], &["scheduled"]),
    TypeRule::Only("lead", &["call", "meeting", "note", "task"]),
    TypeRule::Only("project", &["call", "email", "note", "task"]),
];

const FILTERS: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "object type to list (else all five in turn)").conv(Conv::Map(OBJECT_NAMES)),
    FieldMap::local("contact_id"),
    FieldMap::local("account_id"),
    FieldMap::local("created_at"),
    FieldMap::local("updated_at"),
];

const READ_RETURNS: &[&str] = &[
    "id", "engagement_type", "subject", "content", "direction", "duration", "start_time", "end_time", "owner", "contacts", "account", "opportunity", "status",
    "phone_numbers", "internal_notes", "created_at", "updated_at",
];

/// One HubSpot engagement object and the property names it uses.
struct Object {
    kind: &'static str,
    name: &'static str,
    content: &'static str,
    subject: Option<&'static str>,
    /// Association type ids (engagement → contact, company, deal, lead, project).
    assoc: [Option<u32>; 5],
    props: &'static str,
}

const OBJECTS: &[Object] = &[
    Object { kind: "call", name: "calls", content: "hs_call_body", subject: Some("hs_call_title"), assoc: [Some(194), Some(182), Some(206), Some(597), Some(1258)],
        props: "hs_timestamp,hs_call_title,hs_call_body,hs_call_direction,hs_call_duration,hs_call_from_number,hs_call_to_number,hubspot_owner_id" },
    Object { kind: "meeting", name: "meetings", content: "hs_meeting_body", subject: Some("hs_meeting_title"), assoc: [Some(200), Some(188), Some(212), Some(601), None],
        props: "hs_timestamp,hs_meeting_title,hs_meeting_body,hs_internal_meeting_notes,hs_meeting_start_time,hs_meeting_end_time,hs_meeting_outcome,hubspot_owner_id" },
    Object { kind: "email", name: "emails", content: "hs_email_text", subject: Some("hs_email_subject"), assoc: [Some(198), Some(186), Some(210), None, Some(1260)],
        props: "hs_timestamp,hs_email_subject,hs_email_text,hs_email_direction,hs_email_status,hubspot_owner_id" },
    Object { kind: "note", name: "notes", content: "hs_note_body", subject: None, assoc: [Some(202), Some(190), Some(214), Some(855), Some(1249)],
        props: "hs_timestamp,hs_note_body,hubspot_owner_id" },
    Object { kind: "task", name: "tasks", content: "hs_task_body", subject: Some("hs_task_subject"), assoc: [Some(204), Some(192), Some(216), Some(647), Some(1247)],
        props: "hs_timestamp,hs_task_subject,hs_task_body,hubspot_owner_id" },
];
const KINDS: &[&str] = &["call", "meeting", "email", "note", "task"];
const ASSOC_FIELDS: [&str; 5] = ["contacts", "account", "opportunity", "lead", "project"];

const EMAIL_STATUS: &[(&str, &str)] = &[("SCHEDULED", "scheduled"), ("SENT", "sent")];
const MEETING_OUTCOME: &[(&str, &str)] = &[("SCHEDULED", "scheduled")];
const CALL_DIRECTION: &[(&str, &str)] = &[("INBOUND", "inbound"), ("OUTBOUND", "outbound")];
const EMAIL_DIRECTION: &[(&str, &str)] = &[("INCOMING_EMAIL", "inbound"), ("EMAIL", "outbound")];

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    let (_, token) = account.any_credential(&["access_token", "api_key"])?;
    Ok(req.secret_header("authorization", format!("Bearer {token}")))
}

fn object(kind: &str) -> Result<&'static Object> {
    OBJECTS.iter().find(|o| o.kind == kind).ok_or_else(|| Error::protocol("hubspot", format!("no HubSpot object for {kind}")))
}

fn check(fields: &Map<String, Value>) -> Vec<Issue> {
    let mut issues = eng::check_types("hubspot", fields, TYPE_RULES);
    issues.extend(eng::no_phone_extensions("hubspot", fields));
    issues.extend(eng::end_after_start(fields, false));
    if fields.contains_key("phone_numbers") && !fields.contains_key("direction") {
        issues.push(Issue::new("body.direction", IssueCode::Required, "HubSpot stores the other party's number as hs_call_to_number (outbound) or hs_call_from_number (inbound); give direction"));
    }
    for (k, v) in fields.get("custom_fields").and_then(Value::as_object).into_iter().flatten() {
        if v.is_object() || v.is_array() {
            issues.push(Issue::new(format!("body.custom_fields.{k}"), IssueCode::InvalidType, "HubSpot property values are strings, numbers or booleans"));
        }
    }
    issues
}

/// HubSpot property values are strings.
fn prop_text(v: &Value) -> Value {
    match v {
        Value::String(_) => v.clone(),
        Value::Null => Value::Null,
        other => Value::String(other.to_string()),
    }
}

fn create_body(ctx: &Ctx, obj: &Object) -> Value {
    let f = ctx.fields;
    let mut props: Map<String, Value> = eng::custom_fields(f).into_iter().map(|(k, v)| (k, prop_text(&v))).collect();
    let text = |k: &str| f.get(k).and_then(Value::as_str).map(|s| json!(s));
    let utc = |k: &str| f.get(k).and_then(Value::as_str).and_then(iso_from_str);
    let timestamp = utc("start_time").or_else(|| i64::try_from(ctx.now_ms).ok().and_then(iso_from_epoch_ms)).unwrap_or_default();
    props.insert("hs_timestamp".into(), json!(timestamp));
    if let Some(c) = text("content") {
        props.insert(obj.content.into(), c);
    }
    if let (Some(name), Some(subject)) = (obj.subject, text("subject")) {
        props.insert(name.into(), subject);
    }
    let direction = f.get("direction").and_then(Value::as_str);
    match obj.kind {
        "call" => {
            if let Some(d) = direction {
                props.insert("hs_call_direction".into(), json!(d.to_ascii_uppercase()));
            }
            // Validation keeps duration within 0..=2^53−1 s, so the milliseconds fit an i64.
            if let Some(ms) = f.get("duration").and_then(Value::as_i64).and_then(|s| s.checked_mul(1000)) {
                props.insert("hs_call_duration".into(), json!(ms.to_string()));
            }
            let number = f.get("phone_numbers").and_then(|p| p.get(0)).and_then(|p| p.get("number")).cloned();
            if let Some(n) = number {
                props.insert(if direction == Some("inbound") { "hs_call_from_number" } else { "hs_call_to_number" }.into(), n);
            }
        }
        "meeting" => {
            if let Some(start) = utc("start_time") {
                props.insert("hs_meeting_start_time".into(), json!(start));
            }
            if let Some(end) = utc("end_time") {
                props.insert("hs_meeting_end_time".into(), json!(end));
            }
            if f.get("status").and_then(Value::as_str) == Some("scheduled") {
                props.insert("hs_meeting_outcome".into(), json!("SCHEDULED"));
            }
        }
        "email" => {
            if let Some(d) = direction {
                props.insert("hs_email_direction".into(), json!(if d == "inbound" { "INCOMING_EMAIL" } else { "EMAIL" }));
            }
            if let Some(status) = f.get("status").and_then(Value::as_str) {
                props.insert("hs_email_status".into(), json!(status.to_ascii_uppercase()));
            }
        }
        _ => {}
    }
    let mut associations = Vec::new();
    for (field, type_id) in ASSOC_FIELDS.iter().zip(obj.assoc) {
        for id in eng::ref_ids(f, field) {
            associations.push(json!({ "to": { "id": id }, "types": [{ "associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id }] }));
        }
    }
    // Owner and meeting notes come from the table; remote_data goes on last.
    let mut body = Value::Object(crate::unified::mapping::apply(ctx.op.fields, f).body);
    let table_props = body.get_mut("properties").and_then(Value::as_object_mut).map(std::mem::take).unwrap_or_default();
    props.extend(table_props);
    body["properties"] = Value::Object(props);
    if !associations.is_empty() {
        body["associations"] = Value::Array(associations);
    }
    if let Some(extra) = ctx.remote_data {
        crate::codec::json::merge(&mut body, extra);
    }
    body
}

fn start_create(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    let obj = object(eng::engagement_type(ctx.fields).unwrap_or_default())?;
    let url = ctx.url().path("/crm/v3/objects/").path(obj.name).build();
    Single::boxed(ctx.request(Method::Post, url)?.json(create_body(ctx, obj)), |ctx, body, w| {
        let obj = object(eng::engagement_type(ctx.fields).unwrap_or_default())?;
        let mut record = map_object(obj, body, w)?;
        // Associations are created with the object and not echoed back.
        for field in ASSOC_FIELDS {
            if let Some(v) = ctx.fields.get(field) {
                let refs = match v {
                    Value::Array(_) => Value::Array(eng::ref_ids(ctx.fields, field).into_iter().map(|id| json!({ "id": id })).collect()),
                    _ => eng::first_ref_id(ctx.fields, field).map(|id| json!({ "id": id })).unwrap_or(Value::Null),
                };
                record.insert(field.into(), refs);
            }
        }
        Ok((record, body))
    })
}

fn read_url(ctx: &Ctx, obj: &Object, id: Option<&str>) -> crate::codec::http::UrlBuilder {
    let url = ctx.url().path("/crm/v3/objects/").path(obj.name);
    let url = match id {
        Some(id) => url.seg(id),
        None => url,
    };
    url.query("properties", obj.props).query("associations", "contacts,companies,deals").query("archived", "false")
}

fn start_get(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    let (kind, native) = eng::split_typed_id(ctx, KINDS, None)?;
    let url = read_url(ctx, object(kind)?, Some(native)).queries(ctx.query.remote_query.iter().cloned()).build();
    Single::boxed(ctx.request(Method::Get, url)?, |ctx, body, w| {
        let kind = eng::answered_kind(ctx, KINDS, None)?;
        Ok((map_object(object(kind)?, body, w)?, body))
    })
}

fn page_request(ctx: &Ctx, kind: &'static str, state: &Value) -> Result<HttpRequest> {
    let url = read_url(ctx, object(kind)?, None)
        .query("limit", eng::page_size(ctx, 100, 100).to_string())
        .query_opt("after", state.get("after").and_then(Value::as_str))
        .queries(ctx.query.remote_query.iter().cloned());
    ctx.request(Method::Get, url.build())
}

fn parse_page<'a>(_: &Ctx, _: &'static str, _: &Value, _: &HttpResponse, body: Json<'a>) -> Result<RawPage<'a>> {
    let items = body.get("results").and_then(Json::items).ok_or_else(|| Error::protocol("hubspot", "list response has no results array"))?.collect();
    let next = body.get_str("paging.next.after").map(|after| json!({ "after": after }));
    Ok(RawPage { items, next, at: Some(&["results"]) })
}

/// v3 lists an associated object once per association type (label): keep each id once, in order.
fn first_of_each_id(results: crate::codec::doc::Items<'_>) -> Vec<Option<Json<'_>>> {
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for id in results.map(|x| x.get("id")) {
        match crate::codec::json::id_string(id) {
            Some(key) if seen.contains(&key) => continue,
            Some(key) => seen.push(key),
            None => {}
        }
        out.push(id);
    }
    out
}

/// `hs_call_duration` (milliseconds, usually a string) as whole seconds, rounded
/// half up. Whole numbers are read exactly; a fraction of a millisecond only below
/// 2^53 ms, where a double is still exact to the millisecond.
fn call_duration(v: Option<Json<'_>>, w: &mut Vec<Warning>) -> Value {
    let Some(v) = v else { return Value::Null };
    let text = match (v.as_str(), v.as_number()) {
        (Some(s), _) => s.trim().to_string(),
        (None, Some(n)) => n.to_string(),
        _ => return Value::Null,
    };
    let ms = match text.parse::<i64>() {
        Ok(ms) => Some(ms),
        Err(_) => match text.parse::<f64>() {
            Ok(f) if f.is_finite() && f.abs() <= crate::codec::numbers::MAX_SAFE_INT as f64 => Some(f.round() as i64),
            Ok(_) => None,
            Err(_) => return Value::Null, // not a number at all (as before)
        },
    };
    let secs = ms.filter(|ms| *ms >= 0).and_then(|ms| ms.checked_add(500)).map(|ms| ms / 1000);
    crate::codec::numbers::provider_int("duration", &v, secs, w)
}

fn map_object(obj: &Object, rec: Json<'_>, w: &mut Vec<Warning>) -> Result<Record> {
    let id = crate::codec::json::id_string(rec.get("id")).ok_or_else(|| Error::protocol("hubspot", "record has no id"))?;
    let props = rec.get("properties");
    let prop = |k: &str| props.and_then(|p| p.get(k)).filter(|v| !v.is_null() && v.as_str() != Some(""));
    let text = |k: &str| prop(k).map_or(Value::Null, Json::to_value);
    let iso = |k: &str| iso_or_null(prop(k));
    let associations = rec.get("associations");
    let assoc = |t: &str| -> Vec<Option<Json<'_>>> {
        associations.and_then(|a| a.get(t)).and_then(|a| a.get("results")).and_then(Json::items).map(first_of_each_id).unwrap_or_default()
    };
    let mut r = Record::new();
    r.insert("id", json!(eng::typed_id(obj.kind, &id)));
    r.insert("engagement_type", json!(obj.kind));
    r.insert("subject", obj.subject.map(text).unwrap_or(Value::Null));
    r.insert("content", text(obj.content));
    r.insert("owner", crate::codec::json::id_ref(prop("hubspot_owner_id")));
    r.insert("contacts", eng::ref_list(assoc("contacts")));
    r.insert("account", assoc("companies").first().map_or(Value::Null, |v| crate::codec::json::id_ref(*v)));
    r.insert("opportunity", assoc("deals").first().map_or(Value::Null, |v| crate::codec::json::id_ref(*v)));
    let direction = match obj.kind {
        "call" => eng::map_value(CALL_DIRECTION, prop("hs_call_direction").and_then(Json::as_str), "direction", w),
        "email" => eng::map_value(EMAIL_DIRECTION, prop("hs_email_direction").and_then(Json::as_str), "direction", w),
        _ => Value::Null,
    };
    r.insert("duration", call_duration(prop("hs_call_duration"), w));
    r.insert("phone_numbers", {
        let side = if direction == "inbound" { "hs_call_from_number" } else { "hs_call_to_number" };
        eng::phone_list(prop(side).filter(|_| obj.kind == "call"))
    });
    r.insert("direction", direction);
    r.insert("status", match obj.kind {
        "email" => map_status(EMAIL_STATUS, prop("hs_email_status").and_then(Json::as_str), w),
        "meeting" => map_status(MEETING_OUTCOME, prop("hs_meeting_outcome").and_then(Json::as_str), w),
        _ => Value::Null,
    });
    let start = if obj.kind == "meeting" { prop("hs_meeting_start_time").map(|v| iso_or_null(Some(v))) } else { None };
    r.insert("start_time", start.unwrap_or_else(|| iso("hs_timestamp")));
    r.insert("end_time", if obj.kind == "meeting" { iso("hs_meeting_end_time") } else { Value::Null });
    r.insert("internal_notes", if obj.kind == "meeting" { text("hs_internal_meeting_notes") } else { Value::Null });
    r.insert("created_at", iso_or_null(rec.get("createdAt")));
    r.insert("updated_at", iso_or_null(rec.get("updatedAt")));
    Ok(r)
}

#[cfg(test)]
mod tests;
