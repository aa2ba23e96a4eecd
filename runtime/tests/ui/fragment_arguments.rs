use rill::prelude::*;

#[rill::fragment]
fn above(values: DataStream<i64>, min: i64) -> DataStream<i64> {
    values.filter(move |v| *v >= min)
}

#[rill::job]
fn job(env: &mut Env) {
    above(env.from_sequence(0, 9)).print();
}
