use rill::prelude::*;

#[rill::job]
fn job(env: &mut Env) {
    env.from_elements([1, 2]).print().map(|n| n + 1);
}
