//! The backend worker queue (mikopbx-api.md §1).
//!
//! php-fpm pushes each request onto the Redis list `api:requests`; 3 `WorkerApiCommands`
//! processes serve it; the controller waits at most 30 s for the answer. When more than
//! `APIQueueMaxLength` (50) requests are already waiting, the controller answers **503**
//! "Service temporarily unavailable, please retry later" at once; when the answer does not come
//! in time it answers **400** "Request timeout or worker not responding"
//! (`src/PBXCoreREST/Controllers/BaseController.php`).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;

/// `WorkerApiCommands` pool size.
pub(crate) const WORKERS: usize = 3;
/// `APIQueueMaxLength` default.
pub(crate) const MAX_WAITING: usize = 50;
/// How long the controller polls for the worker's answer, in (simulated) seconds.
pub(crate) const RESPONSE_TIMEOUT_SECS: f64 = 30.0;
/// The 503 message.
pub(crate) const QUEUE_FULL: &str = "Service temporarily unavailable, please retry later";
/// The timeout message.
pub(crate) const TIMEOUT: &str = "Request timeout or worker not responding";

/// Why a request did not get a worker's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueueError {
    /// More than [`MAX_WAITING`] requests were waiting: 503.
    Full,
    /// No answer within the response timeout: 400.
    Timeout,
}

/// A bounded pool of workers with a bounded waiting line.
#[derive(Debug, Clone)]
pub(crate) struct WorkerQueue {
    workers: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
}

struct WaitingGuard(Arc<AtomicUsize>, bool);

impl WaitingGuard {
    fn release(&mut self) {
        if !self.1 {
            self.1 = true;
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Drop for WaitingGuard {
    fn drop(&mut self) {
        self.release();
    }
}

impl Default for WorkerQueue {
    fn default() -> Self {
        WorkerQueue {
            workers: Arc::new(Semaphore::new(WORKERS)),
            waiting: Arc::default(),
        }
    }
}

impl WorkerQueue {
    /// Run `job` on a worker, waiting in line first; give up after `timeout` (real time).
    pub(crate) async fn run<T>(
        &self,
        timeout: Duration,
        job: impl Future<Output = T>,
    ) -> Result<T, QueueError> {
        // `if ($queueLength > $maxQueueLength)` is checked before the push, so up to 51
        // requests can be waiting (BaseController::sendRequestToBackendWorker()).
        if self.waiting.fetch_add(1, Ordering::SeqCst) > MAX_WAITING {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(QueueError::Full);
        }
        let mut guard = WaitingGuard(self.waiting.clone(), false);
        let workers = self.workers.clone();
        let work = async move {
            let _permit = workers.acquire_owned().await;
            guard.release();
            job.await
        };
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| QueueError::Timeout)
    }

    /// How many requests are waiting for a worker right now.
    #[allow(dead_code)]
    pub(crate) fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fills_then_refuses_then_times_out() {
        let q = WorkerQueue::default();
        let mut handles = Vec::new();
        for _ in 0..(WORKERS + MAX_WAITING + 1) {
            let q = q.clone();
            handles.push(tokio::spawn(async move {
                q.run(
                    Duration::from_secs(5),
                    tokio::time::sleep(Duration::from_millis(300)),
                )
                .await
            }));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(q.waiting(), MAX_WAITING + 1);
        assert_eq!(
            q.run(Duration::from_secs(1), async {}).await,
            Err(QueueError::Full)
        );
        for h in handles {
            h.abort();
            let _ = h.await;
        }
        assert_eq!(
            q.run(
                Duration::from_millis(10),
                tokio::time::sleep(Duration::from_secs(1))
            )
            .await,
            Err(QueueError::Timeout)
        );
        assert_eq!(q.waiting(), 0);
    }
}
