//! Failures and flow control: panics name their operator, a slow sink slows the source.

use rill::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

#[rill::job(no_main)]
fn panics(env: &mut Env) {
    env.from_sequence(1, 100)
        .map(|n| n + 1)
        .filter(|n| {
            assert!(*n != 50, "no fifty here");
            true
        })
        .name("picky filter")
        .uid("picky")
        .discard();
}

#[test]
fn a_panic_in_a_user_function_names_the_operator_and_subtask() {
    let err = PANICS_JOB.run(Some(1), &[]).unwrap_err();
    match &err {
        JobError::OperatorPanic { operator, uid, subtask, parallelism, message } => {
            assert_eq!(operator, "picky filter");
            assert_eq!(uid, "picky");
            assert_eq!((*subtask, *parallelism), (0, 1));
            assert!(message.contains("no fifty here"), "{message}");
        }
        other => panic!("expected an operator panic, got {other:?}"),
    }
    assert_eq!(
        err.to_string().split(':').next().unwrap(),
        "operator 'picky filter' (uid 'picky') failed in subtask 1/1"
    );
}

#[rill::job(no_main)]
fn panics_downstream(env: &mut Env) {
    env.from_sequence(1, 1_000_000)
        .key_by(|n| n % 7)
        .reduce(|a, b| {
            assert!(b < 500_000, "too big: {b}");
            a + b
        })
        .discard();
}

#[test]
fn a_panic_downstream_of_an_exchange_fails_the_job_with_that_panic() {
    let err = PANICS_DOWNSTREAM_JOB.run(Some(2), &[]).unwrap_err().to_string();
    assert!(err.starts_with("operator 'Keyed Reduce' (uid 'reduce-"), "{err}");
    assert!(err.contains("too big"), "{err}");
}

static EMITTED: AtomicU64 = AtomicU64::new(0);
static MAX_AHEAD: AtomicU64 = AtomicU64::new(0);

#[derive(Clone)]
struct SlowSink {
    seen: u64,
}

impl Sink<i64> for SlowSink {
    fn write(&mut self, _: i64) {
        self.seen += 1;
        if self.seen.is_multiple_of(1000) {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let ahead = EMITTED.load(Ordering::Relaxed) - self.seen;
        MAX_AHEAD.fetch_max(ahead, Ordering::Relaxed);
    }
}

#[rill::job(no_main)]
fn backpressure(env: &mut Env) {
    env.from_sequence(1, 1_000_000)
        .map(|n| {
            EMITTED.fetch_add(1, Ordering::Relaxed);
            n
        })
        .rebalance()
        .sink_to(SlowSink { seen: 0 })
        .set_parallelism(1);
}

#[test]
fn a_slow_sink_holds_the_source_back_to_a_bounded_lead() {
    BACKPRESSURE_JOB.run(Some(1), &[]).unwrap();
    assert_eq!(EMITTED.load(Ordering::Relaxed), 1_000_000);
    let ahead = MAX_AHEAD.load(Ordering::Relaxed);
    // The channel holds 4 batches of at most MAX_BATCH; add the batch being filled, the one
    // in flight and the one being consumed. Without backpressure the source would be
    // ~1,000,000 ahead.
    assert!(ahead <= 8 * rill::exchange::MAX_BATCH as u64, "the source ran {ahead} records ahead of the sink");
}
