//! Freshsales (Freshworks CRM) — sales activities and notes as unified CRM
//! engagements.
//! Docs: https://developers.freshworks.com/crm/api/ (only the overview could be
//! read; paths and bodies are confirmed by working open-source clients — see
//! tests/fixtures/freshsales/README.md, which marks what is UNCONFIRMED).
//! Base `https://{bundle_alias}.myfreshworks.com/crm/sales/api`, the alias from
//! `account.context.bundle_alias`. Auth: `Authorization: Token token=<API key>`.
//!
//! call, meeting, email, chat and task are sales activities
//! (`POST /sales_activities`), whose type is an account-specific id: crosswalk
//! first reads `GET /selector/sales_activity_types` and picks the type by its
//! `internal_name` (phone, appointment, email, chat, task), unless
//! `remote_data.sales_activity.sales_activity_type_id` names it. That lookup is
//! read-only, so a failure after it is a plain remote error (nothing was created).
//! Reads look the types up too, to say which unified type a record is.
//! note → `POST /notes` (no list or get endpoint was found for notes). Notes and
//! sales activities number their records apart: a note's unified id is `note:{id}`
//! (which `get` refuses, as no endpoint reads a note), a sales activity's the plain id.

#[cfg(test)]
mod tests;

use crate::unified::record::Record;
use serde_json::{json, Map, Value};

use crate::provider::account::Account;
use crate::codec::datetime::{iso_or_null, iso_utc, parse_datetime, to_iso};
use crate::codec::doc::Json;
use crate::codec::json::{id_ref, id_string};
use crate::error::{Error, Issue, IssueCode, Result, Warning};
use crate::codec::http::{host_label, HttpRequest, HttpResponse, Method};
use crate::unified::schema::{FieldMap, Rule, UnifiedMethod};

use crate::providers::crm_engagements::{self as eng, TypeRule};
use crate::provider::{mapped_page, Ctx, Exchange, Next, OpDef, ProviderDef, RawPage};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "freshsales",
    label: "Freshsales (Freshworks CRM)",
    docs: "https://developers.freshworks.com/crm/api/",
    hosts: &["*.myfreshworks.com"],
    origin,
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
            start: |_| Ok(Box::new(Typed::new(Read::Create))),
            check: Some(check_create),
            notes: "note → POST /notes; other types → POST /sales_activities after looking up the account's sales_activity_type_id by internal name (phone, appointment, email, chat, task). Sales activities need subject, start_time, end_time (or duration), owner and one related record; notes one related record.",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::List,
            fields: LIST,
            returns: RETURNS,
            start: |_| Ok(Box::new(Typed::new(Read::List { page: 1 }))),
            check: None,
            notes: "GET /sales_activities?page=N (the provider's page size) until meta.total_pages; notes cannot be listed. Filters are applied by crosswalk.",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::Get,
            fields: &[],
            returns: RETURNS,
            start: |ctx| {
                if eng::split_typed_id(ctx, &["note"], Some("sales_activity"))?.0 == "note" {
                    return Err(Error::one_issue(Some("freshsales"), Issue::new("id", IssueCode::InvalidFormat, "Freshsales has no endpoint that reads a note; only sales activities can be read")));
                }
                Ok(Box::new(Typed::new(Read::Get)))
            },
            check: None,
            notes: "GET /sales_activities/{id} (sales activities only: note:{id} ids cannot be read)",
        },
    ],
};

/// Unified type → the sales activity type's `internal_name` (Freshsales' built-in
/// types: Phone "phone", Meeting "appointment", Email "email", Chat "chat", Task "task").
const INTERNAL: &[(&str, &str)] = &[("call", "phone"), ("meeting", "appointment"), ("email", "email"), ("chat", "chat"), ("task", "task")];
const ACTIVITY_TYPES: &[&str] = &["call", "meeting", "email", "chat", "task"];
/// Unified link field → `targetable_type`.
const TARGETS: &[(&str, &str)] = &[("contacts", "Contact"), ("account", "SalesAccount"), ("opportunity", "Deal")];
const LINKS: &[&str] = &["contacts", "account", "opportunity"];
const TYPE_RULES: &[TypeRule] = &[
    TypeRule::Only("subject", ACTIVITY_TYPES),
    TypeRule::Only("start_time", ACTIVITY_TYPES),
    TypeRule::Only("end_time", ACTIVITY_TYPES),
    TypeRule::Only("duration", ACTIVITY_TYPES),
    TypeRule::Only("owner", ACTIVITY_TYPES),
    TypeRule::Required("content", &["note"]),
    TypeRule::Required("subject", ACTIVITY_TYPES),
    TypeRule::Required("start_time", ACTIVITY_TYPES),
    TypeRule::Required("owner", ACTIVITY_TYPES),
    TypeRule::AnyOf(&["end_time", "duration"], ACTIVITY_TYPES),
];

const CREATE: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "note → /notes; others → /sales_activities with sales_activity_type_id by internal name").required(),
    FieldMap::custom("subject", "sales_activity.title"),
    FieldMap::custom("content", "sales_activity.notes / note.description"),
    FieldMap::custom("start_time", "sales_activity.start_date"),
    FieldMap::custom("end_time", "sales_activity.end_date"),
    FieldMap::custom("duration", "end_date = start_time + duration (when end_time is absent)").rules(&[Rule::Range(1, 31_622_400)]),
    FieldMap::custom("owner", "sales_activity.owner_id"),
    FieldMap::custom("contacts", "targetable_type Contact + targetable_id (one related record)").rules(&[Rule::MaxItems(1)]),
    FieldMap::custom("account", "targetable_type SalesAccount + targetable_id"),
    FieldMap::custom("opportunity", "targetable_type Deal + targetable_id"),
];
const LIST: &[FieldMap] = &[
    FieldMap::local("engagement_type").rules(&[Rule::OneOf(ACTIVITY_TYPES)]),
    FieldMap::local("contact_id"),
    FieldMap::local("account_id"),
    FieldMap::local("created_at"),
    FieldMap::local("updated_at"),
];
const RETURNS: &[&str] = &["id", "engagement_type", "subject", "content", "start_time", "end_time", "duration", "owner", "contacts", "account", "opportunity", "created_at", "updated_at"];
const API: &str = "/crm/sales/api";

fn origin(account: &Account) -> Result<String> {
    let alias = account.context_str("bundle_alias")?;
    // Accept the alias as shown in Freshworks' settings ("widgetz.myfreshworks.com/crm/sales") or just its label.
    let label = alias.trim_start_matches("https://").trim_end_matches('/').trim_end_matches("/crm/sales").trim_end_matches(".myfreshworks.com");
    Ok(format!("https://{}.myfreshworks.com", host_label(label, "account.context.bundle_alias")?))
}

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    let key = account.credential("api_key")?;
    Ok(req.secret_header("authorization", format!("Token token={key}")).header("accept", "application/json"))
}

fn check_create(f: &Map<String, Value>) -> Vec<Issue> {
    // The related record: counted per record, so two contacts are two.
    let related = match eng::linked(f, LINKS).len() {
        0 => Some(Issue::new("body.contacts", IssueCode::Required, "Freshsales needs the related record: one contact, account or opportunity")),
        1 => None,
        _ => Some(Issue::new("body", IssueCode::Conflict, "Freshsales relates an engagement to one record: give one contact, account or opportunity")),
    };
    let mut issues: Vec<Issue> = related.map(|i| i.with_meta(json!({ "provider": "freshsales" }))).into_iter().collect();
    let numeric = |id: &Value| eng::int_id(id).is_some();
    issues.extend(eng::id_format_issues("freshsales", f, LINKS, numeric, "Freshsales ids are numbers"));
    issues.extend(eng::id_format_issues("freshsales", f, &["owner"], numeric, "Freshsales user ids are numbers"));
    issues.extend(eng::check_types("freshsales", f, TYPE_RULES));
    issues.extend(eng::end_after_start(f, true));
    issues
}

fn date(f: &Map<String, Value>, k: &str) -> Option<time::OffsetDateTime> {
    f.get(k).and_then(Value::as_str).and_then(parse_datetime)
}

/// What the exchange does once the sales activity types are known.
#[derive(Clone, Copy)]
enum Read {
    Create,
    Get,
    List { page: u64 },
}

/// Looks up the account's sales activity types (when needed), then performs the
/// create, get or list page and maps with the types at hand.
struct Typed {
    read: Read,
    /// `(type id, internal_name)`.
    types: Option<Vec<(String, String)>>,
    looking_up: bool,
}

impl Typed {
    fn new(read: Read) -> Self {
        Typed { read, types: None, looking_up: false }
    }

    fn given_type_id(ctx: &Ctx) -> Option<Value> {
        ctx.remote_data.and_then(|r| r.pointer("/sales_activity/sales_activity_type_id")).cloned()
    }

    fn next(&mut self, ctx: &Ctx) -> Result<Next> {
        let is_note = ctx.field_str("engagement_type") == Some("note");
        let needs_types = match self.read {
            Read::Create => !is_note && Self::given_type_id(ctx).is_none(),
            Read::Get | Read::List { .. } => true,
        };
        if needs_types && self.types.is_none() {
            self.looking_up = true;
            return Ok(Next::Send(ctx.request(Method::Get, ctx.url().path(API).path("/selector/sales_activity_types").build())?));
        }
        self.looking_up = false;
        let req = match self.read {
            Read::Create if is_note => ctx.request(Method::Post, ctx.url().path(API).path("/notes").build())?.json(with_remote(ctx, json!({ "note": note_body(ctx) }))),
            Read::Create => ctx.request(Method::Post, ctx.url().path(API).path("/sales_activities").build())?.json(with_remote(ctx, json!({ "sales_activity": self.activity_body(ctx)? }))),
            Read::Get => {
                let id = ctx.id()?;
                if !id.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Error::one_issue(Some("freshsales"), Issue::new("id", IssueCode::InvalidFormat, "Freshsales ids are numbers")));
                }
                ctx.request(Method::Get, ctx.url().path(API).path("/sales_activities").seg(id).build())?
            }
            Read::List { page } => ctx.request(Method::Get, ctx.url().path(API).path("/sales_activities").query("page", page.to_string()).queries(ctx.query.remote_query.iter().cloned()).build())?,
        };
        Ok(Next::Send(req))
    }

    fn activity_body(&self, ctx: &Ctx) -> Result<Value> {
        let f = ctx.fields;
        let t = ctx.field_str("engagement_type").unwrap_or_default();
        let internal = INTERNAL.iter().find(|(u, _)| *u == t).map(|(_, i)| *i).unwrap_or_default();
        let type_id = match (&self.types, Self::given_type_id(ctx)) {
            (_, Some(_)) => Value::Null, // merged from remote_data
            (Some(types), None) => match types.iter().find(|(_, name)| name == internal) {
                Some((id, _)) => json!(id.parse::<u64>().map_or(json!(id), |n| json!(n))),
                None => {
                    let msg = format!("this Freshsales account has no sales activity type with internal name {internal:?}; give its id in remote_data.sales_activity.sales_activity_type_id");
                    return Err(Error::one_issue(Some("freshsales"), Issue::new("body.engagement_type", IssueCode::NotOneOf, msg)));
                }
            },
            (None, None) => Value::Null,
        };
        let start = date(f, "start_time");
        let end = date(f, "end_time").or_else(|| start?.checked_add(time::Duration::seconds(f.get("duration")?.as_i64()?)));
        let mut body = json!({
            "title": f.get("subject"), "start_date": start.map(iso_utc), "end_date": end.map(iso_utc),
            "owner_id": eng::ref_json(f, "owner", true), "sales_activity_type_id": type_id,
        });
        if let Some(c) = f.get("content") {
            body["notes"] = c.clone();
        }
        add_target(ctx, &mut body);
        strip_nulls(&mut body);
        Ok(body)
    }
}

fn note_body(ctx: &Ctx) -> Value {
    let mut body = json!({ "description": ctx.fields.get("content") });
    add_target(ctx, &mut body);
    body
}

fn add_target(ctx: &Ctx, body: &mut Value) {
    if let Some((kind, id)) = TARGETS.iter().find_map(|(field, kind)| Some((kind, eng::ref_json(ctx.fields, field, true)?))) {
        body["targetable_type"] = json!(kind);
        body["targetable_id"] = id;
    }
}

fn strip_nulls(v: &mut Value) {
    if let Value::Object(m) = v {
        m.retain(|_, x| !x.is_null());
    }
}

fn with_remote(ctx: &Ctx, mut body: Value) -> Value {
    if let Some(extra) = ctx.remote_data {
        crate::codec::json::merge(&mut body, extra);
    }
    body
}

impl Exchange for Typed {
    fn start(&mut self, ctx: &Ctx) -> Result<Next> {
        self.next(ctx)
    }

    fn page(&mut self, ctx: &Ctx, state: &Value) -> Result<Next> {
        let page = crate::provider::state_count(state, "page", 1)?;
        self.read = Read::List { page };
        self.next(ctx)
    }

    fn on_success(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        let doc = resp.doc("freshsales")?;
        let body = doc.root();
        if self.looking_up {
            let list = body.get("sales_activity_types").and_then(Json::items).ok_or_else(|| Error::protocol("freshsales", "the selector has no sales_activity_types"))?;
            self.types = Some(list.filter_map(|t| Some((id_string(t.get("id"))?, t.get("internal_name")?.as_str()?.to_string()))).collect());
            return self.next(ctx);
        }
        let map = |item: Json<'_>, w: &mut Vec<Warning>| to_unified(item, self.types.as_deref(), ctx.field_str("engagement_type"), w);
        match self.read {
            Read::List { page } => {
                let Some(raw) = body.get("sales_activities").and_then(Json::items) else {
                    return Err(Error::protocol("freshsales", "the list has no sales_activities array"));
                };
                let total = body.pointer("/meta/total_pages").and_then(Json::as_u64).unwrap_or(page);
                let next = if page < total { Some(json!({ "page": crate::provider::next_count(page, 1)? })) } else { None };
                mapped_page(ctx, RawPage { items: raw.collect(), next, at: Some(&["sales_activities"]) }, map)
            }
            _ => {
                let key = if ctx.field_str("engagement_type") == Some("note") && matches!(self.read, Read::Create) { "note" } else { "sales_activity" };
                let item = body.get(key).ok_or_else(|| Error::protocol("freshsales", format!("the response has no {key}")))?;
                let mut warnings = Vec::new();
                let record = if ctx.raw() { Record::new() } else { map(item, &mut warnings)? };
                Ok(Next::Record { record, raw: ctx.raw_record(item), warnings })
            }
        }
    }
}

/// A sales activity or note → unified. The type comes from the looked-up type
/// list (by `sales_activity_type_id`), else from the request.
fn to_unified(item: Json<'_>, types: Option<&[(String, String)]>, requested: Option<&str>, w: &mut Vec<Warning>) -> Result<Record> {
    let id = id_string(item.get("id")).ok_or_else(|| Error::protocol("freshsales", "the record has no id"))?;
    let is_note = item.get("description").is_some() && item.get("sales_activity_type_id").is_none();
    let by_type = id_string(item.get("sales_activity_type_id")).and_then(|tid| {
        let internal = &types?.iter().find(|(i, _)| *i == tid)?.1;
        INTERNAL.iter().find(|(_, n)| n == internal).map(|(u, _)| *u)
    });
    let engagement_type = if is_note { Some("note") } else { by_type.or(requested.filter(|_| types.is_none())) };
    let start = item.get("start_date").and_then(to_iso);
    let end = item.get("end_date").and_then(to_iso);
    let mut r = Record::new();
    r.insert("id", json!(if is_note { eng::typed_id("note", &id) } else { id }));
    r.insert("engagement_type", json!(engagement_type));
    r.insert("subject", item.field("title"));
    r.insert("content", item.field(if is_note { "description" } else { "notes" }));
    r.insert("duration", match (start.as_deref().and_then(parse_datetime), end.as_deref().and_then(parse_datetime)) {
        (Some(s), Some(e)) => crate::codec::numbers::provider_int("duration", &"end_date − start_date", crate::codec::datetime::secs_between(s, e), w),
        _ => Value::Null,
    });
    r.insert("start_time", json!(start));
    r.insert("end_time", json!(end));
    r.insert("owner", id_ref(item.get("owner_id")));
    let target = item.get("targetable_type").and_then(Json::as_str);
    let linked = id_ref(item.get("targetable_id"));
    r.insert("contacts", if target == Some("Contact") { json!([linked]) } else { json!([]) });
    r.insert("account", if target == Some("SalesAccount") { linked.clone() } else { Value::Null });
    r.insert("opportunity", if target == Some("Deal") { linked } else { Value::Null });
    r.insert("created_at", iso_or_null(item.get("created_at")));
    r.insert("updated_at", iso_or_null(item.get("updated_at")));
    Ok(r)
}
