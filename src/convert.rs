//! Date-time parsing and formatting, and small JSON helpers shared by mappers.

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Parses an ISO 8601 / RFC 3339 date-time that carries an offset (`Z` or `±hh:mm`).
pub fn parse_datetime(s: &str) -> Option<OffsetDateTime> {
    if s.len() > 64 {
        return None;
    }
    OffsetDateTime::parse(s, &Rfc3339).ok()
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
    (dt.unix_timestamp_nanos() / 1_000_000) as i64
}

/// RFC 3339 in UTC (`…Z`), with exactly three fraction digits when the
/// milliseconds are non-zero (`2024-06-15T10:00:00Z`, `2024-06-15T10:00:00.330Z`).
/// Written by hand: one shape everywhere, and cheaper than a format description
/// on the per-record hot path.
pub fn iso_utc(dt: OffsetDateTime) -> String {
    let dt = dt.to_offset(UtcOffset::UTC);
    let (date, time) = (dt.date(), dt.time());
    let mut out = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        date.year(),
        date.month() as u8,
        date.day(),
        time.hour(),
        time.minute(),
        time.second()
    );
    let ms = time.millisecond();
    if ms != 0 {
        out.push_str(&format!(".{ms:03}"));
    }
    out.push('Z');
    out
}

pub fn iso_from_epoch_ms(ms: i64) -> Option<String> {
    let dt = OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000).ok()?;
    Some(iso_utc(dt))
}

pub fn iso_from_epoch_secs(secs: i64) -> Option<String> {
    let dt = OffsetDateTime::from_unix_timestamp(secs).ok()?;
    Some(iso_utc(dt))
}

pub fn date_only(dt: OffsetDateTime) -> String {
    let d = dt.to_offset(UtcOffset::UTC).date();
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

/// `HH:MM` in UTC.
pub fn time_hm(dt: OffsetDateTime) -> String {
    let t = dt.to_offset(UtcOffset::UTC).time();
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// Reads a provider timestamp in any of the common shapes: RFC 3339 (with or
/// without offset; none means UTC), `YYYY-MM-DD HH:MM:SS` (UTC), `YYYY-MM-DD`, or a
/// number of epoch milliseconds. Returns RFC 3339 UTC.
pub fn to_iso(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => iso_from_str(s),
        Value::Number(n) => n.as_i64().and_then(iso_from_epoch_ms),
        _ => None,
    }
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
    if b.len() < 20 || b.len() > 30 || b[b.len() - 1] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |acc, c| c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32))
    };
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let frac = &b[19..b.len() - 1];
    let millis = match frac {
        [] => 0,
        [b'.', digits @ ..] if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) => {
            // First three digits, padded: ".5" is 500 ms; further digits are truncated.
            (0..3).map(|i| digits.get(i).map_or(0, |d| (d - b'0') as u32)).fold(0, |acc, d| acc * 10 + d)
        }
        _ => return None,
    };
    let month_ok = time::Month::try_from(month as u8).ok()?;
    if day == 0 || day > time::util::days_in_year_month(year as i32, month_ok) as u32 || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut out = String::with_capacity(24);
    out.push_str(&s[..19]);
    if millis != 0 {
        out.push('.');
        out.push(char::from(b'0' + (millis / 100) as u8));
        out.push(char::from(b'0' + (millis / 10 % 10) as u8));
        out.push(char::from(b'0' + (millis % 10) as u8));
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

/// Reads a dotted path (`results.author.id`) from a JSON value.
pub fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for key in path.split('.') {
        cur = match cur {
            Value::Object(m) => m.get(key)?,
            Value::Array(a) => a.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    if cur.is_null() {
        None
    } else {
        Some(cur)
    }
}

pub fn get_str<'a>(v: &'a Value, path: &str) -> Option<&'a str> {
    get(v, path).and_then(Value::as_str)
}

/// An id as a string, whether the provider sends a string or a number.
pub fn id_string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `{ "id": … }` from an id value, or `null`.
pub fn id_ref(v: Option<&Value>) -> Value {
    match id_string(v) {
        Some(id) => serde_json::json!({ "id": id }),
        None => Value::Null,
    }
}

/// Sets a dotted path, creating objects on the way. Fails (returns false) when a
/// non-object is in the way.
pub fn set(target: &mut Map<String, Value>, path: &str, value: Value) -> bool {
    let mut parts = path.split('.').peekable();
    let mut cur = target;
    while let Some(key) = parts.next() {
        if parts.peek().is_none() {
            cur.insert(key.to_string(), value);
            return true;
        }
        let next = cur.entry(key.to_string()).or_insert_with(|| Value::Object(Map::new()));
        match next {
            Value::Object(m) => cur = m,
            _ => return false,
        }
    }
    false
}

/// Deep-merges `extra` into `base` (objects merge key by key; anything else in
/// `extra` replaces). Used for `remote_data` in request bodies.
pub fn merge(base: &mut Value, extra: &Value) {
    match (base, extra) {
        (Value::Object(b), Value::Object(e)) => {
            for (k, v) in e {
                match b.get_mut(k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, e) => *b = e.clone(),
    }
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

    #[test]
    fn paths_get_and_set() {
        let v = json!({"a": {"b": [{"c": 1}]}});
        assert_eq!(get(&v, "a.b.0.c"), Some(&json!(1)));
        let mut m = Map::new();
        assert!(set(&mut m, "properties.hs_timestamp", json!(1)));
        assert_eq!(Value::Object(m), json!({"properties": {"hs_timestamp": 1}}));
        let mut base = json!({"a": {"x": 1}, "b": 2});
        merge(&mut base, &json!({"a": {"y": 2}, "b": {"z": 3}}));
        assert_eq!(base, json!({"a": {"x": 1, "y": 2}, "b": {"z": 3}}));
    }
}
