//! The unified `next_cursor`: an opaque, URL-safe token carrying the provider's own
//! paging state plus a short history of state hashes, so a provider that cycles
//! is caught even across stateless calls (a Worker client paging by cursor).

use serde_json::Value;

use crate::error::{Error, Result};

const HISTORY: usize = 8;
const MAX_CURSOR_LEN: usize = 16 * 1024;

pub fn encode(provider: &str, model: &str, resource: &str, state: &Value, seen: &[u64]) -> String {
    let start = seen.len().saturating_sub(HISTORY);
    let history = seen[start..].iter().map(|h| Value::String(format!("{h:016x}"))).collect();
    let body = crate::convert::obj(vec![
        ("v", 1.into()),
        ("p", provider.into()),
        ("r", format!("{model}/{resource}").into()),
        ("s", state.clone()),
        ("h", Value::Array(history)),
    ]);
    crate::b64::encode_url_safe(body.to_string().as_bytes())
}

/// Returns the provider state and the hash history.
pub fn decode(cursor: &str, provider: &str, model: &str, resource: &str) -> Result<(Value, Vec<u64>)> {
    let bad = |reason: &str| Error::InvalidCursor { reason: reason.to_string() };
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(bad("too long"));
    }
    let bytes = crate::b64::decode_url_safe(cursor.trim_end_matches('=')).ok_or_else(|| bad("not a crosswalk cursor"))?;
    // from_str (not from_slice): one JSON reader in the wasm instead of two.
    let v: Value = std::str::from_utf8(&bytes).ok().and_then(|t| serde_json::from_str(t).ok()).ok_or_else(|| bad("not a crosswalk cursor"))?;
    if v["v"] != 1 {
        return Err(bad("unknown cursor version"));
    }
    if v["p"] != provider || v["r"] != format!("{model}/{resource}") {
        return Err(bad("it was issued for another provider or resource"));
    }
    let state = v.get("s").cloned().filter(|s| !s.is_null()).ok_or_else(|| bad("no paging state"))?;
    let history = v["h"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x.as_str().and_then(|s| u64::from_str_radix(s, 16).ok())).collect())
        .unwrap_or_default();
    Ok((state, history))
}

/// FNV-1a over the state's JSON text: stable across runs and platforms.
pub fn state_hash(state: &Value) -> u64 {
    let text = state.to_string();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use proptest::prelude::*;

    #[test]
    fn round_trip_and_scope() {
        let c = encode("greenhouse", "ats", "interviews", &json!({"url": "/v1/x?page=2"}), &[1, 2, 3]);
        let (s, h) = decode(&c, "greenhouse", "ats", "interviews").unwrap();
        assert_eq!(s, json!({"url": "/v1/x?page=2"}));
        assert_eq!(h, vec![1, 2, 3]);
        assert!(decode(&c, "ashby", "ats", "interviews").is_err());
        assert!(decode("%%%", "ashby", "ats", "interviews").is_err());
        assert!(!c.contains(['+', '/', '=']), "cursor must be URL-safe: {c}");
    }

    #[test]
    fn history_is_bounded() {
        let seen: Vec<u64> = (0..100).collect();
        let c = encode("x", "ats", "interviews", &json!(1), &seen);
        let (_, h) = decode(&c, "x", "ats", "interviews").unwrap();
        assert_eq!(h, (92..100).collect::<Vec<u64>>());
    }

    proptest! {
        #![proptest_config(crate::proptests::config(256, file!()))]

        #[test]
        fn any_state_round_trips(s in "\\PC*", n in any::<i64>()) {
            let state = json!({"cursor": s, "page": n});
            let c = encode("p", "m", "r", &state, &[state_hash(&state)]);
            let (back, h) = decode(&c, "p", "m", "r").unwrap();
            prop_assert_eq!(back, state.clone());
            prop_assert_eq!(h, vec![state_hash(&state)]);
        }

        #[test]
        fn garbage_never_panics(s in "\\PC*") {
            let _ = decode(&s, "p", "m", "r");
        }
    }
}
