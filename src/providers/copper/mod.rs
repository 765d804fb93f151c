//! Copper — Developer API activities at `https://api.copper.com/developer_api/v1`.
//! Docs: https://developer.copper.com/activities/overview.html, list-activity-types.html,
//! list-activities-search.html, https://developer.copper.com/introduction/requests.html.
//! Auth: three headers on every call: `X-PW-AccessToken: <api_key>` (secret),
//! `X-PW-Application: developer_api`, `X-PW-UserEmail: <email of the key's owner>`
//! (`account.context.user_email`).
//!
//! An activity's type is an account-specific activity type: Note is id 0 everywhere,
//! but "Phone Call" and "Meeting" get their ids when the account is created. So a call
//! or meeting create is a chain: look the id up (`GET /activity_types`), then create.
//! The look-up creates nothing, so its failure or a failed create is a plain error.
//! Reads look the types up too, to name the type of each activity (custom types read
//! back as engagement_type null with a warning; system types are not engagements and
//! are not listed). Copper has no email, chat or task activities of its own.
//! Every activity has exactly one parent (person, company, opportunity, lead or
//! project), `details` (required) and `activity_date` (Unix seconds; a documented
//! property, settable on create per the overview, not shown in Copper's create
//! example). Activities are attributed to the key's user: there is no owner on create.
//! Lists are `POST /activities/search` pages (bare arrays; a short page is the last).
//! The 200-per-page maximum is from public client code (UNCONFIRMED).
//! Sources and examples: tests/fixtures/copper/README.md.

use crate::unified::record::Record;
use serde_json::{json, Map, Value};

use crate::provider::account::Account;
use crate::codec::datetime::iso_from_epoch_secs;
use crate::codec::doc::Json;
use crate::error::{Error, Issue, IssueCode, Result, Warning};
use crate::codec::http::{HttpRequest, HttpResponse, Method};
use crate::unified::schema::{s, Conv, FieldMap, Rule, UnifiedMethod};

use crate::provider::chain::{Chain, ChainStep};
use crate::providers::crm_engagements::{self as eng, TypeRule};
use crate::provider::{mapped_page, Ctx, Exchange, Next, OpDef, ProviderDef, RawPage};

const API: &str = "/developer_api/v1";

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "copper",
    label: "Copper",
    docs: "https://developer.copper.com/activities/overview.html",
    hosts: &["api.copper.com"],
    origin: |_| Ok("https://api.copper.com".into()),
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
            start: |_| Chain::boxed(CREATE_STEPS, |ctx, results, w| {
                let record = results.get(1).copied().unwrap_or(Json::NULL);
                let kind = eng::engagement_type(ctx.fields).unwrap_or_default();
                Ok((map_activity(record, &[(type_id(record).unwrap_or(0), Some(kind.to_string()))], w)?, record))
            }),
            check: Some(|f| eng::check_types("copper", f, TYPE_RULES)),
            notes: "POST /activities; calls and meetings first look up the account's activity type id (GET /activity_types)",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::List,
            fields: FILTERS,
            returns: RETURNS,
            start: |_| Ok(Box::new(SearchList::default())),
            check: Some(check_filters),
            notes: "GET /activity_types, then POST /activities/search pages of user-category activities; one parent filter at a time",
        },
        OpDef {
            model: "crm",
            resource: "engagements",
            method: UnifiedMethod::Get,
            fields: &[],
            returns: RETURNS,
            start: |_| Chain::boxed(GET_STEPS, |_, results, w| {
                let record = results.get(1).copied().unwrap_or(Json::NULL);
                Ok((map_activity(record, &type_table(results.first().copied().unwrap_or(Json::NULL)), w)?, record))
            }),
            check: None,
            notes: "GET /activity_types, then GET /activities/{id}",
        },
    ],
};

const PARENTS: &[&str] = &["opportunity", "contacts", "lead", "account", "project"];
/// Unified field → Copper parent type.
const PARENT_TYPES: &[(&str, &str)] = &[("opportunity", "opportunity"), ("contacts", "person"), ("lead", "lead"), ("account", "company"), ("project", "project")];
/// Copper's default user activity type names → unified types.
const TYPE_NAMES: &[(&str, &str)] = &[("Note", "note"), ("Phone Call", "call"), ("Meeting", "meeting")];

const CREATE: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "type {category: user, id}: Note = 0; Phone Call / Meeting ids from GET /activity_types")
        .required()
        .conv(Conv::Map(&[("note", s("Note")), ("call", s("Phone Call")), ("meeting", s("Meeting"))])),
    FieldMap::body("content", "details").required(),
    FieldMap::custom("contacts", "parent {type: person} (one)").rules(&[Rule::MaxItems(1)]),
    FieldMap::custom("account", "parent {type: company}"),
    FieldMap::custom("opportunity", "parent {type: opportunity}"),
    FieldMap::custom("lead", "parent {type: lead} (one)").rules(&[Rule::MaxItems(1)]),
    FieldMap::custom("project", "parent {type: project}"),
    FieldMap::body("start_time", "activity_date").conv(Conv::EpochSecs),
];

const TYPE_RULES: &[TypeRule] = &[TypeRule::AnyOf(PARENTS, &["note", "call", "meeting"]), TypeRule::AtMostOne(PARENTS, &["note", "call", "meeting"])];

const FILTERS: &[FieldMap] = &[
    FieldMap::custom("engagement_type", "activity_types [{id, category: user}]").conv(Conv::Map(&[("note", s("Note")), ("call", s("Phone Call")), ("meeting", s("Meeting"))])),
    FieldMap::custom("contact_id", "parent {type: person}"),
    FieldMap::custom("account_id", "parent {type: company}"),
    FieldMap::local("created_at"),
    FieldMap::local("updated_at"),
];

const RETURNS: &[&str] = &["id", "engagement_type", "content", "owner", "contacts", "account", "opportunity", "lead", "project", "start_time", "created_at", "updated_at"];

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    let key = account.credential("api_key")?;
    let email = account.context_str("user_email")?;
    Ok(req.secret_header("x-pw-accesstoken", key).header("x-pw-application", "developer_api").header("x-pw-useremail", email))
}

fn check_filters(fields: &Map<String, Value>) -> Vec<Issue> {
    if fields.contains_key("contact_id") && fields.contains_key("account_id") {
        return vec![Issue::new("query.account_id", IssueCode::Conflict, "Copper searches one parent at a time; give contact_id or account_id")];
    }
    Vec::new()
}

fn type_id(activity: Json<'_>) -> Option<i64> {
    activity.path("type.id").and_then(Json::as_i64)
}

/// `(type id, unified type)` for every user activity type of the account.
fn type_table(types: Json<'_>) -> Vec<(i64, Option<String>)> {
    let users = types.get("user").and_then(Json::items).into_iter().flatten();
    let mut table: Vec<(i64, Option<String>)> = users
        .filter_map(|t| {
            let id = t.get("id")?.as_i64()?;
            let kind = TYPE_NAMES.iter().find(|(n, _)| Some(*n) == t.get_str("name")).map(|(_, k)| k.to_string());
            Some((id, if id == 0 { Some("note".into()) } else { kind }))
        })
        .collect();
    if !table.iter().any(|(id, _)| *id == 0) {
        table.insert(0, (0, Some("note".into())));
    }
    table
}

fn types_request(ctx: &Ctx) -> Result<HttpRequest> {
    ctx.request(Method::Get, ctx.url().path(API).path("/activity_types").build())
}

static CREATE_STEPS: &[ChainStep] = &[
    ChainStep {
        name: "activity_types",
        build: |ctx, _| if eng::engagement_type(ctx.fields) == Some("note") { Ok(None) } else { types_request(ctx).map(Some) },
        read: |ctx, _, body| {
            let kind = eng::engagement_type(ctx.fields).unwrap_or_default();
            let found = type_table(body).into_iter().find(|(_, k)| k.as_deref() == Some(kind)).map(|(id, _)| id);
            match found {
                Some(id) => Ok(json!({ "type_id": id })),
                None => Err(Error::one_issue(
                    Some("copper"),
                    Issue::new("body.engagement_type", IssueCode::NotOneOf, format!("this Copper account has no user activity type for {kind} (looked for {:?})", TYPE_NAMES.iter().find(|(_, k)| *k == kind).map(|(n, _)| *n).unwrap_or(kind))),
                )),
            }
        },
    },
    ChainStep {
        name: "create",
        build: |ctx, done| {
            let type_id = done.first().and_then(|t| t.get("type_id")).and_then(Value::as_i64).unwrap_or(0);
            let f = ctx.fields;
            let parent = PARENT_TYPES.iter().find_map(|(field, t)| Some(json!({ "type": t, "id": eng::ref_json(f, field, true)? })));
            let mut body = Value::Object(crate::unified::mapping::apply(ctx.op.fields, f).body);
            body["parent"] = parent.unwrap_or(Value::Null);
            body["type"] = json!({ "category": "user", "id": type_id });
            if let Some(extra) = ctx.remote_data {
                crate::codec::json::merge(&mut body, extra);
            }
            Ok(Some(ctx.request(Method::Post, ctx.url().path(API).path("/activities").build())?.json(body)))
        },
        read: |_, _, body| if body.get("id").is_some() { Ok(body.to_value()) } else { Err(Error::protocol("copper", "create answered without an id")) },
    },
];

static GET_STEPS: &[ChainStep] = &[
    ChainStep { name: "activity_types", build: |ctx, _| types_request(ctx).map(Some), read: |_, _, body| Ok(body.to_value()) },
    ChainStep {
        name: "get",
        build: |ctx, _| Ok(Some(ctx.request(Method::Get, ctx.url().path(API).path("/activities").seg(ctx.id()?).build())?)),
        read: |_, _, body| Ok(body.to_value()),
    },
];

/// The list: one activity-types look-up, then search pages. The types travel in the
/// paging state, so a page resumed from a cursor needs no second look-up.
#[derive(Default)]
struct SearchList {
    awaiting_types: bool,
    /// Page number and activity types of the search in flight.
    page: u64,
    types: Vec<(i64, Option<String>)>,
}

impl SearchList {
    fn search(&mut self, ctx: &Ctx, page: u64, types: Vec<(i64, Option<String>)>) -> Result<Next> {
        self.awaiting_types = false;
        self.page = page;
        self.types = types;
        let types = &self.types;
        let wanted: Vec<Value> = types
            .iter()
            .filter(|(_, k)| eng::engagement_type(ctx.fields).map_or(true, |t| k.as_deref() == Some(t)))
            .map(|(id, _)| json!({ "id": id, "category": "user" }))
            .collect();
        let parent = [("contact_id", "person"), ("account_id", "company")]
            .iter()
            .find_map(|(f, t)| ctx.fields.get(*f).and_then(Value::as_str).map(|id| json!({ "type": t, "id": eng::id_json(id) })));
        let mut body = json!({ "page_number": page, "page_size": eng::page_size(ctx, 100, 200), "activity_types": wanted });
        if let Some(p) = parent {
            body["parent"] = p;
        }
        let url = ctx.url().path(API).path("/activities/search").queries(ctx.query.remote_query.iter().cloned());
        Ok(Next::Send(ctx.request(Method::Post, url.build())?.json(body)))
    }
}

fn state_types(state: &Value) -> Option<Vec<(i64, Option<String>)>> {
    let list = state.get("types")?.as_array()?;
    Some(list.iter().filter_map(|t| Some((t.get(0)?.as_i64()?, t.get(1).and_then(Value::as_str).map(str::to_string)))).collect())
}

impl Exchange for SearchList {
    fn start(&mut self, ctx: &Ctx) -> Result<Next> {
        self.awaiting_types = true;
        types_request(ctx).map(Next::Send)
    }
    fn page(&mut self, ctx: &Ctx, state: &Value) -> Result<Next> {
        let types = state_types(state).ok_or_else(|| Error::InvalidCursor { reason: "no Copper activity types in the cursor".into() })?;
        self.search(ctx, crate::provider::state_count(state, "page", 1)?, types)
    }
    fn on_success(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        let doc = resp.doc("copper")?;
        let body = doc.root();
        if self.awaiting_types {
            let types = type_table(body);
            let any = types.iter().any(|(_, k)| eng::engagement_type(ctx.fields).map_or(true, |t| k.as_deref() == Some(t)));
            if !any {
                // The account has no activity type of the kind asked for: nothing to list.
                return Ok(Next::Page { items: Vec::new(), next: None, warnings: Vec::new(), source: None });
            }
            return self.search(ctx, 1, types);
        }
        let Some(items) = body.items() else { return Err(Error::protocol("copper", "search answered with something other than an array")) };
        let items: Vec<Json<'_>> = items.collect();
        // No cursor from Copper: a full page may have a successor, a short one is the last.
        let full = items.len() >= eng::page_size(ctx, 100, 200) as usize;
        let types: Vec<Value> = self.types.iter().map(|(id, k)| json!([id, k])).collect();
        let next = if full { Some(json!({ "page": crate::provider::next_count(self.page, 1)?, "types": types })) } else { None };
        mapped_page(ctx, RawPage { items, next, at: Some(&[]) }, |raw, w| map_activity(raw, &self.types, w))
    }
}

fn parent_field(t: &str) -> Option<&'static str> {
    PARENT_TYPES.iter().find(|(_, p)| *p == t).map(|(f, _)| *f)
}

fn map_activity(a: Json<'_>, types: &[(i64, Option<String>)], w: &mut Vec<Warning>) -> Result<Record> {
    let id = crate::codec::json::id_string(a.get("id")).ok_or_else(|| Error::protocol("copper", "activity has no id"))?;
    let mut r = Record::new();
    r.insert("id", json!(id));
    let kind = type_id(a).and_then(|t| types.iter().find(|(id, _)| *id == t)).and_then(|(_, k)| k.clone());
    if kind.is_none() {
        let raw = format!("{}:{}", a.get_str("type.category").unwrap_or("?"), type_id(a).map(|t| t.to_string()).unwrap_or_default());
        eng::unknown_type_warning(w, &raw);
    }
    r.insert("engagement_type", json!(kind));
    r.insert("content", a.field("details"));
    r.insert("owner", crate::codec::json::id_ref(a.get("user_id")));
    for f in ["contacts", "lead"] {
        r.insert(f, json!([]));
    }
    for f in ["account", "opportunity", "project"] {
        r.insert(f, Value::Null);
    }
    if let Some(field) = a.get_str("parent.type").and_then(parent_field) {
        let parent = crate::codec::json::id_ref(a.path("parent.id"));
        r.insert(field, if matches!(field, "contacts" | "lead") { Value::Array(vec![parent]) } else { parent });
    }
    let secs = |k: &str| a.get(k).and_then(Json::as_i64).and_then(iso_from_epoch_secs).map(Value::String).unwrap_or(Value::Null);
    r.insert("start_time", secs("activity_date"));
    r.insert("created_at", secs("date_created"));
    r.insert("updated_at", secs("date_modified"));
    Ok(r)
}

#[cfg(test)]
mod tests;
