//! Greenhouse — Harvest API v1 at `https://harvest.greenhouse.io`, scheduled interviews.
//! Docs: https://developers.greenhouse.io/harvest.html#scheduled-interviews
//! Auth: HTTP Basic with the Harvest API token as user name and an empty password.
//! Lists page with `page`/`per_page` (1–500) and an RFC 8288 `Link` header; Greenhouse
//! asks clients to follow `rel="next"` rather than count pages, so the next URL is the
//! paging state (its path and query only: it is always re-based on the account origin).
//! `application_id` switches to `/v1/applications/{id}/scheduled_interviews`, which has
//! no `starts_*`/`ends_*` parameters; start/end filters are then applied by crosswalk.
//! All-day interviews carry `start.date`/`end.date` (`YYYY-MM-DD`) instead of
//! `date_time`; they map to midnight UTC of that date.
//! Greenhouse announces the v1/v2 Harvest sunset for 2026-08-31 (v3 is a different API).
//! Sources and documented examples: tests/fixtures/greenhouse/README.md.

use serde_json::{json, Map, Value};

use crate::provider::account::{basic, Account};
use crate::codec::convert::{get_str, id_ref, id_string, iso_or_null, iso_utc};
use crate::error::{Error, Result, Warning};
use crate::unified::filters::window;
use crate::codec::http::{HttpRequest, HttpResponse, Method};
use crate::unified::schema::{FieldMap, UnifiedMethod};

use crate::provider::{link_next, map_status, rebase_on_origin, Ctx, Exchange, OpDef, Paged, PartlyLocal, ProviderDef, RawPage, Single};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "greenhouse",
    label: "Greenhouse",
    docs: "https://developers.greenhouse.io/harvest.html",
    hosts: &["harvest.greenhouse.io"],
    origin: |_| Ok("https://harvest.greenhouse.io".into()),
    auth,
    idempotency_header: None,
    ops: &[
        OpDef {
            model: "ats",
            resource: "interviews",
            method: UnifiedMethod::List,
            fields: FILTERS,
            returns: RETURNS,
            start: start_list,
            check: None,
            notes: "GET /v1/scheduled_interviews (or /v1/applications/{id}/scheduled_interviews); Link-header paging, per_page ≤ 500; job_interview_stage is the interview step (interview{id,name}); all-day interviews start/end at midnight UTC",
        },
        OpDef {
            model: "ats",
            resource: "interviews",
            method: UnifiedMethod::Get,
            fields: &[],
            returns: RETURNS,
            start: start_get,
            check: None,
            notes: "GET /v1/scheduled_interviews/{id}",
        },
    ],
};

const FILTERS: &[FieldMap] = &[
    FieldMap::custom("application_id", "/v1/applications/{id}/scheduled_interviews"),
    FieldMap::custom("created_at", "created_after / created_before"),
    FieldMap::custom("updated_at", "updated_after / updated_before"),
    FieldMap::custom("start_at", "starts_after / starts_before (crosswalk with application_id)"),
    FieldMap::custom("end_at", "ends_after / ends_before (crosswalk with application_id)"),
];

const RETURNS: &[&str] = &["id", "application", "created_at", "end_at", "interviewers", "job_interview_stage", "location", "organizer", "start_at", "status", "updated_at"];

/// Greenhouse documents exactly these three statuses.
pub const STATUS: &[(&str, &str)] = &[("scheduled", "scheduled"), ("awaiting_feedback", "awaiting_feedback"), ("complete", "completed")];

/// Unified date filter → Greenhouse `<prefix>_after` / `<prefix>_before`.
const DATE_PARAMS: &[(&str, &str)] = &[("created_at", "created"), ("updated_at", "updated"), ("start_at", "starts"), ("end_at", "ends")];

const PER_PAGE_MAX: u32 = 500;

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    let token = account.credential("api_key")?;
    Ok(req.secret_header("authorization", basic(token, "")))
}

fn start_list(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    // The per-application endpoint has no start/end parameters.
    let unsent = match ctx.field_str("application_id") {
        Some(_) => ["start_at", "end_at"].into_iter().filter(|f| ctx.fields.contains_key(*f)).collect(),
        None => Vec::new(),
    };
    Ok(PartlyLocal::boxed(Paged::boxed(list_page, parse_page, |_, item, w| map_interview(item, w))?, unsent))
}

fn list_page(ctx: &Ctx, state: &Value) -> Result<HttpRequest> {
    if !state.is_null() {
        let path = state.get("next").and_then(Value::as_str).filter(|p| is_list_path(p)).ok_or_else(|| Error::InvalidCursor { reason: "not a Greenhouse scheduled-interviews page".into() })?;
        return ctx.request(Method::Get, ctx.url().raw_path(path).build());
    }
    let app = ctx.field_str("application_id");
    let mut url = match app {
        Some(id) => ctx.url().path("/v1/applications").seg(id).path("/scheduled_interviews"),
        None => ctx.url().path("/v1/scheduled_interviews"),
    };
    url = url.query("per_page", ctx.query.limit.unwrap_or(100).clamp(1, PER_PAGE_MAX).to_string());
    for (field, prefix) in DATE_PARAMS {
        let sent_here = app.is_none() || matches!(*field, "created_at" | "updated_at");
        let Some(v) = ctx.fields.get(*field).filter(|_| sent_here) else { continue };
        // Greenhouse's `_after` is "at or after", `_before` is "before": the window fits.
        let w = window(field, v);
        url = url.query_opt(&format!("{prefix}_after"), w.after.map(iso_utc)).query_opt(&format!("{prefix}_before"), w.before.map(iso_utc));
    }
    ctx.request(Method::Get, url.queries(ctx.query.remote_query.iter().cloned()).build())
}

/// A next-page path must stay on one of the two list endpoints.
fn is_list_path(p: &str) -> bool {
    let path = p.split('?').next().unwrap_or("");
    let app_list = path.strip_prefix("/v1/applications/").and_then(|rest| rest.strip_suffix("/scheduled_interviews")).is_some_and(|id| !id.is_empty() && !id.contains('/'));
    (path == "/v1/scheduled_interviews" || app_list) && !p.chars().any(|c| c.is_control() || c == ' ' || c == '#')
}

fn parse_page(ctx: &Ctx, resp: &HttpResponse, body: Value) -> Result<RawPage> {
    let Value::Array(items) = body else {
        return Err(Error::protocol("greenhouse", "scheduled interviews list is not a JSON array"));
    };
    let next = match link_next(resp.header("link")) {
        None => None,
        Some(url) => {
            let path = rebase_on_origin(&url, ctx.origin).and_then(|u| u.strip_prefix(ctx.origin.as_str()).map(str::to_string)).filter(|p| is_list_path(p));
            Some(json!({ "next": path.ok_or_else(|| Error::protocol("greenhouse", "the Link rel=\"next\" URL is not a scheduled-interviews page"))? }))
        }
    };
    Ok(RawPage { items, next })
}

fn start_get(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    let url = ctx.url().path("/v1/scheduled_interviews").seg(ctx.id()?).queries(ctx.query.remote_query.iter().cloned()).build();
    Single::boxed(ctx.request(Method::Get, url)?, |_, body, w| Ok((map_interview(&body, w)?, body)))
}

/// `start`/`end`: `{date_time}` for timed interviews, `{date}` for all-day ones.
fn moment(v: Option<&Value>) -> Value {
    let v = v.and_then(|m| m.get("date_time").filter(|d| !d.is_null()).or_else(|| m.get("date")));
    iso_or_null(v)
}

fn user(u: &Value) -> Value {
    let joined = [get_str(u, "first_name"), get_str(u, "last_name")].into_iter().flatten().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ");
    let name = get_str(u, "name").map(str::to_string).or(Some(joined).filter(|s| !s.is_empty()));
    json!({ "id": id_string(u.get("id")), "name": name, "email": u.get("email") })
}

fn map_interview(item: &Value, w: &mut Vec<Warning>) -> Result<Map<String, Value>> {
    let id = id_string(item.get("id")).ok_or_else(|| Error::protocol("greenhouse", "scheduled interview has no id"))?;
    let mut r = Map::new();
    r.insert("id".into(), json!(id));
    r.insert("application".into(), id_ref(item.get("application_id")));
    r.insert("candidate".into(), Value::Null);
    r.insert("created_at".into(), iso_or_null(item.get("created_at")));
    r.insert("updated_at".into(), iso_or_null(item.get("updated_at")));
    r.insert("start_at".into(), moment(item.get("start")));
    r.insert("end_at".into(), moment(item.get("end")));
    r.insert("interviewers".into(), Value::Array(item.get("interviewers").and_then(Value::as_array).map(|l| l.iter().map(user).collect()).unwrap_or_default()));
    r.insert("organizer".into(), item.get("organizer").filter(|o| o.is_object()).map(user).unwrap_or(Value::Null));
    r.insert("job_interview_stage".into(), match item.get("interview").filter(|i| i.is_object()) {
        Some(step) => json!({ "id": id_string(step.get("id")), "name": step.get("name") }),
        None => Value::Null,
    });
    let location = get_str(item, "location").filter(|s| !s.is_empty()).or_else(|| get_str(item, "video_conferencing_url"));
    r.insert("location".into(), json!(location));
    r.insert("status".into(), map_status(STATUS, get_str(item, "status"), w));
    Ok(r)
}

#[cfg(test)]
mod tests {
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
}
