//! The SDK's `tracing` records, queued for a host language's logging (feature `log-queue`).
//!
//! A binding cannot hand records to its language's logger from where they are produced: on tokio
//! worker threads, on a thread blocked in a sync call, inside futures driven by the host's event
//! loop. In Python, taking the GIL there would stall a worker behind whatever Python is doing
//! (pyo3-async-runtimes#58), and a worker waiting for the GIL while the GIL holder waits for that
//! worker's future is a deadlock. So this layer never calls out: it formats the record and
//! appends it to a bounded queue guarded by a plain mutex that is only ever held for a push or a
//! swap. The binding drains the queue ([`drain`]) on its own thread, where calling its logger is
//! safe, after every call and every page.
//!
//! Only the SDK's own targets (`mikopbx…`) are kept. The core never logs the API key, headers or
//! bodies; this layer adds nothing but the fields the core chose to record.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// Records kept while nobody drains them (a long async iteration between flushes, say).
pub const QUEUE_CAPACITY: usize = 10_000;

/// One queued record: the `tracing` target (`mikopbx::transport`), its level, and the message
/// with the fields of the spans it happened in: `call{operation=cdr.list}: request status=200`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRecord {
    /// Where it was logged: `mikopbx::client`, `mikopbx::retry`, …
    pub target: String,
    /// Its level.
    pub level: Level,
    /// The message, after the fields of its spans.
    pub message: String,
}

/// The least severe level anyone listens to, as [`rank`]; above `ERROR` means nobody listens.
/// `WARN` until the binding says otherwise.
static MIN_RANK: AtomicU8 = AtomicU8::new(3);
static QUEUE: Mutex<VecDeque<LogRecord>> = Mutex::new(VecDeque::new());
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// TRACE 0 … ERROR 4: severity as a number that grows with it.
fn rank(level: &Level) -> u8 {
    match *level {
        Level::TRACE => 0,
        Level::DEBUG => 1,
        Level::INFO => 2,
        Level::WARN => 3,
        Level::ERROR => 4,
    }
}

fn is_ours(meta: &Metadata<'_>) -> bool {
    meta.target().starts_with("mikopbx")
}

/// Sets the least severe level anyone listens to (`None`: nobody). Records below it are not
/// even formatted. The host calls this whenever its logger's level may have changed.
pub fn set_min_level(level: Option<Level>) {
    MIN_RANK.store(level.as_ref().map_or(u8::MAX, rank), Ordering::Relaxed);
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

/// Takes every queued record, oldest first. When the queue overflowed since the last drain, a
/// `WARN` record saying how many were dropped comes first.
pub fn drain() -> Vec<LogRecord> {
    let mut taken = {
        let mut queue = QUEUE
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        std::mem::take(&mut *queue)
    };
    let dropped = DROPPED.swap(0, Ordering::Relaxed);
    if dropped > 0 {
        taken.push_front(LogRecord {
            target: "mikopbx".to_owned(),
            level: Level::WARN,
            message: format!(
                "{dropped} log records were dropped: nothing drained the queue in time"
            ),
        });
    }
    taken.into()
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

/// The `tracing` layer that queues the SDK's records.
pub struct QueueLayer;

impl<S> Layer<S> for QueueLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        // "sometimes": the level the host listens at changes at run time.
        if is_ours(meta) {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, meta: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        is_ours(meta) && rank(meta.level()) >= MIN_RANK.load(Ordering::Relaxed)
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
        push(LogRecord {
            target: meta.target().to_owned(),
            level: *meta.level(),
            message: line,
        });
    }
}

/// Installs the layer as the process-wide `tracing` subscriber. When the embedding process already
/// installed one (a Rust host embedding Python, say), that one wins and records go there instead.
pub fn install() {
    let subscriber = tracing_subscriber::registry().with(QueueLayer);
    let _ = tracing::subscriber::set_global_default(subscriber);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The queue is process-wide: tests that use it take turns.
    static SERIAL: Mutex<()> = Mutex::new(());

    #[test]
    fn queues_our_records_with_span_fields_and_honours_the_level() {
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        drain();
        let subscriber = tracing_subscriber::registry().with(QueueLayer);
        tracing::subscriber::with_default(subscriber, || {
            set_min_level(Some(Level::TRACE));
            let span = tracing::info_span!(target: "mikopbx::client", "call", operation = "extensions.list");
            let _entered = span.enter();
            tracing::debug!(target: "mikopbx::client", status = 200, "request");
            tracing::debug!(target: "hyper::proto", "not ours");
            set_min_level(Some(Level::INFO));
            tracing::debug!(target: "mikopbx::client", "below the level the host listens at");
            tracing::warn!(target: "mikopbx::retry", "kept");
            set_min_level(None);
            tracing::error!(target: "mikopbx::retry", "nobody listens");
        });
        set_min_level(Some(Level::WARN));
        let lines: Vec<(String, Level, String)> = drain()
            .into_iter()
            .map(|r| (r.target, r.level, r.message))
            .collect();
        let expected = [
            (
                "mikopbx::client",
                Level::DEBUG,
                "call{operation=extensions.list}: request status=200",
            ),
            (
                "mikopbx::retry",
                Level::WARN,
                "call{operation=extensions.list}: kept",
            ),
        ]
        .map(|(t, l, m)| (t.to_owned(), l, m.to_owned()));
        assert_eq!(lines, expected);
        assert!(drain().is_empty());
    }

    #[test]
    fn a_full_queue_drops_the_oldest_and_says_so() {
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        drain();
        for i in 0..QUEUE_CAPACITY + 5 {
            push(LogRecord {
                target: "mikopbx::test".into(),
                level: Level::DEBUG,
                message: format!("record {i}"),
            });
        }
        let records = drain();
        assert_eq!(records.len(), QUEUE_CAPACITY + 1);
        assert_eq!(records[0].level, Level::WARN);
        assert!(records[0].message.contains("5 log records were dropped"));
        assert_eq!(records[1].message, "record 5");
    }
}
