//! `key_by(..).reduce(|aggregate, record| new_aggregate)`: a rolling reduce per key,
//! emitting every new aggregate (Flink's `KeyedStream.reduce`).
//!
//! ```ignore
//! env.from_elements([("a", 1), ("a", 2)]).key_by(|(k, _)| *k).reduce(|(k, a), (_, b)| (k, a + b)).print();
//! ```

use super::{arg, id, key, one_input, operator};
use crate::build::{OperatorSpec, StreamKind, StreamRef};
use crate::ir::{Node, Shape};
use proc_macro2::TokenStream;
use quote::quote_spanned;

/// How `reduce` reads, on keyed and windowed streams.
pub const SIGNATURE: &str =
    "reduce(|aggregate, record| new_aggregate), on a window also reduce(f, |key, window, result, out| ..)";

pub static REDUCE: OperatorSpec = OperatorSpec {
    op: operator("reduce", "Keyed Reduce", emit),
    on: &[StreamKind::KeyedStream],
    args: (1, 2),
    signature: SIGNATURE,
    after_sink: false,
    build: |b, cur, call, spec| {
        if call.args.len() > 1 {
            b.error(
                call.span,
                "`reduce` takes 1 argument on a keyed stream: reduce(|aggregate, record| new_aggregate); the form with a process function is for windows",
            );
            return None;
        }
        let key = cur.keyed.clone()?;
        Some(StreamRef::of(one_input(b, &cur, call, spec, Shape::Keyed { key }), call.span))
    },
};

fn emit(node: &Node) -> TokenStream {
    let (id, f, key) = (id(node), arg(node), key(node));
    quote_spanned!(node.span=> .keyed_reduce(#id, #key, #f))
}
