//! The client-side rate governor: a token bucket shared by all clones of a [`Client`](crate::Client).
//!
//! MikoPBX's nginx counts 180 + 20 requests per 60 s window per address, the window starting at
//! the first request that *arrives*, and bans the address for 300 s × 2ⁿ beyond that. The default
//! bucket (180/min, burst 10) leaves 10 requests of headroom on purpose: a bucket of 20 allows
//! exactly 200 per window, and one slow request (the first TLS handshake, a stalled server) shifts
//! nginx's window so that it counts a 201st. That happened in the 1000-call test under load.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::RateLimit;

/// Token bucket. Waiting callers reserve a token first (the count may go negative) and then
/// sleep until their token is due, so they are served in order. A reservation dropped while
/// waiting (a cancelled future) is simply not given back, which only makes the client more
/// conservative.
#[derive(Debug)]
pub(crate) struct Governor {
    capacity: f64,
    per_sec: f64,
    state: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Governor {
    pub fn new(limit: RateLimit) -> Self {
        let per_sec = f64::from(limit.count) / limit.period.as_secs_f64();
        Governor {
            capacity: f64::from(limit.burst),
            per_sec,
            state: Mutex::new(Bucket {
                tokens: f64::from(limit.burst),
                last: Instant::now(),
            }),
        }
    }

    /// The shortest period between repeated requests that uses at most `share` (0–1] of the
    /// budget, e.g. 1 s for a third of 180/min: what a poller may take and still leave the
    /// rest to the client's other calls.
    pub fn period_for_share(&self, share: f64) -> Duration {
        Duration::from_secs_f64(1.0 / (self.per_sec * share.clamp(0.01, 1.0)))
    }

    /// Takes a token, waiting if needed. Returns the time waited.
    pub async fn acquire(&self) -> Duration {
        let wait = {
            let mut b = match self.state.lock() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
            let now = Instant::now();
            let elapsed = now.duration_since(b.last).as_secs_f64();
            b.tokens = (b.tokens + elapsed * self.per_sec).min(self.capacity);
            b.last = now;
            b.tokens -= 1.0;
            if b.tokens >= 0.0 {
                Duration::ZERO
            } else {
                Duration::from_secs_f64(-b.tokens / self.per_sec)
            }
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bursts_then_paces() {
        // 50 a second (one per 20 ms), bucket of 5.
        let g = Governor::new(RateLimit::new(50, Duration::from_secs(1), 5));
        let start = Instant::now();
        for _ in 0..5 {
            g.acquire().await;
        }
        assert!(start.elapsed() < Duration::from_millis(15));
        for _ in 0..5 {
            g.acquire().await;
        }
        // Five more tokens at one per 20 ms.
        let e = start.elapsed();
        assert!(
            e >= Duration::from_millis(95) && e < Duration::from_millis(600),
            "{e:?}"
        );
    }
}
