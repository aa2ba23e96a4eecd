//! Metrics: named counters that operators and connectors bump, and gauges that they set,
//! which anyone can read (the job prints the non-zero counters when it ends; the Web UI and
//! metric reporters read them too).
//!
//! ```
//! let c = rill::metrics::counter("doc_example_records");
//! c.add(2);
//! assert_eq!(rill::metrics::value("doc_example_records"), Some(2));
//! ```

pub use super::prometheus;
pub use super::task_metrics::{decode, encode, tasks, Rates, TaskMetrics, TaskSnapshot};
pub use super::vertex_metrics::{vertex_names, JobMetrics};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A counter; clones count into the same total.
#[derive(Clone, Debug, Default)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    /// The count so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

static REGISTRY: Mutex<Vec<(String, Counter)>> = Mutex::new(Vec::new());

/// The counter of this name, created at zero the first time.
pub fn counter(name: &str) -> Counter {
    let mut registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, c)) = registry.iter().find(|(n, _)| n == name) {
        return c.clone();
    }
    let c = Counter::default();
    registry.push((name.to_owned(), c.clone()));
    c
}

/// The value of a counter, if it exists.
pub fn value(name: &str) -> Option<u64> {
    let registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    registry.iter().find(|(n, _)| n == name).map(|(_, c)| c.get())
}

/// Every counter and its value, in the order they were created.
pub fn snapshot() -> Vec<(String, u64)> {
    let registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    registry.iter().map(|(n, c)| (n.clone(), c.get())).collect()
}

/// A gauge: a value that goes up and down (a queue's size, a lag); clones share it.
#[derive(Clone, Debug, Default)]
pub struct Gauge(Arc<AtomicI64>);

impl Gauge {
    /// Sets the gauge to `v`.
    pub fn set(&self, v: i64) {
        self.0.store(v, Ordering::Relaxed);
    }
    /// The gauge's last value.
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

static GAUGES: Mutex<Vec<(String, Gauge)>> = Mutex::new(Vec::new());

/// The gauge of this name (`name{label=value,..}` for one of several), created at zero.
///
/// ```
/// let g = rill::metrics::gauge("doc_example_queue{subtask=0}");
/// g.set(7);
/// assert_eq!(rill::metrics::gauge_value("doc_example_queue{subtask=0}"), Some(7));
/// ```
pub fn gauge(name: &str) -> Gauge {
    let mut registry = GAUGES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, g)) = registry.iter().find(|(n, _)| n == name) {
        return g.clone();
    }
    let g = Gauge::default();
    registry.push((name.to_owned(), g.clone()));
    g
}

/// The value of a gauge, if it exists.
pub fn gauge_value(name: &str) -> Option<i64> {
    let registry = GAUGES.lock().unwrap_or_else(|e| e.into_inner());
    registry.iter().find(|(n, _)| n == name).map(|(_, g)| g.get())
}

/// Every gauge and its value, in the order they were created.
pub fn gauges() -> Vec<(String, i64)> {
    let registry = GAUGES.lock().unwrap_or_else(|e| e.into_inner());
    registry.iter().map(|(n, g)| (n.clone(), g.get())).collect()
}

/// Every counter and gauge of this process, as numbers (for a metrics reporter).
pub fn user_metrics() -> Vec<(String, f64)> {
    let mut all: Vec<(String, f64)> = snapshot().into_iter().map(|(n, v)| (n, v as f64)).collect();
    all.extend(gauges().into_iter().map(|(n, v)| (n, v as f64)));
    all
}

/// The most user metrics one line carries ([`encode_user`]).
pub const MAX_USER_METRICS: usize = 1000;

/// Counters and gauges as one line of `HEXNAME=VALUE` tokens (the name in hex, so that no
/// name breaks the line), for a worker's metrics to travel to the JobManager.
pub fn encode_user(metrics: &[(String, f64)]) -> String {
    let hex = super::hex::hex;
    let tokens: Vec<String> = metrics.iter().take(MAX_USER_METRICS).map(|(n, v)| format!("{}={v}", hex(n))).collect();
    tokens.join(" ")
}

/// What [`encode_user`] made; `None` if any token is not one.
///
/// ```
/// let line = rill::metrics::encode_user(&[("kafka_source_records_lag{subtask=0}".into(), 12.0)]);
/// assert_eq!(rill::metrics::decode_user(&line), Some(vec![("kafka_source_records_lag{subtask=0}".into(), 12.0)]));
/// assert_eq!(rill::metrics::decode_user("zz=1"), None);
/// ```
pub fn decode_user(line: &str) -> Option<Vec<(String, f64)>> {
    let mut metrics = Vec::new();
    for token in line.split(' ').filter(|t| !t.is_empty()).take(MAX_USER_METRICS) {
        let (hex, value) = token.split_once('=')?;
        if hex.len() > 512 {
            return None;
        }
        metrics.push((super::hex::unhex(hex)?, value.parse().ok()?));
    }
    Some(metrics)
}

/// A process's resident memory in bytes (0 if it is gone): what the Web UI shows of a
/// TaskManager and its workers, or of a job run alone.
pub fn resident_memory(pid: u32) -> u64 {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).unwrap_or_default();
    statm.split_whitespace().nth(1).and_then(|pages| pages.parse::<u64>().ok()).map_or(0, |pages| pages * 4096)
}
