//! Applies a provider field table to validated unified values: `Body` rows land at
//! their dotted path in the provider JSON, `Query` rows become query parameters,
//! each through its [`Conv`]. `Path`, `Custom` and `Local` rows are left to the
//! provider module (or, for `Local`, to the list filter code).

use serde_json::{Map, Value};

use crate::codec::datetime::{epoch_ms, iso_utc, parse_datetime};
use crate::codec::json::{id_string, set};
use crate::unified::schema::{Conv, FieldMap, Target};

/// The provider-side pieces produced from a table.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Mapped {
    pub body: Map<String, Value>,
    pub query: Vec<(String, String)>,
}

/// Converts one validated unified value for the provider.
pub fn convert(conv: Conv, v: &Value) -> Value {
    match conv {
        Conv::Same => v.clone(),
        Conv::EpochMs => with_datetime(v, |dt| Value::from(epoch_ms(dt))),
        Conv::EpochSecs => with_datetime(v, |dt| Value::from(dt.unix_timestamp())),
        Conv::UtcIso => with_datetime(v, |dt| Value::String(iso_utc(dt))),
        Conv::Map(table) => match v.as_str().and_then(|s| table.iter().find(|(k, _)| *k == s)) {
            Some((_, lit)) => lit.to_json(),
            None => Value::Null,
        },
        Conv::Id => id_string(v.get("id")).map(Value::String).unwrap_or(Value::Null),
        Conv::Ids => Value::Array(
            v.as_array()
                .map(|items| items.iter().filter_map(|x| id_string(x.get("id"))).map(Value::String).collect())
                .unwrap_or_default(),
        ),
    }
}

fn with_datetime(v: &Value, f: impl Fn(time::OffsetDateTime) -> Value) -> Value {
    v.as_str().and_then(parse_datetime).map(f).unwrap_or(Value::Null)
}

/// Query parameter text for a converted value.
pub fn query_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(query_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Applies every `Body`/`Query` row of `table` to the accepted `fields`.
pub fn apply(table: &[FieldMap], fields: &Map<String, Value>) -> Mapped {
    let mut out = Mapped::default();
    for row in table {
        let Some(v) = fields.get(row.field) else { continue };
        let converted = convert(row.conv, v);
        if converted.is_null() {
            continue;
        }
        match row.target {
            Target::Body(path) => {
                set(&mut out.body, path, converted);
            }
            Target::Query(name) => out.query.push((name.to_string(), query_text(&converted))),
            Target::Path(_) | Target::Custom(_) | Target::Local => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unified::schema::{s, Lit};
    use serde_json::json;

    #[test]
    fn table_rows_land_where_declared() {
        const T: &[FieldMap] = &[
            FieldMap::body("created_at", "createdAt").conv(Conv::EpochMs),
            FieldMap::body("visibility", "secret").conv(Conv::Map(&[("private", Lit::Bool(true)), ("public", Lit::Bool(false))])),
            FieldMap::body("owner", "properties.hubspot_owner_id").conv(Conv::Id),
            FieldMap::body("contacts", "contact_ids").conv(Conv::Ids),
            FieldMap::query("candidate_id", "perform_as"),
            FieldMap::body("direction", "dir").conv(Conv::Map(&[("inbound", s("INBOUND"))])),
        ];
        let fields = json!({
            "created_at": "2017-01-19T22:16:27Z", "visibility": "private", "owner": {"id": "7"},
            "contacts": [{"id": "1"}, {"id": 2}], "candidate_id": "u1", "direction": "inbound"
        });
        let m = apply(T, fields.as_object().unwrap());
        assert_eq!(
            Value::Object(m.body),
            json!({"createdAt": 1484864187000i64, "secret": true, "properties": {"hubspot_owner_id": "7"}, "contact_ids": ["1", "2"], "dir": "INBOUND"})
        );
        assert_eq!(m.query, vec![("perform_as".to_string(), "u1".to_string())]);
    }
}
