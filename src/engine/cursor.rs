//! The unified `next_cursor`: an opaque, URL-safe token carrying the provider's own
//! paging state plus a short history of state hashes, so a provider that cycles
//! is caught even across stateless calls (a Worker client paging by cursor).

use serde_json::Value;

use crate::error::{Error, Result};

const HISTORY: usize = 8;
const MAX_CURSOR_LEN: usize = 16 * 1024;

pub fn encode(provider: &str, model: &str, resource: &str, state: &Value, seen: &[u64]) -> String {
    encode_with(provider, model, resource, state.clone(), 0, seen)
}

/// A cursor that reads the page fetched with `page_state` (`None`: the first page)
/// again and skips its first `skip` items: the rest of a page larger than `limit`.
pub fn encode_split(provider: &str, model: &str, resource: &str, page_state: Option<&Value>, skip: usize, seen: &[u64]) -> String {
    encode_with(provider, model, resource, page_state.cloned().unwrap_or(Value::Null), skip, seen)
}

fn encode_with(provider: &str, model: &str, resource: &str, state: Value, skip: usize, seen: &[u64]) -> String {
    let start = seen.len().saturating_sub(HISTORY);
    let history = seen[start..].iter().map(|h| Value::String(format!("{h:016x}"))).collect();
    let mut fields = vec![("v", 1.into()), ("p", provider.into()), ("r", format!("{model}/{resource}").into()), ("s", state), ("h", Value::Array(history))];
    if skip > 0 {
        fields.push(("k", skip.into()));
    }
    crate::codec::b64::encode_url_safe(crate::codec::json::obj(fields).to_string().as_bytes())
}

/// Bytes of HMAC-SHA256 kept in a sealed cursor's tag (128 bits).
const TAG_BYTES: usize = 16;

fn mac(key: &str, account_id: &str, payload: &str) -> hmac::Hmac<sha2::Sha256> {
    use hmac::Mac;
    // HMAC takes a key of any length.
    let mut m = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(key.as_bytes()).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    // The account is part of what is signed: a cursor works only where it was issued.
    m.update(account_id.as_bytes());
    m.update(b"\n");
    m.update(payload.as_bytes());
    m
}

/// `cursor.tag`: an HMAC-SHA256 over the account id and the cursor with the
/// driver's key, so an edited cursor (another page size, page number, query) is
/// refused instead of reaching the provider.
pub fn seal(cursor: String, key: Option<&str>, account_id: &str) -> String {
    let Some(key) = key else { return cursor };
    use hmac::Mac;
    let tag = mac(key, account_id, &cursor).finalize().into_bytes();
    let tag = crate::codec::b64::encode_url_safe(&tag[..TAG_BYTES]);
    format!("{cursor}.{tag}")
}

/// The cursor inside a sealed one, if its tag verifies (compared in constant
/// time). Without a key, cursors are not authenticated and any tag is ignored.
pub fn open<'a>(sealed: &'a str, key: Option<&str>, account_id: &str) -> Result<&'a str> {
    let (cursor, tag) = match sealed.rsplit_once('.') {
        Some((c, t)) => (c, Some(t)),
        None => (sealed, None),
    };
    let Some(key) = key else { return Ok(cursor) };
    let bad = || Error::InvalidCursor { reason: "its signature does not verify: it was changed, or issued by another deployment or account".into() };
    let tag = tag.and_then(crate::codec::b64::decode_url_safe).filter(|t| t.len() == TAG_BYTES).ok_or_else(bad)?;
    use hmac::Mac;
    mac(key, account_id, cursor).verify_truncated_left(&tag).map_err(|_| bad())?;
    Ok(cursor)
}

/// What a cursor carries.
#[derive(Debug, PartialEq)]
pub struct Decoded {
    /// The provider state of the page to read (`None`: the first page, only for a
    /// split page's cursor).
    pub state: Option<Value>,
    pub history: Vec<u64>,
    /// Items of that page already returned.
    pub skip: usize,
}

/// The largest offset into one provider page a cursor may carry.
const MAX_SKIP: u64 = 10_000_000;

/// Returns the provider state, the hash history and the offset.
pub fn decode(cursor: &str, provider: &str, model: &str, resource: &str) -> Result<Decoded> {
    let bad = |reason: &str| Error::InvalidCursor { reason: reason.to_string() };
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(bad("too long"));
    }
    let bytes = crate::codec::b64::decode_url_safe(cursor.trim_end_matches('=')).ok_or_else(|| bad("not a crosswalk cursor"))?;
    // from_str (not from_slice): one JSON reader in the wasm instead of two.
    let v: Value = std::str::from_utf8(&bytes).ok().and_then(|t| serde_json::from_str(t).ok()).ok_or_else(|| bad("not a crosswalk cursor"))?;
    if v["v"] != 1 {
        return Err(bad("unknown cursor version"));
    }
    if v["p"] != provider || v["r"] != format!("{model}/{resource}") {
        return Err(bad("it was issued for another provider or resource"));
    }
    let skip = match v.get("k") {
        None => 0,
        Some(k) => match k.as_u64() {
            Some(n) if (1..=MAX_SKIP).contains(&n) => n as usize,
            _ => return Err(bad("the page offset is not valid")),
        },
    };
    let state = v.get("s").cloned().filter(|s| !s.is_null());
    if state.is_none() && skip == 0 {
        return Err(bad("no paging state"));
    }
    let history = v["h"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x.as_str().and_then(|s| u64::from_str_radix(s, 16).ok())).collect())
        .unwrap_or_default();
    Ok(Decoded { state, history, skip })
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
        let Decoded { state: s, history: h, .. } = decode(&c, "greenhouse", "ats", "interviews").unwrap();
        let s = s.unwrap();
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
        let h = decode(&c, "x", "ats", "interviews").unwrap().history;
        assert_eq!(h, (92..100).collect::<Vec<u64>>());
    }

    #[test]
    fn sealed_cursors_verify_only_unchanged_with_the_same_key_and_account() {
        let c = encode("greenhouse", "ats", "interviews", &json!({"url": "/v1/x?page=2&per_page=100"}), &[1]);
        let sealed = seal(c.clone(), Some("k1"), "acc");
        assert_eq!(open(&sealed, Some("k1"), "acc").unwrap(), c);
        assert_eq!(open(&sealed, None, "acc").unwrap(), c, "no key: not authenticated");
        for (text, key, account) in [
            (sealed.as_str(), "k2", "acc"),
            (sealed.as_str(), "k1", "other"),
            (c.as_str(), "k1", "acc"),
            (&*format!("{c}.AAAAAAAAAAAAAAAAAAAAAA"), "k1", "acc"),
            (&*format!("{c}x.{}", sealed.rsplit_once('.').unwrap().1), "k1", "acc"),
            ("..", "k1", "acc"),
        ] {
            assert_eq!(open(text, Some(key), account).unwrap_err().code(), "invalid_cursor", "{text}");
        }
        // An edited state with the original tag does not verify.
        let forged = encode("greenhouse", "ats", "interviews", &json!({"url": "/v1/x?page=-1&per_page=1000000000&foo=bar"}), &[1]);
        let tag = sealed.rsplit_once('.').unwrap().1;
        assert!(open(&format!("{forged}.{tag}"), Some("k1"), "acc").is_err());
    }

    proptest! {
        #![proptest_config(crate::tests::properties::config(256, file!()))]

        #[test]
        fn any_state_round_trips(s in "\\PC*", n in any::<i64>()) {
            let state = json!({"cursor": s, "page": n});
            let c = encode("p", "m", "r", &state, &[state_hash(&state)]);
            let Decoded { state: back, history: h, .. } = decode(&c, "p", "m", "r").unwrap();
            let back = back.unwrap();
            prop_assert_eq!(back, state.clone());
            prop_assert_eq!(h, vec![state_hash(&state)]);
        }

        #[test]
        fn garbage_never_panics(s in "\\PC*") {
            let _ = decode(&s, "p", "m", "r");
        }
    }
}
