//! `union(other, ...)`: the records of several streams of the same type as one stream
//! (Flink's `union`). A type mismatch is reported at the `union` call.
//!
//! ```ignore
//! let a = env.from_elements([1, 2]);
//! let b = env.from_elements([3]);
//! a.union(b).print();
//! ```

use super::setting;
use crate::build::{OperatorSpec, STREAMS};
use syn::spanned::Spanned;

pub static UNION: OperatorSpec = OperatorSpec {
    op: setting("union"),
    on: STREAMS,
    args: (1, usize::MAX),
    signature: "union(other, ...)",
    after_sink: false,
    build: |b, mut cur, call, _| {
        for arg in &call.args {
            let other =
                b.stream_arg(arg, "`union` takes streams: names of streams defined before, or stream expressions")?;
            if other.sink.is_some() {
                b.error(arg.span(), "this stream ends in a sink and cannot be unioned");
                return None;
            }
            cur.sources.extend(other.sources);
        }
        for s in &mut cur.sources {
            s.2 = call.span;
        }
        cur.keyed = None;
        cur.between = Some("union");
        Some(cur)
    },
};
