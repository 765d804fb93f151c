//! Greenhouse — Harvest API **v3** at `https://harvest.greenhouse.io/v3` (v1/v2 and their
//! API keys were removed on 2026-08-31). Interviews list and get.
//! Docs: https://harvestdocs.greenhouse.io/reference/get_v3-interviews and Greenhouse's
//! OpenAPI 3.1 for v3; pagination https://harvestdocs.greenhouse.io/docs/pagination.
//! Auth: OAuth 2 bearer tokens from `https://auth.greenhouse.io/token` — client
//! credentials for a customer's own integration (the account's `client_id` and
//! `client_secret`; `context.user_id` becomes `sub` to act as that Site Admin), or the
//! authorization code flow for partners (single-use refresh tokens, 24 hours).
//!
//! A list is a bare JSON array; the next page is the `Link` `rel="next"` URL, whose
//! `cursor` must be its only parameter. Date filters are one parameter per field with
//! operators chained by pipes (`updated_at=gte|A|lt|B`, the OpenAPI's `pipeDelimited`).
//! There is no `GET /v3/interviews/{id}`: a get is `?ids={id}`.
//!
//! The interview record carries ids only. Crosswalk joins, per page, at most 50 ids per
//! request: `/v3/interviewers?interview_ids=` (the panel), `/v3/applications?ids=` (the
//! candidate), `/v3/job_interviews?ids=` then `/v3/job_interview_stages?ids=` (the
//! stage of the interview's plan slot). A lookup the token has no scope for (403) leaves
//! its field empty with a warning. Sources: tests/fixtures/greenhouse/README.md.

use crate::unified::record::Record;
use std::collections::{HashMap, VecDeque};

use serde_json::{json, Value};

use crate::codec::datetime::{iso_or_null, iso_utc, parse_datetime};
use crate::codec::doc::{Doc, Json};
use crate::codec::json::{id_ref, id_string};
use crate::error::{Error, Issue, IssueCode, Result, Warning, WarningCode};
use crate::codec::http::{HttpRequest, HttpResponse, Method};
use crate::provider::account::Account;
use crate::provider::auth::{ClientAuth, Grant, OAuthDef};
use crate::unified::filters::as_range;
use crate::unified::schema::{FieldMap, UnifiedMethod};

use crate::provider::{link_next, map_status, rebase_on_origin, Ctx, Exchange, ItemsSource, Next, OpDef, ProviderDef};

/// OAuth: https://harvestdocs.greenhouse.io/docs/authentication (client credentials,
/// Basic client authentication, form body, optional `sub`) and
/// https://harvestdocs.greenhouse.io/docs/harvest-partner-oauth (authorization code;
/// access tokens 1 hour, refresh tokens 24 hours). The token answer's lifetime is
/// `expires_at` (ISO 8601) in every client read; scopes are `harvest:<resource>:<action>`.
const OAUTH: OAuthDef = OAuthDef {
    authorize_url: Some("https://auth.greenhouse.io/authorize"),
    token_url: "https://auth.greenhouse.io/token",
    hosts: &["auth.greenhouse.io"],
    grants: &[Grant::ClientCredentials, Grant::AuthorizationCode, Grant::RefreshToken],
    client_auth: ClientAuth::Basic,
    scopes: &["harvest:interviews:list", "harvest:interviewers:list", "harvest:applications:list", "harvest:job_interviews:list", "harvest:job_interview_stages:list"],
    token_params: &[("sub", "user_id")],
    notes: "client credentials (custom integrations; sub = context.user_id, optional) or authorization code (partners); access tokens 1 hour, partner refresh tokens single-use and 24 hours",
    ..OAuthDef::DEFAULTS
};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "greenhouse",
    label: "Greenhouse",
    docs: "https://harvestdocs.greenhouse.io/reference/get_v3-interviews",
    hosts: &["harvest.greenhouse.io"],
    origin: |_| Ok("https://harvest.greenhouse.io".into()),
    auth,
    idempotency_header: None,
    oauth: Some(&OAUTH),
    ops: &[
        OpDef {
            model: "ats",
            resource: "interviews",
            method: UnifiedMethod::List,
            fields: FILTERS,
            returns: RETURNS,
            start: |_| Ok(Box::new(Interviews::new(false))),
            check: None,
            notes: "GET /v3/interviews (Link-header cursor, per_page ≤ 50 so each page's lookups fit one request); interviewers, candidate and stage joined from /v3/interviewers, /v3/applications, /v3/job_interviews + /v3/job_interview_stages; date filters sent as field=op|value; all-day interviews start/end at midnight UTC; organizer has only an id",
        },
        OpDef {
            model: "ats",
            resource: "interviews",
            method: UnifiedMethod::Get,
            fields: &[],
            returns: RETURNS,
            start: |_| Ok(Box::new(Interviews::new(true))),
            check: None,
            notes: "GET /v3/interviews?ids={id} (v3 has no get by id; an empty answer is a 404), with the list's lookups",
        },
    ],
};

const FILTERS: &[FieldMap] = &[
    FieldMap::custom("application_id", "application_ids"),
    FieldMap::custom("created_at", "created_at=op|value…"),
    FieldMap::custom("updated_at", "updated_at=op|value…"),
    FieldMap::custom("start_at", "starts_at=op|value… (interviews without a start are excluded)"),
    FieldMap::custom("end_at", "ends_at=op|value…"),
];

const RETURNS: &[&str] = &["id", "application", "candidate", "created_at", "end_at", "interviewers", "job_interview_stage", "location", "organizer", "start_at", "status", "updated_at"];

/// v3's statuses (OpenAPI enum). `to_be_sent`, `sent`, `received` are take-home tests.
pub const STATUS: &[(&str, &str)] = &[
    ("to_be_scheduled", "draft"),
    ("scheduled", "scheduled"),
    ("awaiting_feedback", "awaiting_feedback"),
    ("collect_feedback", "awaiting_feedback"),
    ("complete", "completed"),
    ("skipped", "cancelled"),
    ("to_be_sent", "draft"),
    ("sent", "scheduled"),
    ("received", "awaiting_feedback"),
];

/// Unified date filter → v3 parameter.
const DATE_PARAMS: &[(&str, &str)] = &[("created_at", "created_at"), ("updated_at", "updated_at"), ("start_at", "starts_at"), ("end_at", "ends_at")];

/// Most ids one `ids=`/`interview_ids=` parameter takes (OpenAPI `maxItems`), and so
/// the page size: one lookup request per kind per page.
const IDS_MAX: usize = 50;
const LOOKUP_PER_PAGE: u32 = 500;
/// At 500 rows a page, 50 interviews never need this many lookup pages.
const MAX_LOOKUP_PAGES: u32 = 200;

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    if account.credential_opt("access_token").is_none() && account.credential_opt("api_key").is_some() {
        return Err(Error::one_issue(
            Some("greenhouse"),
            Issue::new("account.credentials.api_key", IssueCode::UnsupportedField, "Harvest v1/v2 API keys stopped working on 2026-08-31; give the Harvest v3 OAuth client_id and client_secret (or connect the account)"),
        ));
    }
    Ok(req.secret_header("authorization", format!("Bearer {}", account.credential("access_token")?)))
}

/// A lookup that fills one unified field from another v3 list.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Lookup {
    Interviewers,
    Applications,
    JobInterviews,
    Stages,
}

impl Lookup {
    fn path(self) -> &'static str {
        match self {
            Lookup::Interviewers => "/v3/interviewers",
            Lookup::Applications => "/v3/applications",
            Lookup::JobInterviews => "/v3/job_interviews",
            Lookup::Stages => "/v3/job_interview_stages",
        }
    }
    fn ids_param(self) -> &'static str {
        if self == Lookup::Interviewers { "interview_ids" } else { "ids" }
    }
    /// The unified field left empty when the token may not read this list.
    fn field(self) -> &'static str {
        match self {
            Lookup::Interviewers => "interviewers",
            Lookup::Applications => "candidate",
            Lookup::JobInterviews | Lookup::Stages => "job_interview_stage",
        }
    }
    fn scope(self) -> &'static str {
        match self {
            Lookup::Interviewers => "harvest:interviewers:list",
            Lookup::Applications => "harvest:applications:list",
            Lookup::JobInterviews => "harvest:job_interviews:list",
            Lookup::Stages => "harvest:job_interview_stages:list",
        }
    }
}

/// The interviews list (or get) with its per-page lookups.
struct Interviews {
    single: bool,
    /// The interviews page being joined (its text kept until the lookups are in)
    /// and the provider's state for the next one.
    page: Option<Doc<'static>>,
    next: Option<Value>,
    /// Lookups still to send: the kind and the request's path and query (a first
    /// request, or the `Link` next of one).
    queue: VecDeque<(Lookup, String)>,
    in_flight: Option<Lookup>,
    /// Interview id → its interviewers `(user id, email)`, as read; the unified
    /// objects are built once, when the record is.
    panel: HashMap<String, Vec<(Option<String>, Value)>>,
    /// Application id → candidate id.
    candidate_of: HashMap<String, String>,
    stage_of_slot: HashMap<String, String>,
    stage_name: HashMap<String, Value>,
    stages_queued: bool,
    /// Lookup pages read for this interviews page: a lookup whose `Link` never ends
    /// is stopped, not followed forever.
    lookup_pages: u32,
    warnings: Vec<Warning>,
    /// The interviews page's response: its items are the page's raw records.
    source: Option<ItemsSource>,
}

impl Interviews {
    fn new(single: bool) -> Interviews {
        Interviews {
            single,
            page: None,
            next: None,
            queue: VecDeque::new(),
            in_flight: None,
            panel: HashMap::new(),
            candidate_of: HashMap::new(),
            stage_of_slot: HashMap::new(),
            stage_name: HashMap::new(),
            stages_queued: false,
            lookup_pages: 0,
            warnings: Vec::new(),
            source: None,
        }
    }

    fn first_request(&self, ctx: &Ctx) -> Result<HttpRequest> {
        let mut url = ctx.url().path("/v3/interviews");
        if self.single {
            let id = ctx.id()?;
            if !id.bytes().all(|b| b.is_ascii_digit()) || id.len() > 19 {
                return Err(Error::one_issue(Some("greenhouse"), Issue::new("id", IssueCode::InvalidFormat, "Greenhouse interview ids are whole numbers")));
            }
            return ctx.request(Method::Get, url.query("ids", id).queries(ctx.query.remote_query.iter().cloned()).build());
        }
        let per_page = ctx.query.limit.unwrap_or(IDS_MAX as u32).clamp(1, if ctx.skip_mapping() { 500 } else { IDS_MAX as u32 });
        url = url.query("per_page", per_page.to_string());
        if let Some(app) = ctx.field_str("application_id") {
            url = url.query("application_ids", app);
        }
        for (field, param) in DATE_PARAMS {
            let Some(v) = ctx.fields.get(*field) else { continue };
            let mut parts = Vec::new();
            for (op, bound) in as_range(field, v) {
                let Some(at) = bound.as_str().and_then(parse_datetime) else { continue };
                if matches!(op.as_str(), "gt" | "gte" | "lt" | "lte") {
                    parts.push(format!("{op}|{}", iso_utc(at)));
                }
            }
            if !parts.is_empty() {
                url = url.query(param, parts.join("|"));
            }
        }
        ctx.request(Method::Get, url.queries(ctx.query.remote_query.iter().cloned()).build())
    }

    /// The next-page request: the `Link` URL's path and cursor, on the account origin.
    fn page_request(ctx: &Ctx, state: &Value) -> Result<HttpRequest> {
        let path = state.get("next").and_then(Value::as_str).filter(|p| is_page_path(p, "/v3/interviews")).ok_or_else(|| Error::InvalidCursor { reason: "not a Greenhouse interviews page".into() })?;
        ctx.request(Method::Get, ctx.url().raw_path(path).build())
    }

    /// The page's interviews (a get's answer: its first).
    fn items(&self) -> impl Iterator<Item = Json<'_>> {
        let take = if self.single { 1 } else { usize::MAX };
        self.page.iter().flat_map(|doc| doc.root().items().into_iter().flatten()).take(take)
    }

    /// Queues the lookups for the page just read.
    fn plan_lookups(&mut self) {
        let ids = |key: &str| -> Vec<String> {
            let mut seen = std::collections::HashSet::new();
            let mut out: Vec<String> = Vec::new();
            for item in self.items() {
                if let Some(id) = id_string(item.get(key)).filter(|s| s.bytes().all(|b| b.is_ascii_digit())) {
                    if seen.insert(id.clone()) {
                        out.push(id);
                    }
                }
            }
            out
        };
        let mut lookups = Vec::new();
        for (kind, key) in [(Lookup::Interviewers, "id"), (Lookup::Applications, "application_id"), (Lookup::JobInterviews, "job_interview_id")] {
            lookups.extend(ids(key).chunks(IDS_MAX).map(|chunk| (kind, lookup_path(kind, chunk))));
        }
        self.queue.extend(lookups);
    }

    fn send_next(&mut self, ctx: &Ctx) -> Result<Next> {
        if self.queue.is_empty() && !self.stages_queued {
            self.stages_queued = true;
            let mut stage_ids: Vec<String> = self.stage_of_slot.values().cloned().collect();
            stage_ids.sort();
            stage_ids.dedup();
            for chunk in stage_ids.chunks(IDS_MAX) {
                self.queue.push_back((Lookup::Stages, lookup_path(Lookup::Stages, chunk)));
            }
        }
        match self.queue.pop_front() {
            Some((kind, path)) => {
                self.in_flight = Some(kind);
                Ok(Next::Send(ctx.request(Method::Get, ctx.url().raw_path(&path).build())?))
            }
            None => self.emit(ctx),
        }
    }

    fn read_lookup(&mut self, ctx: &Ctx, kind: Lookup, resp: &HttpResponse) -> Result<()> {
        let doc = resp.doc("greenhouse")?;
        let rows = doc.root().items().ok_or_else(|| Error::protocol("greenhouse", format!("{} is not a JSON array", kind.path())))?;
        for row in rows {
            let own = id_string(row.get("id"));
            match kind {
                Lookup::Interviewers => {
                    if let Some(interview) = id_string(row.get("interview_id")) {
                        self.panel.entry(interview).or_default().push((id_string(row.get("user_id")), row.field("email")));
                    }
                }
                Lookup::Applications => {
                    if let (Some(app), Some(candidate)) = (own, id_string(row.get("candidate_id"))) {
                        self.candidate_of.insert(app, candidate);
                    }
                }
                Lookup::JobInterviews => {
                    if let (Some(slot), Some(stage)) = (own, id_string(row.get("job_interview_stage_id"))) {
                        self.stage_of_slot.insert(slot, stage);
                    }
                }
                Lookup::Stages => {
                    if let Some(stage) = own {
                        self.stage_name.insert(stage, row.field("name"));
                    }
                }
            }
        }
        // A lookup's own pages (a panel of 50 interviews can pass one page).
        self.lookup_pages = self.lookup_pages.saturating_add(1);
        if let Some(path) = next_path(ctx, resp, kind.path())? {
            if self.lookup_pages >= MAX_LOOKUP_PAGES {
                return Err(Error::PaginationLoop { provider: "greenhouse".into(), pages: self.lookup_pages });
            }
            self.queue.push_front((kind, path));
        }
        Ok(())
    }

    fn emit(&mut self, ctx: &Ctx) -> Result<Next> {
        let mut warnings = std::mem::take(&mut self.warnings);
        let mut mapped = Vec::new();
        for (i, item) in self.items().enumerate() {
            let mut w = Vec::new();
            let record = if ctx.skip_mapping() { Record::new() } else { self.map_interview(item, &mut w)? };
            warnings.extend(w.into_iter().map(|x| Warning { field: if self.single { x.field } else { format!("result[{i}].{}", x.field) }, ..x }));
            mapped.push((record, if self.single { ctx.raw_record(item) } else { ctx.raw_item(i, item) }));
        }
        self.page = None;
        if self.single {
            let (record, raw) = mapped.into_iter().next().ok_or_else(|| Error::Misuse { reason: "no interview to return".into() })?;
            return Ok(Next::Record { record, raw, warnings });
        }
        Ok(Next::Page { items: mapped, next: self.next.take(), warnings, source: self.source })
    }

    fn map_interview(&self, item: Json<'_>, w: &mut Vec<Warning>) -> Result<Record> {
        let id = id_string(item.get("id")).ok_or_else(|| Error::protocol("greenhouse", "interview has no id"))?;
        let mut r = Record::new();
        r.insert("application", id_ref(item.get("application_id")));
        let candidate = id_string(item.get("application_id")).and_then(|a| self.candidate_of.get(&a).cloned());
        r.insert("candidate", candidate.map_or(Value::Null, |c| json!({ "id": c })));
        r.insert("created_at", iso_or_null(item.get("created_at")));
        r.insert("updated_at", iso_or_null(item.get("updated_at")));
        r.insert("start_at", moment(item, "starts_at", "all_day_start_on"));
        r.insert("end_at", moment(item, "ends_at", "all_day_end_on"));
        let panel = self.panel.get(&id).map(Vec::as_slice).unwrap_or_default();
        r.insert("interviewers", Value::Array(panel.iter().map(|(user, email)| json!({ "id": user, "name": null, "email": email })).collect()));
        r.insert("organizer", match id_string(item.get("organizer_id")) {
            Some(o) => json!({ "id": o, "name": null, "email": null }),
            None => Value::Null,
        });
        let stage = id_string(item.get("job_interview_id")).and_then(|slot| self.stage_of_slot.get(&slot).cloned());
        r.insert("job_interview_stage", match stage {
            Some(s) => json!({ "id": s.clone(), "name": self.stage_name.get(&s).cloned().unwrap_or(Value::Null) }),
            None => Value::Null,
        });
        let text = |key: &str| item.get(key).and_then(Json::as_str);
        let location = text("location").filter(|s| !s.is_empty()).or_else(|| text("video_conferencing_url"));
        r.insert("location", json!(location));
        r.insert("status", map_status(STATUS, text("status"), w));
        r.insert("id", json!(id));
        Ok(r)
    }

    /// The interviews page (or the get's one-element answer) arrived.
    fn on_interviews(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        let page = resp.doc("greenhouse")?;
        let count = page.root().items().ok_or_else(|| Error::protocol("greenhouse", "the interviews list is not a JSON array"))?.len();
        if self.single && count == 0 {
            return Err(Error::Remote { provider: "greenhouse".into(), status: 404, message: Some("Greenhouse has no interview with this id".into()), body: Value::Array(Vec::new()) });
        }
        self.next = if self.single { None } else { next_path(ctx, resp, "/v3/interviews")?.map(|p| json!({ "next": p })) };
        self.page = Some(page.into_owned());
        self.source = Some(ItemsSource { response: ctx.response_index, path: &[] });
        self.panel.clear();
        self.candidate_of.clear();
        self.stage_of_slot.clear();
        self.stage_name.clear();
        self.stages_queued = false;
        self.lookup_pages = 0;
        if ctx.skip_mapping() {
            // Raw answers need no joined fields.
            self.stages_queued = true;
            return self.emit(ctx);
        }
        self.plan_lookups();
        self.send_next(ctx)
    }
}

impl Exchange for Interviews {
    fn start(&mut self, ctx: &Ctx) -> Result<Next> {
        self.in_flight = None;
        Ok(Next::Send(self.first_request(ctx)?))
    }

    fn page(&mut self, ctx: &Ctx, state: &Value) -> Result<Next> {
        self.in_flight = None;
        Ok(Next::Send(Self::page_request(ctx, state)?))
    }

    fn on_success(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        match self.in_flight.take() {
            None => self.on_interviews(ctx, resp),
            Some(kind) => {
                self.read_lookup(ctx, kind, resp)?;
                self.send_next(ctx)
            }
        }
    }

    fn on_failure(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        match self.in_flight {
            // A scope the token lacks: the page comes back without that field.
            Some(kind) if resp.status == 403 => {
                self.in_flight = None;
                self.queue.retain(|(k, _)| *k != kind);
                self.warnings.push(Warning {
                    field: kind.field().into(),
                    code: WarningCode::LookupRefused,
                    message: format!("Greenhouse refused {} (403): the token needs the {} scope; {} is left empty", kind.path(), kind.scope(), kind.field()),
                });
                self.send_next(ctx)
            }
            _ => Err(ctx.remote_error(resp)),
        }
    }
}

/// `/v3/<list>?<ids param>=1,2,3&per_page=500`.
fn lookup_path(kind: Lookup, ids: &[String]) -> String {
    format!("{}?{}={}&per_page={LOOKUP_PER_PAGE}", kind.path(), kind.ids_param(), ids.join("%2C"))
}

/// The path and query of a `Link` `rel="next"` URL on `list`, re-based on the account
/// origin; a next URL elsewhere is a protocol error, none is the last page.
fn next_path(ctx: &Ctx, resp: &HttpResponse, list: &str) -> Result<Option<String>> {
    let Some(url) = link_next(resp.header("link")) else { return Ok(None) };
    let path = rebase_on_origin(&url, ctx.origin).and_then(|u| u.strip_prefix(ctx.origin.as_str()).map(str::to_string)).filter(|p| is_page_path(p, list));
    path.map(Some).ok_or_else(|| Error::protocol("greenhouse", format!("the Link rel=\"next\" URL is not a {list} page")))
}

/// A next-page path stays on its list endpoint and carries only a cursor.
fn is_page_path(p: &str, list: &str) -> bool {
    let Some((path, query)) = p.split_once('?') else { return false };
    path == list && query.strip_prefix("cursor=").is_some_and(|c| !c.is_empty() && !c.contains('&')) && !p.chars().any(|c| c.is_control() || c == ' ' || c == '#')
}

/// A start or end: the date-time, or for all-day interviews the date at midnight UTC.
fn moment(item: Json<'_>, at: &str, all_day: &str) -> Value {
    match item.get(at).filter(|v| !v.is_null()) {
        Some(v) => iso_or_null(Some(v)),
        None => iso_or_null(item.get(all_day)),
    }
}

#[cfg(test)]
mod tests;
