use rill::prelude::*;
use std::time::Duration;

#[rill::job]
fn job(env: &mut Env) {
    let a = env.from_sequence(1, 3);
    let b = env.from_sequence(4, 6);
    a.join(b).where_(|x| *x).window(TumblingEventTimeWindows::of(Duration::from_secs(1))).apply(|x, y| x + y).print();
}
