//! Token requests per provider against their documented shapes, and the renewal
//! rules an operation follows (expiry margin, one refresh per 401, kept refresh
//! tokens, dead grants, no secret in any output).

use serde_json::{json, Value};

use super::*;
use crate::codec::http::Body;
use crate::engine::operation::Operation;
use crate::tests::support::{input, MAX_STEPS, T0};

const APP: &str = "app-secret-7f3a9c";
const REFRESH: &str = "refresh-token-41d8e2";
const OLD: &str = "old-access-token-93b1";

fn iso(ms: u64) -> String {
    iso_from_epoch_ms(i64::try_from(ms).unwrap()).unwrap()
}

/// An account of `provider` whose token expires `expires_in_ms` after T0.
fn oauth_account(provider: &str, expires_in_ms: i64, context: Value) -> Value {
    let at = iso(u64::try_from(i64::try_from(T0).unwrap() + expires_in_ms).unwrap());
    json!({
        "id": "acc-1", "provider": provider, "context": context,
        "credentials": {"access_token": OLD, "refresh_token": REFRESH, "expires_at": at},
        "oauth_app": {"client_id": "app-id", "client_secret": APP},
    })
}

fn form(req: &HttpRequest) -> Vec<(String, String)> {
    match &req.body {
        Some(Body::Form(f)) => f.clone(),
        other => panic!("not a form body: {other:?}"),
    }
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn provider(name: &str) -> &'static ProviderDef {
    crate::providers::find(name).unwrap()
}

fn account(v: Value) -> Account {
    Account::from_json(&v).unwrap()
}

/// Each OAuth provider's refresh request: URL, grant, client authentication and
/// form encoding as its documentation shows them.
#[test]
fn every_oauth_provider_builds_its_documented_refresh_request() {
    // (provider, context, token URL, client auth in a Basic header?)
    let cases: &[(&str, Value, &str, bool)] = &[
        ("hubspot", json!({}), "https://api.hubapi.com/oauth/v3/token", false),
        ("salesforce", json!({"instance_url": "https://acme.my.salesforce.com"}), "https://login.salesforce.com/services/oauth2/token", false),
        ("zoho_crm", json!({"accounts_server": "https://accounts.zoho.eu"}), "https://accounts.zoho.eu/oauth/v2/token", false),
        ("zoho_crm", json!({}), "https://accounts.zoho.com/oauth/v2/token", false),
        ("dynamics365", json!({"instance_url": "https://contoso.crm.dynamics.com", "tenant": "contoso.onmicrosoft.com"}), "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token", false),
        ("pipedrive", json!({}), "https://oauth.pipedrive.com/oauth/token", true),
        ("lever", json!({}), "https://auth.lever.co/oauth/token", false),
        ("close", json!({}), "https://api.close.com/oauth2/token/", false),
        ("zendesk_sell", json!({}), "https://api.getbase.com/oauth2/token", true),
        ("capsule", json!({}), "https://api.capsulecrm.com/oauth/token", false),
    ];
    for (name, context, url, basic_auth) in cases {
        let p = provider(name);
        let acc = account(oauth_account(name, 0, context.clone()));
        let Need::Token(req) = need(p, &acc, T0).unwrap() else { panic!("{name}: an expired token must be renewed") };
        assert_eq!(req.method, Method::Post, "{name}");
        assert_eq!(req.url, *url, "{name}");
        assert_eq!(req.headers.get("content-type").map(String::as_str), Some("application/x-www-form-urlencoded"), "{name}");
        let f = form(&req);
        assert_eq!(field(&f, "grant_type"), Some("refresh_token"), "{name}");
        assert_eq!(field(&f, "refresh_token"), Some(REFRESH), "{name}");
        if *basic_auth {
            assert_eq!(req.headers.get("authorization"), Some(&basic("app-id", APP)), "{name}");
            assert!(field(&f, "client_secret").is_none(), "{name}: the secret goes in one place");
        } else {
            assert_eq!((field(&f, "client_id"), field(&f, "client_secret")), (Some("app-id"), Some(APP)), "{name}");
            assert!(!req.headers.contains_key("authorization"), "{name}");
        }
    }
}

#[test]
fn linkedin_gets_a_client_credentials_token_and_reads_a_string_lifetime() {
    let acc = account(json!({"provider": "linkedin", "credentials": {"client_id": "li-id", "client_secret": APP}, "context": {"organization_urn": "urn:li:organization:1"}}));
    let Need::Token(req) = need(provider("linkedin"), &acc, T0).unwrap() else { panic!("no token yet: one is requested") };
    assert_eq!(req.url, "https://www.linkedin.com/oauth/v2/accessToken");
    let f = form(&req);
    assert_eq!(field(&f, "grant_type"), Some("client_credentials"));
    assert_eq!((field(&f, "client_id"), field(&f, "client_secret")), (Some("li-id"), Some(APP)));
    // LinkedIn's documented answer: expires_in as a string.
    let update = read_response(provider("linkedin"), &HttpResponse::new(200, r#"{"access_token":"AQV8-new","expires_in":"1800"}"#), T0).unwrap();
    assert_eq!(update.credentials["access_token"], "AQV8-new");
    assert_eq!(update.credentials["expires_at"], iso(T0 + 1_800_000));
    assert!(update.credentials.get("refresh_token").is_none());
}

#[test]
fn the_expiry_margin_renews_tokens_that_expire_within_five_minutes() {
    let p = provider("hubspot");
    let soon = account(oauth_account("hubspot", 4 * 60 * 1000, json!({})));
    assert!(matches!(need(p, &soon, T0).unwrap(), Need::Token(_)));
    let later = account(oauth_account("hubspot", 6 * 60 * 1000, json!({})));
    assert!(matches!(need(p, &later, T0).unwrap(), Need::Nothing));
    // An account without expires_at (a private-app token) is used as it is.
    let static_token = account(json!({"provider": "hubspot", "credentials": {"access_token": "pat-1"}}));
    assert!(matches!(need(p, &static_token, T0).unwrap(), Need::Nothing));
    let bad = account(json!({"provider": "hubspot", "credentials": {"access_token": "t", "expires_at": "tomorrow"}}));
    assert_eq!(need(p, &bad, T0).unwrap_err().to_json()["details"][0]["field"], "account.credentials.expires_at");
}

#[test]
fn an_expired_token_with_no_way_to_renew_it_is_reauth_required_before_sending() {
    let mut v = oauth_account("hubspot", -1000, json!({}));
    v["credentials"].as_object_mut().unwrap().remove("refresh_token");
    let err = Operation::start(input(v, "crm", "engagements", "list", None, Value::Null, json!({})), T0).err().unwrap().to_json();
    assert_eq!(err["code"], "reauth_required");
    assert_eq!(err["statusCode"], 401);
    assert_eq!(err["details"][0]["field"], "account.credentials");
}

#[test]
fn a_refresh_answer_without_a_refresh_token_keeps_the_old_one() {
    let mut acc = account(oauth_account("zoho_crm", 0, json!({})));
    let update = read_response(provider("zoho_crm"), &HttpResponse::new(200, r#"{"access_token":"new-1","expires_in":3600,"api_domain":"https://www.zohoapis.eu","token_type":"Bearer"}"#), T0).unwrap();
    update.apply(&mut acc);
    assert_eq!(acc.credentials["refresh_token"], REFRESH);
    assert_eq!(acc.credentials["access_token"], "new-1");
    assert_eq!(acc.credentials["expires_at"], iso(T0 + 3_600_000));
    assert_eq!(acc.context["api_domain"], "https://www.zohoapis.eu");
    // A rotated one replaces it (Pipedrive, Dynamics).
    let rotated = read_response(provider("pipedrive"), &HttpResponse::new(200, r#"{"access_token":"a2","refresh_token":"r2","expires_in":3600,"api_domain":"https://acme.pipedrive.com"}"#), T0).unwrap();
    rotated.apply(&mut acc);
    assert_eq!(acc.credentials["refresh_token"], "r2");
}

#[test]
fn a_dead_grant_is_reauth_required_and_quotes_no_secret() {
    for (status, body) in [(400, r#"{"error":"invalid_grant","error_description":"expired access/refresh token"}"#), (200, r#"{"error":"invalid_code"}"#)] {
        let err = read_response(provider("salesforce"), &HttpResponse::new(status, body), T0).unwrap_err();
        assert_eq!(err.code(), "reauth_required", "{body}");
    }
    // Another refusal is the endpoint's error, with only its error code.
    let err = read_response(provider("hubspot"), &HttpResponse::new(400, format!(r#"{{"error":"invalid_request","echo":"{REFRESH}"}}"#)), T0).unwrap_err().to_json();
    assert_eq!(err["code"], "remote_error");
    assert!(!err.to_string().contains(REFRESH), "{err}");
}

/// Drives an operation, answering sends with `answer` and collecting the
/// credentials steps the driver must persist.
fn run(start: crate::Result<(Operation, Step)>, mut answer: impl FnMut(&HttpRequest) -> HttpResponse) -> (Vec<HttpRequest>, Vec<Value>, crate::Result<Value>) {
    let (mut op, mut step) = match start {
        Ok(x) => x,
        Err(e) => return (vec![], vec![], Err(e)),
    };
    let (mut sent, mut saved) = (Vec::new(), Vec::new());
    let mut now = T0;
    for _ in 0..MAX_STEPS {
        let next = match step {
            Step::Record(r) => { step = Step::Done(r.into_value()); continue; }
            Step::Page(p) => { step = Step::Done(p.into_value()); continue; }
            Step::Done(v) => return (sent, saved, Ok(v)),
            Step::Credentials(c) => {
                saved.push(c);
                op.resume(now)
            }
            Step::Wait { until_ms, .. } => {
                now = until_ms;
                op.resume(now)
            }
            Step::Send(req) => {
                let resp = answer(&req);
                sent.push(req);
                now += 1;
                op.handle_response(resp, now)
            }
        };
        step = match next {
            Ok(s) => s,
            Err(e) => return (sent, saved, Err(e)),
        };
    }
    panic!("did not finish");
}

fn hubspot_list(account: Value) -> crate::Result<(Operation, Step)> {
    Operation::start(input(account, "crm", "engagements", "list", None, Value::Null, json!({"engagement_type": "call"})), T0)
}

const TOKEN_OK: &str = r#"{"access_token":"new-access-token-5c7e","refresh_token":"rotated-refresh-2b9f","expires_in":1800,"token_type":"bearer"}"#;

fn hubspot_answer(req: &HttpRequest) -> HttpResponse {
    if req.url.contains("/oauth/") {
        return HttpResponse::new(200, TOKEN_OK);
    }
    match req.headers.get("authorization").map(String::as_str) {
        Some("Bearer new-access-token-5c7e") => HttpResponse::new(200, r#"{"results":[]}"#),
        _ => HttpResponse::new(401, r#"{"status":"error","category":"EXPIRED_AUTHENTICATION"}"#),
    }
}

#[test]
fn an_expired_account_renews_first_persists_then_sends_with_the_new_token() {
    let (sent, saved, out) = run(hubspot_list(oauth_account("hubspot", -1, json!({}))), hubspot_answer);
    out.unwrap();
    assert_eq!(sent.len(), 2);
    assert!(sent[0].url.ends_with("/oauth/v3/token"));
    assert_eq!(sent[1].headers["authorization"], "Bearer new-access-token-5c7e");
    assert_eq!(saved.len(), 1, "the driver persists once, before the request");
    assert_eq!(saved[0]["account_id"], "acc-1");
    assert_eq!(saved[0]["credentials"]["refresh_token"], "rotated-refresh-2b9f");
    assert_eq!(saved[0]["credentials"]["expires_at"], iso(T0 + 1 + 1_800_000));
}

#[test]
fn a_401_renews_once_and_resends_and_a_second_401_is_reauth_required() {
    // A token that has not expired by the clock but was revoked.
    let (sent, saved, out) = run(hubspot_list(oauth_account("hubspot", 3_600_000, json!({}))), hubspot_answer);
    out.unwrap();
    let kinds: Vec<bool> = sent.iter().map(|r| r.url.contains("/oauth/")).collect();
    assert_eq!(kinds, [false, true, false], "request, refresh, the same request again");
    assert_eq!(sent[2].url, sent[0].url);
    assert_eq!(saved.len(), 1);
    // The provider refuses even the new token: no loop.
    let (sent, _, out) = run(hubspot_list(oauth_account("hubspot", 3_600_000, json!({}))), |req| {
        if req.url.contains("/oauth/") { HttpResponse::new(200, TOKEN_OK) } else { HttpResponse::new(401, "{}") }
    });
    assert_eq!(out.unwrap_err().code(), "reauth_required");
    assert_eq!(sent.len(), 3);
}

#[test]
fn a_401_on_an_api_key_account_stays_the_providers_401() {
    let (sent, _, out) = run(hubspot_list(json!({"provider": "hubspot", "credentials": {"api_key": "pat-na1-x"}})), |_| HttpResponse::new(401, "{}"));
    assert_eq!(out.unwrap_err().to_json()["statusCode"], 401);
    assert_eq!(sent.len(), 1);
}

#[test]
fn invalid_grant_during_an_operation_is_reauth_required_with_nothing_secret_in_it() {
    let (sent, saved, out) = run(hubspot_list(oauth_account("hubspot", -1, json!({}))), |_| HttpResponse::new(400, r#"{"error":"invalid_grant","error_description":"refresh token is invalid"}"#));
    let err = out.unwrap_err().to_json();
    assert_eq!(err["code"], "reauth_required");
    assert_eq!(sent.len(), 1);
    assert!(saved.is_empty());
    for secret in [APP, REFRESH, OLD] {
        assert!(!err.to_string().contains(secret));
    }
}

#[test]
fn the_plan_of_an_expired_account_shows_the_token_request_first_redacted() {
    let v = json!({"account": oauth_account("pipedrive", -1, json!({})), "model": "crm", "resource": "engagements", "method": "list", "query": {}});
    let plan = crate::facade::api::plan(v, T0).unwrap();
    let text = plan.to_string();
    assert_eq!(plan["requests"][0]["token_request"], true, "{plan}");
    assert_eq!(plan["requests"][0]["url"], "https://oauth.pipedrive.com/oauth/token");
    // Then the unified request itself, its auth header redacted.
    assert!(plan["requests"][1]["url"].as_str().unwrap().starts_with("https://api.pipedrive.com/"), "{plan}");
    assert_eq!(plan["requests"][1]["headers"]["authorization"], "[REDACTED]");
    assert!(plan["requests"][1].get("token_request").is_none());
    for secret in [APP, REFRESH, OLD, basic("app-id", APP).as_str()] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

#[test]
fn credentials_from_the_driver_answer_the_token_request_without_sending_it() {
    let (mut op, step) = hubspot_list(oauth_account("hubspot", -1, json!({}))).unwrap();
    assert!(matches!(step, Step::Send(_)) && op.sending_token_request());
    let supplied = json!({"credentials": {"access_token": "from-authority-1", "refresh_token": "r9", "expires_at": iso(T0 + 3_600_000)}});
    let Step::Send(req) = op.handle_credentials(&supplied, T0).unwrap() else { panic!("the unified request follows") };
    assert_eq!(req.headers["authorization"], "Bearer from-authority-1");
    assert!(!op.sending_token_request());
    assert!(op.handle_credentials(&supplied, T0).is_err(), "only while a token request is pending");
}

#[test]
fn a_passthrough_on_an_expired_account_renews_first() {
    let v = json!({"account": oauth_account("hubspot", -1, json!({})), "passthrough": {"method": "GET", "path": "/crm/v3/objects/contacts", "query": {"limit": 1}}});
    let start = Operation::passthrough(crate::engine::passthrough::PassthroughInput::from_json(&v).unwrap(), T0);
    let (sent, saved, out) = run(start, hubspot_answer);
    assert_eq!(out.unwrap()["status"], 200);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].url, "https://api.hubapi.com/crm/v3/objects/contacts?limit=1");
    assert_eq!(saved.len(), 1);
}

#[test]
fn the_connect_flow_authorize_url_and_code_exchange() {
    let acc = account(json!({"provider": "hubspot", "oauth_app": {"client_id": "app-id", "client_secret": APP}}));
    let url = authorize_url(provider("hubspot"), &acc, "https://app.example/cb", "st-1", Some("chal")).unwrap();
    assert_eq!(
        url,
        "https://app.hubspot.com/oauth/authorize?response_type=code&client_id=app-id&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state=st-1&scope=oauth%20crm.objects.contacts.read%20crm.objects.contacts.write&code_challenge=chal&code_challenge_method=S256"
    );
    let zoho = account(json!({"provider": "zoho_crm", "oauth_app": {"client_id": "z", "scopes": ["ZohoCRM.modules.calls.ALL", "ZohoCRM.modules.tasks.ALL"]}}));
    let url = authorize_url(provider("zoho_crm"), &zoho, "https://app.example/cb", "s", Some("ignored")).unwrap();
    assert!(url.starts_with("https://accounts.zoho.com/oauth/v2/auth?"), "{url}");
    assert!(url.contains("scope=ZohoCRM.modules.calls.ALL%2CZohoCRM.modules.tasks.ALL") && url.contains("access_type=offline") && !url.contains("code_challenge"), "{url}");
    let req = code_request(provider("hubspot"), &acc, "code-1", "https://app.example/cb", Some("verifier-1")).unwrap();
    let f = form(&req);
    assert_eq!(field(&f, "grant_type"), Some("authorization_code"));
    assert_eq!(field(&f, "code_verifier"), Some("verifier-1"));
    // Salesforce's code exchange tells where the account lives.
    let sf = account(json!({"provider": "salesforce", "oauth_app": {"client_id": "c", "client_secret": APP}}));
    let (mut op, step) = TokenOperation::start(sf, TokenGrant::Code { code: "c1".into(), redirect_uri: "https://app.example/cb".into(), code_verifier: None }, false, RetryPolicy::default(), T0).unwrap();
    assert!(matches!(step, Step::Send(ref r) if r.url == "https://login.salesforce.com/services/oauth2/token"));
    let Step::Done(done) = op.handle_response(HttpResponse::new(200, r#"{"access_token":"00D!x","refresh_token":"5Aep","instance_url":"https://acme.my.salesforce.com","id":"https://login.salesforce.com/id/00D/005","token_type":"Bearer"}"#), T0).unwrap() else { panic!() };
    assert_eq!(done["context"]["instance_url"], "https://acme.my.salesforce.com");
    assert!(done["credentials"].get("expires_at").is_none(), "Salesforce states no lifetime");
}

#[test]
fn sign_in_hosts_are_checked_and_auth_base_url_moves_them() {
    let mut v = oauth_account("zoho_crm", 0, json!({"accounts_server": "https://accounts.evil.example"}));
    let err = need(provider("zoho_crm"), &account(v.clone()), T0).unwrap_err().to_json();
    assert_eq!(err["code"], "validation_failed", "{err}");
    v["context"] = json!({"tenant": "../common"});
    let dyn_acc = json!({"provider": "dynamics365", "credentials": v["credentials"], "oauth_app": v["oauth_app"], "context": {"tenant": "../x", "instance_url": "https://c.crm.dynamics.com"}});
    assert!(need(provider("dynamics365"), &account(dyn_acc), T0).is_err());
    let mut local = oauth_account("hubspot", 0, json!({}));
    local["auth_base_url"] = json!("http://127.0.0.1:9999");
    let Need::Token(req) = need(provider("hubspot"), &account(local), T0).unwrap() else { panic!() };
    assert_eq!(req.url, "http://127.0.0.1:9999/oauth/v3/token");
}

#[test]
fn token_operation_refresh_is_done_at_once_when_the_token_is_fresh_unless_forced() {
    let fresh = account(oauth_account("hubspot", 3_600_000, json!({})));
    let (_, step) = TokenOperation::start(fresh.clone(), TokenGrant::Refresh, false, RetryPolicy::default(), T0).unwrap();
    assert!(matches!(step, Step::Done(ref v) if v["credentials"]["access_token"] == OLD));
    let (mut op, step) = TokenOperation::start(fresh, TokenGrant::Refresh, true, RetryPolicy::default(), T0).unwrap();
    assert!(matches!(step, Step::Send(_)));
    // A 503 from the token endpoint is retried.
    assert!(matches!(op.handle_response(HttpResponse::new(503, ""), T0).unwrap(), Step::Wait { .. }));
    assert!(matches!(op.resume(T0 + 1000).unwrap(), Step::Send(_)));
    assert!(matches!(op.handle_response(HttpResponse::new(200, TOKEN_OK), T0 + 1001).unwrap(), Step::Done(_)));
}

#[test]
fn client_credentials_use_the_accounts_own_client_never_the_shared_app() {
    let acc = account(json!({"provider": "greenhouse", "credentials": {"client_id": "own-id", "client_secret": "own-secret-1"}, "oauth_app": {"client_id": "partner-app", "client_secret": "partner-secret"}}));
    let Need::Token(req) = need(provider("greenhouse"), &acc, T0).unwrap() else { panic!() };
    assert_eq!(req.headers["authorization"], basic("own-id", "own-secret-1"));
    // The shared app alone is no client-credentials account.
    let app_only = account(json!({"provider": "greenhouse", "oauth_app": {"client_id": "partner-app", "client_secret": "partner-secret"}}));
    assert!(!uses_tokens(provider("greenhouse").oauth.unwrap(), &app_only));
}

#[test]
fn a_refused_shared_app_is_a_configuration_error_but_refused_own_credentials_are_reauth() {
    let invalid_client = HttpResponse::new(401, r#"{"error":"invalid_client"}"#);
    assert_eq!(read_response_for(provider("hubspot"), &invalid_client, T0, false).unwrap_err().code(), "remote_error");
    assert_eq!(read_response_for(provider("linkedin"), &invalid_client, T0, true).unwrap_err().code(), "reauth_required");
    let bare_401 = HttpResponse::new(401, "");
    assert_eq!(read_response_for(provider("hubspot"), &bare_401, T0, false).unwrap_err().code(), "remote_error");
    assert_eq!(read_response_for(provider("ceipal"), &bare_401, T0, true).unwrap_err().code(), "reauth_required");
}

#[test]
fn a_stream_that_outlives_its_token_renews_before_the_next_page() {
    let acc = oauth_account("hubspot", 10 * 60 * 1000, json!({}));
    let (mut op, step) = hubspot_list(acc).unwrap();
    let Step::Send(first) = step else { panic!() };
    assert!(!first.url.contains("/oauth/"));
    let page = HttpResponse::new(200, r#"{"results":[{"id":"1","properties":{}}],"paging":{"next":{"after":"2"}}}"#);
    assert!(matches!(op.handle_response(page, T0 + 1).unwrap(), Step::Page(_)));
    assert!(op.has_next_page());
    // Twenty minutes later the token has expired: the next page renews first.
    let Step::Send(req) = op.next_page(T0 + 20 * 60 * 1000).unwrap() else { panic!() };
    assert!(req.url.ends_with("/oauth/v3/token"), "{}", req.url);
    assert!(matches!(op.handle_response(HttpResponse::new(200, TOKEN_OK), T0 + 20 * 60 * 1000).unwrap(), Step::Credentials(_)));
    let Step::Send(next) = op.resume(T0 + 20 * 60 * 1000).unwrap() else { panic!() };
    assert!(next.url.contains("after=2"), "{}", next.url);
    assert_eq!(next.headers["authorization"], "Bearer new-access-token-5c7e");
}
