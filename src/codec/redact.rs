//! Keeping secrets out of what is shown: a request made safe to print, and the
//! [`Redactor`] that finds credential values in text and JSON in the forms a
//! provider may echo them.

use std::sync::{Arc, OnceLock};

use serde_json::Value;

use super::http::{Body, HttpRequest};

impl HttpRequest {
    /// A copy safe to show: sensitive headers and query values replaced, and any
    /// literal secret replaced wherever it appears.
    pub fn redacted(&self, redactor: &Redactor) -> HttpRequest {
        let mut out = self.clone();
        for (name, value) in out.headers.iter_mut() {
            if self.sensitive.iter().any(|s| s == name) {
                *value = REDACTED.to_string();
            } else {
                *value = redactor.text(value);
            }
        }
        out.url = redact_query(&redactor.text(&out.url), &self.sensitive);
        out.body = match out.body.take() {
            Some(Body::Json(v)) => Some(Body::Json(redactor.value(v))),
            Some(Body::Form(fields)) => Some(Body::Form(
                fields
                    .into_iter()
                    .map(|(k, v)| {
                        let v = if self.sensitive.contains(&k) { REDACTED.to_string() } else { redactor.text(&v) };
                        (k, v)
                    })
                    .collect(),
            )),
            other => other,
        };
        out
    }

    /// The URL with sensitive query values replaced, for error messages.
    pub fn safe_url(&self, redactor: &Redactor) -> String {
        redact_query(&redactor.text(&self.url), &self.sensitive)
    }
}

fn redact_query(url: &str, sensitive: &[String]) -> String {
    let Some((base, query)) = url.split_once('?') else { return url.to_string() };
    let parts: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if sensitive.iter().any(|s| s == k) => format!("{k}={REDACTED}"),
            _ => pair.to_string(),
        })
        .collect();
    format!("{base}?{}", parts.join("&"))
}

pub const REDACTED: &str = "[REDACTED]";

/// Replaces credential values wherever they appear in text and JSON, in the
/// forms a provider may echo them: any ASCII case, percent-encoded (partly or
/// wholly, either hex case, `+` for a space), with whitespace (or a JSON
/// whitespace escape, or `\/`) inserted, and — through [`Redactor::with_forms`] —
/// base64 in either alphabet at any alignment (so `Basic base64(user:secret)` too).
///
/// One pass over the text: a bitset over byte pairs says where a secret may begin
/// (its first byte in either case, followed by its second or by what may stand
/// between), eight positions at a time; only a position passing it is compared
/// with the secrets starting there (longest first). A page is megabytes and most
/// of its positions begin no secret.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// `None` without secrets. Shared: an operation, its token renewal and its
    /// error path each hold the redactor; a redactor that learns a secret builds
    /// new tables (one pass over a few dozen strings) rather than copy the old.
    ix: Option<Arc<Index>>,
}

#[derive(Debug)]
struct Index {
    /// Lowercase (ASCII), grouped by first byte, longest first within a group.
    secrets: Vec<Vec<u8>>,
    /// `heads[b]` = the range of `secrets` whose first byte is `b`.
    heads: Box<[(u16, u16)]>,
    /// Per text byte: whether it may begin a secret (a first byte in either
    /// case, or `%` or `+`, which may stand for another byte).
    starts: [bool; 256],
    /// 65,536 bits, one per byte pair `(b, next)`: whether a secret may begin
    /// at `b` followed by `next`. `%` and `+` (which may stand for another byte)
    /// begin a candidate whatever follows. Built on the first long text: planning
    /// a request only scans a few short values.
    pairs: OnceLock<Box<[u64; 1024]>>,
}

/// Texts shorter than this are scanned without the pair bitset.
const PAIRS_FROM: usize = 1024;

impl Index {
    /// The tables for `secrets` (lowercase, at least [`MIN_SECRET`] bytes, each
    /// once), sorted here.
    // Positions within `secrets` (a few dozen strings): bounded.
    #[allow(clippy::arithmetic_side_effects)]
    fn build(mut secrets: Vec<Vec<u8>>) -> Index {
        // Grouped by first byte, longest first within a group (so a secret
        // containing another is replaced whole).
        secrets.sort_by(|x, y| x[0].cmp(&y[0]).then(y.len().cmp(&x.len())));
        let mut heads = vec![(0u16, 0u16); 256].into_boxed_slice();
        let mut i = 0;
        while i < secrets.len() {
            let b = secrets[i][0];
            let start = i;
            while i < secrets.len() && secrets[i][0] == b {
                i += 1;
            }
            heads[b as usize] = (start as u16, i as u16);
        }
        let mut starts = [false; 256];
        for s in &secrets {
            starts[usize::from(s[0])] = true;
            starts[usize::from(s[0].to_ascii_uppercase())] = true;
        }
        starts[usize::from(b'%')] = !secrets.is_empty();
        starts[usize::from(b'+')] = !secrets.is_empty();
        Index { secrets, heads, starts, pairs: OnceLock::new() }
    }

    fn pairs(&self) -> &[u64; 1024] {
        self.pairs.get_or_init(|| {
            let mut pairs = Box::new([0u64; 1024]);
            let mut set_pair = |b: u8, next: u8| {
                let (word, shift) = pair_slot(b, next);
                pairs[word] |= 1u64 << shift;
            };
            for s in &self.secrets {
                let (b, next) = (s[0], s[1]); // secrets are at least MIN_SECRET long
                for first in [b, b.to_ascii_uppercase()] {
                    set_pair(first, next);
                    set_pair(first, next.to_ascii_uppercase());
                    // Between or for the second character: `%XY`, whitespace (raw,
                    // `+`, or a JSON escape's `\`).
                    for c in [b'%', b'+', b' ', b'\t', b'\r', b'\n', b'\\'] {
                        set_pair(first, c);
                    }
                }
            }
            for next in 0..=255u8 {
                set_pair(b'%', next);
                set_pair(b'+', next);
            }
            pairs
        })
    }

    /// A secret starting at `i` (the byte itself, or what `%XY` or `+` stands for).
    // Positions within `text` and hex digits (< 16): bounded.
    #[allow(clippy::arithmetic_side_effects)]
    fn match_here(&self, text: &str, i: usize) -> Option<(usize, usize)> {
        let bytes = text.as_bytes();
        let c = bytes.get(i)?.to_ascii_lowercase();
        let alt = match c {
            b'%' => hex_at(bytes, i + 1).map_or(c, |d| d.to_ascii_lowercase()),
            b'+' => b' ',
            _ => c,
        };
        let heads = [c, alt];
        for &head in &heads[..if alt == c { 1 } else { 2 }] {
            let (a, b) = self.heads[head as usize];
            for s in &self.secrets[a as usize..b as usize] {
                if let Some(end) = match_at(bytes, i, s).filter(|&e| text.is_char_boundary(e)) {
                    return Some((i, end));
                }
            }
        }
        None
    }
}

/// Where the bit of the pair `(b, next)` is: its word and its shift.
fn pair_slot(b: u8, next: u8) -> (usize, usize) {
    let ix = (usize::from(b) << 8) | usize::from(next);
    (ix >> 6, ix & 63)
}

/// The pair bit of `(b, next)`, 0 or 1.
fn pair_bit(pairs: &[u64; 1024], b: u8, next: u8) -> u64 {
    let (word, shift) = pair_slot(b, next);
    (pairs[word] >> shift) & 1
}

/// Shorter values would garble ordinary text; sensitive headers and query
/// parameters are redacted by name regardless of length.
const MIN_SECRET: usize = 4;
/// A base64 fragment this short could occur by chance.
const MIN_B64: usize = 8;

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut found = Vec::new();
        for s in secrets {
            keep(&mut found, s.as_bytes());
        }
        Redactor::of(found)
    }

    fn of(secrets: Vec<Vec<u8>>) -> Self {
        if secrets.is_empty() {
            return Redactor { ix: None };
        }
        // The same account planned or listed again (10,000 creates in a row) gets
        // the tables built last time: the last two secret lists are remembered
        // (an account's own, and with the header its request carries).
        let ix = RECENT.with(|recent| {
            let mut recent = recent.borrow_mut();
            if let Some(pos) = recent.iter().position(|(s, _)| *s == secrets) {
                let hit = recent.remove(pos);
                let ix = Arc::clone(&hit.1);
                // Seen again, so likely many times: the pair table (built once)
                // now filters short texts too.
                ix.pairs();
                recent.insert(0, hit);
                return ix;
            }
            let ix = Arc::new(Index::build(secrets.clone()));
            recent.insert(0, (secrets, Arc::clone(&ix)));
            recent.truncate(2);
            ix
        });
        Redactor { ix: Some(ix) }
    }

    /// The credential values plus every encoding of them a provider could echo:
    /// the value after an auth scheme word (`Bearer x` stored as the secret),
    /// and base64 of each value at each of the three byte alignments, so the
    /// value inside any base64 text (`user:secret`, `secret:`, JSON…) is found.
    // Positions and lengths within one text (at most the 8 MB input cap) and hex
    // digits (< 16): bounded, never a number read from outside.
    #[allow(clippy::arithmetic_side_effects)]
    pub fn with_forms(secrets: &[String]) -> Self {
        // An account planned again (10,000 creates in a row) reuses its forms.
        if let Some(r) = LAST_FORMS.with(|last| last.borrow().as_ref().filter(|(s, _)| s.as_slice() == secrets).map(|(_, r)| r.clone())) {
            return r;
        }
        let r = Self::forms_of(secrets);
        LAST_FORMS.with(|last| *last.borrow_mut() = Some((secrets.to_vec(), r.clone())));
        r
    }

    #[allow(clippy::arithmetic_side_effects)]
    fn forms_of(secrets: &[String]) -> Self {
        let mut found = Vec::new();
        for s in secrets {
            keep(&mut found, s.as_bytes());
            if let Some((scheme, rest)) = s.split_once(' ') {
                if ["bearer", "basic", "token"].iter().any(|w| scheme.eq_ignore_ascii_case(w)) {
                    keep(&mut found, rest.trim().as_bytes());
                }
            }
            if s.len() < MIN_SECRET {
                continue;
            }
            for shift in 0..3 {
                let mut bytes = vec![0u8; shift];
                bytes.extend_from_slice(s.as_bytes());
                // Characters wholly made of the value's bits (the first ones mix in
                // what precedes it, the last one what follows).
                let from = (8 * shift).div_ceil(6);
                let to = 8 * bytes.len() / 6;
                for enc in [crate::codec::b64::encode_standard(&bytes), crate::codec::b64::encode_url_safe(&bytes)] {
                    if let Some(core) = enc.get(from..to).filter(|c| c.len() >= MIN_B64) {
                        keep(&mut found, core.as_bytes());
                    }
                }
            }
            // Whole encodings of short values (`abcd:` → `YWJjZDo=`), padding included.
            for text in [s.clone(), format!("{s}:"), format!(":{s}")] {
                let enc = crate::codec::b64::encode_standard(text.as_bytes());
                if enc.len() >= MIN_B64 {
                    keep(&mut found, enc.as_bytes());
                }
            }
        }
        Redactor::of(found)
    }

    /// Adds secrets (those not known yet), building the tables once.
    pub fn add_all(&mut self, new: &[&str]) {
        let mut secrets: Vec<Vec<u8>> = self.ix.as_ref().map(|ix| ix.secrets.clone()).unwrap_or_default();
        let before = secrets.len();
        for s in new {
            keep(&mut secrets, s.as_bytes());
        }
        if secrets.len() != before {
            *self = Redactor::of(secrets);
        }
    }

    pub fn add(&mut self, secret: String) {
        self.add_all(&[&secret]);
    }

    /// The redactor's tables, or `None` without secrets.
    fn tables(&self) -> Option<&Index> {
        self.ix.as_deref()
    }
}

thread_local! {
    /// The last credentials [`Redactor::with_forms`] was given, and its redactor.
    static LAST_FORMS: std::cell::RefCell<Option<(Vec<String>, Redactor)>> = const { std::cell::RefCell::new(None) };
    /// Secret lists (as collected) and the tables built for them, newest first.
    static RECENT: std::cell::RefCell<Vec<(Vec<Vec<u8>>, Arc<Index>)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Adds a secret (lowercase) to a list being collected, unless it is too short
/// to redact safely or already there.
fn keep(secrets: &mut Vec<Vec<u8>>, secret: &[u8]) {
    if secret.len() < MIN_SECRET {
        return;
    }
    let s = secret.to_ascii_lowercase();
    if !secrets.contains(&s) {
        secrets.push(s);
    }
}

impl Redactor {
    /// Learns the credential values a request actually carries: each sensitive
    /// header as sent and its token part, when they hold or encode a known
    /// credential (`Basic base64(user:key)` is not derivable from the key alone),
    /// so a provider that echoes the header cannot leak it through `remote_data`
    /// or an error. Values that hold no credential (the sandbox's default token)
    /// are left alone.
    pub fn learn(&mut self, req: &HttpRequest) {
        for name in &req.sensitive {
            let Some(value) = req.headers.get(name) else { continue };
            let token = value.split_once(' ').map_or(value.as_str(), |(_, t)| t.trim());
            let decoded = crate::codec::b64::decode_standard(token).and_then(|b| String::from_utf8(b).ok()).unwrap_or_default();
            if self.contains_secret(value) || self.contains_secret(&decoded) {
                self.add_all(&[value, token]);
            }
        }
    }
    pub fn is_empty(&self) -> bool {
        self.ix.is_none()
    }
    pub fn contains_secret(&self, text: &str) -> bool {
        self.find(text, 0).is_some()
    }

    /// The first secret at or after `from`, as a byte range of `text`.
    // Positions and lengths within one text (at most the 8 MB input cap) and hex
    // digits (< 16): bounded, never a number read from outside.
    #[allow(clippy::arithmetic_side_effects)]
    fn find(&self, text: &str, from: usize) -> Option<(usize, usize)> {
        let ix = self.tables()?;
        let bytes = text.as_bytes();
        if bytes.len() < PAIRS_FROM {
            // The last byte begins no secret (none is shorter than MIN_SECRET). The
            // pair table, once built, rules out more positions.
            let pairs = ix.pairs.get();
            let candidate = |i: usize| ix.starts[usize::from(bytes[i])] && pairs.is_none_or(|p| pair_bit(p, bytes[i], bytes[i + 1]) != 0);
            return (from..bytes.len().saturating_sub(1)).filter(|&i| candidate(i)).find_map(|i| ix.match_here(text, i));
        }
        let pairs = ix.pairs();
        let mut i = from;
        // Eight positions at a time are ruled out together by their byte pairs;
        // a group with a candidate is read one by one.
        let mut group_end = from;
        while i.saturating_add(1) < bytes.len() {
            if let (true, Some(group)) = (i == group_end, bytes.get(i..i + 9)) {
                group_end = i + 8;
                if !group.windows(2).any(|w| pair_bit(pairs, w[0], w[1]) != 0) {
                    i = group_end;
                    continue;
                }
            }
            if ix.starts[usize::from(bytes[i])] && pair_bit(pairs, bytes[i], bytes[i + 1]) != 0 {
                if let Some(hit) = ix.match_here(text, i) {
                    return Some(hit);
                }
            }
            i += 1;
        }
        None
    }

    pub fn text(&self, text: &str) -> String {
        let Some(mut hit) = self.find(text, 0) else { return text.to_string() };
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        loop {
            out.push_str(&text[last..hit.0]);
            out.push_str(REDACTED);
            last = hit.1;
            match self.find(text, last) {
                Some(h) => hit = h,
                None => break,
            }
        }
        out.push_str(&text[last..]);
        out
    }
    pub fn value(&self, v: Value) -> Value {
        if self.is_empty() {
            return v;
        }
        match v {
            Value::String(s) => Value::String(self.text(&s)),
            Value::Array(items) => Value::Array(items.into_iter().map(|x| self.value(x)).collect()),
            Value::Object(map) => Value::Object(map.into_iter().map(|(k, x)| (self.text(&k), self.value(x))).collect()),
            other => other,
        }
    }
}

/// The byte `%XY` at `at` (pointing after the `%`) stands for.
// Positions and lengths within one text (at most the 8 MB input cap) and hex
// digits (< 16): bounded, never a number read from outside.
#[allow(clippy::arithmetic_side_effects)]
fn hex_at(bytes: &[u8], at: usize) -> Option<u8> {
    let h = |c: u8| (c as char).to_digit(16);
    let (x, y) = (h(*bytes.get(at)?)?, h(*bytes.get(at + 1)?)?);
    Some((x * 16 + y) as u8)
}

/// Where `secret` (lowercase) ends if it starts at `i`: bytes compared ignoring
/// ASCII case, `%XY` standing for its byte, `+` for a space, and whitespace
/// (raw or as a JSON `\n`/`\r`/`\t` escape) or the `\` of a JSON `\/` skipped
/// between characters.
// Positions and lengths within one text (at most the 8 MB input cap) and hex
// digits (< 16): bounded, never a number read from outside.
#[allow(clippy::arithmetic_side_effects)]
fn match_at(text: &[u8], mut i: usize, secret: &[u8]) -> Option<usize> {
    for (k, &want) in secret.iter().enumerate() {
        loop {
            let c = *text.get(i)?;
            if c.to_ascii_lowercase() == want {
                i += 1;
            } else if c == b'%' && hex_at(text, i + 1).is_some_and(|d| d.to_ascii_lowercase() == want) {
                i += 3;
            } else if want == b' ' && matches!(c, b'+' | b'\t' | b'\r' | b'\n') {
                i += 1;
            } else if k > 0 && matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
                i += 1;
                continue;
            } else if k > 0 && c == b'\\' && matches!(text.get(i + 1), Some(b'n' | b'r' | b't' | b'/')) {
                // `\/` is skipped to its `/`, the others whole.
                i += if text[i + 1] == b'/' { 1 } else { 2 };
                continue;
            } else {
                return None;
            }
            break;
        }
    }
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::http::{segment, Method};
    use proptest::prelude::*;
    use serde_json::json;

    /// [`Redactor::find`] without its start/second-byte tables: every position
    /// compared with the secrets its byte (or what `%XY`/`+` stands for) starts.
    #[allow(clippy::arithmetic_side_effects)]
    fn find_every_position(r: &Redactor, text: &str, from: usize) -> Option<(usize, usize)> {
        let bytes = text.as_bytes();
        for i in from..bytes.len() {
            let c = bytes[i].to_ascii_lowercase();
            let alt = match c {
                b'%' => hex_at(bytes, i + 1).map_or(c, |d| d.to_ascii_lowercase()),
                b'+' => b' ',
                _ => c,
            };
            for head in [c, alt] {
                let Some(ix) = r.tables() else { return None };
                let (a, b) = ix.heads[head as usize];
                for s in &ix.secrets[a as usize..b as usize] {
                    if let Some(end) = match_at(bytes, i, s).filter(|&e| text.is_char_boundary(e)) {
                        return Some((i, end));
                    }
                }
            }
        }
        None
    }

    #[test]
    fn the_tables_rule_out_only_positions_that_start_no_secret() {
        let secret = "[a-cA-C0-9%+ /=-]{4,10}";
        // Texts made of the secrets' characters, their encodings and what may stand between.
        let piece = prop::sample::select(vec!["a", "B", "c", "0", "9", "%", "%41", "%2f", "%2F", "+", " ", "\t", "\\n", "\\/", "\\", "=", "/", "-", "é", "x", "xxxxxxxx", "zzz é"]);
        let text = prop::collection::vec(piece, 0..60).prop_map(|p| p.concat());
        crate::tests::properties::check((prop::collection::vec(secret, 1..4), prop::collection::vec(text, 1..4), any::<bool>(), any::<bool>()), |(secrets, texts, forms, paired)| {
            let r = if forms { Redactor::with_forms(&secrets) } else { Redactor::new(secrets.clone()) };
            // Short texts are read with the pair table too once it is built.
            if paired {
                r.tables().map(Index::pairs);
            }
            for text in &texts {
                // Each secret as it is, and inside the text, too.
                // Short texts and long ones (past PAIRS_FROM: the pair bitset).
                let long = format!("{}{text}{}", "é".repeat(PAIRS_FROM / 2), secrets[0]);
                for t in [text.clone(), format!("{text}{}{text}", secrets[0]), format!("{}{text}", secrets[0].to_uppercase()), long] {
                    for from in [0, t.len() / 2] {
                        let from = (from..=t.len()).find(|&f| t.is_char_boundary(f)).unwrap_or(t.len());
                        prop_assert_eq!(r.find(&t, from), find_every_position(&r, &t, from), "{:?} in {:?} from {}", secrets, t, from);
                    }
                }
            }
            Ok(())
        });
    }

    #[test]
    fn redaction_covers_headers_query_and_body() {
        let req = HttpRequest::new(Method::Post, "https://x.test/a?api_token=s3cr3t-token&q=1".into())
            .secret_header("Authorization", "Basic czNjcjN0LXRva2VuOg==")
            .json(json!({"echo": "s3cr3t-token", "nested": ["s3cr3t-token"]}));
        let mut req = req;
        req.sensitive.push("api_token".into());
        let r = Redactor::new(["s3cr3t-token".to_string()]);
        let safe = req.redacted(&r);
        let text = serde_json::to_string(&safe).unwrap();
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(!text.contains("czNjcjN0"), "{text}");
        assert!(text.contains("q=1"));
    }

    #[test]
    fn redaction_finds_transformed_forms() {
        let secret = "Sx-key-q7Z9/v+P=";
        let r = Redactor::with_forms(&[secret.to_string(), "Bearer tok-abc-123".to_string()]);
        let b64 = |t: &str| crate::codec::b64::encode_standard(t.as_bytes());
        let url = |t: &str| crate::codec::b64::encode_url_safe(t.as_bytes());
        let echoes = [
            secret.to_uppercase(),
            secret.to_lowercase(),
            segment(secret),
            segment(secret).to_lowercase(),
            "Sx-key-q7Z9%2fv%2BP=".to_string(),
            "Sx-key- q7Z9/v+P=".to_string(),
            "Sx-key-q7Z9\\/v+P=".to_string(),
            "Sx-key\\n-q7Z9/v+P=".to_string(),
            b64(secret),
            b64(secret).trim_end_matches('=').to_string(),
            url(secret),
            b64(&format!("{secret}:")),
            b64(&format!("user:{secret}")),
            b64(&format!("ab:{secret}")),
            url(&format!("abc:{secret}")),
            b64(&format!("{{\"key\":\"{secret}\"}}")),
            b64(&format!("user:{secret}")).to_uppercase(),
            "tok-abc-123".to_string(),
            "Bearer\ttok-abc-123".to_string(),
        ];
        for echo in echoes {
            let text = format!("401: {echo} was refused");
            let out = r.text(&text);
            assert!(r.contains_secret(&text), "{echo}");
            assert!(out.starts_with("401: ") && out.contains(REDACTED) && out.ends_with(" was refused"), "{echo} → {out}");
            assert!(!out.contains("q7Z9") && !out.contains("abc-123"), "{echo} → {out}");
        }
        // Ordinary text is left alone, and a JSON value is redacted in keys and values.
        assert_eq!(r.text("nothing secret here: Sx-key, q7Z, Bearer"), "nothing secret here: Sx-key, q7Z, Bearer");
        let v = r.value(json!({"SX-KEY-Q7Z9/V+P=": [b64(&format!("u:{secret}"))]}));
        assert!(!v.to_string().contains("q7Z9") && v.to_string().contains(REDACTED), "{v}");
    }
}
