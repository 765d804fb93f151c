use serde_json::{json, Value};

use crate::tests::support::{drive, fixture, input, run_create_with, Script};

const TOKEN: &str = "AQV-secret-token-123";

fn account() -> Value {
    json!({"id": "acc", "provider": "linkedin", "credentials": {"access_token": TOKEN}, "context": {"organization_urn": "urn:li:organization:2414183"}})
}

fn documented_note() -> Value {
    json!({
        "application_id": "APP-1", "id": "APPL_NOTE123", "body": "Lorem Ipsum.",
        "created_at": "2017-01-19T22:16:27Z", "author": {"first_name": "Angela", "last_name": "Smith"}
    })
}

#[test]
fn create_is_a_one_entity_batch_update() {
    let doc_req = fixture("linkedin/doc.application_notes.batch_update.request.json");
    let doc_resp = fixture("linkedin/doc.application_notes.batch_update.response.json");
    let (sent, out) = run_create_with(account(), documented_note(), json!({}), Script::ok(200, &doc_resp));
    let req = &sent[0];
    assert_eq!(req.method.as_str(), "PUT");
    assert_eq!(
        req.url,
        "https://api.linkedin.com/v2/atsApplications/atsJobApplicationId=APP-1&dataProvider=ATS&integrationContext=urn%3Ali%3Aorganization%3A2414183/notes?ids=APPL_NOTE123"
    );
    assert_eq!(req.headers["authorization"], format!("Bearer {TOKEN}"));
    assert_eq!(req.headers["x-restli-method"], "batch_update");
    assert_eq!(req.headers["content-type"], "application/json");
    assert!(!req.headers.contains_key("x-restli-protocol-version"), "protocol 1.0 is the default");
    // The documented request, cut down to its first entity.
    assert_eq!(req.body_json().unwrap(), &json!({"entities": {"APPL_NOTE123": doc_req["entities"]["APPL_NOTE123"]}}));
    let out = out.unwrap();
    assert_eq!(out["id"], "APPL_NOTE123");
    assert_eq!(out["activity_type"], "note");
    assert_eq!(out["actor"], json!({"name": "Angela Smith"}));
    assert_eq!(out["body"], "Lorem Ipsum.");
    assert_eq!(out["created_at"], "2017-01-19T22:16:27Z");
    assert_eq!(out["remote_data"], doc_resp);
}

#[test]
fn optional_fields_offsets_and_remote_data() {
    let body = json!({"application_id": "A", "id": "N", "body": "x", "created_at": "2017-01-20T00:16:27.5+02:00", "remote_data": {"extra": 1}});
    let (sent, out) = run_create_with(account(), body, json!({}), Script::ok(200, &json!({"errors": {}, "results": {"N": {"status": 204}}})));
    assert_eq!(sent[0].body_json().unwrap(), &json!({"entities": {"N": {"note": "x", "atsCreatedAt": 1484864187500i64, "extra": 1}}}));
    let out = out.unwrap();
    assert_eq!(out["actor"], Value::Null);
    assert_eq!(out["created_at"], "2017-01-19T22:16:27.500Z");
}

#[test]
fn create_validates_before_sending() {
    let err = crate::tests::support::start_err_with(account(), json!({"body": "x", "visibility": "private", "candidate_id": "c"}));
    let fields: Vec<&str> = err["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    for f in ["body.application_id", "body.id", "body.visibility", "body.candidate_id"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    let err = crate::tests::support::start_err_with(account(), json!({"application_id": "A", "id": "N", "body": "x", "author": {"first_name": "Angela", "last_name": " "}}));
    assert_eq!(err["details"][0]["field"], "body.author.last_name");
    assert_eq!(err["details"][0]["code"], "required");
    let err = crate::tests::support::start_err_with(account(), json!({"application_id": "A", "id": "N", "body": "x", "created_at": "2017-01-19T22:16:27"}));
    assert_eq!(err["details"][0]["code"], "invalid_datetime");
    let mut bad = account();
    bad["context"]["organization_urn"] = json!("2414183");
    let err = crate::tests::support::start_err_with(bad, documented_note());
    assert_eq!(err["details"][0]["field"], "account.context.organization_urn");
    let mut no_token = account();
    no_token["credentials"] = json!({});
    assert_eq!(crate::tests::support::start_err_with(no_token, documented_note())["details"][0]["field"], "account.credentials.access_token");
}

#[test]
fn a_failed_entity_in_a_200_batch_is_an_error_in_every_format() {
    let resp = json!({"results": {}, "errors": {"APPL_NOTE123": {"status": 422, "code": "INPUT_VALIDATION_FAILED", "message": "atsJobApplicationId APP-1 not found"}}});
    for query in [json!({}), json!({"truto_response_format": "raw"})] {
        let (_, out) = run_create_with(account(), documented_note(), query, Script::ok(200, &resp));
        let err = out.unwrap_err().to_json();
        assert_eq!(err["statusCode"], 422);
        assert_eq!(err["truto_is_remote_error"], true);
        assert_eq!(err["remote"]["message"], "atsJobApplicationId APP-1 not found");
        assert_eq!(err["remote"]["body"]["code"], "INPUT_VALIDATION_FAILED");
    }
    // A 200 that does not mention the note confirms nothing.
    let (_, out) = run_create_with(account(), documented_note(), json!({}), Script::ok(200, &json!({"results": {}, "errors": {}})));
    assert_eq!(out.unwrap_err().to_json()["statusCode"], 502);
}

#[test]
fn whole_request_errors_are_remote_errors_without_the_token() {
    let mut doc = fixture("linkedin/doc.error.response.json");
    doc["message"] = json!(format!("bad token {TOKEN}"));
    let (_, out) = run_create_with(account(), documented_note(), json!({}), Script::ok(403, &doc));
    let err = out.unwrap_err().to_json();
    assert_eq!(err["statusCode"], 403);
    assert_eq!(err["remote"]["body"]["serviceErrorCode"], 401);
    assert!(!err.to_string().contains(TOKEN), "{err}");
    // A 401 on a token with no client credentials to get another: reconnect.
    let (sent, out) = run_create_with(account(), documented_note(), json!({}), Script::ok(401, &doc));
    let err = out.unwrap_err().to_json();
    assert_eq!((err["statusCode"].as_u64(), err["code"].as_str()), (Some(401), Some("reauth_required")));
    assert_eq!(sent.len(), 1);
    assert!(!err.to_string().contains(TOKEN), "{err}");
}

#[test]
fn delete_is_a_batch_delete_of_one_id() {
    let del = |resp: Script| drive(input(account(), "ats", "activities", "delete", Some("n/1 &x"), Value::Null, json!({"application_id": "APP-1"})), resp);
    let (sent, out) = del(Script::ok(200, &json!({"errors": {}, "results": {"n/1 &x": {"status": 204}}})));
    let req = &sent[0];
    assert_eq!(req.method.as_str(), "DELETE");
    assert_eq!(
        req.url,
        "https://api.linkedin.com/v2/atsApplications/atsJobApplicationId=APP-1&dataProvider=ATS&integrationContext=urn%3Ali%3Aorganization%3A2414183/notes?ids=n%2F1%20%26x"
    );
    assert_eq!(req.headers["authorization"], format!("Bearer {TOKEN}"));
    assert_eq!(req.headers["x-restli-method"], "batch_delete");
    assert!(req.body.is_none());
    assert_eq!(out.unwrap()["id"], "n/1 &x");
    // "A successful request will return a 200 OK": an empty body is success too.
    let (_, out) = del(Script::default().then_response(crate::HttpResponse::new(200, "")));
    assert_eq!(out.unwrap()["id"], "n/1 &x");
    let (_, out) = del(Script::ok(200, &json!({"errors": {"n/1 &x": {"status": 404, "message": "no such note"}}, "results": {}})));
    assert_eq!(out.unwrap_err().to_json()["statusCode"], 404);
    let (_, out) = drive(input(account(), "ats", "activities", "delete", Some("n1"), Value::Null, json!({})), Script::default());
    assert_eq!(out.unwrap_err().to_json()["details"][0]["field"], "query.application_id");
}

fn versioned(version: Option<&str>) -> Value {
    let mut a = account();
    a["context"]["notes_api"] = json!("rest");
    if let Some(v) = version {
        a["context"]["linkedin_version"] = json!(v);
    }
    a
}

const V2_KEY: &str = "(externalJobApplicationId:APP-1,externalNoteId:APPL_NOTE123,integrationContext:urn%3Ali%3Aorganization%3A2414183)";

#[test]
fn the_versioned_api_keys_notes_by_application_note_and_context() {
    let answer = json!({"errors": {}, "results": {V2_KEY: {"status": 204}}});
    let (sent, out) = run_create_with(versioned(None), documented_note(), json!({}), Script::ok(200, &answer));
    let req = &sent[0];
    assert_eq!(req.method.as_str(), "PUT");
    assert_eq!(req.url, format!("https://api.linkedin.com/rest/applicationNotes?ids=List({V2_KEY})"));
    assert_eq!(req.headers["linkedin-version"], "202603");
    assert_eq!(req.headers["x-restli-protocol-version"], "2.0.0");
    assert_eq!(req.headers["x-restli-method"], "batch_update");
    let entities = req.body_json().unwrap()["entities"].as_object().unwrap();
    assert_eq!(entities.keys().collect::<Vec<_>>(), [V2_KEY]);
    assert_eq!(entities[V2_KEY]["note"], "Lorem Ipsum.");
    assert!(!req.url.contains("dataProvider"), "the versioned API has no dataProvider");
    assert_eq!(out.unwrap()["id"], "APPL_NOTE123");
    // A failed entity under its compound key is an error, as in v2.
    let refused = json!({"errors": {V2_KEY: {"status": 422, "message": "bad note"}}, "results": {}});
    let (_, out) = run_create_with(versioned(Some("202604")), documented_note(), json!({}), Script::ok(200, &refused));
    assert_eq!(out.unwrap_err().to_json()["statusCode"], 422);
}

#[test]
fn the_versioned_delete_and_version_checks() {
    let (sent, out) = drive(input(versioned(Some("202512")), "ats", "activities", "delete", Some("APPL_NOTE123"), Value::Null, json!({"application_id": "APP-1"})), Script::ok(200, &json!({"errors": {}, "results": {V2_KEY: {"status": 204}}})));
    out.unwrap();
    assert_eq!(sent[0].method.as_str(), "DELETE");
    assert_eq!(sent[0].headers["x-restli-method"], "batch_delete");
    assert_eq!(sent[0].headers["linkedin-version"], "202512");
    for (key, value) in [("linkedin_version", "2026-03"), ("notes_api", "v3")] {
        let mut a = versioned(None);
        a["context"][key] = json!(value);
        let (_, out) = run_create_with(a, documented_note(), json!({}), Script::default());
        assert_eq!(out.unwrap_err().to_json()["details"][0]["field"], format!("account.context.{key}"));
    }
}

#[test]
fn a_versioned_sync_reads_each_note_under_its_compound_key() {
    let input = crate::engine::sync::SyncInput::from_json(&json!({"account": versioned(None), "model": "ats", "resource": "activities", "records": [documented_note(), {"application_id": "APP-1", "id": "N2", "body": "second"}]})).unwrap();
    let (mut op, step) = crate::SyncOperation::start(input, 0).unwrap();
    let crate::Step::Send(req) = step else { panic!() };
    assert!(req.url.starts_with("https://api.linkedin.com/rest/applicationNotes?ids=List((externalJobApplicationId:APP-1,externalNoteId:APPL_NOTE123,"), "{}", req.url);
    let n2 = "(externalJobApplicationId:APP-1,externalNoteId:N2,integrationContext:urn%3Ali%3Aorganization%3A2414183)";
    let answer = json!({"errors": {n2: {"status": 422, "message": "no"}}, "results": {V2_KEY: {"status": 204}}});
    let crate::Step::Done(report) = crate::Machine::handle_response(&mut op, crate::HttpResponse::new(200, answer.to_string()), 1).unwrap() else { panic!() };
    assert_eq!(report["counts"], json!({"synced": 1, "failed": 1, "not_sent": 0}), "{report}");
}
