use rill::prelude::*;

#[rill::job]
fn job(env: &mut Env) {
    let a = env.from_sequence(1, 3);
    let b = env.from_sequence(4, 6);
    a.key_by(|n| n % 2).connect(b).process(|n, _ctx, out| out.collect(n)).print();
    a.co_map(|n| n, |n| n).print();
}
