//! `map(|record| new_record)`: one record out per record in (Flink's `map`).
//!
//! ```ignore
//! env.from_elements([1, 2, 3]).map(|n| n * 10).print();
//! ```

use super::{arg, id, one_input, operator};
use crate::build::{OperatorSpec, StreamRef, STREAMS};
use crate::ir::{Node, Shape};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub static MAP: OperatorSpec = OperatorSpec {
    op: operator("map", "Map", emit),
    on: STREAMS,
    args: (1, 1),
    signature: "map(|record| ...)",
    after_sink: false,
    build: |b, cur, call, spec| Some(StreamRef::of(one_input(b, &cur, call, spec, Shape::OneInput), call.span)),
};

fn emit(node: &Node) -> TokenStream {
    let (id, f) = (id(node), arg(node));
    quote_spanned!(node.span=> .map(#id, #f))
}
