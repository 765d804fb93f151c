//! Validation derived from the tables: the unified resource says what a field is,
//! the provider's [`FieldMap`] rows say whether it is supported, required and which
//! extra rules apply. Every problem is collected in one pass.

use serde_json::{json, Map, Value};

use crate::codec::datetime::{datetime_problem, parse_datetime};
use crate::error::{Issue, IssueCode, Warning};
use crate::unified::schema::{FieldMap, Kind, Rule, UnifiedField};

/// Result of checking a unified body (or filter set) for one provider.
#[derive(Debug, Default)]
pub struct Checked {
    /// The accepted fields (nulls and dropped fields removed).
    pub fields: Map<String, Value>,
    pub issues: Vec<Issue>,
    pub warnings: Vec<Warning>,
}

/// Where the checked values sit in the unified request (`body` or `query`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Body,
    Query,
}

impl Side {
    fn prefix(self) -> &'static str {
        match self {
            Side::Body => "body",
            Side::Query => "query",
        }
    }
}

/// Checks `input` against the unified `schema` and the provider `table`.
/// `strict == false` turns unsupported/unknown fields into warnings (the field is
/// dropped and the warning says so) instead of errors.
pub fn check(
    provider: &str,
    schema: &[UnifiedField],
    table: &[FieldMap],
    input: &Map<String, Value>,
    side: Side,
    strict: bool,
) -> Checked {
    let mut out = Checked::default();
    let prefix = side.prefix();
    // One buffer for every field's path (`body.title`), not a `format!` per field:
    // an issue copies it only when there is one.
    let mut path = format!("{prefix}.");
    let stem = path.len();
    for (key, value) in input {
        path.truncate(stem);
        path.push_str(key);
        let path = path.as_str();
        if key == "remote_data" && side == Side::Body {
            if !value.is_object() && !value.is_null() {
                out.issues.push(Issue::new(path, IssueCode::InvalidType, "must be an object"));
            }
            continue;
        }
        if value.is_null() {
            continue;
        }
        let Some(def) = schema.iter().find(|f| f.name == key) else {
            let known: Vec<&str> = schema.iter().map(|f| f.name).collect();
            drop_or_fail(&mut out, strict, Issue::new(path, IssueCode::UnknownField, format!("is not a field of this unified resource (known: {})", known.join(", "))));
            continue;
        };
        let Some(row) = table.iter().find(|r| r.field == key) else {
            drop_or_fail(
                &mut out,
                strict,
                Issue::new(path, IssueCode::UnsupportedField, format!("is not supported by {provider}"))
                    .with_meta(json!({ "provider": provider })),
            );
            continue;
        };
        let before = out.issues.len();
        if side == Side::Query && is_range_filter(def, value) {
            check_range(path, value, &mut out.issues);
        } else {
            check_kind(path, &def.kind, value, &mut out.issues);
        }
        if out.issues.len() == before {
            check_rules(provider, path, row, value, &mut out.issues);
        }
        if out.issues.len() == before {
            out.fields.insert(key.clone(), value.clone());
        }
    }
    for row in table.iter().filter(|r| r.required) {
        let present = input.get(row.field).is_some_and(|v| !v.is_null() && v != "");
        let about_this = |i: &Issue| i.field.strip_prefix(prefix).and_then(|f| f.strip_prefix('.')) == Some(row.field);
        if !present && !out.issues.iter().any(about_this) {
            out.issues.push(
                Issue::new(format!("{prefix}.{}", row.field), IssueCode::Required, format!("is required by {provider}"))
                    .with_meta(json!({ "provider": provider })),
            );
        }
    }
    out
}

fn drop_or_fail(out: &mut Checked, strict: bool, issue: Issue) {
    if strict {
        out.issues.push(issue);
    } else {
        out.warnings.push(Warning {
            field: issue.field,
            code: match issue.code {
                IssueCode::UnknownField => crate::error::WarningCode::UnknownFieldDropped,
                _ => crate::error::WarningCode::UnsupportedFieldDropped,
            },
            message: format!("{}; it was not sent (strict: false)", issue.message),
        });
    }
}

fn is_range_filter(def: &UnifiedField, value: &Value) -> bool {
    def.kind == Kind::DateTime && value.is_object()
}

/// Range filters: `{gt|gte|lt|lte: date-time}`, at least one bound.
fn check_range(path: &str, value: &Value, issues: &mut Vec<Issue>) {
    let Some(m) = value.as_object() else { return };
    if m.is_empty() {
        issues.push(Issue::new(path, IssueCode::InvalidType, "a range needs at least one of gt, gte, lt, lte"));
    }
    for (op, v) in m {
        let p = format!("{path}[{op}]");
        if !matches!(op.as_str(), "gt" | "gte" | "lt" | "lte") {
            issues.push(Issue::new(p, IssueCode::UnknownField, "range operators are gt, gte, lt, lte"));
            continue;
        }
        check_kind(&p, &Kind::DateTime, v, issues);
    }
}

/// Type check of one value against a unified kind (recursing into objects).
pub fn check_kind(path: &str, kind: &Kind, value: &Value, issues: &mut Vec<Issue>) {
    let wrong = |expected: &str| Issue::new(path, IssueCode::InvalidType, format!("must be {expected}"));
    match kind {
        Kind::String | Kind::Text => {
            if !value.is_string() {
                issues.push(wrong("a string"));
            }
        }
        Kind::DateTime => match value.as_str() {
            Some(s) if parse_datetime(s).is_some() => {}
            Some(s) => issues.push(Issue::new(path, IssueCode::InvalidDatetime, datetime_problem(s))),
            None => issues.push(wrong("an ISO 8601 date-time string")),
        },
        Kind::Integer => {
            // Unified integers (durations in seconds) are 0..=2^53−1: exact in JS, and
            // provider conversions (× 1000 for milliseconds) still fit an i64.
            let max = crate::codec::numbers::MAX_SAFE_INT;
            if !(value.is_i64() || value.is_u64()) {
                issues.push(wrong("a whole number"));
            } else if !value.as_i64().is_some_and(|n| (0..=max).contains(&n)) {
                issues.push(Issue::new(path, IssueCode::OutOfRange, format!("must be a whole number from 0 to {max}")).with_meta(json!({ "min": 0, "max": max })));
            }
        }
        Kind::Enum(allowed) => match value.as_str() {
            Some(s) if allowed.contains(&s) => {}
            _ => issues.push(
                Issue::new(path, IssueCode::NotOneOf, format!("must be one of {}", allowed.join(", ")))
                    .with_meta(json!({ "allowed": allowed })),
            ),
        },
        Kind::Ref => check_ref(path, value, issues),
        Kind::RefList => match value.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    check_ref(&format!("{path}[{i}]"), item, issues);
                }
            }
            None => issues.push(wrong("an array of objects with an id")),
        },
        Kind::Struct(fields) => check_struct(path, fields, value, issues),
        Kind::StructList(fields) => match value.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    check_struct(&format!("{path}[{i}]"), fields, item, issues);
                }
            }
            None => issues.push(wrong("an array of objects")),
        },
        Kind::Record => {
            if !value.is_object() {
                issues.push(wrong("an object"));
            }
        }
    }
}

fn check_ref(path: &str, value: &Value, issues: &mut Vec<Issue>) {
    match value {
        Value::Object(m) => match m.get("id") {
            Some(Value::String(s)) if !s.is_empty() => {}
            Some(Value::Number(_)) => {}
            Some(_) => issues.push(Issue::new(format!("{path}.id"), IssueCode::InvalidType, "must be a non-empty string")),
            None => issues.push(Issue::new(format!("{path}.id"), IssueCode::Required, "is required")),
        },
        _ => issues.push(Issue::new(path, IssueCode::InvalidType, "must be an object with an id")),
    }
}

fn check_struct(path: &str, fields: &[UnifiedField], value: &Value, issues: &mut Vec<Issue>) {
    let Some(m) = value.as_object() else {
        issues.push(Issue::new(path, IssueCode::InvalidType, "must be an object"));
        return;
    };
    for (k, v) in m {
        let p = format!("{path}.{k}");
        match fields.iter().find(|f| f.name == k) {
            Some(f) if !v.is_null() => check_kind(&p, &f.kind, v, issues),
            Some(_) => {}
            None => issues.push(Issue::new(p, IssueCode::UnknownField, "is not a field of this object")),
        }
    }
}

fn check_rules(provider: &str, path: &str, row: &FieldMap, value: &Value, issues: &mut Vec<Issue>) {
    if let Some(allowed) = row.allowed_values() {
        if let Some(s) = value.as_str() {
            if !allowed.contains(&s) {
                issues.push(
                    Issue::new(path, IssueCode::NotOneOf, format!("{s:?} cannot be represented by {provider}; it accepts {}", allowed.join(", ")))
                        .with_meta(json!({ "allowed": allowed, "provider": provider })),
                );
            }
        }
    }
    for rule in row.rules {
        match *rule {
            Rule::MaxLen(max) => {
                if let Some(n) = value.as_str().map(|s| s.chars().count()).filter(|n| *n > max) {
                    issues.push(
                        Issue::new(path, IssueCode::TooLong, format!("is {n} characters; {provider} allows at most {max}"))
                            .with_meta(json!({ "max": max, "actual": n })),
                    );
                }
            }
            Rule::Range(min, max) => {
                if let Some(n) = value.as_i64().filter(|n| *n < min || *n > max) {
                    issues.push(
                        Issue::new(path, IssueCode::OutOfRange, format!("is {n}; {provider} accepts {min} to {max}"))
                            .with_meta(json!({ "min": min, "max": max })),
                    );
                }
            }
            Rule::MaxItems(max) => {
                if let Some(n) = value.as_array().map(Vec::len).filter(|n| *n > max) {
                    issues.push(
                        Issue::new(path, IssueCode::TooLong, format!("has {n} items; {provider} allows at most {max}"))
                            .with_meta(json!({ "max": max, "actual": n })),
                    );
                }
            }
            Rule::OneOf(_) => {} // handled through allowed_values
        }
    }
}

/// A URL with an http(s) scheme, a host and no spaces or control characters.
pub fn is_http_url(s: &str) -> bool {
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(r) => {
            let host = r.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty()
                && !host.contains('@')
                && host.contains('.') | host.starts_with("localhost") | host.starts_with('[')
                && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unified::models::ATS_ACTIVITIES;
    use crate::unified::schema::{s, Conv, FieldMap};

    const TABLE: &[FieldMap] = &[
        FieldMap::body("candidate_id", "candidateId").required(),
        FieldMap::body("body", "note").required().rules(&[Rule::MaxLen(10)]),
        FieldMap::body("visibility", "isPrivate").conv(Conv::Map(&[("private", s("x")), ("public", s("y"))])),
        FieldMap::body("created_at", "createdAt"),
    ];

    fn run(body: Value, strict: bool) -> Checked {
        check("ashby", ATS_ACTIVITIES.body, TABLE, body.as_object().unwrap(), Side::Body, strict)
    }

    #[test]
    fn every_problem_in_one_pass() {
        let c = run(json!({"body": "far too long a note", "visibility": "admin_only", "created_at": "yesterday", "application_id": "a1", "nope": 1}), true);
        let codes: Vec<(String, IssueCode)> = c.issues.iter().map(|i| (i.field.clone(), i.code)).collect();
        assert!(codes.contains(&("body.body".into(), IssueCode::TooLong)));
        assert!(codes.contains(&("body.visibility".into(), IssueCode::NotOneOf)));
        assert!(codes.contains(&("body.created_at".into(), IssueCode::InvalidDatetime)));
        assert!(codes.contains(&("body.application_id".into(), IssueCode::UnsupportedField)));
        assert!(codes.contains(&("body.nope".into(), IssueCode::UnknownField)));
        assert!(codes.contains(&("body.candidate_id".into(), IssueCode::Required)));
        assert_eq!(codes.len(), 6);
    }

    #[test]
    fn not_strict_drops_with_warnings() {
        let c = run(json!({"candidate_id": "c", "body": "ok", "application_id": "a1"}), false);
        assert!(c.issues.is_empty());
        assert_eq!(c.warnings.len(), 1);
        assert_eq!(c.warnings[0].code, "unsupported_field_dropped");
        assert!(!c.fields.contains_key("application_id"));
    }

    #[test]
    fn wrong_types_are_reported() {
        let c = run(json!({"candidate_id": 5, "body": ["x"], "visibility": true}), true);
        assert_eq!(c.issues.len(), 3);
        assert!(c.issues.iter().all(|i| i.code == IssueCode::InvalidType || i.code == IssueCode::NotOneOf));
    }

    #[test]
    fn urls() {
        assert!(is_http_url("https://meet.google.com/abc-xyz"));
        assert!(is_http_url("http://localhost:8080/x"));
        assert!(!is_http_url("meet.google.com"));
        assert!(!is_http_url("https://a b.com"));
        assert!(!is_http_url("javascript:alert(1)"));
    }
}
