//! Flink's second quick-start program: words from a socket, split by commas, counted as
//! they arrive. Start a server first (`nc -lk 9999`), then run this; it runs until the
//! socket closes or Ctrl-C.
//!
//! Run it: `cargo run --release -p rill-examples --bin socket_word_count -- -- --port 9999`

use rill::prelude::*;

#[rill::job]
fn socket_word_count(env: &mut Env) {
    let host = env.parameter("host").unwrap_or("localhost").to_owned();
    let port: u16 = env.parameter_or("port", 9999);
    env.socket_text_stream(host, port)
        .flat_map(|line| line.split(',').map(|w| w.trim().to_owned()).filter(|w| !w.is_empty()).collect::<Vec<_>>())
        .map(|word| (word, 1))
        .key_by(|(word, _)| word.clone())
        .sum(1)
        .print();
}
