//! `a.join(b).where_(|a| key).equal_to(|b| key).window(assigner).apply(|a, b| out)`: every
//! pair of records with equal keys in the same window (Flink's window join). `where_`,
//! `equal_to` and `window` are shared with `co_group` (`co_group.rs`).
//!
//! ```ignore
//! let clicks = env.from_elements([("u1", 1)]);
//! env.from_elements([("u1", "home")])
//!     .join(clicks)
//!     .where_(|(u, _)| *u)
//!     .equal_to(|(u, _)| *u)
//!     .window(TumblingEventTimeWindows::of(Duration::from_secs(5)))
//!     .apply(|(u, page), (_, n)| (u, page, n))
//!     .print();
//! ```

use super::connect::{connect, Pending};
use super::window::dynamic_gap;
use super::{arg, id, key, key2, operator, setting};
use crate::build::{Builder, Joining, OperatorSpec, StreamKind, StreamRef, CO_GROUP_ORDER, JOIN_ORDER, STREAMS};
use crate::ir::{Key, Node, Partition, Shape, WindowSpec};
use crate::parse::Call;
use proc_macro2::TokenStream;
use quote::quote_spanned;
use syn::spanned::Spanned;

pub static JOIN: OperatorSpec = OperatorSpec {
    op: setting("join"),
    on: STREAMS,
    args: (1, 1),
    signature: "join(other).where_(|a| key).equal_to(|b| key).window(assigner).apply(|a, b| out)",
    after_sink: false,
    build: |b, cur, call, _| connect(b, cur, call, Pending::Join),
};

/// Where `where_`, `equal_to` and `window` are called: a join's and a co-group's streams.
const JOINED: &[StreamKind] = &[StreamKind::JoinedStreams, StreamKind::CoGroupedStreams];

pub static WHERE: OperatorSpec = OperatorSpec {
    op: setting("where_"),
    on: JOINED,
    args: (1, 1),
    signature: "where_(|a| key)",
    after_sink: false,
    build: |b, mut cur, call, _| {
        if cur.keyed.is_some() {
            return out_of_order(b, &cur, call);
        }
        let key = Key::of(&call.args[0]);
        cur.partition_by(Partition::Hash(key.clone()));
        cur.keyed = Some(key);
        Some(cur)
    },
};

pub static EQUAL_TO: OperatorSpec = OperatorSpec {
    op: setting("equal_to"),
    on: JOINED,
    args: (1, 1),
    signature: "equal_to(|b| key)",
    after_sink: false,
    build: |b, mut cur, call, _| {
        if cur.keyed.is_none() || cur.keyed2.is_some() {
            return out_of_order(b, &cur, call);
        }
        let key = Key::of(&call.args[0]);
        cur.second.as_mut()?.partition_by(Partition::Hash(key.clone()));
        cur.keyed2 = Some(key);
        Some(cur)
    },
};

pub static JOIN_WINDOW: OperatorSpec = OperatorSpec {
    op: setting("window"),
    on: JOINED,
    args: (1, 1),
    signature: super::window::SIGNATURE,
    after_sink: false,
    build: |b, mut cur, call, _| {
        if cur.keyed2.is_none() || cur.window.is_some() {
            return out_of_order(b, &cur, call);
        }
        if dynamic_gap(&call.args[0]).is_some() {
            b.error(
                call.args[0].span(),
                "a window join or co-group takes sessions with a fixed gap: use `EventTimeSessionWindows::with_gap(d)` here (a gap per record, `with_dynamic_gap`, is for `window(..)` on a keyed stream)",
            );
        }
        let assigner = call.args[0].clone();
        cur.window = Some(WindowSpec {
            all: false,
            assigner,
            lateness: None,
            late_tag: None,
            trigger: None,
            custom_trigger: false,
            span: call.span,
        });
        Some(cur)
    },
};

pub static APPLY: OperatorSpec = OperatorSpec {
    op: operator("apply", "Join", emit),
    on: &[StreamKind::JoinedStreams],
    args: (1, 1),
    signature: "apply(|a, b| out)",
    after_sink: false,
    build: apply,
};

/// The node of `apply`, a join's or a co-group's (`spec` tells them apart), once `where_`,
/// `equal_to` and `window` have been given.
pub fn apply(b: &mut Builder, mut cur: StreamRef, call: &Call, spec: &'static OperatorSpec) -> Option<StreamRef> {
    let Some(window) = cur.window.take() else {
        return out_of_order(b, &cur, call);
    };
    let second = cur.second.take()?;
    let keys = (cur.keyed.clone()?, cur.keyed2.clone()?);
    let mut inputs = cur.inputs(0);
    inputs.extend(second.inputs(1));
    let name = format!("{}({})", spec.op.display, window.assigner_name());
    let id = b.new_node(spec, call, inputs, Shape::WindowJoin { keys, window });
    b.node_mut(id).name = Some(name);
    Some(StreamRef::of(id, call.span))
}

fn out_of_order(b: &mut Builder, cur: &StreamRef, call: &Call) -> Option<StreamRef> {
    let order = match cur.joining {
        Some(Joining::CoGroup) => format!("a co-group reads {CO_GROUP_ORDER}"),
        _ => format!("a window join reads {JOIN_ORDER}"),
    };
    b.error(call.span, format!("`{}` does not belong here: {order}", call.method));
    None
}

fn emit(node: &Node) -> TokenStream {
    let (id, f, k1, k2) = (id(node), arg(node), key(node), key2(node));
    let assigner = node.window().map(|w| &w.assigner);
    quote_spanned!(node.span=> .window_join(#id, #k1, #k2, #assigner, #f))
}
