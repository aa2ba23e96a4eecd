//! `process(f)` on connected streams: Flink's `KeyedCoProcessFunction` on two keyed inputs
//! (`a.connect(b).key_by(|a| key, |b| key).process(f)`), or its
//! `KeyedBroadcastProcessFunction` on a keyed stream connected to a broadcast stream that
//! writes a broadcast state (`keyed.connect(rules.broadcast(&STATE)).process(f)`). Without
//! keys, they are Flink's `CoProcessFunction` and `BroadcastProcessFunction`.
//!
//! ```ignore
//! let rules = env.from_elements([("cpu", 90.0)]).broadcast(&RULES);
//! metrics.key_by(|m| m.host.clone()).connect(rules).process(Alerts).print();
//! ```

use super::{arg, id, key, key2};
use crate::build::{OperatorSpec, StreamKind, StreamRef};
use crate::ir::{Node, Operator, Shape};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub static CO_PROCESS: OperatorSpec = OperatorSpec {
    op: Operator { method: "process", display: "Keyed Co-Process", emit, writes_side_outputs: true },
    on: &[StreamKind::ConnectedStreams],
    args: (1, 1),
    signature: super::process::SIGNATURE,
    after_sink: false,
    build: |b, mut cur, call, spec| {
        let second = cur.second.take()?;
        let mut inputs = cur.inputs(0);
        inputs.extend(second.inputs(1));
        if second.broadcast_state.is_some() {
            let key = cur.keyed.clone();
            let name = if key.is_some() { "Keyed Broadcast Process" } else { "Broadcast Process" };
            let id = b.new_node(spec, call, inputs, Shape::Broadcast { key });
            b.node_mut(id).name = Some(name.to_owned());
            return Some(StreamRef::of(id, call.span));
        }
        let keys = match (cur.keyed.clone(), cur.keyed2.clone()) {
            (Some(k1), Some(k2)) => Some((k1, k2)),
            (None, None) => None,
            _ => {
                b.error(
                    call.span,
                    "`process` on connected streams takes both keyed, `key_by(|a| key, |b| key)` before it (a KeyedCoProcessFunction), or neither (a CoProcessFunction)",
                );
                return None;
            }
        };
        let keyed = keys.is_some();
        let id = b.new_node(spec, call, inputs, Shape::Connected { keys });
        if !keyed {
            b.node_mut(id).name = Some("Co-Process".to_owned());
        }
        Some(StreamRef::of(id, call.span))
    },
};

fn emit(node: &Node) -> TokenStream {
    let (id, f, k1, k2) = (id(node), arg(node), key(node), key2(node));
    match &node.shape {
        Shape::Broadcast { key: Some(_) } => quote_spanned!(node.span=> .keyed_broadcast_process(#id, #k1, #f)),
        Shape::Broadcast { key: None } => quote_spanned!(node.span=> .broadcast_process(#id, #f)),
        Shape::Connected { keys: None } => quote_spanned!(node.span=> .co_process(#id, #f)),
        _ => quote_spanned!(node.span=> .keyed_co_process(#id, #k1, #k2, #f)),
    }
}
