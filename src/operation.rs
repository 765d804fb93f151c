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

use crate::account::Account;
use crate::error::{Error, Issue, IssueCode, Result, Warning};
use crate::http::{HttpRequest, HttpResponse, Origin, Redactor};
use crate::models;
use crate::providers::{self, Ctx, Exchange, Next, OpDef, ProviderDef};
use crate::query::{ResponseFormat, UnifiedQuery};
use crate::retry::RetryPolicy;
use crate::schema::UnifiedMethod;
use crate::validate::{check, Side};

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
}

impl StartInput {
    /// Reads `{ account, model, resource, method, id?, body?, query?, retry? }`.
    pub fn from_json(v: &Value) -> Result<StartInput> {
        use crate::input::*;
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
        })
    }
}

/// What the driver must do next.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum Step {
    Send(HttpRequest),
    Wait { until_ms: u64, reason: String },
    Done(Value),
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
    crate::api::check_value(body, "body")?;
    crate::api::check_value(query, "query")?;
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
    ExchangeWait,
    NextPage,
    Finished,
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
}

/// Paging memory: the provider state of the current and next page, hashes of every
/// state seen (to stop cycles), and pages collected for `truto_ignore_limit`.
#[derive(Default)]
struct Paging {
    next: Option<Value>,
    seen: Vec<u64>,
    pages: u32,
    empty_run: u32,
    collected: Vec<Value>,
    collected_warnings: Vec<Warning>,
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
        }
    };
    ($s:expr, $now:expr) => {
        Ctx { now_ms: $now, ..ctx!($s) }
    };
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
                let (state, history) = crate::cursor::decode(c, provider.name, op.model, op.resource)?;
                paging.seen = history;
                paging.seen.push(crate::cursor::state_hash(&state));
                Some(state)
            }
            _ => None,
        };
        let skip_mapping = query.format == ResponseFormat::Raw && crate::filters::local_filters(op, &fields).is_empty();
        let mut operation = {
            let ctx = Ctx { provider, op, account: &input.account, origin: &origin, fields: &fields, remote_data: remote_data.as_ref(), query: &query, id: input.id.as_deref(), skip_mapping, now_ms };
            let exchange = (op.start)(&ctx)?;
            // A filter this request could not send must be read from mapped records.
            let skip_mapping = skip_mapping && exchange.locally_applied().is_empty();
            Operation {
                provider,
                op,
                account: input.account,
                origin,
                fields,
                remote_data,
                query,
                id: input.id,
                exchange,
                redactor,
                retry: input.retry,
                in_flight: None,
                attempts: 0,
                pending: Pending::Nothing,
                warnings,
                paging,
                skip_mapping,
            }
        };
        let first = {
            let ctx = ctx!(operation, now_ms);
            match &start_state {
                Some(state) => operation.exchange.page(&ctx, state),
                None => operation.exchange.start(&ctx),
            }
        };
        let step = operation.process(first, now_ms)?;
        Ok((operation, step))
    }

    /// The provider this operation talks to.
    pub fn provider(&self) -> &'static str {
        self.provider.name
    }

    /// A copy of a request that is safe to show (credentials replaced).
    pub fn redact(&self, req: &HttpRequest) -> HttpRequest {
        req.redacted(&self.redactor)
    }

    /// Just the request URL, safe to show (no copy of the whole request).
    pub fn safe_url(&self, req: &HttpRequest) -> String {
        req.safe_url(&self.redactor)
    }

    pub fn handle_response(&mut self, resp: HttpResponse, now_ms: u64) -> Result<Step> {
        let out = self.handle_response_inner(resp, now_ms);
        self.finish(out)
    }

    fn handle_response_inner(&mut self, resp: HttpResponse, now_ms: u64) -> Result<Step> {
        if self.pending != Pending::Response {
            return Err(Error::Misuse { reason: "handle_response called with no request in flight".into() });
        }
        let method = self.in_flight.as_ref().map(|r| r.method);
        if !resp.is_success() {
            if let Some(m) = method {
                let safe = m.is_idempotent() || self.query.idempotency_key.is_some();
                if let Some(until_ms) = self.retry.retry_at(resp.status, safe, self.attempts, resp.header("retry-after"), now_ms) {
                    self.pending = Pending::RetryWait;
                    return Ok(Step::Wait { until_ms, reason: format!("{} answered HTTP {}; retrying", self.provider.name, resp.status) });
                }
            }
            let next = {
                let ctx = ctx!(self, now_ms);
                self.exchange.on_failure(&ctx, &resp)
            };
            return self.process(next, now_ms);
        }
        let next = {
            let ctx = ctx!(self, now_ms);
            self.exchange.on_success(&ctx, &resp)
        };
        let secret_echo = !self.redactor.is_empty() && self.redactor.contains_secret(&resp.body);
        let step = self.process(next, now_ms)?;
        // A provider that echoes a credential must not leak it through remote_data.
        Ok(match step {
            Step::Done(v) if secret_echo => Step::Done(self.redactor.value(v)),
            other => other,
        })
    }

    /// No response arrived (DNS, connection reset, timeout). Retried only when
    /// resending cannot apply a write twice.
    pub fn handle_transport_error(&mut self, reason: &str, now_ms: u64) -> Result<Step> {
        let out = (|| {
            if self.pending != Pending::Response {
                return Err(Error::Misuse { reason: "handle_transport_error called with no request in flight".into() });
            }
            let safe = self.in_flight.as_ref().is_some_and(|r| r.method.is_idempotent()) || self.query.idempotency_key.is_some();
            if safe {
                if let Some(until_ms) = self.retry.retry_at(0, true, self.attempts, None, now_ms) {
                    self.pending = Pending::RetryWait;
                    return Ok(Step::Wait { until_ms, reason: format!("could not reach {}; retrying", self.provider.name) });
                }
            }
            Err(Error::Network { provider: self.provider.name.to_string(), reason: reason.chars().take(300).collect(), attempts: self.attempts })
        })();
        self.finish(out)
    }

    /// Continues after a [`Step::Wait`].
    pub fn resume(&mut self, now_ms: u64) -> Result<Step> {
        let out = match self.pending {
            Pending::RetryWait => match self.in_flight.clone() {
                Some(req) => {
                    self.attempts = self.attempts.saturating_add(1);
                    self.pending = Pending::Response;
                    Ok(Step::Send(req))
                }
                None => Err(Error::Misuse { reason: "nothing to retry".into() }),
            },
            Pending::ExchangeWait => {
                let next = {
                    let ctx = ctx!(self, now_ms);
                    self.exchange.resume(&ctx)
                };
                self.process(next, now_ms)
            }
            _ => Err(Error::Misuse { reason: "resume called while not waiting".into() }),
        };
        self.finish(out)
    }

    /// Fetches the page after the last one returned.
    pub fn next_page(&mut self, now_ms: u64) -> Result<Step> {
        let out = match (self.pending, self.paging.next.take()) {
            (Pending::NextPage, Some(state)) => {
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

    /// Whether [`Operation::next_page`] can be called.
    pub fn has_next_page(&self) -> bool {
        self.pending == Pending::NextPage && self.paging.next.is_some()
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
            Next::Send(req) => {
                check_request(&req)?;
                self.redactor.learn(&req);
                self.in_flight = Some(req.clone());
                self.attempts = 1;
                self.pending = Pending::Response;
                Ok(Step::Send(req))
            }
            Next::Wait { until_ms, reason } => {
                self.pending = Pending::ExchangeWait;
                Ok(Step::Wait { until_ms, reason })
            }
            Next::Record { record, raw, warnings } => {
                self.pending = Pending::Finished;
                self.warnings.extend(warnings);
                Ok(Step::Done(self.shape_record(record, raw)))
            }
            Next::Report(report) => {
                self.pending = Pending::Finished;
                Ok(Step::Done(report))
            }
            Next::Page { items, next, warnings } => self.on_page(items, next, warnings, now_ms),
        }
    }

    fn on_page(&mut self, items: Vec<(Map<String, Value>, Value)>, next: Option<Value>, warnings: Vec<Warning>, now_ms: u64) -> Result<Step> {
        self.paging.pages = self.paging.pages.saturating_add(1);
        self.paging.empty_run = if items.is_empty() { self.paging.empty_run.saturating_add(1) } else { 0 };
        if let Some(state) = &next {
            let h = crate::cursor::state_hash(state);
            if self.paging.seen.contains(&h) {
                return Err(Error::PaginationLoop { provider: self.provider.name.to_string(), pages: self.paging.pages });
            }
            if self.paging.empty_run >= EMPTY_PAGES_LIMIT {
                return Err(Error::PaginationLoop { provider: self.provider.name.to_string(), pages: self.paging.pages });
            }
            self.paging.seen.push(h);
        }
        let (mut records, mut page_warnings) = self.shape_items(items, warnings);
        let limit_pages = self.query.max_pages.unwrap_or(if self.query.ignore_limit { IGNORE_LIMIT_MAX_PAGES } else { u32::MAX });
        let more = next.is_some() && self.paging.pages < limit_pages;
        if self.query.ignore_limit && more {
            // Keep going inside this operation: the caller asked for everything.
            self.paging.collected.append(&mut records);
            self.paging.collected_warnings.append(&mut page_warnings);
            let state = next.unwrap_or(Value::Null);
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
                code: "max_pages_reached",
                message: format!("stopped after {} page(s); next_cursor continues", self.paging.pages),
            });
        }
        let next_cursor = match &next {
            Some(state) => Value::String(crate::cursor::encode(self.provider.name, self.op.model, self.op.resource, state, &self.paging.seen)),
            None => Value::Null,
        };
        // At max_pages the cursor is still returned (a later call may resume), but this
        // operation ends: next_page() is refused and has_next_page() is false.
        self.paging.next = if more { next } else { None };
        self.pending = if self.paging.next.is_some() { Pending::NextPage } else { Pending::Finished };
        let count = records.len();
        let result = self.key_by(records, &mut page_warnings);
        let mut page = crate::convert::obj(vec![("result", result), ("next_cursor", next_cursor), ("result_count", count.into())]);
        let mut all_warnings = std::mem::take(&mut self.warnings);
        all_warnings.extend(page_warnings);
        if !all_warnings.is_empty() {
            page["warnings"] = crate::error::warnings_json(&all_warnings);
        }
        Ok(Step::Done(page))
    }

    fn shape_items(&self, items: Vec<(Map<String, Value>, Value)>, mut warnings: Vec<Warning>) -> (Vec<Value>, Vec<Warning>) {
        let mut active = crate::filters::active(self.op, &self.fields);
        let unsent = self.exchange.locally_applied();
        for a in active.iter_mut() {
            a.local_only |= unsent.contains(&a.name.as_str());
        }
        let local: Vec<&str> = active.iter().filter(|a| a.local_only).map(|a| a.name.as_str()).collect();
        if !local.is_empty() && self.paging.pages == 1 {
            warnings.push(Warning {
                field: format!("query.{}", local.join(",")),
                code: "filter_applied_locally",
                message: format!("{} cannot filter on {}; crosswalk filtered the mapped records", self.provider.name, local.join(", ")),
            });
        }
        let raw_format = self.query.format == ResponseFormat::Raw;
        let mut out = Vec::with_capacity(items.len());
        for (record, raw) in items {
            // Raw lists skip mapping unless a filter must read unified fields.
            if !active.is_empty() && !(raw_format && local.is_empty()) && !crate::filters::matches_all(&active, &record) {
                continue;
            }
            out.push(if raw_format { raw } else { self.attach(record, raw) });
        }
        (out, warnings)
    }

    fn shape_record(&mut self, record: Map<String, Value>, raw: Value) -> Value {
        let mut v = if self.query.format == ResponseFormat::Raw { raw } else { self.attach(record, raw) };
        if !self.warnings.is_empty() {
            if let Value::Object(m) = &mut v {
                m.insert("warnings".into(), crate::error::warnings_json(&self.warnings));
            }
        }
        v
    }

    /// Adds `remote_data` and applies `truto_exclude_fields`.
    fn attach(&self, mut record: Map<String, Value>, raw: Value) -> Value {
        if !self.query.ignore_remote_data {
            record.insert("remote_data".into(), raw);
        }
        let mut v = Value::Object(record);
        for path in &self.query.exclude_fields {
            remove_path(&mut v, path);
        }
        v
    }

    fn key_by(&self, records: Vec<Value>, warnings: &mut Vec<Warning>) -> Value {
        let Some(key) = &self.query.key_by else { return Value::Array(records) };
        let mut out = Map::new();
        for (i, r) in records.into_iter().enumerate() {
            match crate::convert::get(&r, key).and_then(|v| crate::convert::id_string(Some(v))) {
                Some(k) => {
                    if out.contains_key(&k) {
                        warnings.push(Warning { field: format!("result[{i}].{key}"), code: "key_by_duplicate", message: format!("two records share {key} = {k}; the later one is kept") });
                    }
                    out.insert(k, r);
                }
                None => warnings.push(Warning { field: format!("result[{i}].{key}"), code: "key_by_missing", message: format!("record has no {key}; it is listed under \"\"") }),
            }
        }
        Value::Object(out)
    }
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
    if crate::http::has_dot_segment(&req.url) {
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
        other => other,
    }
}
