use serde_json::{json, Value};

use super::*;
use crate::codec::http::HttpResponse;
use crate::engine::operation::Operation;
use crate::tests::support::{drive_started, Script, T0};

const LEVER_KEY: &str = "lever-pt-key-91c2";

fn lever() -> Value {
    json!({"id": "acc-1", "provider": "lever", "credentials": {"api_key": LEVER_KEY}})
}

fn run(account: Value, request: Value, script: Script) -> (Vec<HttpRequest>, Result<Value>) {
    let input = json!({"account": account, "passthrough": request});
    drive_started(PassthroughInput::from_json(&input).and_then(|i| Operation::passthrough(i, T0)), script)
}

fn refused_fields(account: Value, request: Value) -> Vec<String> {
    let (sent, out) = run(account, request, Script::default());
    assert!(sent.is_empty(), "a refused passthrough sent {sent:?}");
    match out {
        Err(Error::Validation { issues, .. }) => issues.into_iter().map(|i| i.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn a_get_with_query_goes_to_the_providers_origin_with_its_auth() {
    let answer = json!({"data": [{"id": "opp-1"}], "hasNext": false});
    let (sent, out) = run(lever(), json!({"method": "get", "path": "/v1/opportunities", "query": {"limit": 2, "tag": ["a b", "c"]}}), Script::ok(200, &answer));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, Method::Get);
    assert_eq!(sent[0].url, "https://api.lever.co/v1/opportunities?limit=2&tag=a%20b&tag=c");
    assert_eq!(sent[0].headers["authorization"], crate::provider::account::basic(LEVER_KEY, ""));
    assert!(sent[0].body.is_none());
    let out = out.unwrap();
    assert_eq!(out["status"], 200);
    assert_eq!(out["body"], answer);
}

#[test]
fn a_post_with_a_body_on_a_bearer_provider_and_a_custom_header_provider() {
    let hubspot = json!({"provider": "hubspot", "credentials": {"access_token": "hs-token-77"}});
    let body = json!({"properties": {"email": "a@b.example"}});
    let (sent, out) = run(hubspot, json!({"method": "POST", "path": "/crm/v3/objects/contacts", "headers": {"X-Trace": "t-1"}, "body": body}), Script::ok(201, &json!({"id": "901"})));
    assert_eq!(sent[0].url, "https://api.hubapi.com/crm/v3/objects/contacts");
    assert_eq!(sent[0].headers["authorization"], "Bearer hs-token-77");
    assert_eq!(sent[0].headers["x-trace"], "t-1");
    assert_eq!(sent[0].headers["content-type"], "application/json");
    assert_eq!(sent[0].body_json(), Some(&body));
    assert_eq!(out.unwrap()["body"]["id"], "901");

    let pinpoint = json!({"provider": "pinpoint", "credentials": {"api_key": "pp-key-3"}, "context": {"subdomain": "acme"}});
    let (sent, _) = run(pinpoint, json!({"method": "GET", "path": "/api/v1/jobs", "headers": {"accept": "text/plain"}}), Script::ok(200, &json!({"data": []})));
    assert_eq!(sent[0].url, "https://acme.pinpointhq.com/api/v1/jobs");
    assert_eq!(sent[0].headers["x-api-key"], "pp-key-3");
    // The provider's own Accept wins over the caller's.
    assert_eq!(sent[0].headers["accept"], "application/vnd.api+json");
}

#[test]
fn a_provider_error_status_is_an_answer_not_an_error() {
    let (_, out) = run(lever(), json!({"method": "GET", "path": "/v1/opportunities/nope"}), Script::ok(404, &json!({"code": "ResourceNotFound"})));
    let out = out.unwrap();
    assert_eq!(out["status"], 404);
    assert_eq!(out["body"]["code"], "ResourceNotFound");
    let text = Script::default().then_response(HttpResponse { status: 200, headers: [("content-type".to_string(), "text/plain".to_string())].into(), body: "pong".into() });
    let (_, out) = run(lever(), json!({"method": "GET", "path": "/ping"}), text);
    assert_eq!(out.unwrap()["body"], "pong");
}

#[test]
fn paths_headers_and_names_a_caller_may_not_use_are_refused_before_sending() {
    for path in ["https://evil.example/x", "//evil.example/x", "v1/x", "/v1/../admin", "/v1/%2e%2e/admin", "/v1/%2E./x", "/v1/x?y=1", "/v1/x#f", "/v1/a b", "/v1/\u{e9}", "/v1/%zz", "/v1/\\x"] {
        assert_eq!(refused_fields(lever(), json!({"method": "GET", "path": path})), ["passthrough.path"], "{path:?}");
    }
    assert_eq!(refused_fields(lever(), json!({"method": "GET", "path": "/v1/x", "headers": {"Authorization": "Bearer mine"}})), ["passthrough.headers.authorization"]);
    assert_eq!(refused_fields(lever(), json!({"method": "GET", "path": "/v1/x", "headers": {"x-a": "1\r\nX-Evil: 2"}})), ["passthrough.headers.x-a"]);
    assert_eq!(refused_fields(lever(), json!({"method": "GET", "path": "/v1/x", "headers": {"bad name": "1"}})), ["passthrough.headers.bad name"]);
    assert_eq!(refused_fields(lever(), json!({"method": "TRACE", "path": "/v1/x"})), ["passthrough.method"]);
    assert_eq!(refused_fields(lever(), json!({"method": "GET", "path": "/v1/x", "body": {"a": 1}})), ["passthrough.body"]);
    // The header the provider's auth puts the key in.
    let pinpoint = json!({"provider": "pinpoint", "credentials": {"api_key": "pp-key-3"}, "context": {"subdomain": "acme"}});
    assert_eq!(refused_fields(pinpoint, json!({"method": "GET", "path": "/api/v1/jobs", "headers": {"X-API-KEY": "other"}})), ["passthrough.headers.x-api-key"]);
}

#[test]
fn retries_follow_the_unified_rules() {
    // A 429 is retried after its Retry-After.
    let limited = HttpResponse { status: 429, headers: [("retry-after".to_string(), "2".to_string())].into(), body: "{}".into() };
    let (sent, out) = run(lever(), json!({"method": "GET", "path": "/v1/x"}), Script::default().then_response(limited).then(200, &json!({"ok": true})));
    assert_eq!(sent.len(), 2);
    assert_eq!(out.unwrap()["body"]["ok"], true);
    // A POST is not sent again after a 5xx: the provider may have applied it.
    let (sent, out) = run(lever(), json!({"method": "POST", "path": "/v1/notes", "body": {"v": 1}}), Script::ok(503, &json!({})).then(201, &json!({})));
    assert_eq!(sent.len(), 1);
    assert!(!matches!(&out, Ok(v) if v["status"] == 201), "{out:?}");
}

#[test]
fn secrets_stay_out_of_plans_and_answers() {
    let plan = crate::facade::api::plan(json!({"account": lever(), "passthrough": {"method": "GET", "path": "/v1/x"}}), T0).unwrap();
    let text = plan.to_string();
    assert!(!text.contains(LEVER_KEY) && !text.contains(&crate::codec::b64::encode_standard(format!("{LEVER_KEY}:").as_bytes())), "{text}");
    assert_eq!(plan["requests"][0]["url"], "https://api.lever.co/v1/x");
    // A provider that echoes the key gets it back redacted.
    let (_, out) = run(lever(), json!({"method": "GET", "path": "/v1/echo"}), Script::ok(200, &json!({"seen": LEVER_KEY})));
    assert!(!out.unwrap().to_string().contains(LEVER_KEY));
}
