//! crosswalk — a sans-IO core that turns unified ATS/CRM requests into provider
//! HTTP requests, validates them first, and maps provider responses back.
//!
//! The core performs no I/O and reads no clock: [`Operation`] is a state machine
//! the driver (the npm package, a test, a Worker) feeds with responses and time.
//!
//! Numbers reach the core from providers, callers, cursors and headers, so no
//! arithmetic may wrap or panic: every operation is checked or saturating, and
//! `cargo xtask test` runs clippy with this lint denied. Tests may use plain
//! arithmetic on their own constants.

#![deny(clippy::arithmetic_side_effects)]
#![cfg_attr(test, allow(clippy::arithmetic_side_effects))]

pub mod account;
pub mod api;
pub mod b64;
pub mod convert;
pub mod coverage;
pub mod cursor;
pub mod error;
pub mod filters;
pub mod input;
pub mod http;
pub mod mapping;
pub mod models;
pub mod operation;
pub mod providers;
pub mod query;
pub mod retry;
pub mod sandbox_server;
pub mod schema;
pub mod sync;
pub mod typescript;
pub mod validate;

#[cfg(test)]
#[cfg_attr(not(feature = "all-providers"), allow(dead_code))]
pub(crate) mod testing;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod fixture_cases;
#[cfg(test)]
pub(crate) mod test_corpus;
#[cfg(test)]
mod security_tests;
#[cfg(test)]
mod boundary_tests;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use account::Account;
pub use error::{Error, Issue, IssueCode, Warning};
pub use http::{HttpRequest, HttpResponse, Method};
pub use operation::{Operation, StartInput, Step};
pub use query::UnifiedQuery;
pub use retry::RetryPolicy;
