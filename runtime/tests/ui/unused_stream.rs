use rill::prelude::*;

#[rill::job]
fn job(env: &mut Env) {
    let doubled = env.from_sequence(1, 10).map(|n| n * 2);
    env.from_sequence(1, 3).print();
}
