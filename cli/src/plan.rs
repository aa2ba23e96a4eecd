//! The job graph a job binary embeds (`JOB --plan`), and its drawings.

pub use rill_plan::{Chain, Edge, JobPlan as Plan, Operator, Partitioner};
// One schema for the job binary's `--plan` and for this command: `rill-plan`.
use std::fmt::Write;

/// An exchange's label in a drawing: its partitioner, and which input it feeds.
fn label(edge: &Edge) -> String {
    if edge.input == 1 {
        format!("{} (second input)", edge.partitioner)
    } else {
        edge.partitioner.to_string()
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

/// Reads the JSON a job binary's `--plan` prints.
pub fn parse(json: &str) -> Result<Plan, String> {
    serde_json::from_str(json).map_err(|e| format!("not a Rill plan: {e}"))
}

/// Draws a plan in the given format.
pub fn render(plan: &Plan, format: Format) -> String {
    match format {
        Format::Text => text(plan),
        Format::Mermaid => mermaid(plan),
        Format::Dot => dot(plan),
        Format::Json => json(plan),
    }
}

/// Chains with their fused operators, then where their records go.
pub fn text(plan: &Plan) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "job {} (default parallelism {})", plan.job, plan.default_parallelism);
    for c in &plan.chains {
        let _ = writeln!(s, "\nchain {} · parallelism {} · max parallelism {}", c.id, c.parallelism, c.max_parallelism);
        for (i, o) in c.operators.iter().enumerate() {
            let joint = if i == 0 { "  " } else { "  ↓ fused: " };
            let _ = writeln!(s, "{joint}{} [{}] uid={}", o.name, o.kind, o.uid);
        }
        for e in plan.edges.iter().filter(|e| e.source == c.id) {
            let target = plan.chain(e.target).map_or("?", |t| t.name.as_str());
            let _ = writeln!(s, "  ⇒ {} exchange to chain {} ({target})", label(e), e.target);
        }
    }
    s
}

/// A mermaid flowchart: one box per chain, listing its operators; exchanges as arrows.
pub fn mermaid(plan: &Plan) -> String {
    let mut s = String::from("flowchart LR\n");
    for c in &plan.chains {
        let ops: Vec<String> = c.operators.iter().map(|o| escape_mermaid(&o.name)).collect();
        let _ = writeln!(s, "    c{}[\"{}<br/>parallelism {}\"]", c.id, ops.join(" → "), c.parallelism);
    }
    for e in &plan.edges {
        let _ = writeln!(s, "    c{} -- {} --> c{}", e.source, label(e), e.target);
    }
    s
}

/// Graphviz: one record-shaped node per chain.
pub fn dot(plan: &Plan) -> String {
    let mut s = format!("digraph \"{}\" {{\n    rankdir=LR;\n    node [shape=box];\n", escape_dot(&plan.job));
    for c in &plan.chains {
        let ops: Vec<String> = c.operators.iter().map(|o| escape_dot(&o.name)).collect();
        let _ = writeln!(s, "    c{} [label=\"{}\\nparallelism {}\"];", c.id, ops.join(" -> "), c.parallelism);
    }
    for e in &plan.edges {
        let _ = writeln!(s, "    c{} -> c{} [label=\"{}\"];", e.source, e.target, label(e));
    }
    s.push_str("}\n");
    s
}

/// The plan as pretty JSON, in the schema the job binary printed it.
pub fn json(plan: &Plan) -> String {
    serde_json::to_string_pretty(plan).expect("a plan is always JSON") + "\n"
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
        let plan = parse(JSON).unwrap();
        let text = render(&plan, Format::Text);
        assert!(text.contains("chain 1 · parallelism 2"), "{text}");
        assert!(text.contains("↓ fused: Print \"x\" [print] uid=c"), "{text}");
        assert!(text.contains("⇒ REBALANCE exchange to chain 1 (Map -> Print)"), "{text}");
        let mermaid = render(&plan, Format::Mermaid);
        assert!(mermaid.contains("c1[\"Map → Print #quot;x#quot;<br/>parallelism 2\"]"), "{mermaid}");
        assert!(mermaid.contains("c0 -- REBALANCE --> c1"));
        assert!(mermaid.contains("c0 -- HASH (second input) --> c1"), "{mermaid}");
        let dot = render(&plan, Format::Dot);
        assert!(dot.contains("c0 -> c1 [label=\"REBALANCE\"]"), "{dot}");
        assert!(dot.contains("Print \\\"x\\\""), "{dot}");
        assert_eq!(parse(&render(&plan, Format::Json)).unwrap(), plan);
    }

    #[test]
    fn rejects_what_is_not_a_plan() {
        assert!(parse("{\"job\":1}").unwrap_err().starts_with("not a Rill plan"));
        assert!("svg".parse::<Format>().unwrap_err().contains("text, mermaid, dot or json"));
    }
}
