use rill::prelude::*;
use std::time::Duration;

#[rill::job]
fn job(env: &mut Env) {
    env.from_sequence(1, 3)
        .key_by(|n| n % 2)
        .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
        .map(|n| n + 1)
        .print();
}
