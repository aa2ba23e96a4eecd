//! `window(..).sum(field)`, `min`, `max`, `min_by`, `max_by`: Flink's built-in
//! aggregations per key and window, on a tuple position or a field name.
//!
//! ```ignore
//! stream.key_by(|(w, _)| w.clone())
//!     .window(TumblingEventTimeWindows::of(Duration::from_secs(5)))
//!     .sum(1)
//!     .print();
//! ```

use super::aggregation::{check_field, Aggregation, SUM_SIGNATURE};
use super::operator;
use super::window::{emit_window, window_function};
use crate::build::{OperatorSpec, StreamKind};
use crate::ir::Node;
use proc_macro2::TokenStream;
use quote::quote_spanned;

macro_rules! windowed {
    ($name:ident, $method:literal, $signature:expr, $aggregation:expr) => {
        pub static $name: OperatorSpec = OperatorSpec {
            op: operator($method, "Keyed Aggregation", |n| emit(n, $aggregation)),
            on: &[StreamKind::WindowedStream],
            args: (1, 1),
            signature: $signature,
            after_sink: false,
            build: |b, cur, call, spec| {
                check_field(b, call)?;
                window_function(b, cur, call, spec)
            },
        };
    };
}

windowed!(WINDOW_SUM, "sum", SUM_SIGNATURE, Aggregation::Sum);
windowed!(WINDOW_MIN, "min", "min(field)", Aggregation::Min);
windowed!(WINDOW_MAX, "max", "max(field)", Aggregation::Max);
windowed!(WINDOW_MIN_BY, "min_by", "min_by(field)", Aggregation::MinBy);
windowed!(WINDOW_MAX_BY, "max_by", "max_by(field)", Aggregation::MaxBy);

fn emit(node: &Node, aggregation: Aggregation) -> TokenStream {
    let span = node.span;
    let agg = aggregation.emit(&node.args[0]);
    emit_window(node, |_, head| {
        if aggregation.selects() {
            quote_spanned!(span=> .keyed_window_select_by(#head, #agg))
        } else {
            quote_spanned!(span=> .keyed_window_field_aggregate(#head, #agg))
        }
    })
}
