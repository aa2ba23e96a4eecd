//! `a.co_group(b).where_(|a| key).equal_to(|b| key).window(assigner).apply(|first, second,
//! out| ..)`: for each key and window that either side has records in, both sides' records
//! at once (Flink's `coGroup`), which a left or full outer join is written with. `where_`,
//! `equal_to` and `window` are the join's (`join.rs`).
//!
//! ```ignore
//! let clicks = env.from_elements([("u1", 1)]);
//! env.from_elements([("u1", "home"), ("u2", "cart")])
//!     .co_group(clicks)
//!     .where_(|(u, _)| *u)
//!     .equal_to(|(u, _)| *u)
//!     .window(TumblingEventTimeWindows::of(Duration::from_secs(5)))
//!     .apply(|pages, clicks, out| out.collect((pages.len(), clicks.len())))
//!     .print();
//! ```

use super::connect::{connect, Pending};
use super::join::apply;
use super::{arg, id, key, key2, operator, setting};
use crate::build::{OperatorSpec, StreamKind, STREAMS};
use crate::ir::Node;
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub static CO_GROUP: OperatorSpec = OperatorSpec {
    op: setting("co_group"),
    on: STREAMS,
    args: (1, 1),
    signature: "co_group(other).where_(|a| key).equal_to(|b| key).window(assigner).apply(|first, second, out| ..)",
    after_sink: false,
    build: |b, cur, call, _| connect(b, cur, call, Pending::CoGroup),
};

pub static CO_GROUP_APPLY: OperatorSpec = OperatorSpec {
    op: operator("apply", "CoGroup", emit),
    on: &[StreamKind::CoGroupedStreams],
    args: (1, 1),
    signature: "apply(|first, second, out| ..)",
    after_sink: false,
    build: apply,
};

fn emit(node: &Node) -> TokenStream {
    let (id, f, k1, k2) = (id(node), arg(node), key(node), key2(node));
    let assigner = node.window().map(|w| &w.assigner);
    quote_spanned!(node.span=> .window_co_group(#id, #k1, #k2, #assigner, #f))
}
