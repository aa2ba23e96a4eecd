//! Keyed state and timers in `process` on a keyed stream.

mod common;

use common::{collect, Collected};
use rill::prelude::*;
use std::time::Duration;

static COUNT: ValueState<u32> = ValueState::new("count");
static HISTORY: ListState<i64> = ListState::new("history");
static BY_PARITY: MapState<bool, u32> = MapState::new("by-parity");
static TOTAL: ReducingState<i64> = ReducingState::new("total", |a, b| a + b);

#[derive(Clone)]
struct MaxOf;

impl AggregateFunction<i64> for MaxOf {
    type Acc = i64;
    type Out = i64;
    fn create_accumulator(&self) -> i64 {
        i64::MIN
    }
    fn add(&self, v: i64, acc: &mut i64) {
        *acc = (*acc).max(v);
    }
    fn get_result(&self, acc: &i64) -> i64 {
        *acc
    }
    fn merge(&self, a: i64, b: i64) -> i64 {
        a.max(b)
    }
}

static MAX: AggregatingState<MaxOf> = AggregatingState::new("max", MaxOf);
static STATES: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn all_states(env: &mut Env) {
    env.from_elements([("a", 3i64), ("b", 10), ("a", 4), ("a", 1), ("b", 7)])
        .key_by(|(k, _)| *k)
        .process(|(k, v), ctx, out| {
            let n = ctx.value(&COUNT).get().unwrap_or(0) + 1;
            ctx.value(&COUNT).update(n);
            ctx.list(&HISTORY).add(v);
            let mut parity = ctx.map(&BY_PARITY);
            let seen = parity.get(&(v % 2 == 0)).copied().unwrap_or(0);
            parity.put(v % 2 == 0, seen + 1);
            ctx.reducing(&TOTAL).add(v);
            ctx.aggregating(&MAX).add(v);
            let history = ctx.list(&HISTORY).get().to_vec();
            let even = ctx.map(&BY_PARITY).get(&true).copied().unwrap_or(0);
            let total = *ctx.reducing(&TOTAL).get().unwrap();
            let max = ctx.aggregating(&MAX).get().unwrap();
            out.collect(format!("{k} n={n} history={history:?} even={even} total={total} max={max}"));
            if n == 3 {
                ctx.value(&COUNT).clear();
                ctx.list(&HISTORY).clear();
            }
        })
        .sink_to(collect(&STATES));
}

#[test]
fn each_key_has_its_own_value_list_map_reducing_and_aggregating_state() {
    ALL_STATES_JOB.run(Some(2), &[]).unwrap();
    let mut got = STATES.values();
    got.sort();
    assert_eq!(
        got,
        [
            "a n=1 history=[3] even=0 total=3 max=3",
            "a n=2 history=[3, 4] even=1 total=7 max=4",
            "a n=3 history=[3, 4, 1] even=1 total=8 max=4",
            "b n=1 history=[10] even=1 total=10 max=10",
            "b n=2 history=[10, 7] even=1 total=17 max=10",
        ]
    );
}

/// Reports a host that sent nothing for a second of event time (the timer of its last
/// record fires), as an alerting job would.
#[derive(Clone)]
struct SilenceDetector;

static DEADLINE: ValueState<i64> = ValueState::new("deadline");

impl KeyedProcessFunction<&'static str, (&'static str, i64)> for SilenceDetector {
    type Out = String;
    fn process_element(
        &mut self,
        (_, ts): (&'static str, i64),
        ctx: &mut KeyedContext<'_, &'static str>,
        _out: &mut Output<'_, String>,
    ) {
        if let Some(old) = ctx.value(&DEADLINE).get() {
            ctx.delete_event_time_timer(old);
        }
        ctx.register_event_time_timer(ts + 1_000);
        ctx.value(&DEADLINE).update(ts + 1_000);
    }
    fn on_timer(&mut self, time: i64, ctx: &mut KeyedContext<'_, &'static str>, out: &mut Output<'_, String>) {
        assert_eq!(ctx.time_domain(), Some(TimeDomain::EventTime));
        assert_eq!(ctx.timestamp(), Some(time));
        out.collect(format!("{} silent at {time} (watermark {})", ctx.current_key(), ctx.current_watermark()));
        ctx.value(&DEADLINE).clear();
    }
}

/// Emits the watermark after every event, so that timers fire between records.
#[derive(Clone)]
struct EveryEvent(i64);

impl<T> WatermarkGenerator<T> for EveryEvent {
    fn on_event(&mut self, _: &T, ts: i64) -> Option<i64> {
        self.0 = self.0.max(ts);
        Some(self.0 - 1)
    }
    fn on_periodic_emit(&mut self) -> Option<i64> {
        None
    }
}

static SILENT: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn silence(env: &mut Env) {
    env.from_elements([("h1", 0i64), ("h2", 100), ("h1", 500), ("h2", 200), ("h1", 900), ("h1", 3_000)])
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_generator(EveryEvent(i64::MIN)).with_timestamp_assigner(|r, _| r.1),
        )
        .key_by(|r| r.0)
        .process(SilenceDetector)
        .sink_to(collect(&SILENT));
}

#[test]
fn event_time_timers_fire_when_the_watermark_passes_and_can_be_deleted() {
    SILENCE_JOB.run(Some(1), &[]).unwrap();
    // h2's last record (200) sets a deadline of 1200, passed by the watermark of h1@3000
    // (2999); h1's earlier deadlines were deleted by its later records; its last one fires
    // at the end of input, when event time ends.
    assert_eq!(
        SILENT.values(),
        ["h2 silent at 1200 (watermark 2999)", format!("h1 silent at 4000 (watermark {})", i64::MAX).as_str()]
    );
}

#[derive(Clone)]
struct Reminder;

impl KeyedProcessFunction<u8, u8> for Reminder {
    type Out = String;
    fn process_element(&mut self, v: u8, ctx: &mut KeyedContext<'_, u8>, out: &mut Output<'_, String>) {
        out.collect(format!("got {v}"));
        if v == 1 {
            let now = ctx.current_processing_time();
            ctx.register_processing_time_timer(now + 50);
        }
    }
    fn on_timer(&mut self, _: i64, ctx: &mut KeyedContext<'_, u8>, out: &mut Output<'_, String>) {
        assert_eq!(ctx.time_domain(), Some(TimeDomain::ProcessingTime));
        assert_eq!(ctx.timestamp(), None);
        out.collect(format!("reminder for {}", ctx.current_key()));
    }
}

static REMINDERS: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn reminders(env: &mut Env) {
    let port: u16 = env.parameter_or("port", 0);
    env.set_auto_watermark_interval(Duration::from_millis(5));
    env.socket_text_stream("127.0.0.1", port)
        .map(|line| line.parse::<u8>().unwrap())
        .key_by(|v| *v)
        .process(Reminder)
        .sink_to(collect(&REMINDERS));
}

#[test]
fn processing_time_timers_fire_while_the_operator_waits_for_input() {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.write_all(b"1\n").unwrap();
        // The timer of record 1 is due 50 ms after it: long before record 2.
        std::thread::sleep(Duration::from_millis(400));
        conn.write_all(b"2\n").unwrap();
    });
    REMINDERS_JOB.run(Some(1), &["--port", &port.to_string()]).unwrap();
    server.join().unwrap();
    assert_eq!(REMINDERS.values(), ["got 1", "reminder for 1", "got 2"]);
}

static ODD: OutputTag<String> = OutputTag::new("odd");
static BIG: OutputTag<i64> = OutputTag::new("big");
static EVENS: Collected<i64> = Collected::new();
static ODDS: Collected<String> = Collected::new();
static BIGS: Collected<i64> = Collected::new();

#[rill::job(no_main)]
fn routed(env: &mut Env) {
    let routed = env.from_sequence(1, 10).key_by(|n| n % 3).process(|n, ctx, out| {
        if n % 2 == 0 {
            out.collect(n);
        } else {
            ctx.output(&ODD, format!("odd {n} (key {})", ctx.current_key()));
        }
        if n > 8 {
            ctx.output(&BIG, n);
        }
    });
    routed.sink_to(collect(&EVENS));
    routed.side_output(&ODD).sink_to(collect(&ODDS));
    routed.side_output(&BIG).map(|n| n * 100).sink_to(collect(&BIGS));
}

#[test]
fn a_keyed_process_function_routes_records_to_side_outputs() {
    ROUTED_JOB.run(Some(2), &[]).unwrap();
    let mut evens = EVENS.values();
    evens.sort();
    assert_eq!(evens, [2, 4, 6, 8, 10]);
    let mut odds = ODDS.values();
    odds.sort();
    assert_eq!(odds, ["odd 1 (key 1)", "odd 3 (key 0)", "odd 5 (key 2)", "odd 7 (key 1)", "odd 9 (key 0)"]);
    let mut bigs = BIGS.values();
    bigs.sort();
    assert_eq!(bigs, [900, 1000]);
}

static TTL_CLOCK: std::sync::LazyLock<ManualClock> = std::sync::LazyLock::new(|| ManualClock::new(0));
static RECENT: ValueState<u32> = ValueState::new("recent").with_ttl(Duration::from_secs(1));
static SEEN_RECENTLY: MapState<u8, ()> = MapState::new("seen-recently").with_ttl(Duration::from_secs(1));
static RECENT_SUM: ReducingState<u64> = ReducingState::new("recent-sum", |a, b| a + b).with_ttl(Duration::from_secs(1));
static RECENT_AVG: AggregatingState<Average> =
    AggregatingState::new("recent-avg", Average).with_ttl(Duration::from_secs(1));
static TTL_OUT: Collected<String> = Collected::new();

/// The average of the values added.
#[derive(Clone, Copy)]
struct Average;

impl AggregateFunction<u64> for Average {
    type Acc = (u64, u64);
    type Out = u64;
    fn create_accumulator(&self) -> (u64, u64) {
        (0, 0)
    }
    fn add(&self, value: u64, acc: &mut (u64, u64)) {
        acc.0 += value;
        acc.1 += 1;
    }
    fn get_result(&self, acc: &(u64, u64)) -> u64 {
        acc.0 / acc.1
    }
    fn merge(&self, a: (u64, u64), b: (u64, u64)) -> (u64, u64) {
        (a.0 + b.0, a.1 + b.1)
    }
}

#[rill::job(no_main)]
fn ttl(env: &mut Env) {
    env.set_clock(Clock::Manual(TTL_CLOCK.clone()));
    // (key, milliseconds the clock moves before the record is processed)
    env.from_elements([("a", 0u64), ("a", 500), ("a", 700), ("a", 2_000), ("b", 0)])
        .key_by(|(k, _)| *k)
        .process(|(k, advance), ctx, out| {
            TTL_CLOCK.advance(Duration::from_millis(advance));
            let n = ctx.value(&RECENT).get().unwrap_or(0) + 1;
            ctx.value(&RECENT).update(n);
            let had = ctx.map(&SEEN_RECENTLY).contains(&1);
            ctx.map(&SEEN_RECENTLY).put(1, ());
            ctx.reducing(&RECENT_SUM).add(advance);
            let sum = ctx.reducing(&RECENT_SUM).get().copied().unwrap_or(0);
            ctx.aggregating(&RECENT_AVG).add(advance);
            let avg = ctx.aggregating(&RECENT_AVG).get().unwrap_or(0);
            out.collect(format!("{k}@{} n={n} had={had} sum={sum} avg={avg}", ctx.current_processing_time()));
        })
        .sink_to(collect(&TTL_OUT));
}

#[test]
fn state_with_a_time_to_live_expires_after_its_last_write() {
    TTL_JOB.run(Some(1), &[]).unwrap();
    assert_eq!(
        TTL_OUT.values(),
        [
            "a@0 n=1 had=false sum=0 avg=0",
            "a@500 n=2 had=true sum=500 avg=250",
            "a@1200 n=3 had=true sum=1200 avg=400",
            // 2 s after the last write: expired, never returned; adding starts afresh.
            "a@3200 n=1 had=false sum=2000 avg=2000",
            "b@3200 n=1 had=false sum=0 avg=0",
        ]
    );
}
