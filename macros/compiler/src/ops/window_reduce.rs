//! `window(..).reduce(f)` and `reduce(f, |key, window, result, out| ..)`: a reduce per key
//! and window, optionally followed by a process function that sees the result with its
//! window (Flink's `WindowedStream.reduce`).
//!
//! ```ignore
//! stream.key_by(|(w, _)| w.clone())
//!     .window(TumblingProcessingTimeWindows::of(Duration::from_secs(5)))
//!     .reduce(|(w, a), (_, b)| (w, a + b))
//!     .print();
//! ```

use super::window::{emit_window, window_function};
use super::{arg, moved};
use crate::build::{OperatorSpec, StreamKind};
use crate::ir::{Node, Operator};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub static WINDOW_REDUCE: OperatorSpec = OperatorSpec {
    // With a process window function (`reduce(f, |key, ctx, result, out| ..)`), `ctx.output`.
    op: Operator { method: "reduce", display: "Keyed Reduce", emit, writes_side_outputs: true },
    on: &[StreamKind::WindowedStream],
    args: (1, 2),
    signature: super::reduce::SIGNATURE,
    after_sink: false,
    build: window_function,
};

fn emit(node: &Node) -> TokenStream {
    let span = node.span;
    let f = arg(node);
    let process = node.args.get(1).map(moved);
    emit_window(node, |_, head| match &process {
        Some(p) => quote_spanned!(span=> .keyed_window_reduce_process(#head, #f, #p)),
        None => quote_spanned!(span=> .keyed_window_reduce(#head, #f)),
    })
}
