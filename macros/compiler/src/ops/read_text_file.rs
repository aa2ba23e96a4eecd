//! `env.read_text_file(path)`: the lines of a file, non-parallel (Flink's `readTextFile`).
//!
//! ```ignore
//! env.read_text_file("input.txt").print();
//! ```

use super::{operator, source};
use crate::build::{OperatorSpec, StreamKind};
use crate::ir::Node;
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub static READ_TEXT_FILE: OperatorSpec = OperatorSpec {
    op: operator("read_text_file", "Source: read_text_file", emit),
    on: &[StreamKind::Env],
    args: (1, 1),
    signature: "read_text_file(path)",
    after_sink: false,
    build: |b, _, call, spec| source(b, call, spec, false),
};

fn emit(node: &Node) -> TokenStream {
    let path = &node.args[0];
    quote_spanned!(node.span=> ::rill::codegen::TextFile::new(#path))
}
