//! The unified query: Truto's `truto_*` options, paging, `remote_query`, and the
//! resource filters that remain. Also parses a raw query string (`a[b]=c`,
//! `x[]=1&x[]=2`) into the same JSON the npm API takes, so the Worker and the
//! library read queries through one code path.

use serde_json::{Map, Value};

use crate::error::{Error, Issue, IssueCode, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseFormat {
    #[default]
    Unified,
    Raw,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnifiedQuery {
    pub integrated_account_id: Option<String>,
    pub format: ResponseFormat,
    pub ignore_remote_data: bool,
    pub exclude_fields: Vec<String>,
    pub key_by: Option<String>,
    pub ignore_limit: bool,
    pub limit: Option<u32>,
    pub next_cursor: Option<String>,
    pub max_pages: Option<u32>,
    /// Unsupported fields are errors unless this is false (then warnings).
    pub strict: bool,
    pub idempotency_key: Option<String>,
    /// Passed to the provider untouched (already flattened to `a[b]` keys).
    pub remote_query: Vec<(String, String)>,
    /// Everything else: resource filters, checked against the provider table.
    pub filters: Map<String, Value>,
}

const MAX_LIMIT: u32 = 1000;

impl UnifiedQuery {
    /// Reads the query object. All problems are reported at once.
    pub fn from_json(v: &Value) -> Result<UnifiedQuery> {
        let mut q = UnifiedQuery { strict: true, ..Default::default() };
        let obj = match v {
            Value::Null => return Ok(q),
            Value::Object(m) => m,
            _ => return Err(Error::invalid("query must be an object")),
        };
        let mut issues = Vec::new();
        for (key, value) in obj {
            let field = format!("query.{key}");
            match key.as_str() {
                "integrated_account_id" => q.integrated_account_id = string_opt(value, &field, &mut issues),
                "truto_response_format" => match value.as_str() {
                    Some("unified") | Some("normalized") => q.format = ResponseFormat::Unified,
                    Some("raw") => q.format = ResponseFormat::Raw,
                    _ => issues.push(
                        Issue::new(field, IssueCode::NotOneOf, "must be one of unified, normalized, raw (stream is not offered by crosswalk)")
                            .with_meta(serde_json::json!({"allowed": ["unified", "normalized", "raw"]})),
                    ),
                },
                "truto_ignore_remote_data" => q.ignore_remote_data = boolean(value, &field, &mut issues),
                "truto_ignore_limit" => q.ignore_limit = boolean(value, &field, &mut issues),
                "strict" => q.strict = boolean(value, &field, &mut issues),
                "truto_exclude_fields" => q.exclude_fields = string_list(value, &field, &mut issues),
                "truto_key_by" => q.key_by = string_opt(value, &field, &mut issues),
                "idempotency_key" => q.idempotency_key = string_opt(value, &field, &mut issues),
                "next_cursor" => q.next_cursor = string_opt(value, &field, &mut issues).filter(|s| !s.is_empty()),
                "limit" => q.limit = positive(value, &field, MAX_LIMIT, &mut issues),
                "max_pages" => q.max_pages = positive(value, &field, 1_000_000, &mut issues),
                "remote_query" => match value {
                    Value::Object(_) => flatten("", value, &mut q.remote_query),
                    Value::Null => {}
                    _ => issues.push(Issue::new(field, IssueCode::InvalidType, "must be an object of query parameters")),
                },
                _ => {
                    q.filters.insert(key.clone(), value.clone());
                }
            }
        }
        if issues.is_empty() {
            Ok(q)
        } else {
            Err(Error::Validation { provider: None, issues })
        }
    }
}

fn string_opt(v: &Value, field: &str, issues: &mut Vec<Issue>) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null => None,
        _ => {
            issues.push(Issue::new(field, IssueCode::InvalidType, "must be a string"));
            None
        }
    }
}

fn boolean(v: &Value, field: &str, issues: &mut Vec<Issue>) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) if s == "true" || s == "1" || s.is_empty() => true,
        Value::String(s) if s == "false" || s == "0" => false,
        Value::Null => false,
        _ => {
            issues.push(Issue::new(field, IssueCode::InvalidType, "must be true or false"));
            false
        }
    }
}

fn positive(v: &Value, field: &str, max: u32, issues: &mut Vec<Issue>) -> Option<u32> {
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse::<u64>().ok(),
        Value::Null => return None,
        _ => None,
    };
    match n {
        Some(n) if n >= 1 && n <= max as u64 => Some(n as u32),
        _ => {
            issues.push(
                Issue::new(field, IssueCode::OutOfRange, format!("must be a whole number from 1 to {max}"))
                    .with_meta(serde_json::json!({"min": 1, "max": max})),
            );
            None
        }
    }
}

/// `truto_exclude_fields` as an array or a comma-separated string.
fn string_list(v: &Value, field: &str, issues: &mut Vec<Issue>) -> Vec<String> {
    match v {
        Value::String(s) => s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect(),
        Value::Array(items) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match item.as_str() {
                    Some(s) => out.push(s.to_string()),
                    None => issues.push(Issue::new(format!("{field}[{i}]"), IssueCode::InvalidType, "must be a string")),
                }
            }
            out
        }
        Value::Null => Vec::new(),
        _ => {
            issues.push(Issue::new(field, IssueCode::InvalidType, "must be an array of field paths"));
            Vec::new()
        }
    }
}

/// `{a: {b: 1}, c: [1, 2]}` → `a[b]=1`, `c[]=1`, `c[]=2` (qs bracket style).
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}[{k}]") };
                flatten(&key, x, out);
            }
        }
        Value::Array(items) => {
            for x in items {
                flatten(&format!("{prefix}[]"), x, out);
            }
        }
        Value::Null => out.push((prefix.to_string(), String::new())),
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

/// Parses `a=1&b[c]=2&d[]=3&d[]=4` into `{a:"1", b:{c:"2"}, d:["3","4"]}`.
/// Nesting is limited to 8 levels; deeper keys are kept flat.
pub fn parse_query_string(qs: &str) -> Value {
    let mut root = Map::new();
    for (key, value) in form_urlencoded::parse(qs.trim_start_matches('?').as_bytes()) {
        let (head, path) = split_brackets(&key);
        insert_path(&mut root, &head, &path, Value::String(value.into_owned()));
    }
    Value::Object(root)
}

fn split_brackets(key: &str) -> (String, Vec<String>) {
    let Some(open) = key.find('[') else { return (key.to_string(), vec![]) };
    let head = key[..open].to_string();
    let mut path = Vec::new();
    let mut rest = &key[open..];
    while let Some(r) = rest.strip_prefix('[') {
        let Some(close) = r.find(']') else { return (key.to_string(), vec![]) };
        path.push(r[..close].to_string());
        rest = &r[close..][1..]; // past the one-byte `]`
        if path.len() > 8 {
            return (key.to_string(), vec![]);
        }
    }
    if !rest.is_empty() || head.is_empty() {
        return (key.to_string(), vec![]);
    }
    (head, path)
}

fn insert_path(map: &mut Map<String, Value>, head: &str, path: &[String], value: Value) {
    if path.is_empty() {
        map.insert(head.to_string(), value);
        return;
    }
    let slot = map.entry(head.to_string()).or_insert_with(|| {
        if path[0].is_empty() {
            Value::Array(vec![])
        } else {
            Value::Object(Map::new())
        }
    });
    match slot {
        Value::Array(items) if path[0].is_empty() => {
            if path.len() == 1 {
                items.push(value);
            } else {
                let mut m = Map::new();
                insert_path(&mut m, "_", &path[1..], value);
                items.push(m.remove("_").unwrap_or(Value::Null));
            }
        }
        Value::Object(m) => insert_path(m, &path[0], &path[1..], value),
        _ => {
            // A scalar already sits here (`a=1&a[b]=2`): keep the first, as qs does.
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn truto_options_are_read() {
        let q = UnifiedQuery::from_json(&json!({
            "integrated_account_id": "acc1", "truto_response_format": "raw", "truto_ignore_remote_data": "true",
            "truto_exclude_fields": ["id", "actor.id"], "limit": "50", "remote_query": {"foo": "bar", "a": {"b": [1, 2]}},
            "candidate_id": "c1"
        }))
        .unwrap();
        assert_eq!(q.format, ResponseFormat::Raw);
        assert!(q.ignore_remote_data);
        assert_eq!(q.exclude_fields, vec!["id", "actor.id"]);
        assert_eq!(q.limit, Some(50));
        assert_eq!(q.remote_query, vec![("a[b][]".to_string(), "1".to_string()), ("a[b][]".into(), "2".into()), ("foo".into(), "bar".into())]);
        assert_eq!(q.filters["candidate_id"], "c1");
        assert!(q.strict);
    }

    #[test]
    fn all_query_problems_at_once() {
        let err = UnifiedQuery::from_json(&json!({"truto_response_format": "stream", "limit": 0, "truto_ignore_limit": 3})).unwrap_err();
        let j = err.to_json();
        assert_eq!(j["details"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn query_strings_parse_like_qs() {
        let v = parse_query_string("integrated_account_id=a&remote_query[foo]=bar&truto_exclude_fields[]=id&truto_exclude_fields[]=name&created_at[gte]=2024-01-01T00:00:00Z&x=a%20b");
        assert_eq!(v, json!({
            "integrated_account_id": "a", "remote_query": {"foo": "bar"}, "truto_exclude_fields": ["id", "name"],
            "created_at": {"gte": "2024-01-01T00:00:00Z"}, "x": "a b"
        }));
        // Weird keys stay flat instead of panicking.
        let v = parse_query_string("[x]=1&a[b=2&c]=3&d[e]f=4");
        assert_eq!(v["[x]"], "1");
        assert_eq!(v["a[b"], "2");
        assert_eq!(v["d[e]f"], "4");
    }
}
