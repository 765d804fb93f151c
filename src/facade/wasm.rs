//! The wasm-bindgen facade: strings in, strings out, no mapping logic. JSON text
//! crosses the boundary (one `JSON.parse` on the JS side per step), which measured
//! faster than building JS objects field by field for large pages (bench/).

use std::sync::atomic::{AtomicBool, Ordering};

use wasm_bindgen::prelude::*;

use crate::facade::api;
use crate::{Machine, Operation, Step, SyncOperation};

// With the `talc` feature, Talc replaces the default dlmalloc: smaller in wasm,
// somewhat slower (docs/SIZE.md). Single-threaded wasm only, which is all this
// crate targets.
#[cfg(all(feature = "talc", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

fn now(ms: f64) -> u64 {
    // The driver's clock; clamped (explicitly) to what a JS number holds exactly.
    if ms.is_finite() && ms > 0.0 { ms.min(crate::codec::numbers::MAX_SAFE_INT as f64) as u64 } else { 0 }
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

/// A machine in flight behind a handle: the first step (returned once) and the
/// machine, or only the error it failed to start with.
struct Driven<M> {
    machine: Option<M>,
    first: Option<String>,
}

impl<M: Machine> Driven<M> {
    fn started(started: crate::Result<(M, Step)>) -> Self {
        match started {
            Ok((machine, step)) => {
                let first = api::step_json(Some(&machine), Ok(step));
                Driven { machine: Some(machine), first: Some(first) }
            }
            Err(e) => Driven { machine: None, first: Some(error_text(e)) },
        }
    }

    fn first(&mut self) -> String {
        self.first.take().unwrap_or_else(|| error_text(crate::Error::Misuse { reason: "first() called twice".into() }))
    }

    fn step(&mut self, f: impl FnOnce(&mut M) -> crate::Result<Step>) -> String {
        test_trap();
        // A machine this build has no provider for is never stepped; saying so
        // lets the compiler drop its code from such a build.
        match self.machine.as_mut().filter(|_| M::COMPILED_IN) {
            Some(machine) => {
                let step = f(machine);
                api::step_json(Some(machine), step)
            }
            None => error_text(crate::Error::Misuse { reason: "the operation failed to start".into() }),
        }
    }
}

/// A wasm-bindgen handle class over [`Driven`]: the constructor and the step
/// methods both machines share, plus the methods given.
macro_rules! handle {
    ($(#[$doc:meta])* $name:ident($machine:ty, $start:path) { $($extra:tt)* }) => {
        $(#[$doc])*
        #[wasm_bindgen]
        pub struct $name(Driven<$machine>);

        #[wasm_bindgen]
        impl $name {
            #[wasm_bindgen(constructor)]
            pub fn new(input: &str, now_ms: f64) -> $name {
                $name(Driven::started($start(input, now(now_ms))))
            }

            /// The first step (once).
            pub fn first(&mut self) -> String {
                self.0.first()
            }

            /// `body`: the answer's bytes (decoded here, as `TextDecoder` would).
            pub fn response(&mut self, status: u16, headers_json: &str, body: &[u8], now_ms: f64) -> String {
                let resp = crate::HttpResponse { status, headers: crate::HttpResponse::headers_from_json(headers_json), body: crate::HttpResponse::text_of(body) };
                self.0.step(|m| m.handle_response(resp, now(now_ms)))
            }

            pub fn transport_error(&mut self, reason: &str, now_ms: f64) -> String {
                self.0.step(|m| m.handle_transport_error(reason, now(now_ms)))
            }

            pub fn resume(&mut self, now_ms: f64) -> String {
                self.0.step(|m| m.resume(now(now_ms)))
            }

            /// Answers a pending token request with credentials obtained elsewhere.
            pub fn credentials(&mut self, credentials_json: &str, now_ms: f64) -> String {
                self.0.step(|m| api::parse_input(credentials_json).and_then(|v| m.handle_credentials(&v, now(now_ms))))
            }

            $($extra)*
        }
    };
}

handle! {
    /// One unified operation in flight; every method returns step JSON:
    /// `{"send":{…}}`, `{"wait":{…}}`, `{"done":…}` or `{"error":{…}}`.
    Handle(Operation, api::start_operation) {
        /// The next page, within a deadline of its own (`deadline_ms` < 0: none): a
        /// stream of pages is bounded per page, not as a whole.
        pub fn next_page(&mut self, now_ms: f64, deadline_ms: f64) -> String {
            let deadline = (deadline_ms >= 0.0).then(|| now(deadline_ms));
            self.0.step(|op| {
                op.set_deadline(deadline);
                op.next_page(now(now_ms))
            })
        }

        /// Whether `next_page` may be called (false on the last page and at `max_pages`,
        /// even when the page carries a `next_cursor` for a later call).
        pub fn has_next_page(&self) -> bool {
            self.0.machine.as_ref().is_some_and(Operation::has_next_page)
        }
    }
}

handle! {
    /// A bulk sync in flight (see the engine's sync module); same step JSON as
    /// [`Handle`], and `abort` ends it with a report.
    SyncHandle(SyncOperation, api::start_sync) {
        pub fn abort(&mut self, reason: &str) -> String {
            self.0.step(|op| op.abort(reason))
        }
    }
}

handle! {
    /// A token request in flight (renewal or the connect flow's code exchange);
    /// `done` is `{ account_id, credentials, context }`.
    TokenHandle(crate::engine::token::TokenOperation, api::start_token) {}
}

#[wasm_bindgen]
pub fn authorize_url(input: &str) -> String {
    match api::parse_input(input).and_then(|v| api::authorize_url(&v)) {
        Ok(v) => v.to_string(),
        Err(e) => error_text(e),
    }
}

#[wasm_bindgen]
pub fn plan(input: &str, now_ms: f64) -> String {
    test_trap();
    match api::parse_input(input).and_then(|v| api::plan(v, now(now_ms))) {
        Ok(v) => crate::codec::json_out::to_text(&v),
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
    api::sandbox_reset();
}
