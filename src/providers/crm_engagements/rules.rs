//! Rules that depend on `engagement_type`. A field table has one row per unified
//! field, but a call, a meeting and a note often accept different fields; these
//! rules say which, checked before anything is sent (from `OpDef.check`).

use serde_json::{json, Map, Value};

use crate::error::{Issue, IssueCode};

use super::{engagement_type, present};

/// A rule that depends on `engagement_type`; each names the types it is about.
pub enum TypeRule {
    /// The field can be sent only for these engagement types.
    Only(&'static str, &'static [&'static str]),
    /// For these engagement types the field is required.
    Required(&'static str, &'static [&'static str]),
    /// For these engagement types the enum field accepts only these values.
    Values(&'static str, &'static [&'static str], &'static [&'static str]),
    /// For these engagement types the list field holds at most this many items
    /// (the table's `Rule::MaxItems` holds for every type).
    MaxItems(&'static str, usize, &'static [&'static str]),
    /// For these engagement types at least one of the fields is required (with
    /// `AtMostOne` on the same fields: exactly one parent record).
    AnyOf(&'static [&'static str], &'static [&'static str]),
    /// For these engagement types at most one of the fields may be set: the
    /// provider stores one link, so a second would be silently lost.
    AtMostOne(&'static [&'static str], &'static [&'static str]),
}

/// Every per-type problem of a validated body, with field paths. Without an
/// `engagement_type` there is nothing to check (the table reports a missing one).
pub fn check_types(provider: &str, fields: &Map<String, Value>, rules: &[TypeRule]) -> Vec<Issue> {
    match engagement_type(fields) {
        Some(kind) => check_kind(provider, kind, fields, rules),
        None => Vec::new(),
    }
}

/// [`check_types`] for a body of a known kind (a provider with one type, where the
/// caller need not say it).
pub fn check_kind(provider: &str, kind: &str, fields: &Map<String, Value>, rules: &[TypeRule]) -> Vec<Issue> {
    let meta = |extra: Value| {
        let mut m = json!({ "provider": provider, "engagement_type": kind });
        crate::codec::json::merge(&mut m, &extra);
        m
    };
    let mut issues = Vec::new();
    for rule in rules {
        match *rule {
            TypeRule::Only(field, types) if present(fields, field) && !types.contains(&kind) => issues.push(
                Issue::new(format!("body.{field}"), IssueCode::UnsupportedField, format!("{provider} takes {field} only for engagement_type {}; this is a {kind}", types.join(", ")))
                    .with_meta(meta(json!({ "supported_for": types }))),
            ),
            TypeRule::Required(field, types) if types.contains(&kind) && !present(fields, field) => issues.push(
                Issue::new(format!("body.{field}"), IssueCode::Required, format!("{provider} needs {field} for a {kind}")).with_meta(meta(Value::Null)),
            ),
            TypeRule::Values(field, types, allowed) if types.contains(&kind) => {
                if let Some(v) = fields.get(field).and_then(Value::as_str).filter(|v| !allowed.contains(v)) {
                    issues.push(
                        Issue::new(format!("body.{field}"), IssueCode::NotOneOf, format!("{v:?} cannot be represented by {provider} for a {kind}; it accepts {}", allowed.join(", ")))
                            .with_meta(meta(json!({ "allowed": allowed }))),
                    );
                }
            }
            TypeRule::MaxItems(field, max, types) if types.contains(&kind) => {
                let n = fields.get(field).and_then(Value::as_array).map_or(0, Vec::len);
                if n > max {
                    issues.push(
                        Issue::new(format!("body.{field}"), IssueCode::TooLong, format!("{provider} links a {kind} to at most {max} of {field}; {n} were given"))
                            .with_meta(meta(json!({ "max": max, "actual": n }))),
                    );
                }
            }
            TypeRule::AnyOf(names, types) if types.contains(&kind) && !names.iter().any(|n| present(fields, n)) => issues.push(
                Issue::new(format!("body.{}", names[0]), IssueCode::Required, format!("{provider} needs one of {} for a {kind}", names.join(", ")))
                    .with_meta(meta(json!({ "one_of": names }))),
            ),
            TypeRule::AtMostOne(names, types) if types.contains(&kind) => {
                let set: Vec<&str> = names.iter().copied().filter(|n| present(fields, n)).collect();
                for extra in set.iter().skip(1) {
                    issues.push(
                        Issue::new(format!("body.{extra}"), IssueCode::Conflict, format!("{provider} links a {kind} to one record; {} were given, so one link would be lost — send only one", set.join(" and ")))
                            .with_meta(meta(json!({ "conflicting": set, "one_of": names }))),
                    );
                }
            }
            _ => {}
        }
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &[TypeRule] = &[
        TypeRule::Only("direction", &["call"]),
        TypeRule::Required("start_time", &["meeting"]),
        TypeRule::Values("status", &["meeting"], &["scheduled"]),
        TypeRule::AnyOf(&["contacts", "account"], &["note"]),
        TypeRule::AtMostOne(&["account", "opportunity", "lead"], &["call", "note"]),
        TypeRule::MaxItems("lead", 1, &["note"]),
    ];

    fn issues(v: Value) -> Vec<(String, IssueCode)> {
        check_types("acme", v.as_object().unwrap(), RULES).into_iter().map(|i| (i.field, i.code)).collect()
    }

    #[test]
    fn per_type_rules() {
        assert!(issues(json!({"engagement_type": "call", "direction": "inbound"})).is_empty());
        assert!(issues(json!({"direction": "inbound", "account": {"id": "1"}, "lead": [{"id": "2"}]})).is_empty(), "no type, nothing to check");
        assert_eq!(
            issues(json!({"engagement_type": "meeting", "direction": "inbound", "status": "sent"})),
            vec![("body.direction".into(), IssueCode::UnsupportedField), ("body.start_time".into(), IssueCode::Required), ("body.status".into(), IssueCode::NotOneOf)]
        );
        assert_eq!(issues(json!({"engagement_type": "meeting", "start_time": "", "direction": ""})), vec![("body.start_time".into(), IssueCode::Required)], "empty is not set");
        assert_eq!(issues(json!({"engagement_type": "note", "contacts": []})), vec![("body.contacts".into(), IssueCode::Required)]);
        assert_eq!(issues(json!({"engagement_type": "note", "account": {"id": "1"}, "lead": [{"id": "1"}, {"id": "2"}]})), vec![("body.lead".into(), IssueCode::Conflict), ("body.lead".into(), IssueCode::TooLong)]);
        assert!(issues(json!({"engagement_type": "call", "lead": [{"id": "1"}, {"id": "2"}]})).is_empty());
        let detail = &check_types("acme", json!({"engagement_type": "note", "direction": "inbound", "account": {"id": "1"}}).as_object().unwrap(), RULES)[0];
        assert_eq!(detail.meta["supported_for"], json!(["call"]));
        assert_eq!(detail.meta["engagement_type"], "note");
    }

    #[test]
    fn one_parent_rule_names_every_extra_link() {
        assert_eq!(issues(json!({"engagement_type": "note", "account": {"id": "1"}, "opportunity": {"id": "2"}})), vec![("body.opportunity".into(), IssueCode::Conflict)]);
        let three = check_types("acme", json!({"engagement_type": "call", "account": {"id": "1"}, "opportunity": {"id": "2"}, "lead": [{"id": "3"}]}).as_object().unwrap(), RULES);
        let fields: Vec<&str> = three.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(fields, ["body.opportunity", "body.lead"]);
        assert_eq!(three[0].meta["conflicting"], json!(["account", "opportunity", "lead"]));
        assert_eq!(three[0].meta["one_of"], json!(["account", "opportunity", "lead"]));
        assert!(issues(json!({"engagement_type": "call", "lead": [], "account": {"id": "1"}})).is_empty(), "an empty list is no link");
        let none = check_types("acme", json!({"engagement_type": "note"}).as_object().unwrap(), RULES);
        assert_eq!((none[0].field.as_str(), none[0].code), ("body.contacts", IssueCode::Required));
        assert_eq!(none[0].meta["one_of"], json!(["contacts", "account"]));
    }
}
