use rill::prelude::*;
use std::time::Duration;

#[rill::job]
fn job(env: &mut Env) {
    env.from_elements([("a", 1)])
        .key_by(|(k, _)| *k)
        .window(EventTimeSessionWindows::with_gap(Duration::from_secs(10)))
        .trigger(PurgingTrigger::of(CountTrigger::of(2)))
        .sum(1)
        .print();
}
