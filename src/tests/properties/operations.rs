//! `Operation` end to end: a valid seed of any provider op (mutated) or an
//! arbitrary request, then a random sequence of provider answers, transport
//! errors, resumes and page requests, in any state (misuse included).

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::codec::http::{HttpRequest, HttpResponse};
use crate::engine::step::Step;
use crate::tests::security::{header_problem_of, host_allowed, host_of, url_problems};
use crate::tests::corpus::seeds;
use crate::tests::support::T0;
use crate::engine::step::Machine;

#[derive(Debug, Clone)]
enum Body {
    /// The seed's recorded response `n` (modulo how many it has).
    Recorded(usize),
    /// A recorded response with one node replaced.
    Mutated(usize, usize, Value),
    /// Whatever the embedded sandbox server answers to the request.
    Sandbox,
    Json(Value),
    Text(String),
    Deep,
}

#[derive(Debug, Clone)]
enum Action {
    Respond { status: u16, body: Body, headers: Vec<(String, String)> },
    Transport(String),
    Resume(u64),
    NextPage,
}

fn arb_status() -> impl Strategy<Value = u16> {
    prop_oneof![20 => Just(200u16), 2 => Just(201), 1 => Just(204), 1 => Just(400), 1 => Just(401), 1 => Just(404), 1 => Just(409), 1 => Just(422),
        2 => Just(429), 1 => Just(500), 1 => Just(503), 1 => Just(302), 1 => 100u16..600, 1 => any::<u16>()]
}

fn arb_headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let link = prop_oneof![
        Just("<https://evil.example/v1/x?page=2>; rel=\"next\"".to_string()),
        Just("<https://evil.example/v1/scheduled_interviews?page=2&per_page=2>; rel=\"next\"".to_string()),
        Just("<https://harvest.greenhouse.io/v1/applications/../scheduled_interviews?page=2>; rel=\"next\"".to_string()),
        Just("<https://api.capsulecrm.com/api/v2/entries?page=2&perPage=50>; rel=\"next\"".to_string()),
        Just("<//evil.example/x>; rel=next".to_string()),
        Just("<javascript:alert(1)>; rel=\"next\"".to_string()),
        arb_string(),
    ];
    let retry = prop_oneof![Just("1".to_string()), Just("0".to_string()), Just("-5".to_string()), Just("99999999999999999999".to_string()),
        Just("Wed, 21 Oct 2015 07:28:00 GMT".to_string()), arb_string()];
    (proptest::option::of(link), proptest::option::of(retry), prop::collection::vec((arb_key(), arb_string()), 0..2)).prop_map(|(l, r, extra)| {
        let mut h: Vec<(String, String)> = extra;
        h.extend(l.map(|l| ("link".to_string(), l)));
        h.extend(r.map(|r| ("retry-after".to_string(), r)));
        h
    })
}

fn arb_body() -> impl Strategy<Value = Body> {
    prop_oneof![
        8 => any::<usize>().prop_map(Body::Recorded),
        4 => (any::<usize>(), any::<usize>(), arb_json()).prop_map(|(r, n, v)| Body::Mutated(r, n, v)),
        3 => Just(Body::Sandbox),
        3 => arb_json().prop_map(Body::Json),
        1 => ".{0,40}".prop_map(Body::Text),
        1 => Just(Body::Deep),
    ]
}

fn arb_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        8 => (arb_status(), arb_body(), arb_headers()).prop_map(|(status, body, headers)| Action::Respond { status, body, headers }),
        1 => arb_string().prop_map(Action::Transport),
        1 => (0u64..120_000).prop_map(Action::Resume),
        1 => Just(Action::NextPage),
    ]
}

#[derive(Debug, Clone)]
enum Input {
    Seed { index: usize, mutations: Vec<(u8, usize, Value)>, id: Option<Option<String>> },
    Arbitrary { target: (String, String, String, String), id: Option<String>, body: Value, query: Value },
}

fn arb_input() -> impl Strategy<Value = Input> {
    prop_oneof![
        4 => (any::<usize>(), prop::collection::vec((0u8..3, any::<usize>(), arb_json()), 0..3), proptest::option::of(proptest::option::of(arb_string())))
            .prop_map(|(index, mutations, id)| Input::Seed { index, mutations, id }),
        1 => (arb_target(), proptest::option::of(arb_string()), arb_json(), arb_json()).prop_map(|(target, id, body, query)| Input::Arbitrary { target, id, body, query }),
    ]
}

/// The seed's recorded exchange plus every response body in its provider's
/// fixture folder, those the seed's first request accepts first (so mutations
/// of them reach the mappers instead of stopping at the first shape check).
fn recorded_for(index: usize) -> Vec<HttpResponse> {
    static CACHE: std::sync::OnceLock<Vec<Vec<HttpResponse>>> = std::sync::OnceLock::new();
    CACHE.get_or_init(|| seeds().iter().map(accepted_first).collect())[index % seeds().len()].clone()
}

fn accepted_first(seed: &crate::tests::corpus::Seed) -> Vec<HttpResponse> {
    let mut all = crate::tests::security::responses_of(seed);
    all.extend(crate::tests::corpus::provider_responses(seed.provider).iter().map(|b| HttpResponse::new(200, b.clone())));
    let accepted = |r: &HttpResponse| match Operation::start(seed.start_input(), T0) {
        Ok((mut op, Step::Send(_))) => op.handle_response(r.clone(), T0 + 1).is_ok(),
        _ => false,
    };
    let (mut good, rest): (Vec<_>, Vec<_>) = all.into_iter().partition(accepted);
    // Picks are modulo the length: listing good bodies four times makes them likelier.
    let once = good.clone();
    for _ in 0..3 {
        good.extend(once.iter().cloned());
    }
    good.extend(rest);
    good
}

/// `(input JSON, recorded responses, account)`.
fn build(input: &Input) -> (Value, Vec<HttpResponse>, Value) {
    match input {
        Input::Seed { index, mutations, id } => {
            let seed = &seeds()[index % seeds().len()];
            let mut v = seed.input();
            for (place, n, with) in mutations {
                let slot = match place {
                    0 => "body",
                    1 => "query",
                    _ => "account",
                };
                if v[slot].is_null() {
                    v[slot] = json!({});
                }
                replace_node(&mut v[slot], *n, with.clone());
            }
            if let Some(id) = id {
                v["id"] = json!(id);
            }
            let account = v["account"].clone();
            (v, recorded_for(*index), account)
        }
        Input::Arbitrary { target: (p, m, r, method), id, body, query } => {
            let account = account_for(p);
            (json!({"account": account, "model": m, "resource": r, "method": method, "id": id, "body": body, "query": query}), Vec::new(), account)
        }
    }
}

fn response(body: &Body, status: u16, headers: &[(String, String)], recorded: &[HttpResponse], req: Option<&HttpRequest>, secret: &str) -> HttpResponse {
    let auth = req.and_then(|r| r.sensitive.first().and_then(|n| r.headers.get(n))).cloned().unwrap_or_default();
    let pick = |n: usize| recorded.get(n % recorded.len().max(1)).map(|r| r.body.clone()).unwrap_or_default();
    let text = match body {
        Body::Recorded(n) => pick(*n),
        Body::Mutated(r, n, with) => {
            let mut v: Value = serde_json::from_str(&pick(*r)).unwrap_or(Value::Null);
            replace_node(&mut v, *n, with.clone());
            v.to_string()
        }
        Body::Sandbox => match req {
            Some(r) => {
                let headers = serde_json::to_value(&r.headers).unwrap_or_default();
                let body = serde_json::to_value(r).ok().and_then(|v| v["body"].as_str().map(str::to_string)).unwrap_or_default();
                let empty = Map::new();
                let resp = crate::providers::sandbox::server::respond(r.method.as_str(), &r.url, headers.as_object().unwrap_or(&empty), &body, T0);
                return resp;
            }
            None => String::new(),
        },
        Body::Json(v) => v.to_string(),
        Body::Text(t) => t.clone(),
        Body::Deep => "[".repeat(1000) + &"]".repeat(1000),
    };
    let text = text.replace("$SECRET$", secret).replace("$AUTH$", &auth);
    headers.iter().fold(HttpResponse::new(status, text), |r, (k, v)| r.with_header(k, &v.replace("$AUTH$", &auth)))
}

/// Checks one step result (and its wasm-facade rendering) against the invariants.
fn check_step(op: &Operation, out: &crate::error::Result<Step>, provider: &str, forms: &mut Vec<String>, tally: &Tally) -> Result<(), TestCaseError> {
    tally.hit("step_json");
    tally.hit(match out {
        Ok(Step::Send(_)) => "→ send",
        Ok(Step::Done(_)) | Ok(Step::Page(_)) | Ok(Step::Record(_)) => "→ done",
        Ok(Step::Wait { .. }) => "→ wait",
        Ok(Step::Credentials(_)) => "→ credentials",
        Err(crate::Error::Misuse { .. }) => "→ misuse error",
        Err(e) => e.code(),
    });
    let text = crate::facade::api::step_json(Some(op), out.clone());
    let rendered: Value = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(format!("step_json is not JSON ({e}): {text}")))?;
    match out {
        Ok(Step::Send(req)) => {
            let def = PROVIDERS.iter().find(|p| p.name == provider);
            let hosts = def.map(|p| p.hosts).unwrap_or(&[]);
            // A token request goes to the provider's sign-in hosts.
            let sign_in = def.and_then(|p| p.oauth).map(|o| o.hosts).unwrap_or(&[]);
            prop_assert!(host_of(&req.url).is_some_and(|h| host_allowed(&h, hosts) || (op.sending_token_request() && host_allowed(&h, sign_in))), "{} sent to {}", provider, req.url);
            prop_assert!(url_problems(&req.url).is_none(), "{:?}", url_problems(&req.url));
            prop_assert!(header_problem_of(req).is_none(), "{:?}", header_problem_of(req));
            for name in &req.sensitive {
                if let Some(v) = req.headers.get(name) {
                    forms.push(v.clone());
                    forms.extend(v.split_once(' ').map(|(_, t)| t.to_string()));
                }
            }
            forms.retain(|f| f.len() >= 8);
            let safe = rendered["send"]["safe_url"].as_str().unwrap_or_default();
            prop_assert!(!forms.iter().any(|f| safe.contains(f.as_str())), "safe_url shows a secret: {}", safe);
        }
        Ok(Step::Done(v)) => {
            let t = v.to_string();
            prop_assert!(!forms.iter().any(|f| t.contains(f.as_str())), "a secret in the result: {}", t);
        }
        // What the driver reads: the rendered text, and its values with any JSON
        // escapes read (a record's remote_data may be the provider's own text).
        Ok(Step::Page(_)) | Ok(Step::Record(_)) => {
            let t = rendered.to_string();
            prop_assert!(!forms.iter().any(|f| t.contains(f.as_str()) || text.contains(f.as_str())), "a secret in the result: {}", text);
        }
        Ok(Step::Wait { .. }) | Ok(Step::Credentials(_)) => {}
        Err(e) => {
            check_error_shape(e)?;
            let t = e.to_json().to_string();
            prop_assert!(!forms.iter().any(|f| t.contains(f.as_str())), "a secret in the error: {}", t);
            prop_assert!(rendered["error"]["statusCode"].is_u64(), "{}", text);
        }
    }
    Ok(())
}

#[test]
fn operations_never_panic_and_keep_their_invariants() {
    let tally = Tally::default();
    crate::providers::sandbox::server::reset();
    // Most cases open with a 200 carrying a body the op accepted (maybe mutated),
    // so the mappers and later steps see realistic data.
    let lead = proptest::option::weighted(0.7, (any::<usize>(), proptest::option::of((any::<usize>(), arb_json()))));
    check((arb_input(), lead, prop::collection::vec(arb_action(), 1..8), arb_status(), arb_body(), arb_headers(), arb_string()), |(input, lead, actions, status, body, headers, reason)| {
        let (value, recorded, account) = build(&input);
        let provider = account["provider"].as_str().unwrap_or_default().to_string();
        let secret_of = |a: &Value| a["credentials"]["api_key"].as_str().or(a["credentials"]["access_token"].as_str()).unwrap_or("none").to_string();
        let mut secret = secret_of(&account);
        let mut forms = secret_forms(&account, &[]);
        let mut now = T0;
        tally.hit("start");
        let started = match start(value, now) {
            Some(Ok(x)) => Some(x),
            Some(Err(e)) => {
                check_error_shape(&e)?;
                let t = e.to_json().to_string();
                prop_assert!(!forms.iter().any(|f| t.contains(f.as_str())), "a secret in the error: {}", t);
                None
            }
            None => None,
        };
        // A request that did not start: drive its pristine seed instead, so every
        // case exercises the response side.
        let (mut op, first, recorded, provider) = match (started, &input) {
            (Some((op, step)), _) => (op, step, recorded, provider),
            (None, Input::Seed { index, .. }) => {
                let seed = &seeds()[index % seeds().len()];
                tally.hit("start");
                secret = secret_of(&seed.account);
                forms = secret_forms(&seed.account, &[]);
                let (op, step) = Operation::start(seed.start_input(), now).map_err(|e| TestCaseError::fail(format!("seed {seed:?} no longer starts: {}", e.to_json())))?;
                (op, step, recorded_for(*index), seed.provider.to_string())
            }
            (None, Input::Arbitrary { .. }) => return Ok(()),
        };
        let mut last = match &first {
            Step::Send(r) => Some(r.clone()),
            _ => None,
        };
        check_step(&op, &Ok(first), &provider, &mut forms, &tally)?;
        let tail = [Action::Respond { status, body, headers }, Action::Transport(reason.clone()), Action::Resume(1_000), Action::NextPage];
        let lead = lead.map(|(r, m)| Action::Respond {
            status: 200,
            body: match m {
                Some((n, v)) => Body::Mutated(r, n, v),
                None => Body::Recorded(r),
            },
            headers: Vec::new(),
        });
        for action in lead.iter().chain(&actions).chain(tail.iter()) {
            let out = match action {
                Action::Respond { status, body, headers } => {
                    tally.hit("handle_response");
                    now += 1;
                    op.handle_response(response(body, *status, headers, &recorded, last.as_ref(), &secret), now)
                }
                Action::Transport(reason) => {
                    tally.hit("handle_transport_error");
                    op.handle_transport_error(&reason.replace("$SECRET$", &secret), now)
                }
                Action::Resume(advance) => {
                    tally.hit("resume");
                    now += advance;
                    op.resume(now)
                }
                Action::NextPage => {
                    tally.hit("next_page");
                    op.next_page(now)
                }
            };
            if let Ok(Step::Send(r)) = &out {
                last = Some(r.clone());
            }
            if let Ok(Step::Wait { until_ms, .. }) = &out {
                now = now.max(*until_ms);
            }
            check_step(&op, &out, &provider, &mut forms, &tally)?;
            let _ = op.has_next_page();
        }
        Ok(())
    });
    tally.assert_each("operations", &["start", "handle_response", "handle_transport_error", "resume", "next_page", "step_json"]);
}

