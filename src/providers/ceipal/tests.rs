use serde_json::{json, Value};

use crate::codec::http::HttpResponse;
use crate::engine::passthrough::PassthroughInput;
use crate::tests::support::{drive_started, Script};
use crate::Operation;

const PASSWORD: &str = "ceipal-password-7c1";
const KEY: &str = "ceipal-api-key-93e0";

fn account() -> Value {
    json!({"id": "cp", "provider": "ceipal", "credentials": {"email": "ops@agency.example", "password": PASSWORD, "api_key": KEY}})
}

fn passthrough(account: Value) -> crate::Result<(Operation, crate::Step)> {
    let v = json!({"account": account, "passthrough": {"method": "GET", "path": "/v2/getInterviews/", "query": {"page": 1}}});
    Operation::passthrough(PassthroughInput::from_json(&v).unwrap(), 0)
}

#[test]
fn the_credentials_are_exchanged_for_a_bearer_token_first() {
    let script = Script::ok(200, &json!({"access_token": "cp-token-1", "refresh_token": "cp-refresh-1"})).then(200, &json!({"results": [], "count": 0}));
    let (sent, out) = drive_started(passthrough(account()), script);
    assert_eq!(out.unwrap()["status"], 200);
    assert_eq!(sent[0].method.as_str(), "POST");
    assert_eq!(sent[0].url, "https://api.ceipal.com/v2/createAuthtoken/");
    assert_eq!(sent[0].body_json().unwrap(), &json!({"email": "ops@agency.example", "password": PASSWORD, "apiKey": KEY}));
    assert!(!sent[0].headers.contains_key("authorization"));
    assert_eq!(sent[1].url, "https://api.ceipal.com/v2/getInterviews/?page=1");
    assert_eq!(sent[1].headers["authorization"], "Bearer cp-token-1");
}

#[test]
fn a_401_exchanges_the_credentials_again_once_and_a_refusal_is_reauth_required() {
    let mut acc = account();
    acc["credentials"]["access_token"] = json!("cp-old");
    let script = Script::ok(401, &json!({"detail": "token expired"})).then(200, &json!({"access_token": "cp-token-2"})).then(200, &json!({"results": []}));
    let (sent, out) = drive_started(passthrough(acc.clone()), script);
    assert_eq!(out.unwrap()["status"], 200);
    assert_eq!(sent.iter().map(|r| r.url.ends_with("/createAuthtoken/")).collect::<Vec<_>>(), [false, true, false]);
    assert_eq!(sent[2].headers["authorization"], "Bearer cp-token-2");
    // Wrong credentials: Ceipal's 401 on the exchange is a reconnect, with no secret in it.
    let (_, out) = drive_started(passthrough(account()), Script::default().then_response(HttpResponse::new(401, r#"{"error":"invalid credentials"}"#)));
    let err = out.unwrap_err().to_json();
    assert_eq!(err["code"], "reauth_required");
    assert!(!err.to_string().contains(PASSWORD) && !err.to_string().contains(KEY));
}

#[test]
fn plan_shows_the_exchange_redacted_and_providers_publish_it() {
    let plan = crate::facade::api::plan(json!({"account": account(), "passthrough": {"method": "GET", "path": "/v2/getInterviews/"}}), 0).unwrap();
    let text = plan.to_string();
    assert_eq!(plan["requests"][0]["token_request"], true);
    assert!(!text.contains(PASSWORD) && !text.contains(KEY), "{text}");
    let p = crate::facade::coverage::providers().as_array().unwrap().iter().find(|p| p["name"] == "ceipal").cloned().unwrap();
    assert_eq!(p["oauth"]["grants"], json!(["credentials_exchange"]));
    assert_eq!(p["oauth"]["exchange_credentials"], json!(["email", "password", "api_key"]));
    assert_eq!(p["resources"], json!([]), "no unified operation until a live answer is recorded");
}
