//! `assign_timestamps_and_watermarks(strategy)`: event timestamps and watermarks for the
//! records (Flink's `assignTimestampsAndWatermarks`). The strategy's timestamp assigner is
//! typed where the record type is known, so its closure needs no annotation.
//!
//! ```ignore
//! stream.assign_timestamps_and_watermarks(
//!     WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_secs(5))
//!         .with_timestamp_assigner(|m, _| m.time),
//! )
//! ```

use super::{id, one_input, operator, strategy};
use crate::build::{OperatorSpec, StreamRef, STREAMS};
use crate::ir::{Node, Shape};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub static ASSIGN_TIMESTAMPS_AND_WATERMARKS: OperatorSpec = OperatorSpec {
    op: operator("assign_timestamps_and_watermarks", "Timestamps/Watermarks", emit),
    on: STREAMS,
    args: (1, 1),
    signature: "assign_timestamps_and_watermarks(WatermarkStrategy::for_bounded_out_of_orderness(..).with_timestamp_assigner(|record, ts| ..))",
    after_sink: false,
    build: |b, cur, call, spec| Some(StreamRef::of(one_input(b, &cur, call, spec, Shape::OneInput), call.span)),
};

fn emit(node: &Node) -> TokenStream {
    let (id, strategy) = (id(node), strategy(&node.args[0]));
    quote_spanned!(node.span=> .assign_timestamps_and_watermarks(#id, #strategy))
}
