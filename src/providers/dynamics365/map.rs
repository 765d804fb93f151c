//! Dataverse activity row → unified engagement.

use crate::unified::record::Record;
use serde_json::{json, Value};

use crate::codec::datetime::iso_or_null;
use crate::codec::doc::Json;
use crate::codec::json::id_ref;
use crate::error::{Error, Result};

use super::Kind;

/// Lookups come back as `_x_value` with the table in
/// `_x_value@Microsoft.Dynamics.CRM.lookuplogicalname` (asked for with
/// `Prefer: odata.include-annotations`).
fn lookup<'a>(row: Json<'a>, column: &str) -> Option<(Json<'a>, Option<&'a str>)> {
    let v = row.get(format!("_{column}_value")).filter(|v| !v.is_null())?;
    // Not `get_str`: the annotation name contains dots.
    Some((v, row.get(format!("_{column}_value@Microsoft.Dynamics.CRM.lookuplogicalname")).and_then(Json::as_str)))
}

pub fn to_unified(kind: &Kind, row: Json<'_>, w: &mut Vec<crate::error::Warning>) -> Result<Record> {
    let id = crate::codec::json::id_string(row.get(kind.key)).ok_or_else(|| Error::protocol("dynamics365", format!("the {} row has no {}", kind.logical, kind.key)))?;
    let mut r = Record::new();
    r.insert("id", json!(crate::providers::crm_engagements::typed_id(kind.unified, &id)));
    r.insert("engagement_type", json!(kind.unified));
    r.insert("subject", row.field("subject"));
    r.insert("content", row.field(kind.text));
    r.insert("start_time", iso_or_null(row.get("scheduledstart")));
    r.insert("end_time", iso_or_null(row.get("scheduledend")));
    r.insert("duration", crate::codec::numbers::provider_secs("duration", row.get("actualdurationminutes"), 60, w));
    r.insert("direction", match row.get("directioncode").and_then(Json::as_bool) {
        Some(true) => json!("outbound"),
        Some(false) => json!("inbound"),
        None => Value::Null,
    });
    r.insert("phone_numbers", crate::providers::crm_engagements::phone_list(row.get("phonenumber")));
    r.insert("owner", lookup(row, "ownerid").map_or(Value::Null, |(v, _)| id_ref(Some(v))));
    let mut contacts = Vec::new();
    for field in ["account", "opportunity", "lead"] {
        r.insert(field, if field == "lead" { json!([]) } else { Value::Null });
    }
    let parent = if kind.unified == "note" { lookup(row, "objectid") } else { lookup(row, "regardingobjectid") };
    match parent {
        Some((v, Some("account"))) => {
            r.insert("account", id_ref(Some(v)));
        }
        Some((v, Some("opportunity"))) => {
            r.insert("opportunity", id_ref(Some(v)));
        }
        Some((v, Some("lead"))) => {
            r.insert("lead", json!([id_ref(Some(v))]));
        }
        Some((v, Some("contact"))) => contacts.push(id_ref(Some(v))),
        _ => {}
    }
    let parties = kind.parties.and_then(|p| row.get(p)).and_then(Json::items);
    for party in parties.into_iter().flatten() {
        if let Some((v, Some("contact"))) = lookup(party, "partyid") {
            let c = id_ref(Some(v));
            if !contacts.contains(&c) {
                contacts.push(c);
            }
        }
    }
    r.insert("contacts", Value::Array(contacts));
    r.insert("created_at", iso_or_null(row.get("createdon")));
    r.insert("updated_at", iso_or_null(row.get("modifiedon")));
    Ok(r)
}
