//! The facade: JSON in and out for both machines ([`api`]), coverage and schema
//! derived from the tables ([`coverage`]), and the wasm-bindgen exports.

pub mod account_check;
pub mod api;
pub mod coverage;
#[cfg(target_arch = "wasm32")]
mod wasm;
