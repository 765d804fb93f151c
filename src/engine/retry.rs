//! When to retry a failed request and how long to wait. Pure arithmetic on the
//! attempt count, the status, `Retry-After` and the driver's clock.

use serde_json::Value;

use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Total tries of one request, the first included.
    pub max_attempts: u32,
    /// First backoff; doubles each retry.
    pub base_delay_ms: u64,
    pub max_delay_ms: u64,
    /// A `Retry-After` longer than this is not waited for: the error is returned.
    pub max_retry_after_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 4, base_delay_ms: 500, max_delay_ms: 30_000, max_retry_after_ms: 120_000 }
    }
}

impl RetryPolicy {
    /// Reads `retry` from the input; absent fields keep their defaults.
    pub fn from_json(v: Option<&Value>) -> Result<RetryPolicy> {
        use crate::codec::input::*;
        let mut p = RetryPolicy::default();
        let Some(v) = v else { return Ok(p) };
        let m = object(v, "retry")?;
        if let Some(n) = opt_u32(m, "max_attempts")? {
            p.max_attempts = n;
        }
        if let Some(n) = opt_u64(m, "base_delay_ms")? {
            p.base_delay_ms = n;
        }
        if let Some(n) = opt_u64(m, "max_delay_ms")? {
            p.max_delay_ms = n;
        }
        if let Some(n) = opt_u64(m, "max_retry_after_ms")? {
            p.max_retry_after_ms = n;
        }
        Ok(p)
    }

    /// When to resend, or `None` to give up. `status == 0` means no response
    /// arrived. `safe` says a resend cannot apply a write twice (idempotent method
    /// or an idempotency key); unsafe requests are retried only on 429, which a
    /// provider sends before doing any work.
    pub fn retry_at(&self, status: u16, safe: bool, attempts: u32, retry_after: Option<&str>, now_ms: u64) -> Option<u64> {
        if attempts >= self.max_attempts.max(1) {
            return None;
        }
        let retryable = match status {
            429 => true,
            0 | 408 | 425 | 500 | 502 | 503 | 504 => safe,
            _ => false,
        };
        if !retryable {
            return None;
        }
        if let Some(wait) = retry_after.and_then(|h| parse_retry_after(h, now_ms)) {
            return (wait <= self.max_retry_after_ms).then(|| now_ms.saturating_add(wait));
        }
        let exp = attempts.saturating_sub(1).min(20);
        let delay = self.base_delay_ms.saturating_mul(1u64 << exp).min(self.max_delay_ms);
        Some(now_ms.saturating_add(delay))
    }
}

/// `Retry-After` as delta-seconds or an HTTP-date, in milliseconds from `now_ms`.
pub fn parse_retry_after(value: &str, now_ms: u64) -> Option<u64> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(secs.saturating_mul(1000));
    }
    if let Ok(secs) = v.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            // Beyond u64 ms is longer than any limit: saturate on purpose, explicitly.
            let ms = secs * 1000.0;
            return Some(if ms < u64::MAX as f64 { ms as u64 } else { u64::MAX });
        }
    }
    let at_ms = parse_http_date(v)?.saturating_mul(1000);
    Some(at_ms.saturating_sub(now_ms))
}

const MONTHS: [&[u8]; 12] = [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];
const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

fn digits(b: &[u8]) -> Option<u16> {
    b.iter().try_fold(0u16, |n, &c| n.checked_mul(10)?.checked_add(u16::try_from(char::from(c).to_digit(10)?).ok()?))
}

/// An HTTP-date (RFC 9110 §5.6.7) as Unix seconds: IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`) or the obsolete RFC 850
/// (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`)
/// forms. The weekday must match the date; years 1970–9999. (Accepts what the
/// `httpdate` crate accepts, which a test checks; written here to save its ~5 KB
/// of wasm.)
pub fn parse_http_date(text: &str) -> Option<u64> {
    if !text.is_ascii() {
        return None;
    }
    let s = text.trim().as_bytes();
    let short_day = |b: &[u8]| WEEKDAYS.iter().position(|d| d.as_bytes()[..3] == *b);
    let (weekday, day, month, year, hms) = if s.len() == 29 && s[3..5] == *b", " && s[7] == b' ' && s[11] == b' ' && s[16] == b' ' && s[25..] == *b" GMT" {
        (short_day(&s[..3])?, &s[5..7], &s[8..11], digits(&s[12..16])?, &s[17..25])
    } else if s.len() == 24 && s[3] == b' ' && s[7] == b' ' && s[10] == b' ' && s[19] == b' ' {
        let day = if s[8] == b' ' { &s[9..10] } else { &s[8..10] };
        (short_day(&s[..3])?, day, &s[4..7], digits(&s[20..24])?, &s[11..19])
    } else {
        let comma = s.iter().position(|&c| c == b',')?;
        let weekday = WEEKDAYS.iter().position(|d| d.as_bytes() == &s[..comma])?;
        let r = &s[comma..];
        // (The byte between year and time is not checked, as in `httpdate`.)
        if r.len() != 24 || r[1] != b' ' || r[4] != b'-' || r[8] != b'-' || r[20..] != *b" GMT" {
            return None;
        }
        let yy = digits(&r[9..11])?;
        (weekday, &r[2..4], &r[5..8], yy.checked_add(if yy < 70 { 2000 } else { 1900 })?, &r[12..20])
    };
    if hms[2] != b':' || hms[5] != b':' || !(1970..=9999).contains(&year) {
        return None;
    }
    let (h, m, sec) = (digits(&hms[..2])?, digits(&hms[3..5])?, digits(&hms[6..])?);
    let month = u8::try_from(MONTHS.iter().position(|&n| n == month)?.checked_add(1)?).ok()?;
    let date = time::Date::from_calendar_date(i32::from(year), time::Month::try_from(month).ok()?, u8::try_from(digits(day)?).ok()?).ok()?;
    if usize::from(date.weekday().number_days_from_monday()) != weekday || h > 23 || m > 59 || sec > 59 {
        return None;
    }
    let days = u64::try_from(date.to_julian_day().checked_sub(2_440_588)?).ok()?;
    [(days, 86_400), (u64::from(h), 3600), (u64::from(m), 60), (u64::from(sec), 1)].into_iter().try_fold(0u64, |acc, (n, unit)| acc.checked_add(n.checked_mul(unit)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(parse_retry_after("2", 0), Some(2000));
        // Wed, 21 Oct 2015 07:28:00 GMT = 1445412480 s
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1_445_412_470_000), Some(10_000));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1_445_412_490_000), Some(0));
        assert_eq!(parse_retry_after("soon", 0), None);
    }

    #[test]
    fn http_dates_match_the_httpdate_crate() {
        let reference = |s: &str| httpdate::parse_http_date(s).ok().map(|t| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs());
        let mut cases: Vec<String> = [
            "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Sun Nov 06 08:49:37 1994",
            "Mon, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 31 Nov 1994 08:49:37 GMT",
            "Thu, 01 Jan 1970 00:00:00 GMT", "Wed, 31 Dec 1969 23:59:59 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:37 GMT", "Sun, 06 Nov 1994 08:49:60 GMT", "Sun, 06 Foo 1994 08:49:37 GMT", "  Sun, 06 Nov 1994 08:49:37 GMT ",
            "Sunday, 06-Nov-69 08:49:37 GMT", "Thursday, 01-Jan-70 00:00:00 GMT", "Sun Nov 6  08:49:37 1994", "Sun Nov  6 08:49:37 1994 ",
            "Sunday,06-Nov-94 08:49:37 GMT", "Funday, 06-Nov-94 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMTé", "", ",", "Sun",
            "Tue, 29 Feb 2000 12:00:00 GMT", "Sun, 29 Feb 1900 12:00:00 GMT", "Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2015 7:28:00 GMT",
        ]
        .map(String::from)
        .to_vec();
        // Every day 1970–2100 at a varying time, in all three forms, and near misses.
        let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for day in (0..47_500u64).step_by(7) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let t = time::OffsetDateTime::from_unix_timestamp((day * 86_400 + seed % 86_400) as i64).unwrap();
            let (w, d, mo, y) = (names[t.weekday().number_days_from_monday() as usize], t.day(), MONTHS[t.month() as usize - 1], t.year());
            let mo = std::str::from_utf8(mo).unwrap();
            let hms = format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
            let long = WEEKDAYS[t.weekday().number_days_from_monday() as usize];
            let forms = [format!("{w}, {d:02} {mo} {y} {hms} GMT"), format!("{long}, {d:02}-{mo}-{:02} {hms} GMT", y % 100), format!("{w} {mo} {d:>2} {hms} {y}")];
            for f in forms {
                let mut near = f.clone().into_bytes();
                let at = (seed >> 33) as usize % near.len();
                near[at] = b"0 9:,-GSa"[(seed >> 50) as usize % 9];
                cases.push(String::from_utf8(near).unwrap());
                cases.push(f);
            }
        }
        for c in &cases {
            assert_eq!(parse_http_date(c), reference(c), "{c:?}");
        }
    }

    #[test]
    fn posts_retry_only_on_429() {
        let p = RetryPolicy::default();
        assert_eq!(p.retry_at(429, false, 1, Some("3"), 1000), Some(4000));
        assert_eq!(p.retry_at(503, false, 1, Some("3"), 1000), None);
        assert_eq!(p.retry_at(503, true, 1, Some("3"), 1000), Some(4000));
        assert_eq!(p.retry_at(400, true, 1, None, 0), None);
    }

    #[test]
    fn backoff_doubles_and_stops() {
        let p = RetryPolicy::default();
        assert_eq!(p.retry_at(503, true, 1, None, 0), Some(500));
        assert_eq!(p.retry_at(503, true, 2, None, 0), Some(1000));
        assert_eq!(p.retry_at(503, true, 3, None, 0), Some(2000));
        assert_eq!(p.retry_at(503, true, 4, None, 0), None);
        assert_eq!(p.retry_at(429, false, 1, Some("3600"), 0), None, "too long a Retry-After is not waited for");
    }
}
