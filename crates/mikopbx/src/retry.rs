//! When to retry and how long to wait.
//!
//! Retried: idempotent operations after a connection failure, a reset, a truncated answer, or a
//! 500/502/503/504; any operation after a 503 (the PBX answers "queue full" before doing any
//! work) or a failure to connect (nothing was sent). Never: 401, 403, 404, 409, 422, TLS errors.
//! Waits grow exponentially with full jitter, honour `Retry-After`, and never pass the call's
//! single deadline.

use std::time::Duration;

/// Backoff settings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RetryPolicy {
    pub max_retries: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl RetryPolicy {
    pub fn new(max_retries: u32) -> Self {
        RetryPolicy {
            max_retries,
            base: Duration::from_millis(200),
            cap: Duration::from_secs(5),
        }
    }

    /// The wait before retry number `attempt` (1-based): base·2^(attempt-1), capped, jittered into
    /// [50 %, 100 %], and at least `retry_after` when the server sent one.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.cap);
        let jittered = exp.mul_f64(0.5 + 0.5 * jitter());
        match retry_after {
            Some(ra) => ra.max(jittered),
            None => jittered,
        }
    }
}

/// A number in [0, 1) from the OS RNG.
fn jitter() -> f64 {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 4];
    if ring::rand::SystemRandom::new().fill(&mut b).is_err() {
        return 0.5;
    }
    f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0)
}

/// Parses `Retry-After` (seconds, or an HTTP date).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    delta.to_std().ok().or(Some(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_honour_retry_after() {
        let p = RetryPolicy::new(3);
        for attempt in 1..6 {
            let d = p.delay(attempt, None);
            assert!(d <= p.cap);
            assert!(d >= p.base.mul_f64(0.5));
        }
        assert!(p.delay(1, Some(Duration::from_secs(3))) >= Duration::from_secs(3));
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
