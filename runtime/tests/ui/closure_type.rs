use rill::prelude::*;

#[rill::job]
fn job(env: &mut Env) {
    env.from_sequence(1, 10).filter(|n| n.to_uppercase() > 2).print();
}
