//! Run-time fault injection for the client's reliability tests.
//!
//! Faults model what sits between a client and a PBX going wrong: a slow backend, a proxy that
//! resets connections or cuts bodies short, and bursts of 5xx / 503 ("queue full"). They apply to
//! `/pbxcore/...` requests only, never to the `/_sim/*` control endpoints, so a test can always
//! switch them off again.

use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Default, Clone)]
struct FaultState {
    latency: Duration,
    reset_next: u32,
    truncate_next: u32,
    burst_status: u16,
    burst_count: u32,
}

/// Handle to the simulator's fault switches. Cheap to clone; all clones control the same server.
#[derive(Debug, Clone, Default)]
pub struct FaultControl {
    inner: Arc<Mutex<FaultState>>,
}

/// What to do with one request, decided when it arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Close the connection without answering.
    Reset,
    /// Answer with this status instead of running the request.
    Status(u16),
    /// Run the request, then send only part of the body.
    Truncate,
}

impl FaultControl {
    fn with<R>(&self, f: impl FnOnce(&mut FaultState) -> R) -> R {
        // A poisoned lock only means another request panicked mid-update; the state is plain data.
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// Delay every API request by `latency` (inside the worker, so it also fills the queue).
    pub fn set_latency(&self, latency: Duration) {
        self.with(|s| s.latency = latency);
    }

    /// Close the connection, without a response, for the next `n` API requests.
    pub fn reset_next(&self, n: u32) {
        self.with(|s| s.reset_next = n);
    }

    /// Cut the body of the next `n` API responses short (Content-Length promises more).
    pub fn truncate_next(&self, n: u32) {
        self.with(|s| s.truncate_next = n);
    }

    /// Answer the next `count` API requests with `status` (503 uses the server's queue-full
    /// envelope; other codes the generic error envelope).
    pub fn status_burst(&self, status: u16, count: u32) {
        self.with(|s| {
            s.burst_status = status;
            s.burst_count = count;
        });
    }

    /// Switch every fault off.
    pub fn clear(&self) {
        self.with(|s| *s = FaultState::default());
    }

    /// The current injected latency.
    pub fn latency(&self) -> Duration {
        self.with(|s| s.latency)
    }

    /// Consume the next pending fault for an arriving request (reset, then status, then truncate).
    pub(crate) fn take(&self) -> Option<Fault> {
        self.with(|s| {
            if s.reset_next > 0 {
                s.reset_next -= 1;
                return Some(Fault::Reset);
            }
            if s.burst_count > 0 {
                s.burst_count -= 1;
                return Some(Fault::Status(s.burst_status));
            }
            if s.truncate_next > 0 {
                s.truncate_next -= 1;
                return Some(Fault::Truncate);
            }
            None
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_consumed_in_order() {
        let f = FaultControl::default();
        f.reset_next(1);
        f.status_burst(503, 2);
        f.truncate_next(1);
        assert_eq!(f.take(), Some(Fault::Reset));
        assert_eq!(f.take(), Some(Fault::Status(503)));
        assert_eq!(f.take(), Some(Fault::Status(503)));
        assert_eq!(f.take(), Some(Fault::Truncate));
        assert_eq!(f.take(), None);
        f.set_latency(Duration::from_millis(5));
        f.clear();
        assert_eq!(f.latency(), Duration::ZERO);
    }
}
