use rill::prelude::*;

#[rill::job]
fn job(env: &mut Env) {
    let numbers = env.from_sequence(1, 10);
    let words = env.from_elements(["a", "b"]);
    numbers.union(words).print();
}
