//! The simulated clock.
//!
//! Rate-limit windows, bans, login-attempt buckets and JWT `iat`/`exp` all read this clock, so a
//! test can run "15 minutes" of server time in 15 seconds with `clock_scale(60.0)`. Call records
//! and `system:datetime` keep real wall time (they are data, not timers). Calls placed through
//! `/_sim/calls` run on this clock, and `POST /_sim/clock {"advance_ms":N}` moves it forward at
//! once, so a test can step a call from ringing to answered to ended without waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// A clock that starts at the real time and then runs `scale` times faster than real time.
#[derive(Debug, Clone)]
pub(crate) struct SimClock {
    started: Instant,
    wall_at_start: f64,
    scale: f64,
    /// Simulated seconds added by [`SimClock::advance`] (f64 bits; shared by every clone).
    offset: Arc<AtomicU64>,
}

impl SimClock {
    /// A clock running `scale`× faster than real time (non-finite or non-positive means 1.0).
    pub(crate) fn new(scale: f64) -> Self {
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        let wall_at_start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        SimClock {
            started: Instant::now(),
            wall_at_start,
            scale,
            offset: Arc::new(AtomicU64::new(0f64.to_bits())),
        }
    }

    /// Simulated seconds since the Unix epoch.
    pub(crate) fn now(&self) -> f64 {
        self.wall_at_start
            + self.started.elapsed().as_secs_f64() * self.scale
            + f64::from_bits(self.offset.load(Ordering::Relaxed))
    }

    /// Moves the clock `secs` simulated seconds forward (never backward).
    pub(crate) fn advance(&self, secs: f64) {
        let secs = if secs.is_finite() { secs.max(0.0) } else { 0.0 };
        let _ = self
            .offset
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some((f64::from_bits(bits) + secs).to_bits())
            });
    }

    /// Simulated Unix time in whole seconds (what PHP's `time()` would return).
    pub(crate) fn unix(&self) -> i64 {
        self.now().floor() as i64
    }

    /// How much real time `sim_secs` simulated seconds take.
    pub(crate) fn real_duration(&self, sim_secs: f64) -> std::time::Duration {
        // A tiny scale can make this overflow a Duration: saturate instead of panicking.
        std::time::Duration::try_from_secs_f64((sim_secs / self.scale).max(0.0))
            .unwrap_or(std::time::Duration::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_clock_runs_faster() {
        let c = SimClock::new(1000.0);
        let a = c.now();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(c.now() - a >= 15.0);
        assert_eq!(c.real_duration(1000.0), std::time::Duration::from_secs(1));
        assert_eq!(SimClock::new(f64::NAN).real_duration(2.0).as_secs(), 2);
        let stepped = c.clone();
        let before = c.now();
        stepped.advance(3600.0);
        stepped.advance(-50.0);
        assert!(c.now() - before >= 3600.0);
        assert_eq!(
            SimClock::new(1e-300).real_duration(30.0),
            std::time::Duration::MAX
        );
    }
}
