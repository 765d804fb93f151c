//! Small JSON helpers shared by mappers: dotted paths, ids, objects built without
//! copies, and merges.

use serde_json::{Map, Value};

use super::doc::Scalar;

/// Reads a dotted path (`results.author.id`) from a JSON value.
pub fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for key in path.split('.') {
        cur = match cur {
            Value::Object(m) => m.get(key)?,
            Value::Array(a) => a.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    if cur.is_null() {
        None
    } else {
        Some(cur)
    }
}

pub fn get_str<'a>(v: &'a Value, path: &str) -> Option<&'a str> {
    get(v, path).and_then(Value::as_str)
}

/// An id as a string, whether the provider sends a string or a number.
pub fn id_string<'a>(v: Option<impl Scalar<'a>>) -> Option<String> {
    let v = v?;
    match (v.text(), v.plain_digits()) {
        (Some(s), _) => (!s.is_empty()).then(|| s.to_string()),
        (None, Some(digits)) => Some(digits.to_string()),
        (None, None) => v.number().map(|n| n.to_string()),
    }
}

/// `{ "id": … }` from an id value, or `null`.
pub fn id_ref<'a>(v: Option<impl Scalar<'a>>) -> Value {
    match id_string(v) {
        Some(id) => {
            let mut m = Map::new();
            m.insert("id".into(), Value::String(id));
            Value::Object(m)
        }
        None => Value::Null,
    }
}

/// A JSON object from `(key, value)` pairs. The values are moved in, where
/// `json!` re-serializes each one (a deep copy of a `Value`) and costs more wasm
/// per use; shared code builds its output with this.
pub fn obj(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

/// A JSON string, or `null`.
pub fn opt_str(s: Option<&str>) -> Value {
    s.map_or(Value::Null, Value::from)
}

/// Sets a dotted path, creating objects on the way. Fails (returns false) when a
/// non-object is in the way.
pub fn set(target: &mut Map<String, Value>, path: &str, value: Value) -> bool {
    let mut parts = path.split('.').peekable();
    let mut cur = target;
    while let Some(key) = parts.next() {
        if parts.peek().is_none() {
            cur.insert(key.to_string(), value);
            return true;
        }
        let next = cur.entry(key.to_string()).or_insert_with(|| Value::Object(Map::new()));
        match next {
            Value::Object(m) => cur = m,
            _ => return false,
        }
    }
    false
}

/// Deep-merges `extra` into `base` (objects merge key by key; anything else in
/// `extra` replaces). Used for `remote_data` in request bodies.
pub fn merge(base: &mut Value, extra: &Value) {
    match (base, extra) {
        (Value::Object(b), Value::Object(e)) => {
            for (k, v) in e {
                match b.get_mut(k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, e) => *b = e.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_get_and_set() {
        let v = json!({"a": {"b": [{"c": 1}]}});
        assert_eq!(get(&v, "a.b.0.c"), Some(&json!(1)));
        let mut m = Map::new();
        assert!(set(&mut m, "properties.hs_timestamp", json!(1)));
        assert_eq!(Value::Object(m), json!({"properties": {"hs_timestamp": 1}}));
        let mut base = json!({"a": {"x": 1}, "b": 2});
        merge(&mut base, &json!({"a": {"y": 2}, "b": {"z": 3}}));
        assert_eq!(base, json!({"a": {"x": 1, "y": 2}, "b": {"z": 3}}));
    }
}
