//! The job graph a job binary embeds (`JOB --plan`), and its drawings.

use serde::Deserialize;
use std::fmt::Write;

#[derive(Debug, Deserialize, PartialEq)]
pub struct Plan {
    pub job: String,
    pub default_parallelism: usize,
    pub chains: Vec<Chain>,
    pub edges: Vec<Edge>,
}

#[derive(Debug, Deserialize, PartialEq)]
pub struct Chain {
    pub id: u32,
    pub name: String,
    pub parallelism: usize,
    pub max_parallelism: usize,
    pub operators: Vec<Operator>,
}

#[derive(Debug, Deserialize, PartialEq)]
pub struct Operator {
    pub id: u32,
    pub kind: String,
    pub name: String,
    pub uid: String,
}

#[derive(Debug, Deserialize, PartialEq)]
pub struct Edge {
    pub id: u32,
    pub source: u32,
    pub target: u32,
    pub partitioner: String,
    /// 1 when the edge feeds the second input of a two-input operator (`connect`).
    #[serde(default)]
    pub input: u8,
}

impl Edge {
    fn label(&self) -> String {
        if self.input == 1 {
            format!("{} (second input)", self.partitioner)
        } else {
            self.partitioner.clone()
        }
    }
}

/// How `rill plan` draws a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Mermaid,
    Dot,
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(Format::Text),
            "mermaid" => Ok(Format::Mermaid),
            "dot" => Ok(Format::Dot),
            "json" => Ok(Format::Json),
            _ => Err(format!("unknown format '{s}': use text, mermaid, dot or json")),
        }
    }
}

impl Plan {
    pub fn parse(json: &str) -> Result<Plan, String> {
        serde_json::from_str(json).map_err(|e| format!("not a Rill plan: {e}"))
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Text => self.text(),
            Format::Mermaid => self.mermaid(),
            Format::Dot => self.dot(),
            Format::Json => self.json(),
        }
    }

    fn chain(&self, id: u32) -> Option<&Chain> {
        self.chains.iter().find(|c| c.id == id)
    }

    /// Chains with their fused operators, then where their records go.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "job {} (default parallelism {})", self.job, self.default_parallelism);
        for c in &self.chains {
            let _ =
                writeln!(s, "\nchain {} · parallelism {} · max parallelism {}", c.id, c.parallelism, c.max_parallelism);
            for (i, o) in c.operators.iter().enumerate() {
                let joint = if i == 0 { "  " } else { "  ↓ fused: " };
                let _ = writeln!(s, "{joint}{} [{}] uid={}", o.name, o.kind, o.uid);
            }
            for e in self.edges.iter().filter(|e| e.source == c.id) {
                let target = self.chain(e.target).map_or("?", |t| t.name.as_str());
                let _ = writeln!(s, "  ⇒ {} exchange to chain {} ({target})", e.label(), e.target);
            }
        }
        s
    }

    /// A mermaid flowchart: one box per chain, listing its operators; exchanges as arrows.
    pub fn mermaid(&self) -> String {
        let mut s = String::from("flowchart LR\n");
        for c in &self.chains {
            let ops: Vec<String> = c.operators.iter().map(|o| escape_mermaid(&o.name)).collect();
            let _ = writeln!(s, "    c{}[\"{}<br/>parallelism {}\"]", c.id, ops.join(" → "), c.parallelism);
        }
        for e in &self.edges {
            let _ = writeln!(s, "    c{} -- {} --> c{}", e.source, e.label(), e.target);
        }
        s
    }

    /// Graphviz: one record-shaped node per chain.
    pub fn dot(&self) -> String {
        let mut s = format!("digraph \"{}\" {{\n    rankdir=LR;\n    node [shape=box];\n", escape_dot(&self.job));
        for c in &self.chains {
            let ops: Vec<String> = c.operators.iter().map(|o| escape_dot(&o.name)).collect();
            let _ = writeln!(s, "    c{} [label=\"{}\\nparallelism {}\"];", c.id, ops.join(" -> "), c.parallelism);
        }
        for e in &self.edges {
            let _ = writeln!(s, "    c{} -> c{} [label=\"{}\"];", e.source, e.target, e.label());
        }
        s.push_str("}\n");
        s
    }

    pub fn json(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{}", serde_json::to_string_pretty(&JsonPlan(self)).expect("plan serializes"));
        s
    }
}

struct JsonPlan<'a>(&'a Plan);

impl serde::Serialize for JsonPlan<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let p = self.0;
        let chains: Vec<serde_json::Value> = p
            .chains
            .iter()
            .map(|c| {
                serde_json::json!({
                    "id": c.id, "name": c.name, "parallelism": c.parallelism, "max_parallelism": c.max_parallelism,
                    "operators": c.operators.iter().map(|o| serde_json::json!({"id": o.id, "kind": o.kind, "name": o.name, "uid": o.uid})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let edges: Vec<serde_json::Value> = p
            .edges
            .iter()
            .map(|e| {
                let mut edge = serde_json::json!({"id": e.id, "source": e.source, "target": e.target, "partitioner": e.partitioner});
                if e.input > 0 {
                    edge["input"] = e.input.into();
                }
                edge
            })
            .collect();
        let mut st = ser.serialize_struct("Plan", 4)?;
        st.serialize_field("job", &p.job)?;
        st.serialize_field("default_parallelism", &p.default_parallelism)?;
        st.serialize_field("chains", &chains)?;
        st.serialize_field("edges", &edges)?;
        st.end()
    }
}

fn escape_mermaid(s: &str) -> String {
    s.replace('"', "#quot;")
}

fn escape_dot(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: &str = r#"{"job":"wc","default_parallelism":2,"chains":[
        {"id":0,"name":"Source: from_elements","parallelism":1,"max_parallelism":128,"operators":[{"id":0,"kind":"from_elements","name":"Source: from_elements","uid":"a"}]},
        {"id":1,"name":"Map -> Print","parallelism":2,"max_parallelism":128,"operators":[{"id":1,"kind":"map","name":"Map","uid":"b"},{"id":2,"kind":"print","name":"Print \"x\"","uid":"c"}]}],
        "edges":[{"id":0,"source":0,"target":1,"partitioner":"REBALANCE"},{"id":1,"source":0,"target":1,"partitioner":"HASH","input":1}]}"#;

    #[test]
    fn parses_and_draws_every_format() {
        let plan = Plan::parse(JSON).unwrap();
        let text = plan.render(Format::Text);
        assert!(text.contains("chain 1 · parallelism 2"), "{text}");
        assert!(text.contains("↓ fused: Print \"x\" [print] uid=c"), "{text}");
        assert!(text.contains("⇒ REBALANCE exchange to chain 1 (Map -> Print)"), "{text}");
        let mermaid = plan.render(Format::Mermaid);
        assert!(mermaid.contains("c1[\"Map → Print #quot;x#quot;<br/>parallelism 2\"]"), "{mermaid}");
        assert!(mermaid.contains("c0 -- REBALANCE --> c1"));
        assert!(mermaid.contains("c0 -- HASH (second input) --> c1"), "{mermaid}");
        let dot = plan.render(Format::Dot);
        assert!(dot.contains("c0 -> c1 [label=\"REBALANCE\"]"), "{dot}");
        assert!(dot.contains("Print \\\"x\\\""), "{dot}");
        assert_eq!(Plan::parse(&plan.render(Format::Json)).unwrap(), plan);
    }

    #[test]
    fn rejects_what_is_not_a_plan() {
        assert!(Plan::parse("{\"job\":1}").unwrap_err().starts_with("not a Rill plan"));
        assert!("svg".parse::<Format>().unwrap_err().contains("text, mermaid, dot or json"));
    }
}
