//! A provider's throttle limits as a budget the core checks before every batch:
//! requests per UTC day (a fixed window that resets at 00:00 UTC) and records per
//! minute (a sliding 60-second window, so no 60 s span ever exceeds the limit,
//! whichever way the provider counts minutes). Pure arithmetic on the driver's
//! clock; the usage state is plain JSON so a Worker or a cron job can save it
//! after a run and hand it to the next one.

use serde_json::{Map, Value};

use crate::error::{Error, Issue, IssueCode, Result};
use crate::provider::sync::Limits;

pub const DAY_MS: u64 = 86_400_000;
pub const MINUTE_MS: u64 = 60_000;
/// The most `minute` entries a saved budget may hold (one per request; a sync
/// never sends this many in a minute).
pub const MAX_MINUTE_ENTRIES: usize = 100_000;

/// Usage so far. `minute` holds `[sent_at_ms, records]` for the last 60 s.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BudgetState {
    pub version: u32,
    /// 00:00 UTC of the day `requests_today` counts.
    pub day_start_ms: u64,
    pub requests_today: u64,
    pub minute: Vec<(u64, u64)>,
}

impl BudgetState {
    /// Reads the saved state; `version` defaults to 1, `minute` to empty.
    pub fn from_json(v: &Value) -> Result<BudgetState> {
        use crate::codec::input::*;
        let m = object(v, "budget")?;
        deny_unknown(m, &["version", "day_start_ms", "requests_today", "minute"])?;
        let req = |k: &str| opt_u64(m, k)?.ok_or_else(|| Error::invalid(format!("missing field `{k}`")));
        let mut minute = Vec::new();
        match m.get("minute") {
            None => {}
            Some(Value::Array(entries)) => {
                for e in entries {
                    match e.as_array().map(Vec::as_slice) {
                        Some([t, n]) => match (t.as_u64(), n.as_u64()) {
                            (Some(t), Some(n)) => minute.push((t, n)),
                            _ => return Err(Error::invalid("`minute` entries must be [sent_at_ms, records] integers")),
                        },
                        _ => return Err(Error::invalid("`minute` entries must be [sent_at_ms, records] pairs")),
                    }
                }
            }
            Some(_) => return Err(Error::invalid("invalid type for `minute`, expected an array")),
        }
        Ok(BudgetState { version: opt_u32(m, "version")?.unwrap_or(1), day_start_ms: req("day_start_ms")?, requests_today: req("requests_today")?, minute })
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("version".into(), self.version.into());
        m.insert("day_start_ms".into(), self.day_start_ms.into());
        m.insert("requests_today".into(), self.requests_today.into());
        m.insert("minute".into(), Value::Array(self.minute.iter().map(|&(t, n)| Value::Array(vec![t.into(), n.into()])).collect()));
        Value::Object(m)
    }
}

/// Which limit holds a batch back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    RequestsPerDay,
    RecordsPerMinute,
}

impl Window {
    pub fn as_str(self) -> &'static str {
        match self {
            Window::RequestsPerDay => "requests_per_day",
            Window::RecordsPerMinute => "records_per_minute",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    pub limits: Limits,
    state: BudgetState,
}

impl Budget {
    pub fn new(limits: Limits, now_ms: u64) -> Budget {
        Budget { limits, state: BudgetState { version: 1, day_start_ms: day_start(now_ms), requests_today: 0, minute: Vec::new() } }
    }

    /// Restores saved usage (the JSON [`Budget::to_json`] produced).
    pub fn restore(limits: Limits, saved: &Value, now_ms: u64) -> Result<Budget> {
        let state = BudgetState::from_json(saved).map_err(|e| {
            let reason = match e {
                Error::InvalidInput { reason } => reason,
                other => other.to_string(),
            };
            Error::one_issue(None, Issue::new("options.budget", IssueCode::InvalidFormat, format!("is not a saved budget state: {reason}")))
        })?;
        if state.version != 1 || state.day_start_ms % DAY_MS != 0 {
            return Err(Error::one_issue(None, Issue::new("options.budget", IssueCode::InvalidFormat, "is not a saved budget state (version 1, day_start_ms at 00:00 UTC)")));
        }
        // Saved state comes back from outside: every number must survive a JSON
        // round trip through JS (≤ 2^53−1), and the window's records must add up
        // without overflow, or the limit could be bypassed by wrapping.
        let max = crate::codec::numbers::MAX_SAFE_INT.unsigned_abs();
        let numbers = [state.day_start_ms, state.requests_today].into_iter().chain(state.minute.iter().flat_map(|&(t, n)| [t, n]));
        let total = state.minute.iter().try_fold(0u64, |acc, &(_, n)| acc.checked_add(n)).filter(|t| *t <= max);
        if numbers.into_iter().any(|n| n > max) || total.is_none() {
            return Err(Error::one_issue(None, Issue::new("options.budget", IssueCode::OutOfRange, format!("is not a consistent budget state: its numbers (and the minute window's total records) must be at most {max}")).with_meta(serde_json::json!({ "max": max }))));
        }
        // Time order is what `check` relies on; a saved state is written in order,
        // so one out of order was edited. The window cannot hold more entries than
        // requests in a minute, so a longer list is not a saved state either.
        if state.minute.len() > MAX_MINUTE_ENTRIES || state.minute.windows(2).any(|w| w[0].0 > w[1].0) {
            return Err(Error::one_issue(None, Issue::new("options.budget", IssueCode::InvalidFormat, format!("is not a saved budget state: `minute` must hold at most {MAX_MINUTE_ENTRIES} entries in time order"))));
        }
        let mut b = Budget { limits, state };
        b.roll(now_ms);
        Ok(b)
    }

    pub fn to_json(&self) -> Value {
        self.state.to_json()
    }

    #[cfg(test)]
    pub fn state(&self) -> &BudgetState {
        &self.state
    }

    /// Drops what has left the windows: a new UTC day resets the request count,
    /// minute entries older than 60 s expire.
    fn roll(&mut self, now_ms: u64) {
        let today = day_start(now_ms);
        if today > self.state.day_start_ms {
            self.state.day_start_ms = today;
            self.state.requests_today = 0;
        }
        self.state.minute.retain(|(t, _)| t.saturating_add(MINUTE_MS) > now_ms);
    }

    fn records_in_window(&self) -> u64 {
        self.state.minute.iter().fold(0u64, |acc, (_, n)| acc.saturating_add(*n))
    }

    /// `Ok` when one request carrying `records` fits now, else the earliest time
    /// it will fit and the window that holds it back (the later one when both do).
    pub fn check(&mut self, records: u64, now_ms: u64) -> std::result::Result<(), (u64, Window)> {
        self.roll(now_ms);
        let mut blocked: Option<(u64, Window)> = None;
        if self.state.requests_today.saturating_add(1) > self.limits.requests_per_day {
            blocked = Some((self.state.day_start_ms.max(day_start(now_ms)).saturating_add(DAY_MS), Window::RequestsPerDay));
        }
        let used = self.records_in_window();
        // A request alone always fits an empty window, so no batch can wait forever.
        if used > 0 && used.saturating_add(records) > self.limits.records_per_minute {
            // The oldest entries expire first; find the one whose expiry frees enough.
            // Entries are kept in time order (restore checks it, spend keeps it),
            // so no sort: one pass, O(n), whatever size a saved budget has.
            let mut remaining = used;
            let mut until = now_ms;
            for &(t, n) in &self.state.minute {
                remaining = remaining.saturating_sub(n);
                until = t.saturating_add(MINUTE_MS);
                if remaining.saturating_add(records) <= self.limits.records_per_minute {
                    break;
                }
            }
            if blocked.map_or(true, |(t, _)| until > t) {
                blocked = Some((until, Window::RecordsPerMinute));
            }
        }
        match blocked {
            Some(b) => Err(b),
            None => Ok(()),
        }
    }

    /// Counts one request carrying `records`, sent at `now_ms`.
    pub fn spend(&mut self, records: u64, now_ms: u64) {
        self.roll(now_ms);
        self.state.requests_today = self.state.requests_today.saturating_add(1);
        match self.state.minute.last_mut() {
            // A clock that stepped back counts with the latest entry (expiring a
            // little later: safe), so the window stays in time order.
            Some((t, n)) if *t >= now_ms => *n = n.saturating_add(records),
            _ => self.state.minute.push((now_ms, records)),
        }
    }
}

pub fn day_start(now_ms: u64) -> u64 {
    now_ms.saturating_sub(now_ms % DAY_MS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // 2026-01-01T23:59:00Z
    const LATE: u64 = 1_767_311_940_000;
    const LIMITS: Limits = Limits { requests_per_day: 100_000, records_per_minute: 10_000 };

    #[test]
    fn a_supplied_budget_is_bounded_in_size_and_order_and_checked_in_linear_time() {
        let t0 = 1_767_225_600_000u64;
        let saved = |minute: Vec<(u64, u64)>| json!({"version": 1, "day_start_ms": t0, "requests_today": 0, "minute": minute.iter().map(|&(t, n)| json!([t, n])).collect::<Vec<_>>()});
        // Out of order: refused (it was edited).
        let err = Budget::restore(LIMITS, &saved(vec![(t0 + 2, 1), (t0 + 1, 1)]), t0 + 10).unwrap_err();
        assert_eq!(err.to_json()["details"][0]["field"], "options.budget");
        // Too many entries: refused without looking further.
        let many: Vec<(u64, u64)> = (0..(MAX_MINUTE_ENTRIES as u64 + 1)).map(|i| (t0 + i / 1000, 0)).collect();
        assert!(Budget::restore(LIMITS, &saved(many), t0 + 100).is_err());
        // The largest allowed state, full window: a check answers at once (the old
        // insertion sort took seconds on such input).
        let full: Vec<(u64, u64)> = (0..MAX_MINUTE_ENTRIES as u64).map(|i| (t0 + i / 2_000, 1)).collect();
        let mut b = Budget::restore(Limits { requests_per_day: 1_000_000, records_per_minute: 100_000 }, &saved(full), t0 + 50).unwrap();
        let (until, window) = b.check(10, t0 + 50).unwrap_err();
        assert_eq!(window, Window::RecordsPerMinute);
        assert_eq!(until, t0 + MINUTE_MS, "the oldest 10 records expire first");
        // A clock that steps back keeps the window in order.
        let mut b = Budget::new(LIMITS, t0 + 1_000);
        b.spend(1, t0 + 1_000);
        b.spend(2, t0 + 500);
        assert_eq!(b.state().minute, vec![(t0 + 1_000, 3)]);
    }

    #[test]
    fn minute_window_slides_and_frees_the_oldest_first() {
        let t0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
        let mut b = Budget::new(LIMITS, t0);
        for i in 0..100 {
            assert_eq!(b.check(100, t0 + i * 100), Ok(()));
            b.spend(100, t0 + i * 100);
        }
        // 10,000 records in the first 9.9 s: the next record waits for the first
        // batch (sent at t0) to leave the window at t0 + 60 s.
        assert_eq!(b.check(1, t0 + 20_000), Err((t0 + 60_000, Window::RecordsPerMinute)));
        // 150 records need the first two batches gone (t0 and t0+100ms).
        assert_eq!(b.check(150, t0 + 20_000), Err((t0 + 60_100, Window::RecordsPerMinute)));
        assert_eq!(b.check(100, t0 + 59_999), Err((t0 + 60_000, Window::RecordsPerMinute)));
        assert_eq!(b.check(100, t0 + 60_000), Ok(()));
        // Crossing a calendar minute boundary does not reset a sliding window.
        let mut b = Budget::new(Limits { requests_per_day: 100, records_per_minute: 150 }, t0);
        b.spend(100, t0 + 59_000); // 00:00:59
        assert_eq!(b.check(100, t0 + 61_000), Err((t0 + 119_000, Window::RecordsPerMinute)), "00:01:01 is still inside 60 s of 00:00:59");
        assert_eq!(b.check(50, t0 + 61_000), Ok(()));
        assert_eq!(b.check(100, t0 + 119_000), Ok(()));
    }

    #[test]
    fn daily_requests_reset_at_utc_midnight() {
        let limits = Limits { requests_per_day: 3, records_per_minute: 10_000 };
        let mut b = Budget::new(limits, LATE - 3_000);
        for i in 0..3 {
            b.spend(1, LATE - 3_000 + i);
        }
        let midnight = 1_767_312_000_000; // 2026-01-02T00:00:00Z
        assert_eq!(b.check(1, LATE), Err((midnight, Window::RequestsPerDay)));
        assert_eq!(b.check(1, midnight - 1), Err((midnight, Window::RequestsPerDay)));
        assert_eq!(b.check(1, midnight), Ok(()));
        assert_eq!(b.state().requests_today, 0);
        assert_eq!(b.state().day_start_ms, midnight);
    }

    #[test]
    fn the_later_window_wins_when_both_block() {
        let mut b = Budget::new(Limits { requests_per_day: 1, records_per_minute: 10 }, LATE);
        b.spend(10, LATE);
        // Minute frees at 00:00:00 (LATE + 60 s) and the day resets at 00:00:00 too;
        // a batch sent at 23:59:30 with the day exhausted waits for midnight.
        let r = b.check(10, LATE + 30_000);
        assert_eq!(r, Err((1_767_312_000_000, Window::RequestsPerDay)));
        let mut b = Budget::new(Limits { requests_per_day: 1, records_per_minute: 10 }, LATE - 59_000);
        b.spend(10, LATE - 59_000);
        // Day blocked until midnight (+60 s after LATE), minute until LATE + 1 s: day wins.
        assert_eq!(b.check(1, LATE), Err((LATE + 60_000, Window::RequestsPerDay)));
    }

    #[test]
    fn state_saves_and_restores_as_json() {
        let mut b = Budget::new(LIMITS, LATE);
        b.spend(40, LATE);
        b.spend(60, LATE + 10);
        b.spend(5, LATE + 10);
        let saved = b.to_json();
        assert_eq!(saved, json!({"version": 1, "day_start_ms": 1_767_225_600_000u64, "requests_today": 3, "minute": [[LATE, 40], [LATE + 10, 65]]}));
        // Restored 20 s later: the same usage is still counted.
        let mut again = Budget::restore(Limits { requests_per_day: 3, records_per_minute: 120 }, &saved, LATE + 20_000).unwrap();
        assert_eq!(again.check(15, LATE + 20_000), Err((1_767_312_000_000, Window::RequestsPerDay)));
        let mut again = Budget::restore(Limits { requests_per_day: 4, records_per_minute: 120 }, &saved, LATE + 20_000).unwrap();
        assert_eq!(again.check(15, LATE + 20_000), Ok(()));
        assert_eq!(again.check(16, LATE + 20_000), Err((LATE + 60_000, Window::RecordsPerMinute)));
        // Restored the next UTC day: the day count is gone, old minute entries expired.
        let next_day = Budget::restore(LIMITS, &saved, LATE + 120_000).unwrap();
        assert_eq!(next_day.to_json(), json!({"version": 1, "day_start_ms": 1_767_312_000_000u64, "requests_today": 0, "minute": []}));
    }

    #[test]
    fn an_oversized_request_waits_for_an_empty_window_not_forever() {
        let mut b = Budget::new(Limits { requests_per_day: 10, records_per_minute: 5 }, LATE);
        assert_eq!(b.check(8, LATE), Ok(()));
        b.spend(8, LATE);
        assert_eq!(b.check(8, LATE + 1), Err((LATE + 60_000, Window::RecordsPerMinute)));
        assert_eq!(b.check(8, LATE + 60_000), Ok(()));
    }

    #[test]
    fn bad_saved_state_is_a_field_error() {
        for bad in [json!("x"), json!({"day_start_ms": 5, "requests_today": 0}), json!({"day_start_ms": 0, "requests_today": -1}), json!({"day_start_ms": 0, "requests_today": 0, "extra": 1})] {
            let err = Budget::restore(LIMITS, &bad, LATE).unwrap_err().to_json();
            assert_eq!(err["details"][0]["field"], "options.budget", "{bad}");
        }
        assert!(Limits { requests_per_day: 0, records_per_minute: 1 }.check().is_err());
    }
}
