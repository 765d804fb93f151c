//! JSON text written straight into a byte buffer, byte for byte what
//! `serde_json::to_writer` writes for the same value (property test below).
//!
//! A list page's output is megabytes of mostly plain strings; serde_json checks
//! every string byte against its escape table one at a time, here eight bytes are
//! checked at once and copied whole when none needs escaping (issue 17).

use serde_json::Value;

const LOW: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Whether any of the eight bytes of `w` needs escaping in a JSON string: `"`,
/// `\`, or a control byte below 0x20 (exactly serde_json's escape set). The tape
/// reader ends its plain string runs with it too.
pub(crate) fn needs_escape(w: u64) -> bool {
    let zero_in = |x: u64| x.wrapping_sub(LOW) & !x & HIGH;
    let below_space = w.wrapping_sub(LOW.wrapping_mul(0x20)) & !w & HIGH;
    (zero_in(w ^ LOW.wrapping_mul(u64::from(b'"'))) | zero_in(w ^ LOW.wrapping_mul(u64::from(b'\\'))) | below_space) != 0
}

/// Bytes a JSON string writes escaped (serde_json's set).
const fn escaped_bytes() -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = true;
        b = b.saturating_add(1);
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
}
static ESCAPED: [bool; 256] = escaped_bytes();

/// A JSON string literal.
// Indexes stay within `bytes` (checked against its length).
#[allow(clippy::arithmetic_side_effects)]
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    let n = bytes.len();
    out.reserve(n + 2);
    out.push(b'"');
    let mut start = 0usize;
    let mut i = 0usize;
    while i < n {
        if i + 8 <= n {
            let mut word = [0u8; 8];
            word.copy_from_slice(&bytes[i..i + 8]);
            if !needs_escape(u64::from_le_bytes(word)) {
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        if !ESCAPED[usize::from(b)] {
            i += 1;
            continue;
        }
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            _ => &[b'\\', b'u', b'0', b'0', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]],
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escape);
        i += 1;
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Valid JSON text without the whitespace between its tokens (string contents
/// kept byte for byte, escapes as written). Copied in runs between the
/// whitespace it drops, a string skipped over by its quotes and backslashes:
/// the raw record of a pretty-printed answer costs a few instructions a byte.
// Positions within `text`; a cut is only made at an ASCII whitespace byte or at
// the end, always a character boundary.
#[allow(clippy::arithmetic_side_effects)]
pub fn compact(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut run = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b' ' | b'\n' | b'\r' | b'\t' => {
                out.push_str(text.get(run..i).unwrap_or_default());
                run = i + 1;
            }
            b'"' => {
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    match c {
                        b'"' => break,
                        b'\\' => i += 2,
                        _ => i += 1,
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    out.push_str(text.get(run.min(bytes.len())..).unwrap_or_default());
    out
}

/// A value's compact JSON text as a string (what `Value::to_string` gives).
pub fn to_text(v: &Value) -> String {
    let mut out = Vec::with_capacity(256);
    write_value(&mut out, v);
    // Only whole UTF-8 strings and ASCII are written.
    String::from_utf8(out).unwrap_or_default()
}

/// A value's compact JSON text.
pub fn write_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        // Numbers as serde_json writes them (itoa, ryu).
        Value::Number(n) => {
            let _ = serde_json::to_writer(&mut *out, n);
        }
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Object(m) => write_object(out, m.iter().map(|(k, v)| (k.as_str(), v))),
    }
}

/// An object of `(key, value)` members, in the order given.
pub fn write_object<'a>(out: &mut Vec<u8>, members: impl IntoIterator<Item = (&'a str, &'a Value)>) {
    out.push(b'{');
    for (i, (k, v)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, k);
        out.push(b':');
        write_value(out, v);
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ours(v: &Value) -> String {
        let mut out = Vec::new();
        write_value(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_byte_below_0x80_is_written_as_serde_json_writes_it() {
        let all: String = (0u8..0x80).map(char::from).chain("é€😀".chars()).collect();
        for s in [all.clone(), all.repeat(3), format!("{all}plain text long enough"), String::new()] {
            let v = Value::String(s);
            assert_eq!(ours(&v), serde_json::to_string(&v).unwrap());
        }
    }

    /// The straightforward compaction, a character at a time: the reference the
    /// run-copying [`compact`] is held to on any text, JSON or not.
    fn compact_by_chars(text: &str) -> String {
        let mut out = String::new();
        let (mut in_string, mut escaped) = (false, false);
        for c in text.chars() {
            if in_string {
                out.push(c);
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => in_string = false,
                    _ => {}
                }
            } else if !matches!(c, ' ' | '\n' | '\r' | '\t') {
                in_string = c == '"';
                out.push(c);
            }
        }
        out
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        crate::tests::properties::arb_json_wide()
    }

    proptest! {
        #![proptest_config(crate::tests::properties::config(2_000, file!()))]

        /// A pretty-printed text compacts to the value's compact text, byte for
        /// byte (strings and escapes untouched).
        #[test]
        fn compacting_pretty_text_gives_the_compact_text(v in arb_value()) {
            let pretty = serde_json::to_string_pretty(&v).unwrap();
            prop_assert_eq!(compact(&pretty), serde_json::to_string(&v).unwrap());
        }

        /// On any text (unterminated strings, a trailing backslash, multi-byte
        /// characters after one) compaction is the character-at-a-time one.
        #[test]
        fn compaction_of_any_text_is_the_character_at_a_time_one(text in "[ \\n\\t\\r\"\\\\a{}:,é😀\\[\\]]{0,40}") {
            prop_assert_eq!(compact(&text), compact_by_chars(&text));
        }

        #[test]
        fn values_are_written_as_serde_json_writes_them(v in arb_value()) {
            prop_assert_eq!(ours(&v), serde_json::to_string(&v).unwrap());
            prop_assert_eq!(to_text(&v), v.to_string());
        }
    }
}
