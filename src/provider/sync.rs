//! The bulk-sync contract: a provider's batch endpoint ([`SyncDef`]), its throttle
//! [`Limits`], and what it answered per record ([`EntityOutcome`], [`Failure`]).
//! The engine's `SyncOperation` drives it.

use serde_json::{Map, Value};

use super::account::Account;
use super::{Ctx, OpDef, ProviderDef};
use crate::codec::http::{HttpRequest, HttpResponse};
use crate::error::{Error, Issue, IssueCode, Result};

/// A provider's bulk-sync endpoint.
pub struct SyncDef {
    pub provider: &'static ProviderDef,
    /// The single-record create operation: its field table and cross-field check
    /// validate every record, so a record valid for `create` is valid here.
    pub op: &'static OpDef,
    /// Unified field that groups records into one batch URL (the application).
    pub group_field: &'static str,
    /// Unified field that keys a record inside a batch (the note id).
    pub key_field: &'static str,
    pub max_batch: usize,
    pub limits: Limits,
    /// Checks the account settings every batch needs (before anything is sent).
    pub check_account: fn(&Account) -> Result<()>,
    /// The provider entity for one validated record.
    pub entity: fn(&Map<String, Value>, Option<&Value>) -> Value,
    /// The request for one batch of `(key, entity)` under `group`.
    pub build: BatchBuilder,
    /// Per-key outcome of a 2xx batch response, in the order of `keys`.
    pub read: fn(&Ctx, &HttpResponse, &[&str]) -> Result<Vec<EntityOutcome>>,
}

/// Builds the request for `(key, entity)` pairs under one group.
pub type BatchBuilder = fn(&Ctx, &str, &[(&str, &Value)]) -> Result<HttpRequest>;

/// What the provider said about one record of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum EntityOutcome {
    Synced { status: u16 },
    Failed(Failure),
}

/// Why a record was sent but not stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// HTTP status the provider gave this record (the entity's, or the batch's).
    pub status: Option<u16>,
    /// crosswalk's code: `remote_error`, `protocol_error`, `network_error`,
    /// `missing_from_response`, `aborted_in_flight`.
    pub code: &'static str,
    pub message: Option<String>,
    /// The provider's own error code, when it sent one.
    pub provider_code: Option<Value>,
    /// Whether sending the record again may succeed (429, 5xx, no answer).
    pub retryable: bool,
    /// The provider's error body for this record.
    pub remote: Value,
}

pub fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 425 | 429 | 500 | 502 | 503 | 504)
}

impl Failure {
    /// A whole-batch error response, applied to each record of the batch.
    pub fn from_response(provider: &str, resp: &HttpResponse) -> Failure {
        let body = match crate::provider::remote_error(provider, resp) {
            crate::error::Error::Remote { body, .. } => body,
            _ => Value::Null,
        };
        Failure::remote(Some(resp.status), body)
    }

    /// A provider error body (a Rest.li `ErrorResponse` or similar) with a status.
    pub fn remote(status: Option<u16>, body: Value) -> Failure {
        Failure {
            status,
            code: "remote_error",
            message: crate::provider::error_message(&body),
            provider_code: body.get("code").or_else(|| body.get("serviceErrorCode")).cloned(),
            retryable: status.is_some_and(retryable_status),
            remote: body,
        }
    }

    /// A failure crosswalk detected itself (no provider body).
    pub fn crosswalk(code: &'static str, message: impl Into<String>, retryable: bool) -> Failure {
        Failure { status: None, code, message: Some(message.into()), provider_code: None, retryable, remote: Value::Null }
    }
}

/// The limits a budget enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub requests_per_day: u64,
    pub records_per_minute: u64,
}

impl Limits {
    /// Reads `{ requests_per_day, records_per_minute }` (both required).
    pub fn from_json(v: &Value) -> Result<Limits> {
        use crate::codec::input::*;
        let m = object(v, "options.limits")?;
        deny_unknown(m, &["requests_per_day", "records_per_minute"])?;
        let req = |k: &str| opt_u64(m, k)?.ok_or_else(|| Error::invalid(format!("missing field `{k}`")));
        Ok(Limits { requests_per_day: req("requests_per_day")?, records_per_minute: req("records_per_minute")? })
    }
    pub fn check(&self) -> Result<()> {
        let mut issues = Vec::new();
        if self.requests_per_day == 0 {
            issues.push(Issue::new("options.limits.requests_per_day", IssueCode::OutOfRange, "must be at least 1"));
        }
        if self.records_per_minute == 0 {
            issues.push(Issue::new("options.limits.records_per_minute", IssueCode::OutOfRange, "must be at least 1"));
        }
        if issues.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation { provider: None, issues })
        }
    }
}
