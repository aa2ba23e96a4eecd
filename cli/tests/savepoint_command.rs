//! `rill savepoint inspect` as a user runs it, on a savepoint a real job took.

use rill::prelude::*;
use std::process::Command;
use std::time::Duration;

const RILL: &str = env!("CARGO_BIN_EXE_rill");

static COUNT: ValueState<i64> = ValueState::new("count");

/// Counts per key (1 000 keys) in value state, with a rolling sum beside it, slowly.
#[rill::job(no_main)]
fn counts(env: &mut Env) {
    let keyed = env
        .from_sequence(0, 10_000_000)
        .map(|n| {
            if n % 1_000 == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
            (n % 1_000, 1i64)
        })
        .key_by(|(k, _)| *k);
    keyed
        .process(|(k, _), ctx, out| {
            let n = ctx.value(&COUNT).get().unwrap_or(0) + 1;
            ctx.value(&COUNT).update(n);
            out.collect((k, n));
        })
        .uid("counter")
        .discard();
}

#[test]
fn inspect_prints_the_operators_their_states_and_key_counts() {
    let dir = tempfile::tempdir().unwrap();
    let job = COUNTS_JOB.start(Some(2), &[]);
    std::thread::sleep(Duration::from_millis(1500));
    let savepoint = job.stop_with_savepoint(dir.path(), false).expect("a savepoint");
    job.join().unwrap();

    let out = Command::new(RILL).args(["savepoint", "inspect", savepoint.to_str().unwrap()]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.starts_with("checkpoint ") && text.contains("of job 'counts'"), "{text}");
    assert!(text.contains("operator 'counter' (2 subtasks)"), "{text}");
    assert!(text.contains("keyed state 'count': 1000 entries"), "every key's count: {text}");
    assert!(text.contains("operator 'from-sequence-0' (2 subtasks)"), "the source's positions: {text}");

    // A directory without a savepoint: an error that names what is missing.
    let out = Command::new(RILL).args(["savepoint", "inspect", dir.path().to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("_metadata"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(RILL).args(["savepoint"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
