use rill::prelude::*;
use std::time::Duration;

#[derive(Clone)]
struct Never;

impl Trigger<i64, i64> for Never {
    fn on_element(&mut self, _: &i64, _: i64, _: &TimeWindow, _: &mut TriggerContext<'_, i64>) -> TriggerResult {
        TriggerResult::Continue
    }
}

#[rill::job]
fn job(env: &mut Env) {
    env.from_sequence(1, 3)
        .key_by(|n| *n)
        .window(EventTimeSessionWindows::with_gap(Duration::from_secs(1)))
        .trigger(Never)
        .sum(0)
        .print();
}
