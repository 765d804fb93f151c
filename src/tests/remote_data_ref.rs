//! `remote_data` by reference: a driver that keeps the response bodies gets pages
//! whose records leave `remote_data` out and a `remote_data_ref` saying where each
//! record's raw item is. Checked against the same page with `remote_data` inline:
//! same records, and the item the reference names is the one inlined.

use serde_json::{json, Value};

use crate::codec::http::HttpResponse;
use crate::tests::support::{drive_pages, input, Script};
use crate::StartInput;

fn call(id: u64, contact: Option<&str>) -> Value {
    let mut item = json!({
        "id": id.to_string(),
        "properties": {"hs_call_title": format!("Call {id}"), "hs_call_direction": "OUTBOUND", "hs_call_to_number": "+15550100", "hs_timestamp": "2026-01-02T03:04:05Z"},
        "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z", "archived": false,
    });
    if let Some(c) = contact {
        item["associations"] = json!({"contacts": {"results": [{"id": c, "type": "call_to_contact"}]}});
    }
    item
}

fn page(items: &[Value]) -> HttpResponse {
    HttpResponse::new(200, json!({"results": items}).to_string())
}

fn list(query: Value, by_reference: bool) -> StartInput {
    let mut q = json!({"engagement_type": "call"});
    q.as_object_mut().unwrap().extend(query.as_object().unwrap().clone());
    let mut i = input(json!({"id": "a", "provider": "hubspot", "credentials": {"access_token": "TOK-cw-0c44e2-secret"}}), "crm", "engagements", "list", None, Value::Null, q);
    i.remote_data_by_reference = by_reference;
    i
}

/// Drives both ways over the same responses: (pages by reference, pages inline).
fn both(query: Value, responses: Vec<HttpResponse>) -> (Vec<Value>, Vec<Value>) {
    let script = || Script(responses.clone().into());
    let by_ref = drive_pages(list(query.clone(), true), script()).1.unwrap();
    let inline = drive_pages(list(query, false), script()).1.unwrap();
    (by_ref, inline)
}

/// Resolves a reference the way the npm driver does, from the response bodies.
fn resolve(page: &Value, bodies: &[&HttpResponse]) -> Vec<Value> {
    let r = &page["remote_data_ref"];
    let mut items: Value = serde_json::from_str(&bodies[r["response"].as_u64().unwrap() as usize].body).unwrap();
    for key in r["path"].as_array().unwrap() {
        items = items[key.as_str().unwrap()].take();
    }
    let n = page["result"].as_array().unwrap().len();
    (0..n).map(|i| {
        let at = match r.get("index") {
            Some(index) => index[i].as_u64().unwrap(),
            None => r["start"].as_u64().unwrap() + i as u64,
        };
        items[at as usize].clone()
    }).collect()
}

fn without_remote_data(page: &Value) -> Vec<Value> {
    page["result"].as_array().unwrap().iter().map(|r| {
        let mut r = r.clone();
        r.as_object_mut().unwrap().remove("remote_data");
        r
    }).collect()
}

#[test]
fn a_page_by_reference_names_the_items_the_inline_page_carries() {
    let items = [call(1, None), call(2, Some("9")), call(3, None)];
    let resp = page(&items);
    let (by_ref, inline) = both(json!({}), vec![resp.clone()]);
    assert_eq!(by_ref[0]["remote_data_ref"], json!({"response": 0, "path": ["results"], "start": 0}));
    assert!(by_ref[0]["result"].as_array().unwrap().iter().all(|r| r.get("remote_data").is_none()));
    assert!(inline[0].get("remote_data_ref").is_none());
    assert_eq!(by_ref[0]["result"], json!(without_remote_data(&inline[0])));
    let inlined: Vec<Value> = inline[0]["result"].as_array().unwrap().iter().map(|r| r["remote_data"].clone()).collect();
    assert_eq!(resolve(&by_ref[0], &[&resp]), inlined);
    assert_eq!(inlined, items.to_vec());
}

#[test]
fn a_local_filter_gives_the_index_of_each_kept_record() {
    let items = [call(1, None), call(2, Some("9")), call(3, Some("8")), call(4, Some("9"))];
    let resp = page(&items);
    let (by_ref, inline) = both(json!({"contact_id": "9"}), vec![resp.clone()]);
    assert_eq!(by_ref[0]["remote_data_ref"]["index"], json!([1, 3]));
    assert_eq!(resolve(&by_ref[0], &[&resp]), vec![items[1].clone(), items[3].clone()]);
    assert_eq!(by_ref[0]["result"], json!(without_remote_data(&inline[0])));
}

#[test]
fn a_retried_response_is_counted_so_the_reference_names_the_answer() {
    let items = [call(1, None)];
    let busy = HttpResponse::new(429, "{}").with_header("retry-after", "1");
    let resp = page(&items);
    let (by_ref, _) = both(json!({}), vec![busy.clone(), resp.clone()]);
    assert_eq!(by_ref[0]["remote_data_ref"]["response"], 1);
    assert_eq!(resolve(&by_ref[0], &[&busy, &resp]), items.to_vec());
}

#[test]
fn a_split_page_references_its_first_part_and_inlines_the_rest() {
    // The provider ignores the page size: 3 items for limit 2.
    let items = [call(1, None), call(2, None), call(3, None)];
    let resp = page(&items);
    let (by_ref, inline) = both(json!({"limit": 2}), vec![resp.clone()]);
    assert_eq!(by_ref.len(), 2);
    assert_eq!(by_ref[0]["remote_data_ref"]["start"], 0);
    assert_eq!(resolve(&by_ref[0], &[&resp]), items[..2].to_vec());
    // The rest was read earlier: a driver no longer holds that body.
    assert!(by_ref[1].get("remote_data_ref").is_none());
    assert_eq!(by_ref[1], inline[1]);
}

#[test]
fn remote_data_stays_inline_when_it_is_not_the_raw_item() {
    let items = [call(1, None), call(2, None)];
    for query in [json!({"truto_exclude_fields": "remote_data.properties"}), json!({"truto_ignore_remote_data": "true"}), json!({"truto_key_by": "id"}), json!({"truto_response_format": "raw"})] {
        let (by_ref, inline) = both(query.clone(), vec![page(&items)]);
        assert_eq!(by_ref, inline, "{query}");
    }
    // A provider echoing the token: the inline page is redacted, never referenced.
    let mut echo = call(3, None);
    echo["properties"]["hs_call_body"] = json!("token TOK-cw-0c44e2-secret");
    let (by_ref, inline) = both(json!({}), vec![page(&[echo])]);
    assert_eq!(by_ref, inline);
    assert!(!by_ref[0].to_string().contains("TOK-cw-0c44e2-secret"));
}
