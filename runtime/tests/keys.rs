//! Keys borrowed from the record: `key_by(|(word, _)| word)`, `key_by(|r| r.host)`,
//! `key_by(|r| r.host.clone())` hash and look state up by reference, and clone a key only
//! when it is new to the operator; computed keys work as before.

mod common;

use common::{collect, per_key, Collected};
use rill::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Clones of [`Host`] so far.
static CLONES: AtomicUsize = AtomicUsize::new(0);

/// A key that counts its clones.
#[derive(rill::Codec, Hash, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct Host(String);

impl Clone for Host {
    fn clone(&self) -> Self {
        CLONES.fetch_add(1, Ordering::Relaxed);
        Host(self.0.clone())
    }
}

const RECORDS: i64 = 3000;

static COUNTS: Collected<(Host, i64)> = Collected::new();

/// Written as users write it: the key cloned out of the record.
#[rill::job(no_main)]
fn counted_hosts(env: &mut Env) {
    env.from_sequence(0, RECORDS - 1)
        .map(|i| (Host(format!("h{}", i % 3)), 1i64))
        .key_by(|(host, _)| host.clone())
        .sum(1)
        .sink_to(collect(&COUNTS));
}

#[test]
fn a_rolling_sum_clones_its_key_only_when_the_key_is_new() {
    for p in [1, 2] {
        CLONES.store(0, Ordering::Relaxed);
        COUNTED_HOSTS_JOB.run(Some(p), &[]).unwrap();
        let got = per_key(&COUNTS.values());
        assert_eq!(got.len(), 3, "p={p}");
        for (host, counts) in &got {
            assert_eq!(counts.len() as i64, RECORDS / 3, "p={p} {host:?}");
            assert_eq!(*counts.last().unwrap(), RECORDS / 3, "p={p} {host:?}");
        }
        // Each output is a copy of the aggregate (one clone of the record per record, as
        // rolling semantics need), plus the state's first copy of each key; no clone of a
        // key per record to look it up, or to hash it for the exchange at p = 2.
        let clones = CLONES.load(Ordering::Relaxed) as i64;
        // `per_key` clones each key once per value too.
        let counted = clones - RECORDS;
        assert!(counted <= RECORDS + 3 * 2 * p as i64, "p={p}: {counted} clones for {RECORDS} records");

        // A rolling sum that feeds an exchange is encoded from the state, not copied.
        CLONES.store(0, Ordering::Relaxed);
        EXCHANGED_HOSTS_JOB.run(Some(p), &[]).unwrap();
        let got = per_key(&TOTALS.values());
        assert_eq!(got.len(), 3, "p={p}");
        assert!(got.values().all(|counts| counts.len() as i64 == RECORDS / 3), "p={p}");
        let clones = CLONES.load(Ordering::Relaxed);
        assert!(clones <= 3 * p, "p={p}: {clones} clones of keys, one per key and subtask at most");

        // Keyed state of every kind, written for every record, with a time-to-live: the
        // process function's context holds a copy of the record's key (it outlives the
        // record, which the function owns), and the state copies a key only into a new entry.
        CLONES.store(0, Ordering::Relaxed);
        STATEFUL_HOSTS_JOB.run(Some(p), &[]).unwrap();
        let got = per_key(&LAST.values());
        assert_eq!(got.len(), 3, "p={p}");
        assert!(got.values().all(|v| *v.last().unwrap() == RECORDS / 3), "p={p}: {got:?}");
        let clones = CLONES.load(Ordering::Relaxed) as i64;
        // One for the context per record, the first entry of each key in each of the five
        // states and the time-to-live stamps, and `per_key`'s copies.
        assert!(clones <= 2 * RECORDS + 3 * 8 * p as i64, "p={p}: {clones} clones for {RECORDS} records");

        // Tumbling windows: a key is copied into each window once, not per record.
        CLONES.store(0, Ordering::Relaxed);
        WINDOWED_HOSTS_JOB.run(Some(p), &[]).unwrap();
        let got = per_key(&WINDOWED.values());
        assert_eq!(got.len(), 3, "p={p}");
        assert!(
            got.values().all(|sums| sums == &[334, 333, 333] || sums == &[333, 334, 333] || sums == &[333, 333, 334]),
            "p={p}: {got:?}"
        );
        let clones = CLONES.load(Ordering::Relaxed);
        assert!(clones <= 3 * 3 * 3, "p={p}: {clones} clones for 3 windows of 3 keys");
    }
}

static WINDOWED: Collected<(Host, i64)> = Collected::new();

/// 3 s of records, one a millisecond, over 3 hosts, counted per host in 1 s windows.
#[rill::job(no_main)]
fn windowed_hosts(env: &mut Env) {
    env.from_sequence(0, RECORDS - 1)
        .map(|i| (Host(format!("h{}", i % 3)), 1i64, i))
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|r, _| r.2),
        )
        .key_by(|(host, _, _)| host)
        .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
        .sum(1)
        .map(|(host, n, _)| (host, n))
        .sink_to(collect(&WINDOWED));
}

static LIST: ListState<i64> = ListState::new("list");
static MAP: MapState<u8, i64> = MapState::new("map");
static TOTAL: ReducingState<i64> = ReducingState::new("total", |a, b| a + b);
static RUNNING: ValueState<i64> = ValueState::new("running");
static SUMMED: ValueState<i64> = ValueState::new("summed").with_ttl(Duration::from_secs(60));
static LAST: Collected<(Host, i64)> = Collected::new();

#[rill::job(no_main)]
fn stateful_hosts(env: &mut Env) {
    env.from_sequence(0, RECORDS - 1)
        .map(|i| (Host(format!("h{}", i % 3)), 1i64))
        .key_by(|(host, _)| host)
        .process(|(host, n), ctx, out| {
            let seen = ctx.value(&RUNNING).get().unwrap_or(0) + n;
            ctx.value(&RUNNING).update(seen);
            ctx.list(&LIST).update(vec![seen]);
            ctx.map(&MAP).put(0, seen);
            ctx.reducing(&TOTAL).add(n);
            let total = *ctx.reducing(&TOTAL).get().unwrap();
            ctx.value(&SUMMED).update(total);
            out.collect((host, total))
        })
        .sink_to(collect(&LAST));
}

static TOTALS: Collected<(String, i64)> = Collected::new();

/// The rolling counts go through a second exchange.
#[rill::job(no_main)]
fn exchanged_hosts(env: &mut Env) {
    env.from_sequence(0, RECORDS - 1)
        .map(|i| (Host(format!("h{}", i % 3)), 1i64))
        .key_by(|(host, _)| host)
        .sum(1)
        .rebalance()
        .map(|(host, n)| (host.0, n))
        .sink_to(collect(&TOTALS));
}

#[derive(Clone, Debug, rill::Codec)]
struct Metric {
    host: String,
    ts: i64,
    value: i64,
}

static MAXIMA: Collected<(String, i64, i64)> = Collected::new();

/// A field named as the key borrows it (`h.host` alone would not compile as a plain closure:
/// the compiler borrows it); keyed process state sees it as its own type.
#[rill::job(no_main)]
fn field_keys(env: &mut Env) {
    env.from_iter((0..60i64).map(|i| Metric { host: format!("h{}", i % 2), ts: i * 100, value: (i * 37) % 50 }))
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(Duration::ZERO).with_timestamp_assigner(|m, _| m.ts),
        )
        .key_by(|m| m.host)
        .window(SlidingEventTimeWindows::of(Duration::from_secs(2), Duration::from_secs(1)))
        .max_by(value)
        .map(|m| (m.host, m.ts, m.value))
        .sink_to(collect(&MAXIMA));
}

static MAXIMA_OWNED: Collected<(String, i64, i64)> = Collected::new();

/// The same with a computed key.
#[rill::job(no_main)]
fn computed_keys(env: &mut Env) {
    env.from_iter((0..60i64).map(|i| Metric { host: format!("h{}", i % 2), ts: i * 100, value: (i * 37) % 50 }))
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(Duration::ZERO).with_timestamp_assigner(|m, _| m.ts),
        )
        .key_by(|m| m.host.to_uppercase())
        .window(SlidingEventTimeWindows::of(Duration::from_secs(2), Duration::from_secs(1)))
        .max_by(value)
        .map(|m| (m.host, m.ts, m.value))
        .sink_to(collect(&MAXIMA_OWNED));
}

#[test]
fn borrowed_and_computed_keys_window_alike() {
    for p in [1, 2] {
        FIELD_KEYS_JOB.run(Some(p), &[]).unwrap();
        COMPUTED_KEYS_JOB.run(Some(p), &[]).unwrap();
        let mut borrowed = MAXIMA.values();
        let mut computed = MAXIMA_OWNED.values();
        borrowed.sort();
        computed.sort();
        assert_eq!(borrowed.len(), 2 * 7, "two hosts, windows ending at 1 s .. 7 s: {borrowed:?}");
        assert_eq!(borrowed, computed, "p={p}");
    }
}

static SEEN: Collected<String> = Collected::new();

/// A binding of the pattern is a borrowed key; the process function sees `&String`.
#[rill::job(no_main)]
fn pattern_keys(env: &mut Env) {
    env.from_elements([("a".to_owned(), 1), ("b".to_owned(), 2), ("a".to_owned(), 3)])
        .key_by(|(name, _)| name)
        .process(|(_, n), ctx, out| {
            let key: &String = ctx.current_key();
            out.collect(format!("{key}:{n}"))
        })
        .sink_to(collect(&SEEN));
}

#[test]
fn a_pattern_binding_keys_a_process_function() {
    PATTERN_KEYS_JOB.run(Some(2), &[]).unwrap();
    let mut seen = SEEN.values();
    seen.sort();
    assert_eq!(seen, ["a:1", "a:3", "b:2"]);
}
