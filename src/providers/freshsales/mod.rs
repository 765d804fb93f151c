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
//! note → `POST /notes` (no list or get endpoint was found for notes).

#[cfg(test)]
mod tests;

use serde_json::{json, Map, Value};

use crate::account::Account;
use crate::convert::{id_ref, id_string, iso_utc, parse_datetime, to_iso};
use crate::error::{Error, Issue, IssueCode, Result};
use crate::http::{host_label, HttpRequest, HttpResponse, Method};
use crate::schema::{FieldMap, Rule, UnifiedMethod};

use super::{Ctx, Exchange, Next, OpDef, ProviderDef};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "freshsales",
    label: "Freshsales (Freshworks CRM)",
    docs: "https://developers.freshworks.com/crm/api/",
    hosts: &["*.myfreshworks.com"],
    origin,
    auth,
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
            start: |_| Ok(Box::new(Typed::new(Read::Get))),
            check: None,
            notes: "GET /sales_activities/{id} (sales activities only)",
        },
    ],
};

/// Unified type → the sales activity type's `internal_name` (Freshsales' built-in
/// types: Phone "phone", Meeting "appointment", Email "email", Chat "chat", Task "task").
const INTERNAL: &[(&str, &str)] = &[("call", "phone"), ("meeting", "appointment"), ("email", "email"), ("chat", "chat"), ("task", "task")];
const ACTIVITY_TYPES: &[&str] = &["call", "meeting", "email", "chat", "task"];
/// Unified link field → `targetable_type`.
const TARGETS: &[(&str, &str)] = &[("contacts", "Contact"), ("account", "SalesAccount"), ("opportunity", "Deal")];

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

/// A numeric id, or the id text that is not a number.
type NumericId = Option<Result<u64, String>>;

fn numeric(v: Option<&Value>) -> NumericId {
    let id = id_string(v?.get("id"))?;
    Some(id.parse::<u64>().map_err(|_| id))
}

/// The one related record: `(targetable_type, id path, id)`.
fn targets(f: &Map<String, Value>) -> Vec<(&'static str, String, NumericId)> {
    let mut out = Vec::new();
    for &(field, kind) in TARGETS {
        match f.get(field) {
            Some(Value::Array(items)) => out.extend(items.iter().enumerate().map(|(i, c)| (kind, format!("body.{field}[{i}].id"), numeric(Some(c))))),
            Some(v) => out.push((kind, format!("body.{field}.id"), numeric(Some(v)))),
            None => {}
        }
    }
    out
}

fn check_create(f: &Map<String, Value>) -> Vec<Issue> {
    let mut issues = Vec::new();
    let mut bad = |path: &str, code: IssueCode, msg: &str| issues.push(Issue::new(path, code, msg).with_meta(json!({ "provider": "freshsales" })));
    let t = f.get("engagement_type").and_then(Value::as_str).unwrap_or_default();
    let links = targets(f);
    match links.len() {
        0 => bad("body.contacts", IssueCode::Required, "Freshsales needs the related record: one contact, account or opportunity"),
        1 => {}
        _ => bad("body", IssueCode::Conflict, "Freshsales relates an engagement to one record: give one contact, account or opportunity"),
    }
    for (_, path, id) in &links {
        if matches!(id, Some(Err(_))) {
            bad(path, IssueCode::InvalidFormat, "Freshsales ids are numbers");
        }
    }
    if matches!(numeric(f.get("owner")), Some(Err(_))) {
        bad("body.owner.id", IssueCode::InvalidFormat, "Freshsales user ids are numbers");
    }
    if t.is_empty() {
        return issues; // the table reports the missing type; per-type rules need one
    }
    if t == "note" {
        for field in ["subject", "start_time", "end_time", "duration", "owner"] {
            if f.contains_key(field) {
                bad(&format!("body.{field}"), IssueCode::UnsupportedField, "Freshsales notes have only content and a related record");
            }
        }
        if !f.contains_key("content") {
            bad("body.content", IssueCode::Required, "a Freshsales note needs content");
        }
        return issues;
    }
    for (field, what) in [("subject", "a title"), ("start_time", "a start"), ("owner", "an owner")] {
        if !f.contains_key(field) {
            bad(&format!("body.{field}"), IssueCode::Required, &format!("Freshsales sales activities need {what}"));
        }
    }
    if !f.contains_key("end_time") && !f.contains_key("duration") {
        bad("body.end_time", IssueCode::Required, "Freshsales sales activities need an end: set end_time or duration");
    }
    if let (Some(s), Some(e)) = (date(f, "start_time"), date(f, "end_time")) {
        if e < s {
            bad("body.end_time", IssueCode::InvalidOrder, "must not be before start_time");
        }
    }
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
        let end = date(f, "end_time").or_else(|| Some(start? + time::Duration::seconds(f.get("duration")?.as_i64()?)));
        let mut body = json!({
            "title": f.get("subject"), "start_date": start.map(iso_utc), "end_date": end.map(iso_utc),
            "owner_id": numeric(f.get("owner")).and_then(Result::ok), "sales_activity_type_id": type_id,
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
    if let Some((kind, _, Some(Ok(id)))) = targets(ctx.fields).into_iter().next() {
        body["targetable_type"] = json!(kind);
        body["targetable_id"] = json!(id);
    }
}

fn strip_nulls(v: &mut Value) {
    if let Value::Object(m) = v {
        m.retain(|_, x| !x.is_null());
    }
}

fn with_remote(ctx: &Ctx, mut body: Value) -> Value {
    if let Some(extra) = ctx.remote_data {
        crate::convert::merge(&mut body, extra);
    }
    body
}

impl Exchange for Typed {
    fn start(&mut self, ctx: &Ctx) -> Result<Next> {
        self.next(ctx)
    }

    fn page(&mut self, ctx: &Ctx, state: &Value) -> Result<Next> {
        let page = state.get("page").and_then(Value::as_u64).unwrap_or(1);
        self.read = Read::List { page };
        self.next(ctx)
    }

    fn on_success(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        let mut body = resp.json("freshsales")?;
        if self.looking_up {
            let list = body.get("sales_activity_types").and_then(Value::as_array).ok_or_else(|| Error::protocol("freshsales", "the selector has no sales_activity_types"))?;
            self.types = Some(list.iter().filter_map(|t| Some((id_string(t.get("id"))?, t.get("internal_name")?.as_str()?.to_string()))).collect());
            return self.next(ctx);
        }
        let map = |item: &Value| to_unified(item, self.types.as_deref(), ctx.field_str("engagement_type"));
        match self.read {
            Read::List { page } => {
                let Some(Value::Array(raw)) = body.get_mut("sales_activities").map(Value::take) else {
                    return Err(Error::protocol("freshsales", "the list has no sales_activities array"));
                };
                let total = body.pointer("/meta/total_pages").and_then(Value::as_u64).unwrap_or(page);
                let next = (page < total).then(|| json!({ "page": page + 1 }));
                let items = raw.into_iter().map(|item| Ok((if ctx.skip_mapping() { Map::new() } else { map(&item)? }, item))).collect::<Result<Vec<_>>>()?;
                Ok(Next::Page { items, next, warnings: Vec::new() })
            }
            _ => {
                let key = if ctx.field_str("engagement_type") == Some("note") && matches!(self.read, Read::Create) { "note" } else { "sales_activity" };
                let item = body.get_mut(key).map(Value::take).ok_or_else(|| Error::protocol("freshsales", format!("the response has no {key}")))?;
                let record = if ctx.raw() { Map::new() } else { map(&item)? };
                Ok(Next::Record { record, raw: item, warnings: Vec::new() })
            }
        }
    }
}

/// A sales activity or note → unified. The type comes from the looked-up type
/// list (by `sales_activity_type_id`), else from the request.
fn to_unified(item: &Value, types: Option<&[(String, String)]>, requested: Option<&str>) -> Result<Map<String, Value>> {
    let id = id_string(item.get("id")).ok_or_else(|| Error::protocol("freshsales", "the record has no id"))?;
    let is_note = item.get("description").is_some() && item.get("sales_activity_type_id").is_none();
    let by_type = id_string(item.get("sales_activity_type_id")).and_then(|tid| {
        let internal = &types?.iter().find(|(i, _)| *i == tid)?.1;
        INTERNAL.iter().find(|(_, n)| n == internal).map(|(u, _)| *u)
    });
    let engagement_type = if is_note { Some("note") } else { by_type.or(requested.filter(|_| types.is_none())) };
    let start = item.get("start_date").and_then(to_iso);
    let end = item.get("end_date").and_then(to_iso);
    let mut r = Map::new();
    r.insert("id".into(), json!(id));
    r.insert("engagement_type".into(), json!(engagement_type));
    r.insert("subject".into(), item.get("title").cloned().unwrap_or(Value::Null));
    r.insert("content".into(), item.get(if is_note { "description" } else { "notes" }).cloned().unwrap_or(Value::Null));
    r.insert("duration".into(), match (start.as_deref().and_then(parse_datetime), end.as_deref().and_then(parse_datetime)) {
        (Some(s), Some(e)) => json!((e - s).whole_seconds()),
        _ => Value::Null,
    });
    r.insert("start_time".into(), json!(start));
    r.insert("end_time".into(), json!(end));
    r.insert("owner".into(), id_ref(item.get("owner_id")));
    let target = item.get("targetable_type").and_then(Value::as_str);
    let linked = id_ref(item.get("targetable_id"));
    r.insert("contacts".into(), if target == Some("Contact") { json!([linked]) } else { json!([]) });
    r.insert("account".into(), if target == Some("SalesAccount") { linked.clone() } else { Value::Null });
    r.insert("opportunity".into(), if target == Some("Deal") { linked } else { Value::Null });
    r.insert("created_at".into(), json!(item.get("created_at").and_then(to_iso)));
    r.insert("updated_at".into(), json!(item.get("updated_at").and_then(to_iso)));
    Ok(r)
}
