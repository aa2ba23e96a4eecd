//! Real-time alerting on monitoring metrics from Kafka.
//!
//! Reads JSON metrics (`metrics_gen` writes them), keys them by host and metric, and
//! evaluates alert rules over 10 s event-time windows sliding by 1 s: average or maximum
//! above a threshold, held for N consecutive windows, rate of change; and, per host, no
//! data for a while (event-time timers). An alert is emitted once when a rule starts firing
//! and once, `resolved`, when it stops. Alerts go to the `alerts` topic as JSON and to
//! standard output. Rules come from a file at start (`--rules`) and from the `rules` topic
//! while the job runs (broadcast state). Late records are counted on a side output.
//!
//! ```sh
//! cargo run --release -p rill-examples --bin kafka_alerts -- -- --brokers 127.0.0.1:9092 \
//!     --rules examples/rules.json
//! ```
//!
//! Parameters: `--brokers`, `--metrics-topic` (metrics), `--rules-topic` (rules),
//! `--alerts-topic` (alerts), `--rules FILE`, `--group` (kafka-alerts), `--bounded` (stop at
//! the end of what the metrics topic holds at start: for tests and backfills),
//! `--out-of-orderness-ms` (1000), `--partitions` (4, when the job creates the metrics topic),
//! `--watermark-interval-ms` (2), `--fetch-wait-ms` (5: the consumer's `fetch.wait.max.ms`),
//! `--out DIR` (alerts also into files there, exactly once with checkpoints: Flink's
//! `FileSink`), and for tests of failures `--fail-at N` (a panic at the N-th metric a process
//! reads, once per process) and `--kill-at N --kill-marker FILE` (SIGKILL to the process that
//! reads its N-th metric, once: the marker file says it happened).
//!
//! Besides the alerts, it reports (on standard error, every 10 s and at the end) their
//! latency and the source lag, how long ago each metric was produced when the source reads
//! it: the broker's and the consumer's share of the latency.

use rill::connectors::formats::Json;
use rill::connectors::kafka::{create_topics, BadRecord, KafkaSink, KafkaSource, OffsetsInitializer, OnBadRecord};
use rill::prelude::*;
use rill::sinks::file::FileSink;
use rill_examples::alerts::{Acc, Alert, Condition, Metric, MetricStats, Rule, Stats};
use rill_examples::latency::{first_read_at, observe_source_lag, CountSink, LatencySink};
use std::time::Duration;

static RULES: BroadcastState<String, Rule> = BroadcastState::new("rules");
/// Per key (host, metric) and rule id: consecutive matching windows, and whether it fires.
static STREAK: MapState<String, (u32, bool)> = MapState::new("streak");
/// Per host: the latest event time seen, and the absent rules firing.
static LAST_SEEN: ValueState<i64> = ValueState::new("last-seen");
static SILENT: MapState<String, bool> = MapState::new("silent");
static LATE: OutputTag<Metric> = OutputTag::new("late-metrics");
/// Metrics that are not valid JSON, routed aside whole by the source and counted.
static BAD_METRICS: OutputTag<BadRecord> = OutputTag::new("bad-metrics");

/// Metrics this process has read, and whether it has failed on purpose (`--fail-at`).
static READ: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
static FAILED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The failures a test asks for: a panic at the `fail_at`-th metric this process reads
/// (once), or SIGKILL to this process at its `kill_at`-th if `marker` can still be created.
fn inject_failure(fail_at: i64, kill_at: i64, marker: &str) {
    use std::sync::atomic::Ordering;
    let n = READ.fetch_add(1, Ordering::Relaxed) + 1;
    if n == fail_at && !FAILED.swap(true, Ordering::Relaxed) {
        panic!("injected failure at metric {n}");
    }
    if n == kill_at && std::fs::OpenOptions::new().write(true).create_new(true).open(marker).is_ok() {
        let _ = std::process::Command::new("kill").args(["-KILL", &std::process::id().to_string()]).status();
    }
}

/// The out-of-orderness bound, for the latency of what it decides.
static BOUND_MS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1_000);

/// When an alert decided by event time `time` became decidable: when the first metric at
/// or after `time` plus the out-of-orderness bound was produced (the watermark passes `time`
/// then). `metrics_gen` stamps event time with the production time.
fn decidable(time: i64) -> i64 {
    time + BOUND_MS.load(std::sync::atomic::Ordering::Relaxed)
}

fn alert(rule: &Rule, host: &str, metric: &str, firing: bool, value: f64, time: i64, decidable_at: i64) -> Alert {
    Alert {
        rule: rule.id.clone(),
        host: host.to_owned(),
        metric: metric.to_owned(),
        state: if firing { "firing" } else { "resolved" }.to_owned(),
        value,
        threshold: if rule.condition == Condition::Absent { rule.absent_secs as f64 } else { rule.threshold },
        time,
        latency_ms: rill::time::processing_time_now() - decidable_at.max(first_read_at()),
    }
}

fn update_rules(rule: Rule, ctx: &mut BroadcastContext<'_>) {
    eprintln!("kafka_alerts: rule {} {}", rule.id, if rule.deleted { "deleted" } else { "set" });
    if rule.deleted {
        ctx.broadcast_state(&RULES).remove(&rule.id);
    } else {
        ctx.broadcast_state(&RULES).insert(rule.id.clone(), rule);
    }
}

/// Threshold, consecutive-window and rate rules, on each window's statistics.
#[derive(Clone)]
struct Evaluate;

impl KeyedBroadcastProcessFunction<(String, String), Stats, Rule> for Evaluate {
    type Out = Alert;
    fn process_element(&mut self, s: Stats, ctx: &mut KeyedContext<'_, (String, String)>, out: &mut Output<'_, Alert>) {
        let rules: Vec<Rule> = ctx.broadcast_state(&RULES).values().filter(|r| r.metric == s.metric).cloned().collect();
        for rule in rules {
            let Some((value, matches)) = s.test(&rule) else { continue };
            let (streak, firing) = ctx.map(&STREAK).get(&rule.id).copied().unwrap_or((0, false));
            let streak = if matches { streak + 1 } else { 0 };
            let now_firing = if matches { firing || streak >= rule.for_windows } else { false };
            if now_firing != firing {
                out.collect(alert(&rule, &s.host, &s.metric, now_firing, value, s.window_end, decidable(s.window_end)));
            }
            ctx.map(&STREAK).put(rule.id.clone(), (streak, now_firing));
        }
    }
    fn process_broadcast_element(&mut self, rule: Rule, ctx: &mut BroadcastContext<'_>, _: &mut Output<'_, Alert>) {
        update_rules(rule, ctx)
    }
}

/// "No data from a host for N seconds", with an event-time timer per host.
#[derive(Clone)]
struct Silence;

impl KeyedBroadcastProcessFunction<String, Metric, Rule> for Silence {
    type Out = Alert;
    fn process_element(&mut self, m: Metric, ctx: &mut KeyedContext<'_, String>, out: &mut Output<'_, Alert>) {
        let last = ctx.value(&LAST_SEEN).get().unwrap_or(i64::MIN);
        // Late records (behind the watermark) say nothing about the host's silence now.
        if m.time <= last || m.time <= ctx.current_watermark() {
            return;
        }
        ctx.value(&LAST_SEEN).update(m.time);
        let rules: Vec<Rule> =
            ctx.broadcast_state(&RULES).values().filter(|r| r.condition == Condition::Absent).cloned().collect();
        for rule in rules {
            let gap = rule.absent_secs as i64 * 1_000;
            if last != i64::MIN {
                ctx.delete_event_time_timer(last + gap);
            }
            ctx.register_event_time_timer(m.time + gap);
            if ctx.map(&SILENT).get(&rule.id).copied().unwrap_or(false) {
                ctx.map(&SILENT).put(rule.id.clone(), false);
                // Decided by this record itself, as it arrives.
                out.collect(alert(&rule, &m.host, "", false, 0.0, m.time, m.time));
            }
        }
    }
    fn process_broadcast_element(&mut self, rule: Rule, ctx: &mut BroadcastContext<'_>, _: &mut Output<'_, Alert>) {
        update_rules(rule, ctx)
    }
    fn on_timer(&mut self, time: i64, ctx: &mut KeyedContext<'_, String>, out: &mut Output<'_, Alert>) {
        let last = ctx.value(&LAST_SEEN).get().unwrap_or(i64::MIN);
        let host = ctx.current_key().clone();
        let rules: Vec<Rule> =
            ctx.broadcast_state(&RULES).values().filter(|r| r.condition == Condition::Absent).cloned().collect();
        for rule in rules {
            let gap = rule.absent_secs as i64 * 1_000;
            let silent = ctx.map(&SILENT).get(&rule.id).copied().unwrap_or(false);
            if last.saturating_add(gap) == time && !silent {
                ctx.map(&SILENT).put(rule.id.clone(), true);
                out.collect(alert(&rule, &host, "", true, (time - last) as f64 / 1_000.0, time, decidable(time)));
            }
        }
    }
}

fn load_rules(path: Option<&str>) -> Vec<Rule> {
    let Some(path) = path else { return Vec::new() };
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("kafka_alerts: cannot read the rules file {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("kafka_alerts: the rules file {path} is not valid: {e}"))
}

/// Per host and metric, the statistics of 10 s windows sliding by 1 s; records too late
/// for their windows go to [`LATE`].
#[rill::fragment]
fn window_stats(metrics: DataStream<Metric>) -> DataStream<Stats> {
    metrics
        .key_by(|m| (m.host.clone(), m.metric.clone()))
        .window(SlidingEventTimeWindows::of(Duration::from_secs(10), Duration::from_secs(1)))
        .side_output_late_data(&LATE)
        .aggregate(MetricStats, |key, window, acc: Acc, out| {
            out.collect(Stats {
                host: key.0.clone(),
                metric: key.1.clone(),
                window_end: window.end,
                count: acc.count,
                sum: acc.sum,
                max: acc.max,
                first: acc.first,
                last: acc.last,
            })
        })
}

/// The alerts under the current rules: thresholds over the windows' statistics, and
/// silences over the metrics themselves (a host that stops reporting).
#[rill::fragment]
fn evaluate(metrics: DataStream<Metric>, stats: DataStream<Stats>, rules: DataStream<Rule>) -> DataStream<Alert> {
    let threshold_alerts =
        stats.key_by(|s| (s.host.clone(), s.metric.clone())).connect(rules.broadcast(&RULES)).process(Evaluate);
    let silence_alerts = metrics.key_by(|m| m.host.clone()).connect(rules.broadcast(&RULES)).process(Silence);
    threshold_alerts.union(silence_alerts)
}

#[rill::job]
fn kafka_alerts(env: &mut Env) {
    let brokers = env
        .parameter("brokers")
        .map(str::to_owned)
        .or_else(|| std::env::var("RILL_KAFKA_BROKERS").ok())
        .unwrap_or_else(|| "127.0.0.1:9092".to_owned());
    let metrics_topic = env.parameter("metrics-topic").unwrap_or("metrics").to_owned();
    let rules_topic = env.parameter("rules-topic").unwrap_or("rules").to_owned();
    let alerts_topic = env.parameter("alerts-topic").unwrap_or("alerts").to_owned();
    let group = env.parameter("group").unwrap_or("kafka-alerts").to_owned();
    let bound: i64 = env.parameter_or("out-of-orderness-ms", 1_000);
    BOUND_MS.store(bound, std::sync::atomic::Ordering::Relaxed);
    let initial = load_rules(env.parameter("rules"));
    let partitions: i32 = env.parameter_or("partitions", 4);
    if let Err(e) = create_topics(&brokers, &[(&metrics_topic, partitions), (&rules_topic, 1), (&alerts_topic, 1)]) {
        panic!("kafka_alerts: {e}");
    }
    // Watermarks every few ms (`--watermark-interval-ms`, 2): an alert waits for event
    // time, not for Flink's 200 ms tick.
    let watermark_interval: u64 = env.parameter_or("watermark-interval-ms", 2);
    env.set_auto_watermark_interval(Duration::from_millis(watermark_interval));
    let fetch_wait = env.parameter("fetch-wait-ms").unwrap_or("5").to_owned();
    let (fail_at, kill_at): (i64, i64) = (env.parameter_or("fail-at", 0), env.parameter_or("kill-at", 0));
    let kill_marker = env.parameter("kill-marker").unwrap_or("").to_owned();
    if kill_at > 0 && kill_marker.is_empty() {
        env.parameter_error("--kill-at needs --kill-marker FILE (so that the process is killed once)");
    }
    let out = env.parameter("out").map(FileSink::for_row_format);

    let mut metrics = KafkaSource::builder()
        .bootstrap_servers(brokers.clone())
        .topics([metrics_topic])
        .group_id(group.clone())
        .starting_offsets(OffsetsInitializer::latest())
        .on_bad_record(OnBadRecord::SideOutput(&BAD_METRICS))
        .property("fetch.wait.max.ms", fetch_wait);
    if env.has_parameter("bounded") {
        metrics = metrics.starting_offsets(OffsetsInitializer::earliest()).bounded(OffsetsInitializer::latest());
    }
    let metrics = metrics.value_format(Json::<Metric>::new()).build();
    let mut rule_updates = KafkaSource::builder()
        .bootstrap_servers(brokers.clone())
        .topics([rules_topic])
        .group_id(format!("{group}-rules"))
        .starting_offsets(OffsetsInitializer::earliest())
        .on_bad_record(OnBadRecord::Skip);
    if env.has_parameter("bounded") {
        rule_updates = rule_updates.bounded(OffsetsInitializer::latest());
    }
    let rule_updates = rule_updates.value_format(Json::<Rule>::new()).build();
    let alerts =
        KafkaSink::builder().bootstrap_servers(brokers).topic(alerts_topic).value_format(Json::<Alert>::new()).build();

    let rules = env.from_iter(initial).union(env.from_source(
        rule_updates,
        WatermarkStrategy::no_watermarks().with_idleness(Duration::from_millis(100)),
        "rules",
    ));
    let source = env.from_source(
        metrics,
        WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_millis(bound as u64))
            .with_timestamp_assigner(|m, _| {
                observe_source_lag(m.time);
                m.time
            })
            .with_idleness(Duration::from_secs(5)),
        "metrics",
    );
    let injecting = fail_at > 0 || kill_at > 0;
    let metrics = source.map(move |m| {
        // Counted only when a test asks for a failure: no shared counter per metric otherwise.
        if injecting {
            inject_failure(fail_at, kill_at, &kill_marker);
        }
        m
    });
    let stats = window_stats(metrics);
    let all = evaluate(metrics, stats, rules);
    all.sink_to(alerts);
    all.sink_to(LatencySink::new("alerts"));
    let lines = all.map(|a| serde_json::to_string(&a).expect("alert as JSON"));
    lines.print();
    lines.sink_to(out);
    stats.side_output(&LATE).sink_to(CountSink::new("late_records"));
    source.side_output(&BAD_METRICS).sink_to(CountSink::new("bad_records"));
}
