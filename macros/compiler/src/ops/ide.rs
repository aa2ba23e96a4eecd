//! The IDE's view of the operators: typed stand-ins for every kind of stream, one method per
//! operator of the [`CATALOG`], generated into `rill::ide` (a test keeps the two in
//! step). A job's body is the compiler's input, not Rust calls, so rust-analyzer has no
//! method to offer after `stream.`; when a job does not compile (which is also the state
//! rust-analyzer puts it in to complete, with a made-up name at the cursor), the fallback
//! expansion carries the body once more, on these stand-ins, under `cfg(rust_analyzer)`:
//! rustc never sees it, rust-analyzer completes and documents the operators from it.

use super::CATALOG;
use crate::build::{OperatorSpec, StreamKind};

/// The Rust type of a kind of stream, with its type parameters, in `rill::ide`.
fn self_type(kind: StreamKind) -> (&'static str, &'static str) {
    use StreamKind::*;
    match kind {
        Env => ("IdeEnv<'_>", ""),
        DataStream => ("DataStream<T>", "<T>"),
        KeyedStream => ("KeyedStream<K, T>", "<K, T>"),
        WindowedStream => ("WindowedStream<K, T>", "<K, T>"),
        ConnectedStreams => ("ConnectedStreams<A, B>", "<A, B>"),
        JoinedStreams => ("JoinedStreams<A, B>", "<A, B>"),
        CoGroupedStreams => ("CoGroupedStreams<A, B>", "<A, B>"),
        IntervalJoin => ("IntervalJoin<A, B>", "<A, B>"),
    }
}

/// What a method returns on `kind`, and the type parameters it introduces.
fn output(kind: StreamKind, method: &str) -> (&'static str, &'static str) {
    use StreamKind::*;
    let same = ("Self", "");
    match (kind, method) {
        (Env, _) => ("DataStream<T>", "<T>"),
        (_, "name" | "uid" | "set_parallelism" | "set_max_parallelism" | "start_new_chain" | "disable_chaining") => {
            same
        }
        (_, "print" | "print_to_err" | "write_as_text" | "sink_to" | "discard") => ("DataStreamSink", ""),
        (WindowedStream, "trigger" | "allowed_lateness" | "side_output_late_data") => same,
        (JoinedStreams | CoGroupedStreams, "where_" | "equal_to" | "window") => same,
        (IntervalJoin, "between" | "side_output_left_late_data" | "side_output_right_late_data") => same,
        (ConnectedStreams, "key_by") => same,
        (DataStream, "key_by") => ("KeyedStream<K2, T>", "<K2>"),
        (KeyedStream, "window") => ("WindowedStream<K, T>", ""),
        (KeyedStream, "count_window") => ("WindowedStream<K, T>", ""),
        (DataStream, "window_all") => ("WindowedStream<(), T>", ""),
        (_, "connect") => ("ConnectedStreams<T, U>", "<U>"),
        (_, "join") => ("JoinedStreams<T, U>", "<U>"),
        (_, "co_group") => ("CoGroupedStreams<T, U>", "<U>"),
        (_, "interval_join") => ("IntervalJoin<T, U>", "<U>"),
        (DataStream | KeyedStream, "filter" | "assign_timestamps_and_watermarks" | "union")
        | (DataStream | KeyedStream, "forward" | "rebalance" | "rescale" | "broadcast" | "global") => {
            ("DataStream<T>", "")
        }
        _ => ("DataStream<U>", "<U>"),
    }
}

/// The parameters of a method: typed where the type is plain to give (the closure of `map`
/// and `filter`), any value elsewhere (the compiler checks them).
fn params(kind: StreamKind, spec: &OperatorSpec) -> String {
    let input = match kind {
        StreamKind::DataStream | StreamKind::KeyedStream => "T",
        _ => "",
    };
    match (spec.method(), input) {
        ("map", "T") => return "f: impl FnMut(T) -> U".to_owned(),
        ("filter", "T") => return "f: impl FnMut(&T) -> bool".to_owned(),
        _ => {}
    }
    let count = match (kind, spec.method()) {
        (StreamKind::DataStream, "key_by") => 1,
        _ if spec.args.1 == usize::MAX => spec.args.0,
        _ => spec.args.1,
    };
    let names = argument_names(spec.signature);
    (0..count)
        .map(|i| match names.get(i) {
            Some(name) => format!("{name}: impl Sized"),
            None => format!("arg{}: impl Sized", i + 1),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The names of the signature's arguments where they are plain names (`from_sequence(start,
/// end)`), so that the IDE shows them; an argument written as an example has none.
fn argument_names(signature: &str) -> Vec<String> {
    // The longest form: the last of `a(x) or a(x, y)`.
    let form = signature.rsplit(" or ").next().unwrap_or(signature);
    let Some(open) = form.find('(') else { return Vec::new() };
    let (mut depth, mut names, mut current) = (0, Vec::new(), String::new());
    for c in form[open + 1..].chars() {
        match c {
            '(' | '[' | '{' | '<' => depth += 1,
            ')' | ']' | '}' | '>' if depth > 0 => depth -= 1,
            ')' => break,
            ',' if depth == 0 => {
                names.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    names.push(current);
    let plain = |n: &str| !n.is_empty() && n.chars().all(|c| c.is_ascii_lowercase() || c == '_') && n != "type";
    names
        .iter()
        .enumerate()
        .map(|(i, n)| if plain(n.trim()) { n.trim().to_owned() } else { format!("arg{}", i + 1) })
        .collect()
}

/// The generated module, as `runtime/src/ide.rs` holds it.
pub fn facade() -> String {
    use StreamKind::*;
    let mut text = String::from(HEADER);
    let kinds =
        [Env, DataStream, KeyedStream, WindowedStream, ConnectedStreams, JoinedStreams, CoGroupedStreams, IntervalJoin];
    for kind in kinds {
        let (ty, generics) = self_type(kind);
        let generics = if kind == Env { "" } else { generics };
        text.push_str(&format!("\nimpl{generics} {ty} {{\n"));
        for spec in CATALOG.iter().filter(|s| s.on.contains(&kind)) {
            text.push_str(&method(kind, spec));
        }
        text.push_str("}\n");
    }
    text.push_str("\nimpl DataStreamSink {\n");
    for spec in CATALOG.iter().filter(|s| s.after_sink) {
        text.push_str(&method(DataStream, spec));
    }
    text.push_str("}\n");
    text
}

fn method(kind: StreamKind, spec: &OperatorSpec) -> String {
    let (out, generics) = output(kind, spec.method());
    let receiver = if kind == StreamKind::Env { "&self" } else { "self" };
    let params = params(kind, spec);
    let sep = if params.is_empty() { "" } else { ", " };
    format!(
        "    /// `{signature}`\n    pub fn {name}{generics}({receiver}{sep}{params}) -> {out} {{\n        unreachable!(\"{UNREACHABLE}\")\n    }}\n",
        signature = spec.signature.replace('`', "'"),
        name = spec.method(),
    )
}

const UNREACHABLE: &str = "the IDE's view of a job is never run";

const HEADER: &str = r#"//! The IDE's view of a job (generated from the compiler's operator specs by
//! `rill_compiler::ops::ide::facade`; `RILL_BLESS=1 cargo test -p rill-compiler --test
//! ide_facade` writes it): typed stand-ins for every kind of stream, with one method per
//! operator, for rust-analyzer to complete and document. A job's body is the compiler's
//! input, not calls of Rust methods; when it does not compile (as while a name is being
//! typed), the expansion carries it again on these types under `cfg(rust_analyzer)`, which
//! rustc never compiles. Nothing here runs.
#![allow(clippy::too_many_arguments, clippy::new_ret_no_self, missing_docs, unused_variables)]

pub use crate::api::fragment::{DataStream, KeyedStream};
use std::marker::PhantomData;

/// `env` in the IDE's view: the job's own [`Env`](crate::Env) (its settings and
/// parameters), with the sources.
pub struct IdeEnv<'a>(&'a mut crate::Env);

impl<'a> IdeEnv<'a> {
    /// The job's `env`, seen with its sources.
    pub fn of(env: &'a mut crate::Env) -> Self {
        IdeEnv(env)
    }
}

impl std::ops::Deref for IdeEnv<'_> {
    type Target = crate::Env;
    fn deref(&self) -> &crate::Env {
        self.0
    }
}

impl std::ops::DerefMut for IdeEnv<'_> {
    fn deref_mut(&mut self) -> &mut crate::Env {
        self.0
    }
}

/// After `window(..)`, `window_all(..)` or `count_window(..)`.
pub struct WindowedStream<K, T>(PhantomData<fn() -> (K, T)>);
/// After `connect(other)`.
pub struct ConnectedStreams<A, B>(PhantomData<fn() -> (A, B)>);
/// After `join(other)`.
pub struct JoinedStreams<A, B>(PhantomData<fn() -> (A, B)>);
/// After `co_group(other)`.
pub struct CoGroupedStreams<A, B>(PhantomData<fn() -> (A, B)>);
/// After `interval_join(other)`.
pub struct IntervalJoin<A, B>(PhantomData<fn() -> (A, B)>);
/// After a sink: its name, uid and parallelism.
pub struct DataStreamSink;
"#;
