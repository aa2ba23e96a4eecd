//! Flink's `SocketWindowWordCount`: words from a socket, counted per 5 s processing-time
//! window. Start a server first (`nc -lk 9999`), type words, and see each window's counts
//! when it closes; runs until the socket closes or Ctrl-C.
//!
//! Run it: `cargo run --release -p rill-examples --bin window_word_count -- -- --port 9999`
//! (`--window-ms` changes the window size).

use rill::prelude::*;
use std::time::Duration;

#[rill::job]
fn window_word_count(env: &mut Env) {
    let host = env.parameter("host").unwrap_or("localhost").to_owned();
    let port: u16 = env.parameter_or("port", 9999);
    let mut window: u64 = env.parameter_or("window-ms", 5_000);
    if window == 0 {
        env.parameter_error("--window-ms must be at least 1");
        window = 1;
    }
    env.socket_text_stream(host, port)
        .flat_map(|line| line.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .map(|word| (word, 1))
        .key_by(|(word, _)| word.clone())
        .window(TumblingProcessingTimeWindows::of(Duration::from_millis(window)))
        .sum(1)
        .print();
}
