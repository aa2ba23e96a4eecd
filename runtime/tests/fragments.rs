//! Pipeline fragments (`#[rill::fragment]`): functions of streams inlined into the jobs
//! that call them, fused with their operators, each call with its own arguments.

mod common;

use common::{collect, Collected};
use rill::prelude::*;
use std::time::Duration;

/// A fragment in a module of its own, with a helper of that module: the job names the
/// fragment by its path and imports what the fragment's body names.
mod metrics {
    use rill::prelude::*;

    /// `host value` → `(host, value)`; anything else is dropped.
    pub fn parse(line: &str) -> Option<(String, i64)> {
        let (host, value) = line.split_once(' ')?;
        Some((host.to_owned(), value.parse().ok()?))
    }

    #[rill::fragment]
    pub fn readings(lines: DataStream<&'static str>) -> DataStream<(String, i64)> {
        lines.flat_map(|line, out| {
            if let Some(r) = parse(line) {
                out.collect(r)
            }
        })
    }

    /// Readings at or above `min`, tagged: two calls with different arguments must not
    /// see each other's.
    #[rill::fragment]
    pub fn above(readings: DataStream<(String, i64)>, min: i64, tag: &'static str) -> DataStream<String> {
        let high = readings.filter(move |(_, v)| *v >= min);
        high.map(move |(host, v)| format!("{tag}:{host}={v}"))
    }
}

use metrics::parse;

static ABOVE: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn two_thresholds(env: &mut Env) {
    // The job's own `min` and `tag` are not the fragment's.
    let min = 1000;
    let tag = "job";
    let readings = metrics::readings(env.from_elements(["a 5", "b 50", "bad", "c 500"]));
    metrics::above(readings, 10, "low").sink_to(collect(&ABOVE));
    metrics::above(readings, 100, "high").sink_to(collect(&ABOVE));
    readings.filter(move |(_, v)| *v >= min).map(move |(h, _)| format!("{tag}:{h}")).sink_to(collect(&ABOVE));
}

#[test]
fn each_call_has_its_own_arguments_and_the_jobs_names_stay_its_own() {
    TWO_THRESHOLDS_JOB.run(Some(1), &[]).unwrap();
    assert_eq!(ABOVE.sorted(), ["high:c=500", "low:b=50", "low:c=500"]);
}

/// A fragment that calls a fragment, and one that ends in a sink. `pub` at the crate's
/// root: its exported macro and its re-export do not collide.
#[rill::fragment]
pub fn counts(words: DataStream<String>) -> DataStream<(String, i64)> {
    words.map(|w| (w, 1i64)).key_by(|(w, _)| w).sum(1)
}

#[rill::fragment]
fn word_counts(lines: DataStream<&'static str>) -> DataStream<(String, i64)> {
    let words = lines.flat_map(|line, out| {
        for w in line.split_whitespace() {
            out.collect(w.to_owned())
        }
    });
    counts(words)
}

static COUNTS: Collected<(String, i64)> = Collected::new();

#[rill::fragment]
fn keep_counts(counts: DataStream<(String, i64)>) {
    counts.sink_to(collect(&COUNTS));
}

#[rill::job(no_main)]
fn nested(env: &mut Env) {
    keep_counts(word_counts(env.from_elements(["to be or", "not to be"])));
}

#[test]
fn fragments_call_fragments_and_end_in_sinks() {
    NESTED_JOB.run(Some(1), &[]).unwrap();
    let last: std::collections::BTreeMap<String, i64> = COUNTS.values().into_iter().collect();
    assert_eq!(last, [("be", 2), ("not", 1), ("or", 1), ("to", 2)].map(|(w, n)| (w.to_owned(), n)).into());
    // The operators are fused as if written in the job: the two fragments' flat_map and
    // map in one chain, the third's sink with the keyed sum in another.
    let plan = NESTED_JOB.plan_json(1);
    assert!(plan.contains("\"name\":\"Flat Map -> Map\""), "{plan}");
    assert!(plan.contains("\"name\":\"Keyed Aggregation -> Sink: sink_to\""), "{plan}");
}

/// Event time in a fragment: a windowed aggregate over a keyed stream it is given.
#[rill::fragment]
fn per_second(keyed: KeyedStream<String, (String, i64)>) -> DataStream<(String, i64)> {
    keyed.window(TumblingEventTimeWindows::of(Duration::from_secs(1))).sum(1)
}

static WINDOWS: Collected<(String, i64)> = Collected::new();

#[rill::job(no_main)]
fn windowed(env: &mut Env) {
    let timed = env
        .from_elements([("a 1", 100i64), ("a 2", 900), ("b 3", 1500), ("a 4", 1600)])
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|(_, t), _| *t),
        )
        .flat_map(|(line, _), out| {
            if let Some(r) = parse(line) {
                out.collect(r)
            }
        });
    per_second(timed.key_by(|(h, _)| h)).sink_to(collect(&WINDOWS));
}

#[test]
fn a_fragment_takes_a_keyed_stream_and_windows_it() {
    WINDOWED_JOB.run(Some(1), &[]).unwrap();
    assert_eq!(WINDOWS.sorted(), [("a".to_owned(), 3), ("a".to_owned(), 4), ("b".to_owned(), 3)]);
}

/// A fragment may return a keyed stream, for the job to aggregate.
#[rill::fragment]
fn by_host(readings: DataStream<(String, i64)>) -> KeyedStream<String, (String, i64)> {
    readings.key_by(|(h, _)| h)
}

static MAXIMA: Collected<(String, i64)> = Collected::new();

#[rill::job(no_main)]
fn maxima(env: &mut Env) {
    let readings = metrics::readings(env.from_elements(["a 1", "b 7", "a 9", "b 2"]));
    by_host(readings).max(1).sink_to(collect(&MAXIMA));
}

#[test]
fn a_fragment_returns_a_keyed_stream() {
    MAXIMA_JOB.run(Some(1), &[]).unwrap();
    let last: std::collections::BTreeMap<String, i64> = MAXIMA.values().into_iter().collect();
    assert_eq!(last, [("a".to_owned(), 9), ("b".to_owned(), 7)].into());
}
