//! Checkpoints and restarts: a failure injected while the job runs restarts it from its
//! last checkpoint, and the state it ends with is that of a run without the failure.

mod common;

use common::{collect, Collected};
use rill::codec::{DecodeError, Decoder};
use rill::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Records the rolling sum's source emits.
const N: i64 = 200_000;

/// Whether a checkpoint of any run under `dir` has completed.
fn a_checkpoint_completed(dir: &Path) -> bool {
    let Ok(jobs) = std::fs::read_dir(dir) else { return false };
    jobs.flatten().any(|job| {
        std::fs::read_dir(job.path())
            .map(|chks| chks.flatten().any(|c| c.path().join("_metadata").is_file()))
            .unwrap_or(false)
    })
}

static SUMS: Collected<(i64, i64)> = Collected::new();
/// Every record the map saw, over all runs.
static SEEN: AtomicU64 = AtomicU64::new(0);
static FAILED: AtomicBool = AtomicBool::new(false);

/// A keyed rolling count over a slowed sequence; the map fails once, at the first record
/// from 60 000 on that it sees after a checkpoint has completed.
#[rill::job(no_main)]
fn rolling_count(env: &mut Env) {
    let dir = env.parameter("dir").expect("--dir").to_owned();
    env.enable_checkpointing(Duration::from_millis(10)).set_checkpoint_storage(&dir);
    env.set_restart_strategy(RestartStrategy::fixed_delay(2, Duration::from_millis(10)));
    env.from_sequence(0, N - 1)
        .map(move |n| {
            SEEN.fetch_add(1, Ordering::Relaxed);
            let n = slowly_failing_once(n, &dir, &FAILED);
            (n % 7, 1i64)
        })
        .key_by(|(k, _)| *k)
        .sum(1)
        .sink_to(collect(&SUMS));
}

fn expected_counts() -> BTreeMap<i64, i64> {
    let mut counts = BTreeMap::new();
    for n in 0..N {
        *counts.entry(n % 7).or_insert(0) += 1;
    }
    counts
}

/// The tests share the job's statics: one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run_with_failure(parallelism: usize) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    FAILED.store(false, Ordering::Relaxed);
    SEEN.store(0, Ordering::Relaxed);
    SUMS.take();
    ROLLING_COUNT_JOB.run(Some(parallelism), &["--dir", dir.path().to_str().unwrap()]).unwrap();
    assert!(FAILED.load(Ordering::Relaxed), "the failure was injected (a checkpoint completed first)");

    // Each key's last count is its count in a run without failure: the counts restored
    // from the checkpoint, plus the records after it, once.
    let mut last: BTreeMap<i64, i64> = BTreeMap::new();
    for (k, c) in SUMS.values() {
        let e = last.entry(k).or_insert(0);
        *e = (*e).max(c);
    }
    assert_eq!(last, expected_counts(), "p={parallelism}");

    // The restarted run resumed from the checkpoint's positions, not from the beginning.
    let seen = SEEN.load(Ordering::Relaxed);
    assert!(seen > N as u64, "records after the checkpoint are replayed: {seen}");
    assert!(seen < 2 * N as u64 - 50_000, "records before the checkpoint are not read again: {seen}");

    // The job finished: its checkpoints (written under the directory it named, which the
    // restore read) are discarded with their directory, as Flink discards a finished job's.
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.path()).collect();
    assert!(left.is_empty(), "a finished job leaves no checkpoints: {left:?}");
}

#[test]
fn a_failure_restarts_the_job_from_its_last_checkpoint_with_exactly_once_state() {
    run_with_failure(1);
}

#[test]
fn with_two_subtasks_barriers_align_across_the_exchange() {
    run_with_failure(2);
}

static FACTOR: BroadcastState<(), i64> = BroadcastState::new("factor");
static SCALED: Collected<(i64, i64)> = Collected::new();
static SCALE_FAILED: AtomicBool = AtomicBool::new(false);
/// Records the restarted run processed without the broadcast factor.
static UNSCALED_AFTER_RESTART: AtomicU64 = AtomicU64::new(0);

/// Each number with the factor a broadcast stream set (0 while there is none).
#[derive(Clone)]
struct Scale;

impl BroadcastProcessFunction<i64, i64> for Scale {
    type Out = (i64, i64);
    fn process_element(&mut self, n: i64, ctx: &mut ReadOnlyContext<'_>, out: &mut Output<'_, (i64, i64)>) {
        let factor = ctx.broadcast_state(&FACTOR).get(&()).copied();
        if factor.is_none() && SCALE_FAILED.load(Ordering::Relaxed) {
            UNSCALED_AFTER_RESTART.fetch_add(1, Ordering::Relaxed);
        }
        out.collect((n, factor.unwrap_or(0)));
    }
    fn process_broadcast_element(&mut self, f: i64, ctx: &mut BroadcastContext<'_>, _out: &mut Output<'_, (i64, i64)>) {
        ctx.broadcast_state(&FACTOR).insert((), f);
    }
}

/// A stream without keys scaled by a factor that a broadcast stream sends once, at the
/// start; the numbers fail once after a checkpoint has completed.
#[rill::job(no_main)]
fn scaled_numbers(env: &mut Env) {
    let dir = env.parameter("dir").expect("--dir").to_owned();
    env.enable_checkpointing(Duration::from_millis(10)).set_checkpoint_storage(&dir);
    env.set_restart_strategy(RestartStrategy::fixed_delay(2, Duration::from_millis(10)));
    let factors = env.from_elements([3i64]).broadcast(&FACTOR);
    env.from_sequence(0, N - 1)
        .map(move |n| slowly_failing_once(n, &dir, &SCALE_FAILED))
        .connect(factors)
        .process(Scale)
        .sink_to(collect(&SCALED));
}

#[test]
fn the_broadcast_state_of_a_stream_without_keys_is_restored_after_a_failure() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    SCALED_NUMBERS_JOB.run(Some(2), &["--dir", dir.path().to_str().unwrap()]).unwrap();
    assert!(SCALE_FAILED.load(Ordering::Relaxed), "the failure was injected (a checkpoint completed first)");
    // The factor was sent once, before the checkpoint the job restarted from: the restarted
    // subtasks have it from their restored broadcast state, not from the source again.
    assert_eq!(UNSCALED_AFTER_RESTART.load(Ordering::Relaxed), 0, "records after the restart lacked the factor");
    let scaled = SCALED.values();
    let numbers: std::collections::BTreeSet<i64> = scaled.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers.len() as i64, N, "every number came through");
    assert!(scaled.iter().all(|(_, f)| *f == 3 || *f == 0), "only the factor that was sent");
}

static FIRINGS: ValueState<i64> = ValueState::new("firings");
static COUNT_FIRINGS: Collected<(i64, i64)> = Collected::new();
static SESSION_FIRINGS: Collected<(i64, i64)> = Collected::new();
static FIRINGS_FAILED: AtomicBool = AtomicBool::new(false);

/// Each key's firings, numbered by its window function in state of the key across windows
/// (`global_state`), from count windows of 100 records and from sessions: bursts of 100
/// records a second, 500 ms gaps between them.
#[rill::job(no_main)]
fn numbered_firings(env: &mut Env) {
    let dir = env.parameter("dir").expect("--dir").to_owned();
    env.enable_checkpointing(Duration::from_millis(10)).set_checkpoint_storage(&dir);
    env.set_restart_strategy(RestartStrategy::fixed_delay(2, Duration::from_millis(10)));
    let numbers = env
        .from_sequence(0, N - 1)
        .map(move |n| slowly_failing_once(n, &dir, &FIRINGS_FAILED))
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|n, _| (n / 100) * 1000 + n % 100),
        );
    let number = |key: &i64, ctx: &mut WindowContext<'_, i64>| {
        let n = ctx.global_state().value(&FIRINGS).get().unwrap_or(0) + 1;
        ctx.global_state().value(&FIRINGS).update(n);
        (*key, n)
    };
    numbers
        .key_by(|n| n % 7)
        .count_window(100)
        .process(move |key, ctx, _, out| out.collect(number(key, ctx)))
        .sink_to(collect(&COUNT_FIRINGS));
    numbers
        .key_by(|n| n % 7)
        .window(EventTimeSessionWindows::with_gap(Duration::from_millis(500)))
        .process(move |key, ctx, _, out| out.collect(number(key, ctx)))
        .sink_to(collect(&SESSION_FIRINGS));
}

#[test]
fn the_state_of_session_and_count_window_functions_is_restored_after_a_failure() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    NUMBERED_FIRINGS_JOB.run(Some(2), &["--dir", dir.path().to_str().unwrap()]).unwrap();
    assert!(FIRINGS_FAILED.load(Ordering::Relaxed), "the failure was injected (a checkpoint completed first)");
    // The last number of each key's firings is how many windows it had: numbering went on
    // from the checkpoint, not from 1 again.
    let last = |records: Vec<(i64, i64)>| {
        let mut last = BTreeMap::new();
        for (k, n) in records {
            let e = last.entry(k).or_insert(0);
            *e = n.max(*e);
        }
        last
    };
    let counts: BTreeMap<i64, i64> = (0..7).map(|k| (k, (0..N).filter(|n| n % 7 == k).count() as i64 / 100)).collect();
    assert_eq!(last(COUNT_FIRINGS.values()), counts, "count windows");
    let sessions: BTreeMap<i64, i64> = (0..7).map(|k| (k, N / 100)).collect();
    assert_eq!(last(SESSION_FIRINGS.values()), sessions, "session windows");
}

static COUNT: ValueState<i64> = ValueState::new("count");
static FINAL_COUNTS: Collected<(i64, i64)> = Collected::new();
static PROCESS_FAILED: AtomicBool = AtomicBool::new(false);

/// Counts each key's records in value state; the first record of a key sets an event-time
/// timer at the end of time, which emits the key's count. After a restart only a restored
/// timer can fire (the replayed records are not the first of their key), and only restored
/// state counts the records before the checkpoint.
#[derive(Clone)]
struct CountUntilTheEnd;

impl KeyedProcessFunction<i64, i64> for CountUntilTheEnd {
    type Out = (i64, i64);
    fn process_element(&mut self, _: i64, ctx: &mut KeyedContext<'_, i64>, _: &mut Output<'_, (i64, i64)>) {
        let n = ctx.value(&COUNT).get().unwrap_or(0) + 1;
        ctx.value(&COUNT).update(n);
        if n == 1 {
            ctx.register_event_time_timer(i64::MAX - 1);
        }
    }
    fn on_timer(&mut self, _: i64, ctx: &mut KeyedContext<'_, i64>, out: &mut Output<'_, (i64, i64)>) {
        let n = ctx.value(&COUNT).get().unwrap_or(0);
        out.collect((*ctx.current_key(), n));
    }
}

#[rill::job(no_main)]
fn counts_with_timers(env: &mut Env) {
    let dir = env.parameter("dir").expect("--dir").to_owned();
    env.enable_checkpointing(Duration::from_millis(10)).set_checkpoint_storage(&dir);
    env.set_restart_strategy(RestartStrategy::fixed_delay(2, Duration::from_millis(10)));
    env.from_sequence(0, N - 1)
        .map(move |n| slowly_failing_once(n, &dir, &PROCESS_FAILED))
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(Duration::ZERO).with_timestamp_assigner(|n, _| *n),
        )
        .key_by(|n| n % 7)
        .process(CountUntilTheEnd)
        .sink_to(collect(&FINAL_COUNTS));
}

#[test]
fn keyed_state_and_timers_of_a_process_function_are_restored() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    for parallelism in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        PROCESS_FAILED.store(false, Ordering::Relaxed);
        FINAL_COUNTS.take();
        COUNTS_WITH_TIMERS_JOB.run(Some(parallelism), &["--dir", dir.path().to_str().unwrap()]).unwrap();
        assert!(PROCESS_FAILED.load(Ordering::Relaxed), "the failure was injected");
        let mut got = FINAL_COUNTS.values();
        got.sort();
        assert_eq!(
            got,
            expected_counts().into_iter().collect::<Vec<_>>(),
            "p={parallelism}: one count per key, from its restored timer"
        );
    }
}

/// Counts records (Flink's `AggregateFunction` of a count).
#[derive(Clone)]
struct Count;

/// A count whose encoding is slow on the thread that encodes a snapshot (20 us each), so
/// that records flow, keys change and windows fire while the snapshot still holds the
/// state of its barrier: the windows' copy-on-write is what keeps the two apart.
#[derive(Clone, Copy, Default)]
struct SlowlyEncoded(i64);

impl Codec for SlowlyEncoded {
    fn encode(&self, out: &mut Vec<u8>) {
        if std::thread::current().name().is_some_and(|n| n.starts_with("snapshot")) {
            std::thread::sleep(Duration::from_micros(20));
        }
        self.0.encode(out);
    }
    fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        i64::decode(input).map(SlowlyEncoded)
    }
}

impl AggregateFunction<i64> for Count {
    type Acc = SlowlyEncoded;
    type Out = i64;
    fn create_accumulator(&self) -> SlowlyEncoded {
        SlowlyEncoded(0)
    }
    fn add(&self, _: i64, acc: &mut SlowlyEncoded) {
        acc.0 += 1;
    }
    fn get_result(&self, acc: &SlowlyEncoded) -> i64 {
        acc.0
    }
    fn merge(&self, a: SlowlyEncoded, b: SlowlyEncoded) -> SlowlyEncoded {
        SlowlyEncoded(a.0 + b.0)
    }
}

/// The key of record `n` in the window jobs that fail: a few hundred keys, so that a
/// snapshot takes milliseconds to encode (see [`SlowlyEncoded`]), each for 50 records in a
/// row, so that a window fires while most of its keys are untouched since the barrier.
fn window_key(n: &i64) -> i64 {
    (n / 50) % 300
}

static WINDOW_COUNTS: Collected<(i64, i64, i64)> = Collected::new();
static WINDOW_FAILED: AtomicBool = AtomicBool::new(false);

/// The record, after a sleep every 1000 records (about 200 ms in all: checkpoints every
/// 10 ms complete meanwhile); fails once (`failed` says whether it has), at the first record
/// from 60 000 on after a checkpoint under `dir` has completed. From 60 000 on, until one
/// has, a sleep every 100 records: on a loaded machine a checkpoint may take longer than
/// the run would.
fn slowly_failing_once(n: i64, dir: &str, failed: &AtomicBool) -> i64 {
    if n % 1000 == 0 {
        std::thread::sleep(Duration::from_millis(1));
        if n >= 60_000 && !failed.load(Ordering::Relaxed) && a_checkpoint_completed(Path::new(dir)) {
            failed.store(true, Ordering::Relaxed);
            panic!("injected failure at record {n}");
        }
    } else if n >= 60_000 && n % 100 == 0 && !failed.load(Ordering::Relaxed) && !a_checkpoint_completed(Path::new(dir))
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    n
}

/// Counts per key in tumbling event-time windows of 10 000 ms, over records whose
/// timestamp is their number.
#[rill::job(no_main)]
fn tumbling_counts(env: &mut Env) {
    let dir = env.parameter("dir").expect("--dir").to_owned();
    env.enable_checkpointing(Duration::from_millis(10)).set_checkpoint_storage(&dir);
    env.set_restart_strategy(RestartStrategy::fixed_delay(2, Duration::from_millis(10)));
    // Windows fire as records come (every 10 ms), not in bulk every 200 ms.
    env.set_auto_watermark_interval(Duration::from_millis(1));
    env.from_sequence(0, N - 1)
        .map(move |n| slowly_failing_once(n, &dir, &WINDOW_FAILED))
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(Duration::ZERO).with_timestamp_assigner(|n, _| *n),
        )
        .key_by(window_key)
        .window(TumblingEventTimeWindows::of(Duration::from_secs(10)))
        .aggregate(Count, |key, ctx, count, out| out.collect((*key, ctx.start, count)))
        .sink_to(collect(&WINDOW_COUNTS));
}

/// Fires a window once, at its end, by a timer it registers: what the default trigger does,
/// written as a trigger of the user's own, whose windows and timers are checkpointed.
#[derive(Clone)]
struct AtTheEnd;

impl Trigger<i64, i64> for AtTheEnd {
    fn on_element(&mut self, _: &i64, _: i64, window: &TimeWindow, ctx: &mut TriggerContext<'_, i64>) -> TriggerResult {
        ctx.register_event_time_timer(window.max_timestamp());
        TriggerResult::Continue
    }
    fn on_event_time(&mut self, time: i64, window: &TimeWindow, _: &mut TriggerContext<'_, i64>) -> TriggerResult {
        if time == window.max_timestamp() {
            TriggerResult::Fire
        } else {
            TriggerResult::Continue
        }
    }
}

/// `tumbling_counts` under a trigger of the user's own.
#[rill::job(no_main)]
fn custom_triggered_counts(env: &mut Env) {
    let dir = env.parameter("dir").expect("--dir").to_owned();
    env.enable_checkpointing(Duration::from_millis(10)).set_checkpoint_storage(&dir);
    env.set_restart_strategy(RestartStrategy::fixed_delay(2, Duration::from_millis(10)));
    env.set_auto_watermark_interval(Duration::from_millis(1));
    env.from_sequence(0, N - 1)
        .map(move |n| slowly_failing_once(n, &dir, &WINDOW_FAILED))
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(Duration::ZERO).with_timestamp_assigner(|n, _| *n),
        )
        .key_by(window_key)
        .window(TumblingEventTimeWindows::of(Duration::from_secs(10)))
        .trigger(AtTheEnd)
        .aggregate(Count, |key, ctx, count, out| out.collect((*key, ctx.start, count)))
        .sink_to(collect(&WINDOW_COUNTS));
}

/// The same in windows of 20 000 ms sliding by 10 000 ms (panes).
#[rill::job(no_main)]
fn sliding_counts(env: &mut Env) {
    let dir = env.parameter("dir").expect("--dir").to_owned();
    env.enable_checkpointing(Duration::from_millis(10)).set_checkpoint_storage(&dir);
    env.set_restart_strategy(RestartStrategy::fixed_delay(2, Duration::from_millis(10)));
    // Windows fire as records come (every 10 ms), not in bulk every 200 ms.
    env.set_auto_watermark_interval(Duration::from_millis(1));
    env.from_sequence(0, N - 1)
        .map(move |n| slowly_failing_once(n, &dir, &WINDOW_FAILED))
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(Duration::ZERO).with_timestamp_assigner(|n, _| *n),
        )
        .key_by(window_key)
        .window(SlidingEventTimeWindows::of(Duration::from_secs(20), Duration::from_secs(10)))
        .aggregate(Count, |key, ctx, count, out| out.collect((*key, ctx.start, count)))
        .sink_to(collect(&WINDOW_COUNTS));
}

/// Each key's count in each window of `size` ms starting every `slide` ms, of records
/// keyed by `key`.
fn expected_windows(size: i64, slide: i64, key: fn(&i64) -> i64) -> Vec<(i64, i64, i64)> {
    let mut counts = BTreeMap::new();
    for n in 0..N {
        let last_start = n - n.rem_euclid(slide);
        let mut start = last_start;
        while start > n - size {
            *counts.entry((key(&n), start)).or_insert(0) += 1;
            start -= slide;
        }
    }
    counts.into_iter().map(|((k, s), c)| (k, s, c)).collect()
}

#[test]
fn windows_and_panes_fire_each_window_once_with_its_whole_count_after_a_restart() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let runs = [("tumbling", 1), ("tumbling", 2), ("sliding", 1), ("sliding", 2), ("custom trigger", 2)];
    for (kind, parallelism) in runs {
        let dir = tempfile::tempdir().unwrap();
        WINDOW_FAILED.store(false, Ordering::Relaxed);
        WINDOW_COUNTS.take();
        let sliding = kind == "sliding";
        let job = match kind {
            "sliding" => &SLIDING_COUNTS_JOB,
            "tumbling" => &TUMBLING_COUNTS_JOB,
            _ => &CUSTOM_TRIGGERED_COUNTS_JOB,
        };
        job.run(Some(parallelism), &["--dir", dir.path().to_str().unwrap()]).unwrap();
        assert!(WINDOW_FAILED.load(Ordering::Relaxed), "the failure was injected");
        // A window that fired between the checkpoint and the failure fires again after the
        // restart (the output is at-least-once), with the same count: compare without
        // repeats, and no window with two counts.
        let mut got = WINDOW_COUNTS.values();
        got.sort();
        got.dedup();
        let (size, slide) = if sliding { (20_000, 10_000) } else { (10_000, 10_000) };
        let expected = expected_windows(size, slide, window_key);
        let wrong: Vec<_> = got.iter().filter(|w| !expected.contains(w)).take(5).collect();
        let missing: Vec<_> = expected.iter().filter(|w| !got.contains(w)).take(5).collect();
        assert!(
            got == expected,
            "{kind} p={parallelism}: {} windows fired, {} expected; wrong: {wrong:?}; missing: {missing:?}",
            got.len(),
            expected.len()
        );
    }
}

static FILE_FAILED: AtomicBool = AtomicBool::new(false);

/// The rolling count into Flink's exactly-once file sink (parts rolled at 1 KiB too); the
/// map fails once, after a checkpoint.
#[rill::job(no_main)]
fn rolling_count_to_files(env: &mut Env) {
    let dir = env.parameter("dir").expect("--dir").to_owned();
    let out = env.parameter("out").expect("--out").to_owned();
    env.enable_checkpointing(Duration::from_millis(10)).set_checkpoint_storage(&dir);
    env.set_restart_strategy(RestartStrategy::fixed_delay(2, Duration::from_millis(10)));
    env.from_sequence(0, N - 1)
        .map(move |n| {
            let n = slowly_failing_once(n, &dir, &FILE_FAILED);
            (n % 7, 1i64)
        })
        .key_by(|(k, _)| *k)
        .sum(1)
        .sink_to(rill::sinks::file::FileSink::for_row_format(out).with_max_part_size(1024));
}

#[test]
fn the_file_sink_commits_each_line_exactly_once_across_a_failure() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let mut want: Vec<String> = Vec::new();
    for (k, count) in expected_counts() {
        want.extend((1..=count).map(|c| format!("({k},{c})")));
    }
    want.sort();
    for parallelism in [1, 2] {
        let (dir, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        FILE_FAILED.store(false, Ordering::Relaxed);
        let args = ["--dir", dir.path().to_str().unwrap(), "--out", out.path().to_str().unwrap()];
        ROLLING_COUNT_TO_FILES_JOB.run(Some(parallelism), &args).unwrap();
        assert!(FILE_FAILED.load(Ordering::Relaxed), "the failure was injected");
        let mut lines = Vec::new();
        let mut parts = 0;
        for entry in std::fs::read_dir(out.path()).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(name.starts_with("part-"), "only committed parts are left: {name}");
            parts += 1;
            lines.extend(std::fs::read_to_string(entry.path()).unwrap().lines().map(str::to_owned));
        }
        assert!(parts > 2, "parts rolled at checkpoints and by size: {parts}");
        lines.sort();
        assert_eq!(lines.len(), want.len(), "p={parallelism}: every line once");
        assert!(lines == want, "p={parallelism}: the committed lines are those of a run without failure");
    }
}

static STOPPED_COUNTS: Collected<(i64, i64, i64)> = Collected::new();

/// Counts per key in tumbling event-time windows of 10 000 ms over 200 000 records whose
/// timestamp is their number, slowed to last about a second.
#[rill::job(no_main)]
fn slow_window_counts(env: &mut Env) {
    env.from_sequence(0, N - 1)
        .map(|n| {
            if n % 200 == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
            n
        })
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(Duration::ZERO).with_timestamp_assigner(|n, _| *n),
        )
        .key_by(|n| n % 3)
        .window(TumblingEventTimeWindows::of(Duration::from_secs(10)))
        .aggregate(Count, |key, ctx, count, out| out.collect((*key, ctx.start, count)))
        .sink_to(collect(&STOPPED_COUNTS));
}

#[test]
fn stop_with_savepoint_then_resume_fires_each_window_exactly_once() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    STOPPED_COUNTS.take();
    let job = SLOW_WINDOW_COUNTS_JOB.start(Some(2), &[]);
    std::thread::sleep(Duration::from_millis(300));
    let savepoint = job.stop_with_savepoint(dir.path(), false).expect("a savepoint");
    job.join().expect("a job stopped with a savepoint ends well");
    assert!(savepoint.join("_metadata").is_file(), "{}", savepoint.display());
    let before = STOPPED_COUNTS.values();
    assert!(
        !before.is_empty() && before.len() < expected_windows(10_000, 10_000, |n| n % 3).len(),
        "stopped midway: {}",
        before.len()
    );

    SLOW_WINDOW_COUNTS_JOB.run_from_savepoint(Some(2), &[], &savepoint).unwrap();
    // Nothing is replayed after a stop: every window fires once, without repeats.
    let mut all = before;
    all.extend(STOPPED_COUNTS.values());
    all.sort();
    assert_eq!(all, expected_windows(10_000, 10_000, |n| n % 3));
}

#[test]
fn stop_with_savepoint_and_drain_fires_the_open_windows() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    STOPPED_COUNTS.take();
    let job = SLOW_WINDOW_COUNTS_JOB.start(Some(1), &[]);
    std::thread::sleep(Duration::from_millis(300));
    job.stop_with_savepoint(dir.path(), true).expect("a savepoint");
    job.join().unwrap();
    let fired = STOPPED_COUNTS.values();
    // Event time moved to its end: every window that had a record fired, the last one
    // with what it had.
    let started: std::collections::BTreeSet<(i64, i64)> = fired.iter().map(|(k, s, _)| (*k, *s)).collect();
    let last = fired.iter().map(|(_, s, _)| *s).max().unwrap();
    assert_eq!(started.len() as i64, 3 * (last / 10_000 + 1), "each key's windows up to the last: {fired:?}");
    assert!(
        fired.iter().any(|(_, s, c)| *s == last && *c < 10_000 / 3),
        "the open window fired with part of its records"
    );
}

/// Records a slow sink (1 ms each) took.
static SLOW_SINK: AtomicU64 = AtomicU64::new(0);

/// A fast source into a sink that takes 1 ms a record: the pipeline is backpressured the
/// whole time, and checkpoints every 100 ms.
#[rill::job(no_main)]
fn backpressured(env: &mut Env) {
    let dir = env.parameter("dir").expect("--dir").to_owned();
    env.enable_checkpointing(Duration::from_millis(100)).set_checkpoint_storage(&dir).set_num_retained(1000);
    env.from_sequence(0, 1_000_000_000).map(|n| (n % 13, n)).key_by(|(k, _)| *k).sum(1).sink_to(|_: (i64, i64)| {
        SLOW_SINK.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(1));
    });
}

#[test]
fn checkpoints_complete_within_a_bound_while_a_slow_sink_backpressures_the_job() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let job = BACKPRESSURED_JOB.start(Some(1), &["--dir", dir.path().to_str().unwrap()]);
    std::thread::sleep(Duration::from_secs(4));
    job.cancel();
    let _ = job.join();
    let mut aligned = Vec::new();
    for run in std::fs::read_dir(dir.path()).unwrap().flatten() {
        for chk in std::fs::read_dir(run.path()).unwrap().flatten() {
            if let Ok(meta) = rill::checkpoint::storage::read_metadata(&chk.path()) {
                aligned.push(meta.aligned_micros / 1000);
            }
        }
    }
    aligned.sort();
    eprintln!("checkpoints took {aligned:?} ms; the sink took {} records", SLOW_SINK.load(Ordering::Relaxed));
    assert!(aligned.len() >= 3, "checkpoints complete under backpressure: {aligned:?}");
    // Without batches sized to the sink's rate, the first barrier waited behind 4 096
    // queued records (four seconds) and none completed.
    assert!(aligned.iter().all(|ms| *ms < 1_500), "each within 1.5 s: {aligned:?}");
}

static RESCALED: Collected<(i64, i64)> = Collected::new();

/// `(key, 1)` for the record `n`, slowed so that a stop lands midway.
fn slowed_one_per_key(n: i64) -> (i64, i64) {
    if n % 500 == 0 {
        std::thread::sleep(Duration::from_millis(1));
    }
    (n % 7, 1i64)
}

/// The rolling count, slowed, with uids of its own (as Flink advises for savepoints).
#[rill::job(no_main)]
fn rolling_count_with_uids(env: &mut Env) {
    env.from_sequence(0, N - 1)
        .uid("numbers")
        .map(slowed_one_per_key)
        .key_by(|(k, _)| *k)
        .sum(1)
        .uid("counts")
        .sink_to(collect(&RESCALED));
}

/// The same job with an operator added before the sink: its state restores (uids match).
#[rill::job(no_main)]
fn rolling_count_with_an_added_operator(env: &mut Env) {
    env.from_sequence(0, N - 1)
        .uid("numbers")
        .map(slowed_one_per_key)
        .key_by(|(k, _)| *k)
        .sum(1)
        .uid("counts")
        .filter(|(_, c)| *c > 0)
        .sink_to(collect(&RESCALED));
}

fn last_counts(records: &[(i64, i64)]) -> BTreeMap<i64, i64> {
    let mut last = BTreeMap::new();
    for (k, c) in records {
        let e = last.entry(*k).or_insert(0);
        *e = (*e).max(*c);
    }
    last
}

#[test]
fn a_savepoint_at_p2_restores_at_p3_and_p1_and_into_a_job_with_an_added_operator() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    RESCALED.take();
    let job = ROLLING_COUNT_WITH_UIDS_JOB.start(Some(2), &[]);
    std::thread::sleep(Duration::from_millis(150));
    let savepoint = job.stop_with_savepoint(dir.path(), false).expect("a savepoint");
    job.join().unwrap();
    let before = RESCALED.values();
    assert!(last_counts(&before).values().sum::<i64>() < N, "stopped midway");

    let resumed: [(&rill::Job, usize); 3] = [
        (&ROLLING_COUNT_WITH_UIDS_JOB, 3),
        (&ROLLING_COUNT_WITH_UIDS_JOB, 1),
        (&ROLLING_COUNT_WITH_AN_ADDED_OPERATOR_JOB, 2),
    ];
    for (job, parallelism) in resumed {
        job.run_from_savepoint(Some(parallelism), &[], &savepoint).unwrap();
        let mut all = before.clone();
        all.extend(RESCALED.values());
        assert_eq!(last_counts(&all), expected_counts(), "p={parallelism}: each key's count, none twice");
        assert_eq!(all.len() as i64, N, "p={parallelism}: one update per record, across the stop");
    }
}

static RESUMED_FAILED: AtomicBool = AtomicBool::new(false);

/// The rolling count with the same uids, which restarts after a failure and fails once,
/// at its first record, before any checkpoint of its own.
#[rill::job(no_main)]
fn rolling_count_failing_at_once(env: &mut Env) {
    env.set_restart_strategy(RestartStrategy::fixed_delay(1, Duration::from_millis(10)));
    env.from_sequence(0, N - 1)
        .uid("numbers")
        .map(|n| {
            if !RESUMED_FAILED.swap(true, Ordering::Relaxed) {
                panic!("injected failure at record {n}");
            }
            (n % 7, 1i64)
        })
        .key_by(|(k, _)| *k)
        .sum(1)
        .uid("counts")
        .sink_to(collect(&RESCALED));
}

#[test]
fn a_job_resumed_from_a_savepoint_that_fails_before_its_first_checkpoint_restarts_from_the_savepoint() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    RESCALED.take();
    let job = ROLLING_COUNT_WITH_UIDS_JOB.start(Some(2), &[]);
    std::thread::sleep(Duration::from_millis(150));
    let savepoint = job.stop_with_savepoint(dir.path(), false).expect("a savepoint");
    job.join().unwrap();
    let before = RESCALED.values();
    assert!(last_counts(&before).values().sum::<i64>() < N, "stopped midway");

    RESUMED_FAILED.store(false, Ordering::Relaxed);
    // At parallelism 1 the failure comes before any output, so none is repeated.
    ROLLING_COUNT_FAILING_AT_ONCE_JOB.run_from_savepoint(Some(1), &[], &savepoint).unwrap();
    assert!(RESUMED_FAILED.load(Ordering::Relaxed), "the failure was injected");
    let mut all = before;
    all.extend(RESCALED.values());
    assert_eq!(last_counts(&all), expected_counts(), "each key's count");
    // Restarted from the beginning, the job would count every record again.
    assert_eq!(all.len() as i64, N, "one update per record, from the savepoint on");
}

/// A job whose checkpoints cannot be written (its checkpoint directory is a file), and
/// which tolerates no failed checkpoint.
#[rill::job(no_main)]
fn unwritable(env: &mut Env) {
    let dir = env.parameter("dir").expect("--dir").to_owned();
    env.enable_checkpointing(Duration::from_millis(20))
        .set_checkpoint_storage(&dir)
        .set_tolerable_checkpoint_failure_number(0);
    env.set_restart_strategy(RestartStrategy::None);
    env.from_sequence(0, 1_000_000_000)
        .map(|n| {
            if n % 1000 == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
            (n % 3, 1i64)
        })
        .key_by(|(k, _)| *k)
        .sum(1)
        .discard();
}

#[test]
fn a_checkpoint_that_cannot_be_written_fails_the_job_naming_the_directory() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, b"a file where the checkpoints should go").unwrap();
    // Found before the job starts, as Flink sets up its checkpoint storage at submission.
    let error = UNWRITABLE_JOB.run(Some(1), &["--dir", file.to_str().unwrap()]).unwrap_err().to_string();
    assert!(error.starts_with("checkpoints cannot be written to") && error.contains("not-a-directory"), "{error}");

    // Storage lost while the job runs: the first checkpoint that cannot be written fails it
    // (none tolerated).
    let lost = dir.path().join("lost");
    let path = lost.to_str().unwrap().to_owned();
    let job = std::thread::spawn(move || UNWRITABLE_JOB.run(Some(1), &["--dir", &path]));
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_dir(&lost).map_or(true, |mut d| d.next().is_none()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::fs::remove_dir_all(&lost).unwrap();
    std::fs::write(&lost, b"a file where the checkpoints were going").unwrap();
    let error = job.join().unwrap().unwrap_err().to_string();
    assert!(error.contains("cannot be written to") && error.contains("lost"), "{error}");
    assert!(error.contains("more than the 0 tolerated"), "{error}");
}

static MIXED: Collected<(i64, i64)> = Collected::new();
static MIXED_FAILED: AtomicBool = AtomicBool::new(false);

/// A collection source that ends at once beside a sequence that runs on: after the first
/// has finished, checkpoints go on (its final state stands for it) and a failure restores
/// both: the collection's records are not read again.
#[rill::job(no_main)]
fn short_and_long_sources(env: &mut Env) {
    let dir = env.parameter("dir").expect("--dir").to_owned();
    env.enable_checkpointing(Duration::from_millis(10)).set_checkpoint_storage(&dir);
    env.set_restart_strategy(RestartStrategy::fixed_delay(2, Duration::from_millis(10)));
    let short = env.from_elements([100i64, 101, 102, 103, 104, 105, 106]);
    let long = env.from_sequence(0, N - 1).map(move |n| slowly_failing_once(n, &dir, &MIXED_FAILED));
    short.union(long).map(|n| (n % 7, 1i64)).key_by(|(k, _)| *k).sum(1).sink_to(collect(&MIXED));
}

#[test]
fn checkpoints_go_on_after_a_source_has_finished_and_restore_it_finished() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    MIXED_FAILED.store(false, Ordering::Relaxed);
    MIXED.take();
    SHORT_AND_LONG_SOURCES_JOB.run(Some(1), &["--dir", dir.path().to_str().unwrap()]).unwrap();
    assert!(MIXED_FAILED.load(Ordering::Relaxed), "a checkpoint completed after the short source ended");
    let mut want = expected_counts();
    for n in 100..107i64 {
        *want.get_mut(&(n % 7)).unwrap() += 1;
    }
    assert_eq!(last_counts(&MIXED.values()), want, "every record once, the short source's too");
}

static HALF_DONE: AtomicBool = AtomicBool::new(false);
static LATE_FAILED: AtomicBool = AtomicBool::new(false);

/// Two subtasks, each writing its half of the sequence into the file sink in its own chain:
/// the first half is written at once, the second slowly, and fails once after the first
/// subtask has ended. The first subtask's sink must not commit before a checkpoint holds its
/// final state: the restart would write its records again.
#[rill::job(no_main)]
fn early_finisher(env: &mut Env) {
    let dir = env.parameter("dir").expect("--dir").to_owned();
    let out = env.parameter("out").expect("--out").to_owned();
    env.enable_checkpointing(Duration::from_millis(300)).set_checkpoint_storage(&dir);
    env.set_restart_strategy(RestartStrategy::fixed_delay(2, Duration::from_millis(10)));
    env.from_sequence(0, 9_999)
        .map(|n| {
            if n == 4_999 {
                HALF_DONE.store(true, Ordering::Relaxed);
            }
            if n >= 5_000 {
                std::thread::sleep(Duration::from_micros(100));
                if n == 5_100 && HALF_DONE.load(Ordering::Relaxed) && !LATE_FAILED.swap(true, Ordering::Relaxed) {
                    // The first subtask has ended by now (it had 5 000 records and no pauses).
                    std::thread::sleep(Duration::from_millis(50));
                    panic!("injected failure after the first subtask ended");
                }
            }
            n
        })
        .sink_to(rill::sinks::file::FileSink::for_row_format(out));
}

#[test]
fn a_sink_that_ends_early_commits_only_after_a_checkpoint_holds_its_final_state() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let (dir, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    HALF_DONE.store(false, Ordering::Relaxed);
    LATE_FAILED.store(false, Ordering::Relaxed);
    let args = ["--dir", dir.path().to_str().unwrap(), "--out", out.path().to_str().unwrap()];
    EARLY_FINISHER_JOB.run(Some(2), &args).unwrap();
    assert!(LATE_FAILED.load(Ordering::Relaxed), "the failure was injected");
    let mut lines: Vec<i64> = Vec::new();
    for entry in std::fs::read_dir(out.path()).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(name.starts_with("part-"), "only committed parts are left: {name}");
        lines.extend(std::fs::read_to_string(entry.path()).unwrap().lines().map(|l| l.parse::<i64>().unwrap()));
    }
    lines.sort();
    assert_eq!(lines.len(), 10_000, "every record once: the early subtask's too");
    assert_eq!(lines, (0..10_000).collect::<Vec<_>>());
}

static DAMAGED_COUNTS: Collected<(i64, i64)> = Collected::new();
static DAMAGED_FAILED: AtomicBool = AtomicBool::new(false);

/// Damages a file of the newest completed checkpoint under `dir`; whether one was there.
fn damage_the_newest_checkpoint(dir: &Path) -> bool {
    let mut newest: Option<(u64, std::path::PathBuf)> = None;
    for run in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        for chk in std::fs::read_dir(run.path()).into_iter().flatten().flatten() {
            let n = chk.file_name().to_string_lossy().strip_prefix("chk-").and_then(|n| n.parse::<u64>().ok());
            if let (Some(n), true) = (n, chk.path().join("_metadata").is_file()) {
                if newest.as_ref().is_none_or(|(m, _)| n > *m) {
                    newest = Some((n, chk.path()));
                }
            }
        }
    }
    let Some((_, chk)) = newest else { return false };
    let task =
        std::fs::read_dir(&chk).unwrap().flatten().find(|e| e.file_name().to_string_lossy().starts_with("task-"));
    let Some(task) = task else { return false };
    let mut bytes = std::fs::read(task.path()).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(task.path(), bytes).unwrap();
    true
}

/// The rolling count with two checkpoints retained; before the failure it damages the
/// newest, so the restart must take the one before.
#[rill::job(no_main)]
fn restore_past_a_damaged_checkpoint(env: &mut Env) {
    let dir = env.parameter("dir").expect("--dir").to_owned();
    env.enable_checkpointing(Duration::from_millis(10)).set_checkpoint_storage(&dir).set_num_retained(2);
    env.set_restart_strategy(RestartStrategy::fixed_delay(2, Duration::from_millis(10)));
    env.from_sequence(0, N - 1)
        .map(move |n| {
            if n % 1000 == 0 {
                std::thread::sleep(Duration::from_millis(1));
                if n >= 60_000 && !DAMAGED_FAILED.load(Ordering::Relaxed) {
                    let completed = std::fs::read_dir(&dir)
                        .into_iter()
                        .flatten()
                        .flatten()
                        .flat_map(|run| std::fs::read_dir(run.path()).into_iter().flatten().flatten())
                        .filter(|c| c.path().join("_metadata").is_file())
                        .count();
                    if completed >= 2 && damage_the_newest_checkpoint(Path::new(&dir)) {
                        DAMAGED_FAILED.store(true, Ordering::Relaxed);
                        panic!("injected failure at record {n}, the newest checkpoint damaged");
                    }
                }
            }
            (n % 7, 1i64)
        })
        .key_by(|(k, _)| *k)
        .sum(1)
        .sink_to(collect(&DAMAGED_COUNTS));
}

#[test]
fn a_damaged_newest_checkpoint_is_passed_over_for_the_one_before() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    DAMAGED_FAILED.store(false, Ordering::Relaxed);
    DAMAGED_COUNTS.take();
    RESTORE_PAST_A_DAMAGED_CHECKPOINT_JOB.run(Some(1), &["--dir", dir.path().to_str().unwrap()]).unwrap();
    assert!(DAMAGED_FAILED.load(Ordering::Relaxed), "the newest checkpoint was damaged, then the job failed");
    assert_eq!(last_counts(&DAMAGED_COUNTS.values()), expected_counts(), "restored from the one before, exactly once");
}

/// A slow job that takes a checkpoint every 10 ms under `--dir`, keeps them by
/// `--retention` (`retain`, `delete`, `none`: Flink's three), and fails at record
/// `--fail-at` if given (with no restarts).
#[rill::job(no_main)]
fn retention(env: &mut Env) {
    let dir = env.parameter("dir").expect("--dir").to_owned();
    let retention = match env.parameter("retention").expect("--retention") {
        "retain" => ExternalizedCheckpointRetention::RetainOnCancellation,
        "delete" => ExternalizedCheckpointRetention::DeleteOnCancellation,
        _ => ExternalizedCheckpointRetention::NoExternalizedCheckpoints,
    };
    let fail_at: i64 = env.parameter_or("fail-at", -1);
    env.enable_checkpointing(Duration::from_millis(10))
        .set_checkpoint_storage(&dir)
        .set_externalized_checkpoint_retention(retention);
    env.set_restart_strategy(RestartStrategy::None);
    env.from_sequence(0, 1_000_000_000)
        .map(move |n| {
            assert!(n != fail_at, "injected failure at record {n}");
            slowed_one_per_key(n)
        })
        .key_by(|(k, _)| *k)
        .sum(1)
        .discard();
}

/// The completed checkpoints under `dir` (`<dir>/<job id>/chk-<n>/_metadata`).
fn completed_under(dir: &Path) -> usize {
    let jobs = std::fs::read_dir(dir).into_iter().flatten().flatten();
    jobs.flat_map(|job| std::fs::read_dir(job.path()).into_iter().flatten().flatten())
        .filter(|chk| chk.path().join("_metadata").is_file())
        .count()
}

/// Runs `retention` until a checkpoint has completed, then cancels it (or lets it fail);
/// how many completed checkpoints are left after it ended.
fn left_after(retention: &str, fail: bool) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    if fail {
        // Record 30 000 comes after a few checkpoints (a 1 ms pause every 500 records).
        let error = RETENTION_JOB.run(Some(1), &["--dir", path, "--retention", retention, "--fail-at", "30000"]);
        assert!(error.unwrap_err().to_string().contains("injected failure"));
    } else {
        let job = RETENTION_JOB.start(Some(1), &["--dir", path, "--retention", retention]);
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while completed_under(dir.path()) == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(completed_under(dir.path()) > 0, "a checkpoint completed");
        job.cancel();
        assert!(matches!(job.join(), Err(rill::JobError::Cancelled(_))));
    }
    completed_under(dir.path())
}

#[test]
fn checkpoints_are_kept_or_discarded_when_the_job_ends_as_its_retention_says() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    // Cancelled: kept by Rill's default (Flink's RETAIN_ON_CANCELLATION), else removed.
    assert_eq!(left_after("retain", false), 1);
    assert_eq!(left_after("delete", false), 0);
    assert_eq!(left_after("none", false), 0);
    // Failed: removed only without externalized checkpoints.
    assert!(left_after("retain", true) >= 1);
    assert!(left_after("delete", true) >= 1);
    assert_eq!(left_after("none", true), 0);
}
