//! Base64 (RFC 4648): standard alphabet with padding for `Basic` auth headers,
//! URL-safe without padding for cursors. Written here instead of the `base64`
//! crate (its generic engine cost ~4 KB of wasm); a test checks both against it.

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Shifts and indices below depend only on the position in a chunk (0..4), never
// on the input's values, so they cannot overflow.
#[allow(clippy::arithmetic_side_effects)]
fn encode_with(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3).saturating_mul(4));
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(alphabet[(n >> (18 - 6 * i) & 63) as usize]));
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// Standard alphabet, padded (`Basic` credentials).
pub fn encode_standard(bytes: &[u8]) -> String {
    encode_with(bytes, STANDARD, true)
}

/// URL-safe alphabet, no padding.
pub fn encode_url_safe(bytes: &[u8]) -> String {
    encode_with(bytes, URL_SAFE, false)
}

/// Decodes URL-safe, unpadded text. `None` for any other character, a length that
/// cannot be base64, or non-zero unused bits in the last character (so every
/// decodable text has exactly one encoding).
pub fn decode_url_safe(text: &str) -> Option<Vec<u8>> {
    decode_with(text.as_bytes(), URL_SAFE)
}

/// Decodes standard-alphabet text with or without `=` padding (`Basic` tokens).
pub fn decode_standard(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let unpadded = bytes.strip_suffix(b"==").or_else(|| bytes.strip_suffix(b"=")).unwrap_or(bytes);
    if unpadded.len() != bytes.len() && bytes.len() % 4 != 0 {
        return None;
    }
    decode_with(unpadded, STANDARD)
}

// As in `encode_with`: bounded by the chunk position (a chunk is never empty).
#[allow(clippy::arithmetic_side_effects)]
fn decode_with(text: &[u8], alphabet: &[u8; 64]) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    for chunk in text.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            let v = alphabet.iter().position(|&a| a == c)? as u32;
            n |= v << (18 - 6 * i);
        }
        let len = chunk.len() - 1;
        // Bits below the last whole byte must be zero.
        if n & ((1u32 << (24 - 8 * len)) - 1) != 0 {
            return None;
        }
        for i in 0..len {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD as REF_STANDARD, URL_SAFE_NO_PAD as REF_URL};
    use base64::Engine;

    #[test]
    fn agrees_with_the_base64_crate() {
        let mut seed = 0x1234_5678_9abc_def1u64;
        for len in 0..200usize {
            for _ in 0..20 {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        seed as u8
                    })
                    .collect();
                assert_eq!(encode_standard(&bytes), REF_STANDARD.encode(&bytes));
                let url = encode_url_safe(&bytes);
                assert_eq!(url, REF_URL.encode(&bytes));
                assert_eq!(decode_url_safe(&url).as_deref(), Some(bytes.as_slice()));
                let std = encode_standard(&bytes);
                assert_eq!(decode_standard(&std).as_deref(), Some(bytes.as_slice()));
                assert_eq!(decode_standard(std.trim_end_matches('=')).as_deref(), Some(bytes.as_slice()));
                // Damaged text: one character replaced or dropped.
                let mut damaged = url.clone().into_bytes();
                if !damaged.is_empty() {
                    let at = (seed >> 20) as usize % damaged.len();
                    if seed % 2 == 0 {
                        damaged[at] = b"A_-=+/.9zZ"[(seed >> 40) as usize % 10];
                    } else {
                        damaged.remove(at);
                    }
                }
                let damaged = String::from_utf8(damaged).unwrap();
                assert_eq!(decode_url_safe(&damaged), REF_URL.decode(&damaged).ok(), "{damaged}");
            }
        }
    }
}
