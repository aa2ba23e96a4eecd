//! `side_output(&TAG)`: the records that the operator before it wrote to side output `TAG`
//! (Flink's `getSideOutput`): a window's late records (`side_output_late_data(&TAG)`), a
//! process function's `ctx.output(&TAG, ..)` (keyed or not), a source's bad records. It is built into
//! the operator that writes it, so it is always in that operator's chain.
//!
//! ```ignore
//! let counts = stream.key_by(..).window(..).side_output_late_data(&LATE).sum(1);
//! counts.side_output(&LATE).print();
//! ```

use super::{no_code, tag_name};
use crate::build::{OperatorSpec, StreamRef, STREAMS};
use crate::ir::{Input, Operator, Partition, Shape};
use syn::spanned::Spanned;

pub static SIDE_OUTPUT: OperatorSpec = OperatorSpec {
    op: Operator { method: "side_output", display: "Side Output", emit: no_code, writes_side_outputs: false },
    on: STREAMS,
    args: (1, 1),
    signature: "side_output(&TAG)",
    after_sink: false,
    build: |b, cur, call, spec| {
        let tag = tag_name(&call.args[0]);
        let producer = cur.last.filter(|_| cur.between.is_none());
        let writes = producer.is_some_and(|p| {
            let n = b.node(p);
            let late = n.window().and_then(|w| w.late_tag.as_ref()).is_some_and(|t| tag_name(t) == tag);
            late || n.op.writes_side_outputs
        });
        let Some(producer) = producer.filter(|_| writes) else {
            b.error(
                call.args[0].span(),
                format!(
                    "nothing writes to side output `{tag}` here: read it from the window that has `side_output_late_data({tag})`, from a `process` that calls `ctx.output({tag}, ..)`, or from a `from_source` stream"
                ),
            );
            return None;
        };
        let input = Input { from: producer, input: 0, partition: Partition::Default, span: call.span };
        let shape = Shape::SideOutput { tag: call.args[0].clone() };
        let id = b.new_node(spec, call, vec![input], shape);
        let (parallelism, max) = (b.node(producer).parallelism.clone(), b.node(producer).max_parallelism);
        b.node_mut(id).parallelism = parallelism;
        b.node_mut(id).max_parallelism = max;
        Some(StreamRef { between: Some("side_output"), ..StreamRef::of(id, call.span) })
    },
};
