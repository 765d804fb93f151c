//! When to retry a failed request and how long to wait. Pure arithmetic on the
//! attempt count, the status, `Retry-After` and the driver's clock.

use serde_json::Value;

use crate::codec::http_date::parse_http_date;
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
