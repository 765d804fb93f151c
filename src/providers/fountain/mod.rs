//! Fountain — Hire API v2, an applicant's booked interview sessions.
//! Docs: https://developer.fountain.com/reference (`GET /v2/applicants/{id}/booked_slots`,
//! "Get Interview Sessions").
//! Auth: `X-ACCESS-TOKEN: <private API key>`.
//! Host: `https://api.fountain.com/v2`; region or single-tenant accounts use
//! `https://<label>.fountain.com/api/v2` (account `context.region`, e.g. `us-2`).
//! Fountain lists sessions per applicant only, so `candidate_id` is required (checked
//! before anything is sent). The endpoint is not paginated and has no filters;
//! `end_at` is applied by crosswalk. There is no call for one booked slot, so there
//! is no `get`. A booked slot has no status field: the status is derived from
//! `showed_up` and the end time (see [`situation`]). Sources:
//! tests/fixtures/fountain/README.md.

use serde_json::{json, Map, Value};

use crate::provider::account::Account;
use crate::codec::convert::{get_str, id_string, iso_or_null, parse_datetime, to_iso};
use crate::error::{Error, Result, Warning};
use crate::codec::http::{host_label, HttpRequest, HttpResponse, Method};
use crate::unified::schema::{FieldMap, UnifiedMethod};

use crate::provider::{map_status, Ctx, OpDef, Paged, ProviderDef, RawPage};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "fountain",
    label: "Fountain",
    docs: "https://developer.fountain.com/reference",
    hosts: &["api.fountain.com", "*.fountain.com"],
    origin: |account| match account.context_opt("region") {
        Some(label) => Ok(format!("https://{}.fountain.com", host_label(&label, "account.context.region")?)),
        None => Ok("https://api.fountain.com".into()),
    },
    auth,
    idempotency_header: None,
    ops: &[OpDef {
        model: "ats",
        resource: "interviews",
        method: UnifiedMethod::List,
        fields: FILTERS,
        returns: &["id", "candidate", "created_at", "end_at", "interviewers", "job_interview_stage", "location", "start_at", "status"],
        start: |_| Paged::boxed(request, parse, map_slot),
        check: None,
        notes: "GET /v2/applicants/{candidate_id}/booked_slots (one unpaginated response); no get (Fountain has no call for one booked slot); interviewers carry the recruiter's name only; status derived from showed_up and the end time; created_at is booked_time",
    }],
};

const FILTERS: &[FieldMap] = &[FieldMap::path("candidate_id", "id").required(), FieldMap::local("end_at")];

/// Derived booked-slot situation → unified status. `no_show` (`showed_up: false`)
/// has no unified equivalent: it is neither completed nor cancelled, so it maps to
/// `null` with a warning.
pub const STATUS: &[(&str, &str)] = &[("attended", "completed"), ("upcoming", "scheduled"), ("attendance_not_recorded", "awaiting_feedback")];

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    Ok(req.secret_header("x-access-token", account.credential("api_key")?))
}

fn request(ctx: &Ctx, state: &Value) -> Result<HttpRequest> {
    if !state.is_null() {
        return Err(Error::InvalidCursor { reason: "Fountain booked slots have a single page".into() });
    }
    let prefix = if ctx.account.context_opt("region").is_some() { "/api/v2" } else { "/v2" };
    let candidate = ctx.field_str("candidate_id").unwrap_or_default();
    let url = ctx.url().path(prefix).path("/applicants").seg(candidate).path("/booked_slots").queries(ctx.query.remote_query.iter().cloned());
    ctx.request(Method::Get, url.build())
}

fn parse(_ctx: &Ctx, _resp: &HttpResponse, mut body: Value) -> Result<RawPage> {
    match body.get_mut("booked_slots").map(Value::take) {
        Some(Value::Array(items)) => Ok(RawPage { items, next: None }),
        _ => Err(Error::protocol("fountain", "response has no booked_slots list")),
    }
}

/// `showed_up` is a boolean in one Fountain schema and a string in another.
fn showed_up(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// What is known about a booked slot: attendance when recorded, else whether its end
/// time has passed (`None` when neither can be told).
pub fn situation(slot: &Value, now_ms: u64) -> Option<&'static str> {
    match showed_up(slot.get("showed_up")) {
        Some(true) => Some("attended"),
        Some(false) => Some("no_show"),
        None => {
            let end = slot.get("end_time").and_then(to_iso).as_deref().and_then(parse_datetime)?;
            let now = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now_ms).checked_mul(1_000_000)?).ok()?;
            Some(if end > now { "upcoming" } else { "attendance_not_recorded" })
        }
    }
}

fn map_slot(ctx: &Ctx, slot: &Value, w: &mut Vec<Warning>) -> Result<Map<String, Value>> {
    let id = id_string(slot.get("id")).ok_or_else(|| Error::protocol("fountain", "booked slot has no id"))?;
    let text = |key: &str| get_str(slot, key).filter(|s| !s.is_empty());
    let mut r = Map::new();
    r.insert("id".into(), json!(id));
    // The applicant is the one in the request path; Fountain does not echo it.
    r.insert("candidate".into(), json!({ "id": ctx.field_str("candidate_id") }));
    r.insert("application".into(), Value::Null);
    r.insert("created_at".into(), iso_or_null(slot.get("booked_time")));
    r.insert("updated_at".into(), Value::Null);
    r.insert("start_at".into(), iso_or_null(slot.get("start_time")));
    r.insert("end_at".into(), iso_or_null(slot.get("end_time")));
    r.insert("location".into(), json!(text("location")));
    r.insert("interviewers".into(), match text("recruiter") {
        Some(name) => json!([{ "id": null, "name": name, "email": null }]),
        None => json!([]),
    });
    r.insert("organizer".into(), Value::Null);
    r.insert("job_interview_stage".into(), match text("stage_title") {
        Some(title) => json!({ "id": null, "name": title }),
        None => Value::Null,
    });
    r.insert("status".into(), map_status(STATUS, situation(slot, ctx.now_ms), w));
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::support::{drive_pages, fixture, input, Script, T0};

    fn list_with(account: Value, query: Value, script: Script) -> (Vec<HttpRequest>, Result<Vec<Value>>) {
        drive_pages(input(account, "ats", "interviews", "list", None, Value::Null, query), script)
    }

    fn list(query: Value, script: Script) -> (Vec<HttpRequest>, Result<Vec<Value>>) {
        list_with(json!({"id": "acc", "provider": "fountain", "credentials": {"api_key": "fountain-private-key"}}), query, script)
    }

    fn slot(id: &str, end: &str, showed_up: Value) -> Value {
        json!({"id": id, "start_time": "2025-01-01T10:00:00Z", "end_time": end, "booked_time": "2024-12-01T10:00:00Z", "location": "", "recruiter": "", "instructions": "", "showed_up": showed_up, "stage_title": ""})
    }

    #[test]
    fn booked_slots_map_to_interviews_of_the_candidate() {
        let body = fixture("fountain/schema.booked_slots.list.response.json");
        let (sent, pages) = list(json!({"candidate_id": "22222222-0000-0000-0000-000000000000"}), Script::ok(200, &body));
        let req = &sent[0];
        assert_eq!(req.method.as_str(), "GET");
        assert_eq!(req.url, "https://api.fountain.com/v2/applicants/22222222-0000-0000-0000-000000000000/booked_slots");
        assert_eq!(req.headers["x-access-token"], "fountain-private-key");
        assert!(req.sensitive.contains(&"x-access-token".to_string()));
        let page = &pages.unwrap()[0];
        assert!(page["next_cursor"].is_null());
        let mut first = page["result"][0].clone();
        assert_eq!(first["remote_data"], body["booked_slots"][0]);
        first.as_object_mut().unwrap().remove("remote_data");
        assert_eq!(
            first,
            json!({
                "id": "a1b2c3d4-0000-0000-0000-000000000001",
                "candidate": {"id": "22222222-0000-0000-0000-000000000000"},
                "application": null,
                "created_at": "2025-03-01T17:12:45Z",
                "updated_at": null,
                "start_at": "2025-03-04T18:30:00Z",
                "end_at": "2025-03-04T19:00:00Z",
                "location": "Zoom",
                "interviewers": [{"id": null, "name": "Jane Recruiter", "email": null}],
                "organizer": null,
                "job_interview_stage": {"id": null, "name": "Phone Interview"},
                "status": "completed"
            })
        );
        assert_eq!(page["result"][1]["status"], "scheduled", "ends in 2027, after the driver's clock");
        assert_eq!(page["result"][1]["location"], "123 Main St, Springfield");
    }

    #[test]
    fn candidate_id_is_required_before_any_request() {
        let (sent, pages) = list(json!({}), Script::default());
        assert!(sent.is_empty());
        let e = pages.unwrap_err().to_json();
        assert_eq!(e["statusCode"], 400);
        assert_eq!(e["details"][0]["field"], "query.candidate_id");
        assert_eq!(e["details"][0]["code"], "required");
        let (sent, pages) = list(json!({"candidate_id": "c1", "application_id": "a1"}), Script::default());
        assert!(sent.is_empty());
        assert_eq!(pages.unwrap_err().to_json()["details"][0]["field"], "query.application_id");
    }

    #[test]
    fn every_status_row_and_the_no_show() {
        let now = T0 + 1;
        let past = "2025-06-01T10:00:00Z";
        let future = "2026-06-01T10:00:00Z";
        assert_eq!(situation(&slot("s", past, json!(true)), now), Some("attended"));
        assert_eq!(situation(&slot("s", past, json!("TRUE")), now), Some("attended"));
        assert_eq!(situation(&slot("s", past, json!("false")), now), Some("no_show"));
        assert_eq!(situation(&slot("s", future, Value::Null), now), Some("upcoming"));
        assert_eq!(situation(&slot("s", past, Value::Null), now), Some("attendance_not_recorded"));
        assert_eq!(situation(&slot("s", "soon", Value::Null), now), None);
        let slots = json!({"booked_slots": [
            slot("attended", past, json!(true)), slot("upcoming", future, Value::Null), slot("attendance_not_recorded", past, Value::Null),
            slot("no_show", past, json!(false)), slot("unknown", "", Value::Null)
        ]});
        let (_, pages) = list(json!({"candidate_id": "c1"}), Script::ok(200, &slots));
        let p = &pages.unwrap()[0];
        let result = p["result"].as_array().unwrap();
        for (situation, unified) in STATUS {
            let r = result.iter().find(|r| r["id"] == *situation).unwrap();
            assert_eq!(r["status"], *unified, "{situation}");
        }
        assert!(result[3]["status"].is_null() && result[4]["status"].is_null());
        let warnings = p["warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), 1, "only the no-show is an unmapped status: {warnings:?}");
        assert_eq!(warnings[0]["field"], "result[3].status");
        assert!(result[4]["interviewers"] == json!([]) && result[4]["job_interview_stage"].is_null() && result[4]["location"].is_null());
    }

    #[test]
    fn end_at_is_applied_by_crosswalk_and_reported() {
        let slots = json!({"booked_slots": [slot("early", "2025-01-01T11:00:00Z", Value::Null), slot("late", "2025-02-01T11:00:00Z", Value::Null)]});
        let (sent, pages) = list(json!({"candidate_id": "c1", "end_at": "2025-01-15T00:00:00Z"}), Script::ok(200, &slots));
        assert_eq!(sent[0].url, "https://api.fountain.com/v2/applicants/c1/booked_slots", "Fountain takes no filters");
        let p = &pages.unwrap()[0];
        assert_eq!(p["result_count"], 1);
        assert_eq!(p["result"][0]["id"], "early");
        assert_eq!(p["warnings"][0]["code"], "filter_applied_locally");
        assert_eq!(p["warnings"][0]["field"], "query.end_at");
    }

    #[test]
    fn regional_accounts_and_errors() {
        let account = json!({"provider": "fountain", "credentials": {"api_key": "k1234"}, "context": {"region": "us-2"}});
        let (sent, _) = list_with(account, json!({"candidate_id": "c/1"}), Script::ok(200, &json!({"booked_slots": []})));
        assert_eq!(sent[0].url, "https://us-2.fountain.com/api/v2/applicants/c%2F1/booked_slots");
        let account = json!({"provider": "fountain", "credentials": {"api_key": "k1234"}, "context": {"region": "evil.com/x"}});
        let (sent, out) = list_with(account, json!({"candidate_id": "c1"}), Script::default());
        assert!(sent.is_empty());
        assert_eq!(out.unwrap_err().to_json()["details"][0]["field"], "account.context.region");

        let limited = fixture("fountain/doc.rate_limit.error.response.json");
        let script = Script::ok(429, &limited).then(429, &limited).then(429, &limited).then(429, &limited);
        let (sent, out) = list(json!({"candidate_id": "c1"}), script);
        assert_eq!(sent.len(), 4, "429 is retried, then reported");
        let e = out.unwrap_err().to_json();
        assert_eq!(e["statusCode"], 429);
        assert_eq!(e["remote"]["body"], limited);
        let (_, out) = list(json!({"candidate_id": "c1"}), Script::ok(200, &json!({"slots": []})));
        assert_eq!(out.unwrap_err().code(), "protocol_error");
        let forged = crate::engine::cursor::encode("fountain", "ats", "interviews", &json!({"page": 2}), &[]);
        let (sent, out) = list(json!({"candidate_id": "c1", "next_cursor": forged}), Script::default());
        assert!(sent.is_empty());
        assert_eq!(out.unwrap_err().code(), "invalid_cursor");
    }
}
