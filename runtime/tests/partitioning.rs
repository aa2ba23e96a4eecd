//! Where records go between chains: rebalance, rescale, broadcast, global, hash, forward.

mod common;

use common::{collect, Collected};
use rill::prelude::*;
use rill::state::key_groups::{key_group, subtask_for_key_group};
use std::collections::{BTreeMap, BTreeSet};

fn by_subtask<T: Ord + Clone>(got: Vec<(usize, T)>) -> BTreeMap<usize, Vec<T>> {
    let mut m = BTreeMap::new();
    for (s, v) in got {
        m.entry(s).or_insert_with(Vec::new).push(v);
    }
    m
}

static BROADCAST: Collected<i64> = Collected::new();

#[rill::job(no_main)]
fn broadcast(env: &mut Env) {
    env.from_elements([1i64, 2, 3]).broadcast().map(|n| n * 10).sink_to(collect(&BROADCAST));
}

#[test]
fn broadcast_sends_every_record_to_every_subtask() {
    BROADCAST_JOB.run(Some(3), &[]).unwrap();
    let got = by_subtask(BROADCAST.take());
    assert_eq!(got.len(), 3);
    for (_, mut values) in got {
        values.sort();
        assert_eq!(values, [10, 20, 30]);
    }
}

static GLOBAL: Collected<i64> = Collected::new();

#[rill::job(no_main)]
fn global(env: &mut Env) {
    env.from_sequence(1, 100).global().map(|n| n).sink_to(collect(&GLOBAL));
}

#[test]
fn global_sends_everything_to_the_first_subtask() {
    GLOBAL_JOB.run(Some(3), &[]).unwrap();
    let got = GLOBAL.take();
    assert_eq!(got.len(), 100);
    assert!(got.iter().all(|(s, _)| *s == 0));
}

static REBALANCED: Collected<i64> = Collected::new();

#[rill::job(no_main)]
fn rebalance(env: &mut Env) {
    env.from_elements(0..3000i64).rebalance().map(|n| n).sink_to(collect(&REBALANCED));
}

#[test]
fn rebalance_spreads_records_evenly() {
    REBALANCE_JOB.run(Some(3), &[]).unwrap();
    let got = by_subtask(REBALANCED.take());
    assert_eq!(got.len(), 3);
    for (s, values) in got {
        assert_eq!(values.len(), 1000, "subtask {s}");
    }
}

static RESCALED: Collected<(usize, i64)> = Collected::new();

#[rill::job(no_main)]
fn rescale(env: &mut Env) {
    env.from_sequence(0, 3999)
        .set_parallelism(2)
        .process(|n, _, out| out.collect(n))
        .set_parallelism(2)
        .rescale()
        .map(|n| (0usize, n))
        .set_parallelism(4)
        .sink_to(collect(&RESCALED))
        .set_parallelism(4);
}

#[test]
fn rescale_pairs_upstream_and_downstream_subtasks() {
    RESCALE_JOB.run(Some(4), &[]).unwrap();
    let got = RESCALED.take();
    // Upstream subtask 0 has 0..2000 and feeds subtasks 0 and 1; subtask 1 feeds 2 and 3.
    for (s, (_, n)) in &got {
        let upstream = if *n < 2000 { 0 } else { 1 };
        assert_eq!(s / 2, upstream, "record {n} reached subtask {s}");
    }
    let used: BTreeSet<usize> = got.iter().map(|(s, _)| *s).collect();
    assert_eq!(used, BTreeSet::from([0, 1, 2, 3]));
}

static HASHED: Collected<(u64, u64)> = Collected::new();

#[rill::job(no_main)]
fn hash(env: &mut Env) {
    env.from_sequence(0, 999)
        .map(|n| (n as u64 % 37, n as u64))
        .key_by(|(k, _)| *k)
        .process(|v, _, out| out.collect(v))
        .sink_to(collect(&HASHED));
}

#[test]
fn key_by_sends_each_key_to_the_subtask_of_its_key_group() {
    HASH_JOB.run(Some(3), &[]).unwrap();
    let got = HASHED.take();
    assert_eq!(got.len(), 1000);
    for (s, (k, _)) in got {
        assert_eq!(s, subtask_for_key_group(key_group(&k, 128), 128, 3), "key {k}");
    }
}

static HASHED_PAIRS: Collected<(String, String)> = Collected::new();

/// A key of copies of two fields: the exchange hashes the fields in place (no copies to
/// route a record), and must send each key where its key group says, as a key it made would.
#[rill::job(no_main)]
fn hash_pairs(env: &mut Env) {
    env.from_sequence(0, 999)
        .map(|n| (format!("host-{}", n % 13), format!("metric-{}", n % 7), n))
        .key_by(|r| (r.0.clone(), r.1.clone()))
        .process(|_, ctx, out| out.collect(ctx.current_key().clone()))
        .sink_to(collect(&HASHED_PAIRS));
}

#[test]
fn key_by_routes_copied_fields_by_the_key_group_of_the_key() {
    HASH_PAIRS_JOB.run(Some(3), &[]).unwrap();
    let got = HASHED_PAIRS.take();
    assert_eq!(got.len(), 1000);
    let subtasks: std::collections::HashSet<usize> = got.iter().map(|(s, _)| *s).collect();
    assert_eq!(subtasks.len(), 3, "keys spread over every subtask");
    for (s, key) in got {
        assert_eq!(s, subtask_for_key_group(key_group(&key, 128), 128, 3), "key {key:?}");
    }
}
