//! `env.from_sequence(start, end)`: the numbers from `start` to `end` inclusive, split over
//! the source's subtasks (Flink's `fromSequence`).
//!
//! ```ignore
//! env.from_sequence(1, 1_000).map(|n| n * 2).print();
//! ```

use super::{operator, source};
use crate::build::{OperatorSpec, StreamKind};
use crate::ir::Node;
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub static FROM_SEQUENCE: OperatorSpec = OperatorSpec {
    op: operator("from_sequence", "Source: from_sequence", emit),
    on: &[StreamKind::Env],
    args: (2, 2),
    signature: "from_sequence(start, end)",
    after_sink: false,
    build: |b, _, call, spec| source(b, call, spec, true),
};

fn emit(node: &Node) -> TokenStream {
    let (s, e) = (&node.args[0], &node.args[1]);
    quote_spanned!(node.span=> ::rill::codegen::Sequence::new(#s, #e))
}
