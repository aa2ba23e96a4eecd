//! Generated monitoring metrics for the examples: hosts reporting CPU and latency, with some
//! records out of order, some late, and one host misbehaving.

use rill::api::AggregateFunction;

/// One measurement.
#[derive(rill::Codec, Debug, Clone, PartialEq)]
pub struct Metric {
    pub host: String,
    pub metric: &'static str,
    pub value: f64,
    /// Event time, ms.
    pub time: i64,
}

/// The metrics of `hosts` hosts, every series once per 100 ms of event time, starting at
/// event time 0. `hot_host` runs its CPU near 97%. About 3% of records are out of order (up
/// to 1.5 s behind) and 0.5% late (30 s behind), from a fixed seed.
pub fn generate(events: usize, hosts: usize, hot_host: usize) -> impl Iterator<Item = Metric> + Clone + Send {
    (0..events).map(move |i| {
        let series = i % (hosts * 2);
        let host = series / 2;
        let metric = if series.is_multiple_of(2) { "cpu" } else { "latency_ms" };
        let round = (i / (hosts * 2)) as i64;
        let r = noise(i as u64);
        let mut time = round * 100;
        if r % 200 == 7 && time > 60_000 {
            time -= 30_000; // late
        } else if r % 33 == 5 {
            time -= (r % 1_500) as i64; // out of order
        }
        let jitter = (r % 1000) as f64 / 100.0;
        let value = match (metric, host == hot_host) {
            ("cpu", true) => 92.0 + jitter / 2.0,
            ("cpu", false) => 30.0 + jitter * 3.0,
            (_, true) => 180.0 + jitter * 8.0,
            _ => 20.0 + jitter * 2.0,
        };
        Metric { host: format!("host-{host}"), metric, value, time }
    })
}

fn noise(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x
}

/// Count, average and maximum of a series over a window.
#[derive(rill::Codec, Debug, Clone, PartialEq)]
pub struct Stats {
    pub host: String,
    pub metric: &'static str,
    pub count: u64,
    pub avg: f64,
    pub max: f64,
}

/// The window aggregate behind [`Stats`].
#[derive(Clone, Copy, Debug, Default)]
pub struct SeriesStats;

impl AggregateFunction<Metric> for SeriesStats {
    type Acc = (Option<(String, &'static str)>, u64, f64, f64);
    type Out = Stats;
    fn create_accumulator(&self) -> Self::Acc {
        (None, 0, 0.0, f64::NEG_INFINITY)
    }
    fn add(&self, m: Metric, acc: &mut Self::Acc) {
        if acc.0.is_none() {
            acc.0 = Some((m.host, m.metric));
        }
        acc.1 += 1;
        acc.2 += m.value;
        acc.3 = acc.3.max(m.value);
    }
    fn get_result(&self, acc: &Self::Acc) -> Stats {
        let (host, metric) = acc.0.clone().unwrap_or_default();
        Stats { host, metric, count: acc.1, avg: acc.2 / acc.1 as f64, max: acc.3 }
    }
    fn merge(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc {
        (a.0.or(b.0), a.1 + b.1, a.2 + b.2, a.3.max(b.3))
    }
}
