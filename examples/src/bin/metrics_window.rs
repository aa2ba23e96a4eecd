//! Monitoring metrics in event time: per host and metric, count, average and maximum over
//! 10 s windows sliding by 1 s; an alert where the average passes the threshold; records
//! too late for their windows printed from a side output.
//!
//! Run it: `cargo run --release -p rill-examples --bin metrics_window`
//! (job parameters after `--`: `--events N --rate PER_SECOND --threshold X`)

use rill::prelude::*;
use rill_examples::metrics::{generate, Metric, SeriesStats};
use std::time::Duration;

static LATE: OutputTag<Metric> = OutputTag::new("late-metrics");

#[rill::job]
fn metrics_window(env: &mut Env) {
    let events: usize = env.parameter_or("events", 20_000);
    let rate: u64 = env.parameter_or("rate", 10_000);
    let threshold: f64 = env.parameter_or("threshold", 90.0);
    env.set_auto_watermark_interval(Duration::from_millis(50));
    let stats = env
        .from_iter(generate(events, 10, 3))
        .map(move |m| {
            // Metrics arrive over time, not all at once: event time runs ahead of the
            // wall clock, but watermarks still interleave with the records.
            // 20 series report every 100 ms: 200 records per second of event time.
            if m.time % 1_000 == 0 && m.host == "host-0" && m.metric == "cpu" {
                std::thread::sleep(Duration::from_micros(200 * 1_000_000 / rate.max(1)));
            }
            m
        })
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_secs(2))
                .with_timestamp_assigner(|m, _| m.time),
        )
        .key_by(|m| (m.host.clone(), m.metric))
        .window(SlidingEventTimeWindows::of(Duration::from_secs(10), Duration::from_secs(1)))
        .side_output_late_data(&LATE)
        .aggregate(SeriesStats);
    stats
        .filter(move |s| s.metric == "cpu" && s.avg > threshold)
        .process(|s, ctx, out| {
            let end = ctx.timestamp().unwrap_or(0) + 1;
            out.collect(format!(
                "ALERT {} cpu avg {:.1} max {:.1} over {} samples in [{}, {})",
                s.host,
                s.avg,
                s.max,
                s.count,
                end - 10_000,
                end
            ))
        })
        .print();
    stats.side_output(&LATE).map(|m| format!("LATE {} {} at {} ms", m.host, m.metric, m.time)).print();
}
