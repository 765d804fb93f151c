use serde_json::{json, Map, Value};

use crate::codec::doc::of;
use super::*;

fn fields(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

#[test]
fn refs_and_ids() {
    assert_eq!(typed_id("call", "123"), "call:123");
    assert_eq!(id_json("123"), json!(123));
    assert_eq!(id_json("0"), json!(0));
    assert_eq!(id_json("0123"), json!("0123"));
    assert_eq!(id_json("abc-1"), json!("abc-1"));
    let f = fields(json!({"contacts": [{"id": "1"}, {"id": 2}, {"x": 3}], "owner": {"id": 7}, "lead": []}));
    assert_eq!(ref_ids(&f, "contacts"), vec!["1", "2"]);
    assert_eq!(ref_ids(&f, "owner"), vec!["7"]);
    assert_eq!(first_ref_id(&f, "contacts").unwrap(), "1");
    assert_eq!(first_ref_id(&f, "owner").unwrap(), "7");
    assert_eq!(first_ref_id(&f, "lead"), None);
    let paths: Vec<String> = linked(&f, &["owner", "contacts"]).into_iter().map(|l| l.path).collect();
    assert_eq!(paths, ["body.owner.id", "body.contacts[0].id", "body.contacts[1].id"]);
    assert_eq!(ref_list([Some(of(&json!(5))), None, Some(of(&json!("x")))]), json!([{"id": "5"}, {"id": "x"}]));
    assert_eq!(ref_list(items(Some(of(&json!([1, null, "b"]))))), json!([{"id": "1"}, {"id": "b"}]));
    assert_eq!(ref_list(items(None)), json!([]));
}

#[test]
fn integer_ids() {
    assert_eq!(int_id(&json!("123")), Some(123));
    assert_eq!(int_id(&json!(7)), Some(7));
    for bad in [json!("12a"), json!(""), json!("-1"), json!(1.5), json!("1234567890123456789"), json!("007")] {
        assert_eq!(int_id(&bad), None, "{bad}");
    }
    let f = fields(json!({"contacts": [{"id": "1"}, {"id": "x"}], "account": {"id": "y"}}));
    let issues = int_id_issues("p", &f, &["contacts", "account"]);
    let paths: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
    assert_eq!(paths, ["body.contacts[1].id", "body.account.id"]);
    assert_eq!(issues[0].message, "p ids are integers");
    assert_eq!(ref_json(&f, "contacts", true), Some(json!(1)));
    assert_eq!(ref_json(&f, "account", false), Some(json!("y")));
}

#[test]
fn phone_numbers_and_times() {
    let f = fields(json!({"phone_numbers": [{"number": "+1555", "extension": "12"}, {"type": "work"}]}));
    let got: Vec<String> = no_phone_extensions("acme", &f).into_iter().map(|i| i.field).collect();
    assert_eq!(got, vec!["body.phone_numbers[0].extension", "body.phone_numbers[1].number"]);
    assert_eq!(phone_numbers_need_numbers(&f).len(), 1);
    let same = fields(json!({"start_time": "2024-01-01T10:00:00Z", "end_time": "2024-01-01T11:00:00+01:00"}));
    assert_eq!(end_after_start(&same, false).unwrap().message, "must be after start_time");
    assert!(end_after_start(&same, true).is_none());
    let before = fields(json!({"start_time": "2024-01-01T10:00:00Z", "end_time": "2024-01-01T09:00:00Z"}));
    assert_eq!(end_after_start(&before, true).unwrap().message, "must not be before start_time");
}

#[test]
fn values_map_through_tables_or_warn() {
    let mut w = Vec::new();
    assert_eq!(map_value(&[("IN", "inbound")], Some("IN"), "direction", &mut w), json!("inbound"));
    assert_eq!(map_value(&[("IN", "inbound")], Some(""), "direction", &mut w), Value::Null);
    assert!(w.is_empty());
    assert_eq!(map_value(&[("IN", "inbound")], Some("SIDEWAYS"), "direction", &mut w), Value::Null);
    assert_eq!((w[0].field.as_str(), w[0].code.as_str()), ("direction", "unknown_value"));
}
