use super::*;
use crate::tests::support::{drive, drive_pages, fixture, input, Script};

fn account() -> Value {
    json!({"id": "acc", "provider": "pinpoint", "credentials": {"api_key": "pp-key-123"}, "context": {"subdomain": "acme"}})
}

fn list(query: Value, script: Script) -> (Vec<HttpRequest>, Result<Vec<Value>>) {
    drive_pages(input(account(), "ats", "interviews", "list", None, Value::Null, query), script)
}

fn interview(id: &str, interviewable: (&str, &str), start: &str) -> Value {
    json!({"id": id, "type": "interviews",
           "attributes": {"created_at": "2024-06-01T09:00:00+01:00", "updated_at": "2024-06-02T09:00:00+00:00", "start_at": start, "end_at": "2024-06-15T11:00:00+00:00", "status": "scheduled"},
           "relationships": {"interviewable": {"data": {"type": interviewable.0, "id": interviewable.1}}, "stage": {"data": {"type": "stages", "id": "7"}}}})
}

fn page(ids: &[&str]) -> Value {
    json!({"data": ids.iter().map(|id| interview(id, ("applications", "a1"), "2024-06-15T10:00:00+00:00")).collect::<Vec<_>>(), "meta": {}})
}

const BASE: &str = "https://acme.pinpointhq.com/api/v1/interviews?include=stage";

#[test]
fn documented_collection_maps_with_the_included_stage() {
    let doc = fixture("pinpoint/doc.interviews.list.response.json");
    let (sent, pages) = list(json!({}), Script::ok(200, &doc));
    assert_eq!(sent[0].method.as_str(), "GET");
    assert_eq!(sent[0].url, format!("{BASE}&page[number]=1&page[size]=100"));
    assert_eq!(sent[0].headers["x-api-key"], "pp-key-123");
    assert_eq!(sent[0].headers["accept"], "application/vnd.api+json");
    let p = &pages.unwrap()[0];
    assert!(p["next_cursor"].is_null(), "one item on a page of 100 is the last page");
    let mut r = p["result"][0].clone();
    assert_eq!(r["remote_data"], doc["data"][0]);
    r.as_object_mut().unwrap().remove("remote_data");
    assert_eq!(
        r,
        json!({
            "id": "1", "application": {"id": "1"}, "candidate": null,
            "created_at": "2019-01-01T00:00:00Z", "updated_at": "2019-01-01T00:00:00Z",
            "start_at": "2019-01-01T00:00:00Z", "end_at": "2019-01-01T00:00:00Z",
            "job_interview_stage": {"id": "1", "name": "string"},
            "status": null
        })
    );
    assert!(p.get("warnings").is_none(), "status is unsupported, not a warning per record");
}

#[test]
fn get_fetches_one_interview() {
    let doc = fixture("pinpoint/doc.interviews.get.response.json");
    let (sent, out) = drive(input(account(), "ats", "interviews", "get", Some("1"), Value::Null, json!({})), Script::ok(200, &doc));
    assert_eq!(sent[0].url, "https://acme.pinpointhq.com/api/v1/interviews/1?include=stage");
    let out = out.unwrap();
    assert_eq!(out["job_interview_stage"], json!({"id": "1", "name": "string"}));
    assert_eq!(out["application"], json!({"id": "1"}));
    assert_eq!(out["remote_data"], doc["data"]);
    let not_found = json!({"errors": [{"status": "404", "title": "Not Found", "detail": "Couldn't find Interview with id=9"}]});
    let (_, out) = drive(input(account(), "ats", "interviews", "get", Some("9"), Value::Null, json!({})), Script::ok(404, &not_found));
    let e = out.unwrap_err().to_json();
    assert_eq!((e["statusCode"].as_u64(), e["remote"]["message"].as_str()), (Some(404), Some("Couldn't find Interview with id=9")));
}

#[test]
fn status_is_unsupported_until_pinpoint_documents_its_values() {
    let (_, pages) = list(json!({}), Script::ok(200, &page(&["1", "2"])));
    let p = &pages.unwrap()[0];
    assert!(p["result"][0]["status"].is_null() && p["result"][0]["remote_data"]["attributes"]["status"] == "scheduled");
    assert!(p.get("warnings").is_none());
    let c = crate::facade::coverage::coverage();
    assert_eq!(c["ats"]["interviews"]["list"]["response"]["status"]["pinpoint"]["supported"], false);
}

#[test]
fn filters_become_graphiti_filters_or_are_applied_locally() {
    let q = json!({
        "created_at": {"gte": "2024-06-01T00:00:00Z", "lte": "2024-06-30T00:00:00Z"},
        "updated_at": "2024-06-01T00:00:00Z",
        "start_at": {"gt": "2024-06-10T00:00:00Z", "lt": "2024-07-01T00:00:00Z"},
        "application_id": "a1",
        "end_at": "2024-06-15T10:30:00Z",
        "limit": 50,
        "remote_query": {"filter[presence]": "attended"}
    });
    let mut body = page(&["1", "2"]);
    body["data"][1] = interview("2", ("job_seekers", "a1"), "2024-06-15T10:00:00+00:00");
    body["data"].as_array_mut().unwrap().push(json!({"id": "3", "type": "interviews", "attributes": {"start_at": "2024-06-15T10:00:00Z", "end_at": "2024-06-15T10:15:00Z", "created_at": "2024-06-02T00:00:00Z", "updated_at": "2024-06-02T00:00:00Z", "interviewable_type": "Application", "interviewable_id": 55}}));
    let (sent, pages) = list(q, Script::ok(200, &body));
    assert_eq!(
        sent[0].url,
        format!(
            "{BASE}&page[number]=1&page[size]=50&filter[interviewable_id]=a1\
             &filter[created_at][gt]=2024-05-31T23%3A59%3A59Z&filter[created_at][lt]=2024-06-30T00%3A00%3A01Z\
             &filter[updated_at][gt]=2024-05-31T23%3A59%3A59Z\
             &filter[start_at][gt]=2024-06-09T23%3A59%3A59Z&filter[start_at][lt]=2024-07-01T00%3A00%3A00Z\
             &filter[presence]=attended"
        )
    );
    let p = &pages.unwrap()[0];
    // 1 ends after the end_at bound, 2 is a job seeker's interview, 3 belongs to application 55.
    assert_eq!(p["result_count"], 0, "{p}");
    let w = p["warnings"].as_array().unwrap().iter().find(|w| w["code"] == "filter_applied_locally").unwrap();
    assert_eq!(w["field"], "query.application_id,end_at");

    let (_, pages) = list(json!({"application_id": "55"}), Script::ok(200, &body));
    let ids: Vec<String> = pages.unwrap()[0]["result"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, ["3"], "linkage-less records fall back to interviewable_type/id");
}

#[test]
fn page_numbers_advance_until_a_short_page() {
    let script = Script::ok(200, &page(&["1", "2"])).then(200, &page(&["3", "4"])).then(200, &page(&["5"]));
    let (sent, pages) = list(json!({"limit": 2}), script);
    let pages = pages.unwrap();
    let ids: Vec<&str> = pages.iter().flat_map(|p| p["result"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap())).collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5"]);
    assert_eq!(sent[1].url, format!("{BASE}&page[number]=2&page[size]=2"));
    assert_eq!(sent[2].url, format!("{BASE}&page[number]=3&page[size]=2"));
    assert!(pages[2]["next_cursor"].is_null());

    // A full last page costs one empty request, then paging ends.
    let (sent, pages) = list(json!({"limit": 2}), Script::ok(200, &page(&["1", "2"])).then(200, &page(&[])));
    assert_eq!(sent.len(), 2);
    assert!(pages.unwrap()[1]["next_cursor"].is_null());
}

#[test]
fn a_server_repeating_the_same_page_is_an_error() {
    let script = Script::ok(200, &page(&["1", "2"])).then(200, &page(&["1", "2"]));
    let (sent, pages) = list(json!({"limit": 2}), script);
    assert_eq!(sent.len(), 2);
    assert_eq!(pages.unwrap_err().code(), "pagination_loop");
    let forged = crate::engine::cursor::encode("pinpoint", "ats", "interviews", &json!({"page": 0}), &[]);
    let (sent, out) = list(json!({"next_cursor": forged}), Script::default());
    assert!(sent.is_empty());
    assert_eq!(out.unwrap_err().code(), "invalid_cursor");
}

#[test]
fn account_and_error_handling() {
    let (sent, out) = drive_pages(input(json!({"provider": "pinpoint", "credentials": {"api_key": "k"}, "context": {"subdomain": "evil.com"}}), "ats", "interviews", "list", None, Value::Null, json!({})), Script::default());
    assert!(sent.is_empty());
    assert_eq!(out.unwrap_err().to_json()["details"][0]["field"], "account.context.subdomain");
    let unauthorized = json!({"errors": [{"status": "401", "title": "Unauthorized"}]});
    let (_, out) = list(json!({}), Script::ok(401, &unauthorized));
    assert_eq!(out.unwrap_err().to_json()["remote"]["message"], "Unauthorized");
    let (_, out) = list(json!({}), Script::ok(200, &json!({"data": {"id": "1"}})));
    assert_eq!(out.unwrap_err().code(), "protocol_error");
}
