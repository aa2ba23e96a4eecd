//! Flink's quick-start word count: running counts of the words of four lines.
//!
//! Run it: `cargo run --release -p rill-examples --bin word_count`

use rill::prelude::*;

#[rill::job]
fn word_count(env: &mut Env) {
    env.from_elements(["hello flink", "flink is great", "hello hello", "flink flink flink"])
        .flat_map(|line, out| {
            for word in line.split_whitespace() {
                out.collect((word.to_owned(), 1))
            }
        })
        .key_by(|(word, _)| word)
        .sum(1)
        .print();
}
