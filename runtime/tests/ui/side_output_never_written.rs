use rill::prelude::*;
use std::time::Duration;

static LATE: OutputTag<(i64, i64)> = OutputTag::new("late");

#[rill::job]
fn job(env: &mut Env) {
    let sums = env
        .from_elements([(1i64, 2i64)])
        .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps())
        .key_by(|r| r.0)
        .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
        .sum(1);
    sums.side_output(&LATE).print();
}
