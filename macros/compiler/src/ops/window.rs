//! Windows: `window(assigner)` on a keyed stream, `window_all(assigner)` over all records
//! (one subtask), `count_window(size[, slide])`, and their settings `allowed_lateness(d)`,
//! `side_output_late_data(&TAG)` and `trigger(t)`. A window function follows
//! (`window_aggregate.rs`, `window_reduce.rs`, `window_process.rs`,
//! `window_aggregation.rs`); this file also holds what they share.
//!
//! ```ignore
//! stream.key_by(|(w, _)| w.clone())
//!     .window(TumblingEventTimeWindows::of(Duration::from_secs(5)))
//!     .allowed_lateness(Duration::from_secs(1))
//!     .sum(1)
//!     .print();
//! ```

use super::{id, key, moved, setting};
use crate::build::{Builder, OperatorSpec, StreamKind, StreamRef, STREAMS};
use crate::ir::{Key, Node, Partition, Shape, WindowSpec};
use crate::parse::Call;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::Expr;

/// How `window` reads, on keyed streams and in joins.
pub const SIGNATURE: &str = "window(TumblingEventTimeWindows::of(Duration::from_secs(10)))";

pub static WINDOW: OperatorSpec = OperatorSpec {
    op: setting("window"),
    on: STREAMS,
    args: (1, 1),
    signature: SIGNATURE,
    after_sink: false,
    build: |b, cur, call, _| window(b, cur, call, false),
};

pub static WINDOW_ALL: OperatorSpec = OperatorSpec {
    op: setting("window_all"),
    on: STREAMS,
    args: (1, 1),
    signature: "window_all(TumblingEventTimeWindows::of(Duration::from_secs(10)))",
    after_sink: false,
    build: |b, cur, call, _| window(b, cur, call, true),
};

pub static COUNT_WINDOW: OperatorSpec = OperatorSpec {
    op: setting("count_window"),
    on: STREAMS,
    args: (1, 2),
    signature: "count_window(size) or count_window(size, slide)",
    after_sink: false,
    build: |b, cur, call, _| window(b, cur, call, false),
};

pub static ALLOWED_LATENESS: OperatorSpec = OperatorSpec {
    op: setting("allowed_lateness"),
    on: &[StreamKind::WindowedStream],
    args: (1, 1),
    signature: "allowed_lateness(Duration::from_secs(5))",
    after_sink: false,
    build: |_, mut cur, call, _| {
        cur.window.as_mut()?.lateness = Some(call.args[0].clone());
        Some(cur)
    },
};

pub static SIDE_OUTPUT_LATE_DATA: OperatorSpec = OperatorSpec {
    op: setting("side_output_late_data"),
    on: &[StreamKind::WindowedStream],
    args: (1, 1),
    signature: "side_output_late_data(&TAG)",
    after_sink: false,
    build: |_, mut cur, call, _| {
        cur.window.as_mut()?.late_tag = Some(call.args[0].clone());
        Some(cur)
    },
};

pub static TRIGGER: OperatorSpec = OperatorSpec {
    op: setting("trigger"),
    on: &[StreamKind::WindowedStream],
    args: (1, 1),
    signature: "trigger(CountTrigger::of(100)) or trigger(MyTrigger)",
    after_sink: false,
    build: |b, mut cur, call, _| {
        let custom = !built_in_trigger(b.resolve(&call.args[0]));
        let window = cur.window.as_mut()?;
        window.trigger = Some(call.args[0].clone());
        window.custom_trigger = custom;
        Some(cur)
    },
};

/// `window`, `window_all`, `count_window`: a windowed stream, waiting for its function.
fn window(b: &mut Builder, mut cur: StreamRef, call: &Call, all: bool) -> Option<StreamRef> {
    if all && cur.keyed.is_some() {
        b.error(call.span, "`window_all` takes a stream that is not keyed: use `window` on a keyed stream");
        return None;
    }
    if !all && cur.keyed.is_none() {
        b.error(
            call.span,
            "`window` needs a keyed stream: call `key_by(|record| key)` before it, or use `window_all` for windows over all records",
        );
        return None;
    }
    if all {
        // One subtask sees every record: Flink's `windowAll`, keyed by nothing.
        let unit: Expr = syn::parse_quote!(|_| ());
        cur.partition_by(Partition::Global);
        cur.keyed = Some(Key { closure: unit, span: call.span });
    }
    let assigner: Expr = match (call.method.to_string().as_str(), call.args.as_slice()) {
        ("count_window", [size]) => syn::parse_quote!(::rill::codegen::CountWindows::of(#size)),
        ("count_window", [size, slide]) => syn::parse_quote!(::rill::codegen::CountWindows::sliding(#size, #slide)),
        _ => call.args[0].clone(),
    };
    let span = call.span;
    cur.window =
        Some(WindowSpec { all, assigner, lateness: None, late_tag: None, trigger: None, custom_trigger: false, span });
    cur.between = Some(if all { "window_all" } else { "window" });
    Some(cur)
}

/// The build of every window function: a window node with the stream's key and window.
pub fn window_function(b: &mut Builder, cur: StreamRef, call: &Call, spec: &'static OperatorSpec) -> Option<StreamRef> {
    let (key, window) = (cur.keyed.clone()?, cur.window.clone()?);
    let id = b.new_node(spec, call, cur.inputs(0), Shape::Window { key, window });
    Some(StreamRef::of(id, call.span))
}

/// A window function's call: `f(head)` gives `.keyed_window_<function>(head, ..)`, where
/// `head` is `id, key, assigner, lateness`; a dynamic session gap and a trigger follow it.
pub fn emit_window(node: &Node, f: impl Fn(&WindowSpec, TokenStream) -> TokenStream) -> TokenStream {
    let Shape::Window { window, .. } = &node.shape else { unreachable!("a window function has a window shape") };
    let call = |window: &WindowSpec| {
        let (id, key, assigner) = (id(node), key(node), &window.assigner);
        let lateness = window.lateness.as_ref().map_or_else(|| quote!(::std::time::Duration::ZERO), |l| quote!(#l));
        f(window, quote!(#id, #key, #assigner, #lateness))
    };
    let mut call = match dynamic_gap(&window.assigner) {
        Some((assigner, gap)) => {
            let window = WindowSpec { assigner, ..window.clone() };
            let call = call(&window);
            let gap = moved(&gap);
            quote!(#call .with_dynamic_gap(#gap))
        }
        None => call(window),
    };
    if let Some(trigger) = &window.trigger {
        // At the trigger: a trigger that cannot fire these windows is an error there.
        let with_trigger = if window.custom_trigger {
            quote_spanned!(trigger.span()=> .with_custom_trigger(#trigger))
        } else {
            quote_spanned!(trigger.span()=> .with_trigger(#trigger))
        };
        call = quote!(#call #with_trigger);
    }
    call
}

/// Whether a trigger is one of Flink's (`CountTrigger::of(100)`, `PurgingTrigger::of(..)`,
/// ..., or a name a plain `let` bound to one), which the window operator runs itself;
/// anything else is a value of the user's own type implementing `Trigger`.
fn built_in_trigger(trigger: &Expr) -> bool {
    const BUILT_IN: [&str; 6] = [
        "EventTimeTrigger",
        "ProcessingTimeTrigger",
        "CountTrigger",
        "PurgingTrigger",
        "ContinuousEventTimeTrigger",
        "ContinuousProcessingTimeTrigger",
    ];
    let Expr::Call(call) = trigger else { return false };
    let Expr::Path(path) = &*call.func else { return false };
    let segments: Vec<_> = path.path.segments.iter().collect();
    matches!(segments.as_slice(), [.., ty, _] if BUILT_IN.contains(&ty.ident.to_string().as_str()))
}

/// `EventTimeSessionWindows::with_dynamic_gap(|r| gap)` becomes the assigner
/// `EventTimeSessionWindows::per_record_gap()` and the closure, which is handed to the
/// window stage (`.with_dynamic_gap(|r| gap)`), where the record type is known: the closure
/// needs no annotation.
pub fn dynamic_gap(assigner: &Expr) -> Option<(Expr, Expr)> {
    let Expr::Call(call) = assigner else { return None };
    let Expr::Path(path) = &*call.func else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "with_dynamic_gap" || call.args.len() != 1 {
        return None;
    }
    let mut func = path.clone();
    let seg = func.path.segments.last_mut().expect("a last segment");
    seg.ident = syn::Ident::new("per_record_gap", seg.ident.span());
    Some((syn::parse_quote!(#func()), call.args[0].clone()))
}
