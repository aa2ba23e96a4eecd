//! The job graph schema, defined once.
//!
//! The compiler embeds a [`PlanSpec`] in every job binary (chains, operators, uids,
//! exchanges; parallelism only where the job sets it). When the job starts, the parallelism
//! of every chain is settled (`-p`, the machine's cores, `set_parallelism` in the job) and
//! [`PlanSpec::resolve`] gives the [`JobPlan`]: what `JOB --plan` prints as JSON, what
//! `rill plan` draws, and what the cluster will speak over REST. Both share [`Operator`],
//! [`Edge`] and [`Partitioner`], so a field is named once for all of them.
//!
//! The crate has no dependencies; `serde` (feature `serde`) reads and writes [`JobPlan`].
#![deny(missing_docs)]

use std::borrow::Cow;
use std::fmt;

/// Text that is `&'static` in a compiled plan and owned in one read from JSON.
pub type Text = Cow<'static, str>;

/// The fewest key groups a keyed exchange has by default, as in Flink.
pub const DEFAULT_MAX_PARALLELISM: usize = 128;

/// The most subtasks an operator may have, and the most key groups, as in Flink.
pub const MAX_PARALLELISM: usize = 32768;

/// Flink's default number of key groups for an operator of `parallelism` subtasks:
/// `min(max(roundUpToPowerOfTwo(p + p / 2), 128), 32768)`, so every subtask gets key groups
/// and there is room to scale up.
pub fn default_key_groups(parallelism: usize) -> usize {
    (parallelism + parallelism / 2).next_power_of_two().clamp(DEFAULT_MAX_PARALLELISM, MAX_PARALLELISM)
}

/// How an exchange distributes records among the subtasks of the chain it leads to. Its
/// [`Display`](fmt::Display) is Flink's name (`HASH`, `REBALANCE`, ...), as the plan shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "UPPERCASE"))]
pub enum Partitioner {
    /// Subtask i to subtask i (equal parallelism).
    Forward,
    /// By key group of the record's key (`key_by`).
    Hash,
    /// Round robin over all subtasks.
    Rebalance,
    /// Round robin over a local subset of subtasks.
    Rescale,
    /// Every record to every subtask.
    Broadcast,
    /// Every record to subtask 0.
    Global,
}

impl Partitioner {
    /// Flink's name for it.
    pub const fn flink_name(self) -> &'static str {
        match self {
            Partitioner::Forward => "FORWARD",
            Partitioner::Hash => "HASH",
            Partitioner::Rebalance => "REBALANCE",
            Partitioner::Rescale => "RESCALE",
            Partitioner::Broadcast => "BROADCAST",
            Partitioner::Global => "GLOBAL",
        }
    }
}

impl fmt::Display for Partitioner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.flink_name())
    }
}

/// One operator of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Operator {
    /// The operator's number in the job, unique across chains.
    pub id: u32,
    /// The DataStream method that made it (`map`, `key_by.sum`, `window.aggregate`, ...).
    pub kind: Text,
    /// The name shown in the plan and in errors (`name(...)`, or Flink's default name).
    pub name: Text,
    /// The stable identifier that state is matched by on restore (`uid(...)`, or derived).
    pub uid: Text,
}

impl Operator {
    /// An operator of a compiled plan (the compiler emits these).
    pub const fn new(id: u32, kind: &'static str, name: &'static str, uid: &'static str) -> Self {
        Operator { id, kind: Cow::Borrowed(kind), name: Cow::Borrowed(name), uid: Cow::Borrowed(uid) }
    }
}

/// An exchange between two chains.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Edge {
    /// The exchange's number in the job.
    pub id: u32,
    /// The chain that writes to it.
    pub source: u32,
    /// The chain that reads it.
    pub target: u32,
    /// How records are distributed among the target's subtasks.
    pub partitioner: Partitioner,
    /// Which input of the target chain's head: 0, or 1 for the second input of a
    /// two-input operator (`connect`, `join`).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_first_input"))]
    pub input: u8,
}

#[cfg(feature = "serde")]
fn is_first_input(input: &u8) -> bool {
    *input == 0
}

/// The job graph as compiled: static data in the job binary.
#[derive(Debug)]
pub struct PlanSpec {
    /// The job's name: its function's name.
    pub job: &'static str,
    /// Chains in topological order.
    pub chains: &'static [ChainSpec],
    /// The exchanges between chains.
    pub edges: &'static [Edge],
}

/// A chain as compiled: operators fused into one task, run as `parallelism` subtasks.
#[derive(Debug)]
pub struct ChainSpec {
    /// The chain's number in the job.
    pub id: u32,
    /// Set in the job with a literal (`set_parallelism(2)`); `None` takes the job's default
    /// (or a `set_parallelism(expression)` evaluated when the job starts).
    pub parallelism: Option<u32>,
    /// Set in the job (`set_max_parallelism`); `None` takes Flink's default for the chain's
    /// parallelism ([`default_key_groups`]).
    pub max_parallelism: Option<u32>,
    /// Its operators, head first.
    pub operators: &'static [Operator],
}

impl ChainSpec {
    /// The number of key groups of this chain's keyed input, run as `parallelism` subtasks:
    /// its max parallelism if the job sets one, else Flink's default.
    pub fn key_groups(&self, parallelism: usize) -> usize {
        self.max_parallelism.map_or_else(|| default_key_groups(parallelism), |m| m as usize)
    }

    /// Flink's chain name: its operators' names joined by ` -> `.
    pub fn name(&self) -> String {
        self.operators.iter().map(|o| &*o.name).collect::<Vec<_>>().join(" -> ")
    }
}

impl PlanSpec {
    /// The chain with this id.
    ///
    /// # Panics
    /// If the plan has no such chain: ids come from the plan itself.
    pub fn chain(&self, id: u32) -> &ChainSpec {
        self.chains.iter().find(|c| c.id == id).expect("chain in plan")
    }

    /// The operator with this id, if any.
    pub fn operator(&self, id: u32) -> Option<&Operator> {
        self.chains.iter().flat_map(|c| c.operators).find(|o| o.id == id)
    }

    /// The edge with this id, if any.
    pub fn edge(&self, id: u32) -> Option<&Edge> {
        self.edges.iter().find(|e| e.id == id)
    }

    /// Parallelism of every chain (in [`PlanSpec::chains`] order) once the job's default is
    /// known: the last override for the chain, else what the job set, else the default; at
    /// least 1.
    pub fn parallelism(&self, default_parallelism: usize, overrides: &[(u32, usize)]) -> Vec<usize> {
        self.chains
            .iter()
            .map(|c| {
                overrides
                    .iter()
                    .rev()
                    .find(|(id, _)| *id == c.id)
                    .map(|(_, p)| *p)
                    .or(c.parallelism.map(|p| p as usize))
                    .unwrap_or(default_parallelism)
                    .max(1)
            })
            .collect()
    }

    /// The plan with every chain's parallelism settled (`parallelism` in chain order, as
    /// [`PlanSpec::parallelism`] gives it).
    pub fn resolve(&self, default_parallelism: usize, parallelism: &[usize]) -> JobPlan {
        JobPlan {
            job: self.job.to_owned(),
            default_parallelism,
            chains: self
                .chains
                .iter()
                .zip(parallelism)
                .map(|(c, p)| Chain {
                    id: c.id,
                    name: c.name(),
                    parallelism: *p,
                    max_parallelism: c.key_groups(*p),
                    operators: c.operators.to_vec(),
                })
                .collect(),
            edges: self.edges.to_vec(),
        }
    }
}

/// The job graph with its parallelism settled: `JOB --plan`'s JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct JobPlan {
    /// The job's name.
    pub job: String,
    /// The parallelism of chains that do not set their own.
    pub default_parallelism: usize,
    /// Chains in topological order.
    pub chains: Vec<Chain>,
    /// The exchanges between chains.
    pub edges: Vec<Edge>,
}

/// A chain with its parallelism settled.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Chain {
    /// The chain's number in the job.
    pub id: u32,
    /// Flink's chain name: its operators' names joined by ` -> `.
    pub name: String,
    /// How many subtasks run it.
    pub parallelism: usize,
    /// Its number of key groups.
    pub max_parallelism: usize,
    /// Its operators, head first.
    pub operators: Vec<Operator>,
}

impl JobPlan {
    /// The chain with this id, if any.
    pub fn chain(&self, id: u32) -> Option<&Chain> {
        self.chains.iter().find(|c| c.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static PLAN: PlanSpec = PlanSpec {
        job: "t\"q",
        chains: &[
            ChainSpec {
                id: 0,
                parallelism: Some(1),
                max_parallelism: None,
                operators: &[Operator::new(0, "from_elements", "Source: from_elements", "a")],
            },
            ChainSpec {
                id: 1,
                parallelism: None,
                max_parallelism: Some(64),
                operators: &[Operator::new(1, "map", "Map", "b"), Operator::new(2, "print", "Print to Std. Out", "c")],
            },
        ],
        edges: &[
            Edge { id: 0, source: 0, target: 1, partitioner: Partitioner::Rebalance, input: 0 },
            Edge { id: 1, source: 0, target: 1, partitioner: Partitioner::Hash, input: 1 },
        ],
    };

    #[test]
    fn parallelism_comes_from_overrides_then_plan_then_default() {
        assert_eq!(PLAN.parallelism(4, &[]), vec![1, 4]);
        assert_eq!(PLAN.parallelism(4, &[(1, 3)]), vec![1, 3]);
        assert_eq!(PLAN.parallelism(0, &[]), vec![1, 1]);
    }

    #[test]
    fn resolve_names_chains_and_settles_key_groups() {
        let plan = PLAN.resolve(4, &[1, 4]);
        assert_eq!(plan.chains[1].name, "Map -> Print to Std. Out");
        assert_eq!((plan.chains[1].parallelism, plan.chains[1].max_parallelism), (4, 64));
        assert_eq!(plan.chains[0].max_parallelism, DEFAULT_MAX_PARALLELISM);
        assert_eq!(plan.chain(1).map(|c| c.operators.len()), Some(2));
    }

    #[test]
    fn key_groups_default_as_flinks_and_a_set_max_wins() {
        assert_eq!(default_key_groups(1), 128);
        assert_eq!(default_key_groups(85), 128);
        assert_eq!(default_key_groups(100), 256);
        assert_eq!(default_key_groups(200), 512);
        assert_eq!(default_key_groups(30_000), MAX_PARALLELISM);
        assert_eq!(PLAN.chains[1].key_groups(1_000), 64);
        assert_eq!(PLAN.chains[0].key_groups(200), 512);
    }

    #[test]
    fn partitioners_carry_flink_names() {
        let all = [
            Partitioner::Forward,
            Partitioner::Hash,
            Partitioner::Rebalance,
            Partitioner::Rescale,
            Partitioner::Broadcast,
            Partitioner::Global,
        ];
        let names: Vec<String> = all.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["FORWARD", "HASH", "REBALANCE", "RESCALE", "BROADCAST", "GLOBAL"]);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn json_keeps_field_names_and_order_and_reads_back() {
        let plan = PLAN.resolve(4, &[1, 4]);
        let json = serde_json::to_string(&plan).unwrap();
        assert!(json.starts_with(r#"{"job":"t\"q","default_parallelism":4,"chains":[{"id":0,"#), "{json}");
        assert!(json.contains(r#""name":"Map -> Print to Std. Out","parallelism":4,"max_parallelism":64"#), "{json}");
        // The first input is the default and not written; the second is.
        assert!(json.contains(r#"{"id":0,"source":0,"target":1,"partitioner":"REBALANCE"}"#), "{json}");
        assert!(json.contains(r#"{"id":1,"source":0,"target":1,"partitioner":"HASH","input":1}"#), "{json}");
        let back: JobPlan = serde_json::from_str(&json).unwrap();
        assert_eq!(back, plan);
        assert!(serde_json::from_str::<JobPlan>(&json.replace("HASH", "HASHED")).is_err());
    }
}
