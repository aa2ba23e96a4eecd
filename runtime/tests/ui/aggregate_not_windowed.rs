use rill::prelude::*;

#[derive(Clone)]
struct Count;

#[rill::job]
fn job(env: &mut Env) {
    env.from_sequence(1, 3).key_by(|n| n % 2).aggregate(Count).print();
}
