//! Jobs that run through the local executor, with results checked record by record.

mod common;

use common::{collect, per_key, Collected};
use rill::prelude::*;

static WORDS: Collected<(String, i32)> = Collected::new();

#[rill::job(no_main)]
fn word_count(env: &mut Env) {
    env.from_elements(["hello flink", "flink is great", "hello hello", "flink flink flink"])
        .flat_map(|line| line.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .map(|word| (word, 1))
        .key_by(|(word, _)| word.clone())
        .sum(1)
        .sink_to(collect(&WORDS));
}

#[test]
fn word_count_emits_flinks_running_counts_at_any_parallelism() {
    for p in [1, 2, 3] {
        WORD_COUNT_JOB.run(Some(p), &[]).unwrap();
        let got = per_key(&WORDS.values());
        let counts = |w: &str| got[w].clone();
        assert_eq!(counts("hello"), [1, 2, 3], "p={p}");
        assert_eq!(counts("flink"), [1, 2, 3, 4, 5], "p={p}");
        assert_eq!(counts("is"), [1], "p={p}");
        assert_eq!(counts("great"), [1], "p={p}");
        assert_eq!(got.len(), 4);
    }
}

static SEQ: Collected<i64> = Collected::new();

#[rill::job(no_main)]
fn sequence(env: &mut Env) {
    env.from_sequence(1, 10_000).filter(|n| n % 3 != 0).map(|n| n * 2).sink_to(collect(&SEQ));
}

#[test]
fn from_sequence_is_split_over_subtasks_and_emitted_once() {
    SEQUENCE_JOB.run(Some(3), &[]).unwrap();
    let got = SEQ.take();
    let subtasks: std::collections::BTreeSet<usize> = got.iter().map(|(s, _)| *s).collect();
    assert_eq!(subtasks.len(), 3, "every subtask has a share of the range");
    let mut values: Vec<i64> = got.into_iter().map(|(_, v)| v).collect();
    values.sort();
    let want: Vec<i64> = (1..=10_000).filter(|n| n % 3 != 0).map(|n| n * 2).collect();
    assert_eq!(values, want);
}

static AGG: Collected<(&'static str, i64, i64)> = Collected::new();

#[rill::job(no_main)]
fn aggregations(env: &mut Env) {
    let input = env.from_elements([("a", 5, 1), ("b", 1, 2), ("a", 3, 3), ("a", 7, 4), ("b", 1, 5), ("a", 3, 6)]);
    input.key_by(|t| t.0).sum(1).sink_to(collect(&AGG));
}

static MINS: Collected<(&'static str, i64, i64)> = Collected::new();
static MAXS: Collected<(&'static str, i64, i64)> = Collected::new();
static MIN_BYS: Collected<(&'static str, i64, i64)> = Collected::new();
static MAX_BYS: Collected<(&'static str, i64, i64)> = Collected::new();

#[rill::job(no_main)]
fn min_max(env: &mut Env) {
    let input = env.from_elements([("a", 5, 1), ("a", 3, 2), ("a", 7, 3), ("a", 3, 4), ("a", 7, 5)]);
    input.key_by(|t| t.0).min(1).sink_to(collect(&MINS));
    input.key_by(|t| t.0).max(1).sink_to(collect(&MAXS));
    input.key_by(|t| t.0).min_by(1).sink_to(collect(&MIN_BYS));
    input.key_by(|t| t.0).max_by(1).sink_to(collect(&MAX_BYS));
}

#[test]
fn rolling_sum_keeps_the_first_records_other_fields() {
    AGGREGATIONS_JOB.run(Some(2), &[]).unwrap();
    let got = per_key(&AGG.values().into_iter().map(|t| (t.0, t)).collect::<Vec<_>>());
    // Flink's SumAggregator: one output per input; non-summed fields from the first record.
    assert_eq!(got["a"], [("a", 5, 1), ("a", 8, 1), ("a", 15, 1), ("a", 18, 1)]);
    assert_eq!(got["b"], [("b", 1, 2), ("b", 2, 2)]);
}

#[test]
fn min_max_and_min_by_max_by_follow_flink() {
    MIN_MAX_JOB.run(Some(1), &[]).unwrap();
    // min/max: only the field changes; the other fields stay the first record's.
    assert_eq!(MINS.values(), [("a", 5, 1), ("a", 3, 1), ("a", 3, 1), ("a", 3, 1), ("a", 3, 1)]);
    assert_eq!(MAXS.values(), [("a", 5, 1), ("a", 5, 1), ("a", 7, 1), ("a", 7, 1), ("a", 7, 1)]);
    // min_by/max_by: the whole record; on a tie the first one stays.
    assert_eq!(MIN_BYS.values(), [("a", 5, 1), ("a", 3, 2), ("a", 3, 2), ("a", 3, 2), ("a", 3, 2)]);
    assert_eq!(MAX_BYS.values(), [("a", 5, 1), ("a", 5, 1), ("a", 7, 3), ("a", 7, 3), ("a", 7, 3)]);
}

#[derive(rill::Codec, Debug, Clone, PartialEq)]
struct Reading {
    sensor: String,
    count: u64,
    peak: f64,
}

static STRUCTS: Collected<Reading> = Collected::new();

#[rill::job(no_main)]
fn struct_fields(env: &mut Env) {
    env.from_iter((0..6u64).map(|i| Reading { sensor: format!("s{}", i % 2), count: 1, peak: i as f64 }))
        .key_by(|r| r.sensor.clone())
        .sum(count)
        .sink_to(collect(&STRUCTS));
}

#[test]
fn aggregations_name_struct_fields() {
    STRUCT_FIELDS_JOB.run(Some(2), &[]).unwrap();
    let got = per_key(&STRUCTS.values().into_iter().map(|r| (r.sensor.clone(), r)).collect::<Vec<_>>());
    let counts: Vec<u64> = got["s1"].iter().map(|r| r.count).collect();
    assert_eq!(counts, [1, 2, 3]);
    assert!(got["s1"].iter().all(|r| r.peak == 1.0), "other fields stay the first record's");
}

static REDUCED: Collected<(String, i64)> = Collected::new();

#[rill::job(no_main)]
fn reduce(env: &mut Env) {
    // One producing subtask, so that each key's records keep their order.
    env.from_sequence(1, 6)
        .set_parallelism(1)
        .map(|n| (if n % 2 == 0 { "even" } else { "odd" }.to_owned(), n))
        .set_parallelism(1)
        .key_by(|(k, _)| k.clone())
        .reduce(|(k, a), (_, b)| (k, a * 10 + b))
        .sink_to(collect(&REDUCED));
}

#[test]
fn reduce_folds_each_record_into_the_keys_aggregate() {
    REDUCE_JOB.run(Some(2), &[]).unwrap();
    let got = per_key(&REDUCED.values());
    assert_eq!(got["odd"], [1, 13, 135]);
    assert_eq!(got["even"], [2, 24, 246]);
}

static PROCESSED: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn process(env: &mut Env) {
    let tagged = env.from_elements([3, 1, 2]).process(|n, ctx, out| {
        assert_eq!(ctx.timestamp(), None);
        for i in 0..n {
            out.collect((n % 2, format!("{n}.{i}")));
        }
    });
    tagged
        .key_by(|(parity, _)| *parity)
        .process(|(_, s), ctx, out| out.collect(format!("{}:{s}", ctx.current_key())))
        .sink_to(collect(&PROCESSED));
}

#[test]
fn process_emits_any_number_and_sees_the_key_on_keyed_streams() {
    PROCESS_JOB.run(Some(2), &[]).unwrap();
    let mut got = PROCESSED.values();
    got.sort();
    assert_eq!(got, ["0:2.0", "0:2.1", "1:1.0", "1:3.0", "1:3.1", "1:3.2"]);
}

static ODD_LINES: OutputTag<String> = OutputTag::new("odd lines");
static SPLIT_EVENS: Collected<i64> = Collected::new();
static SPLIT_ODDS: Collected<(i64, String)> = Collected::new();

#[rill::job(no_main)]
fn split(env: &mut Env) {
    let evens = env
        .from_sequence(1, 10)
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|n, _| *n * 1000),
        )
        .process(|n, ctx, out| {
            assert!(ctx.current_watermark() < n * 1000, "the watermark is behind an in-order record");
            if n % 2 == 0 {
                out.collect(n)
            } else {
                ctx.output(&ODD_LINES, format!("odd {n}"))
            }
        });
    evens.sink_to(collect(&SPLIT_EVENS));
    // The side output crosses an exchange, and its records keep their timestamps.
    evens
        .side_output(&ODD_LINES)
        .key_by(|line| line.len())
        .process(|line, ctx, out| out.collect((ctx.timestamp().unwrap_or(-1), line)))
        .sink_to(collect(&SPLIT_ODDS));
}

#[test]
fn a_process_function_splits_a_stream_with_a_side_output() {
    SPLIT_JOB.run(Some(2), &[]).unwrap();
    let mut evens = SPLIT_EVENS.values();
    evens.sort();
    assert_eq!(evens, [2, 4, 6, 8, 10]);
    let mut odds = SPLIT_ODDS.values();
    odds.sort();
    let expected: Vec<(i64, String)> = [1, 3, 5, 7, 9].iter().map(|n| (n * 1000, format!("odd {n}"))).collect();
    assert_eq!(odds, expected);
}

static UNIONED: Collected<i64> = Collected::new();

#[rill::job(no_main)]
fn union(env: &mut Env) {
    let small = env.from_sequence(1, 3);
    let large = env.from_sequence(101, 103).map(|n| n * 10);
    let third = env.from_elements([7i64]);
    small.union(large, third).sink_to(collect(&UNIONED));
}

#[test]
fn union_merges_streams_of_one_type() {
    UNION_JOB.run(Some(2), &[]).unwrap();
    let mut got = UNIONED.values();
    got.sort();
    assert_eq!(got, [1, 2, 3, 7, 1010, 1020, 1030]);
}

static FANNED_A: Collected<i64> = Collected::new();
static FANNED_B: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn fan_out(env: &mut Env) {
    let numbers = env.from_sequence(1, 4);
    numbers.filter(|n| n % 2 == 0).sink_to(collect(&FANNED_A));
    numbers.map(|n| format!("#{n}")).sink_to(collect(&FANNED_B));
}

#[test]
fn one_stream_feeds_two_chained_consumers() {
    FAN_OUT_JOB.run(Some(1), &[]).unwrap();
    assert_eq!(FANNED_A.values(), [2, 4]);
    assert_eq!(FANNED_B.values(), ["#1", "#2", "#3", "#4"]);
}

static FORMATTED: Collected<(String, usize)> = Collected::new();

/// `format!` in a job's function formats as std's does (implicit captures, widths, a
/// literal alone), and its strings start at the length the call site last produced: each
/// 23-byte line after the first is made in one allocation of 23 bytes, where std's
/// `format!` grows an empty string to 8, 16 and then 32 bytes.
#[rill::job(no_main)]
fn formatted(env: &mut Env) {
    let word = "sevenxx";
    env.from_sequence(1, 4)
        .map(move |i| if i == 4 { format!("{i:>3}|{word}") } else { format!("{} {} {}", word, word, word) })
        .map(|line| {
            let capacity = line.capacity();
            (line, capacity)
        })
        .sink_to(collect(&FORMATTED));
    env.from_elements([1]).map(|_| format!("plain")).map(|s| (s, 5)).sink_to(collect(&FORMATTED));
}

#[test]
fn format_in_a_job_formats_as_std_and_sizes_from_the_last_string() {
    FORMATTED_JOB.run(Some(1), &[]).unwrap();
    let mut got = FORMATTED.values();
    got.sort();
    let line = "sevenxx sevenxx sevenxx";
    let word = std::hint::black_box("sevenxx");
    assert_eq!(std::format!("{} {} {}", word, word, word).capacity(), 32, "std's growth");
    assert_eq!(
        got,
        [
            // A call site of its own, run once: grown as std's.
            ("  4|sevenxx".to_owned(), 16),
            ("plain".to_owned(), 5),
            (line.to_owned(), 23),
            (line.to_owned(), 23),
            (line.to_owned(), 32)
        ]
    );
}

static COPIES: Collected<(u32, u32)> = Collected::new();
static COPIES_ITER: Collected<(u32, u32)> = Collected::new();

/// Flink's collector form: `n` copies of record `n` (none for 0).
#[rill::job(no_main)]
fn copies(env: &mut Env) {
    env.from_elements([0u32, 3, 1, 2])
        .flat_map(|n, out| {
            for i in 0..n {
                out.collect((n, i))
            }
        })
        .sink_to(collect(&COPIES));
}

/// The same as an iterator.
#[rill::job(no_main)]
fn copies_iter(env: &mut Env) {
    env.from_elements([0u32, 3, 1, 2]).flat_map(|n| (0..n).map(move |i| (n, i))).sink_to(collect(&COPIES_ITER));
}

#[test]
fn flat_map_collects_like_it_iterates() {
    COPIES_JOB.run(Some(1), &[]).unwrap();
    COPIES_ITER_JOB.run(Some(1), &[]).unwrap();
    let got = COPIES.values();
    assert_eq!(got, [(3, 0), (3, 1), (3, 2), (1, 0), (2, 0), (2, 1)]);
    assert_eq!(got, COPIES_ITER.values());
}
