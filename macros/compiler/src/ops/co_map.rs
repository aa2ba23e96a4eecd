//! `connect(other).co_map(|a| out, |b| out)` and `co_flat_map(|a, out| .., |b, out| ..)` or
//! `co_flat_map(|a| iterable, |b| iterable)`: a function per input with one output type
//! (Flink's `CoMapFunction`, `CoFlatMapFunction`; closures of two parameters are Flink's
//! collector form, as for `flat_map`).
//!
//! ```ignore
//! let numbers = env.from_elements([1, 2]);
//! env.from_elements(["a"]).connect(numbers).co_map(|s| s.len(), |n| n).print();
//! ```

use super::{id, moved, operator};
use crate::build::{Builder, OperatorSpec, StreamKind, StreamRef};
use crate::ir::{Node, Shape};
use crate::parse::Call;
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub static CO_MAP: OperatorSpec = OperatorSpec {
    op: operator("co_map", "Co-Map", |node| emit(node, false)),
    on: &[StreamKind::ConnectedStreams],
    args: (2, 2),
    signature: "co_map(|a| out, |b| out)",
    after_sink: false,
    build,
};

pub static CO_FLAT_MAP: OperatorSpec = OperatorSpec {
    op: operator("co_flat_map", "Co-Flat Map", |node| emit(node, true)),
    on: &[StreamKind::ConnectedStreams],
    args: (2, 2),
    signature: "co_flat_map(|a, out| .., |b, out| ..) or co_flat_map(|a| iterable, |b| iterable)",
    after_sink: false,
    build,
};

fn build(b: &mut Builder, mut cur: StreamRef, call: &Call, spec: &'static OperatorSpec) -> Option<StreamRef> {
    if spec.op.method == "co_flat_map" && collects(&call.args[0]) != collects(&call.args[1]) {
        b.error(
            call.span,
            "`co_flat_map` takes two functions of one form: both collect (`|a, out| ..`, `|b, out| ..`) or both return iterables",
        );
        return None;
    }
    let second = cur.second.take()?;
    let keys = cur.keyed.clone().zip(cur.keyed2.clone());
    let mut inputs = cur.inputs(0);
    inputs.extend(second.inputs(1));
    let id = b.new_node(spec, call, inputs, Shape::Connected { keys });
    Some(StreamRef::of(id, call.span))
}

/// A closure of two parameters: Flink's collector form.
fn collects(arg: &syn::Expr) -> bool {
    matches!(arg, syn::Expr::Closure(c) if c.inputs.len() == 2)
}

fn emit(node: &Node, flat: bool) -> TokenStream {
    let (id, a, b) = (id(node), moved(&node.args[0]), moved(&node.args[1]));
    if flat && collects(&node.args[0]) {
        quote_spanned!(node.span=> .co_flat_map_collect(#id, #a, #b))
    } else if flat {
        quote_spanned!(node.span=> .co_flat_map(#id, #a, #b))
    } else {
        quote_spanned!(node.span=> .co_map(#id, #a, #b))
    }
}
