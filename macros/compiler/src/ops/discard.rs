//! `discard()`: a sink that drops every record (Flink's `DiscardingSink`), for benchmarks
//! and for streams computed only for their side effects.
//!
//! ```ignore
//! env.from_sequence(1, 1_000_000).map(|n| n * 2).discard();
//! ```

use super::{id, operator, sink};
use crate::build::{OperatorSpec, STREAMS};
use crate::ir::Node;
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub static DISCARD: OperatorSpec = OperatorSpec {
    op: operator("discard", "Sink: discard", emit),
    on: STREAMS,
    args: (0, 0),
    signature: "discard()",
    after_sink: false,
    build: sink,
};

fn emit(node: &Node) -> TokenStream {
    let id = id(node);
    quote_spanned!(node.span=> .discard(#id))
}
