//! `print()` and `print_to_err()`: each record on standard output (error), as Flink's
//! `print()` writes it: `subtask> record` when the sink runs in several subtasks. Records
//! are shown with `Display` where they have it, else `Debug`.
//!
//! ```ignore
//! env.from_elements(["hello"]).print();
//! ```

use super::{id, operator, sink};
use crate::build::{OperatorSpec, STREAMS};
use crate::ir::Node;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

pub static PRINT: OperatorSpec = OperatorSpec {
    op: operator("print", "Print to Std. Out", |node| emit(node, false)),
    on: STREAMS,
    args: (0, 0),
    signature: "print()",
    after_sink: false,
    build: sink,
};

pub static PRINT_TO_ERR: OperatorSpec = OperatorSpec {
    op: operator("print_to_err", "Print to Std. Err", |node| emit(node, true)),
    on: STREAMS,
    args: (0, 0),
    signature: "print_to_err()",
    after_sink: false,
    build: sink,
};

fn emit(node: &Node, stderr: bool) -> TokenStream {
    let id = id(node);
    let show = quote!(|__rill_v, __rill_out| ::rill::show!(__rill_v, __rill_out));
    quote_spanned!(node.span=> .print_with(#id, #stderr, #show))
}
