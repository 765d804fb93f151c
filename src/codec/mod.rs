//! Codecs: the bottom layer, no crosswalk types above it. Dates and numbers from
//! outside, JSON helpers, input readers with limits, HTTP wire types, base64 and
//! the secret redactor.

pub mod b64;
pub mod datetime;
pub mod doc;
pub mod json;
pub mod json_out;
pub mod numbers;
pub mod redact;
pub mod http;
pub mod http_date;
pub mod input;
