//! Chain: Flink's operator chaining, done at compile time. An operator joins the chain of
//! its input when the edge is forward, the parallelism is the same, it has one input and
//! chaining is not disabled; every other edge becomes an exchange.

use crate::ir::{Graph, NodeId, Parallelism, Partition};
use proc_macro2::Span;

/// An exchange between two chains.
pub struct Edge {
    /// The exchange's number.
    pub id: usize,
    /// The operator that writes to it.
    pub from_node: NodeId,
    /// The operator that reads it.
    pub to_node: NodeId,
    /// The chain that writes to it.
    pub from_chain: usize,
    /// The chain that reads it.
    pub to_chain: usize,
    /// 0, or 1 for the second input of a two-input head.
    pub to_input: u8,
    /// How records are distributed (settled: never `Default`).
    pub partition: Partition,
    /// Where a type mismatch on this edge is reported.
    pub span: Span,
}

/// Operators fused into one task.
pub struct Chain {
    /// The chain's number.
    pub id: usize,
    /// Its first operator.
    pub head: NodeId,
    /// The operators of the chain, head first, in graph order.
    pub nodes: Vec<NodeId>,
}

/// The physical plan.
pub struct Physical {
    /// The chains, in topological order.
    pub chains: Vec<Chain>,
    /// The exchanges between chains.
    pub edges: Vec<Edge>,
    /// The chain of each node.
    pub chain_of: Vec<usize>,
    /// Per node: what follows it inside its chain, and the exchanges it writes to, in the
    /// order of the graph.
    pub outputs: Vec<Vec<Output>>,
}

/// What follows a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// An operator of the same chain.
    Chained(NodeId),
    /// An exchange to another chain.
    Exchange(usize),
}

/// Forward where the parallelism allows, else rebalance (Flink's default).
pub fn resolve(partition: &Partition, from: &Parallelism, to: &Parallelism) -> Partition {
    match partition {
        Partition::Default if from == to => Partition::Forward(Span::call_site()),
        Partition::Default => Partition::Rebalance,
        p => p.clone(),
    }
}

/// Fuses the graph's operators into chains, as Flink's operator chaining does.
pub fn chain(graph: &Graph) -> Physical {
    let n = graph.nodes.len();
    let mut chain_of = vec![usize::MAX; n];
    let mut chains: Vec<Chain> = Vec::new();
    for node in &graph.nodes {
        let chained_to = match node.inputs.as_slice() {
            [input] => {
                let from = &graph.nodes[input.from];
                let forward =
                    matches!(resolve(&input.partition, &from.parallelism, &node.parallelism), Partition::Forward(_));
                // A side output is the second output of its producer: always in its chain.
                let side = node.is_side_output();
                let ok = side
                    || forward
                        && from.parallelism == node.parallelism
                        && from.max_parallelism == node.max_parallelism
                        && !node.start_new_chain
                        && !node.disable_chaining
                        && !from.disable_chaining;
                ok.then_some(input.from)
            }
            _ => None,
        };
        match chained_to {
            Some(from) => {
                let c = chain_of[from];
                chain_of[node.id] = c;
                chains[c].nodes.push(node.id);
            }
            None => {
                chain_of[node.id] = chains.len();
                chains.push(Chain { id: chains.len(), head: node.id, nodes: vec![node.id] });
            }
        }
    }
    let mut edges = Vec::new();
    let mut outputs = vec![Vec::new(); n];
    for node in &graph.nodes {
        for input in &node.inputs {
            if chain_of[input.from] == chain_of[node.id] {
                outputs[input.from].push(Output::Chained(node.id));
            } else {
                let from = &graph.nodes[input.from];
                let id = edges.len();
                edges.push(Edge {
                    id,
                    from_node: input.from,
                    to_node: node.id,
                    from_chain: chain_of[input.from],
                    to_chain: chain_of[node.id],
                    to_input: input.input,
                    partition: resolve(&input.partition, &from.parallelism, &node.parallelism),
                    span: input.span,
                });
                outputs[input.from].push(Output::Exchange(id));
            }
        }
    }
    Physical { chains, edges, chain_of, outputs }
}
