//! Flink's quick-start word count: running counts of the words of four lines.
//!
//! Run it: `cargo run --release -p rill-examples --bin word_count`

use rill::prelude::*;

#[rill::job]
fn word_count(env: &mut Env) {
    env.from_elements(["hello flink", "flink is great", "hello hello", "flink flink flink"])
        .flat_map(|line| line.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .map(|word| (word, 1))
        .key_by(|(word, _)| word.clone())
        .sum(1)
        .print();
}
