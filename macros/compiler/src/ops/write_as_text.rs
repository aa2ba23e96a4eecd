//! `write_as_text(path)`: each record as a line of a file (Flink's `writeAsText`).
//!
//! ```ignore
//! env.from_elements(["hello"]).write_as_text("out.txt");
//! ```

use super::{arg, id, operator, sink};
use crate::build::{OperatorSpec, STREAMS};
use crate::ir::Node;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

pub static WRITE_AS_TEXT: OperatorSpec = OperatorSpec {
    op: operator("write_as_text", "Sink: write_as_text", emit),
    on: STREAMS,
    args: (1, 1),
    signature: "write_as_text(path)",
    after_sink: false,
    build: sink,
};

fn emit(node: &Node) -> TokenStream {
    let (id, path) = (id(node), arg(node));
    let show = quote!(|__rill_v, __rill_out| ::rill::show!(__rill_v, __rill_out));
    quote_spanned!(node.span=> .write_as_text_with(#id, #path, #show))
}
