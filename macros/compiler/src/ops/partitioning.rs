//! How records go to the next operator's subtasks: `forward()`, `rebalance()`,
//! `rescale()`, `broadcast()`, `global()` (Flink's partitioners). `broadcast(&STATE)` makes
//! a broadcast stream that writes a broadcast state, for `keyed.connect(rules.broadcast(&STATE))`.
//!
//! ```ignore
//! env.from_elements([1, 2, 3]).rebalance().map(|n| n + 1).print();
//! ```

use super::setting;
use crate::build::{Builder, OperatorSpec, StreamRef, STREAMS};
use crate::ir::Partition;
use crate::parse::Call;

macro_rules! partitioner {
    ($name:ident, $method:literal, $args:expr, $signature:literal) => {
        pub static $name: OperatorSpec = OperatorSpec {
            op: setting($method),
            on: STREAMS,
            args: $args,
            signature: $signature,
            after_sink: false,
            build,
        };
    };
}

partitioner!(FORWARD, "forward", (0, 0), "forward()");
partitioner!(REBALANCE, "rebalance", (0, 0), "rebalance()");
partitioner!(RESCALE, "rescale", (0, 0), "rescale()");
partitioner!(BROADCAST, "broadcast", (0, 1), "broadcast(), or broadcast(&STATE) for a broadcast state");
partitioner!(GLOBAL, "global", (0, 0), "global()");

fn build(_: &mut Builder, mut cur: StreamRef, call: &Call, spec: &'static OperatorSpec) -> Option<StreamRef> {
    let partition = if std::ptr::eq(spec, &FORWARD) {
        Partition::Forward(call.span)
    } else if std::ptr::eq(spec, &REBALANCE) {
        Partition::Rebalance
    } else if std::ptr::eq(spec, &RESCALE) {
        Partition::Rescale
    } else if std::ptr::eq(spec, &BROADCAST) {
        cur.broadcast_state = call.args.first().cloned();
        Partition::Broadcast
    } else {
        Partition::Global
    };
    cur.partition_by(partition);
    cur.keyed = None;
    cur.between = Some(spec.method());
    Some(cur)
}
