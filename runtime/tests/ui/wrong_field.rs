use rill::prelude::*;

#[rill::job]
fn job(env: &mut Env) {
    env.from_elements([("a", 1)]).key_by(|t| t.0).sum(2).print();
}
