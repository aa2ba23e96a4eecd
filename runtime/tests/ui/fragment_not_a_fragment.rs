use rill::prelude::*;

/// An ordinary function: a stream passed to it is not a value it can take.
fn shout(s: DataStream<String>) -> DataStream<String> {
    s
}

#[rill::job]
fn job(env: &mut Env) {
    let words = env.from_elements(["a"]).map(|w| w.to_owned());
    shout(words).print();
}
