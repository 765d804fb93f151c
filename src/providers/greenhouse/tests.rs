use super::*;
use crate::codec::http::HttpResponse;
use crate::tests::support::{drive, drive_pages, fixture, input, Script};

const ACCOUNT: fn() -> Value = || json!({"id": "acc", "provider": "greenhouse", "credentials": {"api_key": "a7183e1b7e9ab09b8a5cfa87d1934c3c"}});

fn list(query: Value, script: Script) -> (Vec<HttpRequest>, Result<Vec<Value>>) {
    drive_pages(input(ACCOUNT(), "ats", "interviews", "list", None, Value::Null, query), script)
}

fn linked(body: &Value, next: Option<&str>) -> HttpResponse {
    let resp = HttpResponse::new(200, body.to_string());
    match next {
        Some(url) => resp.with_header("Link", &format!("<{url}>; rel=\"next\", <https://harvest.greenhouse.io/v1/scheduled_interviews?page=9&per_page=2>; rel=\"last\"")),
        None => resp,
    }
}

fn item(id: u64, status: &str) -> Value {
    json!({"id": id, "application_id": 1, "status": status, "start": {"date_time": "2024-06-15T10:00:00.000Z"}, "end": {"date_time": "2024-06-15T11:00:00.000Z"},
           "created_at": "2024-06-01T00:00:00.000Z", "updated_at": "2024-06-02T00:00:00.000Z", "interviewers": []})
}

fn ids(pages: &[Value]) -> Vec<String> {
    pages.iter().flat_map(|p| p["result"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string())).collect()
}

#[test]
fn documented_list_maps_timed_and_all_day_interviews() {
    let doc = fixture("greenhouse/doc.scheduled_interviews.list.response.json");
    let (sent, pages) = list(json!({}), Script::ok(200, &doc));
    assert_eq!(sent[0].method.as_str(), "GET");
    assert_eq!(sent[0].url, "https://harvest.greenhouse.io/v1/scheduled_interviews?per_page=100");
    assert_eq!(sent[0].headers["authorization"], "Basic YTcxODNlMWI3ZTlhYjA5YjhhNWNmYTg3ZDE5MzRjM2M6");
    assert!(sent[0].body.is_none(), "Greenhouse rejects GET with a body");
    let page = &pages.unwrap()[0];
    assert!(page["next_cursor"].is_null());
    let mut timed = page["result"][0].clone();
    assert_eq!(timed["remote_data"], doc[0]);
    timed.as_object_mut().unwrap().remove("remote_data");
    assert_eq!(
        timed,
        json!({
            "id": "9128481",
            "application": {"id": "4684156"},
            "candidate": null,
            "created_at": "2016-02-10T14:31:51.019Z",
            "updated_at": "2016-05-23T20:43:11.679Z",
            "start_at": "2014-03-26T22:15:00Z",
            "end_at": "2014-03-26T22:30:00Z",
            "interviewers": [{"id": "4080", "name": "Kate Austen", "email": "kate.austen@example.com"}],
            "organizer": {"id": "2000", "name": "Jack Shepard", "email": null},
            "job_interview_stage": {"id": "7001", "name": "Culture Fit"},
            "location": "Big Conference Room",
            "status": "awaiting_feedback"
        })
    );
    let all_day = &page["result"][1];
    assert_eq!(all_day["start_at"], "2017-08-22T00:00:00Z");
    assert_eq!(all_day["end_at"], "2017-08-23T00:00:00Z");
    assert!(all_day["created_at"].is_null() && all_day["updated_at"].is_null());
    assert_eq!(all_day["status"], "completed");
    assert_eq!(all_day["interviewers"][0], json!({"id": "3412", "name": "Charlie Pace", "email": "youalleverybody@example.com"}));
    assert_eq!(all_day["job_interview_stage"], json!({"id": "7002", "name": "Whiteboarding Challenge"}));
}

#[test]
fn get_fetches_one_interview() {
    let doc = fixture("greenhouse/doc.scheduled_interviews.get.response.json");
    let (sent, out) = drive(input(ACCOUNT(), "ats", "interviews", "get", Some("9128481"), Value::Null, json!({})), Script::ok(200, &doc));
    assert_eq!(sent[0].url, "https://harvest.greenhouse.io/v1/scheduled_interviews/9128481");
    let out = out.unwrap();
    assert_eq!(out["id"], "9128481");
    assert_eq!(out["organizer"]["id"], "2000");
    assert_eq!(out["remote_data"], doc);
    let (_, out) = drive(input(ACCOUNT(), "ats", "interviews", "get", Some("1"), Value::Null, json!({})), Script::ok(404, &json!({"message": "Resource not found"})));
    let e = out.unwrap_err().to_json();
    assert_eq!((e["statusCode"].as_u64(), e["remote"]["message"].as_str()), (Some(404), Some("Resource not found")));
}

#[test]
fn every_status_row_and_unknown_statuses() {
    for (gh, unified) in STATUS {
        let (_, pages) = list(json!({}), Script::ok(200, &json!([item(1, gh)])));
        assert_eq!(pages.unwrap()[0]["result"][0]["status"], *unified);
    }
    let (_, pages) = list(json!({}), Script::ok(200, &json!([item(1, "cancelled")])));
    let p = &pages.unwrap()[0];
    assert!(p["result"][0]["status"].is_null());
    assert_eq!(p["warnings"][0]["code"], "unknown_status");
}

#[test]
fn each_filter_becomes_its_greenhouse_parameter() {
    let q = json!({
        "created_at": {"gte": "2024-06-01T00:00:00Z", "lt": "2024-07-01T00:00:00Z"},
        "updated_at": "2024-06-01T12:00:00+02:00",
        "start_at": {"gt": "2024-06-10T00:00:00Z"},
        "end_at": "2024-06-30T00:00:00Z",
        "limit": 800,
        "remote_query": {"actionable": "true"}
    });
    let (sent, pages) = list(q, Script::ok(200, &json!([item(1, "scheduled")])));
    assert_eq!(
        sent[0].url,
        "https://harvest.greenhouse.io/v1/scheduled_interviews?per_page=500\
         &created_after=2024-06-01T00%3A00%3A00Z&created_before=2024-07-01T00%3A00%3A00Z\
         &updated_after=2024-06-01T10%3A00%3A00Z\
         &starts_after=2024-06-10T00%3A00%3A00Z\
         &ends_before=2024-06-30T00%3A00%3A01Z&actionable=true"
    );
    let p = &pages.unwrap()[0];
    assert_eq!(p["result_count"], 1);
    assert!(p.get("warnings").is_none(), "everything was applied by Greenhouse");
}

#[test]
fn application_filter_uses_the_application_endpoint_and_applies_start_locally() {
    let doc = fixture("greenhouse/doc.applications_scheduled_interviews.list.response.json");
    let q = json!({"application_id": "4684156", "created_at": "2016-01-01T00:00:00Z", "start_at": {"gte": "2015-01-01T00:00:00Z"}});
    let (sent, pages) = list(q, Script::ok(200, &doc));
    assert_eq!(sent[0].url, "https://harvest.greenhouse.io/v1/applications/4684156/scheduled_interviews?per_page=100&created_after=2016-01-01T00%3A00%3A00Z");
    let p = &pages.unwrap()[0];
    assert_eq!(ids(std::slice::from_ref(p)), ["9128482"], "the 2014 interview starts before the bound");
    assert_eq!(p["warnings"][0]["code"], "filter_applied_locally");
    assert_eq!(p["warnings"][0]["field"], "query.start_at");
}

#[test]
fn link_header_pages_are_followed_on_the_account_origin() {
    let script = Script::default()
        .then_response(linked(&json!([item(1, "scheduled"), item(2, "scheduled")]), Some("https://harvest.greenhouse.io/v1/scheduled_interviews?page=2&per_page=2")))
        .then_response(linked(&json!([item(3, "scheduled"), item(4, "scheduled")]), Some("https://evil.example/v1/scheduled_interviews?page=3&per_page=2")))
        .then_response(linked(&json!([item(5, "complete")]), None));
    let (sent, pages) = list(json!({"limit": 2}), script);
    let pages = pages.unwrap();
    assert_eq!(ids(&pages), ["1", "2", "3", "4", "5"]);
    assert_eq!(sent[1].url, "https://harvest.greenhouse.io/v1/scheduled_interviews?page=2&per_page=2");
    assert_eq!(sent[2].url, "https://harvest.greenhouse.io/v1/scheduled_interviews?page=3&per_page=2");
    assert!(sent.iter().all(|r| r.headers["authorization"].starts_with("Basic ")));
    assert!(pages[2]["next_cursor"].is_null());

    // A base_url override keeps every page on that origin.
    let account = json!({"provider": "greenhouse", "base_url": "http://127.0.0.1:9999", "credentials": {"api_key": "k"}});
    let script = Script::default()
        .then_response(linked(&json!([item(1, "scheduled")]), Some("https://harvest.greenhouse.io/v1/scheduled_interviews?page=2&per_page=1")))
        .then_response(linked(&json!([item(2, "scheduled")]), None));
    let (sent, _) = drive_pages(input(account, "ats", "interviews", "list", None, Value::Null, json!({"limit": 1})), script);
    assert_eq!(sent[1].url, "http://127.0.0.1:9999/v1/scheduled_interviews?page=2&per_page=1");
}

#[test]
fn a_repeated_next_link_or_a_foreign_path_is_an_error() {
    let next = Some("https://harvest.greenhouse.io/v1/scheduled_interviews?page=2&per_page=1");
    let script = Script::default().then_response(linked(&json!([item(1, "scheduled")]), next)).then_response(linked(&json!([item(2, "scheduled")]), next));
    let (sent, pages) = list(json!({"limit": 1}), script);
    assert_eq!(sent.len(), 2);
    assert_eq!(pages.unwrap_err().code(), "pagination_loop");

    let script = Script::default().then_response(linked(&json!([item(1, "scheduled")]), Some("https://harvest.greenhouse.io/v1/users?page=2")));
    assert_eq!(list(json!({}), script).1.unwrap_err().code(), "protocol_error");

    let forged = crate::engine::cursor::encode("greenhouse", "ats", "interviews", &json!({"next": "/v1/users?page=2"}), &[]);
    let (sent, out) = list(json!({"next_cursor": forged}), Script::default());
    assert!(sent.is_empty());
    assert_eq!(out.unwrap_err().code(), "invalid_cursor");
}

#[test]
fn error_bodies_are_remote_errors() {
    let (_, pages) = list(json!({}), Script::ok(422, &fixture("greenhouse/doc.validation_error.response.json")));
    let e = pages.unwrap_err().to_json();
    assert_eq!(e["statusCode"], 422);
    assert_eq!(e["remote"]["message"], "Validation error");
    let (_, pages) = list(json!({}), Script::ok(200, &json!({"unexpected": true})));
    assert_eq!(pages.unwrap_err().code(), "protocol_error");
    let (sent, pages) = list(json!({"candidate_id": "1"}), Script::default());
    assert!(sent.is_empty());
    assert_eq!(pages.unwrap_err().to_json()["details"][0]["code"], "unsupported_field");
}
