//! The reference workloads (the README's "Performance"), on the same records as their Flink
//! twins (`examples/flink/Reference.java`), printing the same `RESULT` line so the two
//! compare as a ratio.
//!
//! usage: `bench WORKLOAD N [PARALLELISM] [KEYS] [CHECKPOINT_MS]`, WORKLOAD one of
//! stateless, keyed-sum, keyed-process (keyed-sum's counts in a process function's keyed
//! state, for checkpoints), wordcount, window-alert, sliding-alert, json-alert, and `keyed-sum-written`,
//! `wordcount-written`, `window-alert-written`, `json-alert-written`: the same workloads
//! as a user writes them (owned strings, `format!`, record structs, serde), next to the
//! hand-tuned ones.

use rill::prelude::*;
use rill_examples::bench::{
    line_words, metric_json, mix, reading, word, write_metric_json, Count, CountAvgMax, Metric, MetricInline, Reading,
    ValueStats,
};
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: rill::DefaultAllocator = rill::DEFAULT_ALLOCATOR;

#[rill::job(no_main)]
fn stateless(env: &mut Env) {
    let n: i64 = env.parameter_or("n", 1_000_000);
    let keys: i64 = env.parameter_or("keys", 10_000);
    env.from_sequence(0, n - 1)
        .map(|i| (mix(i).rem_euclid(keys), i.wrapping_mul(908) / 1000))
        .filter(|t| t.0 & 1 == 0)
        .discard();
}

/// `bench WORKLOAD N P KEYS CHECKPOINT_MS`: checkpoints every CHECKPOINT_MS, all kept (their
/// `_metadata` has what each cost).
fn checkpointing(env: &mut Env) {
    let checkpoint_ms: u64 = env.parameter_or("checkpoint-ms", 0);
    let checkpoint_dir = env.parameter("checkpoint-dir").unwrap_or_default().to_owned();
    if checkpoint_ms > 0 {
        env.enable_checkpointing(Duration::from_millis(checkpoint_ms))
            .set_checkpoint_storage(checkpoint_dir)
            .set_num_retained(usize::MAX);
    }
}

#[rill::job(no_main)]
fn keyed_sum(env: &mut Env) {
    let n: i64 = env.parameter_or("n", 1_000_000);
    let keys: i64 = env.parameter_or("keys", 10_000);
    checkpointing(env);
    env.from_sequence(0, n - 1).map(|i| (mix(i).rem_euclid(keys), 1i64)).key_by(|t| t.0).sum(1).discard();
}

/// A key's running count, in keyed state.
static COUNT: ValueState<i64> = ValueState::new("count");

/// `keyed-sum` on the keyed core: a process function keeps each key's count in a
/// `ValueState` and emits it (Flink: a `KeyedProcessFunction` with a `ValueState<Long>`),
/// to measure the checkpoints of process functions, joins and session windows.
#[rill::job(no_main)]
fn keyed_process(env: &mut Env) {
    let n: i64 = env.parameter_or("n", 1_000_000);
    let keys: i64 = env.parameter_or("keys", 10_000);
    checkpointing(env);
    env.from_sequence(0, n - 1)
        .map(|i| (mix(i).rem_euclid(keys), 1i64))
        .key_by(|t| t.0)
        .process(|(key, one), ctx, out| {
            let count = ctx.value(&COUNT).get().unwrap_or(0) + one;
            ctx.value(&COUNT).update(count);
            out.collect((key, count));
        })
        .discard();
}

#[rill::job(no_main)]
fn wordcount(env: &mut Env) {
    let n: i64 = env.parameter_or("n", 1_000_000);
    env.from_sequence(0, n - 1).flat_map(line_words).key_by(|t| &t.0).sum(1).discard();
}

/// Metrics per host: `(host, event time ms x 100, value)`; 1 s tumbling event-time windows
/// with 200 ms bounded out-of-orderness; count, average and maximum; alert on maximum >= 990.
#[rill::job(no_main)]
fn window_alert(env: &mut Env) {
    let n: i64 = env.parameter_or("n", 1_000_000);
    let keys: i64 = env.parameter_or("keys", 10_000);
    checkpointing(env);
    env.from_sequence(0, n - 1)
        .map(|i| (mix(i).rem_euclid(keys), i, mix(i.wrapping_mul(31)).rem_euclid(1000) as f64))
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_millis(200))
                .with_timestamp_assigner(|e, _| e.1 / 100),
        )
        .key_by(|e| e.0)
        .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
        .aggregate(CountAvgMax)
        .filter(|r| r.2 >= 990.0)
        .discard();
}

/// The records of `window-alert` in 60 s windows sliding by 1 s (written for Flink too:
/// `examples/flink/SlidingBench.java`).
#[rill::job(no_main)]
fn sliding_alert(env: &mut Env) {
    let n: i64 = env.parameter_or("n", 1_000_000);
    let keys: i64 = env.parameter_or("keys", 10_000);
    checkpointing(env);
    env.from_sequence(0, n - 1)
        .map(|i| (mix(i).rem_euclid(keys), i, mix(i.wrapping_mul(31)).rem_euclid(1000) as f64))
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_millis(200))
                .with_timestamp_assigner(|e, _| e.1 / 100),
        )
        .key_by(|e| e.0)
        .window(SlidingEventTimeWindows::of(Duration::from_secs(60), Duration::from_secs(1)))
        .aggregate(CountAvgMax)
        .filter(|r| r.2 >= 990.0)
        .discard();
}

/// `keyed-sum` as a user writes it: a record struct, the field summed by name.
#[rill::job(no_main)]
fn keyed_sum_written(env: &mut Env) {
    let n: i64 = env.parameter_or("n", 1_000_000);
    let keys: i64 = env.parameter_or("keys", 10_000);
    env.from_sequence(0, n - 1)
        .map(move |i| Count { key: mix(i).rem_euclid(keys), count: 1 })
        .key_by(|c| c.key)
        .sum(count)
        .discard();
}

/// `wordcount` as a user writes it (the README's word count): each line a `String` made by
/// `format!`, split on whitespace into owned words, the key cloned out of the record.
#[rill::job(no_main)]
fn wordcount_written(env: &mut Env) {
    let n: i64 = env.parameter_or("n", 1_000_000);
    env.from_sequence(0, n - 1)
        .map(|i| format!("{} {} {} {}", word(i), word(i + 1), word(i + 2), word(i + 3)))
        .flat_map(|line, out| {
            for w in line.split_whitespace() {
                out.collect((w.to_owned(), 1i64))
            }
        })
        .key_by(|(w, _)| w.clone())
        .sum(1)
        .discard();
}

/// `window-alert` as a user writes it: a record struct and an aggregate of structs.
#[rill::job(no_main)]
fn window_alert_written(env: &mut Env) {
    let n: i64 = env.parameter_or("n", 1_000_000);
    let keys: i64 = env.parameter_or("keys", 10_000);
    env.from_sequence(0, n - 1)
        .map(move |i| {
            let (host, ts, value) = reading(i, keys);
            Reading { host, ts, value }
        })
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_millis(200))
                .with_timestamp_assigner(|r, _| r.ts),
        )
        .key_by(|r| r.host)
        .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
        .aggregate(ValueStats)
        .filter(|s| s.max >= 990.0)
        .discard();
}

/// The alerting case (`examples/flink/JsonAlert.java`): JSON metrics made with `format!`,
/// parsed with serde into owned fields, keyed by host name, 10 s windows sliding by 1 s,
/// count, average and maximum, alerts where the maximum reaches 990.
#[rill::job(no_main)]
fn json_alert_written(env: &mut Env) {
    let n: i64 = env.parameter_or("n", 1_000_000);
    let keys: i64 = env.parameter_or("keys", 10_000);
    env.from_sequence(0, n - 1)
        .map(move |i| metric_json(i, keys))
        .map(|line| serde_json::from_str::<Metric>(&line).expect("a metric"))
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_millis(200))
                .with_timestamp_assigner(|m, _| m.ts),
        )
        .key_by(|m| m.host.clone())
        .window(SlidingEventTimeWindows::of(Duration::from_secs(10), Duration::from_secs(1)))
        .aggregate(ValueStats)
        .filter(|s| s.max >= 990.0)
        .discard();
}

/// `json-alert` hand-tuned: each JSON line written into a buffer the map keeps, parsed from
/// there into a host name held inline; nothing allocated per record.
#[rill::job(no_main)]
fn json_alert(env: &mut Env) {
    let n: i64 = env.parameter_or("n", 1_000_000);
    let keys: i64 = env.parameter_or("keys", 10_000);
    let mut line = Vec::with_capacity(128);
    env.from_sequence(0, n - 1)
        .map(move |i| {
            write_metric_json(&mut line, i, keys);
            serde_json::from_slice::<MetricInline>(&line).expect("a metric")
        })
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_millis(200))
                .with_timestamp_assigner(|m, _| m.ts),
        )
        .key_by(|m| m.host)
        .window(SlidingEventTimeWindows::of(Duration::from_secs(10), Duration::from_secs(1)))
        .aggregate(ValueStats)
        .filter(|s| s.max >= 990.0)
        .discard();
}

fn usage() -> ! {
    eprintln!(
        "usage: bench WORKLOAD N [PARALLELISM] [KEYS] [CHECKPOINT_MS]\n  WORKLOAD: stateless, keyed-sum, keyed-process, wordcount, \
         window-alert, sliding-alert, json-alert, or keyed-sum, wordcount, window-alert, json-alert with -written (as a user \
         writes them)"
    );
    std::process::exit(2)
}

fn job(workload: &str) -> &'static rill::Job {
    match workload {
        "stateless" => &STATELESS_JOB,
        "keyed-sum" => &KEYED_SUM_JOB,
        "keyed-process" => &KEYED_PROCESS_JOB,
        "wordcount" => &WORDCOUNT_JOB,
        "window-alert" => &WINDOW_ALERT_JOB,
        "sliding-alert" => &SLIDING_ALERT_JOB,
        "json-alert" => &JSON_ALERT_JOB,
        "keyed-sum-written" => &KEYED_SUM_WRITTEN_JOB,
        "wordcount-written" => &WORDCOUNT_WRITTEN_JOB,
        "window-alert-written" => &WINDOW_ALERT_WRITTEN_JOB,
        "json-alert-written" => &JSON_ALERT_WRITTEN_JOB,
        other => {
            eprintln!("error: unknown workload '{other}'");
            usage()
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `bench --plan WORKLOAD [PARALLELISM]`: the workload's job graph as JSON.
    if args.first().map(String::as_str) == Some("--plan") && (2..=3).contains(&args.len()) {
        let p = args.get(2).and_then(|p| p.parse().ok()).unwrap_or(1);
        println!("{}", job(&args[1]).plan_json(p));
        return;
    }
    if args.len() < 2 || args.len() > 5 {
        usage();
    }
    let job = job(&args[0]);
    let number = |i: usize, what: &str, default: i64| -> i64 {
        match args.get(i) {
            None => default,
            Some(v) => v.parse().ok().filter(|n| *n >= 1).unwrap_or_else(|| {
                eprintln!("error: {what} must be a whole number of at least 1, not '{v}'");
                usage()
            }),
        }
    };
    let n = number(1, "N", 1);
    let p = number(2, "PARALLELISM", 1) as usize;
    let keys = number(3, "KEYS", 10_000);
    let checkpoint_ms = number(4, "CHECKPOINT_MS", i64::MAX);
    let checkpoints = std::env::temp_dir().join(format!("rill-bench-checkpoints-{}", std::process::id()));
    let (n_s, keys_s, ms_s) = (n.to_string(), keys.to_string(), checkpoint_ms.to_string());
    let mut params = vec!["--n", &n_s, "--keys", &keys_s];
    if checkpoint_ms != i64::MAX {
        params.extend(["--checkpoint-ms", &ms_s, "--checkpoint-dir", checkpoints.to_str().expect("a UTF-8 path")]);
    }
    let start = Instant::now();
    if let Err(e) = job.run(Some(p), &params) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    let ms = start.elapsed().as_millis().max(1);
    println!("RESULT rill {} n={n} p={p} ms={ms} rate={:.0}", args[0], n as f64 * 1000.0 / ms as f64);
    if checkpoint_ms != i64::MAX {
        checkpoint_report();
        let _ = std::fs::remove_dir_all(&checkpoints);
    }
}

/// `CHECKPOINTS count=.. pause_p99_ms=.. aligned_p50_ms=.. size_mb=..`: what the
/// checkpoints of the run cost, from the checkpoint statistics: per checkpoint, the longest
/// synchronous pause of any task (the one that holds records back longest), the time until
/// every task had answered (the asynchronous part included), the bytes written.
fn checkpoint_report() {
    let mut pauses = Vec::new();
    let mut aligned = Vec::new();
    let mut sizes = Vec::new();
    for meta in rill::checkpoint::stats::completed() {
        pauses.push(meta.tasks.iter().map(|t| t.pause_micros).max().unwrap_or(0));
        aligned.push(meta.aligned_micros);
        sizes.push(meta.tasks.iter().map(|t| t.len).sum::<u64>());
    }
    let quantile = |v: &mut Vec<u64>, q: f64| {
        v.sort_unstable();
        v.get(((v.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0) as f64 / 1000.0
    };
    let size = sizes.iter().max().copied().unwrap_or(0) as f64 / 1e6;
    println!(
        "CHECKPOINTS count={} pause_p50_ms={:.1} pause_p99_ms={:.1} aligned_p50_ms={:.1} size_mb={size:.1}",
        aligned.len(),
        quantile(&mut pauses, 0.5),
        quantile(&mut pauses, 0.99),
        quantile(&mut aligned, 0.5),
    );
}
