//! The wasm-bindgen facade: strings in, strings out, no mapping logic. JSON text
//! crosses the boundary (one `JSON.parse` on the JS side per step), which measured
//! faster than building JS objects field by field for large pages (bench/).

use std::sync::atomic::{AtomicBool, Ordering};

use wasm_bindgen::prelude::*;

use crate::facade::api;
use crate::engine::operation::Operation;

// With the `talc` feature, Talc replaces the default dlmalloc: smaller in wasm,
// somewhat slower (docs/SIZE.md). Single-threaded wasm only, which is all this
// crate targets.
#[cfg(all(feature = "talc", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

fn now(ms: f64) -> u64 {
    // The driver's clock; clamped (explicitly) to what a JS number holds exactly.
    if ms.is_finite() && ms > 0.0 { ms.min(crate::codec::convert::MAX_SAFE_INT as f64) as u64 } else { 0 }
}

/// Test hook, not an input path: `__crosswalk_test_trap()` makes the next handle
/// step or plan/validate call panic (not the account check before a handle), so
/// the driver's trap recovery is tested on a real wasm trap while the provider
/// bugs that used to cause them get fixed. It is
/// harmless in production: it can only fail the caller's own next call, which the
/// driver reports as `internal_trap` and recovers from.
static TRAP_ARMED: AtomicBool = AtomicBool::new(false);

#[wasm_bindgen(js_name = "__crosswalk_test_trap")]
pub fn arm_test_trap() {
    TRAP_ARMED.store(true, Ordering::Relaxed);
}

fn test_trap() {
    if TRAP_ARMED.swap(false, Ordering::Relaxed) {
        panic!("crosswalk test trap");
    }
}

fn error_text(e: crate::Error) -> String {
    format!("{{\"error\":{}}}", e.to_json())
}

/// One unified operation in flight; every method returns step JSON:
/// `{"send":{…}}`, `{"wait":{…}}`, `{"done":…}` or `{"error":{…}}`.
#[wasm_bindgen]
pub struct Handle {
    op: Option<Operation>,
    first: Option<String>,
}

#[wasm_bindgen]
impl Handle {
    #[wasm_bindgen(constructor)]
    pub fn new(input: &str, now_ms: f64) -> Handle {
        let started = api::parse_input(input).and_then(api::start_input).and_then(|i| Operation::start(i, now(now_ms)));
        match started {
            Ok((op, step)) => {
                let first = api::step_json(Some(&op), Ok(step));
                Handle { op: Some(op), first: Some(first) }
            }
            Err(e) => Handle { op: None, first: Some(error_text(e)) },
        }
    }

    /// The first step (once).
    pub fn first(&mut self) -> String {
        self.first.take().unwrap_or_else(|| error_text(crate::Error::Misuse { reason: "first() called twice".into() }))
    }

    pub fn response(&mut self, status: u16, headers_json: &str, body: &str, now_ms: f64) -> String {
        let headers = crate::HttpResponse::headers_from_json(headers_json);
        let resp = crate::HttpResponse { status, headers, body: body.to_string() };
        self.with_op(|op| op.handle_response(resp, now(now_ms)))
    }

    pub fn transport_error(&mut self, reason: &str, now_ms: f64) -> String {
        self.with_op(|op| op.handle_transport_error(reason, now(now_ms)))
    }

    pub fn resume(&mut self, now_ms: f64) -> String {
        self.with_op(|op| op.resume(now(now_ms)))
    }

    /// The next page, within a deadline of its own (`deadline_ms` < 0: none): a
    /// stream of pages is bounded per page, not as a whole.
    pub fn next_page(&mut self, now_ms: f64, deadline_ms: f64) -> String {
        let deadline = (deadline_ms >= 0.0).then(|| now(deadline_ms));
        self.with_op(|op| {
            op.set_deadline(deadline);
            op.next_page(now(now_ms))
        })
    }

    /// Whether `next_page` may be called (false on the last page and at `max_pages`,
    /// even when the page carries a `next_cursor` for a later call).
    pub fn has_next_page(&self) -> bool {
        self.op.as_ref().is_some_and(Operation::has_next_page)
    }

    fn with_op(&mut self, f: impl FnOnce(&mut Operation) -> crate::error::Result<crate::Step>) -> String {
        test_trap();
        match self.op.as_mut() {
            Some(op) => {
                let step = f(op);
                api::step_json(Some(op), step)
            }
            None => error_text(crate::Error::Misuse { reason: "the operation failed to start".into() }),
        }
    }
}

/// A bulk sync in flight (`crate::engine::sync`); same step JSON as [`Handle`], and
/// `abort` ends it with a report.
#[wasm_bindgen]
pub struct SyncHandle {
    op: Option<crate::engine::sync::SyncOperation>,
    first: Option<String>,
}

#[wasm_bindgen]
impl SyncHandle {
    #[wasm_bindgen(constructor)]
    pub fn new(input: &str, now_ms: f64) -> SyncHandle {
        let started = api::parse_input(input)
            // Checked before reading the input, so a build without syncs has none of
            // that code either.
            .and_then(|v| if crate::providers::SYNCS.is_empty() { Err(crate::engine::sync::no_sync(&v)) } else { crate::engine::sync::SyncInput::from_json(&v) })
            .and_then(|i| crate::engine::sync::SyncOperation::start(i, now(now_ms)));
        match started {
            Ok((op, step)) => {
                let first = crate::engine::sync::step_json(Some(&op), Ok(step));
                SyncHandle { op: Some(op), first: Some(first) }
            }
            Err(e) => SyncHandle { op: None, first: Some(error_text(e)) },
        }
    }

    pub fn first(&mut self) -> String {
        self.first.take().unwrap_or_else(|| error_text(crate::Error::Misuse { reason: "first() called twice".into() }))
    }

    pub fn response(&mut self, status: u16, headers_json: &str, body: &str, now_ms: f64) -> String {
        let headers = crate::HttpResponse::headers_from_json(headers_json);
        let resp = crate::HttpResponse { status, headers, body: body.to_string() };
        self.with_op(|op| op.handle_response(resp, now(now_ms)))
    }

    pub fn transport_error(&mut self, reason: &str, now_ms: f64) -> String {
        self.with_op(|op| op.handle_transport_error(reason, now(now_ms)))
    }

    pub fn resume(&mut self, now_ms: f64) -> String {
        self.with_op(|op| op.resume(now(now_ms)))
    }

    pub fn abort(&mut self, reason: &str) -> String {
        self.with_op(|op| op.abort(reason))
    }

    fn with_op(&mut self, f: impl FnOnce(&mut crate::engine::sync::SyncOperation) -> crate::error::Result<crate::Step>) -> String {
        test_trap();
        // A build without a provider that has a bulk sync never starts one; saying
        // so here lets the compiler drop the sync machinery from such a build.
        match self.op.as_mut().filter(|_| !crate::providers::SYNCS.is_empty()) {
            Some(op) => {
                let step = f(op);
                crate::engine::sync::step_json(Some(op), step)
            }
            None => error_text(crate::Error::Misuse { reason: "the sync failed to start".into() }),
        }
    }
}

#[wasm_bindgen]
pub fn plan(input: &str, now_ms: f64) -> String {
    test_trap();
    match api::parse_input(input).and_then(|v| api::plan(v, now(now_ms))) {
        Ok(v) => v.to_string(),
        Err(e) => error_text(e),
    }
}

#[wasm_bindgen]
pub fn validate(input: &str) -> String {
    test_trap();
    match api::parse_input(input) {
        Ok(v) => api::validate(&v).to_string(),
        Err(e) => error_text(e),
    }
}

#[wasm_bindgen]
pub fn validate_account(input: &str) -> String {
    match api::parse_input(input) {
        Ok(v) => api::validate_account(&v).to_string(),
        Err(e) => error_text(e),
    }
}

#[wasm_bindgen]
pub fn coverage() -> String {
    crate::facade::coverage::coverage().to_string()
}

#[wasm_bindgen]
pub fn providers() -> String {
    crate::facade::coverage::providers().to_string()
}

#[wasm_bindgen]
pub fn schema(model: &str, resource: &str) -> String {
    crate::facade::coverage::schema(model, resource).unwrap_or(serde_json::Value::Null).to_string()
}

#[wasm_bindgen]
pub fn parse_query(qs: &str) -> String {
    crate::unified::query::parse_query_string(qs).to_string()
}

#[wasm_bindgen]
pub fn sandbox_respond(request: &str, now_ms: f64) -> String {
    match api::parse_input(request) {
        Ok(v) => api::sandbox_respond(&v, now(now_ms)).to_string(),
        Err(e) => error_text(e),
    }
}

#[wasm_bindgen]
pub fn sandbox_reset() {
    crate::providers::sandbox::server::reset();
}
