//! A list page as an operation returns it ([`Step::Page`](super::step::Step::Page)):
//! `{ result, next_cursor, result_count, warnings?, remote_data_ref? }`, its
//! records kept as [`Record`]s and written straight to JSON by the facade, not
//! first rebuilt as a `serde_json::Value` tree (issue 17).

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::unified::record::Record;

/// One entry of a page's `result`: a unified record, or (`format=raw`) the
/// provider's own.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Record(Record),
    Raw(Value),
}

impl Item {
    pub fn into_value(self) -> Value {
        match self {
            Item::Record(r) => r.into_value(),
            Item::Raw(v) => v,
        }
    }

    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Item::Record(r) => r.write_json(out),
            Item::Raw(v) => crate::codec::json_out::write_value(out, v),
        }
    }

    /// A field of a unified record (a raw item has none a page reads).
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Item::Record(r) => r.get(key),
            Item::Raw(v) => v.get(key),
        }
    }
}

impl Serialize for Item {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        match self {
            Item::Record(r) => r.serialize(ser),
            Item::Raw(v) => v.serialize(ser),
        }
    }
}

/// A page's `result`: its items in order, or keyed by a field (`truto_key_by`).
#[derive(Debug, Clone, PartialEq)]
pub enum PageResult {
    Items(Vec<Item>),
    Keyed(Map<String, Value>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub result: PageResult,
    pub next_cursor: Value,
    pub result_count: usize,
    /// Written only when there are any.
    pub warnings: Option<Value>,
    /// Where the driver finds each record's `remote_data` (see the operation).
    pub remote_data_ref: Option<Value>,
}

impl Page {
    /// The page as one JSON value (the same JSON it serializes to).
    pub fn into_value(self) -> Value {
        let mut m = Map::new();
        m.insert("next_cursor".into(), self.next_cursor);
        if let Some(r) = self.remote_data_ref {
            m.insert("remote_data_ref".into(), r);
        }
        let result = match self.result {
            PageResult::Items(items) => Value::Array(items.into_iter().map(Item::into_value).collect()),
            PageResult::Keyed(m) => Value::Object(m),
        };
        m.insert("result".into(), result);
        m.insert("result_count".into(), self.result_count.into());
        if let Some(w) = self.warnings {
            m.insert("warnings".into(), w);
        }
        Value::Object(m)
    }
}

impl Page {
    /// The page's JSON (what its `Serialize` writes), written directly: the
    /// facade's path for every list page.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        use crate::codec::json_out::{write_str, write_value};
        out.extend_from_slice(b"{\"next_cursor\":");
        write_value(out, &self.next_cursor);
        if let Some(r) = &self.remote_data_ref {
            out.extend_from_slice(b",\"remote_data_ref\":");
            write_value(out, r);
        }
        out.extend_from_slice(b",\"result\":");
        match &self.result {
            PageResult::Items(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write_json(out);
                }
                out.push(b']');
            }
            PageResult::Keyed(m) => crate::codec::json_out::write_object(out, m.iter().map(|(k, v)| (k.as_str(), v))),
        }
        out.extend_from_slice(b",\"result_count\":");
        out.extend_from_slice(self.result_count.to_string().as_bytes());
        if let Some(w) = &self.warnings {
            out.push(b',');
            write_str(out, "warnings");
            out.push(b':');
            write_value(out, w);
        }
        out.push(b'}');
    }
}

/// Keys in the order a `Map` of them writes (byte order), as `into_value` does.
impl Serialize for Page {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let len = 3usize.saturating_add(usize::from(self.warnings.is_some())).saturating_add(usize::from(self.remote_data_ref.is_some()));
        let mut map = ser.serialize_map(Some(len))?;
        map.serialize_entry("next_cursor", &self.next_cursor)?;
        if let Some(r) = &self.remote_data_ref {
            map.serialize_entry("remote_data_ref", r)?;
        }
        match &self.result {
            PageResult::Items(items) => map.serialize_entry("result", items)?,
            PageResult::Keyed(m) => map.serialize_entry("result", m)?,
        }
        map.serialize_entry("result_count", &self.result_count)?;
        if let Some(w) = &self.warnings {
            map.serialize_entry("warnings", w)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_page_writes_the_json_of_its_value() {
        let mut r = Record::new();
        r.insert("id", json!("7"));
        r.insert("remote_data", json!({"z": 1, "a": [true]}));
        for (warnings, remote) in [(None, None), (Some(json!([{"field": "x"}])), Some(json!({"response": 0, "path": [], "start": 0})))] {
            let page = Page { result: PageResult::Items(vec![Item::Record(r.clone()), Item::Raw(json!({"raw": null}))]), next_cursor: json!("c"), result_count: 2, warnings, remote_data_ref: remote };
            assert_eq!(serde_json::to_string(&page).unwrap(), page.clone().into_value().to_string());
            let mut direct = Vec::new();
            page.write_json(&mut direct);
            assert_eq!(String::from_utf8(direct).unwrap(), page.clone().into_value().to_string());
        }
        let keyed = Page { result: PageResult::Keyed(Map::from_iter([("7".to_string(), json!({"id": "7"}))])), next_cursor: Value::Null, result_count: 1, warnings: None, remote_data_ref: None };
        assert_eq!(serde_json::to_string(&keyed).unwrap(), keyed.clone().into_value().to_string());
        let mut direct = Vec::new();
        keyed.write_json(&mut direct);
        assert_eq!(String::from_utf8(direct).unwrap(), keyed.into_value().to_string());
    }
}
