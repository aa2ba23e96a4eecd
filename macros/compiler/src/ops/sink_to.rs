//! `sink_to(sink)`: records to a connector's sink (Kafka) or a user's `Sink` (Flink's
//! `sinkTo`).
//!
//! ```ignore
//! stream.sink_to(KafkaSink::builder().brokers(&brokers).topic("alerts").build());
//! ```

use super::{arg, id, operator, sink};
use crate::build::{OperatorSpec, STREAMS};
use crate::ir::Node;
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub static SINK_TO: OperatorSpec = OperatorSpec {
    op: operator("sink_to", "Sink: sink_to", emit),
    on: STREAMS,
    args: (1, 1),
    signature: "sink_to(sink)",
    after_sink: false,
    build: sink,
};

fn emit(node: &Node) -> TokenStream {
    let (id, sink) = (id(node), arg(node));
    quote_spanned!(node.span=> .sink_to(#id, #sink))
}
