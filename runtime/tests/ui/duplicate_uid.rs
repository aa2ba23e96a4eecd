use rill::prelude::*;

#[rill::job]
fn job(env: &mut Env) {
    env.from_sequence(1, 10)
        .map(|n| n * 2)
        .uid("double")
        .filter(|n| n % 3 == 0)
        .uid("double")
        .print();
}
