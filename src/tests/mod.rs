//! Crate-wide tests (unit tests sit beside their code): shared support, the
//! recorded-fixture runner, the request corpus, security walks, boundary numbers,
//! property tests and generated-file snapshots.

#[cfg_attr(not(feature = "all-providers"), allow(dead_code))]
pub(crate) mod support;
pub(crate) mod corpus;
mod boundary;
mod fixtures;
pub(crate) mod properties;
mod layers;
mod remote_data_ref;
mod security;
pub(crate) mod snapshots;
