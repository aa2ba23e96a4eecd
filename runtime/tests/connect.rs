//! Two inputs into one operator: `connect` with `co_map`, `co_flat_map` and keyed
//! co-process functions.

mod common;

use common::{collect, Collected};
use rill::prelude::*;

static MAPPED: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn co_map(env: &mut Env) {
    let numbers = env.from_sequence(1, 3);
    let words = env.from_elements(["a", "b"]);
    numbers.connect(words).co_map(|n| format!("n{n}"), |w| w.to_uppercase()).sink_to(collect(&MAPPED));
}

#[test]
fn co_map_maps_each_input_with_its_own_function() {
    CO_MAP_JOB.run(Some(2), &[]).unwrap();
    let mut got = MAPPED.values();
    got.sort();
    assert_eq!(got, ["A", "B", "n1", "n2", "n3"]);
}

static FLAT: Collected<i64> = Collected::new();

#[rill::job(no_main)]
fn co_flat_map(env: &mut Env) {
    let a = env.from_elements([2i64, 3]);
    let b = env.from_elements(["1,10", "100"]);
    a.connect(b)
        .co_flat_map(
            |n| (0..n).collect::<Vec<_>>(),
            |s| s.split(',').map(|x| x.parse::<i64>().unwrap()).collect::<Vec<_>>(),
        )
        .map(|n| n * 2)
        .sink_to(collect(&FLAT));
}

#[test]
fn co_flat_map_emits_any_number_per_record_and_chains_what_follows() {
    CO_FLAT_MAP_JOB.run(Some(1), &[]).unwrap();
    let mut got = FLAT.values();
    got.sort();
    assert_eq!(got, [0, 0, 2, 2, 2, 4, 20, 200]);
}

static FLAT_COLLECTED: Collected<i64> = Collected::new();

/// The same in Flink's collector form.
#[rill::job(no_main)]
fn co_flat_map_collect(env: &mut Env) {
    let a = env.from_elements([2i64, 3]);
    let b = env.from_elements(["1,10", "100"]);
    a.connect(b)
        .co_flat_map(
            |n, out| {
                for i in 0..n {
                    out.collect(i)
                }
            },
            |s, out| {
                for x in s.split(',') {
                    out.collect(x.parse::<i64>().unwrap())
                }
            },
        )
        .map(|n| n * 2)
        .sink_to(collect(&FLAT_COLLECTED));
}

#[test]
fn co_flat_map_collects_like_it_iterates() {
    CO_FLAT_MAP_COLLECT_JOB.run(Some(1), &[]).unwrap();
    let mut got = FLAT_COLLECTED.values();
    got.sort();
    assert_eq!(got, [0, 0, 2, 2, 2, 4, 20, 200]);
}

/// Joins orders with payments by order id: whichever comes first waits in keyed state.
#[derive(Clone)]
struct MatchPayments;

static ORDER: ValueState<String> = ValueState::new("order");
static PAID: ValueState<i64> = ValueState::new("paid");

impl KeyedCoProcessFunction<u32, (u32, &'static str), (u32, i64)> for MatchPayments {
    type Out = String;
    fn process_element1(
        &mut self,
        (id, item): (u32, &'static str),
        ctx: &mut KeyedContext<'_, u32>,
        out: &mut Output<'_, String>,
    ) {
        match ctx.value(&PAID).get() {
            Some(amount) => out.collect(format!("order {id} ({item}) paid {amount}")),
            None => ctx.value(&ORDER).update(item.to_owned()),
        }
    }
    fn process_element2(
        &mut self,
        (id, amount): (u32, i64),
        ctx: &mut KeyedContext<'_, u32>,
        out: &mut Output<'_, String>,
    ) {
        ctx.output(&PAYMENTS, amount);
        match ctx.value(&ORDER).get() {
            Some(item) => out.collect(format!("order {id} ({item}) paid {amount}")),
            None => ctx.value(&PAID).update(amount),
        }
    }
}

static MATCHED: Collected<String> = Collected::new();
static PAYMENTS: OutputTag<i64> = OutputTag::new("payments");
static PAID_AMOUNTS: Collected<i64> = Collected::new();

#[rill::job(no_main)]
fn keyed_co_process(env: &mut Env) {
    let orders = env.from_elements([(1u32, "book"), (2, "pen"), (3, "lamp")]);
    let payments = env.from_elements([(3u32, 40i64), (1, 12)]);
    let matched = orders.connect(payments).key_by(|o| o.0, |p| p.0).process(MatchPayments);
    matched.sink_to(collect(&MATCHED));
    matched.side_output(&PAYMENTS).sink_to(collect(&PAID_AMOUNTS));
}

#[test]
fn a_keyed_co_process_function_shares_keyed_state_between_its_inputs() {
    KEYED_CO_PROCESS_JOB.run(Some(3), &[]).unwrap();
    let mut got = MATCHED.values();
    got.sort();
    assert_eq!(got, ["order 1 (book) paid 12", "order 3 (lamp) paid 40"]);
    let mut paid = PAID_AMOUNTS.values();
    paid.sort();
    assert_eq!(paid, [12, 40]);
    let plan = KEYED_CO_PROCESS_JOB.plan_json(3);
    assert!(plan.contains(r#""partitioner":"HASH","input":1"#), "{plan}");
}

/// Alerts on readings over a per-metric threshold; the thresholds arrive on a broadcast
/// stream and may change while readings flow.
#[derive(Clone)]
struct Thresholds;

static LIMITS: BroadcastState<&'static str, f64> = BroadcastState::new("limits");
static OVER: ValueState<u32> = ValueState::new("over");

impl KeyedBroadcastProcessFunction<&'static str, (&'static str, f64), (&'static str, f64)> for Thresholds {
    type Out = String;
    fn process_element(
        &mut self,
        (metric, value): (&'static str, f64),
        ctx: &mut KeyedContext<'_, &'static str>,
        out: &mut Output<'_, String>,
    ) {
        let limit = ctx.broadcast_state(&LIMITS).get(metric).copied();
        if let Some(limit) = limit.filter(|l| value > *l) {
            let n = ctx.value(&OVER).get().unwrap_or(0) + 1;
            ctx.value(&OVER).update(n);
            out.collect(format!("{metric} {value} > {limit} (#{n})"));
        }
    }
    fn process_broadcast_element(
        &mut self,
        (metric, limit): (&'static str, f64),
        ctx: &mut BroadcastContext<'_>,
        _out: &mut Output<'_, String>,
    ) {
        ctx.broadcast_state(&LIMITS).insert(metric, limit);
    }
}

static ALERTS: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn broadcast_rules(env: &mut Env) {
    let port: u16 = env.parameter_or("port", 0);
    let rules = env.from_elements([("cpu", 90.0), ("disk", 80.0)]);
    let readings = env.socket_text_stream("127.0.0.1", port).map(|l| {
        let (m, v) = l.split_once('=').unwrap();
        (if m == "cpu" { "cpu" } else { "disk" }, v.parse::<f64>().unwrap())
    });
    readings.key_by(|r| r.0).connect(rules.broadcast(&LIMITS)).process(Thresholds).sink_to(collect(&ALERTS));
}

#[test]
fn broadcast_state_reaches_every_subtask_and_is_read_with_keyed_state() {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        // Let the rules arrive first: readings come over a socket, later.
        std::thread::sleep(std::time::Duration::from_millis(300));
        conn.write_all(b"cpu=95\ncpu=50\ndisk=85\ncpu=91\ndisk=10\n").unwrap();
    });
    BROADCAST_RULES_JOB.run(Some(3), &["--port", &port.to_string()]).unwrap();
    server.join().unwrap();
    let mut got = ALERTS.values();
    got.sort();
    assert_eq!(got, ["cpu 91 > 90 (#2)", "cpu 95 > 90 (#1)", "disk 85 > 80 (#1)"]);
    let plan = BROADCAST_RULES_JOB.plan_json(3);
    assert!(plan.contains(r#""partitioner":"BROADCAST","input":1"#), "{plan}");
}

/// The same thresholds for readings without keys (Flink's `BroadcastProcessFunction`).
#[derive(Clone)]
struct AnyOver;

impl BroadcastProcessFunction<(&'static str, f64), (&'static str, f64)> for AnyOver {
    type Out = String;
    fn process_element(
        &mut self,
        (metric, value): (&'static str, f64),
        ctx: &mut ReadOnlyContext<'_>,
        out: &mut Output<'_, String>,
    ) {
        if let Some(limit) = ctx.broadcast_state(&LIMITS).get(metric).copied().filter(|l| value > *l) {
            out.collect(format!("{metric} {value} > {limit}"));
        } else {
            ctx.output(&WITHIN, format!("{metric} {value}"));
        }
    }
    fn process_broadcast_element(
        &mut self,
        (metric, limit): (&'static str, f64),
        ctx: &mut BroadcastContext<'_>,
        _out: &mut Output<'_, String>,
    ) {
        ctx.broadcast_state(&LIMITS).insert(metric, limit);
        ctx.output(&RULES_SEEN, metric);
    }
}

static ANY_OVER: Collected<String> = Collected::new();
static WITHIN: OutputTag<String> = OutputTag::new("within");
static RULES_SEEN: OutputTag<&'static str> = OutputTag::new("rules seen");
static WITHIN_LIMITS: Collected<String> = Collected::new();
static RULES_HEARD: Collected<&'static str> = Collected::new();

#[rill::job(no_main)]
fn broadcast_rules_without_keys(env: &mut Env) {
    let port: u16 = env.parameter_or("port", 0);
    let rules = env.from_elements([("cpu", 90.0), ("disk", 80.0)]);
    let readings = env.socket_text_stream("127.0.0.1", port).map(|l| {
        let (m, v) = l.split_once('=').unwrap();
        (if m == "cpu" { "cpu" } else { "disk" }, v.parse::<f64>().unwrap())
    });
    let over = readings.rebalance().connect(rules.broadcast(&LIMITS)).process(AnyOver);
    over.sink_to(collect(&ANY_OVER));
    over.side_output(&WITHIN).sink_to(collect(&WITHIN_LIMITS));
    over.side_output(&RULES_SEEN).sink_to(collect(&RULES_HEARD));
}

#[test]
fn broadcast_state_reaches_every_subtask_of_a_stream_without_keys() {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        // Let the rules arrive first: readings come over a socket, later.
        std::thread::sleep(std::time::Duration::from_millis(300));
        conn.write_all(b"cpu=95\ncpu=50\ndisk=85\ncpu=91\ndisk=10\ncpu=99\n").unwrap();
    });
    BROADCAST_RULES_WITHOUT_KEYS_JOB.run(Some(3), &["--port", &port.to_string()]).unwrap();
    server.join().unwrap();
    let mut got = ANY_OVER.values();
    got.sort();
    // Rebalanced over three subtasks, each reading saw the thresholds.
    assert_eq!(got, ["cpu 91 > 90", "cpu 95 > 90", "cpu 99 > 90", "disk 85 > 80"]);
    // Both sides of the function write side outputs: each subtask heard both rules.
    let mut within = WITHIN_LIMITS.values();
    within.sort();
    assert_eq!(within, ["cpu 50", "disk 10"]);
    let mut heard = RULES_HEARD.values();
    heard.sort();
    assert_eq!(heard, ["cpu", "cpu", "cpu", "disk", "disk", "disk"]);
    let plan = BROADCAST_RULES_WITHOUT_KEYS_JOB.plan_json(3);
    assert!(plan.contains(r#""partitioner":"BROADCAST","input":1"#), "{plan}");
    assert!(plan.contains(r#""source":2,"target":3,"partitioner":"REBALANCE"}"#), "{plan}");
    assert!(plan.contains("\"Broadcast Process\""), "{plan}");
}

/// Readings in Celsius and in Fahrenheit, as one stream of Celsius with their event times
/// (Flink's `CoProcessFunction`).
#[derive(Clone)]
struct Celsius;

impl CoProcessFunction<(i64, f64), (i64, f64)> for Celsius {
    type Out = String;
    fn process_element1(&mut self, (_, c): (i64, f64), ctx: &mut CoContext<'_>, out: &mut Output<'_, String>) {
        out.collect(format!("{c:.1} C at {}", ctx.timestamp().unwrap_or(-1)));
    }
    fn process_element2(&mut self, (_, f): (i64, f64), ctx: &mut CoContext<'_>, out: &mut Output<'_, String>) {
        assert!(ctx.current_watermark() < ctx.timestamp().unwrap_or(i64::MAX), "the watermark trails the records");
        out.collect(format!("{:.1} C at {}", (f - 32.0) * 5.0 / 9.0, ctx.timestamp().unwrap_or(-1)));
        ctx.output(&CONVERTED, f);
    }
}

static CELSIUS: Collected<String> = Collected::new();
static CONVERTED: OutputTag<f64> = OutputTag::new("converted");
static FROM_FAHRENHEIT: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn co_process_without_keys(env: &mut Env) {
    let strategy = || WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|r: &(i64, f64), _| r.0);
    let fahrenheit = env.from_elements([(1000i64, 212.0), (3000, 32.0)]).assign_timestamps_and_watermarks(strategy());
    let celsius = env
        .from_elements([(2000i64, 21.5)])
        .assign_timestamps_and_watermarks(strategy())
        .connect(fahrenheit)
        .process(Celsius);
    celsius.sink_to(collect(&CELSIUS));
    celsius
        .side_output(&CONVERTED)
        .process(|f, ctx, out| out.collect(format!("{f} F at {}", ctx.timestamp().unwrap_or(-1))))
        .sink_to(collect(&FROM_FAHRENHEIT));
}

#[test]
fn a_co_process_function_without_keys_sees_each_records_timestamp() {
    CO_PROCESS_WITHOUT_KEYS_JOB.run(Some(2), &[]).unwrap();
    let mut got = CELSIUS.values();
    got.sort();
    assert_eq!(got, ["0.0 C at 3000", "100.0 C at 1000", "21.5 C at 2000"]);
    let mut converted = FROM_FAHRENHEIT.values();
    converted.sort();
    assert_eq!(converted, ["212 F at 1000", "32 F at 3000"]);
    assert!(CO_PROCESS_WITHOUT_KEYS_JOB.plan_json(2).contains("\"Co-Process\""));
}

/// A watermark after every record, one behind the largest timestamp so far.
#[derive(Clone)]
struct EveryRecord {
    max: i64,
}

impl<T> WatermarkGenerator<T> for EveryRecord {
    fn on_event(&mut self, _: &T, timestamp: i64) -> Option<i64> {
        self.max = self.max.max(timestamp);
        Some(self.max - 1)
    }
    fn on_periodic_emit(&mut self) -> Option<i64> {
        None
    }
}

static LATE_LEFT: OutputTag<(String, i64)> = OutputTag::new("late left");
static LATE_RIGHT: OutputTag<(String, i64)> = OutputTag::new("late right");
static ON_TIME: Collected<String> = Collected::new();
static LATE_ORDERS: Collected<(String, i64)> = Collected::new();
static LATE_CLICKS: Collected<(String, i64)> = Collected::new();

/// Orders (`L key ts`) and clicks (`R key ts`) from one socket, so that both inputs of the
/// join see the same watermarks in the order the lines come.
#[rill::job(no_main)]
fn interval_join_late_data(env: &mut Env) {
    let port: u16 = env.parameter_or("port", 0);
    let lines = env
        .socket_text_stream("127.0.0.1", port)
        .map(|l| {
            let mut parts = l.split(' ');
            let side = parts.next().unwrap_or_default().to_owned();
            let key = parts.next().unwrap_or_default().to_owned();
            (side, key, parts.next().unwrap_or_default().parse::<i64>().unwrap_or(0))
        })
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_generator(EveryRecord { max: i64::MIN + 1 }).with_timestamp_assigner(|r, _| r.2),
        );
    let orders = lines.filter(|r| r.0 == "L").map(|(_, k, ts)| (k, ts));
    let clicks = lines.filter(|r| r.0 == "R").map(|(_, k, ts)| (k, ts));
    let joined = orders
        .key_by(|o| o.0.clone())
        .interval_join(clicks.key_by(|c| c.0.clone()))
        .between(-300, 800)
        .side_output_left_late_data(&LATE_LEFT)
        .side_output_right_late_data(&LATE_RIGHT)
        .process(|o, c, _, out| out.collect(format!("{}:{}-{}", o.0, o.1, c.1)));
    joined.sink_to(collect(&ON_TIME));
    joined.side_output(&LATE_LEFT).sink_to(collect(&LATE_ORDERS));
    joined.side_output(&LATE_RIGHT).sink_to(collect(&LATE_CLICKS));
}

#[test]
fn an_interval_joins_late_records_go_to_the_side_output_of_their_side() {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        // Event time reaches 999 on both inputs before the late records come.
        conn.write_all(b"L a 100\nR a 1000\n").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        conn.write_all(b"L a 200\nR a 300\nL a 1500\nR a 1600\n").unwrap();
    });
    // One subtask: watermarks assigned per subtask would differ across subtasks.
    INTERVAL_JOIN_LATE_DATA_JOB.run(Some(1), &["--port", &port.to_string()]).unwrap();
    server.join().unwrap();
    assert_eq!(ON_TIME.values(), ["a:1500-1600"]);
    assert_eq!(LATE_ORDERS.values(), [("a".to_owned(), 200)]);
    assert_eq!(LATE_CLICKS.values(), [("a".to_owned(), 300)]);
}

static JOINED: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn window_join(env: &mut Env) {
    let orders =
        env.from_elements([("a", 100i64), ("b", 200), ("a", 1500), ("a", 2500)]).assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e, _| e.1),
        );
    let clicks =
        env.from_elements([("a", 300i64), ("a", 900), ("b", 1900), ("a", 2100)]).assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e, _| e.1),
        );
    orders
        .join(clicks)
        .where_(|o| o.0)
        .equal_to(|c| c.0)
        .window(TumblingEventTimeWindows::of(std::time::Duration::from_secs(1)))
        .apply(|o, c| format!("{}:{}-{}", o.0, o.1, c.1))
        .sink_to(collect(&JOINED));
}

#[test]
fn a_window_join_pairs_both_sides_records_per_key_and_window() {
    WINDOW_JOIN_JOB.run(Some(2), &[]).unwrap();
    let mut got = JOINED.values();
    got.sort();
    let expected = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/flink/expected.txt")).unwrap();
    let mut flink: Vec<String> = expected.lines().filter_map(|l| l.strip_prefix("join> ")).map(str::to_owned).collect();
    flink.sort();
    assert_eq!(got, flink);
    assert_eq!(got, ["a:100-300", "a:100-900", "a:2500-2100"]);
}

static CO_GROUPED: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn window_co_group(env: &mut Env) {
    let orders =
        env.from_elements([("a", 100i64), ("b", 200), ("a", 1500), ("a", 2500)]).assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e, _| e.1),
        );
    let clicks =
        env.from_elements([("a", 300i64), ("a", 900), ("b", 1900), ("a", 2100)]).assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e, _| e.1),
        );
    orders
        .co_group(clicks)
        .where_(|o| o.0)
        .equal_to(|c| c.0)
        .window(TumblingEventTimeWindows::of(std::time::Duration::from_secs(1)))
        .apply(|orders, clicks, out| {
            let key = orders.iter().chain(clicks).map(|e| e.0).next().unwrap_or_default();
            let times = |side: &[(&str, i64)]| {
                let mut t: Vec<i64> = side.iter().map(|e| e.1).collect();
                t.sort();
                t
            };
            out.collect(format!("{key} orders {:?} clicks {:?}", times(orders), times(clicks)))
        })
        .process(|s, ctx, out| out.collect(format!("{s} @{}", ctx.timestamp().unwrap_or(i64::MIN))))
        .sink_to(collect(&CO_GROUPED));
}

#[test]
fn a_co_group_hands_over_each_keys_records_of_both_sides_per_window_as_flink_does() {
    WINDOW_CO_GROUP_JOB.run(Some(2), &[]).unwrap();
    let mut got = CO_GROUPED.values();
    got.sort();
    let expected = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/flink/expected.txt")).unwrap();
    let mut flink: Vec<String> =
        expected.lines().filter_map(|l| l.strip_prefix("cogroup> ")).map(str::to_owned).collect();
    flink.sort();
    assert_eq!(got, flink);
    // Windows with records on one side only are handed over too (an outer join's rows).
    assert!(got.contains(&"b orders [] clicks [1900] @1999".to_owned()), "{got:?}");
    assert_eq!(got.len(), 5);
}

static INTERVAL: Collected<String> = Collected::new();
static SOON: OutputTag<(i64, i64)> = OutputTag::new("soon");
static SOON_AFTER: Collected<(i64, i64, i64)> = Collected::new();

#[rill::job(no_main)]
fn interval_join(env: &mut Env) {
    let orders =
        env.from_elements([("a", 100i64), ("b", 200), ("a", 1500), ("a", 2500)]).assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e, _| e.1),
        );
    let clicks =
        env.from_elements([("a", 300i64), ("a", 900), ("b", 1900), ("a", 2100)]).assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e, _| e.1),
        );
    let joined =
        orders.key_by(|o| o.0).interval_join(clicks.key_by(|c| c.0)).between(-300, 800).process(|o, c, ctx, out| {
            out.collect(format!("{}:{}-{}@{}", o.0, o.1, c.1, ctx.timestamp()));
            // Pairs less than 500 ms apart, also to a side output (Flink's
            // ProcessJoinFunction.Context#output), at the pair's timestamp.
            if (c.1 - o.1).abs() < 500 {
                ctx.output(&SOON, (o.1, c.1));
            }
        });
    joined.sink_to(collect(&INTERVAL));
    joined
        .side_output(&SOON)
        .process(|(o, c), ctx, out| out.collect((o, c, ctx.timestamp().unwrap_or(-1))))
        .sink_to(collect(&SOON_AFTER));
}

#[test]
fn an_interval_join_pairs_records_whose_times_are_within_the_bounds() {
    INTERVAL_JOIN_JOB.run(Some(2), &[]).unwrap();
    let mut got = INTERVAL.values();
    got.sort();
    let expected = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/flink/expected.txt")).unwrap();
    let mut flink: Vec<String> =
        expected.lines().filter_map(|l| l.strip_prefix("interval> ")).map(str::to_owned).collect();
    flink.sort();
    assert_eq!(got, flink);
    assert_eq!(got.len(), 3);
    let mut soon = SOON_AFTER.values();
    soon.sort();
    assert_eq!(soon, [(100, 300, 300)]);
}
