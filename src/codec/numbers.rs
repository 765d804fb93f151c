//! Numbers from outside: what a unified integer may be (exact in JS), and provider
//! values converted to it without overflow (out of range → `null` + warning).

use serde_json::Value;

use super::doc::Json;
use crate::error::Warning;

/// The largest unified integer. JS reads JSON numbers as doubles, exact only to
/// 2^53 − 1, so a unified integer (a duration in seconds) is 0..=MAX_SAFE_INT:
/// a caller's value outside it is `out_of_range`, a provider's is `null` plus a
/// `value_out_of_range` warning (the raw value stays in `remote_data`).
pub const MAX_SAFE_INT: i64 = 9_007_199_254_740_991;

/// The integer a JSON number stands for exactly: an i64, or a whole double within
/// ±MAX_SAFE_INT (`-0`, `60.0`). `None` for fractions and anything wider.
pub fn exact_i64(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        let f = n.as_f64()?;
        // Checked bounds make the cast exact (no saturation).
        (f.fract() == 0.0 && f.abs() <= MAX_SAFE_INT as f64).then_some(f as i64)
    })
}

/// A unified integer computed from a provider value: `n` when it was computed
/// (no overflow) and is within 0..=MAX_SAFE_INT; otherwise `null` plus a
/// `value_out_of_range` warning naming `field`.
pub fn provider_int(field: &str, raw: &dyn std::fmt::Display, n: Option<i64>, w: &mut Vec<Warning>) -> Value {
    match n.filter(|n| (0..=MAX_SAFE_INT).contains(n)) {
        Some(n) => Value::from(n),
        None => out_of_range(field, raw, &format!("outside 0 to {MAX_SAFE_INT} as a unified integer"), w),
    }
}

/// `null` plus a `value_out_of_range` warning for a provider value that has no
/// unified equivalent in range (`why` says which range).
pub fn out_of_range(field: &str, raw: &dyn std::fmt::Display, why: &str, w: &mut Vec<Warning>) -> Value {
    w.push(Warning {
        field: field.into(),
        code: crate::error::WarningCode::ValueOutOfRange,
        message: format!("provider value {raw} is {why}; {field} is null, the original is in remote_data"),
    });
    Value::Null
}

/// A provider `a:b` clock string (Zoho `mm:ss`, Pipedrive `HH:MM`) as seconds,
/// `units` seconds per part. Not that shape → `null` as before; numeric but
/// negative or too large → `null` + warning ([`provider_int`]).
pub fn provider_clock(field: &str, raw: &str, units: [i64; 2], w: &mut Vec<Warning>) -> Value {
    let Some((a, b)) = raw.split_once(':') else { return Value::Null };
    let numeric = |p: &str| {
        let d = p.strip_prefix(['+', '-']).unwrap_or(p);
        !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit())
    };
    if !(numeric(a) && numeric(b)) {
        return Value::Null;
    }
    let part = |p: &str, unit: i64| p.parse::<i64>().ok()?.checked_mul(unit);
    let secs = part(a, units[0]).and_then(|x| x.checked_add(part(b, units[1])?));
    provider_int(field, &Value::from(raw), secs, w)
}

/// A provider JSON number counting `unit` seconds as a unified duration (see
/// [`provider_int`]); absent or not a number → `null`.
pub fn provider_secs(field: &str, raw: Option<Json<'_>>, unit: i64, w: &mut Vec<Warning>) -> Value {
    match raw.and_then(|v| Some((v, v.as_number()?))) {
        Some((v, n)) => provider_int(field, &v, exact_i64(&n).and_then(|x| x.checked_mul(unit)), w),
        None => Value::Null,
    }
}
