//! End-to-end latency of the alerts, as `kafka_alerts` reports it: p50, p99 and maximum,
//! every 10 s while the job runs and for the whole run at its end; beside it the lag of the
//! records as the source reads them, to tell the broker's share from the pipeline's.

use crate::alerts::Alert;
use rill::{JobError, Sink};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static SAMPLES: Mutex<Vec<i64>> = Mutex::new(Vec::new());
static REPORTED: Mutex<Option<Instant>> = Mutex::new(None);
static SOURCE_LAG: Mutex<Vec<i64>> = Mutex::new(Vec::new());
/// When the source read its first record (processing time, ms; `i64::MIN` before).
static FIRST_READ: AtomicI64 = AtomicI64::new(i64::MIN);

thread_local! {
    /// Per source subtask: records seen, and the newest event time.
    static SEEN: std::cell::Cell<(u64, i64)> = const { std::cell::Cell::new((0, i64::MIN)) };
}

/// Samples, for one record in 64 as the source reads it, how long ago it was produced
/// (`event_time` is its production time unless it is out of order: those are left out).
pub fn observe_source_lag(event_time: i64) {
    SEEN.with(|seen| {
        let (n, newest) = seen.get();
        seen.set((n + 1, newest.max(event_time)));
        if n == 0 && FIRST_READ.load(Ordering::Relaxed) == i64::MIN {
            let _ = FIRST_READ.compare_exchange(
                i64::MIN,
                rill::time::processing_time_now(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
        if n % 64 == 0 && event_time >= newest {
            let lag = rill::time::processing_time_now() - event_time;
            SOURCE_LAG.lock().unwrap_or_else(|e| e.into_inner()).push(lag);
        }
    })
}

/// The earliest moment an alert can have become decidable: when the source read its first
/// record. An alert about event time before the job read anything (a late record that is a
/// host's first, say) is decided by the first watermark, so its latency starts here rather
/// than at an event time the job never lived through.
pub fn first_read_at() -> i64 {
    FIRST_READ.load(Ordering::Relaxed)
}

/// p50, p99 and maximum of `samples` (sorted here).
pub fn percentiles(samples: &mut [i64]) -> Option<(i64, i64, i64)> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1];
    Some((at(0.50), at(0.99), samples[samples.len() - 1]))
}

/// The report line for everything recorded so far.
pub fn report(what: &str) -> String {
    let mut samples = SAMPLES.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut lag = SOURCE_LAG.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let alerts = match percentiles(&mut samples) {
        Some((p50, p99, max)) => {
            format!("latency of {what}: p50 {p50} ms, p99 {p99} ms, max {max} ms over {} alerts", samples.len())
        }
        None => format!("latency of {what}: no alerts yet"),
    };
    match percentiles(&mut lag) {
        Some((p50, p99, max)) => format!("{alerts}; source lag: p50 {p50} ms, p99 {p99} ms, max {max} ms"),
        None => alerts,
    }
}

/// Records each alert's latency; reports every 10 s and at the end (on standard error).
#[derive(Clone)]
pub struct LatencySink {
    what: &'static str,
}

impl LatencySink {
    pub fn new(what: &'static str) -> Self {
        LatencySink { what }
    }
}

impl Sink<Alert> for LatencySink {
    fn write(&mut self, alert: Alert) {
        SAMPLES.lock().unwrap_or_else(|e| e.into_inner()).push(alert.latency_ms);
        let mut reported = REPORTED.lock().unwrap_or_else(|e| e.into_inner());
        let last = *reported.get_or_insert_with(Instant::now);
        if last.elapsed() >= Duration::from_secs(10) {
            *reported = Some(Instant::now());
            eprintln!("kafka_alerts: {}", report(self.what));
        }
    }
    fn finish(&mut self) -> Result<(), JobError> {
        eprintln!("kafka_alerts: {}", report(self.what));
        Ok(())
    }
}

/// Counts records in the metric `name` and says how many at the end.
#[derive(Clone)]
pub struct CountSink {
    name: &'static str,
    counter: Option<rill::metrics::Counter>,
}

impl CountSink {
    pub fn new(name: &'static str) -> Self {
        CountSink { name, counter: None }
    }
}

impl<T> Sink<T> for CountSink {
    fn open(&mut self, _: usize, _: usize) -> Result<(), JobError> {
        self.counter = Some(rill::metrics::counter(self.name));
        Ok(())
    }
    fn write(&mut self, _: T) {
        if let Some(c) = &self.counter {
            c.add(1)
        }
    }
    fn finish(&mut self) -> Result<(), JobError> {
        eprintln!("kafka_alerts: {} = {}", self.name, rill::metrics::value(self.name).unwrap_or(0));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut v: Vec<i64> = (1..=100).rev().collect();
        assert_eq!(percentiles(&mut v), Some((50, 99, 100)));
        assert_eq!(percentiles(&mut [7]), Some((7, 7, 7)));
        assert_eq!(percentiles(&mut []), None);
    }
}
