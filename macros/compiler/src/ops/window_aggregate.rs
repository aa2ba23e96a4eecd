//! `window(..).aggregate(f)` and `aggregate(f, |key, window, result, out| ..)`: an
//! `AggregateFunction` per key and window, optionally followed by a process function that
//! sees the result with its window (Flink's `aggregate`). Without lateness or trigger, the
//! runtime picks the operator by the assigner's type: sliding event-time windows run on
//! panes (constant work per record however much windows overlap), the others keep a state
//! per window.
//!
//! ```ignore
//! stream.key_by(|m| m.host.clone())
//!     .window(SlidingEventTimeWindows::of(Duration::from_secs(10), Duration::from_secs(1)))
//!     .aggregate(Average::default())
//!     .print();
//! ```

use super::window::{dynamic_gap, emit_window, window_function};
use super::{arg, id, key, moved};
use crate::build::{OperatorSpec, StreamKind};
use crate::ir::{Node, Operator};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

pub static AGGREGATE: OperatorSpec = OperatorSpec {
    // With a process window function (`aggregate(f, |key, ctx, result, out| ..)`), `ctx.output`.
    op: Operator { method: "aggregate", display: "Window", emit, writes_side_outputs: true },
    on: &[StreamKind::WindowedStream],
    args: (1, 2),
    signature: "aggregate(an AggregateFunction) or aggregate(f, |key, window, result, out| ..)",
    after_sink: false,
    build: window_function,
};

fn emit(node: &Node) -> TokenStream {
    let span = node.span;
    let (id, key, f) = (id(node), key(node), arg(node));
    let process = node.args.get(1).map(moved);
    let window = node.window().expect("a window function has a window");
    if window.lateness.is_none() && window.trigger.is_none() && dynamic_gap(&window.assigner).is_none() {
        // The runtime picks the operator by the assigner's type: panes for sliding
        // event-time windows, per-window state for the others (`ops::window::choose`).
        let assigner = &window.assigner;
        let windows = quote!({
            use ::rill::codegen::{ViaEachWindow as _, ViaPanes as _};
            (&&::rill::codegen::ChooseWindows(#assigner)).windows()
        });
        return match &process {
            Some(p) => quote_spanned!(span=> .keyed_window_aggregate_process_on(#id, #key, #windows, #f, #p)),
            None => quote_spanned!(span=> .keyed_window_aggregate_on(#id, #key, #windows, #f)),
        };
    }
    emit_window(node, |_, head| match &process {
        Some(p) => quote_spanned!(span=> .keyed_window_aggregate_process(#head, #f, #p)),
        None => quote_spanned!(span=> .keyed_window_aggregate(#head, #f)),
    })
}
