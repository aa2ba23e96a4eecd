//! Event time and windows, checked against a real Flink 2.3 on the same input:
//! `tests/flink/WindowSemantics.java` runs these jobs on Flink and `tests/flink/expected.txt`
//! is what it printed (`tests/flink/run.sh` regenerates it).

mod common;

use common::{collect, Collected};
use rill::prelude::*;
use rill::sinks::show::Show;
use std::time::Duration;

/// What Flink printed for one job (`name> record` lines), sorted.
fn flink(name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/flink/expected.txt")).unwrap();
    let prefix = format!("{name}> ");
    let mut lines: Vec<String> = text.lines().filter_map(|l| l.strip_prefix(&prefix)).map(str::to_owned).collect();
    assert!(!lines.is_empty(), "no Flink output for {name}");
    lines.sort();
    lines
}

/// Rill's records as Flink prints them, sorted.
fn printed<T: Show>(values: Vec<T>) -> Vec<String> {
    let mut lines: Vec<String> = values
        .iter()
        .map(|v| {
            let mut s = String::new();
            v.show(&mut s);
            s
        })
        .collect();
    lines.sort();
    lines
}

/// (key, event time ms, value)
const EVENTS: [(&str, i64, i64); 10] = [
    ("a", 1_000, 1),
    ("a", 1_500, 2),
    ("b", 1_200, 10),
    ("a", 2_100, 3),
    ("a", 900, 4), // out of order, within the bound: still in [0, 2000)
    ("b", 3_500, 20),
    ("a", 5_000, 5), // watermark -> 4_799 eventually
    ("a", 1_100, 6), // late: its window [0, 2000) has passed the watermark when it arrives
    ("b", 4_999, 30),
    ("a", 7_000, 7),
];

/// Bounded out-of-orderness that emits its watermark after every event (punctuated), so
/// that which records are late does not depend on timing. The same generator runs in the
/// Flink job the expected results come from.
#[derive(Clone)]
struct EveryEvent {
    bound: i64,
    max: i64,
}

impl<T> WatermarkGenerator<T> for EveryEvent {
    fn on_event(&mut self, _: &T, timestamp: i64) -> Option<i64> {
        self.max = self.max.max(timestamp);
        Some(self.max - self.bound - 1)
    }
    fn on_periodic_emit(&mut self) -> Option<i64> {
        None
    }
}

static TUMBLING: Collected<(String, i64, i64)> = Collected::new();

#[rill::job(no_main)]
fn tumbling(env: &mut Env) {
    env.from_iter(EVENTS.iter().copied())
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_generator(EveryEvent { bound: 200, max: i64::MIN + 201 })
                .with_timestamp_assigner(|(_, ts, _), _| *ts),
        )
        .map(|(k, ts, v)| (k.to_owned(), ts, v))
        .key_by(|(k, _, _)| k.clone())
        .window(TumblingEventTimeWindows::of(Duration::from_secs(2)))
        .sum(2)
        .sink_to(collect(&TUMBLING));
}

#[test]
fn tumbling_event_time_windows_sum_per_key_and_drop_late_records() {
    TUMBLING_JOB.run(Some(1), &[]).unwrap();
    // Per key and 2 s window: the first record's fields, the sum of field 2. The record
    // ("a", 1100, 6) arrives after the watermark passed 1999 and is dropped.
    assert_eq!(printed(TUMBLING.values()), flink("tumbling"));
    assert!(flink("tumbling").contains(&"(a,1000,7)".to_owned()));
    // Flink's numLateRecordsDropped counts it.
    assert_eq!(late_dropped("tumbling"), 1);
}

/// The late records job `job`'s window operators dropped (Flink's `numLateRecordsDropped`).
fn late_dropped(job: &str) -> u64 {
    rill::metrics::tasks().iter().filter(|t| t.job == job).map(|t| t.late_dropped).sum()
}

#[derive(Clone)]
struct CountAvgMax;

impl AggregateFunction<(u32, i64, f64)> for CountAvgMax {
    type Acc = (u64, f64, f64);
    type Out = (u64, f64, f64);
    fn create_accumulator(&self) -> Self::Acc {
        (0, 0.0, f64::NEG_INFINITY)
    }
    fn add(&self, (_, _, v): (u32, i64, f64), acc: &mut Self::Acc) {
        acc.0 += 1;
        acc.1 += v;
        acc.2 = acc.2.max(v);
    }
    fn get_result(&self, acc: &Self::Acc) -> Self::Out {
        (acc.0, acc.1 / acc.0 as f64, acc.2)
    }
    fn merge(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc {
        (a.0 + b.0, a.1 + b.1, a.2.max(b.2))
    }
}

static SLIDING: Collected<(u64, f64, f64)> = Collected::new();

#[rill::job(no_main)]
fn sliding(env: &mut Env) {
    env.from_iter((0..10i64).map(|i| (1u32, i * 500, i as f64)))
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|r, _| r.1),
        )
        .key_by(|r| r.0)
        .window(SlidingEventTimeWindows::of(Duration::from_secs(2), Duration::from_secs(1)))
        .aggregate(CountAvgMax)
        .sink_to(collect(&SLIDING));
}

#[test]
fn sliding_windows_aggregate_every_window_a_record_falls_in() {
    SLIDING_JOB.run(Some(2), &[]).unwrap();
    let got = SLIDING.values();
    // Timestamps 0, 500, .., 4500 with values 0..9; windows of 2 s every 1 s, fired in
    // order of their end: [-1000,1000) [0,2000) [1000,3000) ...
    assert_eq!(got[0], (2, 0.5, 1.0));
    assert_eq!(got[5], (2, 8.5, 9.0));
    assert_eq!(printed(got), flink("sliding"));
}

static REDUCED: Collected<(&'static str, i64)> = Collected::new();

#[rill::job(no_main)]
fn window_reduce(env: &mut Env) {
    env.from_elements([("x", 10i64), ("x", 20), ("y", 1), ("x", 1_010)])
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|r, _| r.1),
        )
        .key_by(|r| r.0)
        .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
        .reduce(|a, b| (a.0, a.1 + b.1))
        .sink_to(collect(&REDUCED));
}

#[test]
fn window_reduce_folds_the_records_of_each_window() {
    WINDOW_REDUCE_JOB.run(Some(1), &[]).unwrap();
    assert_eq!(printed(REDUCED.values()), flink("reduce"));
}

static PROCESSED: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn window_process(env: &mut Env) {
    env.from_elements([("k", 100i64), ("k", 300), ("k", 1_700)])
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|r, _| r.1),
        )
        .key_by(|r| r.0.to_owned())
        .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
        .process(|key, window, elements, out| {
            out.collect(format!("{key} [{}, {}) n={}", window.start, window.end, elements.len()))
        })
        .sink_to(collect(&PROCESSED));
}

#[test]
fn window_process_sees_the_key_the_window_and_all_elements() {
    WINDOW_PROCESS_JOB.run(Some(1), &[]).unwrap();
    assert_eq!(PROCESSED.values(), flink("process"));
}

static CROWDED: OutputTag<String> = OutputTag::new("crowded");
static CROWDED_WINDOWS: Collected<String> = Collected::new();
static COUNTED_PER_WINDOW: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn window_side_output(env: &mut Env) {
    let per_window = env
        .from_elements([("k", 100i64), ("k", 300), ("j", 500), ("k", 1_700)])
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|r, _| r.1),
        )
        .key_by(|r| r.0.to_owned())
        .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
        .process(|key, ctx, elements, out| {
            out.collect(format!("{key} n={}", elements.len()));
            if elements.len() > 1 {
                ctx.output(&CROWDED, format!("{key} [{}, {}) n={}", ctx.start, ctx.end, elements.len()));
            }
        });
    per_window.sink_to(collect(&COUNTED_PER_WINDOW));
    per_window
        .side_output(&CROWDED)
        .process(|s, ctx, out| out.collect(format!("{s} @{}", ctx.timestamp().unwrap())))
        .sink_to(collect(&CROWDED_WINDOWS));
}

#[test]
fn a_process_window_function_writes_side_outputs_at_the_windows_last_timestamp() {
    WINDOW_SIDE_OUTPUT_JOB.run(Some(2), &[]).unwrap();
    assert_eq!(printed(CROWDED_WINDOWS.values()), flink("window-side"));
    assert_eq!(printed(COUNTED_PER_WINDOW.values()), ["j n=1", "k n=1", "k n=2"]);
}

/// How many records a window holds.
#[derive(Clone)]
struct CountOf;

impl AggregateFunction<(u8, i64)> for CountOf {
    type Acc = u64;
    type Out = u64;
    fn create_accumulator(&self) -> u64 {
        0
    }
    fn add(&self, _: (u8, i64), acc: &mut u64) {
        *acc += 1;
    }
    fn get_result(&self, acc: &u64) -> u64 {
        *acc
    }
    fn merge(&self, a: u64, b: u64) -> u64 {
        a + b
    }
}

static SIDE_KINDS: OutputTag<(&'static str, i64)> = OutputTag::new("kinds");
static SIDE_KIND_RECORDS: Collected<(&'static str, i64)> = Collected::new();

/// Side outputs from the window functions of session, count and sliding (pane) windows,
/// each operator its own code path.
#[rill::job(no_main)]
fn window_kinds_side_output(env: &mut Env) {
    let events = env.from_elements([(1u8, 100i64), (1, 300), (1, 5_000)]).assign_timestamps_and_watermarks(
        WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|r, _| r.1),
    );
    let sessions = events.key_by(|r| r.0).window(EventTimeSessionWindows::with_gap(Duration::from_secs(1))).process(
        |_, ctx, elements, out| {
            ctx.output(&SIDE_KINDS, ("session", ctx.end));
            out.collect(elements.len())
        },
    );
    let counts = events.key_by(|r| r.0).count_window(2).process(|_, ctx, elements, out| {
        ctx.output(&SIDE_KINDS, ("count", elements.len() as i64));
        out.collect(elements.len())
    });
    let slides = events
        .key_by(|r| r.0)
        .window(SlidingEventTimeWindows::of(Duration::from_secs(2), Duration::from_secs(1)))
        .aggregate(CountOf, |_, ctx, n, out| {
            ctx.output(&SIDE_KINDS, ("sliding", ctx.end * 10 + n as i64));
            out.collect(n as usize)
        });
    sessions.side_output(&SIDE_KINDS).sink_to(collect(&SIDE_KIND_RECORDS));
    counts.side_output(&SIDE_KINDS).sink_to(collect(&SIDE_KIND_RECORDS));
    slides.side_output(&SIDE_KINDS).sink_to(collect(&SIDE_KIND_RECORDS));
    sessions.union(counts, slides).discard();
}

#[test]
fn session_count_and_sliding_window_functions_write_side_outputs() {
    WINDOW_KINDS_SIDE_OUTPUT_JOB.run(Some(2), &[]).unwrap();
    let mut got = SIDE_KIND_RECORDS.values();
    got.sort();
    assert_eq!(
        got,
        [
            ("count", 2),
            ("session", 1_300),
            ("session", 6_000),
            ("sliding", 10_002),
            ("sliding", 20_002),
            ("sliding", 60_001),
            ("sliding", 70_001),
        ]
    );
}

static STAMPS: Collected<i64> = Collected::new();

#[rill::job(no_main)]
fn result_timestamps(env: &mut Env) {
    env.from_elements([(1u8, 10i64), (1, 2_500)])
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|r, _| r.1),
        )
        .key_by(|r| r.0)
        .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
        .max(1)
        .process(|_, ctx, out| out.collect(ctx.timestamp().unwrap()))
        .sink_to(collect(&STAMPS));
}

#[test]
fn a_window_result_carries_the_windows_last_timestamp() {
    RESULT_TIMESTAMPS_JOB.run(Some(1), &[]).unwrap();
    assert_eq!(printed(STAMPS.values()), flink("timestamps"));
}

#[rill::job(no_main)]
fn no_timestamps(env: &mut Env) {
    env.from_elements([(1u8, 1i64)])
        .key_by(|r| r.0)
        .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
        .sum(1)
        .discard();
}

#[test]
fn an_event_time_window_without_timestamps_says_what_is_missing() {
    let err = NO_TIMESTAMPS_JOB.run(Some(1), &[]).unwrap_err().to_string();
    assert!(err.contains("Window(TumblingEventTimeWindows, sum)"), "{err}");
    assert!(err.contains("call assign_timestamps_and_watermarks"), "{err}");
}

#[rill::job(no_main)]
fn strategy_without_assigner(env: &mut Env) {
    env.from_elements([(1u8, 1i64)])
        .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps())
        .key_by(|r| r.0)
        .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
        .sum(1)
        .discard();
}

#[test]
fn a_strategy_without_a_timestamp_assigner_says_so() {
    // The user did call assign_timestamps_and_watermarks: the message says what is missing.
    let err = STRATEGY_WITHOUT_ASSIGNER_JOB.run(Some(1), &[]).unwrap_err().to_string();
    assert!(err.contains("the watermark strategy has no timestamp assigner"), "{err}");
    assert!(err.contains(".with_timestamp_assigner("), "{err}");
}

/// A record that may carry the watermark its source vouches for (a marker record).
type Marked = (&'static str, i64, Option<i64>);

/// Watermarks from marker records, whatever their own timestamp: Flink's generators see the
/// record for this.
#[derive(Clone)]
struct FromMarkers;

impl WatermarkGenerator<Marked> for FromMarkers {
    fn on_event(&mut self, record: &Marked, _: i64) -> Option<i64> {
        record.2
    }
    fn on_periodic_emit(&mut self) -> Option<i64> {
        None
    }
}

static MARKED: Collected<(String, i64)> = Collected::new();

#[rill::job(no_main)]
fn marked(env: &mut Env) {
    let records: [Marked; 3] = [("a", 100, None), ("m", 150, Some(5_000)), ("a", 200, None)];
    env.from_elements(records)
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_generator(FromMarkers).with_timestamp_assigner(|r, _| r.1),
        )
        .map(|(k, _, _)| (k.to_owned(), 1i64))
        .key_by(|(k, _)| k.clone())
        .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
        .sum(1)
        .sink_to(collect(&MARKED));
}

#[test]
fn a_watermark_generator_sees_the_record() {
    // The marker's watermark (5 s) passes the first second before the last record comes:
    // that record is late, although no timestamp seen was past it.
    MARKED_JOB.run(Some(1), &[]).unwrap();
    let mut got = MARKED.values();
    got.sort();
    assert_eq!(got, [("a".to_owned(), 1), ("m".to_owned(), 1)]);
}

static LATE: OutputTag<(&'static str, i64, i64)> = OutputTag::new("late");
static ON_TIME: Collected<(&'static str, i64, i64)> = Collected::new();
static LATE_RECORDS: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn late_side_output(env: &mut Env) {
    let sums = env
        .from_iter(EVENTS.iter().copied())
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_generator(EveryEvent { bound: 200, max: i64::MIN + 201 })
                .with_timestamp_assigner(|(_, ts, _), _| *ts),
        )
        .key_by(|(k, _, _)| *k)
        .window(TumblingEventTimeWindows::of(Duration::from_secs(2)))
        .side_output_late_data(&LATE)
        .sum(2);
    sums.sink_to(collect(&ON_TIME));
    sums.side_output(&LATE).map(|(k, ts, v)| format!("late {k}@{ts}={v}")).sink_to(collect(&LATE_RECORDS));
}

#[test]
fn records_too_late_for_their_window_go_to_the_side_output() {
    LATE_SIDE_OUTPUT_JOB.run(Some(1), &[]).unwrap();
    assert_eq!(LATE_RECORDS.values(), ["late a@1100=6"]);
    assert_eq!(printed(ON_TIME.values()), flink("tumbling"));
    assert_eq!(late_dropped("late_side_output"), 0, "a record sent to the side output is not dropped");
}

static LATE_FIRINGS: Collected<(&'static str, i64, i64)> = Collected::new();

#[rill::job(no_main)]
fn allowed_lateness(env: &mut Env) {
    env.from_iter(EVENTS.iter().copied())
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_generator(EveryEvent { bound: 200, max: i64::MIN + 201 })
                .with_timestamp_assigner(|(_, ts, _), _| *ts),
        )
        .key_by(|(k, _, _)| *k)
        .window(TumblingEventTimeWindows::of(Duration::from_secs(2)))
        .allowed_lateness(Duration::from_secs(5))
        .sum(2)
        .sink_to(collect(&LATE_FIRINGS));
}

#[test]
fn allowed_lateness_keeps_windows_and_fires_again_for_late_records() {
    ALLOWED_LATENESS_JOB.run(Some(1), &[]).unwrap();
    assert_eq!(printed(LATE_FIRINGS.values()), flink("lateness"));
}

/// Sum and count of field 1, per window (an aggregate whose merge is exact).
#[derive(Clone)]
struct SumCount;

impl AggregateFunction<(u32, i64, i64)> for SumCount {
    type Acc = (i64, u64);
    type Out = (i64, u64);
    fn create_accumulator(&self) -> Self::Acc {
        (0, 0)
    }
    fn add(&self, v: (u32, i64, i64), acc: &mut Self::Acc) {
        acc.0 += v.2;
        acc.1 += 1;
    }
    fn get_result(&self, acc: &Self::Acc) -> Self::Out {
        *acc
    }
    fn merge(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc {
        (a.0 + b.0, a.1 + b.1)
    }
}

/// Pseudo-random metrics: 7 keys, time moving forward with out-of-order and late records.
fn shuffled_events(seed: u64) -> Vec<(u32, i64, i64)> {
    let mut x = seed;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..3000i64)
        .map(|i| {
            let r = next();
            let back = match r % 20 {
                0 => (r >> 8) as i64 % 4_000, // late for some windows
                1..=4 => (r >> 8) as i64 % 600,
                _ => 0,
            };
            ((r % 7) as u32, (i * 37 - back).max(0), (r >> 20) as i64 % 100)
        })
        .collect()
}

static PANED: Collected<(u32, i64, i64, u64)> = Collected::new();
static PER_WINDOW: Collected<(u32, i64, i64, u64)> = Collected::new();
static PANED_LATE: Collected<(u32, i64, i64)> = Collected::new();
static PER_WINDOW_LATE: Collected<(u32, i64, i64)> = Collected::new();
static PANED_PROCESS: Collected<(u32, i64, i64, i64, u64)> = Collected::new();
static PER_WINDOW_PROCESS: Collected<(u32, i64, i64, i64, u64)> = Collected::new();
static LATE_P: OutputTag<(u32, i64, i64)> = OutputTag::new("late-p");
static LATE_W: OutputTag<(u32, i64, i64)> = OutputTag::new("late-w");

#[rill::job(no_main)]
fn panes_against_windows(env: &mut Env) {
    let seed: u64 = env.parameter_or("seed", 1);
    let size: u64 = env.parameter_or("size", 3000);
    let slide: u64 = env.parameter_or("slide", 2000);
    let timed = env.from_iter(shuffled_events(seed)).assign_timestamps_and_watermarks(
        WatermarkStrategy::for_generator(EveryEvent { bound: 300, max: i64::MIN + 301 })
            .with_timestamp_assigner(|r, _| r.1),
    );
    // Bound to a name first: the assigner's type, not its spelling, picks the panes.
    let sliding = SlidingEventTimeWindows::of(Duration::from_millis(size), Duration::from_millis(slide));
    let paned = timed.key_by(|r| r.0).window(sliding).side_output_late_data(&LATE_P).aggregate(SumCount);
    paned.process(|(sum, n), ctx, out| out.collect((0u32, ctx.timestamp().unwrap(), sum, n))).sink_to(collect(&PANED));
    paned.side_output(&LATE_P).sink_to(collect(&PANED_LATE));
    // `allowed_lateness(ZERO)` means the same but keeps one state per window.
    let per_window = timed
        .key_by(|r| r.0)
        .window(SlidingEventTimeWindows::of(Duration::from_millis(size), Duration::from_millis(slide)))
        .allowed_lateness(Duration::ZERO)
        .side_output_late_data(&LATE_W)
        .aggregate(SumCount);
    per_window
        .process(|(sum, n), ctx, out| out.collect((0u32, ctx.timestamp().unwrap(), sum, n)))
        .sink_to(collect(&PER_WINDOW));
    per_window.side_output(&LATE_W).sink_to(collect(&PER_WINDOW_LATE));
    // The same with a process function after the aggregate: it sees key and window.
    timed
        .key_by(|r| r.0)
        .window(sliding)
        .aggregate(SumCount, |key, window, (sum, n), out| out.collect((*key, window.start, window.end, sum, n)))
        .sink_to(collect(&PANED_PROCESS));
    timed
        .key_by(|r| r.0)
        .window(SlidingEventTimeWindows::of(Duration::from_millis(size), Duration::from_millis(slide)))
        .allowed_lateness(Duration::ZERO)
        .aggregate(SumCount, |key, window, (sum, n), out| out.collect((*key, window.start, window.end, sum, n)))
        .sink_to(collect(&PER_WINDOW_PROCESS));
}

#[test]
fn panes_give_the_same_results_as_one_state_per_window() {
    for (seed, size, slide) in [(1, 3000, 2000), (2, 60_000, 1000), (3, 1000, 1000), (4, 5000, 1500), (5, 2000, 3000)] {
        let args = [seed.to_string(), size.to_string(), slide.to_string()];
        PANES_AGAINST_WINDOWS_JOB.run(Some(1), &["--seed", &args[0], "--size", &args[1], "--slide", &args[2]]).unwrap();
        let mut paned = PANED.values();
        let mut per_window = PER_WINDOW.values();
        paned.sort();
        per_window.sort();
        assert!(!paned.is_empty());
        assert_eq!(paned, per_window, "seed {seed} size {size} slide {slide}");
        let (mut a, mut b) = (PANED_LATE.values(), PER_WINDOW_LATE.values());
        a.sort();
        b.sort();
        assert_eq!(a, b, "late records, seed {seed}");
        if seed == 1 {
            assert!(!a.is_empty(), "the input has late records");
        }
        let (mut a, mut b) = (PANED_PROCESS.values(), PER_WINDOW_PROCESS.values());
        a.sort();
        b.sort();
        assert!(a.iter().all(|r| r.2 - r.1 == size as i64), "window bounds, seed {seed}");
        assert!(a.iter().any(|r| r.0 != 0), "keys reach the process function, seed {seed}");
        assert_eq!(a, b, "aggregate with a process function, seed {seed}");
    }
}

static ALL: Collected<(u64, f64, f64)> = Collected::new();

#[rill::job(no_main)]
fn all_windows(env: &mut Env) {
    env.from_sequence(0, 9)
        .map(|i| (1u32 + (i % 3) as u32, i * 500, i as f64))
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|r, _| r.1),
        )
        .window_all(SlidingEventTimeWindows::of(Duration::from_secs(2), Duration::from_secs(1)))
        .aggregate(CountAvgMax)
        .sink_to(collect(&ALL));
}

#[test]
fn window_all_aggregates_every_record_in_one_subtask() {
    // Same records as `sliding` but spread over three "keys" that window_all ignores.
    ALL_WINDOWS_JOB.run(Some(3), &[]).unwrap();
    assert_eq!(printed(ALL.values()), flink("sliding"));
    let plan = ALL_WINDOWS_JOB.plan_json(3);
    assert!(plan.contains(r#""name":"AllWindow(SlidingEventTimeWindows, aggregate)","parallelism":1"#), "{plan}");
    assert!(plan.contains(r#""partitioner":"GLOBAL""#), "{plan}");
}

static PROCESSING: Collected<(String, i32)> = Collected::new();

#[rill::job(no_main)]
fn processing_time(env: &mut Env) {
    let port: u16 = env.parameter_or("port", 0);
    env.set_clock(Clock::Manual(CLOCK.clone()));
    env.set_auto_watermark_interval(Duration::from_millis(5));
    env.socket_text_stream("127.0.0.1", port)
        .map(|w| (w, 1))
        .key_by(|(w, _)| w.clone())
        .window(TumblingProcessingTimeWindows::of(Duration::from_secs(5)))
        .sum(1)
        .sink_to(collect(&PROCESSING));
}

static CLOCK: std::sync::LazyLock<ManualClock> = std::sync::LazyLock::new(|| ManualClock::new(1_000));

#[test]
fn processing_time_windows_follow_the_clock_the_test_moves() {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let settle = || std::thread::sleep(Duration::from_millis(150));
        conn.write_all(b"a\nb\na\n").unwrap(); // at 1000: window [0, 5000)
        settle();
        CLOCK.set(5_500); // [0, 5000) fires at the next tick
        settle();
        conn.write_all(b"b\n").unwrap(); // at 5500: window [5000, 10000)
        settle();
        CLOCK.set(9_998); // not yet
        settle();
        assert_eq!(PROCESSING.len(), 2, "only the first window has fired");
        CLOCK.set(10_000);
        settle();
    });
    PROCESSING_TIME_JOB.run(Some(1), &["--port", &port.to_string()]).unwrap();
    server.join().unwrap();
    let mut got = PROCESSING.values();
    got[..2].sort();
    assert_eq!(got, [("a".to_owned(), 2), ("b".to_owned(), 1), ("b".to_owned(), 1)]);
}

/// Fires a processing-time window a second after each record, and at its end.
#[derive(Clone)]
struct EarlyAndAtTheEnd;

impl Trigger<String, (String, i32)> for EarlyAndAtTheEnd {
    fn on_element(
        &mut self,
        _: &(String, i32),
        _: i64,
        window: &TimeWindow,
        ctx: &mut TriggerContext<'_, String>,
    ) -> TriggerResult {
        let early = ctx.current_processing_time() + 1_000;
        ctx.register_processing_time_timer(early);
        ctx.register_processing_time_timer(window.max_timestamp());
        TriggerResult::Continue
    }
    fn on_processing_time(&mut self, _: i64, _: &TimeWindow, _: &mut TriggerContext<'_, String>) -> TriggerResult {
        TriggerResult::Fire
    }
}

static EARLY: Collected<(String, i32)> = Collected::new();
static EARLY_CLOCK: std::sync::LazyLock<ManualClock> = std::sync::LazyLock::new(|| ManualClock::new(1_000));

#[rill::job(no_main)]
fn early_firings(env: &mut Env) {
    let port: u16 = env.parameter_or("port", 0);
    env.set_clock(Clock::Manual(EARLY_CLOCK.clone()));
    env.set_auto_watermark_interval(Duration::from_millis(5));
    env.socket_text_stream("127.0.0.1", port)
        .map(|w| (w, 1))
        .key_by(|(w, _)| w.clone())
        .window(TumblingProcessingTimeWindows::of(Duration::from_secs(5)))
        .trigger(EarlyAndAtTheEnd)
        .sum(1)
        .sink_to(collect(&EARLY));
}

#[test]
fn a_trigger_of_the_users_own_fires_processing_time_windows_by_its_timers() {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let settle = || std::thread::sleep(Duration::from_millis(150));
        conn.write_all(b"a\na\n").unwrap(); // at 1000: window [0, 5000), timers at 2000 and 4999
        settle();
        EARLY_CLOCK.set(2_500); // the early timer: (a, 2)
        settle();
        assert_eq!(EARLY.len(), 1, "one early firing, before the window's end");
        conn.write_all(b"a\n").unwrap(); // at 2500: a timer at 3500
        settle();
        EARLY_CLOCK.set(3_600); // (a, 3)
        settle();
        EARLY_CLOCK.set(5_000); // the window's end: (a, 3) again, and the window goes
        settle();
        conn.write_all(b"a\n").unwrap(); // at 5000: window [5000, 10000), timers at 6000 and 9999
        settle();
        EARLY_CLOCK.set(6_000); // (a, 1): the new window holds only its own record
        settle();
    });
    EARLY_FIRINGS_JOB.run(Some(1), &["--port", &port.to_string()]).unwrap();
    server.join().unwrap();
    let got: Vec<i32> = EARLY.values().into_iter().map(|(_, n)| n).collect();
    assert_eq!(got, [2, 3, 3, 1]);
}

static IDLE: Collected<i64> = Collected::new();

#[rill::job(no_main)]
fn idle_input(env: &mut Env) {
    let busy: u16 = env.parameter_or("busy", 0);
    let quiet: u16 = env.parameter_or("quiet", 0);
    env.set_auto_watermark_interval(Duration::from_millis(10));
    let a =
        env.socket_text_stream("127.0.0.1", busy).map(|l| l.parse::<i64>().unwrap()).assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps()
                .with_timestamp_assigner(|t, _| *t)
                .with_idleness(Duration::from_millis(100)),
        );
    let b =
        env.socket_text_stream("127.0.0.1", quiet).map(|l| l.parse::<i64>().unwrap()).assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps()
                .with_timestamp_assigner(|t, _| *t)
                .with_idleness(Duration::from_millis(100)),
        );
    a.union(b)
        .key_by(|_| 0u8)
        .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
        .reduce(|x, y| x + y)
        .sink_to(collect(&IDLE));
}

#[test]
fn an_idle_input_does_not_hold_event_time_back() {
    use std::io::Write;
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let quiet = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ports = [busy.local_addr().unwrap().port().to_string(), quiet.local_addr().unwrap().port().to_string()];
    let server = std::thread::spawn(move || {
        let (mut a, _) = busy.accept().unwrap();
        let (_b, _) = quiet.accept().unwrap();
        a.write_all(b"100\n500\n1500\n").unwrap();
        // The quiet input sends nothing: after 100 ms it is idle, and the busy input's
        // watermark (1499) alone fires the window [0, 1000) while both are still open.
        std::thread::sleep(Duration::from_millis(600));
        let fired = IDLE.peek();
        assert_eq!(fired.into_iter().map(|(_, v)| v).collect::<Vec<_>>(), [600]);
    });
    IDLE_INPUT_JOB.run(Some(1), &["--busy", &ports[0], "--quiet", &ports[1]]).unwrap();
    server.join().unwrap();
    assert_eq!(IDLE.values(), [600, 1500]);
}

static WITH_WINDOW: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn aggregate_with_process(env: &mut Env) {
    let readings = env.from_iter((0..10i64).map(|i| (1u32, i * 500, i as f64))).assign_timestamps_and_watermarks(
        WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|r, _| r.1),
    );
    readings
        .key_by(|r| r.0)
        .window(SlidingEventTimeWindows::of(Duration::from_secs(2), Duration::from_secs(1)))
        .aggregate(CountAvgMax, |key, window, (n, avg, max), out| {
            if n == 4 {
                out.collect(format!("key {key} [{}, {}) avg {avg} max {max}", window.start, window.end));
            }
        })
        .sink_to(collect(&WITH_WINDOW));
    readings
        .map(|r| (r.0, r.2))
        .key_by(|r| r.0)
        .window(TumblingEventTimeWindows::of(Duration::from_secs(2)))
        .reduce(
            |a, b| (a.0, a.1 + b.1),
            |_, window, (_, sum), out| out.collect(format!("sum [{}, {}) = {sum}", window.start, window.end)),
        )
        .sink_to(collect(&WITH_WINDOW));
}

#[test]
fn aggregate_and_reduce_hand_each_result_with_its_key_and_window_to_a_process_function() {
    AGGREGATE_WITH_PROCESS_JOB.run(Some(1), &[]).unwrap();
    let mut got = WITH_WINDOW.values();
    got.sort();
    assert_eq!(
        got,
        [
            "key 1 [0, 2000) avg 1.5 max 3",
            "key 1 [1000, 3000) avg 3.5 max 5",
            "key 1 [2000, 4000) avg 5.5 max 7",
            "key 1 [3000, 5000) avg 7.5 max 9",
            "sum [0, 2000) = 6",
            "sum [2000, 4000) = 22",
            "sum [4000, 6000) = 17",
        ]
    );
}

static COUNTED: Collected<(&'static str, i64)> = Collected::new();
static COUNTED_SLIDING: Collected<(&'static str, i64)> = Collected::new();

#[rill::job(no_main)]
fn count_windows(env: &mut Env) {
    let records = env.from_iter((1..=7i64).flat_map(|i| {
        let mut r = vec![("a", i)];
        if i <= 4 {
            r.push(("b", i * 10));
        }
        r
    }));
    records.key_by(|r| r.0).count_window(3).sum(1).sink_to(collect(&COUNTED));
    records.key_by(|r| r.0).count_window(3, 2).sum(1).sink_to(collect(&COUNTED_SLIDING));
}

#[test]
fn count_windows_fire_every_size_or_slide_records_per_key() {
    COUNT_WINDOWS_JOB.run(Some(2), &[]).unwrap();
    assert_eq!(printed(COUNTED.values()), flink("count"));
    assert_eq!(printed(COUNTED_SLIDING.values()), flink("count-sliding"));
}

static SEEN: ValueState<u64> = ValueState::new("seen");

/// Flink's `WindowSemantics.EveryThirdOrEnd`: fires every third record of a key's window,
/// and at the window's end.
#[derive(Clone)]
struct EveryThirdOrEnd;

impl Trigger<String, (String, i64, i64)> for EveryThirdOrEnd {
    fn on_element(
        &mut self,
        _: &(String, i64, i64),
        _: i64,
        window: &TimeWindow,
        ctx: &mut TriggerContext<'_, String>,
    ) -> TriggerResult {
        ctx.register_event_time_timer(window.max_timestamp());
        let n = ctx.state().value(&SEEN).get().unwrap_or(0) + 1;
        ctx.state().value(&SEEN).update(n);
        if n.is_multiple_of(3) {
            TriggerResult::Fire
        } else {
            TriggerResult::Continue
        }
    }
    fn on_event_time(&mut self, time: i64, window: &TimeWindow, _: &mut TriggerContext<'_, String>) -> TriggerResult {
        if time == window.max_timestamp() {
            TriggerResult::Fire
        } else {
            TriggerResult::Continue
        }
    }
    fn clear(&mut self, window: &TimeWindow, ctx: &mut TriggerContext<'_, String>) {
        ctx.delete_event_time_timer(window.max_timestamp());
        ctx.state().value(&SEEN).clear();
    }
}

/// Flink's `WindowSemantics.PairsPurged`: fires and purges every second record.
#[derive(Clone)]
struct PairsPurged;

impl Trigger<&'static str, (&'static str, i64)> for PairsPurged {
    fn on_element(
        &mut self,
        _: &(&'static str, i64),
        _: i64,
        _: &TimeWindow,
        ctx: &mut TriggerContext<'_, &'static str>,
    ) -> TriggerResult {
        let n = ctx.state().value(&SEEN).get().unwrap_or(0) + 1;
        ctx.state().value(&SEEN).update(n);
        if n.is_multiple_of(2) {
            TriggerResult::FireAndPurge
        } else {
            TriggerResult::Continue
        }
    }
}

static CUSTOM_TRIGGERED: Collected<(String, i64, i64)> = Collected::new();
static CUSTOM_GLOBAL: Collected<(&'static str, i64)> = Collected::new();

#[rill::job(no_main)]
fn custom_triggers(env: &mut Env) {
    env.from_iter(EVENTS.iter().copied())
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_generator(EveryEvent { bound: 200, max: i64::MIN + 201 })
                .with_timestamp_assigner(|(_, ts, _), _| *ts),
        )
        .map(|(k, ts, v)| (k.to_owned(), ts, v))
        .key_by(|(k, _, _)| k.clone())
        .window(TumblingEventTimeWindows::of(Duration::from_secs(2)))
        .allowed_lateness(Duration::from_secs(1))
        .trigger(EveryThirdOrEnd)
        .sum(2)
        .sink_to(collect(&CUSTOM_TRIGGERED));
    env.from_iter((1..=7i64).flat_map(|i| {
        let mut r = vec![("a", i)];
        if i <= 4 {
            r.push(("b", i * 10));
        }
        r
    }))
    .key_by(|r| r.0)
    .window(GlobalWindows::create())
    .trigger(PairsPurged)
    .sum(1)
    .sink_to(collect(&CUSTOM_GLOBAL));
}

#[test]
fn a_trigger_of_the_users_own_fires_and_purges_windows_as_flinks() {
    // One subtask, as Flink's `fromData`: which record is a window's third depends on the
    // order records arrive in.
    CUSTOM_TRIGGERS_JOB.run(Some(1), &[]).unwrap();
    // Event-time windows with lateness: every third record fires, so does the window's
    // end (a's [0, 2000) both times with 7); the late (a, 1100) comes after the cleanup.
    assert_eq!(printed(CUSTOM_TRIGGERED.values()), flink("custom-trigger"));
    // Global windows, fired and purged every second record.
    assert_eq!(printed(CUSTOM_GLOBAL.values()), flink("custom-global"));
}

static GLOBAL_COUNT: Collected<(&'static str, i64)> = Collected::new();
static GLOBAL_PURGING: Collected<(&'static str, i64)> = Collected::new();
static GLOBAL_END: Collected<(&'static str, i64)> = Collected::new();
static GLOBAL_NEVER: Collected<(&'static str, i64)> = Collected::new();

#[rill::job(no_main)]
fn global_windows(env: &mut Env) {
    let records = env.from_iter((1..=7i64).flat_map(|i| {
        let mut r = vec![("a", i)];
        if i <= 4 {
            r.push(("b", i * 10));
        }
        r
    }));
    records
        .key_by(|r| r.0)
        .window(GlobalWindows::create())
        .trigger(CountTrigger::of(2))
        .sum(1)
        .sink_to(collect(&GLOBAL_COUNT));
    records
        .key_by(|r| r.0)
        .window(GlobalWindows::create())
        .trigger(PurgingTrigger::of(CountTrigger::of(2)))
        .sum(1)
        .sink_to(collect(&GLOBAL_PURGING));
    records
        .key_by(|r| r.0)
        .window(GlobalWindows::create_with_end_of_stream_trigger())
        .sum(1)
        .sink_to(collect(&GLOBAL_END));
    records.key_by(|r| r.0).window(GlobalWindows::create()).sum(1).sink_to(collect(&GLOBAL_NEVER));
}

#[test]
fn global_windows_fire_by_their_trigger_or_at_the_end_of_the_input() {
    GLOBAL_WINDOWS_JOB.run(Some(2), &[]).unwrap();
    assert_eq!(printed(GLOBAL_COUNT.values()), flink("global-count"));
    assert_eq!(printed(GLOBAL_PURGING.values()), flink("global-purging"));
    assert_eq!(printed(GLOBAL_END.values()), flink("global-end"));
    // Without a trigger the one window never fires (Flink's NeverTrigger): Flink printed nothing.
    assert_eq!(GLOBAL_NEVER.values(), []);
}

static SESSIONS: Collected<(&'static str, i64, i64)> = Collected::new();

#[rill::job(no_main)]
fn sessions(env: &mut Env) {
    let events = [
        ("a", 0i64, 1i64),
        ("a", 500, 2),
        ("a", 2000, 3),
        ("a", 2900, 4),
        ("b", 100, 10),
        ("a", 1400, 5), // bridges a's sessions [0, 1500) and [2000, 3900)
        ("a", 6000, 6),
        ("b", 5000, 20),
    ];
    env.from_elements(events)
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_generator(EveryEvent { bound: 2000, max: i64::MIN + 2001 })
                .with_timestamp_assigner(|e, _| e.1),
        )
        .key_by(|e| e.0)
        .window(EventTimeSessionWindows::with_gap(Duration::from_secs(1)))
        .sum(2)
        .sink_to(collect(&SESSIONS));
}

#[test]
fn session_windows_merge_when_a_record_bridges_them() {
    SESSIONS_JOB.run(Some(1), &[]).unwrap();
    assert_eq!(printed(SESSIONS.values()), flink("sessions"));
    assert!(flink("sessions").contains(&"(a,0,15)".to_owned()));
}

static DYNAMIC_SESSIONS: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn dynamic_sessions(env: &mut Env) {
    // (key, event time, the gap this record sets in ms); b's records are late.
    let events = [
        ("a", 0i64, 500u64),
        ("a", 400, 2000),
        ("a", 3000, 100),
        ("b", 100, 100),
        ("b", 250, 100),
        ("a", 3050, 1000),
        ("a", 9000, 100),
    ];
    env.from_elements(events)
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_generator(EveryEvent { bound: 200, max: i64::MIN + 201 })
                .with_timestamp_assigner(|e, _| e.1),
        )
        .key_by(|e| e.0)
        .window(EventTimeSessionWindows::with_dynamic_gap(|e| Duration::from_millis(e.2)))
        .process(|key, ctx, elements, out| {
            out.collect(format!("{key} [{}, {}) n={}", ctx.start, ctx.end, elements.len()))
        })
        .sink_to(collect(&DYNAMIC_SESSIONS));
}

#[test]
fn a_session_gap_can_come_from_each_record() {
    DYNAMIC_SESSIONS_JOB.run(Some(1), &[]).unwrap();
    let mut got = DYNAMIC_SESSIONS.values();
    got.sort();
    assert_eq!(got, flink("dynamic-sessions"));
    assert!(got.contains(&"a [3000, 4050) n=2".to_owned()), "{got:?}");
}

static LATE_SESSION_RECORDS: OutputTag<(&'static str, i64)> = OutputTag::new("late-sessions");
static SESSION_FIRINGS: Collected<String> = Collected::new();
static SESSION_LATE: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn session_lateness(env: &mut Env) {
    let events = [
        ("a", 0i64),
        ("a", 500),
        ("a", 3000),
        ("a", 1200),
        ("a", 2100),
        ("b", 100),
        ("b", 0),
        ("a", 5000),
        ("b", 500),
        ("a", 6500),
    ];
    let sessions = env
        .from_elements(events)
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_generator(EveryEvent { bound: 0, max: i64::MIN + 1 })
                .with_timestamp_assigner(|e, _| e.1),
        )
        .key_by(|e| e.0)
        .window(EventTimeSessionWindows::with_gap(Duration::from_secs(1)))
        .allowed_lateness(Duration::from_secs(2))
        .side_output_late_data(&LATE_SESSION_RECORDS)
        .process(|key, ctx, elements, out| {
            out.collect(format!("{key} [{}, {}) n={}", ctx.start, ctx.end, elements.len()))
        });
    sessions.sink_to(collect(&SESSION_FIRINGS));
    sessions.side_output(&LATE_SESSION_RECORDS).map(|(k, ts)| format!("late {k}@{ts}")).sink_to(collect(&SESSION_LATE));
}

#[test]
fn late_records_fire_sessions_again_within_the_allowed_lateness() {
    SESSION_LATENESS_JOB.run(Some(1), &[]).unwrap();
    // In order: a late record re-fires a's ended session at once ([0, 2200)), another bridges
    // it with an open one that fires later ([0, 4000)).
    let got = SESSION_FIRINGS.values();
    let a: Vec<&String> = got.iter().filter(|l| l.starts_with('a')).collect();
    assert_eq!(
        a,
        ["a [0, 1500) n=2", "a [0, 2200) n=3", "a [0, 4000) n=5", "a [5000, 6000) n=1", "a [6500, 7500) n=1"]
    );
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(sorted, flink("session-lateness"));
    assert_eq!(SESSION_LATE.values(), flink("session-late"));
}

static FIRINGS: ValueState<u32> = ValueState::new("firings");
static ALL_FIRINGS: ValueState<u32> = ValueState::new("all-firings");
static WINDOW_STATE: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn window_state(env: &mut Env) {
    env.from_iter(EVENTS.iter().copied())
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_generator(EveryEvent { bound: 200, max: i64::MIN + 201 })
                .with_timestamp_assigner(|(_, ts, _), _| *ts),
        )
        .key_by(|(k, _, _)| *k)
        .window(TumblingEventTimeWindows::of(Duration::from_secs(2)))
        .allowed_lateness(Duration::from_secs(5))
        .process(|key, ctx, elements, out| {
            let firing = ctx.window_state().value(&FIRINGS).get().unwrap_or(0) + 1;
            ctx.window_state().value(&FIRINGS).update(firing);
            let global = ctx.global_state().value(&ALL_FIRINGS).get().unwrap_or(0) + 1;
            ctx.global_state().value(&ALL_FIRINGS).update(global);
            out.collect(format!("{key} {} firing={firing} n={} global={global}", ctx.start, elements.len()));
        })
        .sink_to(collect(&WINDOW_STATE));
}

#[test]
fn per_window_state_lasts_across_a_windows_firings_and_global_state_across_windows() {
    WINDOW_STATE_JOB.run(Some(1), &[]).unwrap();
    let mut got = WINDOW_STATE.values();
    assert!(got.contains(&"a 0 firing=2 n=4 global=3".to_owned()), "{got:?}");
    got.sort();
    assert_eq!(got, flink("window-state"));
}

const TICKS: [(&str, i64, i64); 5] = [("k", 0, 1), ("k", 500, 2), ("k", 1500, 3), ("k", 2500, 4), ("k", 4500, 5)];
static COUNT_TRIGGERED: Collected<(&'static str, i64, i64)> = Collected::new();
static CONTINUOUS: Collected<(&'static str, i64, i64)> = Collected::new();

#[rill::job(no_main)]
fn triggers(env: &mut Env) {
    let ticks = env.from_iter(TICKS).assign_timestamps_and_watermarks(
        WatermarkStrategy::for_generator(EveryEvent { bound: 0, max: i64::MIN + 1 })
            .with_timestamp_assigner(|e, _| e.1),
    );
    ticks
        .key_by(|e| e.0)
        .window(TumblingEventTimeWindows::of(Duration::from_secs(10)))
        .trigger(PurgingTrigger::of(CountTrigger::of(2)))
        .sum(2)
        .sink_to(collect(&COUNT_TRIGGERED));
    ticks
        .key_by(|e| e.0)
        .window(TumblingEventTimeWindows::of(Duration::from_secs(5)))
        .trigger(ContinuousEventTimeTrigger::of(Duration::from_secs(1)))
        .sum(2)
        .sink_to(collect(&CONTINUOUS));
}

#[test]
fn count_purging_and_continuous_triggers_fire_as_flinks() {
    TRIGGERS_JOB.run(Some(1), &[]).unwrap();
    assert_eq!(printed(COUNT_TRIGGERED.values()), flink("count-trigger"));
    assert_eq!(printed(CONTINUOUS.values()), flink("continuous"));
}

#[test]
fn a_job_parameter_that_does_not_parse_is_an_error_returned_not_an_exit() {
    // `parameter_or` used to exit the whole process, killing any program that runs a job.
    let err = PANES_AGAINST_WINDOWS_JOB.run(Some(1), &["--seed", "many"]).unwrap_err();
    assert!(err.to_string().contains("job parameter --seed: cannot parse 'many'"), "{err}");
}
