use rill::prelude::*;

#[rill::job]
fn job(env: &mut Env) {
    env.from_elements([1, 2]).mapp(|n| n + 1).print();
}
