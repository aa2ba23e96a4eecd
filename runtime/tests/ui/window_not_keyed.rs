use rill::prelude::*;
use std::time::Duration;

#[rill::job]
fn job(env: &mut Env) {
    env.from_sequence(1, 3).window(TumblingEventTimeWindows::of(Duration::from_secs(1))).sum(0).print();
}
