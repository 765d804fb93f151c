//! A unified record as mappers build it: its fields in key order, named by the
//! model's own (static) field names.
//!
//! A list page is thousands of records of a dozen or more fields; as
//! `serde_json::Map`s each field cost a key allocation and a B-tree insert, and
//! each record a tree to walk, serialize and free (issue 17's profile). Here a
//! record is one vector, written as the same JSON object a `Map` writes (keys in
//! byte order), and becomes a `Map` only where a caller wants one.

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    /// Sorted by key, each key once.
    fields: Vec<Field>,
    /// `remote_data` as the provider's own JSON text, written verbatim (set by
    /// [`Record::set_remote_text`]; a `remote_data` field replaces it).
    remote_text: Option<String>,
}

/// The field [`Record::set_remote_text`] fills.
const REMOTE_DATA: &str = "remote_data";

#[derive(Debug, Clone, PartialEq)]
struct Field {
    /// The key's first eight bytes as a big-endian number (zero-padded): keys
    /// compare as these numbers first, bytes only on a tie.
    prefix: u64,
    /// Mappers name fields statically; a record read back from a JSON object owns
    /// its keys.
    key: Cow<'static, str>,
    value: Value,
}

fn prefix(key: &str) -> u64 {
    let b = key.as_bytes();
    if let Some(first) = b.first_chunk::<8>() {
        return u64::from_be_bytes(*first);
    }
    // Shorter keys: their bytes high, zeros after (no library copy for a few bytes).
    b.iter().enumerate().fold(0u64, |p, (i, &c)| p | (u64::from(c) << (56usize.saturating_sub(i.saturating_mul(8)))))
}

/// A raw record's text as a value. The text was copied out of a body the tape
/// reader accepted, so it is JSON; `null` stands for the impossible otherwise.
pub fn raw_text_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

impl Record {
    /// A record with room for a mapped record's fields (an empty placeholder is
    /// `Record::default()`, which allocates nothing).
    pub fn new() -> Record {
        Record { fields: Vec::with_capacity(20), remote_text: None }
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        let p = prefix(key);
        // Mappers mostly add fields past the last one: checked first.
        match self.fields.last() {
            None => return Err(0),
            Some(last) if last.prefix < p => return Err(self.fields.len()),
            Some(_) => {}
        }
        self.fields.binary_search_by(|f| f.prefix.cmp(&p).then_with(|| f.key.as_ref().cmp(key)))
    }

    /// Sets a field, returning the value it replaces.
    pub fn insert(&mut self, key: &'static str, value: Value) -> Option<Value> {
        if key == REMOTE_DATA {
            self.remote_text = None;
        }
        match self.find(key) {
            Ok(i) => self.fields.get_mut(i).map(|slot| std::mem::replace(&mut slot.value, value)),
            Err(i) => {
                self.fields.insert(i, Field { prefix: prefix(key), key: Cow::Borrowed(key), value });
                None
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.find(key).ok().and_then(|i| self.fields.get(i)).map(|f| &f.value)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        let i = self.find(key).ok()?;
        self.fields.get_mut(i).map(|f| &mut f.value)
    }

    pub fn remove(&mut self, key: &str) -> Option<Value> {
        if key == REMOTE_DATA {
            if let Some(text) = self.remote_text.take() {
                return Some(raw_text_value(&text));
            }
        }
        let i = self.find(key).ok()?;
        Some(self.fields.remove(i).value)
    }

    /// Sets `remote_data` to JSON text kept as it is: the provider's record,
    /// copied out of its response (it must be one whole JSON value).
    pub fn set_remote_text(&mut self, text: String) {
        if let Ok(i) = self.find(REMOTE_DATA) {
            self.fields.remove(i);
        }
        self.remote_text = Some(text);
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok() || (key == REMOTE_DATA && self.remote_text.is_some())
    }

    pub fn len(&self) -> usize {
        self.fields.len().saturating_add(usize::from(self.remote_text.is_some()))
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The fields holding values, in key order (`remote_data` kept as text is not
    /// among them; [`Record::write_json`] and [`Record::into_map`] include it).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.fields.iter().map(|f| (f.key.as_ref(), &f.value))
    }

    pub fn into_map(self) -> Map<String, Value> {
        let mut m: Map<String, Value> = self.fields.into_iter().map(|f| (f.key.into_owned(), f.value)).collect();
        if let Some(text) = self.remote_text {
            m.insert(REMOTE_DATA.into(), raw_text_value(&text));
        }
        m
    }

    /// A record of a JSON object's members.
    pub fn from_map(m: Map<String, Value>) -> Record {
        let mut fields: Vec<Field> = m.into_iter().map(|(k, value)| Field { prefix: prefix(&k), key: Cow::Owned(k), value }).collect();
        // Already in key order unless serde_json keeps insertion order.
        fields.sort_by(|a, b| a.key.cmp(&b.key));
        Record { fields, remote_text: None }
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.into_map())
    }

    /// The record's JSON object (what `into_map` would write), written directly;
    /// `remote_data` kept as text goes in verbatim at its place in key order.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        use crate::codec::json_out::{write_str, write_value};
        let mut remote = self.remote_text.as_deref();
        out.push(b'{');
        let mut first = true;
        let mut comma = |out: &mut Vec<u8>| {
            if !std::mem::take(&mut first) {
                out.push(b',');
            }
        };
        for (k, v) in self.iter() {
            if let Some(text) = remote.filter(|_| k > REMOTE_DATA) {
                comma(out);
                out.extend_from_slice(b"\"remote_data\":");
                out.extend_from_slice(text.as_bytes());
                remote = None;
            }
            comma(out);
            write_str(out, k);
            out.push(b':');
            write_value(out, v);
        }
        if let Some(text) = remote {
            comma(out);
            out.extend_from_slice(b"\"remote_data\":");
            out.extend_from_slice(text.as_bytes());
        }
        out.push(b'}');
    }
}

/// The JSON object a `Map` of the same fields writes.
impl Serialize for Record {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        if self.remote_text.is_some() {
            return self.clone().into_map().serialize(ser);
        }
        let mut map = ser.serialize_map(Some(self.fields.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// `record["status"]` reads like a `Map`'s index (a missing field is `null`).
impl std::ops::Index<&str> for Record {
    type Output = Value;
    fn index(&self, key: &str) -> &Value {
        static NULL: Value = Value::Null;
        self.get(key).unwrap_or(&NULL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Keys sharing their first eight bytes, a key that is another's prefix, and
    /// bytes past ASCII keep byte order.
    #[test]
    fn keys_keep_byte_order() {
        let keys = ["start_time", "start_at", "start", "star", "", "z", "é", "engagement_type", "engagement", "a\u{0}", "a"];
        let mut r = Record::new();
        for k in keys {
            r.insert(k, json!(k));
        }
        let mut sorted = keys.to_vec();
        sorted.sort();
        assert_eq!(r.iter().map(|(k, _)| k).collect::<Vec<_>>(), sorted);
        for k in keys {
            assert_eq!(r.get(k), Some(&json!(k)));
        }
        assert_eq!(r.get("start_tim"), None);
    }

    const KEYS: [&str; 8] = ["id", "start_time", "start_at", "start", "remote_data", "a", "z", "engagement_type"];

    proptest::proptest! {
        #![proptest_config(crate::tests::properties::config(2_000, file!()))]

        /// Any sequence of sets and removals leaves what a `Map` would hold.
        #[test]
        fn sets_and_removals_keep_what_a_map_keeps(ops in proptest::collection::vec((0usize..8, proptest::prelude::any::<Option<i64>>()), 0..40)) {
            let mut r = Record::new();
            let mut m = Map::new();
            for (k, v) in ops {
                let key = KEYS[k];
                match v {
                    Some(n) => proptest::prop_assert_eq!(r.insert(key, json!(n)), m.insert(key.to_string(), json!(n))),
                    None => proptest::prop_assert_eq!(r.remove(key), m.remove(key)),
                }
                for key in KEYS {
                    proptest::prop_assert_eq!(r.get(key), m.get(key));
                }
                proptest::prop_assert_eq!(serde_json::to_string(&r).unwrap(), serde_json::to_string(&m).unwrap());
                proptest::prop_assert_eq!(r.len(), m.len());
            }
            proptest::prop_assert_eq!(r.into_map(), m);
        }
    }

    #[test]
    fn writes_what_a_map_of_the_same_fields_writes() {
        let mut r = Record::new();
        for (k, v) in [("updated_at", json!(null)), ("id", json!("call:1")), ("contacts", json!([{"id": "2"}])), ("id", json!("call:9")), ("a", json!(1))] {
            r.insert(k, v);
        }
        let mut m = Map::new();
        for (k, v) in [("updated_at", json!(null)), ("id", json!("call:1")), ("contacts", json!([{"id": "2"}])), ("id", json!("call:9")), ("a", json!(1))] {
            m.insert(k.to_string(), v);
        }
        assert_eq!(serde_json::to_string(&r).unwrap(), serde_json::to_string(&m).unwrap());
        assert_eq!(r.clone().into_map(), m);
        assert_eq!(r["id"], json!("call:9"));
        assert_eq!(r["missing"], Value::Null);
        assert_eq!(r.remove("a"), Some(json!(1)));
        assert!(!r.contains_key("a") && r.len() == 3);
        assert_eq!(Record::from_map(m.clone()).into_map(), m);
        let mut direct = Vec::new();
        r.write_json(&mut direct);
        assert_eq!(String::from_utf8(direct).unwrap(), serde_json::to_string(&r).unwrap());
    }
}
