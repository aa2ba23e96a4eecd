//! `window(..).process(|key, window, records, out| ..)`: Flink's `ProcessWindowFunction`,
//! all of a window's records at once, with the window's context.
//!
//! ```ignore
//! stream.key_by(|(w, _)| w.clone())
//!     .window(TumblingEventTimeWindows::of(Duration::from_secs(5)))
//!     .process(|key, window, records, out| out.collect((key.clone(), window.end(), records.len())))
//!     .print();
//! ```

use super::arg;
use super::window::{emit_window, window_function};
use crate::build::{OperatorSpec, StreamKind};
use crate::ir::{Node, Operator};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub static WINDOW_PROCESS: OperatorSpec = OperatorSpec {
    op: Operator { method: "process", display: "Process", emit, writes_side_outputs: true },
    on: &[StreamKind::WindowedStream],
    args: (1, 1),
    signature: super::process::SIGNATURE,
    after_sink: false,
    build: window_function,
};

fn emit(node: &Node) -> TokenStream {
    let span = node.span;
    let f = arg(node);
    emit_window(node, |_, head| quote_spanned!(span=> .keyed_window_process(#head, #f)))
}
