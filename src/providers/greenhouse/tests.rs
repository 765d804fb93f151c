use super::*;
use crate::codec::http::HttpResponse;
use crate::tests::support::{drive, drive_pages, fixture, input, Script};

const TOKEN: &str = "gh-v3-access-token-8d2a";
const ORIGIN: &str = "https://harvest.greenhouse.io";

fn account() -> Value {
    json!({"id": "acc", "provider": "greenhouse", "credentials": {"access_token": TOKEN, "expires_at": "2099-01-01T00:00:00Z"}})
}

fn list(query: Value, script: Script) -> (Vec<HttpRequest>, Result<Vec<Value>>) {
    drive_pages(input(account(), "ats", "interviews", "list", None, Value::Null, query), script)
}

fn linked(body: &Value, next: Option<&str>) -> HttpResponse {
    let resp = HttpResponse::new(200, body.to_string());
    match next {
        Some(url) => resp.with_header("Link", &format!("<{url}>; rel=\"next\"")),
        None => resp,
    }
}

/// The page of scheduled + all-day interviews with every lookup answered.
fn full_script() -> Script {
    Script::ok(200, &fixture("greenhouse/schema.v3.interviews.scheduled.json"))
        .then(200, &fixture("greenhouse/schema.v3.interviewers.list.response.json"))
        .then(200, &fixture("greenhouse/schema.v3.applications.list.response.json"))
        .then(200, &fixture("greenhouse/schema.v3.job_interviews.list.response.json"))
        .then(200, &fixture("greenhouse/schema.v3.job_interview_stages.list.response.json"))
}

#[test]
fn a_list_page_is_joined_with_its_panel_candidate_and_stage() {
    let (sent, pages) = list(json!({}), full_script());
    let urls: Vec<&str> = sent.iter().map(|r| r.url.strip_prefix(ORIGIN).unwrap()).collect();
    assert_eq!(
        urls,
        [
            "/v3/interviews?per_page=50",
            "/v3/interviewers?interview_ids=9101%2C9102&per_page=500",
            "/v3/applications?ids=7001%2C7002&per_page=500",
            "/v3/job_interviews?ids=801%2C802&per_page=500",
            "/v3/job_interview_stages?ids=71%2C72&per_page=500",
        ]
    );
    for req in &sent {
        assert_eq!(req.headers["authorization"], format!("Bearer {TOKEN}"));
        assert!(req.body.is_none());
    }
    let page = &pages.unwrap()[0];
    let mut timed = page["result"][0].clone();
    assert_eq!(timed["remote_data"], fixture("greenhouse/schema.v3.interviews.scheduled.json")[0]);
    timed.as_object_mut().unwrap().remove("remote_data");
    assert_eq!(
        timed,
        json!({
            "id": "9101",
            "application": {"id": "7001"},
            "candidate": {"id": "4001"},
            "created_at": "2026-01-20T09:00:00Z",
            "updated_at": "2026-01-21T10:30:00Z",
            "start_at": "2026-02-03T15:00:00Z",
            "end_at": "2026-02-03T16:00:00Z",
            "interviewers": [{"id": "601", "name": null, "email": "ada@example.com"}, {"id": null, "name": null, "email": "external@partner.example"}],
            "organizer": {"id": "501", "name": null, "email": null},
            "job_interview_stage": {"id": "71", "name": "Technical Interview"},
            "location": "Room 4",
            "status": "scheduled"
        })
    );
    let all_day = &page["result"][1];
    assert_eq!((all_day["start_at"].as_str(), all_day["end_at"].as_str()), (Some("2026-02-10T00:00:00Z"), Some("2026-02-10T00:00:00Z")));
    assert_eq!(all_day["status"], "draft", "a take-home test not yet sent");
    assert_eq!(all_day["interviewers"], json!([]));
    assert_eq!(all_day["job_interview_stage"], json!({"id": "72", "name": "Take Home Test"}));
}

#[test]
fn the_documented_example_maps_and_its_statuses_are_known() {
    let doc = fixture("greenhouse/doc.v3.interviews.list.response.json");
    let script = Script::ok(200, &doc).then(200, &json!([])).then(200, &json!([])).then(200, &json!([]));
    let (sent, pages) = list(json!({}), script);
    assert_eq!(sent.len(), 4, "interviewers, applications, job interviews; no stage ids so no stage lookup");
    let page = &pages.unwrap()[0];
    assert_eq!(page["result"][0]["status"], "completed");
    assert_eq!(page["result"][1]["status"], "awaiting_feedback");
    assert!(page["warnings"].as_array().map_or(true, Vec::is_empty), "{page}");
    assert_eq!(page["result"][0]["start_at"], Value::Null);
}

#[test]
fn date_filters_are_one_pipe_delimited_parameter_per_field() {
    let q = json!({"updated_at": {"gte": "2026-11-01T00:00:00+01:00", "lt": "2026-12-01T00:00:00Z"}, "start_at": "2026-01-01T00:00:00Z", "application_id": "7001", "limit": 10});
    let (sent, _) = list(q, Script::ok(200, &json!([])));
    assert_eq!(sent.len(), 1, "an empty page needs no lookups");
    assert_eq!(
        sent[0].url,
        format!("{ORIGIN}/v3/interviews?per_page=10&application_ids=7001&updated_at=gte%7C2026-10-31T23%3A00%3A00Z%7Clt%7C2026-12-01T00%3A00%3A00Z&starts_at=gte%7C2026-01-01T00%3A00%3A00Z")
    );
}

#[test]
fn pages_follow_the_link_cursor_alone_and_refuse_other_next_urls() {
    let page1 = json!([{"id": 1, "application_id": 5, "job_interview_id": 9, "status": "scheduled"}]);
    let script = Script::default()
        .then_response(linked(&page1, Some("https://harvest.greenhouse.io/v3/interviews?cursor=eyJwYWdlIjoyfQ")))
        .then(200, &json!([]))
        .then(200, &json!([]))
        .then(200, &json!([]))
        .then_response(linked(&json!([]), None));
    let (sent, pages) = list(json!({}), script);
    assert_eq!(sent.last().unwrap().url, format!("{ORIGIN}/v3/interviews?cursor=eyJwYWdlIjoyfQ"));
    assert_eq!(pages.unwrap().len(), 2);
    for bad in ["https://harvest.greenhouse.io/v3/interviews?cursor=x&per_page=5", "https://harvest.greenhouse.io/v3/users?cursor=x", "https://harvest.greenhouse.io/v3/interviews?page=2"] {
        let (_, out) = list(json!({}), Script::default().then_response(linked(&json!([]), Some(bad))));
        assert_eq!(out.unwrap_err().code(), "protocol_error", "{bad}");
    }
}

#[test]
fn a_lookup_the_token_may_not_read_leaves_its_field_empty_with_a_warning() {
    let script = Script::ok(200, &fixture("greenhouse/schema.v3.interviews.scheduled.json"))
        .then(403, &json!({"errors": ["Forbidden"]}))
        .then(200, &fixture("greenhouse/schema.v3.applications.list.response.json"))
        .then(200, &fixture("greenhouse/schema.v3.job_interviews.list.response.json"))
        .then(200, &fixture("greenhouse/schema.v3.job_interview_stages.list.response.json"));
    let (_, pages) = list(json!({}), script);
    let page = &pages.unwrap()[0];
    assert_eq!(page["result"][0]["interviewers"], json!([]));
    assert_eq!(page["result"][0]["candidate"], json!({"id": "4001"}));
    assert_eq!(page["warnings"][0]["code"], "lookup_refused");
    assert_eq!(page["warnings"][0]["field"], "interviewers");
    assert!(page["warnings"][0]["message"].as_str().unwrap().contains("harvest:interviewers:list"));
}

#[test]
fn a_lookups_own_pages_are_followed() {
    let one = json!([{"id": 9101, "application_id": 7001, "job_interview_id": 801, "status": "scheduled"}]);
    let script = Script::ok(200, &one)
        .then_response(linked(&json!([{"interview_id": 9101, "user_id": 1, "email": "a@x.example"}]), Some("https://harvest.greenhouse.io/v3/interviewers?cursor=c2")))
        .then(200, &json!([{"interview_id": 9101, "user_id": 2, "email": "b@x.example"}]))
        .then(200, &json!([]))
        .then(200, &json!([]));
    let (sent, pages) = list(json!({}), script);
    assert_eq!(sent[2].url, format!("{ORIGIN}/v3/interviewers?cursor=c2"));
    let people = &pages.unwrap()[0]["result"][0]["interviewers"];
    assert_eq!(people.as_array().unwrap().len(), 2);
}

#[test]
fn get_is_a_list_by_ids_and_an_empty_answer_is_a_404() {
    let get = |id: &str, script: Script| drive(input(account(), "ats", "interviews", "get", Some(id), Value::Null, json!({})), script);
    let one = json!([fixture("greenhouse/schema.v3.interviews.scheduled.json")[0].clone()]);
    let (sent, out) = get("9101", Script::ok(200, &one).then(200, &json!([])).then(200, &json!([])).then(200, &json!([])));
    assert_eq!(sent[0].url, format!("{ORIGIN}/v3/interviews?ids=9101"));
    assert_eq!(out.unwrap()["id"], "9101");
    let (_, out) = get("9999", Script::ok(200, &json!([])));
    assert_eq!(out.unwrap_err().to_json()["statusCode"], 404);
    let (sent, out) = get("12a", Script::ok(200, &json!([])));
    assert!(sent.is_empty());
    assert_eq!(out.unwrap_err().to_json()["details"][0]["field"], "id");
}

#[test]
fn a_v1_api_key_account_is_told_how_to_move_and_client_credentials_get_a_token_first() {
    let old = json!({"provider": "greenhouse", "credentials": {"api_key": "a7183e1b7e9ab09b8a5cfa87d1934c3c"}});
    let err = crate::facade::account_check::problems(&old);
    assert_eq!(err[0].field, "credentials.api_key");
    assert!(err[0].message.contains("2026-08-31"));
    let cc = json!({"id": "gh", "provider": "greenhouse", "credentials": {"client_id": "gh-client", "client_secret": "gh-secret-value-1"}, "context": {"user_id": "123"}});
    let (mut op, step) = crate::Operation::start(input(cc, "ats", "interviews", "list", None, Value::Null, json!({})), 0).unwrap();
    let crate::Step::Send(req) = step else { panic!("a token request first") };
    assert_eq!(req.url, "https://auth.greenhouse.io/token");
    assert_eq!(req.headers["authorization"], crate::provider::account::basic("gh-client", "gh-secret-value-1"));
    let form = serde_json::to_value(&req).unwrap()["body"].as_str().unwrap().to_string();
    assert_eq!(form, "grant_type=client_credentials&sub=123");
    // Greenhouse states the lifetime as expires_at.
    let crate::Step::Credentials(c) = crate::Machine::handle_response(&mut op, HttpResponse::new(200, r#"{"access_token":"gh-new","token_type":"Bearer","expires_at":"2026-12-04T12:00:00Z"}"#), 0).unwrap() else { panic!() };
    assert_eq!(c["credentials"]["expires_at"], "2026-12-04T12:00:00Z");
}
