//! `flat_map(|record| iterable)`: any number of records out per record in (Flink's
//! `flatMap`).
//!
//! ```ignore
//! env.from_elements(["a b", "c"]).flat_map(|line| line.split(' ').map(str::to_owned).collect::<Vec<_>>()).print();
//! ```

use super::{arg, id, one_input, operator};
use crate::build::{OperatorSpec, StreamRef, STREAMS};
use crate::ir::{Node, Shape};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub static FLAT_MAP: OperatorSpec = OperatorSpec {
    op: operator("flat_map", "Flat Map", emit),
    on: STREAMS,
    args: (1, 1),
    signature: "flat_map(|record| iterable)",
    after_sink: false,
    build: |b, cur, call, spec| Some(StreamRef::of(one_input(b, &cur, call, spec, Shape::OneInput), call.span)),
};

fn emit(node: &Node) -> TokenStream {
    let (id, f) = (id(node), arg(node));
    quote_spanned!(node.span=> .flat_map(#id, #f))
}
