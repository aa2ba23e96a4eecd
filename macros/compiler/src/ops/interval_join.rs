//! `a.key_by(..).interval_join(b.key_by(..)).between(lower_ms, upper_ms).process(f)`: every
//! pair of records with equal keys where `b`'s timestamp lies within `[a + lower, a + upper]`
//! (Flink's interval join).
//!
//! ```ignore
//! orders.key_by(|o| o.id)
//!     .interval_join(payments.key_by(|p| p.order))
//!     .between(-5_000, 5_000)
//!     .process(|order, payment, _ctx, out| out.collect((order.id, payment.amount)))
//!     .print();
//! ```

use super::connect::{connect, Pending};
use super::{arg, id, key, key2, setting};
use crate::build::{Builder, OperatorSpec, StreamKind, StreamRef, INTERVAL_JOIN_ORDER, STREAMS};
use crate::ir::{Node, Operator, Shape};
use crate::parse::Call;
use proc_macro2::TokenStream;
use quote::quote_spanned;
use syn::spanned::Spanned;

pub static INTERVAL_JOIN: OperatorSpec = OperatorSpec {
    op: setting("interval_join"),
    on: STREAMS,
    args: (1, 1),
    signature:
        "a.key_by(..).interval_join(b.key_by(..)).between(lower_ms, upper_ms).process(|left, right, ctx, out| ..)",
    after_sink: false,
    build: |b, cur, call, _| connect(b, cur, call, Pending::IntervalJoin),
};

pub static BETWEEN: OperatorSpec = OperatorSpec {
    op: setting("between"),
    on: &[StreamKind::IntervalJoin],
    args: (2, 2),
    signature: "between(lower_ms, upper_ms)",
    after_sink: false,
    build: |b, mut cur, call, _| {
        if !matches!(cur.interval, Some(None)) {
            return out_of_order(b, call);
        }
        cur.interval = Some(Some((call.args[0].clone(), call.args[1].clone())));
        Some(cur)
    },
};

pub static SIDE_OUTPUT_LEFT_LATE_DATA: OperatorSpec = OperatorSpec {
    op: setting("side_output_left_late_data"),
    on: &[StreamKind::IntervalJoin],
    args: (1, 1),
    signature: "side_output_left_late_data(&TAG)",
    after_sink: false,
    build: |b, cur, call, _| late_data(b, cur, call, 0),
};

pub static SIDE_OUTPUT_RIGHT_LATE_DATA: OperatorSpec = OperatorSpec {
    op: setting("side_output_right_late_data"),
    on: &[StreamKind::IntervalJoin],
    args: (1, 1),
    signature: "side_output_right_late_data(&TAG)",
    after_sink: false,
    build: |b, cur, call, _| late_data(b, cur, call, 1),
};

/// Records of side `side` (0 left, 1 right) that arrive behind the watermark go to the side
/// output of the call's tag instead of nowhere (Flink's `sideOutputLeftLateData`).
fn late_data(b: &mut Builder, mut cur: StreamRef, call: &Call, side: usize) -> Option<StreamRef> {
    if !matches!(cur.interval, Some(Some(_))) {
        return out_of_order(b, call);
    }
    cur.interval_late[side] = Some(call.args[0].clone());
    Some(cur)
}

pub static INTERVAL_JOIN_PROCESS: OperatorSpec = OperatorSpec {
    op: Operator { method: "process", display: "Interval Join", emit, writes_side_outputs: true },
    on: &[StreamKind::IntervalJoin],
    args: (1, 1),
    signature: super::process::SIGNATURE,
    after_sink: false,
    build: process,
};

fn process(b: &mut Builder, mut cur: StreamRef, call: &Call, spec: &'static OperatorSpec) -> Option<StreamRef> {
    let Some(Some((lower, upper))) = cur.interval.take() else {
        return out_of_order(b, call);
    };
    let second = cur.second.take()?;
    let keys = (cur.keyed.clone()?, cur.keyed2.clone()?);
    let mut inputs = cur.inputs(0);
    inputs.extend(second.inputs(1));
    let late = std::mem::take(&mut cur.interval_late);
    let id = b.new_node(spec, call, inputs, Shape::IntervalJoin { keys, lower, upper, late });
    b.node_mut(id).name = Some("Interval Join".to_owned());
    Some(StreamRef::of(id, call.span))
}

fn out_of_order(b: &mut Builder, call: &Call) -> Option<StreamRef> {
    b.error(call.span, format!("`{}` does not belong here: an interval join reads {INTERVAL_JOIN_ORDER}", call.method));
    None
}

fn emit(node: &Node) -> TokenStream {
    let (id, f, k1, k2) = (id(node), arg(node), key(node), key2(node));
    let Shape::IntervalJoin { lower, upper, late, .. } = &node.shape else { unreachable!("an interval join's shape") };
    let left = late[0].as_ref().map(|tag| quote_spanned!(tag.span()=> .side_output_left_late_data(#tag)));
    let right = late[1].as_ref().map(|tag| quote_spanned!(tag.span()=> .side_output_right_late_data(#tag)));
    quote_spanned!(node.span=> .interval_join(#id, #k1, #k2, #lower, #upper, #f) #left #right)
}
