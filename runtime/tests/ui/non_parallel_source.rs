use rill::prelude::*;

#[rill::job]
fn job(env: &mut Env) {
    env.from_elements([1, 2, 3]).set_parallelism(4).print();
}
