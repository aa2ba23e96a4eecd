use rill::prelude::*;

#[rill::fragment]
fn no_stream(min: i64) -> DataStream<i64> {
    min
}

#[rill::fragment]
fn ends_with_semicolon(values: DataStream<i64>) -> DataStream<i64> {
    values.map(|v| v + 1);
}

fn main() {}
