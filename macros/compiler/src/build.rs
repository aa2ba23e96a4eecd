//! Build: the logical job graph from the parsed pipeline, one node per operator, spans kept
//! for diagnostics.
//!
//! Every DataStream method is an [`OperatorSpec`] in `ops/`: which streams it is called on,
//! what it takes, how it builds. The builder only walks the method chains, finds the spec
//! for each call on the stream at hand, runs the checks every call shares (arity, after a
//! sink, on the wrong kind of stream) and hands over to the spec.

use crate::diag::{did_you_mean, Diagnostics};
use crate::ir::{Graph, Input, Key, Node, NodeId, Operator, Parallelism, Partition, Shape, WindowSpec};
use crate::parse::{call_chain, Call, CallChain, JobFn, Root, Statement};
use proc_macro2::Span;
use std::collections::{HashMap, HashSet};
use syn::spanned::Spanned;
use syn::Expr;

/// What a method is called on: Flink's stream types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    /// `env`: sources.
    Env,
    /// A plain stream.
    DataStream,
    /// After `key_by`.
    KeyedStream,
    /// After `window(..)`, `window_all(..)` or `count_window(..)`.
    WindowedStream,
    /// After `connect(other)`.
    ConnectedStreams,
    /// After `join(other)`: `where_`, `equal_to`, `window`, `apply`.
    JoinedStreams,
    /// After `co_group(other)`: `where_`, `equal_to`, `window`, `apply`.
    CoGroupedStreams,
    /// After `interval_join(other)`: `between`, `process`.
    IntervalJoin,
}

/// Plain and keyed streams: most operators are called on both.
pub const STREAMS: &[StreamKind] = &[StreamKind::DataStream, StreamKind::KeyedStream];

/// One DataStream method on one kind of stream.
pub struct OperatorSpec {
    /// The operator it makes (for methods that only change the stream, such as `key_by`, its
    /// `emit` is never called).
    pub op: Operator,
    /// The streams it is called on.
    pub on: &'static [StreamKind],
    /// Accepted argument counts, smallest and largest (`usize::MAX`: any number).
    pub args: (usize, usize),
    /// How the call reads, for error messages.
    pub signature: &'static str,
    /// It may follow a sink (`name`, `uid`, ...: settings of the sink).
    pub after_sink: bool,
    /// Builds the call's node or changes the stream; reports its own mistakes.
    pub build: fn(&mut Builder, StreamRef, &Call, &'static OperatorSpec) -> Option<StreamRef>,
}

impl OperatorSpec {
    /// The DataStream method.
    pub fn method(&self) -> &'static str {
        self.op.method
    }
}

/// What two streams keyed by `where_` and `equal_to` and windowed become.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Joining {
    /// `join`: each pair of a key's records in a window.
    Join,
    /// `co_group`: each key's records of both sides in a window, at once.
    CoGroup,
}

/// A stream value while the graph is built: where its records come from and what is
/// pending for the next operator.
#[derive(Clone)]
pub struct StreamRef {
    /// Where its records come from, each with how it reaches the next operator.
    pub sources: Vec<(NodeId, Partition, Span)>,
    /// Its key selector, once keyed.
    pub keyed: Option<Key>,
    /// The operator that attributes (`name`, `uid`, ...) apply to, with what, if anything,
    /// came between (`rebalance()`, `key_by`, `union`).
    pub last: Option<NodeId>,
    /// What came after the last operator (`key_by`, `union`, ...), for messages.
    pub between: Option<&'static str>,
    /// The sink that ended it, if any.
    pub sink: Option<Span>,
    /// The window, while its function is pending.
    pub window: Option<WindowSpec>,
    /// `connect(other)`: the second stream, and its key once `key_by(k1, k2)`.
    pub second: Option<Box<StreamRef>>,
    /// The second stream's key selector, once keyed.
    pub keyed2: Option<Key>,
    /// `broadcast(&STATE)`: a broadcast stream that writes this broadcast state.
    pub broadcast_state: Option<Expr>,
    /// `join(other)` or `co_group(other)`: the connected streams are a window join or
    /// co-group in the making.
    pub joining: Option<Joining>,
    /// `interval_join(other)`: an interval join in the making, and its bounds.
    pub interval: Option<Option<(Expr, Expr)>>,
    /// `side_output_left_late_data(&TAG)`, `side_output_right_late_data(&TAG)` of an interval
    /// join: where each side's records behind the watermark go.
    pub interval_late: [Option<Expr>; 2],
}

impl StreamRef {
    /// The stream an operator produces.
    pub fn of(node: NodeId, span: Span) -> Self {
        StreamRef {
            sources: vec![(node, Partition::Default, span)],
            keyed: None,
            last: Some(node),
            between: None,
            sink: None,
            window: None,
            second: None,
            keyed2: None,
            broadcast_state: None,
            joining: None,
            interval: None,
            interval_late: [None, None],
        }
    }

    /// `env`, before a source: no records yet.
    pub fn env() -> Self {
        StreamRef { sources: Vec::new(), last: None, ..StreamRef::of(0, Span::call_site()) }
    }

    /// Its sources as inputs `input` (0, or 1 for a second input) of an operator.
    pub fn inputs(&self, input: u8) -> Vec<Input> {
        self.sources
            .iter()
            .map(|(from, p, span)| Input { from: *from, input, partition: p.clone(), span: *span })
            .collect()
    }

    /// Sends its records to the next operator by `partition`.
    pub fn partition_by(&mut self, partition: Partition) {
        for s in &mut self.sources {
            s.1 = partition.clone();
        }
    }

    /// What kind of stream it is, which decides the methods it has.
    pub fn kind(&self) -> StreamKind {
        match (&self.second, &self.window, &self.keyed) {
            (Some(_), ..) if self.joining == Some(Joining::Join) => StreamKind::JoinedStreams,
            (Some(_), ..) if self.joining == Some(Joining::CoGroup) => StreamKind::CoGroupedStreams,
            (Some(_), ..) if self.interval.is_some() => StreamKind::IntervalJoin,
            (Some(_), ..) => StreamKind::ConnectedStreams,
            (None, Some(_), _) => StreamKind::WindowedStream,
            (None, None, Some(_)) => StreamKind::KeyedStream,
            (None, None, None) => StreamKind::DataStream,
        }
    }
}

/// Walks the job's method chains and builds the graph, asking the operator specs.
pub struct Builder<'a> {
    nodes: Vec<Node>,
    streams: HashMap<String, StreamRef>,
    env: &'a syn::Ident,
    catalog: &'static [&'static OperatorSpec],
    diags: &'a mut Diagnostics,
    /// The job's plain `let name = value;` statements, by name: what a name stands for where
    /// the written form decides (a trigger bound to a name before `trigger(name)`).
    lets: HashMap<String, Expr>,
}

/// Builds the graph of `job` with the operators of `catalog`.
pub fn build(job: &JobFn, diags: &mut Diagnostics, catalog: &'static [&'static OperatorSpec]) -> Graph {
    let mut lets = HashMap::new();
    for stmt in &job.statements {
        if let Statement::Plain(stmt) = stmt {
            if let syn::Stmt::Local(syn::Local { pat: syn::Pat::Ident(name), init: Some(init), .. }) = &**stmt {
                lets.insert(name.ident.to_string(), (*init.expr).clone());
            }
        }
    }
    let mut b = Builder { nodes: Vec::new(), streams: HashMap::new(), env: &job.env, catalog, diags, lets };
    for stmt in &job.statements {
        if let Statement::Stream { binding, chain } = stmt {
            if let Some(s) = b.chain(chain) {
                if let Some(name) = binding {
                    if let Some(last) = s.last {
                        b.nodes[last].binding.get_or_insert_with(|| name.to_string());
                    }
                    b.streams.insert(name.to_string(), s);
                }
            }
        }
    }
    Graph { nodes: b.nodes }
}

impl Builder<'_> {
    /// Reports a mistake at `span`.
    pub fn error(&mut self, span: Span, message: impl Into<String>) {
        self.diags.error(span, message);
    }

    /// Node `id`.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// Node `id`, to change.
    pub fn node_mut(&mut self, id: NodeId) -> &mut Node {
        &mut self.nodes[id]
    }

    /// What `e` stands for: the value of the plain `let` it names, if it is such a name.
    pub fn resolve<'e>(&'e self, e: &'e Expr) -> &'e Expr {
        match e {
            Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
                self.lets.get(&p.path.segments[0].ident.to_string()).unwrap_or(e)
            }
            _ => e,
        }
    }

    /// The job's `env` parameter.
    pub fn env(&self) -> &syn::Ident {
        self.env
    }

    /// A node for `call`, made by `spec`: non-parallel sources and `window_all` run as one
    /// subtask.
    pub fn new_node(&mut self, spec: &'static OperatorSpec, call: &Call, inputs: Vec<Input>, shape: Shape) -> NodeId {
        let id = self.nodes.len();
        let parallelism = match &shape {
            Shape::Source { parallel: false } => Parallelism::Fixed(1),
            Shape::Window { window, .. } if window.all => Parallelism::Fixed(1),
            _ => Parallelism::Default,
        };
        self.nodes.push(Node {
            id,
            op: &spec.op,
            args: call.args.clone(),
            span: call.span,
            inputs,
            shape,
            name: None,
            uid: None,
            parallelism,
            max_parallelism: None,
            start_new_chain: false,
            disable_chaining: false,
            binding: None,
        });
        id
    }

    /// The stream an argument names or builds (`union(other)`, `connect(other)`); `what`
    /// says what the call takes, if the argument is not a stream.
    pub fn stream_arg(&mut self, arg: &Expr, what: &str) -> Option<StreamRef> {
        let streams: HashSet<String> = self.streams.keys().cloned().collect();
        let catalog = self.catalog;
        let is_source = |m: &str| is_source(catalog, m);
        let Some(chain) = call_chain(arg, self.env, &streams, &is_source) else {
            self.error(arg.span(), what);
            return None;
        };
        self.chain(&chain)
    }

    fn chain(&mut self, chain: &CallChain) -> Option<StreamRef> {
        let mut calls = chain.calls.iter();
        let mut cur = match &chain.root {
            Root::Env(_) => {
                let first = calls.next()?;
                self.source(first)?
            }
            Root::Stream(name) => match self.streams.get(&name.to_string()) {
                Some(s) => s.clone(),
                None => {
                    self.error(name.span(), format!("`{name}` is not a stream defined before this point"));
                    return None;
                }
            },
        };
        for call in calls {
            cur = self.call(cur, call)?;
        }
        Some(cur)
    }

    fn check_arity(&mut self, call: &Call, spec: &OperatorSpec) -> bool {
        let n = call.args.len();
        let (lo, hi) = spec.args;
        if n < lo || n > hi {
            let want = if lo == hi {
                format!("{lo} argument{}", if lo == 1 { "" } else { "s" })
            } else if hi == usize::MAX {
                format!("at least {lo} argument{}", if lo == 1 { "" } else { "s" })
            } else {
                format!("{lo} to {hi} arguments")
            };
            self.error(
                call.span,
                format!(
                    "`{}` takes {want}, but {n} {} given: {}",
                    spec.method(),
                    if n == 1 { "was" } else { "were" },
                    spec.signature
                ),
            );
            return false;
        }
        true
    }

    fn source(&mut self, call: &Call) -> Option<StreamRef> {
        let method = call.method.to_string();
        let sources = || self.methods_on(StreamKind::Env);
        let Some(spec) = self.spec(&method, StreamKind::Env) else {
            let hint = did_you_mean(&method, sources())
                .map(|m| format!("; did you mean `{m}`?"))
                .unwrap_or_else(|| format!("; sources are {}", sources().collect::<Vec<_>>().join(", ")));
            self.error(call.method.span(), format!("unknown source `{method}`{hint}"));
            return None;
        };
        if !self.check_arity(call, spec) {
            return None;
        }
        (spec.build)(self, StreamRef::env(), call, spec)
    }

    /// Lookup, the checks every call shares, then the spec's own build.
    fn call(&mut self, cur: StreamRef, call: &Call) -> Option<StreamRef> {
        let method = call.method.to_string();
        let kind = cur.kind();
        let named: Vec<&'static OperatorSpec> = self.catalog.iter().copied().filter(|s| s.method() == method).collect();
        let Some(spec) = self.spec(&method, kind).or(named.first().copied()) else {
            let stream_methods = self.catalog.iter().filter(|s| !s.on.contains(&StreamKind::Env)).map(|s| s.method());
            let hint =
                did_you_mean(&method, stream_methods).map(|m| format!("; did you mean `{m}`?")).unwrap_or_default();
            self.error(call.method.span(), format!("unknown operator `{method}`{hint}"));
            return None;
        };
        if !self.check_arity(call, spec) {
            return None;
        }
        if cur.sink.is_some() && !spec.after_sink {
            self.error(
                call.span,
                format!("`{method}` follows a sink: a sink ends its stream (only name, uid and set_parallelism may follow it)"),
            );
            return None;
        }
        if !spec.on.contains(&kind) {
            self.misplaced(kind, &named, call);
            return None;
        }
        (spec.build)(self, cur, call, spec)
    }

    /// The spec of `method` on streams of `kind`.
    fn spec(&self, method: &str, kind: StreamKind) -> Option<&'static OperatorSpec> {
        self.catalog.iter().copied().find(|s| s.method() == method && s.on.contains(&kind))
    }

    fn methods_on(&self, kind: StreamKind) -> impl Iterator<Item = &'static str> {
        self.catalog.iter().filter(move |s| s.on.contains(&kind)).map(|s| s.method())
    }

    /// A method called on a stream that does not have it: what that stream has, or where
    /// the method belongs.
    fn misplaced(&mut self, kind: StreamKind, named: &[&'static OperatorSpec], call: &Call) {
        let method = call.method.to_string();
        let on = |k: StreamKind| named.iter().any(|s| s.on.contains(&k));
        let message = match kind {
            StreamKind::WindowedStream => format!(
                "after `window(..)` comes a window function (aggregate, reduce, process, sum, min, max, min_by, max_by), not `{method}`"
            ),
            StreamKind::ConnectedStreams => format!(
                "on connected streams come `co_map`, `co_flat_map`, `key_by(k1, k2)` or a keyed `process`, not `{method}`"
            ),
            StreamKind::JoinedStreams => format!("`{method}` does not belong here: a window join reads {JOIN_ORDER}"),
            StreamKind::CoGroupedStreams => {
                format!("`{method}` does not belong here: a co-group reads {CO_GROUP_ORDER}")
            }
            StreamKind::IntervalJoin => format!("`{method}` does not belong here: an interval join reads {INTERVAL_JOIN_ORDER}"),
            _ if on(StreamKind::Env) => {
                let message = format!("`{method}` is a source: call it on `{}`", self.env);
                self.error(call.method.span(), message);
                return;
            }
            _ if on(StreamKind::KeyedStream) => format!(
                "`{method}` is a rolling aggregation and needs a keyed stream: call `key_by(|record| key)` before it"
            ),
            _ if on(StreamKind::WindowedStream) => {
                format!("`{method}` belongs to a windowed stream: call `window(..)` on a keyed stream before it")
            }
            _ => format!("`{method}` belongs to connected streams: a.connect(b).{method}(..)"),
        };
        self.error(call.span, message);
    }
}

/// How a window join reads, for messages.
pub const JOIN_ORDER: &str = "a.join(b).where_(|a| key).equal_to(|b| key).window(assigner).apply(|a, b| out)";

/// How a co-group reads, for messages.
pub const CO_GROUP_ORDER: &str =
    "a.co_group(b).where_(|a| key).equal_to(|b| key).window(assigner).apply(|first, second, out| ..)";

/// How an interval join reads, for messages.
pub const INTERVAL_JOIN_ORDER: &str =
    "a.key_by(..).interval_join(b.key_by(..)).between(lower_ms, upper_ms)[.side_output_left_late_data(&TAG)][.side_output_right_late_data(&TAG)].process(|left, right, ctx, out| ..)";

/// Whether `method` is a source in `catalog`.
pub fn is_source(catalog: &[&OperatorSpec], method: &str) -> bool {
    catalog.iter().any(|s| s.method() == method && s.on.contains(&StreamKind::Env))
}
