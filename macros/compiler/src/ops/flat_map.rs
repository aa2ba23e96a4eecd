//! `flat_map(|record, out| ..)` or `flat_map(|record| iterable)`: any number of records out
//! per record in (Flink's `flatMap`). A closure of two parameters is Flink's collector form
//! (`out.collect(x)`); anything else returns an `IntoIterator`.
//!
//! ```ignore
//! env.from_elements(["a b", "c"]).flat_map(|line, out| for w in line.split(' ') { out.collect(w.to_owned()) }).print();
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
    signature: "flat_map(|record, out| out.collect(..)) or flat_map(|record| iterable)",
    after_sink: false,
    build: |b, cur, call, spec| Some(StreamRef::of(one_input(b, &cur, call, spec, Shape::OneInput), call.span)),
};

fn emit(node: &Node) -> TokenStream {
    let (id, f) = (id(node), arg(node));
    if matches!(&node.args[0], syn::Expr::Closure(c) if c.inputs.len() == 2) {
        quote_spanned!(node.span=> .flat_map_collect(#id, #f))
    } else {
        quote_spanned!(node.span=> .flat_map(#id, #f))
    }
}
