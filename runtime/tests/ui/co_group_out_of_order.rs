use rill::prelude::*;

#[rill::job]
fn job(env: &mut Env) {
    let a = env.from_sequence(1, 3);
    let b = env.from_sequence(4, 6);
    a.co_group(b).where_(|x| *x).equal_to(|y| *y).apply(|x, y, out| out.collect(x.len() + y.len())).print();
}
