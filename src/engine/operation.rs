//! The sans-IO state machine that drives one unified operation.
//!
//! Call order (the driver owns all I/O and the clock):
//! 1. [`Operation::start`] validates and plans; it returns the operation and the
//!    first [`Step`], or an error before anything is sent.
//! 2. On [`Step::Send`], perform the request and pass the result to
//!    [`Operation::handle_response`] (or [`Operation::handle_transport_error`] when
//!    no response arrived).
//! 3. On [`Step::Wait`], sleep until `until_ms` (or stop and persist), then call
//!    [`Operation::resume`].
//! 4. On [`Step::Done`], the value is the unified result. For a page with a
//!    `next_cursor`, [`Operation::next_page`] continues on the same operation, which
//!    remembers every cursor it has seen, so a provider that repeats itself ends
//!    in an error instead of a loop.
//!
//! Exactly one request is in flight at a time. Every input takes `now_ms` from the
//! driver; the core never reads a clock.

use serde_json::{Map, Value};

use crate::provider::account::Account;
use crate::error::{Error, Issue, IssueCode, Result, Warning};
use crate::codec::http::{HttpRequest, HttpResponse, Origin};
use crate::codec::redact::Redactor;
use crate::unified::models;
use crate::provider::{Ctx, Exchange, ItemsSource, Next, OpDef, ProviderDef, RawRecord};
use crate::providers;
use crate::unified::record::Record;
use crate::unified::query::{ResponseFormat, UnifiedQuery};
use crate::engine::page::{Item, Page, PageResult};
use crate::engine::passthrough::{Passthrough, PassthroughInput, PASSTHROUGH_OP};
use crate::engine::retry::RetryPolicy;
use crate::engine::step::{Machine, Step};
use crate::engine::token::{self, Need, TokenOperation};
use crate::unified::schema::UnifiedMethod;
use crate::unified::validate::{check, Side};

/// What the driver passes to start an operation.
#[derive(Debug, Clone, Default)]
pub struct StartInput {
    pub account: Account,
    pub model: String,
    pub resource: String,
    pub method: String,
    pub id: Option<String>,
    pub body: Value,
    pub query: Value,
    pub retry: RetryPolicy,
    /// When the whole operation must have ended (driver clock, ms). No retry or
    /// wait that would end later is started; the failure is returned instead.
    pub deadline_ms: Option<u64>,
    /// The driver's secret for signing list cursors (see `cursor::seal`); without
    /// it cursors are not authenticated.
    pub cursor_key: Option<String>,
    /// The driver keeps each response body it hands over until the page it produced
    /// is done, and attaches `remote_data` from it: a page then carries, instead of
    /// every raw record, `remote_data_ref` (see [`Operation`]'s page shape).
    pub remote_data_by_reference: bool,
}

impl StartInput {
    /// Reads `{ account, model, resource, method, id?, body?, query?, retry? }`.
    pub fn from_json(v: &Value) -> Result<StartInput> {
        use crate::codec::input::*;
        let m = object(v, "input")?;
        Ok(StartInput {
            account: Account::from_json(field(m, "account")?)?,
            model: string(m, "model")?,
            resource: string(m, "resource")?,
            method: string(m, "method")?,
            id: opt_string(m, "id")?,
            body: m.get("body").cloned().unwrap_or(Value::Null),
            query: m.get("query").cloned().unwrap_or(Value::Null),
            retry: RetryPolicy::from_json(m.get("retry"))?,
            deadline_ms: opt_u64(m, "deadline_ms")?,
            cursor_key: opt_string(m, "cursor_key")?.filter(|k| !k.is_empty()),
            remote_data_by_reference: opt_bool(m, "remote_data_by_reference")?.unwrap_or(false),
        })
    }
}

/// Validated, resolved request: everything needed to build a provider exchange.
pub(crate) struct Prepared {
    pub provider: &'static ProviderDef,
    pub op: &'static OpDef,
    pub fields: Map<String, Value>,
    pub remote_data: Option<Value>,
    pub query: UnifiedQuery,
    pub warnings: Vec<Warning>,
}

/// Validation shared by `start`, `plan` and `validate`: all problems at once.
pub(crate) fn prepare(provider: &str, model: &str, resource: &str, method: &str, id: Option<&str>, body: &Value, query: &Value) -> Result<Prepared> {
    crate::codec::input::check_value(body, "body")?;
    crate::codec::input::check_value(query, "query")?;
    let p = providers::find(provider).ok_or_else(|| Error::UnknownProvider { provider: provider.to_string() })?;
    let unsupported = || Error::UnsupportedOperation {
        provider: provider.to_string(),
        model: model.to_string(),
        resource: resource.to_string(),
        method: method.to_string(),
    };
    let m = UnifiedMethod::parse(method).ok_or_else(unsupported)?;
    let res = models::resource(model, resource).ok_or_else(unsupported)?;
    let op = p.op(model, resource, m).ok_or_else(unsupported)?;
    let mut issues = Vec::new();
    let mut warnings = Vec::new();
    let query = match UnifiedQuery::from_json(query) {
        Ok(q) => q,
        Err(Error::Validation { issues: qi, .. }) => {
            issues.extend(qi);
            UnifiedQuery { strict: true, ..Default::default() }
        }
        Err(e) => return Err(e),
    };
    if matches!(m, UnifiedMethod::Get | UnifiedMethod::Update | UnifiedMethod::Delete) && id.map_or(true, str::is_empty) {
        issues.push(Issue::new("id", IssueCode::Required, format!("{method} needs the record id")));
    }
    if matches!(id, Some(".") | Some("..")) {
        issues.push(Issue::new("id", IssueCode::InvalidFormat, "cannot be \".\" or \"..\": it would change the request path"));
    }
    let (fields, remote_data) = if m.has_body() {
        let obj = match body {
            Value::Object(o) => o.clone(),
            Value::Null => Map::new(),
            _ => {
                issues.push(Issue::new("body", IssueCode::InvalidType, "must be an object"));
                Map::new()
            }
        };
        let checked = check(p.name, res.body, op.fields, &obj, Side::Body, query.strict);
        issues.extend(checked.issues);
        warnings.extend(checked.warnings);
        let remote = obj.get("remote_data").filter(|v| v.is_object()).cloned();
        // Unknown query keys on a write are mistakes, not filters.
        for key in query.filters.keys() {
            issues.push(Issue::new(format!("query.{key}"), IssueCode::UnknownField, "is not a query parameter of this operation"));
        }
        (checked.fields, remote)
    } else {
        if !body.is_null() && body.as_object().map_or(true, |o| !o.is_empty()) {
            issues.push(Issue::new("body", IssueCode::InvalidType, format!("{method} takes no body")));
        }
        let checked = check(p.name, res.filters, op.fields, &query.filters, Side::Query, query.strict);
        issues.extend(checked.issues);
        warnings.extend(checked.warnings);
        (checked.fields, None)
    };
    if let Some(extra) = op.check {
        // Cross-field rules run even when other fields failed, so one request
        // reports every problem. They see the accepted fields plus `remote_data`
        // (providers validate their own fields passed through it); a field that
        // already failed its own rules is not reported a second time.
        let mut seen = fields.clone();
        if let Some(r) = &remote_data {
            seen.insert("remote_data".into(), r.clone());
        }
        for issue in extra(&seen) {
            if !issues.iter().any(|i| i.field == issue.field) {
                issues.push(issue);
            }
        }
    }
    if !issues.is_empty() {
        return Err(Error::Validation { provider: Some(p.name.to_string()), issues });
    }
    Ok(Prepared { provider: p, op, fields, remote_data, query, warnings })
}

/// What the operation is waiting for.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Pending {
    Nothing,
    Response,
    RetryWait,
    NextPage,
    /// A token request (in [`Operation::token`]) is in flight or waiting to retry.
    Token,
    /// New credentials were handed to the driver; `resume` goes on.
    CredentialsSaved,
    Finished,
}

/// A token request the operation runs before it can go on, and what comes after.
struct TokenRun {
    machine: TokenOperation,
    after: AfterToken,
}

enum AfterToken {
    /// Build the exchange (it was deferred: the old token could not build it) and
    /// send its first request (or the page at this state).
    Begin { state: Option<Value>, build: bool },
    /// Send the request that got a 401 again, with the new token.
    Resend,
}

/// The exchange of an operation whose first request needs a token it does not have yet.
struct Deferred;

impl Exchange for Deferred {
    fn start(&mut self, _ctx: &Ctx) -> Result<Next> {
        Err(Error::Misuse { reason: "the exchange is built after the token request".into() })
    }
    fn on_success(&mut self, _ctx: &Ctx, _resp: &HttpResponse) -> Result<Next> {
        Err(Error::Misuse { reason: "the exchange is built after the token request".into() })
    }
}

/// One unified operation in flight. See the module docs for the call order.
pub struct Operation {
    provider: &'static ProviderDef,
    op: &'static OpDef,
    account: Account,
    origin: Origin,
    fields: Map<String, Value>,
    remote_data: Option<Value>,
    query: UnifiedQuery,
    id: Option<String>,
    exchange: Box<dyn Exchange>,
    redactor: Redactor,
    retry: RetryPolicy,
    in_flight: Option<HttpRequest>,
    attempts: u32,
    pending: Pending,
    warnings: Vec<Warning>,
    paging: Paging,
    skip_mapping: bool,
    /// Writes sent so far (numbers the idempotency keys of multi-step writes).
    writes_sent: u32,
    deadline_ms: Option<u64>,
    cursor_key: Option<String>,
    token: Option<TokenRun>,
    /// The account's token was renewed during this operation: a 401 now means the
    /// provider refuses even a fresh token.
    renewed: bool,
    /// See [`StartInput::remote_data_by_reference`].
    by_reference: bool,
    /// Responses handed over so far (`handle_response` calls), and the index of the
    /// one being handled: the driver numbers them the same way.
    responses: u32,
    response_index: u32,
    /// A response read since the last page was done echoed a credential: that page's
    /// raw records are redacted, so they are never attached by reference.
    page_echo: bool,
}

/// Paging memory: the provider state of the current and next page, hashes of every
/// state seen (to stop cycles), and pages collected for `truto_ignore_limit`.
#[derive(Default)]
struct Paging {
    next: Option<Value>,
    seen: Vec<u64>,
    pages: u32,
    empty_run: u32,
    collected: Vec<Item>,
    collected_warnings: Vec<Warning>,
    /// The state that fetched the page being read (`None`: the first page).
    current: Option<Value>,
    /// Provider items to drop from the next page read (a split page resumed).
    skip: usize,
    /// The rest of a provider page larger than `limit`, served before the next page.
    split: Option<Split>,
}

/// A provider page split across crosswalk pages so `limit` holds and nothing is
/// lost: the items not yet returned, and how to fetch the page again statelessly.
struct Split {
    leftover: Vec<(Record, RawRecord)>,
    /// Warnings about the leftover items, indexed from the first of them.
    warnings: Vec<Warning>,
    page_state: Option<Value>,
    /// Items of the provider page already returned (the resume offset).
    consumed: usize,
    provider_next: Option<Value>,
    /// History without `provider_next`: a resumed cursor reads this page again.
    seen_before: Vec<u64>,
}

const EMPTY_PAGES_LIMIT: u32 = 10;
const IGNORE_LIMIT_MAX_PAGES: u32 = 10_000;

macro_rules! ctx {
    ($s:expr) => {
        Ctx {
            provider: $s.provider,
            op: $s.op,
            account: &$s.account,
            origin: &$s.origin,
            fields: &$s.fields,
            remote_data: $s.remote_data.as_ref(),
            query: &$s.query,
            id: $s.id.as_deref(),
            skip_mapping: $s.skip_mapping,
            now_ms: 0,
            response_index: $s.response_index,
            inline_raw_from: inline_raw_from($s.by_reference, $s.page_echo, &$s.query, $s.paging.skip),
            raw_as_text: raw_as_text(&$s.query),
        }
    };
    ($s:expr, $now:expr) => {
        Ctx { now_ms: $now, ..ctx!($s) }
    };
}

/// Whether a page's records may leave `remote_data` to the driver: it asked for
/// that, the records are unified ones whose `remote_data` is the raw item
/// unchanged (not redacted after an echoed credential, not trimmed by
/// `truto_exclude_fields`), in a list (not keyed) of this one page.
fn attaches_by_reference(by_reference: bool, page_echo: bool, q: &UnifiedQuery) -> bool {
    by_reference
        && !page_echo
        && q.format != ResponseFormat::Raw
        && !q.ignore_remote_data
        && !q.ignore_limit
        && q.key_by.is_none()
        && !q.exclude_fields.iter().any(|p| p.split('.').next() == Some("remote_data"))
}

/// [`Ctx::raw_as_text`]: the raw record goes out as it came (no raw format, whose
/// results are the raw records themselves; nothing removed inside `remote_data`).
fn raw_as_text(q: &UnifiedQuery) -> bool {
    q.format != ResponseFormat::Raw && !q.exclude_fields.iter().any(|p| p.starts_with("remote_data."))
}

/// [`Ctx::inline_raw_from`]: every item when records carry `remote_data` inline;
/// otherwise the items past this crosswalk page (after the `skip` already
/// returned and `limit` more), which a split keeps for later pages, inline.
fn inline_raw_from(by_reference: bool, page_echo: bool, q: &UnifiedQuery, skip: usize) -> usize {
    if !attaches_by_reference(by_reference, page_echo, q) {
        return 0;
    }
    match q.limit.filter(|&l| l > 0) {
        Some(limit) => skip.saturating_add(usize::try_from(limit).unwrap_or(usize::MAX)),
        None => usize::MAX,
    }
}

impl Operation {
    /// Validates the request and returns the operation with its first step.
    pub fn start(input: StartInput, now_ms: u64) -> Result<(Operation, Step)> {
        let redactor = input.account.redactor();
        Self::start_inner(input, redactor.clone(), now_ms).map_err(|e| redact_error(e, &redactor))
    }

    fn start_inner(input: StartInput, redactor: Redactor, now_ms: u64) -> Result<(Operation, Step)> {
        input.account.check()?;
        let prepared = prepare(&input.account.provider, &input.model, &input.resource, &input.method, input.id.as_deref(), &input.body, &input.query)?;
        let Prepared { provider, op, fields, remote_data, query, warnings } = prepared;
        let origin = input.account.origin(&(provider.origin)(&input.account)?)?;
        let mut paging = Paging::default();
        let start_state = match (&query.next_cursor, op.method) {
            (Some(c), UnifiedMethod::List) => {
                let opened = crate::engine::cursor::open(c, input.cursor_key.as_deref(), &input.account.id)?;
                let cursor = crate::engine::cursor::decode(opened, provider.name, op.model, op.resource)?;
                paging.seen = cursor.history;
                // A split page's cursor reads the same page again (its state was
                // seen already) and skips what was returned.
                if cursor.skip == 0 {
                    if let Some(state) = &cursor.state {
                        paging.seen.push(crate::engine::cursor::state_hash(state));
                    }
                }
                paging.skip = cursor.skip;
                cursor.state
            }
            _ => None,
        };
        paging.current = start_state.clone();
        let skip_mapping = query.format == ResponseFormat::Raw && crate::unified::filters::local_filters(op.fields, &fields).is_empty();
        let need = token::need(provider, &input.account, now_ms)?;
        let mut operation = {
            let ctx = Ctx { provider, op, account: &input.account, origin: &origin, fields: &fields, remote_data: remote_data.as_ref(), query: &query, id: input.id.as_deref(), skip_mapping, now_ms, response_index: 0, inline_raw_from: 0, raw_as_text: false };
            let exchange: Box<dyn Exchange> = match need {
                Need::Nothing => (op.start)(&ctx)?,
                Need::Token(_) => Box::new(Deferred),
            };
            // A filter this request could not send must be read from mapped records.
            let skip_mapping = skip_mapping && exchange.locally_applied().is_empty();
            Operation {
                fields,
                remote_data,
                id: input.id,
                warnings,
                paging,
                skip_mapping,
                cursor_key: input.cursor_key,
                by_reference: input.remote_data_by_reference,
                ..Operation::fresh(provider, op, input.account, origin, query, exchange, redactor, input.retry, input.deadline_ms)
            }
        };
        let step = match need {
            Need::Nothing => operation.first_step(start_state.as_ref(), now_ms)?,
            Need::Token(req) => operation.run_token(req, AfterToken::Begin { state: start_state, build: true })?,
        };
        Ok((operation, step))
    }

    /// An operation that has sent nothing yet, with no fields, paging or warnings;
    /// [`Operation::start`] fills in what its request has.
    #[allow(clippy::too_many_arguments)]
    fn fresh(provider: &'static ProviderDef, op: &'static OpDef, account: Account, origin: Origin, query: UnifiedQuery, exchange: Box<dyn Exchange>, redactor: Redactor, retry: RetryPolicy, deadline_ms: Option<u64>) -> Operation {
        Operation {
            provider,
            op,
            account,
            origin,
            fields: Map::new(),
            remote_data: None,
            query,
            id: None,
            exchange,
            redactor,
            retry,
            in_flight: None,
            attempts: 0,
            pending: Pending::Nothing,
            warnings: Vec::new(),
            paging: Paging::default(),
            skip_mapping: true,
            writes_sent: 0,
            deadline_ms,
            cursor_key: None,
            token: None,
            renewed: false,
            by_reference: false,
            responses: 0,
            response_index: 0,
            page_echo: false,
        }
    }

    /// Asks the exchange for its first request (or the page at `state`, resuming a
    /// cursor).
    fn first_step(&mut self, state: Option<&Value>, now_ms: u64) -> Result<Step> {
        let first = {
            let ctx = ctx!(self, now_ms);
            match state {
                Some(state) => self.exchange.page(&ctx, state),
                None => self.exchange.start(&ctx),
            }
        };
        self.process(first, now_ms)
    }

    /// Sends a token request first; [`Operation::after_token`] goes on.
    fn run_token(&mut self, req: HttpRequest, after: AfterToken) -> Result<Step> {
        let (machine, step) = TokenOperation::for_request(self.provider, self.account.clone(), self.redactor.clone(), self.retry, req);
        self.token = Some(TokenRun { machine, after });
        self.pending = Pending::Token;
        Ok(step)
    }

    /// A step of the token request: its retries pass through; its result updates
    /// the account and is handed to the driver to persist.
    fn token_step(&mut self, step: Result<Step>) -> Result<Step> {
        match step? {
            Step::Done(credentials) => {
                if let Some(run) = &self.token {
                    self.account = run.machine.account().clone();
                    self.redactor = run.machine.redactor().clone();
                }
                self.renewed = true;
                self.pending = Pending::CredentialsSaved;
                Ok(Step::Credentials(credentials))
            }
            other => Ok(other),
        }
    }

    /// Goes on after the account got new credentials.
    fn after_token(&mut self, now_ms: u64) -> Result<Step> {
        let run = self.token.take().ok_or_else(|| Error::Misuse { reason: "no token request to go on from".into() })?;
        match run.after {
            AfterToken::Begin { state, build } => {
                if build {
                    // Where the account lives may come with the token (instance_url).
                    self.origin = self.account.origin(&(self.provider.origin)(&self.account)?)?;
                    let ctx = ctx!(self, now_ms);
                    self.exchange = (self.op.start)(&ctx)?;
                    self.skip_mapping = self.skip_mapping && self.exchange.locally_applied().is_empty();
                }
                self.first_step(state.as_ref(), now_ms)
            }
            AfterToken::Resend => {
                let req = self.in_flight.take().ok_or_else(|| Error::Misuse { reason: "nothing to send again".into() })?;
                let req = (self.provider.auth)(&self.account, req)?;
                self.redactor.learn(&req);
                self.in_flight = Some(req.clone());
                self.pending = Pending::Response;
                Ok(Step::Send(req))
            }
        }
    }

    /// A 401 on an account with OAuth tokens: one renewal and one resend (`None`:
    /// no renewal — after one already, or with no way to renew; the failure is then
    /// reported through [`Operation::reauth_cause`]).
    fn on_unauthorized(&mut self) -> Result<Option<Step>> {
        let Some(oauth) = self.provider.oauth.filter(|o| token::uses_tokens(o, &self.account)) else { return Ok(None) };
        if self.renewed {
            return Ok(None);
        }
        match token::refresh_request(self.provider, oauth, &self.account)? {
            Some(req) => self.run_token(req, AfterToken::Resend).map(Some),
            None => Ok(None),
        }
    }

    /// The provider's 401 on a token account that could not be renewed becomes
    /// [`Error::ReauthRequired`] (inside a partial failure, its cause), with the
    /// provider's message.
    fn reauth_cause(&self, err: Error) -> Error {
        if !self.provider.oauth.is_some_and(|o| token::uses_tokens(o, &self.account)) {
            return err;
        }
        let provider = self.provider.name;
        let why = if self.renewed { "to a token it had just issued" } else { "and the account has no refresh token" };
        match err {
            Error::Remote { status: 401, message, .. } => {
                let said = message.map(|m| format!(" ({m})")).unwrap_or_default();
                Error::ReauthRequired { provider: provider.into(), reason: format!("{provider} answered 401 {why}{said}") }
            }
            Error::PartialFailure { provider: p, failed_step, completed, cause } => Error::PartialFailure { provider: p, failed_step, completed, cause: Box::new(self.reauth_cause(*cause)) },
            other => other,
        }
    }

    /// A passthrough request (see [`crate::engine::passthrough`]) as an operation:
    /// the same sending, retries, deadline and redaction, answered as
    /// `{ status, headers, body }`.
    pub fn passthrough(input: PassthroughInput, now_ms: u64) -> Result<(Operation, Step)> {
        let redactor = input.account.redactor();
        Self::passthrough_inner(input, redactor.clone(), now_ms).map_err(|e| redact_error(e, &redactor))
    }

    fn passthrough_inner(input: PassthroughInput, redactor: Redactor, now_ms: u64) -> Result<(Operation, Step)> {
        input.account.check()?;
        let provider = providers::find(&input.account.provider).ok_or_else(|| Error::UnknownProvider { provider: input.account.provider.clone() })?;
        let origin = input.account.origin(&(provider.origin)(&input.account)?)?;
        let need = token::need(provider, &input.account, now_ms)?;
        if let Need::Nothing = need {
            // Refusals (a caller header the auth sets) before anything is sent.
            input.request(origin.as_str(), |req| (provider.auth)(&input.account, req))?;
        }
        // Raw: the answer is returned as the provider sent it, nothing mapped.
        let query = UnifiedQuery { format: ResponseFormat::Raw, ..UnifiedQuery::default() };
        let (account, retry, deadline_ms) = (input.account.clone(), input.retry, input.deadline_ms);
        let exchange = Box::new(Passthrough { input: Some(input) });
        let mut op = Operation::fresh(provider, &PASSTHROUGH_OP, account, origin, query, exchange, redactor, retry, deadline_ms);
        let step = match need {
            Need::Nothing => op.first_step(None, now_ms)?,
            // The passthrough builds its request when it starts: nothing to rebuild.
            Need::Token(req) => op.run_token(req, AfterToken::Begin { state: None, build: false })?,
        };
        Ok((op, step))
    }

    /// The provider this operation talks to.
    pub fn provider(&self) -> &'static str {
        self.provider.name
    }

    /// A copy of a request that is safe to show (credentials replaced).
    pub fn redact(&self, req: &HttpRequest) -> HttpRequest {
        req.redacted(&self.redactor)
    }

    fn handle_response_inner(&mut self, resp: HttpResponse, now_ms: u64) -> Result<Step> {
        if self.pending == Pending::Token {
            let step = token::pending_step(self.token.as_mut().map(|t| &mut t.machine), |m| m.handle_response(resp, now_ms));
            return self.token_step(step);
        }
        if self.pending != Pending::Response {
            return Err(Error::Misuse { reason: "handle_response called with no request in flight".into() });
        }
        if resp.status == 401 {
            if let Some(step) = self.on_unauthorized()? {
                return Ok(step);
            }
        }
        if !resp.is_success() {
            if self.in_flight.is_some() {
                let safe = self.resend_is_safe();
                if let Some(until_ms) = self.retry.retry_at(resp.status, safe, self.attempts, resp.header("retry-after"), now_ms).filter(|&t| self.before_deadline(t)) {
                    self.pending = Pending::RetryWait;
                    return Ok(Step::Wait { until_ms, reason: format!("{} answered HTTP {}; retrying", self.provider.name, resp.status) });
                }
            }
            let unknown = self.write_may_have_applied(resp.status);
            let next = {
                let ctx = ctx!(self, now_ms);
                self.exchange.on_failure(&ctx, &resp)
            };
            return match self.process(next, now_ms) {
                Err(cause) if unknown => Err(self.outcome_unknown(cause, format!("HTTP {}", resp.status))),
                Err(err) if resp.status == 401 => Err(self.reauth_cause(err)),
                other => other,
            };
        }
        // The token works: a later 401 (a long stream outliving it) may renew again.
        self.renewed = false;
        // Checked first: the exchange copies raw records out of a page that echoed one.
        self.page_echo |= !self.redactor.is_empty() && self.redactor.contains_secret(&resp.body);
        let next = {
            let ctx = ctx!(self, now_ms);
            self.exchange.on_success(&ctx, &resp)
        };
        let step = self.process(next, now_ms)?;
        // A provider that echoes a credential must not leak it through remote_data
        // (an echo in any response the result was built from: a page and its lookups).
        let result = matches!(step, Step::Done(_) | Step::Page(_) | Step::Record(_));
        if !result || !std::mem::take(&mut self.page_echo) {
            return Ok(step);
        }
        Ok(match step.into_done() {
            Step::Done(v) => Step::Done(self.redactor.value(v)),
            other => other,
        })
    }

    /// Fetches the page after the last one returned.
    pub fn next_page(&mut self, now_ms: u64) -> Result<Step> {
        if self.pending == Pending::NextPage {
            if let Some(split) = self.paging.split.take() {
                let out = self.next_chunk(split, now_ms);
                return self.finish(out);
            }
        }
        let out = match (self.pending, self.paging.next.take()) {
            (Pending::NextPage, Some(state)) => {
                self.paging.current = Some(state.clone());
                // A stream can outlive its token: renew before the page, not on its 401.
                match token::need(self.provider, &self.account, now_ms) {
                    Ok(Need::Token(req)) => return self.run_token(req, AfterToken::Begin { state: Some(state), build: false }).map_err(|e| redact_error(e, &self.redactor)),
                    Err(e) => return self.finish(Err(e)),
                    Ok(Need::Nothing) => {}
                }
                let next = {
                    let ctx = ctx!(self, now_ms);
                    self.exchange.page(&ctx, &state)
                };
                self.process(next, now_ms)
            }
            _ => Err(Error::Misuse { reason: "there is no next page".into() }),
        };
        self.finish(out)
    }

    /// The next `limit` items of a split provider page (no request), then the
    /// provider's own next page as usual.
    fn next_chunk(&mut self, mut split: Split, now_ms: u64) -> Result<Step> {
        let mut chunk = std::mem::take(&mut split.leftover);
        let warnings = std::mem::take(&mut split.warnings);
        let limit = self.page_limit().unwrap_or(usize::MAX);
        if chunk.len() > limit {
            split.leftover = chunk.split_off(limit);
            let (now, later) = split_warnings(warnings, limit);
            split.warnings = later;
            split.consumed = split.consumed.saturating_add(limit);
            return self.emit_chunk(chunk, split, now, None);
        }
        // The rest of a page read earlier: the driver no longer holds its body.
        self.provider_page_done(chunk, split.provider_next, warnings, None, now_ms)
    }

    /// Replaces the deadline (the driver gives each page of a stream its own).
    pub fn set_deadline(&mut self, deadline_ms: Option<u64>) {
        self.deadline_ms = deadline_ms;
    }

    /// Whether `at_ms` is still inside the operation's deadline (if it has one).
    fn before_deadline(&self, at_ms: u64) -> bool {
        self.deadline_ms.map_or(true, |d| at_ms < d)
    }

    /// Whether sending the in-flight request again cannot apply a write twice: an
    /// idempotent method, or a write carrying a key in the header the provider
    /// de-duplicates by. A key alone proves nothing: most providers ignore it.
    fn resend_is_safe(&self) -> bool {
        self.in_flight.as_ref().is_some_and(|r| r.method.is_idempotent() || self.provider.idempotency_header.is_some_and(|h| r.headers.contains_key(h)))
    }

    /// A failed write the provider may have applied all the same (a 5xx or a
    /// timeout can come after the work; a 4xx or 429 comes before it), and that
    /// crosswalk will not send again.
    fn write_may_have_applied(&self, status: u16) -> bool {
        matches!(status, 0 | 408 | 500 | 502 | 503 | 504) && !self.resend_is_safe()
    }

    fn outcome_unknown(&self, cause: Error, what: String) -> Error {
        Error::OutcomeUnknown { provider: self.provider.name.to_string(), what, cause: Box::new(cause) }
    }

    /// A write's copy of the caller's key, in the provider's header when it has one.
    /// The n-th write of a multi-step operation gets `key:n`, so two different
    /// writes are never de-duplicated as one (and a repeat of the whole operation
    /// reuses the same keys).
    fn add_idempotency_key(&mut self, req: &mut HttpRequest) {
        let (Some(header), Some(key)) = (self.provider.idempotency_header, self.query.idempotency_key.as_deref()) else { return };
        if req.method.is_idempotent() {
            return;
        }
        self.writes_sent = self.writes_sent.saturating_add(1);
        let value = if self.writes_sent == 1 { key.to_string() } else { format!("{key}:{}", self.writes_sent) };
        req.headers.insert(header.to_string(), value);
    }

    /// Whether [`Operation::next_page`] can be called.
    pub fn has_next_page(&self) -> bool {
        self.pending == Pending::NextPage && (self.paging.next.is_some() || self.paging.split.is_some())
    }

    /// The most records one crosswalk page returns (`limit`; none when every page
    /// is collected).
    fn page_limit(&self) -> Option<usize> {
        self.query.limit.filter(|_| !self.query.ignore_limit).map(|l| l as usize).filter(|&l| l > 0)
    }

    fn finish(&mut self, out: Result<Step>) -> Result<Step> {
        match out {
            Ok(step) => Ok(step),
            Err(e) => {
                self.pending = Pending::Finished;
                Err(redact_error(e, &self.redactor))
            }
        }
    }

    fn process(&mut self, next: Result<Next>, now_ms: u64) -> Result<Step> {
        match next? {
            Next::Send(mut req) => {
                self.add_idempotency_key(&mut req);
                check_request(&req)?;
                self.redactor.learn(&req);
                self.in_flight = Some(req.clone());
                self.attempts = 1;
                self.pending = Pending::Response;
                Ok(Step::Send(req))
            }
            Next::Record { record, raw, warnings } => {
                self.pending = Pending::Finished;
                self.warnings.extend(warnings);
                Ok(self.shape_record(record, raw))
            }
            Next::Page { items, next, warnings, source } => self.on_page(items, next, warnings, source, now_ms),
        }
    }

    fn on_page(&mut self, mut items: Vec<(Record, RawRecord)>, next: Option<Value>, warnings: Vec<Warning>, source: Option<ItemsSource>, now_ms: u64) -> Result<Step> {
        self.paging.pages = self.paging.pages.saturating_add(1);
        self.paging.empty_run = if items.is_empty() { self.paging.empty_run.saturating_add(1) } else { 0 };
        let seen_before = self.paging.seen.clone();
        if let Some(state) = &next {
            let h = crate::engine::cursor::state_hash(state);
            if self.paging.seen.contains(&h) {
                return Err(Error::PaginationLoop { provider: self.provider.name.to_string(), pages: self.paging.pages });
            }
            if self.paging.empty_run >= EMPTY_PAGES_LIMIT {
                return Err(Error::PaginationLoop { provider: self.provider.name.to_string(), pages: self.paging.pages });
            }
            self.paging.seen.push(h);
        }
        let skip = std::mem::take(&mut self.paging.skip);
        items.drain(..skip.min(items.len()));
        let warnings = if skip > 0 { split_warnings(warnings, skip).1 } else { warnings };
        let by_ref = source.filter(|_| self.attaches_by_reference()).map(|source| ByReference { source, first: skip });
        // A provider that returns more than `limit` (ignoring the page size we
        // asked for) is split across crosswalk pages, so the caller's `limit`
        // holds and no record is dropped.
        if let Some(limit) = self.page_limit().filter(|&l| items.len() > l) {
            let leftover = items.split_off(limit);
            let (warnings, later) = split_warnings(warnings, limit);
            let split = Split { leftover, warnings: later, page_state: self.paging.current.clone(), consumed: skip.saturating_add(limit), provider_next: next, seen_before };
            return self.emit_chunk(items, split, warnings, by_ref);
        }
        self.provider_page_done(items, next, warnings, by_ref, now_ms)
    }

    /// Whether this page's records may leave `remote_data` to the driver (see
    /// [`attaches_by_reference`]).
    fn attaches_by_reference(&self) -> bool {
        attaches_by_reference(self.by_reference, self.page_echo, &self.query)
    }

    /// Returns one chunk of a split page; the cursor reads the page again and skips
    /// what has been returned.
    fn emit_chunk(&mut self, items: Vec<(Record, RawRecord)>, split: Split, warnings: Vec<Warning>, by_ref: Option<ByReference>) -> Result<Step> {
        let cursor = crate::engine::cursor::encode_split(self.provider.name, self.op.model, self.op.resource, split.page_state.as_ref(), split.consumed, &split.seen_before);
        let cursor = crate::engine::cursor::seal(cursor, self.cursor_key.as_deref(), &self.account.id);
        let (records, page_warnings, remote_ref) = self.shape_items(items, warnings, by_ref);
        self.paging.next = None;
        self.paging.split = Some(split);
        self.pending = Pending::NextPage;
        Ok(Step::Page(self.page_out(records, page_warnings, Value::String(cursor), remote_ref)))
    }

    /// The end of a provider page: its records, then its `next` (or everything,
    /// with `truto_ignore_limit`).
    fn provider_page_done(&mut self, items: Vec<(Record, RawRecord)>, next: Option<Value>, warnings: Vec<Warning>, by_ref: Option<ByReference>, now_ms: u64) -> Result<Step> {
        let (mut records, mut page_warnings, remote_ref) = self.shape_items(items, warnings, by_ref);
        let limit_pages = self.query.max_pages.unwrap_or(if self.query.ignore_limit { IGNORE_LIMIT_MAX_PAGES } else { u32::MAX });
        let more = next.is_some() && self.paging.pages < limit_pages;
        if self.query.ignore_limit && more {
            // Keep going inside this operation: the caller asked for everything.
            self.paging.collected.append(&mut records);
            self.paging.collected_warnings.append(&mut page_warnings);
            let state = next.unwrap_or(Value::Null);
            self.paging.current = Some(state.clone());
            let req = {
                let ctx = ctx!(self, now_ms);
                self.exchange.page(&ctx, &state)
            };
            return self.process(req, now_ms);
        }
        if self.query.ignore_limit {
            let mut all = std::mem::take(&mut self.paging.collected);
            all.append(&mut records);
            records = all;
            let mut w = std::mem::take(&mut self.paging.collected_warnings);
            w.append(&mut page_warnings);
            page_warnings = w;
        }
        if next.is_some() && !more {
            page_warnings.push(Warning {
                field: "query.max_pages".into(),
                code: crate::error::WarningCode::MaxPagesReached,
                message: format!("stopped after {} page(s); next_cursor continues", self.paging.pages),
            });
        }
        let next_cursor = match &next {
            Some(state) => Value::String(crate::engine::cursor::seal(
                crate::engine::cursor::encode(self.provider.name, self.op.model, self.op.resource, state, &self.paging.seen),
                self.cursor_key.as_deref(),
                &self.account.id,
            )),
            None => Value::Null,
        };
        // At max_pages the cursor is still returned (a later call may resume), but this
        // operation ends: next_page() is refused and has_next_page() is false.
        self.paging.next = if more { next } else { None };
        self.pending = if self.paging.next.is_some() { Pending::NextPage } else { Pending::Finished };
        Ok(Step::Page(self.page_out(records, page_warnings, next_cursor, remote_ref)))
    }

    /// `{ result, next_cursor, result_count, warnings?, remote_data_ref? }`.
    fn page_out(&mut self, records: Vec<Item>, mut page_warnings: Vec<Warning>, next_cursor: Value, remote_data_ref: Option<Value>) -> Page {
        let result_count = records.len();
        let result = self.key_by(records, &mut page_warnings);
        let mut all_warnings = std::mem::take(&mut self.warnings);
        all_warnings.extend(page_warnings);
        let warnings = (!all_warnings.is_empty()).then(|| crate::error::warnings_json(&all_warnings));
        Page { result, next_cursor, result_count, warnings, remote_data_ref }
    }

    /// The page's records: filtered, shaped, with `remote_data` attached — or, by
    /// reference, left to the driver with `remote_data_ref` saying where each
    /// record's raw item is: `{ response, path, start }` (records are items
    /// `start…` in order) or `{ response, path, index: [...] }` (after a filter).
    fn shape_items(&self, items: Vec<(Record, RawRecord)>, mut warnings: Vec<Warning>, by_ref: Option<ByReference>) -> (Vec<Item>, Vec<Warning>, Option<Value>) {
        let mut active = crate::unified::filters::active(self.op.fields, &self.fields);
        let unsent = self.exchange.locally_applied();
        for a in active.iter_mut() {
            a.local_only |= unsent.contains(&a.name.as_str());
        }
        let local: Vec<&str> = active.iter().filter(|a| a.local_only).map(|a| a.name.as_str()).collect();
        if !local.is_empty() && self.paging.pages == 1 {
            warnings.push(Warning {
                field: format!("query.{}", local.join(",")),
                code: crate::error::WarningCode::FilterAppliedLocally,
                message: format!("{} cannot filter on {}; crosswalk filtered the mapped records", self.provider.name, local.join(", ")),
            });
        }
        let raw_format = self.query.format == ResponseFormat::Raw;
        let mut out = Vec::with_capacity(items.len());
        let mut index: Vec<Value> = Vec::new();
        let mut filtered = false;
        for (i, (record, raw)) in items.into_iter().enumerate() {
            // Raw lists skip mapping unless a filter must read unified fields.
            if !active.is_empty() && !(raw_format && local.is_empty()) && !crate::unified::filters::matches_all(&active, &record) {
                filtered = true;
                continue;
            }
            match &by_ref {
                Some(b) => {
                    index.push(b.first.saturating_add(i).into());
                    out.push(Item::Record(self.attach_without_raw(record)));
                }
                None => out.push(if raw_format { Item::Raw(raw.into_value()) } else { Item::Record(self.attach(record, raw)) }),
            }
        }
        let remote_ref = by_ref.map(|b| {
            let path = Value::Array(b.source.path.iter().map(|k| Value::String((*k).to_string())).collect());
            let at = if filtered { ("index", Value::Array(index)) } else { ("start", b.first.into()) };
            crate::codec::json::obj(vec![("response", b.source.response.into()), ("path", path), at])
        });
        (out, warnings, remote_ref)
    }

    /// One record's step: the unified record (`Step::Record`, written straight to
    /// JSON), or with `format=raw` the provider's own (`Step::Done`).
    fn shape_record(&mut self, record: Record, raw: RawRecord) -> Step {
        let warnings = (!self.warnings.is_empty()).then(|| crate::error::warnings_json(&self.warnings));
        if self.query.format == ResponseFormat::Raw {
            let mut v = raw.into_value();
            if let (Value::Object(m), Some(w)) = (&mut v, warnings) {
                m.insert("warnings".into(), w);
            }
            return Step::Done(v);
        }
        let mut r = self.attach(record, raw);
        if let Some(w) = warnings {
            r.insert("warnings", w);
        }
        Step::Record(r)
    }

    /// Adds `remote_data` and applies `truto_exclude_fields`.
    fn attach(&self, mut record: Record, raw: RawRecord) -> Record {
        if !self.query.ignore_remote_data {
            match raw {
                RawRecord::Absent => {}
                RawRecord::Value(v) => {
                    record.insert("remote_data", v);
                }
                RawRecord::Text(t) => record.set_remote_text(t),
            }
        }
        self.attach_without_raw(record)
    }

    /// Applies `truto_exclude_fields` (the driver attaches `remote_data`).
    fn attach_without_raw(&self, mut record: Record) -> Record {
        for path in &self.query.exclude_fields {
            match path.split_once('.') {
                None => {
                    record.remove(path);
                }
                Some((head, rest)) => {
                    if let Some(child) = record.get_mut(head) {
                        remove_path(child, rest);
                    }
                }
            }
        }
        record
    }

    fn key_by(&self, records: Vec<Item>, warnings: &mut Vec<Warning>) -> PageResult {
        let Some(key) = &self.query.key_by else { return PageResult::Items(records) };
        let mut out = Map::new();
        for (i, r) in records.into_iter().map(Item::into_value).enumerate() {
            match crate::codec::json::get(&r, key).and_then(|v| crate::codec::json::id_string(Some(v))) {
                Some(k) => {
                    if out.contains_key(&k) {
                        warnings.push(Warning { field: format!("result[{i}].{key}"), code: crate::error::WarningCode::KeyByDuplicate, message: format!("two records share {key} = {k}; the later one is kept") });
                    }
                    out.insert(k, r);
                }
                None => warnings.push(Warning { field: format!("result[{i}].{key}"), code: crate::error::WarningCode::KeyByMissing, message: format!("record has no {key}; it is listed under \"\"") }),
            }
        }
        PageResult::Keyed(out)
    }
}

impl Machine for Operation {
    fn handle_response(&mut self, resp: HttpResponse, now_ms: u64) -> Result<Step> {
        self.response_index = self.responses;
        self.responses = self.responses.saturating_add(1);
        let out = self.handle_response_inner(resp, now_ms);
        self.finish(out)
    }

    /// No response arrived (DNS, connection reset, timeout). Retried only when
    /// resending cannot apply a write twice.
    fn handle_transport_error(&mut self, reason: &str, now_ms: u64) -> Result<Step> {
        let out = (|| {
            if self.pending == Pending::Token {
                let step = token::pending_step(self.token.as_mut().map(|t| &mut t.machine), |m| m.handle_transport_error(reason, now_ms));
                return self.token_step(step);
            }
            if self.pending != Pending::Response {
                return Err(Error::Misuse { reason: "handle_transport_error called with no request in flight".into() });
            }
            if self.resend_is_safe() {
                if let Some(until_ms) = self.retry.retry_at(0, true, self.attempts, None, now_ms).filter(|&t| self.before_deadline(t)) {
                    self.pending = Pending::RetryWait;
                    return Ok(Step::Wait { until_ms, reason: format!("could not reach {}; retrying", self.provider.name) });
                }
            }
            let err = if self.before_deadline(now_ms) {
                Error::Network { provider: self.provider.name.to_string(), reason: reason.chars().take(300).collect(), attempts: self.attempts }
            } else {
                Error::DeadlineExceeded { provider: self.provider.name.to_string(), attempts: self.attempts }
            };
            Err(if self.write_may_have_applied(0) { self.outcome_unknown(err, "no response".into()) } else { err })
        })();
        self.finish(out)
    }

    /// Continues after a [`Step::Wait`].
    fn resume(&mut self, now_ms: u64) -> Result<Step> {
        let out = match self.pending {
            Pending::Token => {
                let step = token::pending_step(self.token.as_mut().map(|t| &mut t.machine), |m| m.resume(now_ms));
                self.token_step(step)
            }
            Pending::CredentialsSaved => self.after_token(now_ms),
            Pending::RetryWait => match self.in_flight.clone() {
                Some(req) => {
                    self.attempts = self.attempts.saturating_add(1);
                    self.pending = Pending::Response;
                    Ok(Step::Send(req))
                }
                None => Err(Error::Misuse { reason: "nothing to retry".into() }),
            },
            _ => Err(Error::Misuse { reason: "resume called while not waiting".into() }),
        };
        self.finish(out)
    }

    /// Just the request URL, safe to show (no copy of the whole request).
    fn safe_url(&self, req: &HttpRequest) -> String {
        req.safe_url(&self.redactor)
    }

    fn sending_token_request(&self) -> bool {
        self.pending == Pending::Token
    }

    /// The driver's token authority (or another operation on the same account)
    /// renewed the token: use it instead of sending this operation's request.
    fn handle_credentials(&mut self, credentials: &Value, now_ms: u64) -> Result<Step> {
        let out = (|| {
            if self.pending != Pending::Token {
                return Err(Error::Misuse { reason: "handle_credentials called with no token request pending".into() });
            }
            token::take_supplied(&mut self.account, &mut self.redactor, credentials)?;
            self.renewed = true;
            self.after_token(now_ms)
        })();
        self.finish(out)
    }
}

/// A page whose raw items the driver attaches: where they are, and the index of
/// the page's first item in them (items a resumed split page skips come first).
struct ByReference {
    source: ItemsSource,
    first: usize,
}

/// Splits per-record warnings (`result[i]…`) at item `at`: those before it, and
/// the rest re-indexed from `at`. Page-wide warnings stay with the first part.
fn split_warnings(warnings: Vec<Warning>, at: usize) -> (Vec<Warning>, Vec<Warning>) {
    let mut before = Vec::new();
    let mut after = Vec::new();
    for w in warnings {
        let index = w.field.strip_prefix("result[").and_then(|r| r.split_once(']')).and_then(|(n, rest)| Some((n.parse::<usize>().ok()?, rest.to_string())));
        match index.and_then(|(i, rest)| Some((i.checked_sub(at)?, rest))) {
            Some((j, rest)) => after.push(Warning { field: format!("result[{j}]{rest}"), ..w }),
            None => before.push(w),
        }
    }
    (before, after)
}

/// Removes a dotted path (`actor.id`, `remote_data`) from a record.
fn remove_path(v: &mut Value, path: &str) {
    match path.split_once('.') {
        None => {
            if let Value::Object(m) = v {
                m.remove(path);
            }
        }
        Some((head, rest)) => match v {
            Value::Object(m) => {
                if let Some(child) = m.get_mut(head) {
                    remove_path(child, rest);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|x| remove_path(x, path)),
            _ => {}
        },
    }
}

/// Header values must not carry line breaks (request smuggling), and the path must
/// not hold a `.`/`..` segment (a client collapses it, so an id of `..` would reach
/// another endpoint), wherever the values came from.
pub(crate) fn check_request(req: &HttpRequest) -> Result<()> {
    let mut issues: Vec<Issue> = req
        .headers
        .iter()
        .filter(|(k, v)| k.contains(['\r', '\n', '\0', ':']) || v.contains(['\r', '\n', '\0']))
        .map(|(k, _)| Issue::new(format!("header.{}", k.escape_debug()), IssueCode::InvalidFormat, "header values cannot contain line breaks"))
        .collect();
    if crate::codec::http::has_dot_segment(&req.url) {
        issues.push(Issue::new("url", IssueCode::InvalidFormat, "an id or path value cannot be \".\" or \"..\": it would change the request path"));
    }
    if issues.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation { provider: None, issues })
    }
}

/// Scrubs credentials out of anything an error carries.
pub(crate) fn redact_error(err: Error, redactor: &Redactor) -> Error {
    if redactor.is_empty() {
        return err;
    }
    match err {
        Error::Remote { provider, status, message, body } => Error::Remote { provider, status, message: message.map(|m| redactor.text(&m)), body: redactor.value(body) },
        Error::Network { provider, reason, attempts } => Error::Network { provider, reason: redactor.text(&reason), attempts },
        Error::Protocol { provider, reason } => Error::Protocol { provider, reason: redactor.text(&reason) },
        Error::OutcomeUnknown { provider, what, cause } => Error::OutcomeUnknown { provider, what, cause: Box::new(redact_error(*cause, redactor)) },
        Error::PartialFailure { provider, failed_step, completed, cause } => Error::PartialFailure {
            provider,
            failed_step,
            completed: completed.into_iter().map(|v| redactor.value(v)).collect(),
            cause: Box::new(redact_error(*cause, redactor)),
        },
        Error::Validation { provider, issues } => Error::Validation {
            provider,
            issues: issues.into_iter().map(|i| Issue { message: redactor.text(&i.message), field: redactor.text(&i.field), ..i }).collect(),
        },
        Error::InvalidInput { reason } => Error::InvalidInput { reason: redactor.text(&reason) },
        Error::ReauthRequired { provider, reason } => Error::ReauthRequired { provider, reason: redactor.text(&reason) },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    //! Which failed writes are sent again: only those the provider can
    //! de-duplicate (issue: a key alone re-sent Lever notes four times).
    use serde_json::json;

    use super::*;
    use crate::tests::support::{fixture, input, run_create, run_sandbox, Script, MAX_STEPS, T0};

    fn lever_note() -> Value {
        fixture("lever/recorded.notes.create.response.json")
    }

    #[test]
    fn a_keyed_write_to_a_provider_without_dedup_is_not_resent_after_a_5xx() {
        for status in [500u16, 502, 503, 504, 408] {
            let script = Script::ok(status, &json!({"message": "upstream"})).then(201, &lever_note());
            let (sent, out) = run_create("lever", json!({"api_key": "k"}), json!({"candidate_id": "c1", "body": "b"}), json!({"idempotency_key": "k-1"}), script);
            assert_eq!(sent.len(), 1, "HTTP {status}: a write Lever may have applied was sent {} times", sent.len());
            assert!(!sent[0].headers.keys().any(|h| h.contains("idempotency")), "Lever has no idempotency header: {:?}", sent[0].headers);
            let j = out.expect_err("the outcome is unknown").to_json();
            assert_eq!(j["code"], "write_outcome_unknown", "{j}");
            assert_eq!(j["statusCode"], status, "{j}");
            assert_eq!(j["outcome"], "unknown");
            assert_eq!(j["truto_is_remote_error"], true);
            assert_eq!(j["remote"]["status"], status);
            assert_eq!(j["details"][0]["field"], "outcome");
            assert!(j["message"].as_str().unwrap().contains("not sent again"), "{j}");
        }
    }

    #[test]
    fn a_write_without_a_key_is_not_resent_either_and_says_the_outcome_is_unknown() {
        let script = Script::ok(503, &json!({})).then(201, &lever_note());
        let (sent, out) = run_create("lever", json!({"api_key": "k"}), json!({"candidate_id": "c1", "body": "b"}), json!({}), script);
        assert_eq!(sent.len(), 1);
        assert_eq!(out.unwrap_err().code(), "write_outcome_unknown");
    }

    #[test]
    fn a_lost_answer_to_a_write_is_not_resent_and_is_an_unknown_outcome() {
        let start = input(json!({"id": "a", "provider": "lever", "credentials": {"api_key": "k"}}), "ats", "activities", "create", None, json!({"candidate_id": "c1", "body": "b"}), json!({"idempotency_key": "k-2"}));
        let (mut op, step) = Operation::start(start, T0).unwrap();
        assert!(matches!(step, Step::Send(_)));
        let j = op.handle_transport_error("connection reset", T0 + 1).unwrap_err().to_json();
        assert_eq!(j["code"], "write_outcome_unknown", "{j}");
        assert_eq!(j["statusCode"], 502);
        assert_eq!(j["cause"]["code"], "network_error");
    }

    #[test]
    fn a_429_or_a_4xx_is_not_an_unknown_outcome() {
        // 429 comes before any work: still retried, key or not.
        let script = Script::ok(429, &json!({})).then(201, &lever_note());
        let (sent, out) = run_create("lever", json!({"api_key": "k"}), json!({"candidate_id": "c1", "body": "b"}), json!({}), script);
        assert_eq!(sent.len(), 2);
        assert!(out.is_ok());
        let (_, out) = run_create("lever", json!({"api_key": "k"}), json!({"candidate_id": "c1", "body": "b"}), json!({}), Script::ok(422, &json!({"message": "bad"})));
        assert_eq!(out.unwrap_err().code(), "remote_error");
    }

    #[test]
    fn reads_are_still_retried_after_a_5xx() {
        let page = fixture("greenhouse/doc.v3.interviews.list.response.json");
        let (sent, out) = crate::tests::support::drive(gh_input(json!({})), Script::ok(503, &json!({})).then(200, &page));
        assert_eq!(sent.len(), 2);
        assert!(out.is_ok(), "{:?}", out.err());
    }

    fn greenhouse_list(deadline_ms: u64) -> (Operation, Step) {
        let mut start = gh_input(json!({}));
        start.deadline_ms = Some(deadline_ms);
        Operation::start(start, T0).unwrap()
    }

    #[test]
    fn no_retry_is_started_that_would_end_past_the_deadline() {
        // Backoff 500 ms, then 1,000 ms: the second retry would end after the deadline.
        let (mut op, _) = greenhouse_list(T0 + 1_000);
        let Step::Wait { until_ms, .. } = op.handle_transport_error("reset", T0 + 1).unwrap() else { panic!("first retry fits") };
        assert_eq!(until_ms, T0 + 501);
        assert!(matches!(op.resume(until_ms).unwrap(), Step::Send(_)));
        let err = op.handle_transport_error("reset", T0 + 900).unwrap_err();
        assert_eq!(err.code(), "network_error", "the retry that does not fit is not started: {}", err.to_json());
        // An attempt the driver cut off at the deadline is a deadline error.
        let (mut op, _) = greenhouse_list(T0 + 1_000);
        let j = op.handle_transport_error("deadline", T0 + 1_000).unwrap_err().to_json();
        assert_eq!((j["code"].as_str(), j["statusCode"].as_u64()), (Some("deadline_exceeded"), Some(504)), "{j}");
    }

    #[test]
    fn a_retry_after_past_the_deadline_returns_the_429_at_once() {
        let (mut op, _) = greenhouse_list(T0 + 5_000);
        let resp = HttpResponse::new(429, "{}").with_header("retry-after", "10");
        let err = op.handle_response(resp, T0 + 1).unwrap_err();
        assert_eq!(err.status(), 429);
        // Without a deadline the same answer is waited for.
        let (mut op, _) = Operation::start(gh_input(json!({})), T0).unwrap();
        assert!(matches!(op.handle_response(HttpResponse::new(429, "{}").with_header("retry-after", "10"), T0 + 1).unwrap(), Step::Wait { .. }));
    }

    #[test]
    fn a_write_cut_off_by_the_deadline_is_an_unknown_outcome() {
        let mut start = input(json!({"id": "a", "provider": "lever", "credentials": {"api_key": "k"}}), "ats", "activities", "create", None, json!({"candidate_id": "c1", "body": "b"}), json!({}));
        start.deadline_ms = Some(T0 + 100);
        let (mut op, _) = Operation::start(start, T0).unwrap();
        let j = op.handle_transport_error("deadline", T0 + 100).unwrap_err().to_json();
        assert_eq!(j["code"], "write_outcome_unknown");
        assert_eq!(j["cause"]["code"], "deadline_exceeded");
        assert_eq!(j["statusCode"], 504);
    }

    /// A Greenhouse page of `ids` (the provider ignores the page size asked for),
    /// with a next link when `next` is set.
    fn greenhouse_page(ids: &[u64], next: bool) -> HttpResponse {
        let item = fixture("greenhouse/doc.v3.interviews.list.response.json")[0].clone();
        let items: Vec<Value> = ids.iter().map(|id| { let mut i = item.clone(); i["id"] = json!(id); i }).collect();
        let resp = HttpResponse::new(200, Value::Array(items).to_string());
        if next { resp.with_header("link", "<https://harvest.greenhouse.io/v3/interviews?cursor=cGFnZTI>; rel=\"next\"") } else { resp }
    }

    fn ids_of(page: &Value) -> Vec<u64> {
        page["result"].as_array().unwrap().iter().map(|r| r["id"].as_u64().or_else(|| r["id"].as_str().and_then(|s| s.parse().ok())).unwrap()).collect()
    }

    /// A Link-header paged list, raw (Greenhouse v3 without its per-page lookups),
    /// for the engine's paging rules.
    fn gh_input(mut query: Value) -> StartInput {
        query["truto_response_format"] = json!("raw");
        input(json!({"id": "a", "provider": "greenhouse", "credentials": {"access_token": "k"}}), "ats", "interviews", "list", None, Value::Null, query)
    }

    #[test]
    fn a_page_larger_than_limit_is_split_and_streamed_without_another_request() {
        let script = Script::default().then_response(greenhouse_page(&[1, 2, 3, 4, 5], true)).then_response(greenhouse_page(&[6], false));
        let (sent, pages) = crate::tests::support::drive_pages(gh_input(json!({"limit": 2})), script);
        let pages = pages.unwrap();
        assert_eq!(pages.iter().map(ids_of).collect::<Vec<_>>(), vec![vec![1, 2], vec![3, 4], vec![5], vec![6]]);
        assert_eq!(sent.len(), 2, "the split page is served from memory");
        assert!(pages.iter().all(|p| p["result_count"].as_u64().unwrap() <= 2));
    }

    #[test]
    fn a_split_page_resumes_from_its_cursor_without_losing_or_repeating_records() {
        let mut seen = Vec::new();
        let mut query = json!({"limit": 2});
        let mut requests = Vec::new();
        for _ in 0..10 {
            // Once the first provider page is used up, the cursor points at the second.
            let provider_page2 = query.get("next_cursor").is_some() && seen.len() >= 5;
            let script = Script::default().then_response(if provider_page2 { greenhouse_page(&[6], false) } else { greenhouse_page(&[1, 2, 3, 4, 5], true) });
            let (sent, out) = crate::tests::support::drive(gh_input(query.clone()), script);
            let page = out.unwrap();
            requests.extend(sent.into_iter().map(|r| r.url));
            seen.extend(ids_of(&page));
            match page["next_cursor"].as_str() {
                Some(c) => query["next_cursor"] = json!(c),
                None => break,
            }
        }
        assert_eq!(seen, vec![1, 2, 3, 4, 5, 6], "every record once, in order");
        // Three reads of the oversized page (offsets 0, 2, 4), then its next page.
        assert_eq!(requests.len(), 4, "{requests:?}");
        assert_eq!(requests[0], requests[1]);
        assert_eq!(requests[1], requests[2]);
        assert!(requests[3].contains("cursor=cGFnZTI"), "{requests:?}");
    }

    #[test]
    fn a_forged_offset_is_refused_or_ends_the_page() {
        let (_, out) = crate::tests::support::drive(gh_input(json!({"limit": 2})), Script::default().then_response(greenhouse_page(&[1, 2, 3], false)));
        let c = out.unwrap()["next_cursor"].as_str().unwrap().to_string();
        let mut cur: Value = serde_json::from_slice(&crate::codec::b64::decode_url_safe(&c).unwrap()).unwrap();
        cur["k"] = json!(u64::MAX);
        let forged = crate::codec::b64::encode_url_safe(cur.to_string().as_bytes());
        let err = Operation::start(gh_input(json!({"limit": 2, "next_cursor": forged})), T0).err().unwrap();
        assert_eq!(err.code(), "invalid_cursor");
        cur["k"] = json!(50);
        let past_end = crate::codec::b64::encode_url_safe(cur.to_string().as_bytes());
        let (_, out) = crate::tests::support::drive(gh_input(json!({"limit": 2, "next_cursor": past_end})), Script::default().then_response(greenhouse_page(&[1, 2, 3], false)));
        let page = out.unwrap();
        assert_eq!(page["result_count"], 0);
        assert!(page["next_cursor"].is_null());
    }

    #[test]
    fn with_a_cursor_key_an_edited_cursor_never_reaches_the_provider() {
        let keyed = |query: Value| {
            let mut i = gh_input(query);
            i.cursor_key = Some("cursor-secret-1".into());
            i
        };
        let (_, out) = crate::tests::support::drive(keyed(json!({"limit": 2})), Script::default().then_response(greenhouse_page(&[1, 2], true)));
        let sealed = out.unwrap()["next_cursor"].as_str().unwrap().to_string();
        assert!(sealed.contains('.'), "sealed: {sealed}");
        // The sealed cursor works, on the same account.
        let (sent, out) = crate::tests::support::drive(keyed(json!({"limit": 2, "next_cursor": sealed})), Script::default().then_response(greenhouse_page(&[3], false)));
        assert_eq!(sent.len(), 1);
        assert!(sent[0].url.contains("cursor=cGFnZTI"));
        assert_eq!(ids_of(&out.unwrap()), vec![3]);
        // The same state with a forged query, tag kept: refused before any request.
        let (payload, tag) = sealed.rsplit_once('.').unwrap();
        let mut cur: Value = serde_json::from_slice(&crate::codec::b64::decode_url_safe(payload).unwrap()).unwrap();
        let url = cur["s"]["next"].as_str().map(str::to_string).or_else(|| cur["s"]["url"].as_str().map(str::to_string)).unwrap_or_default();
        assert!(!url.is_empty(), "greenhouse keeps its next link in the state: {cur}");
        let key = if cur["s"].get("next").is_some() { "next" } else { "url" };
        cur["s"][key] = json!(url.replace("cursor=cGFnZTI", "cursor=cGFnZTI&per_page=1000000000&page=-1&foo=bar"));
        let forged = format!("{}.{tag}", crate::codec::b64::encode_url_safe(cur.to_string().as_bytes()));
        for c in [forged, payload.to_string(), format!("{payload}.AAAA")] {
            let err = Operation::start(keyed(json!({"limit": 2, "next_cursor": c})), T0).err().expect("refused");
            assert_eq!(err.code(), "invalid_cursor");
        }
        // Another account of the same provider cannot use it either.
        let mut other = keyed(json!({"limit": 2, "next_cursor": sealed}));
        other.account.id = "b".into();
        assert_eq!(Operation::start(other, T0).err().unwrap().code(), "invalid_cursor");
    }

    /// Drives a sandbox create, answering from the embedded server, with one
    /// transport failure or server answer in between as the server decides.
    fn sandbox_create(candidate: &str, query: Value) -> (Vec<HttpRequest>, Result<Value>) {
        let start = input(json!({"id": "sb", "provider": "sandbox"}), "ats", "activities", "create", None, json!({"candidate_id": candidate, "body": "Went well"}), query);
        let (mut op, mut step) = Operation::start(start, T0).unwrap();
        let mut sent = Vec::new();
        let mut now = T0;
        for _ in 0..MAX_STEPS {
            step = match step {
                Step::Record(r) => { step = Step::Done(r.into_value()); continue; }
                Step::Page(p) => { step = Step::Done(p.into_value()); continue; }
                Step::Done(v) => return (sent, Ok(v)),
                Step::Credentials(_) => match op.resume(now) { Ok(s) => s, Err(e) => return (sent, Err(e)) },
                Step::Wait { until_ms, .. } => {
                    now = until_ms;
                    match op.resume(now) {
                        Ok(s) => s,
                        Err(e) => return (sent, Err(e)),
                    }
                }
                Step::Send(req) => {
                    let resp = crate::tests::support::sandbox_answer(&req, now);
                    sent.push(req);
                    match op.handle_response(resp, now) {
                        Ok(s) => s,
                        Err(e) => return (sent, Err(e)),
                    }
                }
            };
        }
        panic!("did not finish");
    }

    fn notes_of(candidate: &str) -> usize {
        let page = run_sandbox("ats", "activities", "list", None, Value::Null, json!({"candidate_id": candidate})).unwrap();
        page["result"].as_array().unwrap().len()
    }

    #[test]
    fn a_provider_that_dedups_gets_the_key_and_the_resend_creates_nothing_new() {
        crate::providers::sandbox::server::reset();
        let (sent, out) = sandbox_create("flaky", json!({"idempotency_key": "note-42"}));
        assert_eq!(sent.len(), 2, "the lost answer is re-sent once");
        for r in &sent {
            assert_eq!(r.headers.get("idempotency-key").map(String::as_str), Some("note-42"));
        }
        let note = out.expect("the replayed answer is the created note");
        assert_eq!(note["candidate"]["id"], "flaky");
        assert_eq!(notes_of("flaky"), 1, "exactly one note exists");
    }

    #[test]
    fn without_a_key_the_dedup_provider_is_not_resent_either() {
        crate::providers::sandbox::server::reset();
        let (sent, out) = sandbox_create("flaky", json!({}));
        assert_eq!(sent.len(), 1);
        assert!(!sent[0].headers.contains_key("idempotency-key"));
        assert_eq!(out.unwrap_err().code(), "write_outcome_unknown");
        assert_eq!(notes_of("flaky"), 1, "the write was applied once, and the caller was told it may have been");
    }
}
