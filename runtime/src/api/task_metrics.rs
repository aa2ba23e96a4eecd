//! Flink's task metrics, per vertex (a chain) and subtask: `numRecordsIn`, `numRecordsOut`,
//! the time a task was busy, idle (waiting for input) and back-pressured (waiting for room
//! downstream), and its input watermark. Each running task counts into integers of its own
//! (one cache line, written by that task alone, once per batch rather than per record), so
//! counting costs nothing measurable; readers take [`tasks`] snapshots, and rates come from
//! two snapshots ([`Rates`]).
//!
//! ```
//! use rill::prelude::*;
//!
//! #[rill::job(no_main)]
//! fn doubled(env: &mut Env) {
//!     env.from_sequence(1, 100_000).rebalance().map(|n| n * 2).discard();
//! }
//!
//! DOUBLED_JOB.run(Some(1), &[]).unwrap();
//! let tasks = rill::metrics::tasks();
//! let map = tasks.iter().find(|t| t.job == "doubled" && t.records_in > 0).unwrap();
//! assert_eq!(map.records_in, 100_000);
//! let source = tasks.iter().find(|t| t.job == "doubled" && t.vertex != map.vertex).unwrap();
//! assert_eq!(source.records_out, 100_000);
//! // A bounded source says how much of its input it has read.
//! assert_eq!(source.input, Some((100_000, 100_000)));
//! ```

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What one task counts. Aligned to a cache line: tasks on other cores never share it.
#[repr(align(64))]
#[derive(Debug)]
pub struct TaskMetrics {
    records_in: AtomicU64,
    records_out: AtomicU64,
    idle_nanos: AtomicU64,
    backpressured_nanos: AtomicU64,
    late_dropped: AtomicU64,
    /// The input watermark, `i64::MIN` before the first.
    watermark: AtomicI64,
    started: Instant,
    /// Set when the task has ended: its time stops counting.
    ended_nanos: AtomicU64,
    /// A bounded source's progress: read of total (0: not known), in the source's unit.
    input_read: AtomicU64,
    input_total: AtomicU64,
}

impl TaskMetrics {
    fn new() -> Self {
        TaskMetrics {
            records_in: AtomicU64::new(0),
            records_out: AtomicU64::new(0),
            idle_nanos: AtomicU64::new(0),
            backpressured_nanos: AtomicU64::new(0),
            late_dropped: AtomicU64::new(0),
            watermark: AtomicI64::new(i64::MIN),
            started: Instant::now(),
            ended_nanos: AtomicU64::new(0),
            input_read: AtomicU64::new(0),
            input_total: AtomicU64::new(0),
        }
    }

    /// `n` records came in.
    #[inline]
    pub fn records_in(&self, n: usize) {
        self.records_in.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// `n` records went out to an exchange.
    #[inline]
    pub fn records_out(&self, n: usize) {
        self.records_out.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// The task waited `d` for input.
    #[inline]
    pub fn idle(&self, d: Duration) {
        self.idle_nanos.fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
    }

    /// The task waited `d` for room downstream.
    #[inline]
    pub fn backpressured(&self, d: Duration) {
        self.backpressured_nanos.fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
    }

    /// A window operator of the task dropped `n` late records.
    #[inline]
    pub fn late_dropped(&self, n: u64) {
        self.late_dropped.fetch_add(n, Ordering::Relaxed);
    }

    /// The task's input watermark moved to `w`.
    #[inline]
    pub fn watermark(&self, w: i64) {
        self.watermark.store(w, Ordering::Relaxed);
    }

    /// The task's source has read `read` of its `total` input.
    #[inline]
    pub fn input(&self, read: u64, total: u64) {
        self.input_read.store(read, Ordering::Relaxed);
        self.input_total.store(total, Ordering::Relaxed);
    }

    /// The task has ended.
    pub fn ended(&self) {
        self.ended_nanos.store(self.started.elapsed().as_nanos() as u64, Ordering::Relaxed);
    }
}

/// A task's figures at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSnapshot {
    /// The job's name.
    pub job: String,
    /// The vertex: the chain's id in the plan.
    pub vertex: u32,
    /// The vertex's name (its operators, as the plan names the chain).
    pub name: String,
    /// The subtask's index, from 0.
    pub subtask: usize,
    /// Records that came into the task (from its input channels; 0 for a source).
    pub records_in: u64,
    /// Records the task sent to exchanges (0 for a chain that ends in sinks).
    pub records_out: u64,
    /// Nanoseconds it has run (until it ended).
    pub running_nanos: u64,
    /// Of those, waiting for input.
    pub idle_nanos: u64,
    /// Of those, waiting for room downstream.
    pub backpressured_nanos: u64,
    /// Late records its window operators dropped (`numLateRecordsDropped`).
    pub late_dropped: u64,
    /// The input watermark, if one came (`currentInputWatermark`).
    pub watermark: Option<i64>,
    /// Whether the task has ended.
    pub ended: bool,
    /// How much of a bounded input its source has read: `(read, total)` in the source's
    /// unit (records, bytes, offsets); `None` where the source does not know its size.
    pub input: Option<(u64, u64)>,
}

impl TaskSnapshot {
    /// Nanoseconds neither idle nor back-pressured.
    pub fn busy_nanos(&self) -> u64 {
        self.running_nanos.saturating_sub(self.idle_nanos + self.backpressured_nanos)
    }
}

struct Entry {
    job: String,
    vertex: u32,
    name: String,
    subtask: usize,
    metrics: Arc<TaskMetrics>,
}

static TASKS: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

/// The metrics of a task starting now (a restarted task starts again from zero, as
/// Flink's).
pub(crate) fn register(job: &str, vertex: u32, name: &str, subtask: usize) -> Arc<TaskMetrics> {
    let metrics = Arc::new(TaskMetrics::new());
    let mut tasks = TASKS.lock().unwrap_or_else(|e| e.into_inner());
    tasks.retain(|e| !(e.job == job && e.vertex == vertex && e.subtask == subtask));
    tasks.push(Entry { job: job.to_owned(), vertex, name: name.to_owned(), subtask, metrics: metrics.clone() });
    metrics
}

/// Every task's figures, in the order they started.
pub fn tasks() -> Vec<TaskSnapshot> {
    let tasks = TASKS.lock().unwrap_or_else(|e| e.into_inner());
    tasks
        .iter()
        .map(|e| {
            let m = &e.metrics;
            let ended = m.ended_nanos.load(Ordering::Relaxed);
            let watermark = m.watermark.load(Ordering::Relaxed);
            TaskSnapshot {
                job: e.job.clone(),
                vertex: e.vertex,
                name: e.name.clone(),
                subtask: e.subtask,
                records_in: m.records_in.load(Ordering::Relaxed),
                records_out: m.records_out.load(Ordering::Relaxed),
                running_nanos: if ended > 0 { ended } else { m.started.elapsed().as_nanos() as u64 },
                idle_nanos: m.idle_nanos.load(Ordering::Relaxed),
                backpressured_nanos: m.backpressured_nanos.load(Ordering::Relaxed),
                late_dropped: m.late_dropped.load(Ordering::Relaxed),
                watermark: (watermark != i64::MIN).then_some(watermark),
                ended: ended > 0,
                input: match m.input_total.load(Ordering::Relaxed) {
                    0 => None,
                    total => Some((m.input_read.load(Ordering::Relaxed), total)),
                },
            }
        })
        .collect()
}

/// The most tasks one line carries ([`encode`]); more are left out.
pub const MAX_TASKS_PER_LINE: usize = 1000;

/// The tasks' figures as one line of tokens, `VERTEX:SUBTASK:IN:OUT:RUN:IDLE:BP:LATE:WM[:E][:PREAD/TOTAL]`
/// (`WM` is `-` before the first watermark, `E` marks an ended task, `P` a bounded
/// source's progress), for a worker's
/// metrics to travel to its coordinator and the JobManager. At most
/// [`MAX_TASKS_PER_LINE`] tasks, about 60 bytes each: it stays within a control line.
pub fn encode(tasks: &[TaskSnapshot]) -> String {
    let tokens: Vec<String> = tasks
        .iter()
        .take(MAX_TASKS_PER_LINE)
        .map(|t| {
            let wm = t.watermark.map_or_else(|| "-".to_owned(), |w| w.to_string());
            let ended = if t.ended { ":E" } else { "" };
            let input = t.input.map_or_else(String::new, |(read, total)| format!(":P{read}/{total}"));
            format!(
                "{}:{}:{}:{}:{}:{}:{}:{}:{wm}{ended}{input}",
                t.vertex,
                t.subtask,
                t.records_in,
                t.records_out,
                t.running_nanos,
                t.idle_nanos,
                t.backpressured_nanos,
                t.late_dropped
            )
        })
        .collect();
    tokens.join(" ")
}

/// The tasks of a line [`encode`] made, for job `job`, their vertices named by `name`;
/// `None` if any token is not one (a line from a peer is checked, never trusted).
pub fn decode(line: &str, job: &str, name: impl Fn(u32) -> String) -> Option<Vec<TaskSnapshot>> {
    let mut tasks = Vec::new();
    for token in line.split(' ').filter(|t| !t.is_empty()).take(MAX_TASKS_PER_LINE) {
        let fields: Vec<&str> = token.split(':').collect();
        if fields.len() < 9 {
            return None;
        }
        let (mut ended, mut input) = (false, None);
        for field in &fields[9..] {
            match field.strip_prefix('P').and_then(|p| p.split_once('/')) {
                Some((read, total)) if input.is_none() => input = Some((read.parse().ok()?, total.parse().ok()?)),
                None if *field == "E" && !ended && input.is_none() => ended = true,
                _ => return None,
            }
        }
        let n = |i: usize| fields[i].parse::<u64>().ok();
        let vertex: u32 = fields[0].parse().ok()?;
        tasks.push(TaskSnapshot {
            job: job.to_owned(),
            vertex,
            name: name(vertex),
            subtask: fields[1].parse().ok()?,
            records_in: n(2)?,
            records_out: n(3)?,
            running_nanos: n(4)?,
            idle_nanos: n(5)?,
            backpressured_nanos: n(6)?,
            late_dropped: n(7)?,
            watermark: match fields[8] {
                "-" => None,
                w => Some(w.parse().ok()?),
            },
            ended,
            input,
        });
    }
    Some(tasks)
}

/// A task's rates between two snapshots: Flink's `numRecordsInPerSecond`,
/// `numRecordsOutPerSecond`, `busyTimeMsPerSecond`, `idleTimeMsPerSecond`,
/// `backPressuredTimeMsPerSecond`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rates {
    /// Records in per second.
    pub records_in: f64,
    /// Records out per second.
    pub records_out: f64,
    /// Milliseconds per second busy.
    pub busy: f64,
    /// Milliseconds per second idle.
    pub idle: f64,
    /// Milliseconds per second back-pressured.
    pub backpressured: f64,
}

impl Rates {
    /// The rates from `before` to `now` (the same task's snapshots).
    pub fn between(before: &TaskSnapshot, now: &TaskSnapshot) -> Rates {
        let nanos = now.running_nanos.saturating_sub(before.running_nanos);
        if nanos == 0 {
            return Rates::default();
        }
        let seconds = nanos as f64 / 1e9;
        let ms_per_s = |a: u64, b: u64| (a.saturating_sub(b) as f64 / 1e6 / seconds).min(1000.0);
        Rates {
            records_in: now.records_in.saturating_sub(before.records_in) as f64 / seconds,
            records_out: now.records_out.saturating_sub(before.records_out) as f64 / seconds,
            busy: ms_per_s(now.busy_nanos(), before.busy_nanos()),
            idle: ms_per_s(now.idle_nanos, before.idle_nanos),
            backpressured: ms_per_s(now.backpressured_nanos, before.backpressured_nanos),
        }
    }

    /// Flink's back-pressure level for this share of time back-pressured: OK up to 10 %,
    /// LOW up to 50 %, HIGH above.
    pub fn backpressure_level(&self) -> &'static str {
        match self.backpressured / 1000.0 {
            r if r <= 0.10 => "OK",
            r if r <= 0.50 => "LOW",
            _ => "HIGH",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_cross_a_line_and_a_bad_line_is_refused() {
        let t = TaskSnapshot {
            job: "j".into(),
            vertex: 3,
            name: "Map".into(),
            subtask: 1,
            records_in: 10,
            records_out: 9,
            running_nanos: 5_000,
            idle_nanos: 1_000,
            backpressured_nanos: 2_000,
            late_dropped: 4,
            watermark: Some(-7),
            ended: true,
            input: Some((5, 9)),
        };
        let u = TaskSnapshot { watermark: None, ended: false, input: None, ..t.clone() };
        let line = encode(&[t.clone(), u.clone()]);
        assert_eq!(line, "3:1:10:9:5000:1000:2000:4:-7:E:P5/9 3:1:10:9:5000:1000:2000:4:-");
        assert_eq!(decode(&line, "j", |_| "Map".into()), Some(vec![t, u.clone()]));
        for bad in [
            "3:1:10",
            "3:1:10:9:5000:1000:2000:0:-:X",
            "a:1:1:1:1:1:1:1:-",
            "3:1:-1:1:1:1:1:1:-",
            "3:1:1:1:1:1:1:1:-:E:E",
            "3:1:1:1:1:1:1:1:-:P1",
            "3:1:1:1:1:1:1:1:-:P1/2:P1/2",
            "3:1:1:1:1:1:1:1:-:P1/2:E",
        ] {
            assert_eq!(decode(bad, "j", |_| String::new()), None, "{bad}");
        }
        let before =
            TaskSnapshot { records_in: 0, running_nanos: 0, idle_nanos: 0, backpressured_nanos: 0, ..u.clone() };
        let later =
            TaskSnapshot { records_in: 1000, running_nanos: 1_000_000_000, backpressured_nanos: 600_000_000, ..u };
        let r = Rates::between(&before, &later);
        assert_eq!((r.records_in, r.backpressured, r.backpressure_level()), (1000.0, 600.0, "HIGH"));
    }
}
