//! The static job graph that the compiler embeds in every job binary.
//!
//! The compiler decides chains and exchanges; only parallelism is settled when the job
//! starts (`-p`, the machine's cores, or `set_parallelism` in the job). `./job --plan` prints
//! this plan as JSON, which `rill plan` draws.

use std::fmt::Write;

/// The whole job graph.
#[derive(Debug)]
pub struct PlanSpec {
    pub job: &'static str,
    pub chains: &'static [ChainSpec],
    pub edges: &'static [EdgeSpec],
}

/// A chain: operators fused into one task, run as `parallelism` subtasks.
#[derive(Debug)]
pub struct ChainSpec {
    pub id: u32,
    /// Set in the job (`set_parallelism`); `None` takes the job's default.
    pub parallelism: Option<u32>,
    /// Set in the job (`set_max_parallelism`); `None` takes the default of 128.
    pub max_parallelism: Option<u32>,
    pub operators: &'static [OperatorSpec],
}

/// One operator of a chain.
#[derive(Debug)]
pub struct OperatorSpec {
    pub id: u32,
    /// The DataStream method that made it (`map`, `key_by(...).sum`, `print`, ...).
    pub kind: &'static str,
    /// The name shown in the plan and in errors (`name(...)`, or Flink's default name).
    pub name: &'static str,
    /// The stable identifier that state is matched by on restore (`uid(...)`, or derived).
    pub uid: &'static str,
}

/// An exchange between two chains.
#[derive(Debug)]
pub struct EdgeSpec {
    pub id: u32,
    pub source_chain: u32,
    pub target_chain: u32,
    /// Which input of the target chain's head: 0, or 1 for the second input of a
    /// two-input operator (`connect`).
    pub target_input: u8,
    /// FORWARD, HASH, REBALANCE, RESCALE, BROADCAST or GLOBAL, as Flink names them.
    pub partitioner: &'static str,
}

/// Default number of key groups, as in Flink.
pub const DEFAULT_MAX_PARALLELISM: usize = 128;

impl PlanSpec {
    pub fn chain(&self, id: u32) -> &ChainSpec {
        self.chains.iter().find(|c| c.id == id).expect("chain in plan")
    }

    pub fn operator(&self, id: u32) -> Option<&OperatorSpec> {
        self.chains.iter().flat_map(|c| c.operators).find(|o| o.id == id)
    }

    /// Parallelism of every chain once the job default is known.
    pub fn resolve(&self, default_parallelism: usize, overrides: &[(u32, usize)]) -> Vec<usize> {
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

    /// The plan as JSON, with parallelism resolved.
    pub fn to_json(&self, default_parallelism: usize, parallelism: &[usize]) -> String {
        let mut s = String::new();
        let _ =
            write!(s, "{{\"job\":{},\"default_parallelism\":{default_parallelism},\"chains\":[", json_str(self.job));
        for (i, c) in self.chains.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let name: Vec<&str> = c.operators.iter().map(|o| o.name).collect();
            let _ = write!(
                s,
                "{{\"id\":{},\"name\":{},\"parallelism\":{},\"max_parallelism\":{},\"operators\":[",
                c.id,
                json_str(&name.join(" -> ")),
                parallelism[i],
                c.max_parallelism.map_or(DEFAULT_MAX_PARALLELISM, |m| m as usize)
            );
            for (j, o) in c.operators.iter().enumerate() {
                if j > 0 {
                    s.push(',');
                }
                let _ = write!(
                    s,
                    "{{\"id\":{},\"kind\":{},\"name\":{},\"uid\":{}}}",
                    o.id,
                    json_str(o.kind),
                    json_str(o.name),
                    json_str(o.uid)
                );
            }
            s.push_str("]}");
        }
        s.push_str("],\"edges\":[");
        for (i, e) in self.edges.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let _ = write!(
                s,
                "{{\"id\":{},\"source\":{},\"target\":{},\"partitioner\":{}",
                e.id,
                e.source_chain,
                e.target_chain,
                json_str(e.partitioner)
            );
            if e.target_input > 0 {
                let _ = write!(s, ",\"input\":{}", e.target_input);
            }
            s.push('}');
        }
        s.push_str("]}");
        s
    }
}

fn json_str(v: &str) -> String {
    let mut s = String::with_capacity(v.len() + 2);
    s.push('"');
    for ch in v.chars() {
        match ch {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            '\r' => s.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(s, "\\u{:04x}", c as u32);
            }
            c => s.push(c),
        }
    }
    s.push('"');
    s
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
                operators: &[OperatorSpec { id: 0, kind: "from_elements", name: "Source: from_elements", uid: "a" }],
            },
            ChainSpec {
                id: 1,
                parallelism: None,
                max_parallelism: Some(64),
                operators: &[
                    OperatorSpec { id: 1, kind: "map", name: "Map", uid: "b" },
                    OperatorSpec { id: 2, kind: "print", name: "Print to Std. Out", uid: "c" },
                ],
            },
        ],
        edges: &[EdgeSpec { id: 0, source_chain: 0, target_chain: 1, target_input: 0, partitioner: "REBALANCE" }],
    };

    #[test]
    fn resolves_parallelism_from_overrides_then_plan_then_default() {
        assert_eq!(PLAN.resolve(4, &[]), vec![1, 4]);
        assert_eq!(PLAN.resolve(4, &[(1, 3)]), vec![1, 3]);
        assert_eq!(PLAN.resolve(0, &[]), vec![1, 1]);
    }

    #[test]
    fn json_names_chains_and_escapes_strings() {
        let json = PLAN.to_json(4, &[1, 4]);
        assert!(json.starts_with("{\"job\":\"t\\\"q\",\"default_parallelism\":4"), "{json}");
        assert!(json.contains("\"name\":\"Map -> Print to Std. Out\",\"parallelism\":4,\"max_parallelism\":64"));
        assert!(json.contains("{\"id\":0,\"source\":0,\"target\":1,\"partitioner\":\"REBALANCE\"}"));
    }
}
