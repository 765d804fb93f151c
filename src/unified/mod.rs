//! The unified model: resources and their fields ([`models`], [`schema`]), how a
//! field table maps unified values to a provider's ([`mapping`]), request
//! validation ([`validate`]), local filters and query options.

pub mod filters;
pub mod mapping;
pub mod models;
pub mod query;
pub mod record;
pub mod schema;
pub mod validate;
