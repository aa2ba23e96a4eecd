//! What users write against, at the bottom of the crate so that every layer may use it: the
//! function traits they implement, side output tags, the record codec, the inline key
//! string, and user metrics. Nothing here depends on operators, state or the executor.

pub mod aggregate_function;
pub mod allocator;
pub mod checkpoint_metrics;
pub mod codec;
pub mod format;
pub mod fragment;
pub(crate) mod hex;
pub mod metrics;
pub mod output_tag;
pub mod prometheus;
pub mod small_string;
pub mod task_metrics;
pub mod vertex_metrics;

pub use aggregate_function::AggregateFunction;
pub use output_tag::OutputTag;
