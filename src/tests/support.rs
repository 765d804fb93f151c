//! Test drivers: replay scripted provider responses through the same step loop the
//! JS driver runs, on a fake clock, and fail past a step bound so a looping
//! operation ends the test instead of hanging it.

use std::collections::VecDeque;

use serde_json::{json, Value};

use crate::error::Error;
use crate::codec::http::{HttpRequest, HttpResponse};
use crate::engine::operation::{Operation, StartInput};
use crate::engine::step::Step;
use crate::engine::step::Machine;

pub const MAX_STEPS: usize = 500;
pub const T0: u64 = 1_767_225_600_000;

/// Reads `tests/fixtures/<path>` as JSON.
pub fn fixture(path: &str) -> Value {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// Responses to hand out in order.
#[derive(Default, Clone)]
pub struct Script(pub VecDeque<HttpResponse>);

impl Script {
    pub fn ok(status: u16, body: &Value) -> Script {
        Script::default().then(status, body)
    }
    pub fn then(mut self, status: u16, body: &Value) -> Script {
        self.0.push_back(HttpResponse::new(status, body.to_string()));
        self
    }
    pub fn then_response(mut self, resp: HttpResponse) -> Script {
        self.0.push_back(resp);
        self
    }
}

/// Drives one operation to its first `Done` (or error), answering each `Send`
/// from the script, sleeping on the fake clock for each `Wait`.
pub fn drive(input: StartInput, script: Script) -> (Vec<HttpRequest>, Result<Value, Error>) {
    drive_started(Operation::start(input, T0), script)
}

/// [`drive`] for an operation already started at `T0` (a passthrough).
pub fn drive_started(started: Result<(Operation, Step), Error>, mut script: Script) -> (Vec<HttpRequest>, Result<Value, Error>) {
    let mut sent = Vec::new();
    let mut now = T0;
    let (mut op, mut step) = match started {
        Ok(x) => x,
        Err(e) => return (sent, Err(e)),
    };
    for _ in 0..MAX_STEPS {
        let next = match step {
            Step::Record(r) => { step = Step::Done(r.into_value()); continue; }
            Step::Page(p) => { step = Step::Done(p.into_value()); continue; }
            Step::Done(v) => return (sent, Ok(v)),
            Step::Credentials(_) => op.resume(now),
            Step::Wait { until_ms, .. } => {
                assert!(until_ms >= now, "wait goes back in time");
                now = until_ms;
                op.resume(now)
            }
            Step::Send(req) => {
                sent.push(req);
                let resp = script.0.pop_front().unwrap_or_else(|| panic!("script ran out after {} requests", sent.len()));
                now += 1;
                op.handle_response(resp, now)
            }
        };
        step = match next {
            Ok(s) => s,
            Err(e) => return (sent, Err(e)),
        };
    }
    panic!("operation did not finish within {MAX_STEPS} steps");
}

pub fn input(account: Value, model: &str, resource: &str, method: &str, id: Option<&str>, body: Value, query: Value) -> StartInput {
    StartInput::from_json(&json!({
        "account": account, "model": model, "resource": resource, "method": method, "id": id, "body": body, "query": query,
    }))
    .expect("test input")
}

pub fn run_create(provider: &str, credentials: Value, body: Value, query: Value, script: Script) -> (Vec<HttpRequest>, Result<Value, Error>) {
    run_create_with(json!({"id": "acc", "provider": provider, "credentials": credentials}), body, query, script)
}

pub fn run_create_with(account: Value, body: Value, query: Value, script: Script) -> (Vec<HttpRequest>, Result<Value, Error>) {
    drive(input(account, "ats", "activities", "create", None, body, query), script)
}

/// The unified error JSON of starting an ATS activity create.
pub fn start_err(provider: &str, body: Value) -> Value {
    start_err_with(json!({"provider": provider, "credentials": {"api_key": "k"}}), body)
}

pub fn start_err_with(account: Value, body: Value) -> Value {
    match Operation::start(input(account, "ats", "activities", "create", None, body, json!({})), T0) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_json(),
    }
}

/// Answers sends from the embedded sandbox server.
pub fn sandbox_answer(req: &HttpRequest, now: u64) -> HttpResponse {
    let headers = serde_json::to_value(&req.headers).unwrap();
    let body = serde_json::to_value(req).unwrap()["body"].as_str().unwrap_or("").to_string();
    crate::providers::sandbox::server::respond(req.method.as_str(), &req.url, headers.as_object().unwrap(), &body, now)
}

pub fn run_sandbox(model: &str, resource: &str, method: &str, id: Option<&str>, body: Value, query: Value) -> Result<Value, Error> {
    let account = json!({"id": "sb", "provider": "sandbox"});
    let (mut op, mut step) = Operation::start(input(account, model, resource, method, id, body, query), T0)?;
    let mut now = T0;
    for _ in 0..MAX_STEPS {
        step = match step {
            Step::Record(r) => { step = Step::Done(r.into_value()); continue; }
            Step::Page(p) => { step = Step::Done(p.into_value()); continue; }
            Step::Done(v) => return Ok(v),
            Step::Credentials(_) => op.resume(now)?,
            Step::Wait { until_ms, .. } => {
                now = until_ms;
                op.resume(now)?
            }
            Step::Send(req) => op.handle_response(sandbox_answer(&req, now), now)?,
        };
    }
    panic!("sandbox operation did not finish");
}

/// Every page of a sandbox list, following `next_page` on one operation.
pub fn drive_sandbox_pages(model: &str, resource: &str, query: Value, max_pages: usize) -> Result<Vec<Value>, Error> {
    let account = json!({"id": "sb", "provider": "sandbox"});
    let (mut op, mut step) = Operation::start(input(account, model, resource, "list", None, Value::Null, query), T0)?;
    let mut pages = Vec::new();
    for _ in 0..MAX_STEPS {
        step = match step {
            Step::Record(r) => { step = Step::Done(r.into_value()); continue; }
            Step::Page(p) => { step = Step::Done(p.into_value()); continue; }
            Step::Done(v) => {
                pages.push(v);
                if !op.has_next_page() || pages.len() >= max_pages {
                    return Ok(pages);
                }
                op.next_page(T0)?
            }
            Step::Credentials(_) => op.resume(T0)?,
            Step::Wait { until_ms, .. } => op.resume(until_ms)?,
            Step::Send(req) => op.handle_response(sandbox_answer(&req, T0), T0)?,
        };
    }
    panic!("paging did not finish");
}

/// Drives a list over scripted pages, collecting every page via `next_page`.
pub fn drive_pages(input: StartInput, mut script: Script) -> (Vec<HttpRequest>, Result<Vec<Value>, Error>) {
    let mut sent = Vec::new();
    let mut pages = Vec::new();
    let (mut op, mut step) = match Operation::start(input, T0) {
        Ok(x) => x,
        Err(e) => return (sent, Err(e)),
    };
    for _ in 0..MAX_STEPS {
        let next = match step {
            Step::Record(r) => { step = Step::Done(r.into_value()); continue; }
            Step::Page(p) => { step = Step::Done(p.into_value()); continue; }
            Step::Done(v) => {
                pages.push(v);
                if !op.has_next_page() {
                    return (sent, Ok(pages));
                }
                op.next_page(T0)
            }
            Step::Credentials(_) => op.resume(T0),
            Step::Wait { until_ms, .. } => op.resume(until_ms),
            Step::Send(req) => {
                sent.push(req);
                match script.0.pop_front() {
                    Some(resp) => op.handle_response(resp, T0),
                    None => panic!("script ran out after {} requests", sent.len()),
                }
            }
        };
        step = match next {
            Ok(s) => s,
            Err(e) => return (sent, Err(e)),
        };
    }
    panic!("paging did not finish within {MAX_STEPS} steps");
}
