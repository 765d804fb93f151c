//! Date-times from outside: a hand-written RFC 3339 parser (checked against
//! `time`'s in the tests), provider timestamp shapes, and one RFC 3339 UTC output
//! shape everywhere.

use serde_json::Value;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use super::doc::Scalar;


/// Parses an ISO 8601 / RFC 3339 date-time that carries an offset (`Z` or `±hh:mm`).
///
/// Hand-written (it accepts exactly what `time`'s `Rfc3339` parser accepts, which a
/// test checks) because that parser's generic combinators cost ~6 KB of wasm. One
/// difference on purpose: a date-time whose UTC equivalent is outside years
/// -9999..=9999 is refused, where `time` accepted it and converting it to UTC
/// later panicked.
pub fn parse_datetime(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    if b.len() > 64 || b.len() < 20 {
        return None;
    }
    let num = |from: usize, len: usize| -> Option<u32> {
        b.get(from..from.checked_add(len)?)?.iter().try_fold(0u32, |n, &c| digits_push(n, c))
    };
    let lit = |at: usize, c: u8| b.get(at) == Some(&c);
    if !(lit(4, b'-') && lit(7, b'-') && lit(13, b':') && lit(16, b':')) {
        return None;
    }
    // RFC 3339 allows any separator between date and time (`T`, `t`, a space…).
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, mut second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    let mut at = 19;
    let mut nanos = 0u32;
    if lit(at, b'.') {
        at = at.saturating_add(1);
        let start = at;
        let mut scale = 100_000_000u32;
        // `at` is bounded by b.len() ≤ 64; digits past the ninth add 0 (scale is 0).
        while let Some(d) = b.get(at).and_then(|&c| char::from(c).to_digit(10)) {
            nanos = nanos.saturating_add(d.saturating_mul(scale));
            scale /= 10;
            at = at.saturating_add(1);
        }
        if at == start {
            return None;
        }
    }
    let rest = b.len().checked_sub(at)?;
    let offset = match b.get(at)? {
        b'Z' | b'z' if rest == 1 => UtcOffset::UTC,
        sign @ (b'+' | b'-') if rest == 6 && lit(at.checked_add(3)?, b':') => {
            let (h, m) = (num(at.checked_add(1)?, 2)?, num(at.checked_add(4)?, 2)?);
            if h > 23 {
                return None;
            }
            let (h, m) = (i8::try_from(h).ok()?, i8::try_from(m).ok()?);
            if *sign == b'-' { UtcOffset::from_hms(h.checked_neg()?, m.checked_neg()?, 0) } else { UtcOffset::from_hms(h, m, 0) }.ok()?
        }
        _ => return None,
    };
    // A leap second stands for the last nanosecond before it, and only at the end
    // of a month (UTC).
    let leap = second == 60;
    if leap {
        second = 59;
        nanos = 999_999_999;
    }
    let date = Date::from_calendar_date(year as i32, Month::try_from(month as u8).ok()?, day as u8).ok()?;
    let time = Time::from_hms_nano(hour as u8, minute as u8, second as u8, nanos).ok()?;
    let dt = PrimitiveDateTime::new(date, time).assume_offset(offset);
    let utc = dt.checked_to_offset(UtcOffset::UTC)?;
    if leap && !(utc.hour() == 23 && utc.minute() == 59 && utc.second() == 59 && utc.date().next_day().map_or(true, |d| d.day() == 1)) {
        return None;
    }
    Some(dt)
}

/// Why a string is not an acceptable date-time, for error messages.
pub fn datetime_problem(s: &str) -> &'static str {
    if parse_datetime(s).is_some() {
        return "";
    }
    let has_time = s.contains('T') || s.contains(' ');
    // The last six characters (not bytes: input may be any unicode) hold an offset if there is one.
    let tail: String = s.chars().rev().take(6).collect();
    let looks_offsetless = has_time && !s.ends_with('Z') && !s.ends_with('z') && !tail.contains(['+', '-']);
    if looks_offsetless {
        "must be an ISO 8601 date-time with a timezone, e.g. 2024-06-15T10:00:00Z (no offset given)"
    } else {
        "must be an ISO 8601 date-time with a timezone, e.g. 2024-06-15T10:00:00Z"
    }
}

pub fn epoch_ms(dt: OffsetDateTime) -> i64 {
    // `time` keeps years within ±9999, whose milliseconds fit an i64 (±2.5e17).
    i64::try_from(dt.unix_timestamp_nanos() / 1_000_000).unwrap_or(if dt.year() < 0 { i64::MIN } else { i64::MAX })
}

/// `start` plus `secs` as RFC 3339 UTC; `None` past year 9999 (or before 0000).
pub fn iso_after(start: OffsetDateTime, secs: i64) -> Option<String> {
    Some(iso_utc(start.checked_add(time::Duration::seconds(secs))?)).filter(|s| !s.is_empty())
}

/// Whole seconds from `start` to `end`, truncated toward zero, without overflow.
pub fn secs_between(start: OffsetDateTime, end: OffsetDateTime) -> Option<i64> {
    i64::try_from(end.unix_timestamp_nanos().checked_sub(start.unix_timestamp_nanos())?.checked_div(1_000_000_000)?).ok()
}

/// `10 * n + digit` for a decimal digit byte; `None` for a non-digit or overflow.
pub fn digits_push(n: u32, c: u8) -> Option<u32> {
    n.checked_mul(10)?.checked_add(char::from(c).to_digit(10)?)
}

/// Appends `n` zero-padded to `width` digits.
fn push_padded(out: &mut String, n: u32, width: usize) {
    let digits = n.to_string();
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(&digits);
}

/// RFC 3339 in UTC (`…Z`), with exactly three fraction digits when the
/// milliseconds are non-zero (`…00Z`, `…00.500Z`, `…00.042Z`): one shape
/// everywhere. Empty when the year is outside 0000–9999, which RFC 3339 cannot
/// write.
pub fn iso_utc(dt: OffsetDateTime) -> String {
    let Some(dt) = dt.checked_to_offset(UtcOffset::UTC) else { return String::new() };
    let Ok(year) = u32::try_from(dt.year()) else { return String::new() };
    if year > 9999 {
        return String::new();
    }
    let mut out = String::with_capacity(24);
    push_padded(&mut out, year, 4);
    for (sep, n) in [('-', dt.month() as u8), ('-', dt.day()), ('T', dt.hour()), (':', dt.minute()), (':', dt.second())] {
        out.push(sep);
        push_padded(&mut out, u32::from(n), 2);
    }
    let ms = dt.millisecond();
    if ms != 0 {
        out.push('.');
        push_padded(&mut out, u32::from(ms), 3);
    }
    out.push('Z');
    out
}

/// `None` outside years 0000–9999 (not an empty string).
pub fn iso_from_epoch_ms(ms: i64) -> Option<String> {
    let dt = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms).checked_mul(1_000_000)?).ok()?;
    Some(iso_utc(dt)).filter(|s| !s.is_empty())
}

pub fn iso_from_epoch_secs(secs: i64) -> Option<String> {
    let dt = OffsetDateTime::from_unix_timestamp(secs).ok()?;
    Some(iso_utc(dt)).filter(|s| !s.is_empty())
}

pub fn date_only(dt: OffsetDateTime) -> String {
    // parse_datetime only yields date-times with a UTC equivalent.
    let d = dt.checked_to_offset(UtcOffset::UTC).unwrap_or(dt).date();
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

/// `HH:MM` in UTC.
pub fn time_hm(dt: OffsetDateTime) -> String {
    let t = dt.checked_to_offset(UtcOffset::UTC).unwrap_or(dt).time();
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// Reads a provider timestamp in any of the common shapes: RFC 3339 (with or
/// without offset; none means UTC), `YYYY-MM-DD HH:MM:SS` (UTC), `YYYY-MM-DD`, or a
/// number of epoch milliseconds. Returns RFC 3339 UTC.
pub fn to_iso<'a>(v: impl Scalar<'a>) -> Option<String> {
    match v.text() {
        Some(s) => iso_from_str(s),
        None => v.number()?.as_i64().and_then(iso_from_epoch_ms),
    }
}

/// A provider timestamp as a unified JSON value: RFC 3339 UTC, or `null` when it
/// is missing or unreadable.
pub fn iso_or_null<'a>(v: Option<impl Scalar<'a>>) -> Value {
    v.and_then(to_iso).map_or(Value::Null, Value::String)
}

pub fn iso_from_str(s: &str) -> Option<String> {
    if let Some(fast) = canonical_utc(s) {
        return Some(fast);
    }
    if let Some(dt) = parse_datetime(s) {
        return Some(iso_utc(dt));
    }
    let s = s.trim();
    if s.len() > 40 {
        return None;
    }
    let (date_part, time_part) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let date = parse_ymd(date_part)?;
    let time = match time_part {
        Some(t) => parse_hms(t.trim_end_matches('Z'))?,
        None => Time::MIDNIGHT,
    };
    Some(iso_utc(PrimitiveDateTime::new(date, time).assume_utc()))
}

/// Fast path for the shape most providers send, `YYYY-MM-DDTHH:MM:SS[.f…]Z`:
/// validated digit by digit (calendar-checked), reformatted without a parser.
/// Anything else (offsets, leap seconds, odd shapes) takes the general path.
fn canonical_utc(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 20 || b.len() > 30 || b.last() != Some(&b'Z') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> { b.get(r)?.iter().try_fold(0u32, |acc, &c| digits_push(acc, c)) };
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let frac = b.get(19..b.len().saturating_sub(1))?;
    let millis = match frac {
        [] => 0,
        [b'.', digits @ ..] if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) => {
            // First three digits, padded: ".5" is 500 ms; further digits are truncated.
            (0..3).try_fold(0u32, |acc, i| digits_push(acc, digits.get(i).copied().unwrap_or(b'0')))?
        }
        _ => return None,
    };
    let month_ok = time::Month::try_from(month as u8).ok()?;
    if day == 0 || day > month_ok.length(year as i32) as u32 || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // Already in the output shape (whole seconds, or exactly three nonzero
    // millisecond digits): the text itself, copied once.
    if frac.is_empty() || (frac.len() == 4 && millis != 0) {
        return Some(s.to_string());
    }
    let mut out = String::with_capacity(24);
    out.push_str(&s[..19]);
    if millis != 0 {
        out.push('.');
        // The first three fraction digits as written (checked above), padded.
        for i in 1..4 {
            out.push(char::from(frac.get(i).copied().unwrap_or(b'0')));
        }
    }
    out.push('Z');
    Some(out)
}

/// Combines a `YYYY-MM-DD` date and an `HH:MM[:SS]` time read as UTC.
pub fn iso_from_date_and_time(date: &str, time_hm: &str) -> Option<String> {
    let d = parse_ymd(date)?;
    let t = parse_hms(time_hm)?;
    Some(iso_utc(PrimitiveDateTime::new(d, t).assume_utc()))
}

fn parse_ymd(s: &str) -> Option<Date> {
    let mut it = s.splitn(3, '-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u8 = it.next()?.parse().ok()?;
    let d: u8 = it.next()?.parse().ok()?;
    Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()
}

fn parse_hms(s: &str) -> Option<Time> {
    let s = s.split(['.', '+']).next()?;
    let mut it = s.split(':');
    let h: u8 = it.next()?.parse().ok()?;
    let m: u8 = it.next()?.parse().ok()?;
    let sec: u8 = it.next().map(|x| x.parse().ok()).unwrap_or(Some(0))?;
    Time::from_hms(h, m, sec).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn datetimes_round_trip_through_epoch_ms() {
        let dt = parse_datetime("2017-01-19T22:16:27+00:00").unwrap();
        assert_eq!(epoch_ms(dt), 1484864187000);
        assert_eq!(iso_from_epoch_ms(1484864187000).unwrap(), "2017-01-19T22:16:27Z");
        let with_ms = parse_datetime("2026-05-28T21:07:04.042Z").unwrap();
        assert_eq!(iso_utc(with_ms), "2026-05-28T21:07:04.042Z");
        assert_eq!(iso_utc(parse_datetime("2024-06-15T12:00:00+02:00").unwrap()), "2024-06-15T10:00:00Z");
        assert_eq!(iso_utc(parse_datetime("2024-06-15T10:00:00.33Z").unwrap()), "2024-06-15T10:00:00.330Z");
        assert_eq!(iso_utc(parse_datetime("2024-06-15T10:00:00.5+00:00").unwrap()), "2024-06-15T10:00:00.500Z");
        assert_eq!(iso_from_epoch_ms(-1).unwrap(), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn fast_path_agrees_with_the_general_parser() {
        for s in [
            "2014-03-26T22:15:00.000Z", "2014-03-26T22:15:00Z", "2024-02-29T23:59:59.999999Z", "2024-06-15T10:00:00.5Z",
            "2026-05-28T21:07:04.042Z", "2000-01-01T00:00:00.0001Z",
        ] {
            let general = iso_utc(parse_datetime(s).unwrap());
            assert_eq!(canonical_utc(s).as_deref(), Some(general.as_str()), "{s}");
        }
        for s in ["2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-06-15T24:00:00Z", "2024-06-15T10:00:00+02:00", "2024-06-15t10:00:00Z", "2024-06-15T10:00:00.Z", "２０２４-06-15T10:00:00Z"] {
            assert_eq!(canonical_utc(s), None, "{s}");
        }
    }

    /// The hand-written parser and formatter agree with `time`'s RFC 3339 ones.
    #[test]
    fn rfc3339_matches_the_time_crate() {
        use time::format_description::well_known::Rfc3339;
        let reference = |s: &str| OffsetDateTime::parse(s, &Rfc3339).ok().filter(|d| d.checked_to_offset(UtcOffset::UTC).is_some());
        let cases = [
            "2024-06-15T10:00:00Z", "2024-06-15t10:00:00z", "2024-06-15 10:00:00+02:00", "2024-06-15X10:00:00-05:30", "2024-06-15T10:00:00.5Z",
            "2024-06-15T10:00:00.123456789123Z", "2024-06-15T10:00:00.Z", "2024-06-15T10:00:00", "2024-06-15T10:00Z", "2024-02-30T10:00:00Z",
            "2024-13-01T10:00:00Z", "2024-00-01T10:00:00Z", "2024-06-15T24:00:00Z", "2024-06-15T10:60:00Z", "2024-06-30T23:59:60Z",
            "2024-06-29T23:59:60Z", "2024-07-01T01:59:60+02:00", "2024-06-15T10:00:00+24:00", "2024-06-15T10:00:00+23:59", "2024-06-15T10:00:00+05:60",
            "2024-06-15T10:00:00-00:00", "2024-06-15T10:00:00+0200", "2024-06-15T10:00:00Z ", " 2024-06-15T10:00:00Z", "+024-06-15T10:00:00Z",
            "9999-12-31T23:00:00-05:00", "0000-01-01T00:00:00+05:00", "0000-01-01T00:00:00Z", "2024-06-15T10:00:00.000Z", "2024-06-15T1:00:00Z",
            "2024-06-15T10:00:00é", "2024-06-15é10:00:00Z", "1999-12-31T23:59:60.5Z", "2016-12-31T23:59:60Z", "2024-06-15T10:00:00+02:00:00",
        ];
        for s in cases {
            assert_eq!(parse_datetime(s), reference(s), "{s}");
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let ms = (seed % 623_000_000_000_000) as i64 - 370_000_000_000_000;
            let dt = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000 + i128::from(seed % 1_000_000)).unwrap();
            let old = {
                let d = dt.replace_nanosecond(dt.millisecond() as u32 * 1_000_000).unwrap();
                let text = d.format(&Rfc3339).unwrap_or_default();
                // time drops trailing zeros (`.5Z`); crosswalk always writes three digits.
                match text.split_once('.') {
                    Some((head, frac)) => format!("{head}.{:0<3}Z", frac.trim_end_matches('Z')),
                    None => text,
                }
            };
            assert_eq!(iso_utc(dt), old, "{dt}");
            let offset = UtcOffset::from_whole_seconds(((seed >> 20) % 86_000) as i32 / 60 * 60 - 43_000 / 60 * 60).unwrap();
            if let Some(local) = dt.checked_to_offset(offset) {
                let text = local.format(&Rfc3339).unwrap_or_default();
                assert_eq!(parse_datetime(&text), reference(&text), "{text}");
                // …and agree on a near miss: one byte replaced, dropped or added.
                let mut bytes = text.clone().into_bytes();
                let at = (seed >> 40) as usize % (bytes.len() + 1);
                let c = b"0123456789-:TtZz+. x6"[(seed >> 50) as usize % 21];
                match (seed >> 60) % 3 {
                    0 if at < bytes.len() => bytes[at] = c,
                    1 if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at, c),
                }
                let near = String::from_utf8(bytes).unwrap();
                assert_eq!(parse_datetime(&near), reference(&near), "{near}");
            }
        }
    }

    #[test]
    fn provider_timestamp_shapes() {
        assert_eq!(to_iso(&json!("2026-05-15 10:16:18")).unwrap(), "2026-05-15T10:16:18Z");
        assert_eq!(to_iso(&json!("2024-06-15")).unwrap(), "2024-06-15T00:00:00Z");
        assert_eq!(to_iso(&json!(1782974189118i64)).unwrap(), "2026-07-02T06:36:29.118Z");
        assert_eq!(iso_from_date_and_time("2024-06-15", "10:00").unwrap(), "2024-06-15T10:00:00Z");
        assert!(to_iso(&json!("yesterday")).is_none());
        assert!(parse_datetime("2024-06-15T10:00:00").is_none());
        assert!(datetime_problem("2024-06-15T10:00:00").contains("no offset"));
        // Found by the property test: a multi-byte character near the end must not panic.
        assert!(!datetime_problem("T ééééé").is_empty());
    }
}
