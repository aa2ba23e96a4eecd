//! `connect(other)`: two streams into one two-input operator, each input keeping its own
//! type (Flink's `connect`): `co_map`, `co_flat_map`, `key_by(k1, k2)` and a keyed
//! `process` follow; `keyed.connect(rules.broadcast(&STATE)).process(f)` is a keyed
//! broadcast process function. `join`, `co_group` and `interval_join` start the same way.
//!
//! ```ignore
//! let numbers = env.from_elements([1, 2]);
//! env.from_elements(["a"]).connect(numbers).co_map(|s| s.len(), |n| n).print();
//! ```

use super::setting;
use crate::build::{Builder, Joining, OperatorSpec, StreamRef, STREAMS};
use crate::parse::Call;
use syn::spanned::Spanned;

pub static CONNECT: OperatorSpec = OperatorSpec {
    op: setting("connect"),
    on: STREAMS,
    args: (1, 1),
    signature: "connect(other)",
    after_sink: false,
    build: |b, cur, call, _| connect(b, cur, call, Pending::Connect),
};

/// What the connected streams become.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    Connect,
    Join,
    CoGroup,
    IntervalJoin,
}

/// `cur` connected to the stream of the call's argument.
pub fn connect(b: &mut Builder, mut cur: StreamRef, call: &Call, pending: Pending) -> Option<StreamRef> {
    let arg = &call.args[0];
    let other =
        b.stream_arg(arg, "`connect` takes a stream: the name of a stream defined before, or a stream expression")?;
    if other.sink.is_some() || other.second.is_some() || other.window.is_some() {
        b.error(arg.span(), "`connect` takes a plain or keyed stream");
        return None;
    }
    if pending == Pending::IntervalJoin && (cur.keyed.is_none() || other.keyed.is_none()) {
        b.error(
            call.span,
            "`interval_join` joins two keyed streams: a.key_by(|a| key).interval_join(b.key_by(|b| key))",
        );
        return None;
    }
    cur.keyed2 = other.keyed.clone();
    cur.second = Some(Box::new(other));
    if pending == Pending::IntervalJoin {
        cur.interval = Some(None);
    }
    (cur.joining, cur.between) = match pending {
        Pending::Join => (Some(Joining::Join), Some("join")),
        Pending::CoGroup => (Some(Joining::CoGroup), Some("co_group")),
        Pending::Connect | Pending::IntervalJoin => (None, Some("connect")),
    };
    Some(cur)
}
