//! The alerting pipeline's records and rules: what `metrics_gen` writes, what
//! `kafka_alerts` reads, evaluates and emits.

use rill::api::AggregateFunction;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One monitoring sample.
#[derive(rill::Codec, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub host: String,
    pub metric: String,
    pub value: f64,
    /// Event time, milliseconds since the epoch.
    pub time: i64,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// What a rule tests.
#[derive(rill::Codec, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// The window's average is above the threshold.
    AvgAbove,
    /// The window's maximum is above the threshold.
    MaxAbove,
    /// The value rises faster than the threshold per second over the window.
    RateAbove,
    /// No sample at all from the host for `absent_secs`.
    Absent,
}

/// An alert rule. Rules come from a file at start and from the `rules` topic while the job
/// runs; a rule with the id of an existing one replaces it, `"deleted": true` removes it.
#[derive(rill::Codec, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    /// The metric it watches (`Absent` rules watch the host, whatever the metric).
    #[serde(default)]
    pub metric: String,
    pub condition: Condition,
    #[serde(default)]
    pub threshold: f64,
    /// Fires only after this many consecutive windows match (1: at once).
    #[serde(default = "one")]
    pub for_windows: u32,
    #[serde(default)]
    pub absent_secs: u64,
    #[serde(default)]
    pub deleted: bool,
}

fn one() -> u32 {
    1
}

/// Statistics of one host's metric over one window.
#[derive(rill::Codec, Debug, Clone, PartialEq)]
pub struct Stats {
    pub host: String,
    pub metric: String,
    pub window_end: i64,
    pub count: u64,
    pub sum: f64,
    pub max: f64,
    pub first: (i64, f64),
    pub last: (i64, f64),
}

impl Stats {
    pub fn avg(&self) -> f64 {
        self.sum / self.count as f64
    }
    /// Change per second between the window's first and last sample.
    pub fn rate(&self) -> f64 {
        let dt = (self.last.0 - self.first.0) as f64 / 1_000.0;
        if dt <= 0.0 {
            0.0
        } else {
            (self.last.1 - self.first.1) / dt
        }
    }
    /// The value the rule tests, and whether it matches.
    pub fn test(&self, rule: &Rule) -> Option<(f64, bool)> {
        let v = match rule.condition {
            Condition::AvgAbove => self.avg(),
            Condition::MaxAbove => self.max,
            Condition::RateAbove => self.rate(),
            Condition::Absent => return None,
        };
        Some((v, v > rule.threshold))
    }
}

/// The running statistics of a window: count, sum, max, first and last sample by time.
#[derive(Debug, Clone, Copy, rill::Codec)]
pub struct Acc {
    pub count: u64,
    pub sum: f64,
    pub max: f64,
    pub first: (i64, f64),
    pub last: (i64, f64),
}

/// `aggregate` over a window of metrics.
#[derive(Debug, Clone, Copy, Default)]
pub struct MetricStats;

impl AggregateFunction<Metric> for MetricStats {
    type Acc = Acc;
    type Out = Acc;
    fn create_accumulator(&self) -> Acc {
        Acc { count: 0, sum: 0.0, max: f64::MIN, first: (i64::MAX, 0.0), last: (i64::MIN, 0.0) }
    }
    fn add(&self, m: Metric, acc: &mut Acc) {
        acc.count += 1;
        acc.sum += m.value;
        acc.max = acc.max.max(m.value);
        if m.time < acc.first.0 {
            acc.first = (m.time, m.value);
        }
        if m.time >= acc.last.0 {
            acc.last = (m.time, m.value);
        }
    }
    fn get_result(&self, acc: &Acc) -> Acc {
        *acc
    }
    fn merge(&self, mut a: Acc, b: Acc) -> Acc {
        a.count += b.count;
        a.sum += b.sum;
        a.max = a.max.max(b.max);
        if b.first.0 < a.first.0 {
            a.first = b.first;
        }
        if b.last.0 >= a.last.0 {
            a.last = b.last;
        }
        a
    }
}

/// An alert: emitted once when a rule starts firing for a host (and metric), and once,
/// `resolved`, when it stops.
#[derive(rill::Codec, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub rule: String,
    pub host: String,
    pub metric: String,
    /// `firing` or `resolved`.
    pub state: String,
    pub value: f64,
    pub threshold: f64,
    /// The end of the window (or the silence) that decided it, event time.
    pub time: i64,
    /// Milliseconds from the moment the alert became decidable (the production of the first
    /// metric at or after `time` + the out-of-orderness bound; for a silence that ends, the
    /// production of the metric that ends it) to its emission; never from before the job read
    /// its first record (see `latency::first_read_at`).
    pub latency_ms: i64,
}
