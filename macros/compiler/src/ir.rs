//! The IR: the logical job graph that [`build`](crate::build) makes and that validate, chain
//! and emit read. A node's [`Shape`] says what kind of operator it is and carries exactly
//! the parts that kind has (its keys, its window, its bounds), so no pass guesses the kind
//! from which options happen to be set.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use rill_plan::Partitioner;
use syn::Expr;

/// A node's index in [`Graph::nodes`].
pub type NodeId = usize;

/// What a node's operator is, as far as the passes after `build` need to know: the method
/// that made it, Flink's default name, and how it is emitted.
#[derive(Debug)]
pub struct Operator {
    /// The DataStream method, for the plan and for messages (never compared).
    pub method: &'static str,
    /// Flink's default operator name.
    pub display: &'static str,
    /// The operator's code in its chain: a source expression for a source, a builder call
    /// (`.map(id, f)`) for every other operator.
    pub emit: fn(&Node) -> TokenStream,
    /// The operator writes records to side outputs that `side_output(&TAG)` may read.
    pub writes_side_outputs: bool,
}

/// The key selector of a keyed stream.
#[derive(Clone)]
pub struct Key {
    /// The closure as written.
    pub closure: Expr,
    /// Where it stands, for messages.
    pub span: Span,
}

impl Key {
    /// The key selector of an argument, at the argument's span.
    pub fn of(closure: &Expr) -> Key {
        use syn::spanned::Spanned;
        Key { closure: closure.clone(), span: closure.span() }
    }
}

/// A window: `window(assigner)` and its settings.
#[derive(Clone)]
pub struct WindowSpec {
    /// `window_all`: all records in one non-parallel window operator.
    pub all: bool,
    /// The window assigner as written.
    pub assigner: Expr,
    /// `allowed_lateness(..)`, if given.
    pub lateness: Option<Expr>,
    /// `side_output_late_data(&TAG)`: where records too late for their windows go.
    pub late_tag: Option<Expr>,
    /// `trigger(..)`: when the windows fire instead of at their end.
    pub trigger: Option<Expr>,
    /// The trigger is a value of the user's own type, not one of Flink's built-in ones.
    pub custom_trigger: bool,
    /// The `window(..)` call, for messages.
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
    /// `forward()`: subtask i to subtask i.
    Forward(Span),
    /// `rebalance()`: round robin.
    Rebalance,
    /// `rescale()`: round robin within a local group.
    Rescale,
    /// `broadcast()`: every record to every subtask.
    Broadcast,
    /// `global()`: everything to subtask 0.
    Global,
    /// `key_by(..)`: by key group.
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
#[derive(Clone)]
pub enum Parallelism {
    /// The job's default.
    Default,
    /// A literal: `set_parallelism(2)`, or 1 for a non-parallel operator.
    Fixed(u32),
    /// Decided when the job starts: `set_parallelism(some_expression)`.
    Expr(Expr),
}

impl PartialEq for Parallelism {
    /// Whether two operators surely run with the same parallelism: two expressions are the
    /// same when they are written the same (they are evaluated once, when the job starts).
    fn eq(&self, other: &Parallelism) -> bool {
        match (self, other) {
            (Parallelism::Default, Parallelism::Default) => true,
            (Parallelism::Fixed(a), Parallelism::Fixed(b)) => a == b,
            (Parallelism::Expr(a), Parallelism::Expr(b)) => {
                a.to_token_stream().to_string() == b.to_token_stream().to_string()
            }
            _ => false,
        }
    }
}

/// One input of a node.
#[derive(Clone)]
pub struct Input {
    /// The producing node.
    pub from: NodeId,
    /// 0, or 1 for the second input of a two-input operator.
    pub input: u8,
    /// How records reach this node.
    pub partition: Partition,
    /// Where a type mismatch on this input is reported (the `union` call, if any).
    pub span: Span,
}

/// What kind of operator a node is, with the parts that kind has.
#[derive(Clone)]
pub enum Shape {
    /// Reads records from outside; `parallel: false` runs as one subtask.
    Source {
        /// Whether it runs as several subtasks.
        parallel: bool,
    },
    /// A one-input operator on a plain stream (`map`, `filter`, `process`, ...).
    OneInput,
    /// A one-input operator on a keyed stream: keyed state and timers per key.
    Keyed {
        /// The key selector.
        key: Key,
    },
    /// A window function on a keyed stream (or all records, `window_all`, keyed by `()`).
    Window {
        /// The key selector (`|_| ()` for `window_all`).
        key: Key,
        /// The window and its settings.
        window: WindowSpec,
    },
    /// The records an operator wrote to side output `tag`.
    SideOutput {
        /// The tag as written.
        tag: Expr,
    },
    /// Ends a stream.
    Sink,
    /// Connected streams, keyed by a key per input or not (`co_map`, keyed `process`).
    Connected {
        /// The key selectors of both inputs, if keyed.
        keys: Option<(Key, Key)>,
    },
    /// A stream, keyed or not, connected to a broadcast stream that writes a broadcast state.
    Broadcast {
        /// The first input's key selector, if keyed.
        key: Option<Key>,
    },
    /// Records of both inputs with equal keys in the same window.
    WindowJoin {
        /// The key selectors of both inputs.
        keys: (Key, Key),
        /// The window.
        window: WindowSpec,
    },
    /// Records of both inputs with equal keys within time bounds of each other.
    IntervalJoin {
        /// The key selectors of both inputs.
        keys: (Key, Key),
        /// The lower bound in ms, as written.
        lower: Expr,
        /// The upper bound in ms, as written.
        upper: Expr,
        /// The side outputs of each side's late records (`side_output_left_late_data(&TAG)`,
        /// `side_output_right_late_data(&TAG)`), if any.
        late: [Option<Expr>; 2],
    },
}

/// One operator of the job.
pub struct Node {
    /// Its index in the graph.
    pub id: NodeId,
    /// What made it.
    pub op: &'static Operator,
    /// The call's arguments as written.
    pub args: Vec<Expr>,
    /// The call, for messages.
    pub span: Span,
    /// Where its records come from.
    pub inputs: Vec<Input>,
    /// What kind of operator it is.
    pub shape: Shape,
    /// `name(..)`, if given.
    pub name: Option<String>,
    /// `uid(..)`, if given, with where.
    pub uid: Option<(String, Span)>,
    /// Its parallelism as written.
    pub parallelism: Parallelism,
    /// `set_max_parallelism(..)`, if given.
    pub max_parallelism: Option<u32>,
    /// `start_new_chain()`.
    pub start_new_chain: bool,
    /// `disable_chaining()`.
    pub disable_chaining: bool,
    /// The `let` name of the stream it produces, for messages.
    pub binding: Option<String>,
}

impl Node {
    /// The DataStream method that made it.
    pub fn method(&self) -> &'static str {
        self.op.method
    }

    /// Whether it ends its stream.
    pub fn is_sink(&self) -> bool {
        matches!(self.shape, Shape::Sink)
    }

    /// Whether it reads another operator's side output.
    pub fn is_side_output(&self) -> bool {
        matches!(self.shape, Shape::SideOutput { .. })
    }

    /// The node's window, if it is a window function or a window join.
    pub fn window(&self) -> Option<&WindowSpec> {
        match &self.shape {
            Shape::Window { window, .. } | Shape::WindowJoin { window, .. } => Some(window),
            _ => None,
        }
    }

    /// The key selector of its (first) input, if it is keyed.
    pub fn key(&self) -> Option<&Key> {
        match &self.shape {
            Shape::Keyed { key } | Shape::Window { key, .. } | Shape::Broadcast { key: Some(key) } => Some(key),
            Shape::Connected { keys: Some((k, _)) } | Shape::WindowJoin { keys: (k, _), .. } => Some(k),
            Shape::IntervalJoin { keys: (k, _), .. } => Some(k),
            _ => None,
        }
    }

    /// The key selector of its second input, for keyed two-input operators.
    pub fn key2(&self) -> Option<&Key> {
        match &self.shape {
            Shape::Connected { keys: Some((_, k)) } | Shape::WindowJoin { keys: (_, k), .. } => Some(k),
            Shape::IntervalJoin { keys: (_, k), .. } => Some(k),
            _ => None,
        }
    }

    /// Whether it is the head of a two-input chain.
    pub fn is_two_input(&self) -> bool {
        matches!(
            self.shape,
            Shape::Connected { .. } | Shape::Broadcast { .. } | Shape::WindowJoin { .. } | Shape::IntervalJoin { .. }
        )
    }

    /// The name in the plan and in errors: `name(..)`, or Flink's default.
    pub fn display_name(&self) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        match &self.shape {
            Shape::Window { window, .. } if window.all => {
                format!("AllWindow({}, {})", window.assigner_name(), self.method())
            }
            Shape::Window { window, .. } => format!("Window({}, {})", window.assigner_name(), self.method()),
            _ => self.op.display.to_owned(),
        }
    }

    /// What made the operator, as the plan shows it (`key_by.sum`, `window.aggregate`).
    pub fn kind(&self) -> String {
        let m = self.method();
        match &self.shape {
            _ if self.is_two_input() => format!("connect.{m}"),
            Shape::Window { window, .. } if window.all => format!("window_all.{m}"),
            Shape::Window { .. } => format!("window.{m}"),
            Shape::Keyed { .. } => format!("key_by.{m}"),
            _ => m.to_owned(),
        }
    }

    /// `uid(..)`, or one derived from the method and the node's number.
    pub fn uid(&self) -> String {
        self.uid.as_ref().map_or_else(|| format!("{}-{}", self.method().replace('_', "-"), self.id), |(u, _)| u.clone())
    }
}

/// The logical graph, in creation order (every node after its inputs).
pub struct Graph {
    /// Every node, each after its inputs.
    pub nodes: Vec<Node>,
}

impl Graph {
    /// The nodes that read node `id`, with the input they read it on.
    pub fn consumers(&self, id: NodeId) -> impl Iterator<Item = (&Node, &Input)> {
        self.nodes.iter().flat_map(move |n| n.inputs.iter().filter(move |i| i.from == id).map(move |i| (n, i)))
    }
}
