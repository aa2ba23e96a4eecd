//! Back-pressure, as Flink's Web UI shows it: a sink slower than its source. The sink sleeps
//! `--sink-delay-us` (default 500) per record; the vertex before it (source and map) then
//! spends most of its time waiting for room downstream, back-pressured HIGH, and the sink's
//! vertex is busy. Runs until cancelled (or `--records` have passed). It counts what its
//! sink wrote in a counter of its own, `slow_sink_records_written`.
//!
//! ```sh
//! ./target/release/slow_sink --metrics-port 9249 -- --sink-delay-us 200
//! ```

use rill::prelude::*;
use std::time::Duration;

#[rill::job]
fn slow_sink(env: &mut Env) {
    let delay = Duration::from_micros(env.parameter_or("sink-delay-us", 500));
    let records: i64 = env.parameter_or("records", i64::MAX);
    // A metric of the job's own (Flink's user-defined counter): the records the sink wrote.
    let written = rill::metrics::counter("slow_sink_records_written");
    env.from_sequence(1, records).map(|n| (n % 10, n)).rebalance().sink_to(move |_: (i64, i64)| {
        std::thread::sleep(delay);
        written.add(1);
    });
}
