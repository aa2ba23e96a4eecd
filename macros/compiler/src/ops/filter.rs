//! `filter(|record| bool)`: the records for which the predicate holds (Flink's `filter`).
//!
//! ```ignore
//! env.from_sequence(1, 10).filter(|n| n % 2 == 0).print();
//! ```

use super::{arg, id, one_input, operator};
use crate::build::{OperatorSpec, StreamRef, STREAMS};
use crate::ir::{Node, Shape};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub static FILTER: OperatorSpec = OperatorSpec {
    op: operator("filter", "Filter", emit),
    on: STREAMS,
    args: (1, 1),
    signature: "filter(|record| bool)",
    after_sink: false,
    build: |b, cur, call, spec| Some(StreamRef::of(one_input(b, &cur, call, spec, Shape::OneInput), call.span)),
};

fn emit(node: &Node) -> TokenStream {
    let (id, f) = (id(node), arg(node));
    quote_spanned!(node.span=> .filter(#id, #f))
}
