//! `process(|record, ctx, out| ..)` on a plain stream: Flink's `ProcessFunction`, records
//! out through the collector, the record's timestamp and the watermark from the context, and
//! side outputs (`ctx.output(&TAG, ..)`).
//!
//! ```ignore
//! env.from_elements([1, 2]).process(|n, _ctx, out| out.collect(n + 1)).print();
//! ```

use super::{arg, id, one_input};
use crate::build::{OperatorSpec, StreamKind, StreamRef};
use crate::ir::{Node, Operator, Shape};
use proc_macro2::TokenStream;
use quote::quote_spanned;

/// How `process` reads, on every kind of stream.
pub const SIGNATURE: &str = "process(|record, ctx, out| ...)";

pub static PROCESS: OperatorSpec = OperatorSpec {
    op: Operator { method: "process", display: "Process", emit, writes_side_outputs: true },
    on: &[StreamKind::DataStream],
    args: (1, 1),
    signature: SIGNATURE,
    after_sink: false,
    build: |b, cur, call, spec| Some(StreamRef::of(one_input(b, &cur, call, spec, Shape::OneInput), call.span)),
};

fn emit(node: &Node) -> TokenStream {
    let (id, f) = (id(node), arg(node));
    quote_spanned!(node.span=> .process(#id, #f))
}
