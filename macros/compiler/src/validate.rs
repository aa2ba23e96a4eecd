//! Validate: mistakes that only show on the whole graph.

use crate::diag::Diagnostics;
use crate::ir::{Graph, Parallelism, Partition};
use std::collections::HashMap;

/// Reports the mistakes that only show on the whole graph: no sink, a duplicate uid, an unused stream, a `forward()` between different parallelisms, a parallelism above the max.
pub fn validate(graph: &Graph, job_name: &syn::Ident, diags: &mut Diagnostics) {
    if !graph.nodes.iter().any(|n| n.is_sink()) && diags.is_empty() {
        diags.error(
            job_name.span(),
            "this job has no sink, so it would compute nothing anyone sees: end a stream with print(), write_as_text(..), sink_to(..) or discard()",
        );
    }

    let mut seen: HashMap<String, usize> = HashMap::new();
    for n in &graph.nodes {
        if let Some((uid, span)) = &n.uid {
            if let Some(first) = seen.insert(uid.clone(), n.id) {
                diags.error(
                    *span,
                    format!(
                        "duplicate uid \"{uid}\": it is also the uid of `{}`; uids match state to operators on restore and must be unique",
                        graph.nodes[first].method()
                    ),
                );
            }
        }
    }

    // After an error in a chain, what follows it is missing: its streams would look unused.
    let clean = diags.is_empty();
    for n in &graph.nodes {
        if clean && !n.is_sink() && graph.consumers(n.id).next().is_none() {
            let what = n.binding.as_ref().map_or_else(|| "this stream".to_owned(), |b| format!("stream `{b}`"));
            diags.error(
                n.span,
                format!("{what} is never used: end it with a sink such as print() or discard(), or remove it"),
            );
        }
        for input in &n.inputs {
            let from = &graph.nodes[input.from];
            if let Partition::Forward(span) = input.partition {
                if from.parallelism != n.parallelism {
                    diags.error(
                        span,
                        format!(
                            "forward() keeps records in the same subtask, so `{}` and `{}` need the same parallelism; use rebalance() or rescale() to change it",
                            from.method(),
                            n.method()
                        ),
                    );
                }
            }
        }
        if let (Parallelism::Fixed(p), Some(max)) = (&n.parallelism, n.max_parallelism) {
            if *p > max {
                diags.error(n.span, format!("parallelism {p} is above the max parallelism {max} of `{}`", n.method()));
            }
        }
    }
}
