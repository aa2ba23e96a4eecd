//! Flink's quick-start word count: the running count of each word of its input, one line
//! per word read. The input is the lines of `--input FILE`, or four lines of its own.
//!
//! Run it: `cargo run --release` (the job's own parameters follow a second `--`:
//! `cargo run --release -- -- --input FILE`); its flags: `cargo run --release -- --help`;
//! its plan: `cargo run --release -- --plan`.

use rill::prelude::*;

/// `#[rill::job]` compiles the pipeline into fused operators and writes `fn main`, which
/// reads the job binary's flags (`-p N`, `--processes N`, `--checkpoint-interval 1s`, ...)
/// and the job's own parameters after `--`.
#[rill::job]
fn word_count(env: &mut Env) {
    let lines: Vec<String> = match env.parameter("input") {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => text.lines().map(str::to_owned).collect(),
            Err(e) => {
                // A usage error: the binary prints it with its usage and exits with 2.
                env.parameter_error(format!("cannot read --input {path}: {e}"));
                Vec::new()
            }
        },
        None => ["hello flink", "flink is great", "hello hello", "flink flink flink"].map(String::from).to_vec(),
    };
    env.from_iter(lines)
        .flat_map(|line, out| {
            for word in line.split_whitespace() {
                out.collect((word.to_owned(), 1))
            }
        })
        .key_by(|(word, _)| word)
        .sum(1)
        .print();
}
