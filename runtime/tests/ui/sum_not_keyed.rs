use rill::prelude::*;

#[rill::job]
fn job(env: &mut Env) {
    env.from_elements([("a", 1)]).sum(1).print();
}
