//! The operators: one file per DataStream method (or family of methods that share their
//! code, such as `sum`/`min`/`max`), each with its [`OperatorSpec`]: the streams it is
//! called on, its signature, its own checks, how it builds its node and how it is emitted.
//!
//! Adding an operator: a file here with its spec, its line in [`CATALOG`], the runtime's
//! builder method that its `emit` calls, a test and the docs.

use crate::build::{Builder, OperatorSpec, StreamRef};
pub use crate::closures::moved;
use crate::ir::{Input, Node, Operator, Shape};
use crate::parse::Call;
use proc_macro2::TokenStream;
use quote::quote;
use syn::Expr;

mod aggregation;
mod assign_timestamps;
mod attributes;
mod co_group;
mod co_map;
mod co_process;
mod connect;
mod discard;
mod filter;
mod flat_map;
mod from_elements;
mod from_sequence;
mod from_source;
pub mod ide;
mod interval_join;
mod join;
mod key_by;
mod keyed_process;
mod map;
mod partitioning;
mod print;
mod process;
mod read_text_file;
mod reduce;
mod side_output;
mod sink_to;
mod socket_text_stream;
mod union;
mod window;
mod window_aggregate;
mod window_aggregation;
mod window_process;
mod window_reduce;
mod write_as_text;

pub use aggregation::{field_of, Field};
pub use window::dynamic_gap;

/// Every operator spec. The order is the order of suggestions in messages (`did you mean`).
pub static CATALOG: &[&OperatorSpec] = &[
    &from_elements::FROM_ELEMENTS,
    &from_elements::FROM_ITER,
    &from_sequence::FROM_SEQUENCE,
    &socket_text_stream::SOCKET_TEXT_STREAM,
    &from_source::FROM_SOURCE,
    &read_text_file::READ_TEXT_FILE,
    &assign_timestamps::ASSIGN_TIMESTAMPS_AND_WATERMARKS,
    &window::WINDOW,
    &window::WINDOW_ALL,
    &window::COUNT_WINDOW,
    &window::ALLOWED_LATENESS,
    &window_aggregate::AGGREGATE,
    &window::SIDE_OUTPUT_LATE_DATA,
    &window::TRIGGER,
    &side_output::SIDE_OUTPUT,
    &map::MAP,
    &flat_map::FLAT_MAP,
    &filter::FILTER,
    &process::PROCESS,
    &keyed_process::KEYED_PROCESS,
    &window_process::WINDOW_PROCESS,
    &co_process::CO_PROCESS,
    &interval_join::INTERVAL_JOIN_PROCESS,
    &key_by::KEY_BY,
    &key_by::KEY_BY_CONNECTED,
    &connect::CONNECT,
    &join::JOIN,
    &co_group::CO_GROUP,
    &interval_join::INTERVAL_JOIN,
    &interval_join::BETWEEN,
    &interval_join::SIDE_OUTPUT_LEFT_LATE_DATA,
    &interval_join::SIDE_OUTPUT_RIGHT_LATE_DATA,
    &join::WHERE,
    &join::EQUAL_TO,
    &join::JOIN_WINDOW,
    &join::APPLY,
    &co_group::CO_GROUP_APPLY,
    &co_map::CO_MAP,
    &co_map::CO_FLAT_MAP,
    &reduce::REDUCE,
    &window_reduce::WINDOW_REDUCE,
    &aggregation::SUM,
    &window_aggregation::WINDOW_SUM,
    &aggregation::MIN,
    &window_aggregation::WINDOW_MIN,
    &aggregation::MAX,
    &window_aggregation::WINDOW_MAX,
    &aggregation::MIN_BY,
    &window_aggregation::WINDOW_MIN_BY,
    &aggregation::MAX_BY,
    &window_aggregation::WINDOW_MAX_BY,
    &union::UNION,
    &partitioning::FORWARD,
    &partitioning::REBALANCE,
    &partitioning::RESCALE,
    &partitioning::BROADCAST,
    &partitioning::GLOBAL,
    &attributes::NAME,
    &attributes::UID,
    &attributes::SET_PARALLELISM,
    &attributes::SET_MAX_PARALLELISM,
    &attributes::START_NEW_CHAIN,
    &attributes::DISABLE_CHAINING,
    &print::PRINT,
    &print::PRINT_TO_ERR,
    &write_as_text::WRITE_AS_TEXT,
    &sink_to::SINK_TO,
    &discard::DISCARD,
];

/// Whether `method` is a source.
pub fn is_source(method: &str) -> bool {
    crate::build::is_source(CATALOG, method)
}

/// The operator of a method that changes the stream but makes no node (`key_by`, `name`).
const fn setting(method: &'static str) -> Operator {
    Operator { method, display: "", emit: no_code, writes_side_outputs: false }
}

/// An operator that makes a node, named `display` by default, emitted by `emit`.
const fn operator(method: &'static str, display: &'static str, emit: fn(&Node) -> TokenStream) -> Operator {
    Operator { method, display, emit, writes_side_outputs: false }
}

/// Operators that make no code of their own.
fn no_code(_: &Node) -> TokenStream {
    quote!()
}

/// A one-input operator of `shape` on the stream: `map`, `filter`, sinks, ...
fn one_input(b: &mut Builder, cur: &StreamRef, call: &Call, spec: &'static OperatorSpec, shape: Shape) -> usize {
    let inputs: Vec<Input> = cur.inputs(0);
    b.new_node(spec, call, inputs, shape)
}

/// A source: a node without inputs.
fn source(b: &mut Builder, call: &Call, spec: &'static OperatorSpec, parallel: bool) -> Option<StreamRef> {
    let id = b.new_node(spec, call, Vec::new(), Shape::Source { parallel });
    Some(StreamRef::of(id, call.span))
}

/// A sink: ends the stream (only settings of the sink may follow).
fn sink(b: &mut Builder, cur: StreamRef, call: &Call, spec: &'static OperatorSpec) -> Option<StreamRef> {
    let id = one_input(b, &cur, call, spec, Shape::Sink);
    Some(StreamRef { sink: Some(call.span), ..StreamRef::of(id, call.span) })
}

/// A side output tag as written, without `&` and spaces: `LATE`, `tags::LATE`.
pub fn tag_name(e: &Expr) -> String {
    let e = match e {
        Expr::Reference(r) => &*r.expr,
        e => e,
    };
    quote!(#e).to_string().replace(' ', "")
}

/// The node's id as the runtime's builder methods take it.
fn id(node: &Node) -> u32 {
    node.id as u32
}

/// The node's first argument, made `move`.
fn arg(node: &Node) -> Option<Expr> {
    node.args.first().map(moved)
}

/// `WatermarkStrategy::for_bounded_out_of_orderness(d).with_timestamp_assigner(f)` becomes
/// `|s| s.for_bounded_out_of_orderness(d).with_timestamp_assigner(f)`, where `s` knows the
/// record type: the assigner closure needs no annotation. Anything else is passed as it is.
fn strategy(arg: &Expr) -> TokenStream {
    fn rewrite(e: &mut Expr) -> bool {
        match e {
            Expr::MethodCall(m) => {
                for a in m.args.iter_mut() {
                    *a = moved(a);
                }
                rewrite(&mut m.receiver)
            }
            Expr::Paren(p) => rewrite(&mut p.expr),
            Expr::Group(g) => rewrite(&mut g.expr),
            Expr::Call(c) => {
                let Expr::Path(p) = &*c.func else { return false };
                let segs: Vec<&syn::PathSegment> = p.path.segments.iter().collect();
                let [.., ty, ctor] = segs.as_slice() else { return false };
                if ty.ident != "WatermarkStrategy" {
                    return false;
                }
                let ctor = ctor.ident.clone();
                let args = c.args.clone();
                *e = syn::parse_quote!(__rill_ws.#ctor(#args));
                true
            }
            _ => false,
        }
    }
    let mut e = arg.clone();
    if rewrite(&mut e) {
        quote!(move |__rill_ws| #e)
    } else {
        quote!(move |_| #arg)
    }
}

/// A node's key selector, as a selector maker (see [`crate::key`]).
fn key(node: &Node) -> Option<TokenStream> {
    node.key().map(|k| crate::key::selector(&k.closure))
}

/// A node's second key selector, as a selector maker (see [`crate::key`]).
fn key2(node: &Node) -> Option<TokenStream> {
    node.key2().map(|k| crate::key::selector(&k.closure))
}

/// The operators of each kind of stream, as the `rill::operators` page lists them: one
/// list per stream type, each method with how its call reads. Generated from [`CATALOG`]
/// (a test keeps the page equal to it), so the docs and the compiler never disagree.
pub fn listing() -> String {
    use crate::build::StreamKind::*;
    let kinds = [
        (Env, "`env` (`Env`): sources"),
        (DataStream, "`DataStream`"),
        (KeyedStream, "`KeyedStream` (after `key_by`)"),
        (WindowedStream, "`WindowedStream` (after `window`, `window_all`, `count_window`)"),
        (ConnectedStreams, "`ConnectedStreams` (after `connect`)"),
        (JoinedStreams, "`JoinedStreams` (after `join`)"),
        (CoGroupedStreams, "`CoGroupedStreams` (after `co_group`)"),
        (IntervalJoin, "`IntervalJoin` (after `interval_join`)"),
    ];
    let mut text = String::new();
    for (kind, title) in kinds {
        text.push_str(&format!("\n#### {title}\n\n"));
        for spec in CATALOG.iter().filter(|s| s.on.contains(&kind)) {
            text.push_str(&format!("- `{}`: `{}`\n", spec.method(), spec.signature));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::StreamKind;

    #[test]
    fn every_method_on_a_stream_kind_has_one_spec() {
        for (i, a) in CATALOG.iter().enumerate() {
            for b in &CATALOG[i + 1..] {
                let both = a.on.iter().any(|k| b.on.contains(k));
                assert!(!(a.method() == b.method() && both), "`{}` twice on the same stream", a.method());
            }
        }
    }

    #[test]
    fn specs_of_one_method_agree_on_arguments_and_signature() {
        for a in CATALOG {
            let first = CATALOG.iter().find(|b| b.method() == a.method()).expect("itself");
            assert_eq!(a.args, first.args, "`{}`", a.method());
            assert!(!a.signature.is_empty() && a.signature.contains(a.method()), "`{}`", a.method());
        }
    }

    #[test]
    fn sources_are_known() {
        assert!(is_source("from_elements") && is_source("socket_text_stream"));
        assert!(!is_source("map"));
        assert!(CATALOG.iter().filter(|s| s.on.contains(&StreamKind::Env)).all(|s| s.on.len() == 1));
    }
}
