use rill::prelude::*;

#[rill::job]
fn job(env: &mut Env) {
    let _limit = 3;
}
