//! `key_by(..).process(f)`: Flink's `KeyedProcessFunction`, with keyed state, timers in
//! event and processing time, and side outputs (`ctx.output(&TAG, ..)`). `f` is a closure
//! `|record, ctx, out|` or a value implementing `KeyedProcessFunction`.
//!
//! ```ignore
//! env.from_elements([("a", 1), ("a", 2)])
//!     .key_by(|(k, _)| *k)
//!     .process(|(k, n), ctx, out| out.collect((k, n)))
//!     .print();
//! ```

use super::{arg, id, key, one_input};
use crate::build::{OperatorSpec, StreamKind, StreamRef};
use crate::ir::{Node, Operator, Shape};
use proc_macro2::TokenStream;
use quote::quote_spanned;
use syn::Expr;

pub static KEYED_PROCESS: OperatorSpec = OperatorSpec {
    op: Operator { method: "process", display: "Process", emit, writes_side_outputs: true },
    on: &[StreamKind::KeyedStream],
    args: (1, 1),
    signature: super::process::SIGNATURE,
    after_sink: false,
    build: |b, cur, call, spec| {
        let key = cur.keyed.clone()?;
        Some(StreamRef::of(one_input(b, &cur, call, spec, Shape::Keyed { key }), call.span))
    },
};

fn emit(node: &Node) -> TokenStream {
    let (id, f, key) = (id(node), arg(node), key(node));
    // A closure is typed where it stands; anything else is a `KeyedProcessFunction`.
    if matches!(node.args[0], Expr::Closure(_)) {
        quote_spanned!(node.span=> .keyed_process(#id, #key, #f))
    } else {
        quote_spanned!(node.span=> .keyed_process_fn(#id, #key, #f))
    }
}
