//! Forwarding of the core's `tracing` records to Python `logging`.
//!
//! The records are produced on tokio worker threads, on the thread blocked in a sync call, and
//! inside `future_into_py` tasks. Taking the GIL there would stall a worker behind whatever Python
//! is doing (pyo3-async-runtimes#58), and a worker waiting for the GIL while the GIL holder waits
//! for that worker's future is a deadlock. So this layer never touches Python: it formats the
//! record and appends it to a bounded queue guarded by a plain mutex that is only ever held for a
//! push or a swap. The Python package drains the queue (`drain_logs`) on its own thread, with the
//! GIL, after every call and every page, and hands the records to `logging.getLogger("mikopbx…")`.
//!
//! The core never logs the API key, headers or bodies; this layer adds nothing but the fields the
//! core chose to record.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// Records kept while nobody drains them (a long async iteration between flushes, say).
const QUEUE_CAPACITY: usize = 10_000;

/// Python's numeric level below which nobody listens (`logging.WARNING` until told otherwise).
static MIN_LEVEL: AtomicI32 = AtomicI32::new(30);
static QUEUE: Mutex<VecDeque<LogRecord>> = Mutex::new(VecDeque::new());
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// (target, Python level, formatted message)
type LogRecord = (String, i32, String);

fn python_level(level: &Level) -> i32 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

fn is_ours(meta: &Metadata<'_>) -> bool {
    meta.target().starts_with("mikopbx")
}

fn push(record: LogRecord) {
    let mut queue = QUEUE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if queue.len() >= QUEUE_CAPACITY {
        queue.pop_front();
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
    queue.push_back(record);
}

/// Collects an event's or span's fields as `message k=v k=v`.
#[derive(Default)]
struct FieldText {
    message: String,
    fields: String,
}

impl Visit for FieldText {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={}", field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={:?}", field.name(), value);
        }
    }
}

/// The formatted fields of a span, kept in the span's extensions.
struct SpanFields(String);

/// The `tracing` layer that queues the core's records for Python.
pub struct PyLogLayer;

impl<S> Layer<S> for PyLogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        // "sometimes": the level Python listens at changes at run time.
        if is_ours(meta) {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, meta: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        is_ours(meta) && python_level(meta.level()) >= MIN_LEVEL.load(Ordering::Relaxed)
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut text = FieldText::default();
        attrs.record(&mut text);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(text.fields));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let mut text = FieldText::default();
        values.record(&mut text);
        if let Some(span) = ctx.span(id)
            && let Some(fields) = span.extensions_mut().get_mut::<SpanFields>()
        {
            fields.0.push_str(&text.fields);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut text = FieldText::default();
        event.record(&mut text);
        let mut line = String::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                line.push_str(span.name());
                if let Some(fields) = span.extensions().get::<SpanFields>()
                    && !fields.0.is_empty()
                {
                    let _ = write!(line, "{{{}}}", fields.0.trim_start());
                }
                line.push_str(": ");
            }
        }
        line.push_str(&text.message);
        line.push_str(&text.fields);
        let meta = event.metadata();
        push((meta.target().to_owned(), python_level(meta.level()), line));
    }
}

/// Installs the layer as the process-wide `tracing` subscriber. When the embedding process already
/// installed one (a Rust host embedding Python), that one wins and records go there instead.
pub fn install() {
    let subscriber = tracing_subscriber::registry().with(PyLogLayer);
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Takes every queued record: `[(target, level, message), ...]`. Called by `mikopbx._logging`.
#[pyfunction]
pub fn drain_logs() -> Vec<LogRecord> {
    let mut taken = {
        let mut queue = QUEUE
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        std::mem::take(&mut *queue)
    };
    let dropped = DROPPED.swap(0, Ordering::Relaxed);
    if dropped > 0 {
        taken.push_front((
            "mikopbx".to_owned(),
            30,
            format!("{dropped} log records were dropped: nothing drained the queue in time"),
        ));
    }
    taken.into()
}

static FLUSH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Hands the queued records to Python `logging` (`mikopbx._logging.flush`). Called with the GIL
/// after every blocking call and page; asyncio results flush in `mikopbx._bridge._deliver`. A
/// failing log handler is reported as unraisable, never as the call's error.
pub fn flush(py: Python<'_>) {
    let flushed = FLUSH
        .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(py.import("mikopbx._logging")?.getattr("flush")?.unbind())
        })
        .and_then(|f| f.call0(py));
    if let Err(err) = flushed {
        err.write_unraisable(py, None);
    }
}

/// Sets the lowest Python level anyone listens to; records below it are not even formatted.
#[pyfunction]
pub fn set_log_level(level: i32) {
    MIN_LEVEL.store(level.max(1), Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The queue is process-wide: tests that use it take turns.
    static SERIAL: Mutex<()> = Mutex::new(());

    #[test]
    fn queues_our_records_with_span_fields_and_honours_the_level() {
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        drain_logs();
        let subscriber = tracing_subscriber::registry().with(PyLogLayer);
        tracing::subscriber::with_default(subscriber, || {
            set_log_level(1);
            let span = tracing::info_span!(target: "mikopbx::client", "call", operation = "extensions.list");
            let _entered = span.enter();
            tracing::debug!(target: "mikopbx::client", status = 200, "request");
            tracing::debug!(target: "hyper::proto", "not ours");
            set_log_level(20);
            tracing::debug!(target: "mikopbx::client", "below the level Python listens at");
            tracing::warn!(target: "mikopbx::retry", "kept");
        });
        set_log_level(30);
        let records = drain_logs();
        let lines: Vec<(&str, i32, &str)> = records
            .iter()
            .map(|(t, l, m)| (t.as_str(), *l, m.as_str()))
            .collect();
        assert_eq!(
            lines,
            vec![
                (
                    "mikopbx::client",
                    10,
                    "call{operation=extensions.list}: request status=200"
                ),
                (
                    "mikopbx::retry",
                    30,
                    "call{operation=extensions.list}: kept"
                ),
            ]
        );
        assert!(drain_logs().is_empty());
    }

    #[test]
    fn a_full_queue_drops_the_oldest_and_says_so() {
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        drain_logs();
        for i in 0..QUEUE_CAPACITY + 5 {
            push(("mikopbx::test".into(), 10, format!("record {i}")));
        }
        let records = drain_logs();
        assert_eq!(records.len(), QUEUE_CAPACITY + 1);
        assert!(records[0].2.contains("5 log records were dropped"));
        assert_eq!(records[1].2, "record 5");
    }
}
