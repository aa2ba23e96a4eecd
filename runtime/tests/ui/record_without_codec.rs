use rill::prelude::*;

// Records that cross an exchange must be encodable: `#[derive(rill::Codec)]` is missing.
#[derive(Clone, Debug)]
struct Reading {
    sensor: String,
    value: f64,
}

#[rill::job]
fn job(env: &mut Env) {
    env.from_sequence(1, 3)
        .map(|n| Reading { sensor: format!("s{n}"), value: n as f64 })
        .key_by(|r| r.sensor.clone())
        .reduce(|a, b| Reading { sensor: a.sensor, value: a.value + b.value })
        .print();
}
