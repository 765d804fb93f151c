//! Ashby — RPC-style JSON API, every call `POST https://api.ashbyhq.com/{category}.{method}`.
//! Docs: https://developers.ashbyhq.com/reference/candidatecreatenote
//! Auth: HTTP Basic, API key as user name, empty password.
//! Ashby reports most failures as HTTP 200 with `success: false` (and `errorInfo` or
//! `errors`), so every response is checked for that before it is mapped.
//! Scheduled interviews (list only) live in `ashby/interviews.rs`.
//! Sources and recorded examples: tests/fixtures/ashby/README.md.

use serde_json::{json, Map, Value};

use crate::provider::account::{basic, Account};
use crate::codec::convert::{get, get_str, iso_or_null};
use crate::error::{Error, Result, Warning};
use crate::codec::http::{HttpRequest, Method};
use crate::unified::schema::{Conv, FieldMap, Lit, UnifiedMethod};

use crate::provider::{Ctx, Exchange, OpDef, ProviderDef, Single};

mod interviews;

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "ashby",
    label: "Ashby",
    docs: "https://developers.ashbyhq.com/reference/introduction",
    hosts: &["api.ashbyhq.com"],
    origin: |_| Ok("https://api.ashbyhq.com".into()),
    auth,
    idempotency_header: None,
    ops: &[
        OpDef {
            model: "ats",
            resource: "activities",
            method: UnifiedMethod::Create,
            fields: ACTIVITY_CREATE,
            returns: &["id", "activity_type", "actor", "body", "candidate", "created_at", "visibility"],
            start: start_create_note,
            check: None,
            notes: "candidate.createNote; Ashby has no admin-only notes, so admin_only is rejected",
        },
        interviews::LIST,
    ],
};

const ACTIVITY_CREATE: &[FieldMap] = &[
    FieldMap::body("candidate_id", "candidateId").required(),
    FieldMap::body("body", "note").required(),
    FieldMap::body("created_at", "createdAt").conv(Conv::UtcIso),
    FieldMap::body("visibility", "isPrivate").conv(Conv::Map(&[("private", Lit::Bool(true)), ("public", Lit::Bool(false))])),
];

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    let key = account.credential("api_key")?;
    Ok(req.secret_header("authorization", basic(key, "")).header("accept", "application/json; version=1"))
}

/// `POST /{endpoint}` with a JSON body: the shape of every Ashby call.
pub(crate) fn rpc(ctx: &Ctx, endpoint: &str, body: Value) -> Result<HttpRequest> {
    Ok(ctx.request(Method::Post, ctx.url().path("/").path(endpoint).build())?.json(body))
}

fn start_create_note(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    Single::boxed(rpc(ctx, "candidate.createNote", ctx.table_body())?, map_note)
}

/// Turns Ashby's `success: false` envelope into a remote error. Ashby says
/// "what would be 4XX errors will return 200 with success being false"; crosswalk
/// reports those as 400 with the provider's code and message.
pub(crate) fn unwrap_results(body: Value) -> Result<Value> {
    if body.get("success") == Some(&Value::Bool(true)) {
        let mut body = body;
        return Ok(body.get_mut("results").map(Value::take).unwrap_or(Value::Null));
    }
    if body.get("success") == Some(&Value::Bool(false)) {
        let message = get_str(&body, "errorInfo.message")
            .map(str::to_string)
            .or_else(|| body.get("errors").and_then(Value::as_array).map(|e| e.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("; ")))
            .filter(|m| !m.is_empty());
        return Err(Error::Remote { provider: "ashby".into(), status: 400, message, body });
    }
    Err(Error::protocol("ashby", "response has no success flag"))
}

fn map_note(ctx: &Ctx, body: Value, _w: &mut Vec<Warning>) -> Result<(Map<String, Value>, Value)> {
    let note = unwrap_results(body)?;
    let id = get_str(&note, "id").ok_or_else(|| Error::protocol("ashby", "createNote result has no id"))?;
    let mut r = Map::new();
    r.insert("id".into(), json!(id));
    r.insert("activity_type".into(), json!("note"));
    r.insert("actor".into(), match get(&note, "author") {
        Some(a) => json!({
            "id": a.get("id"),
            "type": "user",
            "name": full_name(a.get("firstName"), a.get("lastName")),
            "email": a.get("email"),
        }),
        None => Value::Null,
    });
    r.insert("body".into(), note.get("content").cloned().unwrap_or(Value::Null));
    // Ashby does not echo the candidate; it is the one the note was posted on.
    r.insert("candidate".into(), json!({ "id": ctx.field_str("candidate_id") }));
    r.insert("created_at".into(), iso_or_null(note.get("createdAt")));
    r.insert("updated_at".into(), Value::Null);
    r.insert("visibility".into(), match note.get("isPrivate") {
        Some(Value::Bool(true)) => json!("private"),
        Some(Value::Bool(false)) => json!("public"),
        _ => Value::Null,
    });
    Ok((r, note))
}

pub(crate) fn full_name(first: Option<&Value>, last: Option<&Value>) -> Value {
    let parts: Vec<&str> = [first, last].into_iter().flatten().filter_map(Value::as_str).filter(|s| !s.is_empty()).collect();
    if parts.is_empty() {
        Value::Null
    } else {
        Value::String(parts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use crate::tests::support::{fixture, run_create, Script};
    use serde_json::json;

    #[test]
    fn create_note_matches_recorded_exchange() {
        let recorded_req = fixture("ashby/recorded.notes.create.request.json");
        let recorded_resp = fixture("ashby/recorded.notes.create.response.json");
        let body = json!({"candidate_id": recorded_req["candidateId"], "body": recorded_req["note"]});
        let (sent, out) = run_create("ashby", json!({"api_key": "k_live_123"}), body, json!({}), Script::ok(200, &recorded_resp));
        let req = &sent[0];
        assert_eq!(req.method.as_str(), "POST");
        assert_eq!(req.url, "https://api.ashbyhq.com/candidate.createNote");
        assert_eq!(req.headers["authorization"], crate::provider::account::basic("k_live_123", ""));
        assert_eq!(req.body_json().unwrap(), &recorded_req);
        let out = out.unwrap();
        assert_eq!(out["id"], "00000000-0000-0000-0000-000000000002");
        assert_eq!(out["activity_type"], "note");
        assert_eq!(out["actor"], json!({"id": "00000000-0000-0000-0000-000000000003", "type": "user", "name": "Test User1", "email": "user1@example.com"}));
        assert_eq!(out["body"], "Test note from Nango action validation");
        assert_eq!(out["candidate"]["id"], "00000000-0000-0000-0000-000000000001");
        assert_eq!(out["created_at"], "2026-05-28T21:07:04.042Z");
        assert_eq!(out["visibility"], "public");
        assert_eq!(out["remote_data"], recorded_resp["results"]);
    }

    #[test]
    fn visibility_and_created_at_are_converted() {
        let body = json!({"candidate_id": "c1", "body": "hi", "visibility": "private", "created_at": "2022-08-12T22:29:56.964+02:00", "remote_data": {"sendNotifications": true}});
        let (sent, _) = run_create("ashby", json!({"api_key": "k"}), body, json!({}), Script::ok(200, &fixture("ashby/recorded.notes.create.response.json")));
        assert_eq!(
            sent[0].body_json().unwrap(),
            &json!({"candidateId": "c1", "note": "hi", "isPrivate": true, "createdAt": "2022-08-12T20:29:56.964Z", "sendNotifications": true})
        );
    }

    #[test]
    fn admin_only_is_not_representable() {
        let err = crate::tests::support::start_err("ashby", json!({"candidate_id": "c1", "body": "hi", "visibility": "admin_only"}));
        assert_eq!(err["details"][0]["field"], "body.visibility");
        assert_eq!(err["details"][0]["code"], "not_one_of");
        assert_eq!(err["details"][0]["meta"]["allowed"], json!(["private", "public"]));
    }

    #[test]
    fn success_false_is_a_remote_error() {
        let (_, out) = run_create("ashby", json!({"api_key": "k"}), json!({"candidate_id": "c1", "body": "hi"}), json!({}), Script::ok(200, &fixture("ashby/doc.error.response.json")));
        let err = out.unwrap_err().to_json();
        assert_eq!(err["statusCode"], 400);
        assert_eq!(err["truto_is_remote_error"], true);
        assert_eq!(err["remote"]["message"], "Application not found - are you lacking permissions to edit candidates?");
        let (_, out) = run_create("ashby", json!({"api_key": "k"}), json!({"candidate_id": "c1", "body": "hi"}), json!({}), Script::ok(200, &fixture("ashby/doc.error_legacy.response.json")));
        assert_eq!(out.unwrap_err().to_json()["remote"]["message"], "requested_job_not_found");
    }
}
