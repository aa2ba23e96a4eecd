// `format!` in a job's function is Rill's presized format (see `rill::api::format`): a
// wrong format string is reported as std's `format!` reports it, at the string.
use rill::prelude::*;

#[rill::job]
fn lines(env: &mut Env) {
    env.from_sequence(1, 3).map(|i| format!("{} and {}", i)).print();
}
