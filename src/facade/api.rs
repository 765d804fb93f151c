//! JSON-in, JSON-out entry points: what the wasm facade exposes and what native
//! tests call. Errors come back as the unified error JSON.

use serde_json::Value;

use crate::codec::json::obj;

use crate::error::Error;
use crate::codec::input::MAX_INPUT_BYTES;
use crate::engine::operation::{prepare, Operation, StartInput};
use crate::engine::passthrough::PassthroughInput;
use crate::engine::step::{Machine, Step};
use crate::engine::sync::{SyncInput, SyncOperation};
use crate::engine::token::{token_input, TokenOperation};
use crate::providers::SYNCS;

pub fn parse_input(text: &str) -> Result<Value, Error> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(Error::PayloadTooLarge { limit: MAX_INPUT_BYTES });
    }
    serde_json::from_str(text).map_err(|e| Error::invalid(format!("input is not JSON: {e}")))
}

pub fn start_input(v: Value) -> Result<StartInput, Error> {
    StartInput::from_json(&v)
}

/// Starts a unified operation, or a passthrough (an input with `passthrough`),
/// from its JSON input.
pub fn start_operation(input: &str, now_ms: u64) -> Result<(Operation, Step), Error> {
    parse_input(input).and_then(|v| start_value(v, now_ms))
}

fn start_value(v: Value, now_ms: u64) -> Result<(Operation, Step), Error> {
    if v.get("passthrough").is_some() {
        Operation::passthrough(PassthroughInput::from_json(&v)?, now_ms)
    } else {
        Operation::start(start_input(v)?, now_ms)
    }
}

/// Starts a token request (renewal, or the code exchange of the connect flow)
/// from its JSON input (see [`token_input`]).
pub fn start_token(input: &str, now_ms: u64) -> Result<(TokenOperation, Step), Error> {
    let v = parse_input(input)?;
    let (account, grant, force, retry) = token_input(&v)?;
    TokenOperation::start(account, grant, force, retry, now_ms)
}

/// The URL that starts the connect flow: `{ account, redirect_uri, state,
/// code_challenge? }` → `{ url }`. The account carries the provider, its
/// `oauth_app.client_id` and the context the sign-in host depends on.
pub fn authorize_url(input: &Value) -> Result<Value, Error> {
    use crate::codec::input::*;
    let m = object(input, "input")?;
    deny_unknown(m, &["account", "redirect_uri", "state", "code_challenge"])?;
    let account = crate::provider::account::Account::from_json(field(m, "account")?)?;
    account.check()?;
    let provider = crate::providers::find(&account.provider).ok_or_else(|| Error::UnknownProvider { provider: account.provider.clone() })?;
    let url = crate::engine::token::authorize_url(provider, &account, &string(m, "redirect_uri")?, &string(m, "state")?, opt_string(m, "code_challenge")?.as_deref())?;
    Ok(obj(vec![("url", Value::String(url))]))
}

/// Starts a bulk sync from its JSON input.
pub fn start_sync(input: &str, now_ms: u64) -> Result<(SyncOperation, Step), Error> {
    let v = parse_input(input)?;
    // Checked before reading the input, so a build without syncs has none of that
    // code either.
    if SYNCS.is_empty() {
        return Err(no_sync(&v));
    }
    SyncOperation::start(SyncInput::from_json(&v)?, now_ms)
}

/// The error for a sync in a build without any provider that offers one.
fn no_sync(input: &Value) -> Error {
    let s = |path: &str| input.pointer(path).and_then(Value::as_str).unwrap_or_default().to_string();
    Error::UnsupportedOperation { provider: s("/account/provider"), model: s("/model"), resource: s("/resource"), method: "sync".into() }
}

/// The first provider request for a unified request, with secrets redacted.
pub fn plan(input: Value, now_ms: u64) -> Result<Value, Error> {
    let (mut op, step) = start_value(input, now_ms)?;
    let mut requests = Vec::new();
    let extra = match step {
        Step::Send(req) => {
            let mut shown = op.redact(&req).to_json();
            if op.sending_token_request() {
                // The account's token is renewed first; the unified request follows,
                // shown with a stand-in token (its auth header is redacted either way).
                shown["token_request"] = Value::Bool(true);
                requests.push(shown);
                let stand_in = obj(vec![("credentials", obj(vec![("access_token", Value::String("renewed-access-token".into()))]))]);
                if let Ok(Step::Send(next)) = op.handle_credentials(&stand_in, now_ms) {
                    requests.push(op.redact(&next).to_json());
                }
                return Ok(obj(vec![("requests", Value::Array(requests))]));
            }
            requests.push(shown);
            None
        }
        Step::Credentials(_) => None,
        Step::Wait { until_ms, reason } => Some(("wait", wait_json(until_ms, reason))),
        Step::Done(v) => Some(("result", v)),
        Step::Page(p) => Some(("result", p.into_value())),
        Step::Record(r) => Some(("result", r.into_value())),
    };
    let mut pairs = vec![("requests", Value::Array(requests))];
    pairs.extend(extra);
    Ok(obj(pairs))
}

/// Validation only: `{ valid, errors: [{field, code, message}], warnings }`.
pub fn validate(input: &Value) -> Value {
    let s = |k: &str| input.get(k).and_then(Value::as_str).unwrap_or_default();
    let body = input.get("body").cloned().unwrap_or(Value::Null);
    let query = input.get("query").cloned().unwrap_or(Value::Null);
    let id = input.get("id").and_then(Value::as_str);
    // Validation without a record id: pretend one exists so get/update/delete
    // bodies can be checked on their own.
    let id = id.or(Some("_"));
    match prepare(s("provider"), s("model"), s("resource"), s("method"), id, &body, &query) {
        Ok(p) => obj(vec![("valid", true.into()), ("errors", Value::Array(vec![])), ("warnings", crate::error::warnings_json(&p.warnings))]),
        Err(e) => {
            let j = e.to_json();
            let errors = match &e {
                Error::Validation { .. } => j["details"].clone(),
                _ => Value::Array(vec![obj(vec![("field", "".into()), ("code", j["code"].clone()), ("message", j["message"].clone())])]),
            };
            obj(vec![("valid", false.into()), ("errors", errors), ("warnings", Value::Array(vec![]))])
        }
    }
}

/// Account validation: `{ valid, errors: [{field, code, message}] }`, the rules
/// of [`crate::facade::account_check::problems`] (what `POST /integrated-accounts` and
/// `createClient` check before storing or using an account).
pub fn validate_account(input: &Value) -> Value {
    let issues = crate::facade::account_check::problems(input);
    obj(vec![("valid", issues.is_empty().into()), ("errors", crate::error::issues_json(&issues))])
}

/// `{ status, headers, body }` from the embedded sandbox backend.
pub fn sandbox_respond(req: &Value, now_ms: u64) -> Value {
    let method = req.get("method").and_then(Value::as_str).unwrap_or("GET");
    let url = req.get("url").and_then(Value::as_str).unwrap_or("");
    let empty = serde_json::Map::new();
    let headers = req.get("headers").and_then(Value::as_object).unwrap_or(&empty);
    let body = req.get("body").and_then(Value::as_str).unwrap_or("");
    let r = crate::providers::sandbox::server::respond(method, url, headers, body, now_ms);
    let headers = r.headers.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    obj(vec![("status", r.status.into()), ("headers", Value::Object(headers)), ("body", Value::String(r.body))])
}

/// Puts the embedded sandbox backend back in its seeded state.
pub fn sandbox_reset() {
    crate::providers::sandbox::server::reset();
}

/// Serializes a step of either machine for the driver: `{send}`, `{wait}`,
/// `{done}` or `{error}`.
pub fn step_json<M: Machine>(op: Option<&M>, step: Result<Step, Error>) -> String {
    match step {
        Ok(Step::Send(req)) => {
            let safe = op.map(|o| o.safe_url(&req)).unwrap_or_default();
            let mut v = req.to_json();
            v["safe_url"] = Value::String(safe);
            if op.is_some_and(Machine::sending_token_request) {
                v["token_request"] = Value::Bool(true);
            }
            let mut out = String::with_capacity(256);
            out.push_str("{\"send\":");
            out.push_str(&crate::codec::json_out::to_text(&v));
            out.push('}');
            out
        }
        Ok(Step::Wait { until_ms, reason }) => format!("{{\"wait\":{}}}", wait_json(until_ms, reason)),
        Ok(Step::Credentials(v)) => format!("{{\"credentials\":{v}}}"),
        Ok(Step::Done(v)) => done_json(|out| crate::codec::json_out::write_value(out, &v)),
        // A page's records are written straight from their fields.
        Ok(Step::Page(page)) => done_json(|out| page.write_json(out)),
        Ok(Step::Record(record)) => done_json(|out| record.write_json(out)),
        Err(e) => format!("{{\"error\":{}}}", e.to_json()),
    }
}

/// `{"done": …}`, written straight into one buffer: a page can be megabytes.
fn done_json(write: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(b"{\"done\":");
    write(&mut out);
    out.push(b'}');
    String::from_utf8(out).unwrap_or_default()
}

fn wait_json(until_ms: u64, reason: String) -> Value {
    obj(vec![("until_ms", until_ms.into()), ("reason", Value::String(reason))])
}
