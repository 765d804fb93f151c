//! Boundary numbers (issue 12): `i64::MAX`, `u64::MAX`, 2^53 + 1, `1e308`, `-0`,
//! `1e400`, negatives, fractions and numbers as strings, substituted as raw JSON
//! text into every numeric-looking leaf of every recorded provider response (and
//! into `mm:ss` / `HH:MM` duration strings), and into every numeric unified
//! request field and paging cursor. The outcome must be a structured error or a
//! result whose unified integers are `null` or exact and within 0..=2^53−1, with a
//! `value_out_of_range` warning when a provider duration could not be mapped.
//! Debug builds check overflow, so an unchecked operation shows up as a panic.

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use serde_json::{json, Value};

use crate::codec::numbers::MAX_SAFE_INT;
use crate::error::Error;
use crate::codec::http::HttpResponse;
use crate::tests::security::{responses_of, run};
use crate::tests::corpus::{provider_responses, seeds, Seed};

/// Raw JSON texts put where a provider sent a number (or a numeric string).
pub const NUMBERS: &[&str] = &[
    "9223372036854775807", "-9223372036854775808", "18446744073709551615", "9007199254740993", "9007199254740991", "153722867280912931",
    "1e308", "-0", "1e400", "-1", "0", "1.5", "60.0", "\"9999999999999999999\"", "\"NaN\"", "\" 12 \"", "\"-5\"", "\"1.5\"",
];

/// Raw JSON texts put where a provider sent a clock-style duration (`mm:ss`, `HH:MM`).
pub const CLOCKS: &[&str] = &[
    "\"153722867280912931:07\"", "\"2562047788015216:00\"", "\"9223372036854775807:59\"", "\"-1:30\"", "\"00:00\"", "\"01:30\"", "\"1:1.5\"", "\"99:59\"",
];

/// Provider keys a unified `duration` is read from, with seconds per unit (None:
/// a string form checked by the targeted tests below).
const DURATION_KEYS: &[(&str, Option<i128>)] = &[
    ("actualdurationminutes", Some(60)), ("DurationInMinutes", Some(60)), ("CallDurationInSeconds", Some(1)), ("duration", Some(1)),
    ("Call_Duration_in_seconds", Some(1)), ("duration_seconds", Some(1)), ("hs_call_duration", None), ("Call_Duration", None),
];

const MARK: &str = "@@crosswalk-boundary@@";

fn is_clock(s: &str) -> bool {
    s.split_once(':').is_some_and(|(a, b)| !a.is_empty() && b.len() == 2 && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit()))
}

/// JSON pointers of numeric leaves and of clock strings.
fn leaves(v: &Value, at: String, out: &mut Vec<(String, bool)>) {
    match v {
        Value::Number(_) => out.push((at, false)),
        Value::String(s) if is_clock(s) => out.push((at, true)),
        Value::String(s) if !s.is_empty() && s.trim().parse::<f64>().is_ok() && s.len() < 40 => out.push((at, false)),
        Value::Array(items) => items.iter().enumerate().for_each(|(i, x)| leaves(x, format!("{at}/{i}"), out)),
        Value::Object(m) => m.iter().for_each(|(k, x)| leaves(x, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out)),
        _ => {}
    }
}

/// `body` with the leaf at `pointer` replaced by the raw JSON text `raw`.
fn substitute(body: &Value, pointer: &str, raw: &str) -> String {
    let mut b = body.clone();
    *b.pointer_mut(pointer).expect("leaf exists") = Value::String(MARK.into());
    b.to_string().replacen(&format!("\"{MARK}\""), raw, 1)
}

/// The exact unified duration a raw provider number stands for, or `None` when it
/// has none within 0..=2^53−1 (then `null` + a warning is the only right answer).
fn expected_secs(raw: &str, unit: i128) -> Option<i128> {
    let n: i128 = match raw.parse::<i128>() {
        Ok(n) => n,
        Err(_) => {
            let f = raw.parse::<f64>().ok().filter(|f| f.is_finite() && f.fract() == 0.0 && f.abs() <= MAX_SAFE_INT as f64)?;
            f as i128
        }
    };
    Some(n * unit).filter(|s| (0..=i128::from(MAX_SAFE_INT)).contains(s))
}

/// The checks every outcome must pass; `Err` says what went wrong.
fn check_outcome(out: &Result<Value, Error>) -> Result<(), String> {
    match out {
        Err(e) => {
            let j = e.to_json();
            let status = j["statusCode"].as_u64().unwrap_or(0);
            let shaped = ["error", "code", "message"].iter().all(|k| j[*k].is_string()) && j.get("details").is_some();
            if !(400..600).contains(&status) || !shaped {
                return Err(format!("error without the structured shape: {j}"));
            }
            Ok(())
        }
        Ok(v) => {
            for r in records(v) {
                match &r["duration"] {
                    Value::Null => {}
                    d if d.as_i64().is_some_and(|n| (0..=MAX_SAFE_INT).contains(&n)) => {}
                    d => return Err(format!("unified duration {d} is not an exact integer within 0..=2^53-1")),
                }
            }
            Ok(())
        }
    }
}

/// The unified records of a result: a list's `result` array, or the record itself.
fn records(v: &Value) -> Vec<&Value> {
    match v.get("result") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(r @ Value::Object(_)) => vec![r],
        Some(_) => Vec::new(),
        None => vec![v],
    }
}

fn record_at(v: &Value, i: Option<usize>) -> &Value {
    match i {
        Some(i) => &v["result"][i],
        None => records(v).first().copied().unwrap_or(&Value::Null),
    }
}

fn warned(v: &Value, record: Option<usize>) -> bool {
    v["warnings"].as_array().into_iter().flatten().any(|w| {
        let field = w["field"].as_str().unwrap_or_default();
        w["code"] == "value_out_of_range" && field.ends_with("duration") && record.map_or(true, |i| field.starts_with(&format!("result[{i}]")) || !field.starts_with("result["))
    })
}

fn drive(seed: &Seed, responses: &[HttpResponse]) -> Result<Option<Result<Value, Error>>, String> {
    catch_unwind(AssertUnwindSafe(|| run(seed.start_input(), responses).out)).map_err(|p| {
        p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
    })
}

/// Seeds paired with responses a provider answers: every recorded fixture case,
/// and for each op the provider's recorded response files that map without error.
fn exchanges() -> Vec<(Seed, Vec<HttpResponse>)> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for seed in seeds() {
        let key = (seed.provider, seed.model, seed.resource, seed.method);
        if !seed.responses.is_empty() {
            out.push((seed.clone(), responses_of(seed)));
            continue;
        }
        if !seen.insert(key) {
            continue;
        }
        for body in provider_responses(seed.provider) {
            let responses = vec![HttpResponse::new(200, body.clone()); 3];
            if matches!(drive(seed, &responses), Ok(Some(Ok(_)))) {
                out.push((seed.clone(), responses));
            }
        }
    }
    out
}

#[test]
fn boundary_numbers_in_every_provider_response() {
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures = Vec::new();
    let (mut runs, mut exact, mut warned_nulls) = (0usize, 0usize, 0usize);
    let mut done = BTreeSet::new();
    for (seed, responses) in exchanges() {
        if !matches!(drive(&seed, &responses), Ok(Some(Ok(_)))) {
            continue;
        }
        // Only the responses the operation reads (the rest of a script is spare).
        let used = run(seed.start_input(), &responses).sent.len();
        for (i, resp) in responses.iter().enumerate().take(used) {
            let Ok(body) = serde_json::from_str::<Value>(resp.body.as_str()) else { continue };
            let mut found = Vec::new();
            leaves(&body, String::new(), &mut found);
            for (pointer, clock) in found {
                // One provider op, response position and leaf is enough.
                if !done.insert((seed.provider, seed.model, seed.resource, seed.method, i, pointer.clone(), resp.body.as_str().len())) {
                    continue;
                }
                let key = pointer.rsplit('/').next().unwrap_or_default();
                let unit = DURATION_KEYS.iter().find(|(k, _)| *k == key).and_then(|(_, u)| *u);
                // Which record's duration this leaf feeds: the one a probe value moves.
                let (mut source, mut record) = (None, None);
                if let Some(u) = unit {
                    let mut rs = responses.clone();
                    rs[i].body = substitute(&body, &pointer, "4243");
                    if let Ok(Some(Ok(v))) = drive(&seed, &rs) {
                        let moved: Vec<usize> = records(&v).iter().enumerate().filter(|(_, r)| r["duration"].as_i64().map(i128::from) == Some(4243 * u)).map(|(n, _)| n).collect();
                        if let [n] = moved.as_slice() {
                            source = Some(u);
                            record = v.get("result").is_some_and(Value::is_array).then_some(*n);
                        }
                    }
                }
                for raw in if clock { CLOCKS } else { NUMBERS } {
                    let mut rs = responses.clone();
                    rs[i].body = substitute(&body, &pointer, raw);
                    runs += 1;
                    let what = format!("{} {}/{} {} response {i} {pointer} = {raw}", seed.provider, seed.model, seed.resource, seed.method);
                    let out = match drive(&seed, &rs) {
                        Err(panic) => {
                            failures.push(format!("{what}: panicked: {panic}"));
                            continue;
                        }
                        Ok(None) => continue, // asked for more requests than recorded
                        Ok(Some(out)) => out,
                    };
                    if let Err(e) = check_outcome(&out) {
                        failures.push(format!("{what}: {e}"));
                        continue;
                    }
                    let (Some(unit), Ok(v)) = (source, &out) else { continue };
                    let got = record_at(v, record)["duration"].clone();
                    let is_number = !raw.starts_with('"');
                    match (is_number.then(|| expected_secs(raw, unit)), got.as_i64()) {
                        (Some(Some(want)), Some(g)) if i128::from(g) == want => exact += 1,
                        (Some(None), None) if warned(v, record) => warned_nulls += 1,
                        (None, _) => {} // a string where a number belongs: null, or another field's value
                        (want, _) => failures.push(format!("{what}: duration {got}, want {want:?} (null needs a value_out_of_range warning)")),
                    }
                }
            }
        }
    }
    std::panic::set_hook(quiet);
    eprintln!("boundary numbers: {runs} runs, {exact} exact durations, {warned_nulls} out-of-range durations warned");
    assert!(runs > 1000 && exact > 0 && warned_nulls > 0, "the corpus reached too little: {runs} runs");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.iter().take(40).cloned().collect::<Vec<_>>().join("\n"));
}


/// Caller numbers (serde values: the raw-text forms such as `1e400` go through the
/// Node test, where the request is text).
fn caller_numbers() -> Vec<Value> {
    NUMBERS.iter().filter_map(|raw| serde_json::from_str(raw).ok()).chain([json!(-5), json!(9223372036854776u64), json!(-0.0), json!(1), json!(60), json!(3600)]).collect()
}

fn in_unified_range(v: &Value) -> bool {
    v.as_i64().is_some_and(|n| (0..=MAX_SAFE_INT).contains(&n))
}

fn issue_at(e: &Error, field: &str) -> Option<String> {
    e.to_json()["details"].as_array()?.iter().find(|i| i["field"] == field).and_then(|i| i["code"].as_str().map(str::to_string))
}

#[test]
fn boundary_numbers_in_every_numeric_request_field() {
    let mut failures = Vec::new();
    let (mut checked, mut accepted) = (0, 0);
    for seed in seeds() {
        let duration = seed.body.get("duration").is_some() || seed.resource == "engagements" && seed.body.is_object();
        for v in caller_numbers() {
            let mut cases = Vec::new();
            if duration {
                let mut s = seed.clone();
                s.body["duration"] = v.clone();
                cases.push(("body.duration", s));
            }
            if seed.method == "list" {
                let mut s = seed.clone();
                s.query["limit"] = v.clone();
                cases.push(("query.limit", s));
            }
            for (field, s) in cases {
                checked += 1;
                let what = format!("{} {}/{} {} {field} = {v}", s.provider, s.model, s.resource, s.method);
                let Ok(r) = catch_unwind(AssertUnwindSafe(|| run(s.start_input(), &responses_of(&s)))) else {
                    failures.push(format!("{what}: panicked"));
                    continue;
                };
                let valid = if field == "body.duration" { in_unified_range(&v) } else { v.as_u64().is_some_and(|n| n >= 1) };
                match &r.out {
                    Some(Err(e)) if !r.sent.is_empty() => {
                        if let Err(p) = check_outcome(&Err(e.clone())) {
                            failures.push(format!("{what}: {p}"));
                        }
                    }
                    Some(Err(e)) => match issue_at(e, field).as_deref() {
                        Some("out_of_range" | "invalid_type" | "invalid_format" | "conflict" | "unsupported_field") => {}
                        // Refused for another reason first (the seed's other fields).
                        None if valid => {}
                        other => failures.push(format!("{what}: refused without an out_of_range issue at {field} ({other:?}): {}", e.to_json())),
                    },
                    _ if !valid => failures.push(format!("{what}: accepted")),
                    _ => {
                        accepted += 1;
                        // Accepted: what reached the provider is the exact value (HubSpot: ms).
                        let sent = r.sent.first().and_then(|q| q.body_json()).map(Value::to_string).unwrap_or_default();
                        if s.provider == "hubspot" && field == "body.duration" && !sent.contains(&format!("\"hs_call_duration\":\"{}\"", i128::from(v.as_i64().unwrap_or(0)) * 1000)) {
                            failures.push(format!("{what}: sent {sent}"));
                        }
                    }
                }
            }
        }
    }
    eprintln!("request numbers: {checked} cases, {accepted} accepted");
    assert!(checked > 100 && accepted > 10, "only {checked} cases");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.iter().take(40).cloned().collect::<Vec<_>>().join("\n"));
}

#[test]
fn exact_reported_request_cases() {
    // Issue 12: seen through the Worker.
    let hubspot = seeds().iter().find(|s| s.provider == "hubspot" && s.method == "create" && s.body["engagement_type"] == "call").expect("a hubspot call seed");
    let mut ok = hubspot.clone();
    ok.body["duration"] = json!(90);
    let r = run(ok.start_input(), &[]);
    assert_eq!(r.sent[0].body_json().unwrap()["properties"]["hs_call_duration"], "90000");
    for (d, code) in [(json!(9223372036854776u64), "out_of_range"), (json!(-5), "out_of_range"), (json!(1.5), "invalid_type")] {
        let mut s = hubspot.clone();
        s.body["duration"] = d.clone();
        let r = run(s.start_input(), &[]);
        assert!(r.sent.is_empty(), "{d} reached HubSpot");
        let e = r.out.expect("answered").expect_err("refused");
        assert_eq!((e.status(), issue_at(&e, "body.duration").as_deref()), (400, Some(code)), "{d}: {}", e.to_json());
    }
}

#[test]
fn forged_page_numbers_are_invalid_cursors_not_wrapped() {
    let mut failures = Vec::new();
    let mut reached = 0;
    let mut seen = BTreeSet::new();
    for seed in seeds().iter().filter(|s| s.method == "list" && s.query.get("next_cursor").is_none()) {
        if !seen.insert((seed.provider, seed.model, seed.resource)) {
            continue;
        }
        let kinds = ["call", "meeting", "note", "task", "email", "calls", "notes", "tasks", "activities"];
        for key in ["page", "skip", "offset", "start"] {
            let states = |v: &Value| -> Vec<Value> {
                let mut out = vec![json!({ key: v }), json!({ key: v, "types": [[1, "call"]] })];
                out.extend(kinds.iter().map(|k| json!({"kind": k, "state": { key: v }})));
                out
            };
            let attempt = |state: &Value| {
                let mut s = seed.clone();
                s.query["next_cursor"] = json!(crate::engine::cursor::encode(seed.provider, seed.model, seed.resource, state, &[]));
                catch_unwind(AssertUnwindSafe(|| run(s.start_input(), &responses_of(seed)))).ok()
            };
            for state in states(&json!(4243)) {
                // Does this provider read `key` from this state shape?
                let Some(probe) = attempt(&state) else { continue };
                if !probe.sent.first().is_some_and(|r| r.url.contains("=4243")) {
                    continue;
                }
                reached += 1;
                for v in caller_numbers().into_iter().chain([json!(18446744073709551616.0), json!(MAX_SAFE_INT)]) {
                    let forged = serde_json::to_string(&state).unwrap().replace("4243", &v.to_string());
                    let forged: Value = serde_json::from_str(&forged).unwrap();
                    let what = format!("{} {}/{} cursor {forged}", seed.provider, seed.model, seed.resource);
                    let Some(r) = attempt(&forged) else {
                        failures.push(format!("{what}: panicked"));
                        continue;
                    };
                    let valid = in_unified_range(&v) && !(seed.provider == "pinpoint" && v.as_i64().is_some_and(|n| n < 2));
                    match (&r.out, r.sent.first()) {
                        (_, Some(req)) if valid => {
                            if !req.url.contains(&format!("={v}")) {
                                failures.push(format!("{what}: sent {}", req.url));
                            }
                        }
                        (Some(Err(e)), None) if !valid && e.code() == "invalid_cursor" => {}
                        (out, req) => failures.push(format!("{what}: {:?} {:?}", out.as_ref().map(|o| o.as_ref().map_err(|e| e.to_json())), req.map(|r| &r.url))),
                    }
                }
            }
        }
    }
    assert!(reached >= 8, "page/offset states reached only {reached} providers");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.iter().take(40).cloned().collect::<Vec<_>>().join("\n"));
}

#[test]
fn budgets_that_would_wrap_are_refused() {
    use crate::engine::sync::budget::Budget;
    use crate::provider::sync::Limits;
    let limits = Limits { requests_per_day: 10, records_per_minute: 100 };
    let now = 1_767_311_940_000;
    let saved = |requests: Value, minute: Value| json!({"version": 1, "day_start_ms": 1_767_225_600_000u64, "requests_today": requests, "minute": minute});
    // A sum that wraps u64 would read as a nearly empty window.
    for (requests, minute) in [
        (json!(0), json!([[now - 1, u64::MAX], [now - 1, 2]])),
        (json!(0), json!([[now - 1, MAX_SAFE_INT], [now - 2, 1]])),
        (json!(u64::MAX), json!([])),
        (json!(0), json!([[u64::MAX, 1]])),
    ] {
        let e = Budget::restore(limits, &saved(requests.clone(), minute.clone()), now).expect_err("refused");
        assert_eq!((e.status(), issue_at(&e, "options.budget").as_deref()), (400, Some("out_of_range")), "{requests} {minute}");
    }
    let mut b = Budget::restore(limits, &saved(json!(3), json!([[now - 1, 60]])), now).unwrap();
    assert!(b.check(50, now).is_err(), "60 + 50 > 100 records per minute");
    assert!(b.check(40, now).is_ok());
}

#[test]
fn retry_after_extremes_do_not_wrap() {
    use crate::engine::retry::{parse_retry_after, RetryPolicy};
    for (v, want) in [("1e308", Some(u64::MAX)), ("18446744073709551616", Some(u64::MAX)), ("18446744073709551615", Some(u64::MAX)), ("-1", None), ("NaN", None), ("1.5", Some(1500)), ("0", Some(0))] {
        assert_eq!(parse_retry_after(v, 1_000), want, "{v}");
    }
    let p = RetryPolicy::default();
    assert_eq!(p.retry_at(429, true, 1, Some("1e308"), u64::MAX - 1), None, "too long to wait");
    assert_eq!(p.retry_at(503, true, u32::MAX - 1, None, u64::MAX), None);
    assert_eq!(p.retry_at(503, true, 3, None, u64::MAX), Some(u64::MAX));
}
