//! `env.socket_text_stream(host, port)`: lines read from a TCP socket, non-parallel and not
//! replayable (Flink's `socketTextStream`); a third argument sets the delimiter, a fourth the
//! longest record accepted in bytes (64 MiB by default).
//!
//! ```ignore
//! env.socket_text_stream("localhost", 9999).print();
//! ```

use super::{operator, source};
use crate::build::{OperatorSpec, StreamKind};
use crate::ir::Node;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

pub static SOCKET_TEXT_STREAM: OperatorSpec = OperatorSpec {
    op: operator("socket_text_stream", "Source: socket_text_stream", emit),
    on: &[StreamKind::Env],
    args: (2, 4),
    signature: "socket_text_stream(host, port), socket_text_stream(host, port, delimiter) or socket_text_stream(host, port, delimiter, max_record_bytes)",
    after_sink: false,
    build: |b, _, call, spec| source(b, call, spec, false),
};

fn emit(node: &Node) -> TokenStream {
    let a = &node.args;
    let (host, port) = (&a[0], &a[1]);
    let delim = a.get(2).map_or_else(|| quote!("\n"), |d| quote!(#d));
    let limit = a.get(3).map(|n| quote!(.with_max_record_bytes(#n)));
    quote_spanned!(node.span=> ::rill::codegen::SocketTextStream::new(#host, #port, #delim) #limit)
}
