//! Microsoft Dynamics 365 Sales (Dataverse Web API v9.2) — activities as unified
//! CRM engagements.
//! Docs: https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api,
//! the entity references (phonecall, appointment, email, task, annotation) and
//! https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/page-results.
//! Base: the environment URL from `account.context.instance_url`
//! (`https://{org}.crm{N}.dynamics.com`, checked to be a `*.dynamics.com` origin)
//! + `/api/data/v9.2`. Auth: `Authorization: Bearer <Entra ID access token>`.
//!
//! The engagement type picks the table: call → `phonecalls`, meeting →
//! `appointments`, email → `emails`, task → `tasks`, note → `annotations` (chat has
//! no writable table). Creates send `Prefer: return=representation` (201 with the
//! row) and link records with `@odata.bind`; contacts become activity parties
//! (call/email: to, or from when inbound; meeting: required attendees). Lists page
//! with `Prefer: odata.maxpagesize` and `@odata.nextLink` (kept on the account's
//! origin). Dataverse ids do not say which table they belong to, so unified ids
//! carry the type (`call:{guid}`) and `get` reads the table from them (a plain GUID
//! is taken with the `engagement_type` query); a list needs `engagement_type`.
//! Sources: tests/fixtures/dynamics365/README.md.

mod map;
#[cfg(test)]
mod tests;

use crate::provider::auth::{Grant, OAuthDef};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde_json::{json, Map, Value};

use crate::codec::doc::Json;
use crate::provider::account::Account;
use crate::error::{Error, Issue, IssueCode, Result};
use crate::codec::http::{HttpRequest, HttpResponse, Method, Origin};
use crate::unified::schema::{FieldMap, Rule, UnifiedMethod};

use crate::providers::crm_engagements::{self as eng, TypeRule};
use crate::provider::{rebase_on_origin, Ctx, Exchange, OpDef, Paged, ProviderDef, RawPage, Single};

/// OAuth: the Microsoft identity platform v2.0 endpoints
/// (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow),
/// tenant from `context.tenant` (default `organizations`). The scope names the
/// environment (`{instance_url}/user_impersonation`) plus `offline_access` for a
/// refresh token. Refresh tokens rotate: the new one replaces the old.
const OAUTH: OAuthDef = OAuthDef {
    authorize_url: Some("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize"),
    token_url: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
    hosts: &["login.microsoftonline.com"],
    grants: &[Grant::AuthorizationCode, Grant::RefreshToken],
    pkce: true,
    scopes: &["{instance_url}/user_impersonation", "offline_access"],
    authorize_params: &[("response_mode", "query")],
    defaults: &[("tenant", "organizations")],
    notes: "access tokens expire after 60-90 minutes; refresh tokens rotate and expire after 90 days unused (AADSTS700082 invalid_grant)",
    ..OAuthDef::DEFAULTS
};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "dynamics365",
    label: "Microsoft Dynamics 365",
    docs: "https://learn.microsoft.com/power-apps/developer/data-platform/webapi/overview",
    hosts: &["*.dynamics.com"],
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
            check: Some(check_create),
            notes: "call/meeting/email/task/note → phonecalls/appointments/emails/tasks/annotations; chat is not representable. One regarding record (opportunity, account or lead); contacts are activity parties (a task links one contact as its regarding record, a note one parent). direction only for calls and emails (missed has no Dataverse equivalent). duration is sent as whole minutes (rounded up).",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::List,
            fields: LIST,
            returns: RETURNS,
            start: |_| Paged::boxed(page_request, read_page, |ctx, item, w| map::to_unified(kind_of(ctx)?, item, w)),
            check: Some(check_filters),
            notes: "engagement_type is required (one Dataverse table per type). Pages of up to 5000 via Prefer: odata.maxpagesize.",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::Get,
            fields: &[FieldMap::custom("engagement_type", "with a plain id: the table to read (phonecalls, appointments, emails, tasks, annotations)").rules(&[Rule::OneOf(TYPES)])],
            returns: RETURNS,
            start: |ctx| {
                let kind = kind_of(ctx)?;
                let (_, id) = eng::split_typed_id(ctx, TYPES, None)?;
                if !is_guid(id) {
                    return Err(Error::one_issue(Some("dynamics365"), Issue::new("id", IssueCode::InvalidFormat, "Dataverse ids are GUIDs")));
                }
                let url = odata_url(ctx, &format!("{}({id})", kind.set), &expand(kind));
                let req = headers(ctx.request(Method::Get, url)?, PREFER_ANNOTATIONS.to_string());
                Single::boxed(req, |ctx, body, w| Ok((map::to_unified(kind_of(ctx)?, body, w)?, body)))
            },
            check: None,
            notes: "ids are {type}:{guid} (call:6b1a…); GET /{table}({guid}). A plain GUID needs ?engagement_type to name the table.",
        },
    ],
};

/// One Dataverse table an engagement type lives in.
pub struct Kind {
    pub unified: &'static str,
    pub set: &'static str,
    pub logical: &'static str,
    pub key: &'static str,
    /// The collection of activity parties (deep insert / $expand), if any.
    pub parties: Option<&'static str>,
    /// The party role of contacts: (outbound or undirected, inbound).
    pub contact_masks: (u8, u8),
    pub text: &'static str,
}

pub const KINDS: &[Kind] = &[
    Kind { unified: "call", set: "phonecalls", logical: "phonecall", key: "activityid", parties: Some("phonecall_activity_parties"), contact_masks: (2, 1), text: "description" },
    Kind { unified: "meeting", set: "appointments", logical: "appointment", key: "activityid", parties: Some("appointment_activity_parties"), contact_masks: (5, 5), text: "description" },
    Kind { unified: "email", set: "emails", logical: "email", key: "activityid", parties: Some("email_activity_parties"), contact_masks: (2, 1), text: "description" },
    Kind { unified: "task", set: "tasks", logical: "task", key: "activityid", parties: None, contact_masks: (0, 0), text: "description" },
    Kind { unified: "note", set: "annotations", logical: "annotation", key: "annotationid", parties: None, contact_masks: (0, 0), text: "notetext" },
];
const TYPES: &[&str] = &["call", "meeting", "email", "task", "note"];
/// Linked record kinds: unified field → (Dataverse logical name, entity set).
const TARGETS: &[(&str, &str, &str)] = &[("opportunity", "opportunity", "opportunities"), ("account", "account", "accounts"), ("lead", "lead", "leads"), ("contacts", "contact", "contacts")];

const CREATE: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "table: call→phonecalls, meeting→appointments, email→emails, task→tasks, note→annotations").required().rules(&[Rule::OneOf(TYPES)]),
    FieldMap::custom("subject", "subject").rules(&[Rule::MaxLen(200)]),
    FieldMap::custom("content", "description (notes: notetext)"),
    FieldMap::custom("start_time", "scheduledstart"),
    FieldMap::custom("end_time", "scheduledend"),
    FieldMap::custom("duration", "actualdurationminutes (seconds rounded up to minutes)").rules(&[Rule::Range(0, 2_147_483_647)]),
    FieldMap::custom("direction", "directioncode: outbound true, inbound false (calls, emails)").rules(&[Rule::OneOf(&["inbound", "outbound"])]),
    FieldMap::custom("phone_numbers", "phonenumber (calls; the first number)").rules(&[Rule::MaxItems(1)]),
    FieldMap::custom("owner", "ownerid@odata.bind = /systemusers({id})"),
    FieldMap::custom("contacts", "{table}_activity_parties (partyid_contact@odata.bind); task: regardingobjectid_contact_task; note: objectid_contact"),
    FieldMap::custom("account", "regardingobjectid_account_{table}@odata.bind (notes: objectid_account)"),
    FieldMap::custom("opportunity", "regardingobjectid_opportunity_{table}@odata.bind (notes: objectid_opportunity)"),
    FieldMap::custom("lead", "regardingobjectid_lead_{table}@odata.bind, first lead (notes: objectid_lead)").rules(&[Rule::MaxItems(1)]),
];
const LIST: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "the table to list").required(),
    FieldMap::custom("account_id", "$filter=_regardingobjectid_value eq {id} (notes: _objectid_value)"),
    FieldMap::custom("created_at", "$filter=createdon ge/gt/le/lt"),
    FieldMap::custom("updated_at", "$filter=modifiedon ge/gt/le/lt"),
    FieldMap::local("contact_id"),
];
const RETURNS: &[&str] = &[
    "id", "engagement_type", "subject", "content", "start_time", "end_time", "duration", "direction", "phone_numbers", "owner", "contacts", "account", "opportunity", "lead", "created_at", "updated_at",
];
const API: &str = "/api/data/v9.2/";
const PREFER_ANNOTATIONS: &str = "odata.include-annotations=\"Microsoft.Dynamics.CRM.lookuplogicalname\"";
const MAX_PAGE: u32 = 5000;

fn origin(account: &Account) -> Result<String> {
    let raw = account.context_str("instance_url")?;
    let o = Origin::parse(&raw, "account.context.instance_url")?;
    let host = o.host().to_string();
    if !o.as_str().starts_with("https://") || !host.ends_with(".dynamics.com") || host.split('.').count() < 4 {
        return Err(Error::one_issue(
            Some("dynamics365"),
            Issue::new("account.context.instance_url", IssueCode::InvalidFormat, "must be the environment URL, e.g. https://contoso.crm.dynamics.com"),
        ));
    }
    Ok(o.as_str().to_string())
}

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    let token = account.credential("access_token")?;
    Ok(req.secret_header("authorization", format!("Bearer {token}")))
}

/// The OData headers of every call (D1), with a `Prefer` value.
fn headers(req: HttpRequest, prefer: String) -> HttpRequest {
    req.header("accept", "application/json").header("odata-maxversion", "4.0").header("odata-version", "4.0").header("prefer", prefer)
}

/// The table of the record at hand: the type asked for, or the one a get's id names.
pub fn kind_of(ctx: &Ctx) -> Result<&'static Kind> {
    let t = match ctx.id {
        Some(_) => eng::answered_kind(ctx, TYPES, None)?,
        None => ctx.field_str("engagement_type").unwrap_or_default(),
    };
    KINDS.iter().find(|k| k.unified == t).ok_or_else(|| {
        Error::one_issue(Some("dynamics365"), Issue::new("engagement_type", IssueCode::NotOneOf, format!("must be one of {}", TYPES.join(", "))).with_meta(json!({ "allowed": TYPES })))
    })
}

pub fn is_guid(s: &str) -> bool {
    s.len() == 36 && s.char_indices().all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { c == '-' } else { c.is_ascii_hexdigit() })
}

/// Query values escaped; OData's `$`, `(`, `)`, `,`, `'`, `/` and the `=` of nested
/// options (`$expand=x($select=a)`, as Microsoft's examples write them) stay readable.
const ODATA_VALUE: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'#').add(b'%').add(b'&').add(b'+').add(b'?').add(b'<').add(b'>').add(b'\\').add(b'^').add(b'`').add(b'{').add(b'|').add(b'}');

fn odata_url(ctx: &Ctx, path: &str, query: &[(&str, String)]) -> String {
    let mut url = ctx.url().path(API).raw_path(path).build();
    let pairs: Vec<String> = query.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, ODATA_VALUE))).collect();
    if !pairs.is_empty() {
        url.push('?');
        url.push_str(&pairs.join("&"));
    }
    url
}

fn expand(kind: &Kind) -> Vec<(&'static str, String)> {
    kind.parties.map(|p| vec![("$expand", format!("{p}($select=participationtypemask,_partyid_value)"))]).unwrap_or_default()
}

/// The linked records a body names: (unified field, logical name, set, id).
fn targets(f: &Map<String, Value>) -> Vec<(&'static str, &'static str, &'static str, String)> {
    TARGETS.iter().flat_map(|&(field, logical, set)| eng::ref_ids(f, field).into_iter().map(move |id| (field, logical, set, id))).collect()
}

const TIMED: &[&str] = &["call", "meeting", "email", "task"];
const TYPE_RULES: &[TypeRule] = &[
    TypeRule::Only("direction", &["call", "email"]),
    TypeRule::Only("phone_numbers", &["call"]),
    TypeRule::Only("start_time", TIMED),
    TypeRule::Only("end_time", TIMED),
    TypeRule::Only("duration", TIMED),
];

fn check_create(f: &Map<String, Value>) -> Vec<Issue> {
    let guid = |id: &Value| crate::codec::json::id_string(Some(id)).is_some_and(|id| is_guid(&id));
    let mut issues = eng::id_format_issues("dynamics365", f, &["opportunity", "account", "lead", "contacts", "owner"], guid, "Dataverse ids are GUIDs");
    let t = f.get("engagement_type").and_then(Value::as_str).unwrap_or_default();
    let mut bad = |path: &str, code: IssueCode, msg: String| issues.push(Issue::new(path, code, msg).with_meta(json!({ "provider": "dynamics365" })));
    let all = targets(f);
    if !TYPES.contains(&t) {
        return issues; // the table reports the type; per-type rules need one
    }
    let regarding: Vec<_> = all.iter().filter(|x| x.0 != "contacts").collect();
    let contacts = all.len().saturating_sub(regarding.len());
    match t {
        "note" if all.len() > 1 => {
            bad("body", IssueCode::Conflict, "a Dynamics note has one parent: give only one of contacts, account, opportunity, lead".into());
        }
        "task" if contacts > 1 || (contacts == 1 && !regarding.is_empty()) => {
            bad("body.contacts", IssueCode::Conflict, "a Dynamics task has no parties; it links one record (one contact, or an account/opportunity/lead)".into());
        }
        _ => {}
    }
    if t != "note" && regarding.len() > 1 {
        bad("body", IssueCode::Conflict, "a Dynamics activity has one regarding record: give only one of opportunity, account, lead".into());
    }
    issues.extend(eng::check_types("dynamics365", f, TYPE_RULES));
    issues.extend(eng::end_after_start(f, true));
    issues
}

fn start_create(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    let kind = kind_of(ctx)?;
    let f = ctx.fields;
    let mut body = Map::new();
    let mut put = |k: &str, v: Value| {
        body.insert(k.to_string(), v);
    };
    if let Some(s) = f.get("subject") {
        put("subject", s.clone());
    }
    if let Some(c) = f.get("content") {
        put(kind.text, c.clone());
    }
    for (field, column) in [("start_time", "scheduledstart"), ("end_time", "scheduledend")] {
        if let Some(dt) = f.get(field).and_then(Value::as_str).and_then(crate::codec::datetime::parse_datetime) {
            put(column, json!(crate::codec::datetime::iso_utc(dt)));
        }
    }
    if let Some(secs) = f.get("duration").and_then(Value::as_i64) {
        // Whole minutes, rounded up; validation keeps secs within 0..=i32::MAX.
        put("actualdurationminutes", json!(secs.div_euclid(60).saturating_add(i64::from(secs.rem_euclid(60) != 0))));
    }
    let inbound = f.get("direction").and_then(Value::as_str) == Some("inbound");
    if f.contains_key("direction") {
        put("directioncode", json!(!inbound));
    }
    if let Some(n) = f.get("phone_numbers").and_then(|p| p.pointer("/0/number")) {
        put("phonenumber", n.clone());
    }
    if let Some(id) = eng::first_ref_id(f, "owner") {
        put("ownerid@odata.bind", json!(format!("/systemusers({id})")));
    }
    let mut parties = Vec::new();
    for (field, logical, set, id) in targets(f) {
        let bind = json!(format!("/{set}({id})"));
        match (kind.unified, kind.parties, field) {
            ("note", _, _) => put(&format!("objectid_{logical}@odata.bind"), bind),
            (_, Some(_), "contacts") => {
                let mask = if inbound { kind.contact_masks.1 } else { kind.contact_masks.0 };
                parties.push(json!({ "partyid_contact@odata.bind": bind, "participationtypemask": mask }));
            }
            _ => put(&format!("regardingobjectid_{logical}_{}@odata.bind", kind.logical), bind),
        }
    }
    if let (Some(p), false) = (kind.parties, parties.is_empty()) {
        put(p, Value::Array(parties));
    }
    let mut body = Value::Object(body);
    if let Some(extra) = ctx.remote_data {
        crate::codec::json::merge(&mut body, extra);
    }
    let url = odata_url(ctx, kind.set, &expand(kind));
    let req = headers(ctx.request(Method::Post, url)?.json(body), format!("return=representation,{PREFER_ANNOTATIONS}")).header("content-type", "application/json; charset=utf-8");
    Single::boxed(req, |ctx, body, w| {
        if body.is_null() {
            return Err(Error::protocol("dynamics365", "the create returned no row although return=representation was asked for"));
        }
        Ok((map::to_unified(kind_of(ctx)?, body, w)?, body))
    })
}

fn check_filters(f: &Map<String, Value>) -> Vec<Issue> {
    match f.get("account_id").and_then(Value::as_str) {
        Some(id) if !is_guid(id) => vec![Issue::new("query.account_id", IssueCode::InvalidFormat, "Dataverse ids are GUIDs")],
        _ => Vec::new(),
    }
}

fn page_request(ctx: &Ctx, state: &Value) -> Result<HttpRequest> {
    let size = eng::page_size(ctx, 100, MAX_PAGE);
    let prefer = format!("{PREFER_ANNOTATIONS},odata.maxpagesize={size}");
    let kind = kind_of(ctx)?;
    if let Some(next) = state.get("url").and_then(Value::as_str) {
        let url = rebase_on_origin(next, ctx.origin).ok_or_else(|| Error::protocol("dynamics365", "@odata.nextLink is not a URL"))?;
        // The cursor is caller-held: the next page must be of the same entity set.
        let path = url.strip_prefix(ctx.origin.as_str()).unwrap_or("").split('?').next().unwrap_or("");
        if path != format!("{API}{}", kind.set) {
            return Err(Error::InvalidCursor { reason: format!("not a page of {}", kind.set) });
        }
        return Ok(headers(ctx.request(Method::Get, url)?, prefer));
    }
    let mut filters = Vec::new();
    if let Some(id) = ctx.field_str("account_id") {
        filters.push(format!("{} eq {id}", if kind.unified == "note" { "_objectid_value" } else { "_regardingobjectid_value" }));
    }
    for (field, column) in [("created_at", "createdon"), ("updated_at", "modifiedon")] {
        if let Some(v) = ctx.fields.get(field) {
            for (op, bound) in crate::unified::filters::as_range(field, v) {
                if let Some(dt) = bound.as_str().and_then(crate::codec::datetime::parse_datetime) {
                    filters.push(format!("{column} {} {}", op.replace("gte", "ge").replace("lte", "le"), crate::codec::datetime::iso_utc(dt)));
                }
            }
        }
    }
    let mut query = expand(kind);
    query.push(("$filter", filters.join(" and ")));
    for (k, v) in &ctx.query.remote_query {
        let key = remote_key(k).ok_or_else(|| {
            Error::one_issue(Some("dynamics365"), Issue::new(format!("query.remote_query.{k}"), IssueCode::UnknownField, "Dataverse lists take $select, $orderby, $top, $count or $apply here"))
        })?;
        query.push((key, v.clone()));
    }
    Ok(headers(ctx.request(Method::Get, odata_url(ctx, kind.set, &query))?, prefer))
}

/// remote_query keys are caller-chosen: only known OData options pass, so a key
/// cannot break the query string.
fn remote_key(k: &str) -> Option<&'static str> {
    const OPTIONS: &[&str] = &["$select", "$orderby", "$top", "$count", "$apply"];
    OPTIONS.iter().copied().find(|o| *o == k)
}

fn read_page<'a>(_ctx: &Ctx, _resp: &HttpResponse, body: Json<'a>) -> Result<RawPage<'a>> {
    let Some(items) = body.get("value").and_then(Json::items) else {
        return Err(Error::protocol("dynamics365", "the list response has no value array"));
    };
    let items = items.collect();
    let next = body.get("@odata.nextLink").and_then(Json::as_str).map(|u| json!({ "url": u }));
    Ok(RawPage { items, next, at: Some(&["value"]) })
}
