//! crosswalk — a sans-IO core that turns unified ATS/CRM requests into provider
//! HTTP requests, validates them first, and maps provider responses back.
//!
//! The core performs no I/O and reads no clock: [`Operation`] is a state machine
//! the driver (the npm package, a test, a Worker) feeds with responses and time.
//!
//! Layers, each importing only the ones below it (checked by `cargo xtask layers`):
//! - [`facade`](facade): JSON in and out for both machines, coverage, the wasm exports;
//! - `engine`: the operation and bulk-sync state machines, retries, cursors;
//! - `providers`: the registry and one folder per provider;
//! - `provider`: the contract a provider fills and the exchange kits it builds from;
//! - `unified`: the unified models, their schema, validation, mapping and filters;
//! - `error`: typed errors, issues and warnings;
//! - `codec`: dates, numbers, JSON helpers, HTTP wire types, base64, redaction.
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
pub use engine::operation::{Operation, StartInput, Step};
pub use engine::retry::RetryPolicy;
pub use engine::sync::{SyncInput, SyncOperation};
pub use error::{Error, Issue, IssueCode, Result, Warning};
pub use facade::api;
pub use facade::coverage::{coverage, providers, schema};
pub use provider::account::Account;
pub use unified::query::{parse_query_string, UnifiedQuery};
