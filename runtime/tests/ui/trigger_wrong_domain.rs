use rill::prelude::*;
use std::time::Duration;

#[rill::job]
fn job(env: &mut Env) {
    // Bound before use: the compiler sees only a name; the trigger's type says its domain.
    let every_second = ContinuousProcessingTimeTrigger::of(Duration::from_secs(1));
    env.from_elements([("a", 1)])
        .key_by(|(k, _)| *k)
        .window(TumblingEventTimeWindows::of(Duration::from_secs(10)))
        .trigger(every_second)
        .sum(1)
        .print();
}
