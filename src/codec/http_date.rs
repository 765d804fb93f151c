//! The HTTP-date of a `Retry-After` header (RFC 9110: IMF-fixdate, RFC 850 and
//! asctime forms).

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
}
