//! One error type for the whole core, rendered to the unified JSON shape
//! `{ statusCode, error, code, message, details }` exactly once (see [`Error::to_json`]).

use serde_json::{json, Map, Value};

/// Where a validation problem is and what kind it is. `field` is a path from the
/// request root: `body.candidate_id`, `body.contacts[1].id`, `query.start_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub field: String,
    pub code: IssueCode,
    pub message: String,
    /// Extra facts for machines (`allowed`, `max`, `provider`…); omitted when empty.
    pub meta: Value,
}

/// Stable, machine-readable validation codes. JS branches on these, never on text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueCode {
    Required,
    InvalidType,
    NotOneOf,
    TooLong,
    TooShort,
    OutOfRange,
    InvalidDatetime,
    InvalidFormat,
    InvalidOrder,
    UnsupportedField,
    UnknownField,
    Duplicate,
    Conflict,
}

impl IssueCode {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueCode::Required => "required",
            IssueCode::InvalidType => "invalid_type",
            IssueCode::NotOneOf => "not_one_of",
            IssueCode::TooLong => "too_long",
            IssueCode::TooShort => "too_short",
            IssueCode::OutOfRange => "out_of_range",
            IssueCode::InvalidDatetime => "invalid_datetime",
            IssueCode::InvalidFormat => "invalid_format",
            IssueCode::InvalidOrder => "invalid_order",
            IssueCode::UnsupportedField => "unsupported_field",
            IssueCode::UnknownField => "unknown_field",
            IssueCode::Duplicate => "duplicate",
            IssueCode::Conflict => "conflict",
        }
    }
    pub const ALL: &'static [IssueCode] = &[
        IssueCode::Required, IssueCode::InvalidType, IssueCode::NotOneOf, IssueCode::TooLong, IssueCode::TooShort,
        IssueCode::OutOfRange, IssueCode::InvalidDatetime, IssueCode::InvalidFormat, IssueCode::InvalidOrder,
        IssueCode::UnsupportedField, IssueCode::UnknownField, IssueCode::Duplicate, IssueCode::Conflict,
    ];
}

impl Issue {
    pub fn new(field: impl Into<String>, code: IssueCode, message: impl Into<String>) -> Self {
        Issue { field: field.into(), code, message: message.into(), meta: Value::Null }
    }
    pub fn with_meta(mut self, meta: Value) -> Self {
        self.meta = meta;
        self
    }
    /// `{ field, code, message, meta? }`.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("field".into(), Value::String(self.field.clone()));
        m.insert("code".into(), Value::String(self.code.as_str().into()));
        m.insert("message".into(), Value::String(self.message.clone()));
        if !self.meta.is_null() {
            m.insert("meta".into(), self.meta.clone());
        }
        Value::Object(m)
    }
}

/// Issues as a JSON array.
pub fn issues_json(issues: &[Issue]) -> Value {
    Value::Array(issues.iter().map(Issue::to_json).collect())
}

/// Every warning a result can carry (`pkg/models.d.ts` lists them as
/// `WarningCode`, generated from [`WarningCode::ALL`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningCode {
    /// a provider number outside the unified range: the field is null, the raw value is in remote_data.
    ValueOutOfRange,
    /// a provider status with no unified equivalent: status is null.
    UnknownStatus,
    /// a provider enum value with no unified equivalent: the field is null.
    UnknownValue,
    /// a CRM activity of a type crosswalk does not map.
    UnknownEngagementType,
    /// the provider keeps only the date of this date-time.
    DateOnly,
    /// the provider cannot list exactly what was asked; the page is a subset.
    PartialListing,
    /// only the first links are unified; the rest are in remote_data.
    MoreLinksInRemoteData,
    /// the listing stopped at max_pages; next_cursor continues it.
    MaxPagesReached,
    /// crosswalk applied this filter to the records the provider returned.
    FilterAppliedLocally,
    /// two records share the key_by value; the later one is kept.
    KeyByDuplicate,
    /// a record has no key_by value and is left out of the keyed result.
    KeyByMissing,
    /// strict: false dropped a field the unified model does not have.
    UnknownFieldDropped,
    /// strict: false dropped a field this provider does not support.
    UnsupportedFieldDropped,
    /// the provider refused a lookup that fills this field (a scope the token lacks): it is empty.
    LookupRefused,
}

impl WarningCode {
    pub const ALL: &'static [WarningCode] = &[
        WarningCode::ValueOutOfRange,
        WarningCode::UnknownStatus,
        WarningCode::UnknownValue,
        WarningCode::UnknownEngagementType,
        WarningCode::DateOnly,
        WarningCode::PartialListing,
        WarningCode::MoreLinksInRemoteData,
        WarningCode::MaxPagesReached,
        WarningCode::FilterAppliedLocally,
        WarningCode::KeyByDuplicate,
        WarningCode::KeyByMissing,
        WarningCode::UnknownFieldDropped,
        WarningCode::UnsupportedFieldDropped,
        WarningCode::LookupRefused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WarningCode::ValueOutOfRange => "value_out_of_range",
            WarningCode::UnknownStatus => "unknown_status",
            WarningCode::UnknownValue => "unknown_value",
            WarningCode::UnknownEngagementType => "unknown_engagement_type",
            WarningCode::DateOnly => "date_only",
            WarningCode::PartialListing => "partial_listing",
            WarningCode::MoreLinksInRemoteData => "more_links_in_remote_data",
            WarningCode::MaxPagesReached => "max_pages_reached",
            WarningCode::FilterAppliedLocally => "filter_applied_locally",
            WarningCode::KeyByDuplicate => "key_by_duplicate",
            WarningCode::KeyByMissing => "key_by_missing",
            WarningCode::UnknownFieldDropped => "unknown_field_dropped",
            WarningCode::UnsupportedFieldDropped => "unsupported_field_dropped",
            WarningCode::LookupRefused => "lookup_refused",
        }
    }
}

impl PartialEq<&str> for WarningCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A non-fatal observation attached to a result (e.g. an unsupported field dropped
/// under `strict: false`, an unknown provider status mapped to `null`).
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub field: String,
    pub code: WarningCode,
    pub message: String,
}

impl Warning {
    /// `{ field, code, message }`.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("field".into(), Value::String(self.field.clone()));
        m.insert("code".into(), Value::String(self.code.as_str().into()));
        m.insert("message".into(), Value::String(self.message.clone()));
        Value::Object(m)
    }
}

/// Warnings as a JSON array.
pub fn warnings_json(warnings: &[Warning]) -> Value {
    Value::Array(warnings.iter().map(Warning::to_json).collect())
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{}", validation_message(.provider, .issues))]
    Validation { provider: Option<String>, issues: Vec<Issue> },
    #[error("the input is not valid: {reason}")]
    InvalidInput { reason: String },
    #[error("unknown provider {provider:?}")]
    UnknownProvider { provider: String },
    #[error("{provider} does not support {method} on {model}/{resource}")]
    UnsupportedOperation { provider: String, model: String, resource: String, method: String },
    #[error("{provider} answered HTTP {status}")]
    Remote { provider: String, status: u16, message: Option<String>, body: Value },
    /// The provider answered 2xx but the body is not what its API documents.
    #[error("{provider} sent a response crosswalk cannot read: {reason}")]
    Protocol { provider: String, reason: String },
    #[error("the cursor is not valid for this request: {reason}")]
    InvalidCursor { reason: String },
    #[error("{provider} returned a page cursor it had already returned; stopping instead of looping")]
    PaginationLoop { provider: String, pages: u32 },
    #[error("could not reach {provider}: {reason}")]
    Network { provider: String, reason: String, attempts: u32 },
    /// The operation's total deadline passed (attempts and waits included).
    #[error("{provider} did not answer within the operation's deadline ({attempts} attempt(s))")]
    DeadlineExceeded { provider: String, attempts: u32 },
    #[error("the request budget is exhausted until {until_ms}")]
    BudgetExhausted { until_ms: u64, window: &'static str },
    /// A multi-step write failed part-way. `completed` lists what exists now.
    #[error("{provider}: step {failed_step} failed after {} step(s) succeeded", .completed.len())]
    PartialFailure { provider: String, failed_step: String, completed: Vec<Value>, cause: Box<Error> },
    /// A write failed in a way that does not say whether the provider applied it
    /// (a 5xx, a timeout, a reset), and the provider cannot de-duplicate a re-send:
    /// crosswalk did not send it again. The caller must check before retrying.
    #[error("{provider} may have applied this write ({what}); it was not sent again because {provider} cannot de-duplicate a re-send — check the record exists before retrying")]
    OutcomeUnknown { provider: String, what: String, cause: Box<Error> },
    /// The account's tokens cannot be renewed (the provider refused the refresh
    /// token, refused a token it had just issued, or there is no way to get one):
    /// someone has to connect the account again.
    #[error("the {provider} account must be connected again: {reason}")]
    ReauthRequired { provider: String, reason: String },
    #[error("the input is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("operation misuse: {reason}")]
    Misuse { reason: String },
}

fn validation_message(provider: &Option<String>, issues: &[Issue]) -> String {
    let n = issues.len();
    let first = issues.first().map(|i| format!("{}: {}", i.field, i.message)).unwrap_or_default();
    let whose = provider.as_deref().map(|p| format!(" for {p}")).unwrap_or_default();
    if n == 1 {
        format!("the request is not valid{whose}: {first}")
    } else {
        format!("the request is not valid{whose}: {n} problems, first {first}")
    }
}

impl Error {
    pub fn invalid(reason: impl Into<String>) -> Self {
        Error::InvalidInput { reason: reason.into() }
    }
    pub fn protocol(provider: &str, reason: impl Into<String>) -> Self {
        Error::Protocol { provider: provider.to_string(), reason: reason.into() }
    }
    pub fn one_issue(provider: Option<&str>, issue: Issue) -> Self {
        Error::Validation { provider: provider.map(str::to_string), issues: vec![issue] }
    }

    /// Every value [`Error::code`] can return (plus the codes the JS driver adds).
    pub const ALL_CODES: &'static [&'static str] = &[
        "validation_failed", "invalid_input", "unknown_provider", "unsupported_operation", "remote_error", "protocol_error",
        "invalid_cursor", "pagination_loop", "network_error", "deadline_exceeded", "budget_exhausted", "partial_failure", "write_outcome_unknown", "reauth_required", "payload_too_large", "misuse",
    ];

    /// Stable machine code of this failure.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Validation { .. } => "validation_failed",
            Error::InvalidInput { .. } => "invalid_input",
            Error::UnknownProvider { .. } => "unknown_provider",
            Error::UnsupportedOperation { .. } => "unsupported_operation",
            Error::Remote { .. } => "remote_error",
            Error::Protocol { .. } => "protocol_error",
            Error::InvalidCursor { .. } => "invalid_cursor",
            Error::PaginationLoop { .. } => "pagination_loop",
            Error::Network { .. } => "network_error",
            Error::DeadlineExceeded { .. } => "deadline_exceeded",
            Error::BudgetExhausted { .. } => "budget_exhausted",
            Error::PartialFailure { .. } => "partial_failure",
            Error::OutcomeUnknown { .. } => "write_outcome_unknown",
            Error::ReauthRequired { .. } => "reauth_required",
            Error::PayloadTooLarge { .. } => "payload_too_large",
            Error::Misuse { .. } => "misuse",
        }
    }

    /// HTTP status a unified API answers with for this failure.
    pub fn status(&self) -> u16 {
        match self {
            Error::Validation { .. } | Error::InvalidInput { .. } | Error::InvalidCursor { .. } => 400,
            Error::UnknownProvider { .. } => 400,
            Error::UnsupportedOperation { .. } => 501,
            // A provider's 4xx/5xx passes through; anything else (a redirect, 1xx) is
            // not an answer crosswalk can use.
            Error::Remote { status, .. } if (400..600).contains(status) => *status,
            Error::Remote { .. } => 502,
            Error::Protocol { .. } | Error::PaginationLoop { .. } | Error::Network { .. } => 502,
            Error::DeadlineExceeded { .. } => 504,
            Error::BudgetExhausted { .. } => 429,
            Error::PartialFailure { cause, .. } | Error::OutcomeUnknown { cause, .. } => cause.status(),
            Error::PayloadTooLarge { .. } => 413,
            Error::ReauthRequired { .. } => 401,
            Error::Misuse { .. } => 500,
        }
    }

    /// The unified error body. Secrets never reach here: remote bodies are redacted
    /// by the operation before the error is built.
    pub fn to_json(&self) -> Value {
        let status = self.status();
        let mut out = json!({ "statusCode": status, "error": reason_phrase(status), "code": self.code(), "message": self.to_string(), "details": self.details() });
        match self {
            Error::Remote { provider, status, message, body } => {
                out["truto_is_remote_error"] = Value::Bool(true);
                out["remote"] = json!({ "provider": provider.as_str(), "status": (*status), "message": message.as_deref(), "body": body });
            }
            Error::PartialFailure { completed, cause, failed_step, .. } => {
                out["completed"] = Value::Array(completed.clone());
                out["failed_step"] = Value::String(failed_step.clone());
                out["cause"] = cause.to_json();
                if let Error::Remote { .. } = **cause {
                    out["truto_is_remote_error"] = Value::Bool(true);
                }
            }
            Error::OutcomeUnknown { cause, .. } => {
                out["outcome"] = "unknown".into();
                let cause = cause.to_json();
                // Truto clients read a provider failure from these two keys.
                for key in ["truto_is_remote_error", "remote"] {
                    if let Some(v) = cause.get(key) {
                        out[key] = v.clone();
                    }
                }
                out["cause"] = cause;
            }
            Error::BudgetExhausted { until_ms, window } => {
                out["retry_at_ms"] = (*until_ms).into();
                out["window"] = (*window).into();
            }
            _ => {}
        }
        out
    }

    fn details(&self) -> Value {
        match self {
            Error::Validation { issues, .. } => issues_json(issues),
            Error::InvalidCursor { reason } => Value::Array(vec![json!({ "field": "query.next_cursor", "code": "invalid_cursor", "message": reason.as_str() })]),
            Error::UnsupportedOperation { provider, model, resource, method } => Value::Array(vec![json!({ "code": "unsupported_operation", "message": format!("{provider} has no {method} for {model}/{resource}"), "provider": provider.as_str() })]),
            Error::OutcomeUnknown { provider, .. } => Value::Array(vec![json!({ "field": "outcome", "code": "write_outcome_unknown", "message": format!("{provider} may or may not have applied this write") })]),
            Error::ReauthRequired { reason, .. } => Value::Array(vec![json!({ "field": "account.credentials", "code": "reauth_required", "message": reason.as_str() })]),
            _ => Value::Array(vec![]),
        }
    }
}

pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        s if (400..500).contains(&s) => "Client Error",
        _ => "Server Error",
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn validation_renders_all_issues_with_paths() {
        let err = Error::Validation {
            provider: Some("ashby".into()),
            issues: vec![
                Issue::new("body.candidate_id", IssueCode::Required, "is required"),
                Issue::new("body.visibility", IssueCode::NotOneOf, "must be one of private, public")
                    .with_meta(json!({"allowed": ["private", "public"]})),
            ],
        };
        let j = err.to_json();
        assert_eq!(j["statusCode"], 400);
        assert_eq!(j["error"], "Bad Request");
        assert_eq!(j["code"], "validation_failed");
        assert_eq!(j["details"][0]["field"], "body.candidate_id");
        assert_eq!(j["details"][0]["code"], "required");
        assert_eq!(j["details"][1]["meta"]["allowed"][1], "public");
        assert!(j["details"][0].get("meta").is_none());
        assert!(j["message"].as_str().unwrap().contains("2 problems"));
    }

    #[test]
    fn every_code_is_listed() {
        let all = [
            Error::Validation { provider: None, issues: vec![] },
            Error::invalid("x"),
            Error::UnknownProvider { provider: "x".into() },
            Error::UnsupportedOperation { provider: "p".into(), model: "m".into(), resource: "r".into(), method: "x".into() },
            Error::Remote { provider: "p".into(), status: 400, message: None, body: Value::Null },
            Error::protocol("p", "x"),
            Error::InvalidCursor { reason: "x".into() },
            Error::PaginationLoop { provider: "p".into(), pages: 1 },
            Error::Network { provider: "p".into(), reason: "x".into(), attempts: 1 },
            Error::DeadlineExceeded { provider: "p".into(), attempts: 1 },
            Error::BudgetExhausted { until_ms: 0, window: "minute" },
            Error::PartialFailure { provider: "p".into(), failed_step: "s".into(), completed: vec![], cause: Box::new(Error::invalid("x")) },
            Error::OutcomeUnknown { provider: "p".into(), what: "HTTP 503".into(), cause: Box::new(Error::invalid("x")) },
            Error::ReauthRequired { provider: "p".into(), reason: "x".into() },
            Error::PayloadTooLarge { limit: 1 },
            Error::Misuse { reason: "x".into() },
        ];
        let codes: Vec<&str> = all.iter().map(Error::code).collect();
        assert_eq!(codes, Error::ALL_CODES);
    }

    #[test]
    fn remote_error_passes_status_and_marks_remote() {
        let err = Error::Remote { provider: "lever".into(), status: 404, message: Some("not found".into()), body: json!({"code":"ResourceNotFound"}) };
        let j = err.to_json();
        assert_eq!(j["statusCode"], 404);
        assert_eq!(j["truto_is_remote_error"], true);
        assert_eq!(j["remote"]["body"]["code"], "ResourceNotFound");
    }
}
