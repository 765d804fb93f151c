//! Reading the driver's JSON input into core types by hand. serde's derived
//! `Deserialize` over `serde_json::Value` (and derived `Serialize` into `Value`)
//! is instantiated once per type and per field type; these few readers replace it
//! and keep the wasm smaller (docs/SIZE.md). Messages name the field, like serde's.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// `v` as an object; `what` names it in the error.
pub fn object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| Error::invalid(format!("{what} must be an object, not {}", type_name(v))))
}

/// The JSON type of a value, for messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn invalid(key: &str, expected: &str, v: &Value) -> Error {
    Error::invalid(format!("invalid type for `{key}`: {}, expected {expected}", type_name(v)))
}

/// A required field.
pub fn field<'a>(m: &'a Map<String, Value>, key: &str) -> Result<&'a Value> {
    m.get(key).ok_or_else(|| Error::invalid(format!("missing field `{key}`")))
}

/// A required string field.
pub fn string(m: &Map<String, Value>, key: &str) -> Result<String> {
    let v = field(m, key)?;
    v.as_str().map(str::to_string).ok_or_else(|| invalid(key, "a string", v))
}

/// An optional string field (absent or `null` is `None`).
pub fn opt_string(m: &Map<String, Value>, key: &str) -> Result<Option<String>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(invalid(key, "a string", v)),
    }
}

/// An optional object field (absent is empty).
pub fn opt_object(m: &Map<String, Value>, key: &str) -> Result<Map<String, Value>> {
    match m.get(key) {
        None => Ok(Map::new()),
        Some(Value::Object(o)) => Ok(o.clone()),
        Some(v) => Err(invalid(key, "an object", v)),
    }
}

/// An optional non-negative integer field.
pub fn opt_u64(m: &Map<String, Value>, key: &str) -> Result<Option<u64>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| invalid(key, "a non-negative integer", v)),
    }
}

/// An optional `u32` field.
pub fn opt_u32(m: &Map<String, Value>, key: &str) -> Result<Option<u32>> {
    match opt_u64(m, key)? {
        None => Ok(None),
        Some(n) => u32::try_from(n).map(Some).map_err(|_| Error::invalid(format!("`{key}` is larger than {}", u32::MAX))),
    }
}

/// An optional boolean field.
pub fn opt_bool(m: &Map<String, Value>, key: &str) -> Result<Option<bool>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(v) => Err(invalid(key, "a boolean", v)),
    }
}

/// Fails on a key not in `known` (for objects that reject typos).
pub fn deny_unknown(m: &Map<String, Value>, known: &[&str]) -> Result<()> {
    match m.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(Error::invalid(format!("unknown field `{k}`, expected one of {}", known.join(", ")))),
        None => Ok(()),
    }
}

/// Inputs larger than this are refused before parsing further.
pub const MAX_INPUT_BYTES: usize = 8 * 1024 * 1024;

/// Nesting deeper than this is refused (serde_json's own parse limit, applied
/// to values that never went through the parser).
pub const MAX_DEPTH: usize = 128;

/// Refuses a value built in memory (not parsed) that is larger or deeper than
/// parsed input may be, so native callers get the same clean 413/400 as the wasm
/// facade. Stops counting at the limit.
pub fn check_value(v: &Value, field: &str) -> Result<()> {
    fn too_deep(v: &Value, depth: usize) -> bool {
        depth > MAX_DEPTH
            || match v {
                Value::Array(items) => items.iter().any(|x| too_deep(x, depth.saturating_add(1))),
                Value::Object(m) => m.values().any(|x| too_deep(x, depth.saturating_add(1))),
                _ => false,
            }
    }
    if too_deep(v, 0) {
        return Err(Error::invalid(format!("{field} is nested deeper than {MAX_DEPTH} levels")));
    }
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 = self.0.saturating_add(buf.len());
            if self.0 > MAX_INPUT_BYTES {
                return Err(std::io::Error::other("too large"));
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    match serde_json::to_writer(Count(0), v) {
        Err(_) => Err(Error::PayloadTooLarge { limit: MAX_INPUT_BYTES }),
        Ok(()) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn readers_name_the_field() {
        let v = json!({"a": "x", "n": 5, "neg": -1, "big": 5_000_000_000u64, "b": true, "o": {"k": 1}, "nul": null});
        let m = object(&v, "input").unwrap();
        assert_eq!(string(m, "a").unwrap(), "x");
        assert!(string(m, "zz").unwrap_err().to_string().contains("missing field `zz`"));
        assert!(string(m, "n").unwrap_err().to_string().contains("`n`"));
        assert_eq!(opt_string(m, "nul").unwrap(), None);
        assert_eq!(opt_u64(m, "n").unwrap(), Some(5));
        assert!(opt_u64(m, "neg").is_err());
        assert!(opt_u32(m, "big").is_err());
        assert_eq!(opt_bool(m, "b").unwrap(), Some(true));
        assert_eq!(opt_object(m, "o").unwrap()["k"], 1);
        assert!(opt_object(m, "a").is_err());
        assert!(deny_unknown(m, &["a"]).unwrap_err().to_string().contains("unknown field"));
        assert!(object(&json!([1]), "input").is_err());
    }
}
