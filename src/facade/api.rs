//! JSON-in, JSON-out entry points: what the wasm facade exposes and what native
//! tests call. Errors come back as the unified error JSON.

use serde_json::Value;

use crate::codec::convert::obj;

use crate::error::Error;
use crate::engine::operation::{prepare, Operation, StartInput, Step};

/// Inputs larger than this are refused before parsing further.
pub const MAX_INPUT_BYTES: usize = 8 * 1024 * 1024;

/// Nesting deeper than this is refused (serde_json's own parse limit, applied
/// to values that never went through the parser).
pub const MAX_DEPTH: usize = 128;

/// Refuses a value built in memory (not parsed) that is larger or deeper than
/// parsed input may be, so native callers get the same clean 413/400 as the wasm
/// facade. Stops counting at the limit.
pub fn check_value(v: &Value, field: &str) -> Result<(), Error> {
    fn too_deep(v: &Value, depth: usize) -> bool {
        depth > MAX_DEPTH
            || match v {
                Value::Array(items) => items.iter().any(|x| too_deep(x, depth.saturating_add(1))),
                Value::Object(m) => m.values().any(|x| too_deep(x, depth.saturating_add(1))),
                _ => false,
            }
    }
    if too_deep(v, 0) {
        return Err(Error::invalid(format!("{field} is nested deeper than {MAX_DEPTH} levels")));
    }
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 = self.0.saturating_add(buf.len());
            if self.0 > MAX_INPUT_BYTES {
                return Err(std::io::Error::other("too large"));
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    match serde_json::to_writer(Count(0), v) {
        Err(_) => Err(Error::PayloadTooLarge { limit: MAX_INPUT_BYTES }),
        Ok(()) => Ok(()),
    }
}

pub fn parse_input(text: &str) -> Result<Value, Error> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(Error::PayloadTooLarge { limit: MAX_INPUT_BYTES });
    }
    serde_json::from_str(text).map_err(|e| Error::invalid(format!("input is not JSON: {e}")))
}

pub fn start_input(v: Value) -> Result<StartInput, Error> {
    StartInput::from_json(&v)
}

/// The first provider request for a unified request, with secrets redacted.
pub fn plan(input: Value, now_ms: u64) -> Result<Value, Error> {
    let input = start_input(input)?;
    let (op, step) = Operation::start(input, now_ms)?;
    let mut requests = Vec::new();
    let extra = match step {
        Step::Send(req) => {
            requests.push(op.redact(&req).to_json());
            None
        }
        Step::Wait { until_ms, reason } => Some(("wait", wait_json(until_ms, reason))),
        Step::Done(v) => Some(("result", v)),
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
/// of [`crate::provider::account::problems`] (what `POST /integrated-accounts` and
/// `createClient` check before storing or using an account).
pub fn validate_account(input: &Value) -> Value {
    let issues = crate::provider::account::problems(input);
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

/// Serializes a step for the driver: `{send}`, `{wait}`, `{done}` or `{error}`.
pub fn step_json(op: Option<&Operation>, step: Result<Step, Error>) -> String {
    match step {
        Ok(Step::Send(req)) => {
            let safe = op.map(|o| o.safe_url(&req)).unwrap_or_default();
            let mut v = req.to_json();
            v["safe_url"] = Value::String(safe);
            let mut out = String::with_capacity(256);
            out.push_str("{\"send\":");
            out.push_str(&v.to_string());
            out.push('}');
            out
        }
        Ok(Step::Wait { until_ms, reason }) => format!("{{\"wait\":{}}}", wait_json(until_ms, reason)),
        Ok(Step::Done(v)) => {
            // Written straight into one buffer: a page can be megabytes.
            let mut out = Vec::with_capacity(4096);
            out.extend_from_slice(b"{\"done\":");
            if serde_json::to_writer(&mut out, &v).is_err() {
                out.truncate(8);
                out.extend_from_slice(b"null");
            }
            out.push(b'}');
            String::from_utf8(out).unwrap_or_default()
        }
        Err(e) => format!("{{\"error\":{}}}", e.to_json()),
    }
}

fn wait_json(until_ms: u64, reason: String) -> Value {
    obj(vec![("until_ms", until_ms.into()), ("reason", Value::String(reason))])
}
