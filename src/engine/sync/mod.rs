//! Bulk sync: many records pushed to a provider's batch endpoint, as a sans-IO
//! state machine with the same [`Step`] contract as [`Operation`](crate::Operation).
//!
//! Call order (the driver owns I/O and the clock):
//! 1. [`SyncOperation::start`] validates every record first. Invalid ones are set
//!    aside as `not_sent: validation`; the rest are grouped (per application, in the
//!    caller's order) and chunked into batches. Account and option problems are an
//!    error before anything is sent.
//! 2. [`Step::Send`]: perform it, pass the answer to [`SyncOperation::handle_response`]
//!    (or [`SyncOperation::handle_transport_error`]).
//! 3. [`Step::Wait`]: sleep until `until_ms`, then [`SyncOperation::resume`]. Waits
//!    come from the throttle budget, a 429's `Retry-After`, or retry backoff.
//! 4. [`Step::Done`]: the report. Every input record is in exactly one of
//!    `synced`, `failed` or `not_sent`, by its `index` in the input.
//!
//! [`SyncOperation::abort`] ends the sync at any point with a report.
//!
//! Budget: a batch is sent only when it fits both throttle windows
//! ([`budget`]). When it does not, the sync waits, unless the caller said not to
//! (`options.wait: false`) or the wait is longer than `options.max_wait_ms`; then
//! it stops, and the records not yet sent are `not_sent: budget_exhausted` with
//! `retry_at`. The report carries the budget state to save and pass back as
//! `options.budget` next time.
//!
//! Retries never resend a confirmed record: a whole-batch 429/5xx resends the same
//! batch (nothing in it was confirmed), and entities that failed with a retryable
//! status inside a 2xx batch are resent on their own, ahead of the rest of their
//! application's records.

pub mod budget;
pub mod report;

use std::collections::VecDeque;

use serde_json::{Map, Value};

use crate::codec::json::{obj, opt_str};

use crate::provider::account::Account;
use crate::error::{Error, Issue, IssueCode, Result};
use crate::codec::http::{HttpRequest, HttpResponse, Origin};
use crate::codec::redact::Redactor;
use crate::engine::operation::redact_error;
use crate::engine::step::{Machine, Step};
use crate::engine::token::{self, Need, TokenOperation};
use crate::provider::Ctx;
use crate::unified::query::UnifiedQuery;
use crate::engine::retry::{parse_retry_after, RetryPolicy};
use crate::unified::validate::{check, Side};

use crate::provider::sync::{EntityOutcome, Failure, Limits, SyncDef};
use crate::providers::SYNCS;
use budget::Budget;
use report::{Outcome, Reason, Report};

pub fn find(provider: &str, model: &str, resource: &str) -> Option<&'static SyncDef> {
    SYNCS.iter().copied().find(|s| s.provider.name == provider && s.op.model == model && s.op.resource == resource)
}

#[derive(Debug, Clone)]
pub struct SyncInput {
    pub account: Account,
    pub model: String,
    pub resource: String,
    pub records: Value,
    pub query: Value,
    pub options: SyncOptions,
    pub retry: RetryPolicy,
}

impl SyncInput {
    /// Reads `{ account, model, resource, records, query?, options?, retry? }`.
    pub fn from_json(v: &Value) -> Result<SyncInput> {
        use crate::codec::input::*;
        let m = object(v, "input")?;
        Ok(SyncInput {
            account: Account::from_json(field(m, "account")?)?,
            model: string(m, "model")?,
            resource: string(m, "resource")?,
            records: field(m, "records")?.clone(),
            query: m.get("query").cloned().unwrap_or(Value::Null),
            options: match m.get("options") {
                None => SyncOptions::default(),
                Some(o) => SyncOptions::from_json(o)?,
            },
            retry: RetryPolicy::from_json(m.get("retry"))?,
        })
    }
}

impl SyncOptions {
    /// Reads `options`; unknown keys are refused (a typo must not drop a limit).
    pub fn from_json(v: &Value) -> Result<SyncOptions> {
        use crate::codec::input::*;
        let m = object(v, "options")?;
        deny_unknown(m, &["budget", "limits", "wait", "max_wait_ms"])?;
        Ok(SyncOptions {
            budget: m.get("budget").filter(|b| !b.is_null()).cloned(),
            limits: match m.get("limits") {
                None | Some(Value::Null) => None,
                Some(l) => Some(Limits::from_json(l)?),
            },
            wait: opt_bool(m, "wait")?,
            max_wait_ms: opt_u64(m, "max_wait_ms")?,
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Saved budget usage from an earlier report's `budget`.
    pub budget: Option<Value>,
    /// Overrides the provider's documented limits (a lower contractual limit, tests).
    pub limits: Option<Limits>,
    /// `false`: never sleep for the budget or a 429; stop with `retry_at` instead.
    pub wait: Option<bool>,
    /// The longest single wait for the budget or a 429 (default 60 s).
    pub max_wait_ms: Option<u64>,
}

pub const DEFAULT_MAX_WAIT_MS: u64 = 60_000;

/// One valid record, ready to send.
struct Item {
    index: usize,
    group: String,
    key: String,
    entity: Value,
}

/// A batch of item positions (into `items`) under one group.
#[derive(Clone)]
struct Batch {
    group: String,
    items: Vec<usize>,
    /// Sends of this batch so far (429/5xx resends included).
    attempts: u32,
}

/// Why the next send is held back besides the budget.
#[derive(Clone, Copy, PartialEq)]
enum Hold {
    /// The provider answered 429: counts as the budget (the caller's wait rules apply).
    RateLimited { until_ms: u64 },
    /// Backoff before resending after a 5xx or a lost response.
    Backoff { until_ms: u64 },
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Pending {
    Response,
    Wait,
    /// A token request (in `token`) is in flight or waiting to retry.
    Token,
    /// Renewed credentials went to the driver; `resume` goes on with the queue.
    CredentialsSaved,
    Finished,
}

pub struct SyncOperation {
    def: &'static SyncDef,
    account: Account,
    origin: Origin,
    query: UnifiedQuery,
    redactor: Redactor,
    retry: RetryPolicy,
    wait: bool,
    max_wait_ms: u64,
    budget: Budget,
    items: Vec<Item>,
    queue: VecDeque<Batch>,
    in_flight: Option<Batch>,
    hold: Option<Hold>,
    pending: Pending,
    report: Report,
    /// Per item position: sends so far (entity-level retries).
    item_attempts: Vec<u32>,
    /// The token request the sync runs first (an expired account) or after a 401.
    token: Option<TokenOperation>,
    /// The token was renewed during this sync: a 401 now stops it.
    renewed: bool,
}

impl SyncOperation {
    pub fn start(input: SyncInput, now_ms: u64) -> Result<(SyncOperation, Step)> {
        if SYNCS.is_empty() {
            // No provider with a bulk sync in this build (a subset of provider
            // features); checked up front so the compiler drops the machinery.
            return Err(Error::UnsupportedOperation { provider: input.account.provider, model: input.model, resource: input.resource, method: "sync".into() });
        }
        let redactor = input.account.redactor();
        let out = (|| {
            let (mut op, first_token) = Self::plan(input, redactor.clone(), now_ms)?;
            let step = match first_token {
                Some(req) => op.run_token(req),
                None => op.next(now_ms)?,
            };
            Ok((op, step))
        })();
        out.map_err(|e| redact_error(e, &redactor))
    }

    fn plan(input: SyncInput, redactor: Redactor, now_ms: u64) -> Result<(SyncOperation, Option<HttpRequest>)> {
        let provider = input.account.provider.clone();
        let def = find(&provider, &input.model, &input.resource).ok_or_else(|| Error::UnsupportedOperation {
            provider: provider.clone(),
            model: input.model.clone(),
            resource: input.resource.clone(),
            method: "sync".into(),
        })?;
        crate::codec::input::check_value(&input.records, "records")?;
        crate::codec::input::check_value(&input.query, "query")?;
        let query = UnifiedQuery::from_json(&input.query)?;
        if let Some(key) = query.filters.keys().next() {
            return Err(Error::one_issue(Some(def.provider.name), Issue::new(format!("query.{key}"), IssueCode::UnknownField, "is not a query parameter of a sync")));
        }
        let records = match input.records {
            Value::Array(r) => r,
            _ => return Err(Error::one_issue(Some(def.provider.name), Issue::new("records", IssueCode::InvalidType, "must be an array of records"))),
        };
        let limits = input.options.limits.unwrap_or(def.limits);
        limits.check()?;
        let budget = match &input.options.budget {
            Some(saved) if !saved.is_null() => Budget::restore(limits, saved, now_ms)?,
            _ => Budget::new(limits, now_ms),
        };
        // Account problems (token, organization) fail the whole sync up front.
        input.account.check()?;
        let origin = input.account.origin(&(def.provider.origin)(&input.account)?)?;
        // An expired token (or none yet, with client credentials) is renewed first.
        let first_token = match token::need(def.provider, &input.account, now_ms)? {
            Need::Token(req) => Some(req),
            Need::Nothing => {
                (def.provider.auth)(&input.account, HttpRequest::new(crate::codec::http::Method::Get, String::new()))?;
                None
            }
        };
        (def.check_account)(&input.account)?;

        let mut report = Report::new(def, records.len());
        let items = validate_all(def, &records, &query, &mut report);
        let batch_size = def.max_batch.min(usize::try_from(limits.records_per_minute).unwrap_or(usize::MAX)).max(1);
        let queue = plan_batches(&items, batch_size);
        Ok((SyncOperation {
            def,
            account: input.account,
            origin,
            query,
            redactor,
            retry: input.retry,
            wait: input.options.wait.unwrap_or(true),
            max_wait_ms: input.options.max_wait_ms.unwrap_or(DEFAULT_MAX_WAIT_MS),
            budget,
            item_attempts: vec![0; items.len()],
            items,
            queue,
            in_flight: None,
            hold: None,
            pending: Pending::Wait,
            report,
            token: None,
            renewed: false,
        }, first_token))
    }

    fn run_token(&mut self, req: HttpRequest) -> Step {
        let (machine, step) = TokenOperation::for_request(self.def.provider, self.account.clone(), self.redactor.clone(), self.retry, req);
        self.token = Some(machine);
        self.pending = Pending::Token;
        step
    }

    /// A step of the token request; its result updates the account and goes to the
    /// driver to persist. A failure stops the sync (nothing else can be sent).
    fn token_step(&mut self, step: Result<Step>) -> Result<Step> {
        match step {
            Ok(Step::Done(credentials)) => {
                if let Some(t) = self.token.take() {
                    self.account = t.account().clone();
                    self.redactor = t.redactor().clone();
                }
                self.renewed = true;
                self.pending = Pending::CredentialsSaved;
                Ok(Step::Credentials(credentials))
            }
            Ok(other) => Ok(other),
            Err(e) => {
                self.token = None;
                Ok(self.abort_with(e))
            }
        }
    }

    /// A copy of a request that is safe to show (credentials replaced).
    pub fn redact(&self, req: &HttpRequest) -> HttpRequest {
        req.redacted(&self.redactor)
    }

    fn ctx<'a>(&'a self, fields: &'a Map<String, Value>, now_ms: u64) -> Ctx<'a> {
        Ctx {
            provider: self.def.provider,
            op: self.def.op,
            account: &self.account,
            origin: &self.origin,
            fields,
            remote_data: None,
            query: &self.query,
            id: None,
            skip_mapping: false,
            now_ms,
            response_index: 0,
            inline_raw_from: 0,
            raw_as_text: false,
        }
    }

    /// Sends the next batch, waits, or finishes.
    fn next(&mut self, now_ms: u64) -> Result<Step> {
        let Some(batch) = self.queue.front() else { return Ok(self.finish()) };
        let size = batch.items.len() as u64;
        let budget_until = self.budget.check(size, now_ms).err();
        let (until, window) = match (self.hold, budget_until) {
            (Some(Hold::Backoff { until_ms }), _) if until_ms > now_ms => {
                self.pending = Pending::Wait;
                return Ok(Step::Wait { until_ms, reason: format!("{} failed to answer; retrying", self.def.provider.name) });
            }
            (Some(Hold::RateLimited { until_ms }), b) if until_ms > now_ms && b.map_or(true, |(t, _)| until_ms >= t) => (until_ms, "provider_429"),
            (_, Some((t, w))) => (t, w.as_str()),
            _ => return self.send(now_ms),
        };
        if !self.wait || until.saturating_sub(now_ms) > self.max_wait_ms {
            return Ok(self.stop_for_budget(until, window));
        }
        self.pending = Pending::Wait;
        Ok(Step::Wait { until_ms: until, reason: format!("{} throttle limit ({window}); waiting", self.def.provider.name) })
    }

    fn send(&mut self, now_ms: u64) -> Result<Step> {
        // A token that expired while the sync waited on its budget is renewed first
        // (not one just renewed: a lifetime inside the margin must not loop).
        if !self.renewed {
            if let Need::Token(req) = token::need(self.def.provider, &self.account, now_ms)? {
                return Ok(self.run_token(req));
            }
        }
        let Some(mut batch) = self.queue.pop_front() else { return Ok(self.finish()) };
        let entries: Vec<(&str, &Value)> = batch.items.iter().map(|&i| (self.items[i].key.as_str(), &self.items[i].entity)).collect();
        let empty = Map::new();
        let req = (self.def.build)(&self.ctx(&empty, now_ms), &batch.group, &entries)?;
        crate::engine::operation::check_request(&req)?;
        self.redactor.learn(&req);
        batch.attempts = batch.attempts.saturating_add(1);
        for &i in &batch.items {
            if let Some(a) = self.item_attempts.get_mut(i) {
                *a = a.saturating_add(1);
            }
        }
        self.budget.spend(batch.items.len() as u64, now_ms);
        self.report.requests = self.report.requests.saturating_add(1);
        self.hold = None;
        self.in_flight = Some(batch);
        self.pending = Pending::Response;
        Ok(Step::Send(req))
    }

    fn on_response(&mut self, resp: HttpResponse, now_ms: u64) -> Result<Step> {
        let batch = self.take_in_flight()?;
        if resp.is_success() {
            // The token works: a later 401 (a long sync outlives a 30-minute token) may renew it again.
            self.renewed = false;
            return self.on_batch_answer(batch, &resp, now_ms);
        }
        let failure = Failure::from_response(self.def.provider.name, &resp);
        match resp.status {
            429 => {
                // Rejected before any work: resend the same batch after Retry-After.
                let wait = resp.header("retry-after").and_then(|h| parse_retry_after(h, now_ms));
                let until = now_ms.saturating_add(wait.unwrap_or_else(|| self.backoff(batch.attempts)));
                if batch.attempts >= self.retry.max_attempts.max(1) {
                    self.queue.push_front(batch);
                    return Ok(self.stop_for_budget(until, "provider_429"));
                }
                self.hold = Some(Hold::RateLimited { until_ms: until });
                self.queue.push_front(batch);
                self.next(now_ms)
            }
            401 if !self.renewed && self.def.provider.oauth.is_some_and(|o| token::uses_tokens(o, &self.account)) => {
                // Refused before any work: renew the token once and send the batch again.
                match self.def.provider.oauth.map(|o| token::refresh_request(self.def.provider, o, &self.account)).transpose()?.flatten() {
                    Some(req) => {
                        self.queue.push_front(batch);
                        Ok(self.run_token(req))
                    }
                    None => {
                        self.fail_batch(&batch, &failure);
                        let provider = self.def.provider.name;
                        Ok(self.abort_with(Error::ReauthRequired { provider: provider.into(), reason: format!("{provider} answered 401 and the account cannot get a new token") }))
                    }
                }
            }
            401 | 403 => {
                // The credentials cannot work for any later batch either.
                self.fail_batch(&batch, &failure);
                let err = crate::provider::remote_error(self.def.provider.name, &resp);
                Ok(self.abort_with(err))
            }
            s if matches!(s, 408 | 500 | 502 | 503 | 504) && batch.attempts < self.retry.max_attempts.max(1) => {
                // A batch update is a PUT of the same entities: resending is safe.
                self.hold = Some(Hold::Backoff { until_ms: now_ms.saturating_add(self.backoff(batch.attempts)) });
                self.queue.push_front(batch);
                self.next(now_ms)
            }
            _ => {
                self.fail_batch(&batch, &failure);
                self.next(now_ms)
            }
        }
    }

    fn on_batch_answer(&mut self, batch: Batch, resp: &HttpResponse, now_ms: u64) -> Result<Step> {
        let keys: Vec<&str> = batch.items.iter().map(|&i| self.items[i].key.as_str()).collect();
        let empty = Map::new();
        let read = (self.def.read)(&self.ctx(&empty, now_ms), resp, &keys);
        let outcomes = match read {
            Ok(o) if o.len() == batch.items.len() => o,
            Ok(_) => return Err(Error::Misuse { reason: "sync reader returned the wrong number of outcomes".into() }),
            Err(e) => {
                // A 2xx we cannot read: nothing is confirmed, and a resend is a safe PUT.
                self.fail_batch(&batch, &Failure::crosswalk("protocol_error", e.to_string(), true));
                return self.next(now_ms);
            }
        };
        let mut again = Vec::new();
        for (&i, outcome) in batch.items.iter().zip(outcomes) {
            match outcome {
                EntityOutcome::Synced { status } => self.report.set(self.items[i].index, Outcome::Synced { status }),
                EntityOutcome::Failed(f) if f.retryable && self.item_attempts[i] < self.retry.max_attempts.max(1) => again.push(i),
                EntityOutcome::Failed(f) => self.report.set(self.items[i].index, Outcome::Failed(f)),
            }
        }
        if !again.is_empty() {
            // Only the entities that failed transiently go again, first in line for
            // their application so its notes stay in order.
            let attempts = again.iter().map(|&i| self.item_attempts[i]).max().unwrap_or(1);
            self.hold = Some(Hold::Backoff { until_ms: now_ms.saturating_add(self.backoff(attempts)) });
            self.queue.push_front(Batch { group: batch.group, items: again, attempts: 0 });
        }
        self.next(now_ms)
    }

    /// Ends the sync now. A batch in flight has an unknown outcome: its records
    /// are `failed` (retryable, `aborted_in_flight`); the rest are `not_sent: aborted`.
    pub fn abort(&mut self, reason: &str) -> Result<Step> {
        if self.pending == Pending::Finished {
            return Err(Error::Misuse { reason: "the sync has already finished".into() });
        }
        if let Some(batch) = self.in_flight.take() {
            let f = Failure::crosswalk("aborted_in_flight", "the sync was aborted while this batch was in flight; the provider may or may not have applied it (resending is safe)", true);
            self.fail_batch(&batch, &f);
        }
        let reason: String = self.redactor.text(reason).chars().take(300).collect();
        Ok(self.abort_rest(obj(vec![("code", "aborted".into()), ("message", format!("aborted by the caller: {reason}").into())])))
    }

    fn take_in_flight(&mut self) -> Result<Batch> {
        match (self.pending, self.in_flight.take()) {
            (Pending::Response, Some(b)) => Ok(b),
            _ => Err(Error::Misuse { reason: "no request in flight".into() }),
        }
    }

    fn backoff(&self, attempts: u32) -> u64 {
        let exp = attempts.saturating_sub(1).min(20);
        self.retry.base_delay_ms.saturating_mul(1u64 << exp).min(self.retry.max_delay_ms)
    }

    fn fail_batch(&mut self, batch: &Batch, f: &Failure) {
        for &i in &batch.items {
            self.report.set(self.items[i].index, Outcome::Failed(f.clone()));
        }
    }

    fn remaining(&mut self) -> Vec<usize> {
        self.queue.drain(..).flat_map(|b| b.items).collect()
    }

    fn stop_for_budget(&mut self, until: u64, window: &str) -> Step {
        for i in self.remaining() {
            self.report.set(self.items[i].index, Outcome::NotSent(Reason::BudgetExhausted { retry_at_ms: until, window: window.to_string() }));
        }
        self.report.stopped = Some(obj(vec![
            ("reason", "budget_exhausted".into()),
            ("window", window.into()),
            ("retry_at_ms", until.into()),
            ("retry_at", opt_str(crate::codec::datetime::iso_from_epoch_ms(i64::try_from(until).unwrap_or(i64::MAX)).as_deref())),
        ]));
        self.finish()
    }

    fn abort_with(&mut self, err: Error) -> Step {
        let cause = redact_error(err, &self.redactor).to_json();
        self.abort_rest(cause)
    }

    /// Every record not yet settled becomes `not_sent: aborted`; `cause` says why.
    fn abort_rest(&mut self, cause: Value) -> Step {
        for i in self.remaining() {
            self.report.set(self.items[i].index, Outcome::NotSent(Reason::Aborted));
        }
        self.report.stopped = Some(obj(vec![("reason", "aborted".into()), ("error", cause)]));
        self.finish()
    }

    fn finish(&mut self) -> Step {
        self.pending = Pending::Finished;
        self.in_flight = None;
        let report = self.report.to_json(&self.budget);
        Step::Done(self.redactor.value(report))
    }

    /// An internal error ends the sync with a report rather than losing it: the
    /// error is in `stopped`, and every record not settled is accounted for.
    fn fail_safe(&mut self, out: Result<Step>) -> Result<Step> {
        match out {
            Ok(step) => Ok(step),
            Err(e @ Error::Misuse { .. }) => Err(redact_error(e, &self.redactor)),
            Err(e) => {
                if let Some(batch) = self.in_flight.take() {
                    self.fail_batch(&batch, &Failure::crosswalk("aborted_in_flight", e.to_string(), true));
                }
                Ok(self.abort_with(e))
            }
        }
    }
}

/// Validates every record against the create operation's table and check, then
/// rejects every occurrence of a key repeated within a group (which version is
/// current cannot be known, and a batch map cannot hold the key twice).
impl Machine for SyncOperation {
    const COMPILED_IN: bool = !crate::providers::SYNCS.is_empty();

    fn safe_url(&self, req: &HttpRequest) -> String {
        req.safe_url(&self.redactor)
    }

    fn handle_response(&mut self, resp: HttpResponse, now_ms: u64) -> Result<Step> {
        if self.pending == Pending::Token {
            let step = token::pending_step(self.token.as_mut(), |m| m.handle_response(resp, now_ms));
            return self.token_step(step);
        }
        let out = self.on_response(resp, now_ms);
        self.fail_safe(out)
    }

    fn sending_token_request(&self) -> bool {
        self.pending == Pending::Token
    }

    fn handle_credentials(&mut self, credentials: &Value, now_ms: u64) -> Result<Step> {
        if self.pending != Pending::Token {
            return Err(Error::Misuse { reason: "handle_credentials called with no token request pending".into() });
        }
        token::take_supplied(&mut self.account, &mut self.redactor, credentials)?;
        self.token = None;
        self.renewed = true;
        let out = self.next(now_ms);
        self.fail_safe(out)
    }

    /// No response arrived. The batch is resent after backoff (a PUT of the same
    /// entities); after the last attempt its records fail and the sync stops,
    /// since the provider is unreachable.
    fn handle_transport_error(&mut self, reason: &str, now_ms: u64) -> Result<Step> {
        if self.pending == Pending::Token {
            let step = token::pending_step(self.token.as_mut(), |m| m.handle_transport_error(reason, now_ms));
            return self.token_step(step);
        }
        let out = (|| {
            let batch = self.take_in_flight()?;
            if batch.attempts < self.retry.max_attempts.max(1) {
                self.hold = Some(Hold::Backoff { until_ms: now_ms.saturating_add(self.backoff(batch.attempts)) });
                self.queue.push_front(batch);
                return self.next(now_ms);
            }
            let reason: String = self.redactor.text(reason).chars().take(300).collect();
            self.fail_batch(&batch, &Failure::crosswalk("network_error", format!("no response from {}: {reason}", self.def.provider.name), true));
            let err = Error::Network { provider: self.def.provider.name.to_string(), reason, attempts: batch.attempts };
            Ok(self.abort_with(err))
        })();
        self.fail_safe(out)
    }

    /// Continues after a [`Step::Wait`].
    fn resume(&mut self, now_ms: u64) -> Result<Step> {
        let out = match self.pending {
            Pending::Wait | Pending::CredentialsSaved => self.next(now_ms),
            Pending::Token => {
                let step = token::pending_step(self.token.as_mut(), |m| m.resume(now_ms));
                return self.token_step(step);
            }
            _ => Err(Error::Misuse { reason: "resume called while not waiting".into() }),
        };
        self.fail_safe(out)
    }
}

fn validate_all(def: &SyncDef, records: &[Value], query: &UnifiedQuery, report: &mut Report) -> Vec<Item> {
    let schema = crate::unified::models::resource(def.op.model, def.op.resource).map_or(&[][..], |r| r.body);
    let mut valid: Vec<(usize, Map<String, Value>, Option<Value>)> = Vec::new();
    for (index, record) in records.iter().enumerate() {
        let prefix = format!("records[{index}]");
        let Some(obj) = record.as_object() else {
            report.set(index, Outcome::NotSent(Reason::Validation(vec![Issue::new(&prefix, IssueCode::InvalidType, "must be an object")])));
            continue;
        };
        let checked = check(def.provider.name, schema, def.op.fields, obj, Side::Body, query.strict);
        let mut issues = checked.issues;
        if issues.is_empty() {
            if let Some(extra) = def.op.check {
                issues.extend(extra(&checked.fields));
            }
        }
        if !issues.is_empty() {
            let issues = issues.into_iter().map(|i| Issue { field: reprefix(&i.field, &prefix), ..i }).collect();
            report.identify(index, obj);
            report.set(index, Outcome::NotSent(Reason::Validation(issues)));
            continue;
        }
        report.warn(index, checked.warnings);
        valid.push((index, checked.fields, obj.get("remote_data").filter(|v| v.is_object()).cloned()));
    }
    let key_of = |f: &Map<String, Value>, name: &str| f.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
    // (group, key) → record indexes; the group's length keeps the pair unambiguous.
    let pair = |group: &str, key: &str| format!("{}:{group}{key}", group.len());
    let mut seen = Lists::default();
    for (index, fields, _) in &valid {
        seen.push(pair(&key_of(fields, def.group_field), &key_of(fields, def.key_field)), *index);
    }
    let mut items = Vec::new();
    for (index, fields, remote) in valid {
        let (group, key) = (key_of(&fields, def.group_field), key_of(&fields, def.key_field));
        report.identify(index, &fields);
        if let Some(all) = seen.get(&pair(&group, &key)).filter(|v| v.len() > 1) {
            let issue = Issue::new(format!("records[{index}].{}", def.key_field), IssueCode::Duplicate, format!("{} {key:?} appears {} times for {} {group:?} (records {all:?}); send one version", def.key_field, all.len(), def.group_field))
                .with_meta(obj(vec![("indexes", Value::Array(all.iter().map(|&i| i.into()).collect()))]));
            report.set(index, Outcome::NotSent(Reason::Validation(vec![issue])));
            continue;
        }
        let entity = (def.entity)(&fields, remote.as_ref());
        items.push(Item { index, group, key, entity });
    }
    items
}

fn reprefix(field: &str, prefix: &str) -> String {
    match field.strip_prefix("body") {
        Some(rest) => format!("{prefix}{rest}"),
        None => format!("{prefix}.{field}"),
    }
}

/// Groups items by `group` in order of first appearance, keeping the caller's order
/// inside each group, and cuts each group into batches of at most `size`.
fn plan_batches(items: &[Item], size: usize) -> VecDeque<Batch> {
    let mut groups = Lists::default();
    for (pos, item) in items.iter().enumerate() {
        groups.push(item.group.clone(), pos);
    }
    let mut queue = VecDeque::new();
    for (group, positions) in groups.in_order() {
        for chunk in positions.chunks(size) {
            queue.push_back(Batch { group: group.to_string(), items: chunk.to_vec(), attempts: 0 });
        }
    }
    queue
}

/// Lists of numbers under string keys, keys in first-seen order. The index is a
/// JSON `Map` (a `BTreeMap<String, Value>`) because that one is in the wasm
/// anyway: a map with another key or value type adds its own copy of the B-tree
/// code (~3 KB each).
#[derive(Default)]
struct Lists {
    slots: Map<String, Value>,
    lists: Vec<(String, Vec<usize>)>,
}

impl Lists {
    fn push(&mut self, key: String, n: usize) {
        let slot = match self.slots.get(&key).and_then(Value::as_u64) {
            Some(slot) => slot as usize,
            None => {
                self.slots.insert(key.clone(), self.lists.len().into());
                self.lists.push((key, Vec::new()));
                self.lists.len().saturating_sub(1)
            }
        };
        if let Some((_, list)) = self.lists.get_mut(slot) {
            list.push(n);
        }
    }
    fn get(&self, key: &str) -> Option<&Vec<usize>> {
        let slot = self.slots.get(key)?.as_u64()? as usize;
        self.lists.get(slot).map(|(_, list)| list)
    }
    fn in_order(&self) -> impl Iterator<Item = (&str, &[usize])> {
        self.lists.iter().map(|(k, list)| (k.as_str(), list.as_slice()))
    }
}

#[cfg(all(test, feature = "linkedin"))]
mod tests;
