//! Ashby scheduled interviews: `POST /interviewSchedule.list` (permission
//! `interviewsRead`). One unified interview is one Ashby *interview schedule*; its
//! times, interviewers and location come from the schedule's `interviewEvents`.
//! Ashby has no call that fetches one schedule by id (`interviewSchedule.*` is only
//! cancel/create/list/update), so there is no `get` operation.
//! Paging: `limit` (max 100) and `cursor` in the body; `moreDataAvailable` +
//! `nextCursor` in the response. Sources: tests/fixtures/ashby/README.md §I.

use crate::unified::record::Record;
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use crate::codec::datetime::{epoch_ms, iso_or_null, parse_datetime, to_iso};
use crate::codec::doc::Json;
use crate::codec::json::{id_ref, id_string};
use crate::error::{Error, Result, Warning};
use crate::unified::filters::window;
use crate::codec::http::{HttpRequest, HttpResponse};
use crate::provider::{map_status, Ctx, Exchange, OpDef, Paged, PartlyLocal, RawPage};
use crate::unified::schema::{FieldMap, UnifiedMethod};

use super::{full_name, rpc, unwrap_results};

pub(super) const LIST: OpDef = OpDef {
    model: "ats",
    resource: "interviews",
    method: UnifiedMethod::List,
    fields: FILTERS,
    returns: &["id", "application", "created_at", "end_at", "interviewers", "job_interview_stage", "location", "organizer", "start_at", "status", "updated_at"],
    start,
    check: None,
    notes: "interviewSchedule.list; no get (Ashby cannot fetch one schedule); candidate is not on schedules; start_at/end_at span the schedule's events; remote_query keys are added to the JSON body",
};

const FILTERS: &[FieldMap] = &[
    FieldMap::body("application_id", "applicationId"),
    FieldMap::body("job_interview_stage_id", "interviewStageId"),
    FieldMap::custom("created_at", "createdAfter (epoch ms); an upper bound is applied by crosswalk"),
    FieldMap::local("start_at"),
    FieldMap::local("end_at"),
];

/// Ashby schedule status → unified. `OnHold` and `Unknown` have no unified
/// equivalent (null + warning). The four pre-booking states are schedules not yet on
/// anyone's calendar, which is what `draft` means here.
pub const STATUS: &[(&str, &str)] = &[
    ("NeedsScheduling", "draft"),
    ("WaitingOnCandidateBooking", "draft"),
    ("WaitingOnCandidateAvailability", "draft"),
    ("CandidateAvailabilitySubmitted", "draft"),
    ("Scheduled", "scheduled"),
    ("WaitingOnFeedback", "awaiting_feedback"),
    ("Complete", "completed"),
    ("Cancelled", "cancelled"),
];

const PAGE_MAX: u32 = 100;

fn start(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    let unsent = match ctx.fields.get("created_at") {
        Some(v) if window("created_at", v).before.is_some() => vec!["created_at"],
        _ => Vec::new(),
    };
    Ok(PartlyLocal::boxed(Paged::boxed(page_request, parse_page, map_schedule)?, unsent))
}

fn page_request(ctx: &Ctx, state: &Value) -> Result<HttpRequest> {
    let mut body = Map::new();
    for (k, v) in &ctx.query.remote_query {
        body.insert(k.clone(), json!(v));
    }
    if let Value::Object(mapped) = ctx.table_body() {
        body.extend(mapped);
    }
    if let Some(after) = ctx.fields.get("created_at").and_then(|v| window("created_at", v).after) {
        // "Data after this date": one millisecond earlier keeps a record created
        // exactly at an inclusive bound; the re-check trims the rest.
        body.insert("createdAfter".into(), json!(epoch_ms(after).saturating_sub(1)));
    }
    body.insert("limit".into(), json!(ctx.query.limit.unwrap_or(PAGE_MAX).min(PAGE_MAX)));
    if !state.is_null() {
        let cursor = state.get("cursor").and_then(Value::as_str).ok_or_else(|| Error::InvalidCursor { reason: "no Ashby cursor in it".into() })?;
        body.insert("cursor".into(), json!(cursor));
    }
    rpc(ctx, "interviewSchedule.list", Value::Object(body))
}

fn parse_page<'a>(_ctx: &Ctx, _resp: &HttpResponse, body: Json<'a>) -> Result<RawPage<'a>> {
    let more = body.get("moreDataAvailable").and_then(Json::as_bool) == Some(true);
    let cursor = body.get_str("nextCursor").map(str::to_string);
    let items = unwrap_results(body)?.items().ok_or_else(|| Error::protocol("ashby", "interviewSchedule.list results is not a list"))?.collect();
    let next = match (more, cursor) {
        (false, _) => None,
        (true, Some(c)) => Some(json!({ "cursor": c })),
        (true, None) => return Err(Error::protocol("ashby", "moreDataAvailable is true but there is no nextCursor")),
    };
    Ok(RawPage { items, next, at: Some(&["results"]) })
}

fn instant(v: Option<Json<'_>>) -> Option<OffsetDateTime> {
    v.and_then(to_iso).as_deref().and_then(parse_datetime)
}

fn person(u: Json<'_>) -> Value {
    json!({ "id": id_string(u.get("id")), "name": full_name(u.get("firstName"), u.get("lastName")), "email": u.get("email") })
}

fn map_schedule(_ctx: &Ctx, item: Json<'_>, w: &mut Vec<Warning>) -> Result<Record> {
    let id = id_string(item.get("id")).ok_or_else(|| Error::protocol("ashby", "interview schedule has no id"))?;
    // Looked up once; each pass below walks a copy of the iterator.
    let events = item.get("interviewEvents").and_then(Json::items).into_iter().flatten();
    let start = events.clone().filter_map(|e| instant(e.get("startTime"))).min();
    let end = events.clone().filter_map(|e| instant(e.get("endTime"))).max();
    let mut interviewers: Vec<Value> = Vec::new();
    for e in events.clone() {
        let people: Vec<Value> = match e.get("interviewers").and_then(Json::items) {
            Some(list) => list.map(person).collect(),
            // The deprecated id list, for payloads without `interviewers`.
            None => e.get("interviewerUserIds").and_then(Json::items).into_iter().flatten().map(|id| json!({ "id": id_string(Some(id)), "name": null, "email": null })).collect(),
        };
        for p in people {
            if !p["id"].is_null() && !interviewers.iter().any(|x| x["id"] == p["id"]) {
                interviewers.push(p);
            }
        }
    }
    let text = |key: &str| events.clone().find_map(|e| e.get_str(key).filter(|s| !s.is_empty()));
    let mut r = Record::new();
    r.insert("id", json!(id));
    r.insert("application", id_ref(item.get("applicationId")));
    r.insert("candidate", Value::Null);
    r.insert("created_at", iso_or_null(item.get("createdAt")));
    r.insert("updated_at", iso_or_null(item.get("updatedAt")));
    r.insert("start_at", json!(start.map(crate::codec::datetime::iso_utc)));
    r.insert("end_at", json!(end.map(crate::codec::datetime::iso_utc)));
    r.insert("interviewers", Value::Array(interviewers));
    r.insert("job_interview_stage", match id_string(item.get("interviewStageId")) {
        Some(stage) => json!({ "id": stage, "name": null }),
        None => Value::Null,
    });
    r.insert("location", json!(text("location").or_else(|| text("meetingLink"))));
    r.insert("organizer", item.get("scheduledBy").filter(|u| u.is_object()).map(person).unwrap_or(Value::Null));
    r.insert("status", map_status(STATUS, item.get_str("status"), w));
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::support::{drive_pages, fixture, input, Script};

    fn list(query: Value, script: Script) -> (Vec<HttpRequest>, Result<Vec<Value>>) {
        let account = json!({"id": "acc", "provider": "ashby", "credentials": {"api_key": "ashby-key-1"}});
        drive_pages(input(account, "ats", "interviews", "list", None, Value::Null, query), script)
    }

    fn page(results: Value, next: Option<&str>) -> Value {
        match next {
            Some(c) => json!({"success": true, "results": results, "moreDataAvailable": true, "nextCursor": c}),
            None => json!({"success": true, "results": results, "moreDataAvailable": false, "syncToken": "s"}),
        }
    }

    fn schedule(id: &str, status: &str) -> Value {
        json!({"id": id, "status": status, "applicationId": "app1", "interviewStageId": "stage1", "createdAt": "2024-06-10T00:00:00Z", "updatedAt": "2024-06-11T00:00:00Z", "interviewEvents": []})
    }

    #[test]
    fn documented_schedule_maps_to_a_unified_interview() {
        let doc = fixture("ashby/doc.interview_schedules.list.response.json");
        let (sent, pages) = list(json!({}), Script::ok(200, &doc));
        let req = &sent[0];
        assert_eq!(req.method.as_str(), "POST");
        assert_eq!(req.url, "https://api.ashbyhq.com/interviewSchedule.list");
        assert_eq!(req.headers["authorization"], crate::provider::account::basic("ashby-key-1", ""));
        assert_eq!(req.body_json().unwrap(), &json!({"limit": 100}));
        let pages = pages.unwrap();
        assert_eq!(pages.len(), 1);
        assert!(pages[0]["next_cursor"].is_null());
        let mut r = pages[0]["result"][0].clone();
        assert_eq!(r["remote_data"], doc["results"][0]);
        r.as_object_mut().unwrap().remove("remote_data");
        assert_eq!(
            r,
            json!({
                "id": "9d34f544-c150-4d70-91c4-e8b0b4a72846",
                "application": {"id": "00000000-0000-0000-0000-0000000000a1"},
                "candidate": null,
                "created_at": "2022-07-21T17:32:28Z",
                "updated_at": "2022-07-21T17:32:28Z",
                "start_at": "2022-07-21T17:32:28Z",
                "end_at": "2022-07-21T17:32:28Z",
                "interviewers": [{"id": "caea4d97-331d-46b1-a8e3-6b821c2214ef", "name": "Test User", "email": "test@ashbyhq.com"}],
                "job_interview_stage": {"id": "00000000-0000-0000-0000-0000000000b1", "name": null},
                "location": "Google Meet",
                "organizer": {"id": "e9ed20fd-d45f-4aad-8a00-a19bfba0083e", "name": "Test User", "email": "test@ashbyhq.com"},
                "status": "scheduled"
            })
        );
    }

    #[test]
    fn events_are_combined_into_one_interview() {
        let mut s = schedule("s1", "Complete");
        s["interviewEvents"] = json!([
            {"id": "e1", "startTime": "2024-06-15T11:00:00Z", "endTime": "2024-06-15T12:00:00Z", "location": null, "meetingLink": "https://meet.example/x",
             "interviewers": [{"id": "u1", "firstName": "Ada", "lastName": "L", "email": "ada@x.test"}]},
            {"id": "e2", "startTime": "2024-06-15T09:00:00+00:00", "endTime": "2024-06-15T10:00:00Z", "location": null,
             "interviewers": [{"id": "u1", "firstName": "Ada", "lastName": "L", "email": "ada@x.test"}, {"id": "u2", "firstName": "Bo", "lastName": "", "email": null}]},
            {"id": "e3", "startTime": "2024-06-15T13:00:00Z", "endTime": "2024-06-15T14:30:00Z", "interviewerUserIds": ["u3"]}
        ]);
        let (_, pages) = list(json!({}), Script::ok(200, &page(json!([s]), None)));
        let r = &pages.unwrap()[0]["result"][0];
        assert_eq!(r["start_at"], "2024-06-15T09:00:00Z");
        assert_eq!(r["end_at"], "2024-06-15T14:30:00Z");
        assert_eq!(r["interviewers"], json!([{"id": "u1", "name": "Ada L", "email": "ada@x.test"}, {"id": "u2", "name": "Bo", "email": null}, {"id": "u3", "name": null, "email": null}]));
        assert_eq!(r["location"], "https://meet.example/x");
        assert_eq!(r["status"], "completed");
    }

    #[test]
    fn every_status_row_and_unknown_statuses() {
        for (ashby, unified) in STATUS {
            let (_, pages) = list(json!({}), Script::ok(200, &page(json!([schedule("s", ashby)]), None)));
            let p = &pages.unwrap()[0];
            assert_eq!(p["result"][0]["status"], *unified, "{ashby}");
            assert!(p.get("warnings").is_none());
        }
        for odd in ["OnHold", "Unknown", "scheduled"] {
            let (_, pages) = list(json!({}), Script::ok(200, &page(json!([schedule("s", odd)]), None)));
            let p = &pages.unwrap()[0];
            assert!(p["result"][0]["status"].is_null(), "{odd}");
            assert_eq!(p["result"][0]["remote_data"]["status"], odd);
            assert_eq!(p["warnings"][0]["code"], "unknown_status");
            assert_eq!(p["warnings"][0]["field"], "result[0].status");
        }
    }

    #[test]
    fn filters_go_into_the_body_or_are_applied_locally() {
        let q = json!({"application_id": "app1", "job_interview_stage_id": "stage1", "created_at": "2024-06-01T00:00:00Z", "limit": 25, "remote_query": {"syncToken": "tok"}});
        let (sent, _) = list(q, Script::ok(200, &page(json!([]), None)));
        assert_eq!(sent[0].body_json().unwrap(), &json!({"applicationId": "app1", "interviewStageId": "stage1", "createdAfter": 1717199999999i64, "limit": 25, "syncToken": "tok"}));

        // An upper bound has no Ashby parameter: crosswalk applies it and says so.
        let mut late = schedule("late", "Scheduled");
        late["createdAt"] = json!("2024-07-02T00:00:00Z");
        let q = json!({"created_at": {"gte": "2024-06-01T00:00:00Z", "lt": "2024-07-01T00:00:00Z"}, "start_at": {"gte": "2024-06-15T00:00:00Z"}});
        let mut early_event = schedule("s1", "Scheduled");
        early_event["interviewEvents"] = json!([{"id": "e", "startTime": "2024-06-16T10:00:00Z", "endTime": "2024-06-16T11:00:00Z"}]);
        let mut no_events = schedule("s2", "Scheduled");
        no_events["interviewEvents"] = json!([]);
        let (sent, pages) = list(q, Script::ok(200, &page(json!([early_event, late, no_events]), None)));
        assert_eq!(sent[0].body_json().unwrap()["createdAfter"], json!(1717199999999i64));
        let p = &pages.unwrap()[0];
        let ids: Vec<&str> = p["result"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["s1"], "late is past the upper bound, s2 has no start to compare");
        let w = p["warnings"].as_array().unwrap().iter().find(|w| w["code"] == "filter_applied_locally").unwrap();
        assert_eq!(w["field"], "query.created_at,start_at");
    }

    #[test]
    fn pages_follow_next_cursor_to_the_last_page() {
        let script = Script::ok(200, &page(json!([schedule("s1", "Scheduled"), schedule("s2", "Scheduled")]), Some("c2")))
            .then(200, &page(json!([schedule("s3", "Scheduled")]), Some("c3")))
            .then(200, &page(json!([schedule("s4", "Scheduled")]), None));
        let (sent, pages) = list(json!({"limit": 500, "application_id": "app1"}), script);
        let pages = pages.unwrap();
        let ids: Vec<&str> = pages.iter().flat_map(|p| p["result"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap())).collect();
        assert_eq!(ids, ["s1", "s2", "s3", "s4"]);
        assert_eq!(sent[0].body_json().unwrap(), &json!({"applicationId": "app1", "limit": 100}));
        assert_eq!(sent[1].body_json().unwrap(), &json!({"applicationId": "app1", "limit": 100, "cursor": "c2"}));
        assert_eq!(sent[2].body_json().unwrap()["cursor"], "c3");
        assert!(pages[0]["next_cursor"].is_string() && pages[1]["next_cursor"].is_string());
        assert!(pages[2]["next_cursor"].is_null());
    }

    #[test]
    fn max_pages_stops_the_operation_but_keeps_the_cursor() {
        let script = Script::ok(200, &page(json!([schedule("s1", "Scheduled")]), Some("c2")))
            .then(200, &page(json!([schedule("s2", "Scheduled")]), Some("c3")))
            .then(200, &page(json!([schedule("s3", "Scheduled")]), None));
        let (sent, pages) = list(json!({"max_pages": 2}), script.clone());
        let pages = pages.unwrap();
        assert_eq!((sent.len(), pages.len()), (2, 2), "drive_pages follows has_next_page, which ends at max_pages");
        let cursor = pages[1]["next_cursor"].as_str().unwrap().to_string();
        assert_eq!(pages[1]["warnings"][0]["code"], "max_pages_reached");
        // The cursor resumes on a later call.
        let (sent, pages) = list(json!({"next_cursor": cursor}), Script::ok(200, &page(json!([schedule("s3", "Scheduled")]), None)));
        assert_eq!(sent[0].body_json().unwrap()["cursor"], "c3");
        assert_eq!(pages.unwrap()[0]["result"][0]["id"], "s3");
    }

    #[test]
    fn a_repeated_cursor_is_an_error_not_a_loop() {
        let script = Script::ok(200, &page(json!([schedule("s1", "Scheduled")]), Some("c2")))
            .then(200, &page(json!([schedule("s2", "Scheduled")]), Some("c2")));
        let (sent, pages) = list(json!({}), script);
        assert_eq!(sent.len(), 2);
        assert_eq!(pages.unwrap_err().code(), "pagination_loop");

        let (_, pages) = list(json!({}), Script::ok(200, &json!({"success": true, "results": [], "moreDataAvailable": true})));
        assert_eq!(pages.unwrap_err().code(), "protocol_error");
    }

    #[test]
    fn failures_and_unsupported_get() {
        let (_, pages) = list(json!({}), Script::ok(200, &fixture("ashby/doc.error.response.json")));
        let e = pages.unwrap_err().to_json();
        assert_eq!(e["truto_is_remote_error"], true);
        assert_eq!(e["remote"]["message"], "Application not found - are you lacking permissions to edit candidates?");
        let (_, pages) = list(json!({"candidate_id": "c1"}), Script::default());
        assert_eq!(pages.unwrap_err().to_json()["details"][0]["field"], "query.candidate_id");
        let account = json!({"provider": "ashby", "credentials": {"api_key": "k"}});
        let (sent, out) = crate::tests::support::drive(input(account, "ats", "interviews", "get", Some("s1"), Value::Null, json!({})), Script::default());
        assert!(sent.is_empty());
        assert_eq!(out.unwrap_err().code(), "unsupported_operation");
    }
}
