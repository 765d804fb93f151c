//! Rest.li protocol 1.0 pieces LinkedIn's v2 notes endpoints use, and the 2.0 key
//! form of the versioned `rest/applicationNotes` (sources in
//! tests/fixtures/linkedin/README.md §3.1.1, S12/S13):
//! - a compound key in the path is `name=value&name=value`, each value URL-encoded
//!   once (the server splits the raw segment on `&` and `=`, then URL-decodes each
//!   value), so `&`, `=`, `/`, `+`, `%`, `:` inside a value are escaped;
//! - batch ids are repeated `ids=` query parameters, each value encoded once
//!   (a comma-joined list would be one id in 1.0);
//! - body `entities` keys and response `results`/`errors` keys are the raw ids;
//! - a 200 batch response reports each entity: `results.{id}.status` on success,
//!   the entity's Rest.li `ErrorResponse` under `errors.{id}` on failure.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::provider::sync::{EntityOutcome, Failure};

/// Everything but RFC 3986 unreserved characters is escaped. Java's `URLDecoder`
/// (what Rest.li applies to each key value) decodes all of these back, and
/// `%20` (not `+`) keeps a space a space in both path and query.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, VALUE).to_string()
}

/// `a=v1&b=v2` with each value encoded; names are literal (from code).
pub fn compound_key(parts: &[(&str, &str)]) -> String {
    parts.iter().map(|(name, value)| format!("{name}={}", encode(value))).collect::<Vec<_>>().join("&")
}

/// `ids=a&ids=b`, each id encoded once.
pub fn ids_query<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
    ids.into_iter().map(|id| format!("ids={}", encode(id))).collect::<Vec<_>>().join("&")
}

/// A Rest.li protocol 2.0 compound key, `(name:value,name:value)`: the form the
/// versioned `rest/` API takes (LinkedIn's protocol page, "Complex Types" and
/// "Keys"). Each value is encoded once (the reserved `(`, `)`, `,`, `:`, `'` among
/// everything but unreserved characters); names are literal.
pub fn compound_key_v2(parts: &[(&str, &str)]) -> String {
    format!("({})", parts.iter().map(|(name, value)| format!("{name}:{}", encode(value))).collect::<Vec<_>>().join(","))
}

/// `ids=List(k1,k2)`: a 2.0 batch of keys already in key form.
pub fn ids_list_v2<'a>(keys: impl IntoIterator<Item = &'a str>) -> String {
    format!("ids=List({})", keys.into_iter().collect::<Vec<_>>().join(","))
}

/// Reads a Rest.li batch response for `keys`, in their order. A key the
/// response does not mention is a failure (nothing confirmed it), never a success.
pub fn read_batch(provider: &str, body: &Value, keys: &[&str]) -> Result<Vec<EntityOutcome>> {
    let obj = body.as_object().ok_or_else(|| Error::protocol(provider, "the batch response is not a JSON object"))?;
    let results = obj.get("results").and_then(Value::as_object);
    let errors = obj.get("errors").and_then(Value::as_object);
    if results.is_none() && errors.is_none() {
        return Err(Error::protocol(provider, "the batch response has neither results nor errors"));
    }
    // Keys are raw per the spec; an encoded key is accepted too rather than
    // reporting a stored note as missing.
    let find = |map: Option<&serde_json::Map<String, Value>>, key: &str| map.and_then(|m| m.get(key).or_else(|| m.get(&encode(key)))).cloned();
    Ok(keys
        .iter()
        .map(|key| {
            if let Some(err) = find(errors, key) {
                let status = err.get("status").and_then(Value::as_u64).and_then(|s| u16::try_from(s).ok());
                return EntityOutcome::Failed(Failure::remote(status, err));
            }
            match find(results, key) {
                Some(r) => match r.get("status").and_then(Value::as_u64).and_then(|s| u16::try_from(s).ok()) {
                    Some(s) if (200..300).contains(&s) => EntityOutcome::Synced { status: s },
                    Some(s) => EntityOutcome::Failed(Failure::remote(Some(s), r)),
                    None => EntityOutcome::Failed(Failure::crosswalk("protocol_error", format!("results.{key} has no status"), true)),
                },
                None => EntityOutcome::Failed(Failure::crosswalk("missing_from_response", format!("the response has no result or error for {key:?}"), true)),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::support::fixture;
    use serde_json::json;

    #[test]
    fn key_values_are_encoded_once_and_names_stay_literal() {
        assert_eq!(
            compound_key(&[("atsJobApplicationId", "APP-1"), ("dataProvider", "ATS"), ("integrationContext", "urn:li:organization:123")]),
            "atsJobApplicationId=APP-1&dataProvider=ATS&integrationContext=urn%3Ali%3Aorganization%3A123"
        );
        // The research example: every separator Rest.li splits on is escaped.
        assert_eq!(encode("APP 1/2&x=y+z"), "APP%201%2F2%26x%3Dy%2Bz");
        assert_eq!(encode("100%;#?"), "100%25%3B%23%3F");
        assert_eq!(encode("a,b(c)'*!"), "a%2Cb%28c%29%27%2A%21");
        assert_eq!(encode("ä"), "%C3%A4");
        assert_eq!(encode("Az09-._~"), "Az09-._~");
    }

    #[test]
    fn ids_are_repeated_params_not_a_list() {
        assert_eq!(ids_query(["APPL_NOTE123", "APPL_NOTE456"]), "ids=APPL_NOTE123&ids=APPL_NOTE456");
        assert_eq!(ids_query(["a,b", "n&ids=x"]), "ids=a%2Cb&ids=n%26ids%3Dx");
    }

    #[test]
    fn documented_response_is_all_synced() {
        let body = fixture("linkedin/doc.application_notes.batch_update.response.json");
        let out = read_batch("linkedin", &body, &["APPL_NOTE123", "APPL_NOTE456"]).unwrap();
        assert_eq!(out, vec![EntityOutcome::Synced { status: 204 }, EntityOutcome::Synced { status: 204 }]);
    }

    #[test]
    fn mixed_results_errors_and_missing_keys() {
        let body = json!({
            "results": {"ok": {"status": 204}, "weird": {"status": 409}, "nostatus": {}, "a b": {"status": 200}},
            "errors": {
                "bad": {"status": 422, "code": "INPUT_VALIDATION_FAILED", "message": "note too long"},
                "slow": {"status": 503, "message": "try later", "serviceErrorCode": 0}
            }
        });
        let out = read_batch("linkedin", &body, &["ok", "bad", "slow", "weird", "nostatus", "gone", "a b"]).unwrap();
        assert_eq!(out[0], EntityOutcome::Synced { status: 204 });
        let EntityOutcome::Failed(bad) = &out[1] else { panic!() };
        assert_eq!((bad.status, bad.code, bad.message.as_deref(), bad.retryable), (Some(422), "remote_error", Some("note too long"), false));
        assert_eq!(bad.provider_code, Some(json!("INPUT_VALIDATION_FAILED")));
        assert_eq!(bad.remote, body["errors"]["bad"]);
        let EntityOutcome::Failed(slow) = &out[2] else { panic!() };
        assert!(slow.retryable);
        let EntityOutcome::Failed(weird) = &out[3] else { panic!() };
        assert_eq!((weird.status, weird.retryable), (Some(409), false));
        let EntityOutcome::Failed(nostatus) = &out[4] else { panic!() };
        assert_eq!(nostatus.code, "protocol_error");
        let EntityOutcome::Failed(gone) = &out[5] else { panic!() };
        assert_eq!((gone.code, gone.retryable), ("missing_from_response", true));
        assert_eq!(out[6], EntityOutcome::Synced { status: 200 });
    }

    #[test]
    fn restli_spec_error_map_is_read() {
        let body = fixture("linkedin/doc.restli_spec.batch_errors.response.json");
        let out = read_batch("linkedin", &body, &["unacceptableKey", "faultyKey"]).unwrap();
        let EntityOutcome::Failed(a) = &out[0] else { panic!() };
        assert_eq!((a.status, a.message.as_deref()), (Some(416), Some("Not Acceptable")));
        let EntityOutcome::Failed(b) = &out[1] else { panic!() };
        assert_eq!((b.status, b.retryable), (Some(500), true));
    }

    #[test]
    fn unreadable_bodies_are_protocol_errors() {
        assert!(read_batch("linkedin", &json!([]), &["a"]).is_err());
        assert!(read_batch("linkedin", &json!({"elements": []}), &["a"]).is_err());
    }
}
