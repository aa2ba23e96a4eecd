//! `process(f)` on connected streams: Flink's `KeyedCoProcessFunction` on two keyed inputs
//! (`a.connect(b).key_by(|a| key, |b| key).process(f)`), or its
//! `KeyedBroadcastProcessFunction` on a keyed stream connected to a broadcast stream that
//! writes a broadcast state (`keyed.connect(rules.broadcast(&STATE)).process(f)`).
//!
//! ```ignore
//! let rules = env.from_elements([("cpu", 90.0)]).broadcast(&RULES);
//! metrics.key_by(|m| m.host.clone()).connect(rules).process(Alerts).print();
//! ```

use super::{arg, id, key, key2, operator};
use crate::build::{OperatorSpec, StreamKind, StreamRef};
use crate::ir::{Node, Shape};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub static CO_PROCESS: OperatorSpec = OperatorSpec {
    op: operator("process", "Keyed Co-Process", emit),
    on: &[StreamKind::ConnectedStreams],
    args: (1, 1),
    signature: super::process::SIGNATURE,
    after_sink: false,
    build: |b, mut cur, call, spec| {
        let second = cur.second.take()?;
        let mut inputs = cur.inputs(0);
        inputs.extend(second.inputs(1));
        if second.broadcast_state.is_some() {
            let Some(key) = cur.keyed.clone() else {
                b.error(
                    call.span,
                    "`process` with a broadcast stream needs the other stream keyed: keyed.connect(rules.broadcast(&STATE)).process(..)",
                );
                return None;
            };
            let id = b.new_node(spec, call, inputs, Shape::Broadcast { key });
            b.node_mut(id).name = Some("Keyed Broadcast Process".to_owned());
            return Some(StreamRef::of(id, call.span));
        }
        let Some(keys) = cur.keyed.clone().zip(cur.keyed2.clone()) else {
            b.error(
                call.span,
                "`process` on connected streams needs both keyed: key_by(|a| key, |b| key) before it (a KeyedCoProcessFunction)",
            );
            return None;
        };
        let id = b.new_node(spec, call, inputs, Shape::Connected { keys: Some(keys) });
        Some(StreamRef::of(id, call.span))
    },
};

fn emit(node: &Node) -> TokenStream {
    let (id, f, k1, k2) = (id(node), arg(node), key(node), key2(node));
    match node.shape {
        Shape::Broadcast { .. } => quote_spanned!(node.span=> .keyed_broadcast_process(#id, #k1, #f)),
        _ => quote_spanned!(node.span=> .keyed_co_process(#id, #k1, #k2, #f)),
    }
}
