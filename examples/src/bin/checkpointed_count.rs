//! A rolling count per key, checkpointed, written exactly once to part files: the job of
//! the README's section on checkpoints, killed and resumed from its last checkpoint.
//!
//! ```sh
//! ./target/release/checkpointed_count --checkpoint-interval 1s -- --n 100000000 --out counts/
//! ```
//!
//! Each line of the part files in `--out` is a key's count after one more record,
//! `(key,count)`; after a failure, or a kill and `--from-savepoint`, every line is there
//! exactly once. `--pause-every K` sleeps 1 ms every K records, to make a demonstration
//! (or a test) last. `--fail-at I --fail-marker FILE` panics at record I once (the first run
//! that reaches it creates FILE), to show a restart from a checkpoint.

use rill::prelude::*;
use rill::sinks::file::FileSink;
use std::time::Duration;

#[rill::job]
fn checkpointed_count(env: &mut Env) {
    let n: i64 = env.parameter_or("n", 1_000_000);
    let keys: i64 = env.parameter_or("keys", 7);
    let pause_every: i64 = env.parameter_or("pause-every", 0);
    let out = env.parameter("out").unwrap_or("counts").to_owned();
    let fail_at: i64 = env.parameter_or("fail-at", -1);
    let marker = env.parameter("fail-marker").map(std::path::PathBuf::from);
    env.from_sequence(0, n - 1)
        .map(move |i| {
            if pause_every > 0 && i % pause_every == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
            if i == fail_at && marker.as_ref().is_some_and(|m| std::fs::File::create_new(m).is_ok()) {
                panic!("injected failure at record {i}");
            }
            (i % keys, 1i64)
        })
        .key_by(|(k, _)| *k)
        .sum(1)
        .sink_to(FileSink::for_row_format(out));
}
