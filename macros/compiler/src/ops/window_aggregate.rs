//! `window(..).aggregate(f)` and `aggregate(f, |key, window, result, out| ..)`: an
//! `AggregateFunction` per key and window, optionally followed by a process function that
//! sees the result with its window (Flink's `aggregate`). Sliding event-time windows without
//! lateness or trigger run on panes: constant work per record however much windows overlap.
//!
//! ```ignore
//! stream.key_by(|m| m.host.clone())
//!     .window(SlidingEventTimeWindows::of(Duration::from_secs(10), Duration::from_secs(1)))
//!     .aggregate(Average::default())
//!     .print();
//! ```

use super::window::{emit_window, window_function};
use super::{arg, id, key, moved, operator};
use crate::build::{OperatorSpec, StreamKind};
use crate::ir::{Node, WindowSpec};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub static AGGREGATE: OperatorSpec = OperatorSpec {
    op: operator("aggregate", "Window", emit),
    on: &[StreamKind::WindowedStream],
    args: (1, 2),
    signature: "aggregate(an AggregateFunction) or aggregate(f, |key, window, result, out| ..)",
    after_sink: false,
    build: window_function,
};

/// Panes: constant work per record however sliding event-time windows overlap (needs no
/// lateness, no trigger). Tumbling windows do not overlap: one state per window is cheaper.
fn panes(window: &WindowSpec) -> bool {
    window.lateness.is_none() && window.trigger.is_none() && window.assigner_name() == "SlidingEventTimeWindows"
}

fn emit(node: &Node) -> TokenStream {
    let span = node.span;
    let f = arg(node);
    let process = node.args.get(1).map(moved);
    emit_window(node, |window, head| {
        if panes(window) {
            let (id, key, assigner) = (id(node), key(node), &window.assigner);
            return match &process {
                Some(p) => quote_spanned!(span=> .keyed_pane_aggregate_process(#id, #key, #assigner, #f, #p)),
                None => quote_spanned!(span=> .keyed_pane_aggregate(#id, #key, #assigner, #f)),
            };
        }
        match &process {
            Some(p) => quote_spanned!(span=> .keyed_window_aggregate_process(#head, #f, #p)),
            None => quote_spanned!(span=> .keyed_window_aggregate(#head, #f)),
        }
    })
}
