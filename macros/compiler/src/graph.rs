//! Build: the logical job graph, one node per operator, spans kept for diagnostics.

use crate::catalog::{self, Kind, OpInfo};
use crate::diag::{did_you_mean, Diagnostics};
use crate::parse::{call_chain, Call, CallChain, JobFn, Root, Statement};
use proc_macro2::Span;
use quote::ToTokens;
use rill_plan::Partitioner;
use std::collections::{HashMap, HashSet};
use syn::spanned::Spanned;
use syn::{Expr, Lit};

pub type NodeId = usize;

/// The key selector of a keyed stream.
#[derive(Clone)]
pub struct Key {
    pub closure: Expr,
    pub span: Span,
}

/// A window in the making: `window(assigner)` and its settings, waiting for its function.
#[derive(Clone)]
pub struct WindowSpec {
    /// `window_all`: all records in one non-parallel window operator.
    pub all: bool,
    pub assigner: Expr,
    pub lateness: Option<Expr>,
    /// `side_output_late_data(&TAG)`: where records too late for their windows go.
    pub late_tag: Option<Expr>,
    /// `trigger(..)`: when the windows fire instead of at their end.
    pub trigger: Option<Expr>,
    pub span: Span,
}

impl WindowSpec {
    /// The assigner's type name (`TumblingEventTimeWindows`), for the operator's name.
    pub fn assigner_name(&self) -> String {
        fn root(e: &Expr) -> Option<String> {
            match e {
                Expr::MethodCall(m) => root(&m.receiver),
                Expr::Call(c) => root(&c.func),
                Expr::Path(p) => {
                    let segs: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
                    segs.iter().rev().nth(usize::from(segs.len() > 1)).cloned()
                }
                Expr::Paren(p) => root(&p.expr),
                _ => None,
            }
        }
        root(&self.assigner).unwrap_or_else(|| "window".to_owned())
    }
}

/// How an edge distributes records.
#[derive(Clone)]
pub enum Partition {
    /// Forward if the parallelism matches, else rebalance (Flink's default).
    Default,
    Forward(Span),
    Rebalance,
    Rescale,
    Broadcast,
    Global,
    Hash(Key),
}

impl Partition {
    /// The plan's partitioner for this edge (`Default` is settled as forward by `chain`).
    pub fn partitioner(&self) -> Partitioner {
        match self {
            Partition::Default | Partition::Forward(_) => Partitioner::Forward,
            Partition::Rebalance => Partitioner::Rebalance,
            Partition::Rescale => Partitioner::Rescale,
            Partition::Broadcast => Partitioner::Broadcast,
            Partition::Global => Partitioner::Global,
            Partition::Hash(_) => Partitioner::Hash,
        }
    }
}

/// A node's parallelism as written.
#[derive(Clone, Debug)]
pub enum Par {
    Default,
    Fixed(u32),
    /// Decided when the job starts: `set_parallelism(some_expression)`.
    Expr(String),
}

impl PartialEq for Par {
    fn eq(&self, other: &Par) -> bool {
        match (self, other) {
            (Par::Default, Par::Default) => true,
            (Par::Fixed(a), Par::Fixed(b)) => a == b,
            (Par::Expr(a), Par::Expr(b)) => a == b,
            _ => false,
        }
    }
}

#[derive(Clone)]
pub struct Input {
    pub from: NodeId,
    /// 0, or 1 for the second input of a two-input operator.
    pub input: u8,
    pub partition: Partition,
    /// Where a type mismatch on this input is reported (the `union` call, if any).
    pub span: Span,
}

pub struct Node {
    pub id: NodeId,
    pub info: &'static OpInfo,
    pub args: Vec<Expr>,
    pub span: Span,
    pub inputs: Vec<Input>,
    pub key: Option<Key>,
    /// The second input's key (a keyed two-input operator).
    pub key2: Option<Key>,
    /// The second input is a broadcast stream (a keyed broadcast process function).
    pub broadcast_input: bool,
    /// An interval join's bounds, in milliseconds.
    pub interval: Option<(Expr, Expr)>,
    pub window: Option<WindowSpec>,
    pub name: Option<String>,
    pub uid: Option<(String, Span)>,
    pub parallelism: Par,
    pub parallelism_expr: Option<Expr>,
    pub max_parallelism: Option<u32>,
    pub start_new_chain: bool,
    pub disable_chaining: bool,
    pub binding: Option<String>,
}

impl Node {
    pub fn method(&self) -> &'static str {
        self.info.method
    }
    pub fn is_sink(&self) -> bool {
        self.info.kind == Kind::Sink
    }
    pub fn display_name(&self) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        match &self.window {
            Some(w) if w.all => format!("AllWindow({}, {})", w.assigner_name(), self.method()),
            Some(w) => format!("Window({}, {})", w.assigner_name(), self.method()),
            None => self.info.display.to_owned(),
        }
    }

    /// What made the operator, as the plan shows it (`key_by.sum`, `window.aggregate`).
    pub fn kind(&self) -> String {
        if self.inputs.iter().any(|i| i.input == 1) {
            return format!("connect.{}", self.method());
        }
        match (&self.window, &self.key) {
            (Some(w), _) if w.all => format!("window_all.{}", self.method()),
            (Some(_), _) => format!("window.{}", self.method()),
            (None, Some(_)) => format!("key_by.{}", self.method()),
            _ => self.method().to_owned(),
        }
    }
    pub fn uid(&self) -> String {
        self.uid.as_ref().map_or_else(|| format!("{}-{}", self.method().replace('_', "-"), self.id), |(u, _)| u.clone())
    }
}

/// The logical graph, in creation order (every node after its inputs).
pub struct Graph {
    pub nodes: Vec<Node>,
}

impl Graph {
    pub fn consumers(&self, id: NodeId) -> impl Iterator<Item = (&Node, &Input)> {
        self.nodes.iter().flat_map(move |n| n.inputs.iter().filter(move |i| i.from == id).map(move |i| (n, i)))
    }
}

/// A stream value while the graph is built: where its records come from and what is
/// pending for the next operator.
#[derive(Clone)]
struct StreamRef {
    sources: Vec<(NodeId, Partition, Span)>,
    keyed: Option<Key>,
    /// The operator that attributes (`name`, `uid`, ...) apply to, with what, if anything,
    /// came between (`rebalance()`, `key_by`, `union`).
    last: Option<NodeId>,
    between: Option<&'static str>,
    sink: Option<Span>,
    window: Option<WindowSpec>,
    /// `connect(other)`: the second stream, and its key once `key_by(k1, k2)`.
    second: Option<Box<StreamRef>>,
    keyed2: Option<Key>,
    /// `broadcast(&STATE)`: a broadcast stream that writes this broadcast state.
    broadcast_state: Option<Expr>,
    /// `join(other)`: the connected streams are a window join in the making.
    joining: bool,
    /// `interval_join(other)`: an interval join in the making, and its bounds.
    interval: Option<Option<(Expr, Expr)>>,
}

impl StreamRef {
    /// The stream an operator produces.
    fn of(node: NodeId, span: Span) -> Self {
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
            joining: false,
            interval: None,
        }
    }

    fn inputs(&self, input: u8) -> Vec<Input> {
        self.sources
            .iter()
            .map(|(from, p, span)| Input { from: *from, input, partition: p.clone(), span: *span })
            .collect()
    }
}

struct Builder<'a> {
    nodes: Vec<Node>,
    streams: HashMap<String, StreamRef>,
    env: &'a syn::Ident,
    diags: &'a mut Diagnostics,
}

pub fn build(job: &JobFn, diags: &mut Diagnostics) -> Graph {
    let mut b = Builder { nodes: Vec::new(), streams: HashMap::new(), env: &job.env, diags };
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
                    self.diags.error(name.span(), format!("`{name}` is not a stream defined before this point"));
                    return None;
                }
            },
        };
        for call in calls {
            cur = self.call(cur, call)?;
        }
        Some(cur)
    }

    fn check_arity(&mut self, call: &Call, info: &OpInfo) -> bool {
        let n = call.args.len();
        let (lo, hi) = info.args;
        if n < lo || n > hi {
            let want = if lo == hi {
                format!("{lo} argument{}", if lo == 1 { "" } else { "s" })
            } else if hi == usize::MAX {
                format!("at least {lo} argument{}", if lo == 1 { "" } else { "s" })
            } else {
                format!("{lo} to {hi} arguments")
            };
            self.diags.error(
                call.span,
                format!(
                    "`{}` takes {want}, but {n} {} given: {}",
                    info.method,
                    if n == 1 { "was" } else { "were" },
                    info.signature
                ),
            );
            return false;
        }
        true
    }

    fn new_node(&mut self, info: &'static OpInfo, call: &Call, inputs: Vec<Input>) -> NodeId {
        let id = self.nodes.len();
        let parallelism = match info.kind {
            Kind::Source { parallel: false } => Par::Fixed(1),
            _ => Par::Default,
        };
        self.nodes.push(Node {
            id,
            info,
            args: call.args.clone(),
            span: call.span,
            inputs,
            key: None,
            key2: None,
            broadcast_input: false,
            interval: None,
            window: None,
            name: None,
            uid: None,
            parallelism,
            parallelism_expr: None,
            max_parallelism: None,
            start_new_chain: false,
            disable_chaining: false,
            binding: None,
        });
        id
    }

    fn source(&mut self, call: &Call) -> Option<StreamRef> {
        let method = call.method.to_string();
        let Some(info) = catalog::lookup(&method).filter(|i| matches!(i.kind, Kind::Source { .. })) else {
            let hint = did_you_mean(&method, catalog::source_methods())
                .map(|m| format!("; did you mean `{m}`?"))
                .unwrap_or_else(|| {
                    format!("; sources are {}", catalog::source_methods().collect::<Vec<_>>().join(", "))
                });
            self.diags.error(call.method.span(), format!("unknown source `{method}`{hint}"));
            return None;
        };
        if !self.check_arity(call, info) {
            return None;
        }
        let id = self.new_node(info, call, Vec::new());
        if method == "from_source" {
            // Flink names the source after `fromSource`'s name argument.
            if let Some(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(name), .. })) = call.args.get(2) {
                self.nodes[id].name = Some(format!("Source: {}", name.value()));
            }
        }
        Some(StreamRef::of(id, call.span))
    }

    fn call(&mut self, mut cur: StreamRef, call: &Call) -> Option<StreamRef> {
        let method = call.method.to_string();
        let Some(info) = catalog::lookup(&method) else {
            let hint = did_you_mean(&method, catalog::stream_methods())
                .map(|m| format!("; did you mean `{m}`?"))
                .unwrap_or_default();
            self.diags.error(call.method.span(), format!("unknown operator `{method}`{hint}"));
            return None;
        };
        if !self.check_arity(call, info) {
            return None;
        }
        if let Some(sink) = cur.sink {
            if info.kind != Kind::Attribute {
                let _ = sink;
                self.diags.error(
                    call.span,
                    format!("`{method}` follows a sink: a sink ends its stream (only name, uid and set_parallelism may follow it)"),
                );
                return None;
            }
        }
        if cur.second.is_some() {
            return self.connected(cur, call, info);
        }
        if let Some(window) = cur.window.clone() {
            return self.windowed(cur, window, call, info);
        }
        if info.method == "key_by" && call.args.len() == 2 {
            self.diags.error(
                call.span,
                "`key_by` with two key selectors is for connected streams: a.connect(b).key_by(|a| key, |b| key)",
            );
            return None;
        }
        match info.kind {
            Kind::Connect => {
                let streams: HashSet<String> = self.streams.keys().cloned().collect();
                let Some(chain) = call_chain(&call.args[0], self.env, &streams) else {
                    self.diags.error(
                        call.args[0].span(),
                        "`connect` takes a stream: the name of a stream defined before, or a stream expression",
                    );
                    return None;
                };
                let other = self.chain(&chain)?;
                if other.sink.is_some() || other.second.is_some() || other.window.is_some() {
                    self.diags.error(call.args[0].span(), "`connect` takes a plain or keyed stream");
                    return None;
                }
                if method == "interval_join" && (cur.keyed.is_none() || other.keyed.is_none()) {
                    self.diags.error(
                        call.span,
                        "`interval_join` joins two keyed streams: a.key_by(|a| key).interval_join(b.key_by(|b| key))",
                    );
                    return None;
                }
                cur.keyed2 = other.keyed.clone();
                cur.second = Some(Box::new(other));
                if method == "interval_join" {
                    cur.interval = Some(None);
                }
                cur.joining = method == "join";
                cur.between = Some(if cur.joining { "join" } else { "connect" });
                Some(cur)
            }
            Kind::CoFunction => {
                self.diags
                    .error(call.span, format!("`{method}` belongs to connected streams: a.connect(b).{method}(..)"));
                None
            }
            Kind::Window => {
                let all = method == "window_all";
                if all && cur.keyed.is_some() {
                    self.diags.error(
                        call.span,
                        "`window_all` takes a stream that is not keyed: use `window` on a keyed stream",
                    );
                    return None;
                }
                if !all && cur.keyed.is_none() {
                    self.diags.error(
                        call.span,
                        "`window` needs a keyed stream: call `key_by(|record| key)` before it, or use `window_all` for windows over all records",
                    );
                    return None;
                }
                if all {
                    // One subtask sees every record: Flink's `windowAll`, keyed by nothing.
                    let unit: Expr = syn::parse_quote!(|_| ());
                    let key = Key { closure: unit, span: call.span };
                    for s in &mut cur.sources {
                        s.1 = Partition::Global;
                    }
                    cur.keyed = Some(key);
                }
                let assigner: Expr = match (method.as_str(), call.args.as_slice()) {
                    ("count_window", [size]) => syn::parse_quote!(::rill::time::CountWindows::of(#size)),
                    ("count_window", [size, slide]) => {
                        syn::parse_quote!(::rill::time::CountWindows::sliding(#size, #slide))
                    }
                    _ => call.args[0].clone(),
                };
                cur.window =
                    Some(WindowSpec { all, assigner, lateness: None, late_tag: None, trigger: None, span: call.span });
                cur.between = Some(if all { "window_all" } else { "window" });
                Some(cur)
            }
            Kind::SideOutput => self.side_output(cur, call, info),
            Kind::WindowSetting | Kind::WindowFunction => {
                self.diags.error(
                    call.span,
                    format!("`{method}` belongs to a windowed stream: call `window(..)` on a keyed stream before it"),
                );
                None
            }
            Kind::Source { .. } => {
                self.diags.error(call.method.span(), format!("`{method}` is a source: call it on `{}`", self.env));
                None
            }
            Kind::Transform | Kind::Sink | Kind::KeyedAggregation => {
                let key = cur.keyed.clone();
                if info.kind == Kind::KeyedAggregation && key.is_none() {
                    self.diags.error(
                        call.span,
                        format!("`{method}` is a rolling aggregation and needs a keyed stream: call `key_by(|record| key)` before it"),
                    );
                    return None;
                }
                if info.kind == Kind::KeyedAggregation && method != "reduce" {
                    self.check_field(call)?;
                }
                if method == "reduce" && call.args.len() > 1 {
                    self.diags.error(
                        call.span,
                        "`reduce` takes 1 argument on a keyed stream: reduce(|aggregate, record| new_aggregate); the form with a process function is for windows",
                    );
                    return None;
                }
                let inputs = cur
                    .sources
                    .iter()
                    .map(|(from, p, span)| Input { from: *from, input: 0, partition: p.clone(), span: *span })
                    .collect();
                let id = self.new_node(info, call, inputs);
                if info.kind == Kind::KeyedAggregation || (method == "process" && key.is_some()) {
                    self.nodes[id].key = key;
                }
                Some(StreamRef { sink: (info.kind == Kind::Sink).then_some(call.span), ..StreamRef::of(id, call.span) })
            }
            Kind::KeyBy => {
                let key = Key { closure: call.args[0].clone(), span: call.args[0].span() };
                for s in &mut cur.sources {
                    s.1 = Partition::Hash(key.clone());
                }
                cur.keyed = Some(key);
                cur.between = Some("key_by");
                Some(cur)
            }
            Kind::Partition if info.method == "broadcast" && call.args.len() == 1 => {
                for s in &mut cur.sources {
                    s.1 = Partition::Broadcast;
                }
                cur.keyed = None;
                cur.broadcast_state = Some(call.args[0].clone());
                cur.between = Some("broadcast");
                Some(cur)
            }
            Kind::Partition => {
                let p = match info.method {
                    "forward" => Partition::Forward(call.span),
                    "rebalance" => Partition::Rebalance,
                    "rescale" => Partition::Rescale,
                    "broadcast" => Partition::Broadcast,
                    _ => Partition::Global,
                };
                for s in &mut cur.sources {
                    s.1 = p.clone();
                }
                cur.keyed = None;
                cur.between = Some(info.method);
                Some(cur)
            }
            Kind::Union => {
                for arg in &call.args {
                    let streams: HashSet<String> = self.streams.keys().cloned().collect();
                    let Some(chain) = call_chain(arg, self.env, &streams) else {
                        self.diags.error(
                            arg.span(),
                            "`union` takes streams: names of streams defined before, or stream expressions",
                        );
                        return None;
                    };
                    let other = self.chain(&chain)?;
                    if other.sink.is_some() {
                        self.diags.error(arg.span(), "this stream ends in a sink and cannot be unioned");
                        return None;
                    }
                    cur.sources.extend(other.sources);
                }
                for s in &mut cur.sources {
                    s.2 = call.span;
                }
                cur.keyed = None;
                cur.between = Some("union");
                Some(cur)
            }
            Kind::Attribute => {
                self.attribute(&cur, call, info)?;
                Some(cur)
            }
        }
    }

    /// A call on connected streams: their keys, or the two-input operator.
    fn connected(&mut self, mut cur: StreamRef, call: &Call, info: &'static OpInfo) -> Option<StreamRef> {
        let method = info.method;
        let mut second = *cur.second.take().expect("connected");
        if cur.joining {
            return self.join(cur, second, call, info);
        }
        if let Some(bounds) = cur.interval.clone() {
            return match (method, bounds) {
                ("between", None) => {
                    cur.interval = Some(Some((call.args[0].clone(), call.args[1].clone())));
                    cur.second = Some(Box::new(second));
                    Some(cur)
                }
                ("process", Some(_)) => {
                    let mut inputs = cur.inputs(0);
                    inputs.extend(second.inputs(1));
                    let id = self.new_node(info, call, inputs);
                    self.nodes[id].name = Some("Interval Join".to_owned());
                    self.nodes[id].key = cur.keyed.clone();
                    self.nodes[id].key2 = cur.keyed2.clone();
                    self.nodes[id].interval = cur.interval.clone().flatten();
                    Some(StreamRef::of(id, call.span))
                }
                _ => {
                    self.diags.error(
                        call.span,
                        format!("`{method}` does not belong here: an interval join reads a.key_by(..).interval_join(b.key_by(..)).between(lower_ms, upper_ms).process(|left, right, ctx, out| ..)"),
                    );
                    None
                }
            };
        }
        match method {
            "key_by" if call.args.len() == 2 => {
                let k1 = Key { closure: call.args[0].clone(), span: call.args[0].span() };
                let k2 = Key { closure: call.args[1].clone(), span: call.args[1].span() };
                cur.sources.iter_mut().for_each(|s| s.1 = Partition::Hash(k1.clone()));
                second.sources.iter_mut().for_each(|s| s.1 = Partition::Hash(k2.clone()));
                cur.keyed = Some(k1);
                cur.keyed2 = Some(k2);
                cur.second = Some(Box::new(second));
                Some(cur)
            }
            "co_map" | "co_flat_map" | "process" => {
                if method == "process" && second.broadcast_state.is_some() {
                    if cur.keyed.is_none() {
                        self.diags.error(
                            call.span,
                            "`process` with a broadcast stream needs the other stream keyed: keyed.connect(rules.broadcast(&STATE)).process(..)",
                        );
                        return None;
                    }
                    let mut inputs = cur.inputs(0);
                    inputs.extend(second.inputs(1));
                    let id = self.new_node(info, call, inputs);
                    self.nodes[id].key = cur.keyed.clone();
                    self.nodes[id].broadcast_input = true;
                    self.nodes[id].name.get_or_insert_with(|| "Keyed Broadcast Process".to_owned());
                    return Some(StreamRef::of(id, call.span));
                }
                let keyed = cur.keyed.is_some() && cur.keyed2.is_some();
                if method == "process" && !keyed {
                    self.diags.error(
                        call.span,
                        "`process` on connected streams needs both keyed: key_by(|a| key, |b| key) before it (a KeyedCoProcessFunction)",
                    );
                    return None;
                }
                let mut inputs = cur.inputs(0);
                inputs.extend(second.inputs(1));
                let id = self.new_node(info, call, inputs);
                if keyed {
                    self.nodes[id].key = cur.keyed.clone();
                    self.nodes[id].key2 = cur.keyed2.clone();
                }
                self.nodes[id].name.get_or_insert_with(|| match method {
                    "process" => "Keyed Co-Process".to_owned(),
                    m => catalog::lookup(m).map_or(String::new(), |i| i.display.to_owned()),
                });
                Some(StreamRef::of(id, call.span))
            }
            _ => {
                self.diags.error(
                    call.span,
                    format!("on connected streams come `co_map`, `co_flat_map`, `key_by(k1, k2)` or a keyed `process`, not `{method}`"),
                );
                None
            }
        }
    }

    /// `join(other)` followed by `where_`, `equal_to`, `window` and `apply`.
    fn join(
        &mut self,
        mut cur: StreamRef,
        mut second: StreamRef,
        call: &Call,
        info: &'static OpInfo,
    ) -> Option<StreamRef> {
        let method = info.method;
        let order = "a.join(b).where_(|a| key).equal_to(|b| key).window(assigner).apply(|a, b| out)";
        let step_ok = match method {
            "where_" => cur.keyed.is_none(),
            "equal_to" => cur.keyed.is_some() && cur.keyed2.is_none(),
            "window" => cur.keyed2.is_some() && cur.window.is_none(),
            "apply" => cur.window.is_some(),
            _ => false,
        };
        if !step_ok {
            self.diags.error(call.span, format!("`{method}` does not belong here: a window join reads {order}"));
            return None;
        }
        match method {
            "where_" => {
                let k = Key { closure: call.args[0].clone(), span: call.args[0].span() };
                cur.sources.iter_mut().for_each(|s| s.1 = Partition::Hash(k.clone()));
                cur.keyed = Some(k);
            }
            "equal_to" => {
                let k = Key { closure: call.args[0].clone(), span: call.args[0].span() };
                second.sources.iter_mut().for_each(|s| s.1 = Partition::Hash(k.clone()));
                cur.keyed2 = Some(k);
            }
            "window" => {
                if crate::emit::dynamic_gap(&call.args[0]).is_some() {
                    self.diags.error(
                        call.args[0].span(),
                        "a window join takes sessions with a fixed gap: use `EventTimeSessionWindows::with_gap(d)` here (a gap per record, `with_dynamic_gap`, is for `window(..)` on a keyed stream)",
                    );
                }
                cur.window = Some(WindowSpec {
                    all: false,
                    assigner: call.args[0].clone(),
                    lateness: None,
                    late_tag: None,
                    trigger: None,
                    span: call.span,
                });
            }
            _ => {
                let mut inputs = cur.inputs(0);
                inputs.extend(second.inputs(1));
                let id = self.new_node(info, call, inputs);
                let window = cur.window.take().expect("window");
                self.nodes[id].name = Some(format!("Join({})", window.assigner_name()));
                self.nodes[id].key = cur.keyed.clone();
                self.nodes[id].key2 = cur.keyed2.clone();
                self.nodes[id].window = Some(window);
                return Some(StreamRef::of(id, call.span));
            }
        }
        cur.second = Some(Box::new(second));
        Some(cur)
    }

    /// `side_output(&TAG)` on the stream of the operator that writes to `TAG`.
    fn side_output(&mut self, cur: StreamRef, call: &Call, info: &'static OpInfo) -> Option<StreamRef> {
        let tag = tag_name(&call.args[0]);
        let producer = cur.last.filter(|_| cur.between.is_none());
        // A window writes its late records to its late tag; a keyed process function may
        // write to any tag (`ctx.output(&TAG, ..)`), and so may a source (`from_source`: the
        // Kafka records it cannot read, with `OnBadRecord::SideOutput(&TAG)`).
        let writes = producer.is_some_and(|p| {
            let n = &self.nodes[p];
            let late = n.window.as_ref().and_then(|w| w.late_tag.as_ref()).is_some_and(|t| tag_name(t) == tag);
            late || (n.method() == "process" && n.key.is_some() && n.window.is_none()) || n.method() == "from_source"
        });
        let Some(producer) = producer.filter(|_| writes) else {
            self.diags.error(
                call.args[0].span(),
                format!(
                    "nothing writes to side output `{tag}` here: read it from the window that has `side_output_late_data({tag})`, from a keyed `process` that calls `ctx.output({tag}, ..)`, or from a `from_source` stream"
                ),
            );
            return None;
        };
        let input = Input { from: producer, input: 0, partition: Partition::Default, span: call.span };
        let id = self.new_node(info, call, vec![input]);
        self.nodes[id].parallelism = self.nodes[producer].parallelism.clone();
        self.nodes[id].max_parallelism = self.nodes[producer].max_parallelism;
        Some(StreamRef { between: Some("side_output"), ..StreamRef::of(id, call.span) })
    }

    /// A call on a windowed stream: a window setting or the window function.
    fn windowed(
        &mut self,
        mut cur: StreamRef,
        mut window: WindowSpec,
        call: &Call,
        info: &'static OpInfo,
    ) -> Option<StreamRef> {
        let method = info.method;
        if info.kind == Kind::WindowSetting {
            if method == "side_output_late_data" {
                window.late_tag = Some(call.args[0].clone());
            } else if method == "trigger" {
                window.trigger = Some(call.args[0].clone());
            } else {
                window.lateness = Some(call.args[0].clone());
            }
            cur.window = Some(window);
            return Some(cur);
        }
        let is_function =
            matches!(method, "aggregate" | "reduce" | "process" | "sum" | "min" | "max" | "min_by" | "max_by");
        if !is_function {
            self.diags.error(
                call.span,
                format!("after `window(..)` comes a window function (aggregate, reduce, process, sum, min, max, min_by, max_by), not `{method}`"),
            );
            return None;
        }
        if matches!(method, "sum" | "min" | "max" | "min_by" | "max_by") {
            self.check_field(call)?;
        }
        let inputs = cur
            .sources
            .iter()
            .map(|(from, p, span)| Input { from: *from, input: 0, partition: p.clone(), span: *span })
            .collect();
        let id = self.new_node(info, call, inputs);
        self.nodes[id].key = cur.keyed.clone();
        if window.all {
            self.nodes[id].parallelism = Par::Fixed(1);
        }
        self.nodes[id].window = Some(window);
        Some(StreamRef::of(id, call.span))
    }

    /// `sum(1)`, `sum(count)`, `sum("count")`: a tuple position or a field name.
    fn check_field(&mut self, call: &Call) -> Option<()> {
        if field_of(&call.args[0]).is_none() {
            self.diags.error(
                call.args[0].span(),
                format!(
                    "`{}` takes a field: a tuple position such as `1` or a field name such as `count`",
                    call.method
                ),
            );
            return None;
        }
        Some(())
    }

    fn attribute(&mut self, cur: &StreamRef, call: &Call, info: &OpInfo) -> Option<()> {
        let method = info.method;
        let Some(node) = cur.last.filter(|_| cur.between.is_none()) else {
            let between = cur.between.unwrap_or("the stream");
            self.diags.error(
                call.span,
                format!("`{method}` sets the operator right before it, but `{between}` comes in between: move it right after the operator"),
            );
            return None;
        };
        let arg = call.args.first();
        match method {
            "name" | "uid" => {
                let Some(Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. })) = arg else {
                    self.diags.error(
                        arg.map_or(call.span, |a| a.span()),
                        format!("`{method}` takes a string literal, as in {}", info.signature),
                    );
                    return None;
                };
                if method == "name" {
                    self.nodes[node].name = Some(s.value());
                } else {
                    self.nodes[node].uid = Some((s.value(), s.span()));
                }
            }
            "set_parallelism" => {
                let arg = arg.expect("arity checked");
                let par = match int_literal(arg) {
                    Some(0) => {
                        self.diags.error(arg.span(), "parallelism must be at least 1");
                        return None;
                    }
                    Some(n) => Par::Fixed(n),
                    None => Par::Expr(arg.to_token_stream().to_string()),
                };
                let n = &mut self.nodes[node];
                if n.window.as_ref().is_some_and(|w| w.all) && par != Par::Fixed(1) {
                    self.diags.error(
                        call.span,
                        "a `window_all` operator sees every record in one subtask: its parallelism is 1",
                    );
                    return None;
                }
                if matches!(n.info.kind, Kind::Source { parallel: false }) && par != Par::Fixed(1) {
                    self.diags.error(
                        call.span,
                        format!("`{}` is a non-parallel source: its parallelism is 1 (add `rebalance()` and set the parallelism of the next operator)", n.method()),
                    );
                    return None;
                }
                n.parallelism = par;
                n.parallelism_expr = Some(arg.clone());
            }
            "set_max_parallelism" => {
                let arg = arg.expect("arity checked");
                match int_literal(arg) {
                    Some(n) if (1..=32768).contains(&n) => self.nodes[node].max_parallelism = Some(n),
                    _ => {
                        self.diags.error(
                            arg.span(),
                            "max parallelism takes a whole number from 1 to 32768 written in the job",
                        );
                        return None;
                    }
                }
            }
            "start_new_chain" => self.nodes[node].start_new_chain = true,
            _ => self.nodes[node].disable_chaining = true,
        }
        Some(())
    }
}

/// The field an aggregation names: `Some(Index(1))` for `1`, `Some(Named(count))`.
pub enum Field {
    Index(u32, Span),
    Named(syn::Ident),
}

pub fn field_of(arg: &Expr) -> Option<Field> {
    match arg {
        Expr::Lit(syn::ExprLit { lit: Lit::Int(i), .. }) => i.base10_parse().ok().map(|n| Field::Index(n, i.span())),
        Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => {
            let v = s.value();
            if let Ok(n) = v.parse::<u32>() {
                return Some(Field::Index(n, s.span()));
            }
            syn::parse_str::<syn::Ident>(&v).ok().map(|mut i| {
                i.set_span(s.span());
                Field::Named(i)
            })
        }
        Expr::Path(p) if p.path.segments.len() == 1 && p.qself.is_none() => {
            Some(Field::Named(p.path.segments[0].ident.clone()))
        }
        _ => None,
    }
}

/// A side output tag as written, without `&` and spaces: `LATE`, `tags::LATE`.
pub fn tag_name(e: &Expr) -> String {
    let e = match e {
        Expr::Reference(r) => &*r.expr,
        e => e,
    };
    e.to_token_stream().to_string().replace(' ', "")
}

fn int_literal(e: &Expr) -> Option<u32> {
    match e {
        Expr::Lit(syn::ExprLit { lit: Lit::Int(i), .. }) => i.base10_parse().ok(),
        _ => None,
    }
}
