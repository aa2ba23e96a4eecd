use rill::prelude::*;

#[rill::job]
fn job(env: &mut Env) {
    env.from_sequence(1).map(|n| n + 1, 2).print();
}
