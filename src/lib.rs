//! crosswalk — a sans-IO core that turns unified ATS/CRM requests into provider
//! HTTP requests, validates them first, and maps provider responses back.
//!
//! The core performs no I/O and reads no clock: [`Operation`] is a state machine
//! the driver (the npm package, a test, a Worker) feeds with responses and time.
//!
//! Layers, each importing only the ones below it (checked by `tests::layers`):
//! - [`facade`](facade): JSON in and out for both machines, coverage, the wasm exports;
//! - `engine`: the operation and bulk-sync state machines, retries, cursors;
//! - `providers`: the registry and one folder per provider;
//! - `provider`: the contract a provider fills and the exchange kits it builds from;
//! - `unified`: the unified models, their schema, validation, mapping and filters;
//! - `codec`: dates, numbers, JSON helpers, HTTP wire types, base64, redaction;
//! - `error`: typed errors, issues and warnings (only serde_json below it).
//!
//! The engine sits above the registry because it looks providers up by name; no
//! provider imports the engine.
//!
//! Numbers reach the core from providers, callers, cursors and headers, so no
//! arithmetic may wrap or panic: every operation is checked or saturating, and
//! `cargo xtask test` runs clippy with this lint denied. Tests may use plain
//! arithmetic on their own constants.

#![deny(clippy::arithmetic_side_effects)]
#![cfg_attr(test, allow(clippy::arithmetic_side_effects))]
// A build with some providers leaves helpers only the others use unused; the
// full build (the one CI checks, native and wasm32) must have no dead code.
#![cfg_attr(not(feature = "all-providers"), allow(dead_code, unused_imports))]

mod codec;
mod engine;
mod error;
mod facade;
mod provider;
mod providers;
mod unified;

#[cfg(test)]
mod tests;

// The public surface: what a Rust caller (the wasm facade, a native driver) uses.
pub use codec::http::{HttpRequest, HttpResponse, Method};
pub use engine::operation::{Operation, StartInput};
pub use engine::page::{Item, Page, PageResult};
pub use engine::step::{Machine, Step};
pub use engine::retry::RetryPolicy;
pub use engine::sync::{SyncInput, SyncOperation};
pub use error::{Error, Issue, IssueCode, Result, Warning};
pub use facade::{api, coverage};
pub use provider::account::Account;
pub use unified::query::{parse_query_string, UnifiedQuery};
pub use unified::record::Record;
