//! OnePageCRM (API v3) — calls, meetings, notes and actions as CRM engagements.
//! Docs: https://developer.onepagecrm.com/api/reference/ (source of truth: the OnePageCRM/swagger
//! OpenAPI file). Base `https://app.onepagecrm.com/api/v3`, one host; auth HTTP Basic with
//! the user id as user name and the API key as password. The key is `credentials.api_key`;
//! the user id is best kept in `context.user_id` (it is not secret: it is the assignee id on
//! the user's own actions, and a credential would be redacted wherever it appears) —
//! `credentials.user_id` is accepted too.
//! Each type is its own resource: call → `/calls`, meeting → `/meetings`, note → `/notes`,
//! task → `/actions` (OnePageCRM's next actions). There is no email or chat resource.
//! Every record belongs to exactly one contact (`contact_id`, required); a note may also
//! link one deal. Times differ per resource: calls and meetings take epoch seconds, notes
//! a `YYYY-MM-DD` date, actions a date plus epoch-second `exact_time`. Answers are
//! `{"status": 0, "data": {"call": …}}`; lists `data.calls: [{"call": …}]` with `page`,
//! `per_page` and `max_page`. Unified ids carry the type (`call:5afc…`), which picks the
//! resource for `get` (a plain id is taken with the `engagement_type` query); `list`
//! without a type walks calls, meetings, notes and actions in turn.
//! Sources: tests/fixtures/onepagecrm/README.md.

use crate::unified::record::Record;
use serde_json::{json, Map, Value};

use crate::provider::account::{basic, Account};
use crate::codec::datetime::{iso_from_epoch_secs, iso_or_null, to_iso};
use crate::codec::doc::Json;
use crate::codec::json::id_ref;
use crate::error::{Error, Issue, IssueCode, Result, Warning};
use crate::unified::filters::as_range;
use crate::codec::http::{HttpRequest, HttpResponse, Method};
use crate::unified::schema::{FieldMap, Rule, UnifiedMethod};

use crate::providers::crm_engagements::{self as eng, TypeRule, TypedPages};
use crate::provider::{Ctx, OpDef, ProviderDef, RawPage, Single};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "onepagecrm",
    label: "OnePageCRM",
    docs: "https://developer.onepagecrm.com/api/reference/",
    hosts: &["app.onepagecrm.com"],
    origin: |_| Ok("https://app.onepagecrm.com".into()),
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
            start: |ctx| {
                let kind = kind_of(eng::engagement_type(ctx.fields).unwrap_or_default());
                let mut body = Value::Object(create_body(ctx, kind));
                if let Some(extra) = ctx.remote_data {
                    crate::codec::json::merge(&mut body, extra);
                }
                Single::boxed(ctx.request(Method::Post, ctx.url().path("/api/v3/").path(kind.plural).build())?.json(body), map_single)
            },
            check: Some(check_create),
            notes: "call → /calls, meeting → /meetings, note → /notes, task → /actions; one contact per record; no email or chat resource",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::List,
            fields: LIST,
            returns: RETURNS,
            start: |ctx| TypedPages::boxed(eng::listed_kinds(ctx, TYPES), list_request, list_parse, |_, ty, item, _| Ok(to_unified(kind_of(ty), item))),
            check: Some(check_list),
            notes: "without engagement_type, calls, meetings, notes and actions are listed in turn; updated_at is applied by crosswalk",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::Get,
            fields: GET,
            returns: RETURNS,
            start: |ctx| {
                let (ty, id) = eng::split_typed_id(ctx, TYPES, None)?;
                Single::boxed(ctx.request(Method::Get, ctx.url().path("/api/v3/").path(kind_of(ty).plural).seg(id).build())?, map_single)
            },
            check: None,
            notes: "ids are {type}:{OnePageCRM id}; a plain id needs ?engagement_type, which selects /calls, /meetings, /notes or /actions",
        },
    ],
};

/// One OnePageCRM resource per unified type.
#[derive(Clone, Copy)]
struct Kind {
    unified: &'static str,
    plural: &'static str,
    singular: &'static str,
}

const KINDS: &[Kind] = &[
    Kind { unified: "call", plural: "calls", singular: "call" },
    Kind { unified: "meeting", plural: "meetings", singular: "meeting" },
    Kind { unified: "note", plural: "notes", singular: "note" },
    Kind { unified: "task", plural: "actions", singular: "action" },
];
const TYPES: &[&str] = &["call", "meeting", "note", "task"];

fn kind_of(unified: &str) -> Kind {
    KINDS.iter().copied().find(|k| k.unified == unified).unwrap_or(KINDS[2])
}


const CREATE: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "call → POST /calls, meeting → /meetings, note → /notes, task → /actions").required().rules(&[Rule::OneOf(TYPES)]),
    FieldMap::custom("contacts", "contact_id").required().rules(&[Rule::MaxItems(1)]),
    FieldMap::custom("content", "text (an action's text is at most 140 characters)").rules(&[Rule::MaxLen(7168)]),
    FieldMap::custom("start_time", "call: call_time_int; meeting: meeting_time_int (epoch s); note: date; task: date + exact_time"),
    FieldMap::custom("phone_numbers", "call: phone_number").rules(&[Rule::MaxItems(1)]),
    FieldMap::custom("opportunity", "note: linked_deal_id"),
    FieldMap::custom("owner", "task: assignee_id"),
];

const TYPE_RULES: &[TypeRule] = &[
    TypeRule::Only("phone_numbers", &["call"]),
    TypeRule::Only("opportunity", &["note"]),
    TypeRule::Only("owner", &["task"]),
    TypeRule::Required("content", &["note", "task"]),
];

const LIST: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "selects /calls, /meetings, /notes or /actions; without it all four in turn").rules(&[Rule::OneOf(TYPES)]),
    FieldMap::query("contact_id", "contact_id"),
    FieldMap::query("account_id", "company_id"),
    FieldMap::custom("created_at", "?date_filter=created_at&since=&until= (epoch seconds)"),
    FieldMap::local("updated_at"),
];

const GET: &[FieldMap] = &[FieldMap::custom("engagement_type", "with a plain id: selects /calls, /meetings, /notes or /actions").rules(&[Rule::OneOf(TYPES)])];

const RETURNS: &[&str] = &["id", "engagement_type", "content", "contacts", "owner", "opportunity", "start_time", "phone_numbers", "created_at", "updated_at"];

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    let user = match (account.context_opt("user_id"), account.credential_opt("user_id")) {
        (Some(u), _) => u,
        (None, Some(u)) => u.to_string(),
        (None, None) => account.context_str("user_id")?,
    };
    let key = account.credential("api_key")?;
    Ok(req.secret_header("authorization", basic(&user, key)).header("accept", "application/json"))
}

fn check_create(f: &Map<String, Value>) -> Vec<Issue> {
    let ty = eng::engagement_type(f).unwrap_or_default();
    let mut issues = eng::check_types("onepagecrm", f, TYPE_RULES);
    let text = f.get("content").and_then(Value::as_str);
    if let Some(n) = text.map(|t| t.chars().count()).filter(|n| ty == "task" && *n > 140) {
        issues.push(Issue::new("body.content", IssueCode::TooLong, format!("is {n} characters; an onepagecrm action allows at most 140")).with_meta(json!({ "max": 140, "actual": n })));
    }
    issues.extend(eng::phone_numbers_need_numbers(f));
    issues
}

fn check_list(f: &Map<String, Value>) -> Vec<Issue> {
    eng::one_list_parent(f, "onepagecrm filters by one of contact_id or company_id at a time").into_iter().collect()
}

fn create_body(ctx: &Ctx, kind: Kind) -> Map<String, Value> {
    let f = ctx.fields;
    let mut b = Map::new();
    if let Some(contact) = eng::ref_json(f, "contacts", false) {
        b.insert("contact_id".into(), contact);
    }
    if let Some(t) = f.get("content") {
        b.insert("text".into(), t.clone());
    }
    let start = f.get("start_time").and_then(Value::as_str).and_then(crate::codec::datetime::parse_datetime);
    match kind.unified {
        "call" | "meeting" => {
            if let Some(dt) = start {
                b.insert(format!("{}_time_int", kind.singular), json!(dt.unix_timestamp()));
            }
            if let Some(n) = f.get("phone_numbers").and_then(|p| p.pointer("/0/number")) {
                b.insert("phone_number".into(), n.clone());
            }
        }
        "note" => {
            if let Some(dt) = start {
                b.insert("date".into(), json!(crate::codec::datetime::date_only(dt)));
            }
            if let Some(deal) = eng::ref_json(f, "opportunity", false) {
                b.insert("linked_deal_id".into(), deal);
            }
        }
        _ => {
            if let Some(owner) = eng::ref_json(f, "owner", false) {
                b.insert("assignee_id".into(), owner);
            }
            // A timed action: due on the date, at the exact instant.
            if let Some(dt) = start {
                b.insert("status".into(), json!("date_time"));
                b.insert("date".into(), json!(crate::codec::datetime::date_only(dt)));
                b.insert("exact_time".into(), json!(dt.unix_timestamp()));
            }
        }
    }
    b
}

/// `{"data": {"<singular>": {…}}}` → the record, whichever kind it is.
fn map_single<'a>(_ctx: &Ctx, body: Json<'a>, _w: &mut Vec<Warning>) -> Result<(Record, Json<'a>)> {
    let data = body.get("data").filter(|d| d.is_object()).ok_or_else(|| Error::protocol("onepagecrm", "response has no data object"))?;
    for kind in KINDS {
        if let Some(record) = data.get(kind.singular).filter(|r| r.get("id").is_some()) {
            return Ok((to_unified(*kind, record), record));
        }
    }
    Err(Error::protocol("onepagecrm", "response has no call, meeting, note or action with an id"))
}

fn epoch_secs(v: Option<Json<'_>>) -> Option<String> {
    v.and_then(Json::as_i64).and_then(iso_from_epoch_secs)
}

fn to_unified(kind: Kind, x: Json<'_>) -> Record {
    let mut r = Record::new();
    r.insert("id", json!(crate::codec::json::id_string(x.get("id")).map(|id| eng::typed_id(kind.unified, &id))));
    r.insert("engagement_type", json!(kind.unified));
    r.insert("content", x.field("text"));
    let contact = id_ref(x.get("contact_id"));
    r.insert("contacts", if contact.is_null() { json!([]) } else { json!([contact]) });
    r.insert("owner", id_ref(x.get("assignee_id")));
    r.insert("opportunity", id_ref(x.get("linked_deal_id")));
    let start = match kind.unified {
        "call" => epoch_secs(x.get("call_time_int")),
        "meeting" => epoch_secs(x.get("meeting_time_int")),
        "task" => epoch_secs(x.get("exact_time")).or_else(|| x.get("date").and_then(to_iso)),
        _ => x.get("date").and_then(to_iso),
    };
    r.insert("start_time", json!(start));
    r.insert("phone_numbers", eng::phone_list(x.get("phone_number")));
    r.insert("created_at", iso_or_null(x.get("created_at")));
    r.insert("updated_at", iso_or_null(x.get("modified_at")));
    r
}

fn list_request(ctx: &Ctx, ty: &'static str, state: &Value) -> Result<HttpRequest> {
    let page = crate::provider::state_count(state, "page", 1)?;
    let mut url = ctx.url().path("/api/v3/").path(kind_of(ty).plural).queries(crate::unified::mapping::apply(ctx.op.fields, ctx.fields).query);
    if let Some(range) = ctx.fields.get("created_at").map(|v| as_range("created_at", v)) {
        url = url.query("date_filter", "created_at");
        for (op, bound) in &range {
            let Some(secs) = bound.as_str().and_then(crate::codec::datetime::parse_datetime).map(|d| d.unix_timestamp()) else { continue };
            // The generic filter re-checks the exact bound on the mapped records.
            url = url.query(if op.starts_with('g') { "since" } else { "until" }, secs.to_string());
        }
    }
    let url = url
        .query("page", page.to_string())
        .query("per_page", eng::page_size(ctx, 10, 100).to_string())
        .queries(ctx.query.remote_query.iter().cloned())
        .build();
    ctx.request(Method::Get, url)
}

fn list_parse<'a>(_ctx: &Ctx, ty: &'static str, _state: &Value, _resp: &HttpResponse, body: Json<'a>) -> Result<RawPage<'a>> {
    let kind = kind_of(ty);
    let data = body.get("data").ok_or_else(|| Error::protocol("onepagecrm", "list response has no data"))?;
    let items: Vec<Json<'a>> = match data.get(kind.plural).and_then(Json::items) {
        Some(items) => items.filter_map(|i| i.get(kind.singular)).collect(),
        None => return Err(Error::protocol("onepagecrm", format!("list response has no {} array", kind.plural))),
    };
    let page = data.get("page").and_then(Json::as_u64).unwrap_or(1);
    let max_page = data.get("max_page").and_then(Json::as_u64).unwrap_or(page);
    let next = if page < max_page { Some(json!({ "page": crate::provider::next_count(page, 1)? })) } else { None };
    // Each item is unwrapped from its envelope: not verbatim.
    Ok(RawPage { items, next, at: None })
}

#[cfg(test)]
mod tests;
