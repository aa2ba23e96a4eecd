//! `env.from_elements([a, b, c])` and `env.from_iter(iterable)`: a bounded, non-parallel
//! source of the given records (Flink's `fromElements` / `fromCollection`).
//!
//! ```ignore
//! env.from_elements(["hello flink", "flink is great"]).print();
//! ```

use super::{id, operator, source};
use crate::build::{OperatorSpec, StreamKind};
use crate::ir::Node;
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub static FROM_ELEMENTS: OperatorSpec = OperatorSpec {
    op: operator("from_elements", "Source: from_elements", emit),
    on: &[StreamKind::Env],
    args: (1, 1),
    signature: "from_elements([a, b, ...])",
    after_sink: false,
    build: |b, _, call, spec| source(b, call, spec, false),
};

pub static FROM_ITER: OperatorSpec = OperatorSpec {
    op: operator("from_iter", "Source: from_iter", emit),
    on: &[StreamKind::Env],
    args: (1, 1),
    signature: "from_iter(iterable)",
    after_sink: false,
    build: |b, _, call, spec| source(b, call, spec, false),
};

fn emit(node: &Node) -> TokenStream {
    let (id, items) = (id(node), &node.args[0]);
    quote_spanned!(node.span=> ::rill::codegen::FromIter::new(#id, #items))
}
