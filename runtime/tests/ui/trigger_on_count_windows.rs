use rill::prelude::*;

#[rill::job]
fn job(env: &mut Env) {
    // Count windows fire by their count: a trigger would be ignored, so it does not compile.
    env.from_elements([("a", 1)]).key_by(|(k, _)| *k).count_window(2).trigger(CountTrigger::of(5)).sum(1).print();
}
