//! The core of a running job, below every operator: stream elements (records, watermarks,
//! end of input), errors, the collector that fused operators push records through, the
//! typed chain builder and its two-input form, side outputs, what an operator learns when it
//! opens, the panic scope that names a failing operator, and the plan schema.

pub mod collector;
pub mod element;
pub mod error;
pub mod panic_scope;
pub mod pipe;
pub(crate) mod plain_core;
pub mod plan;
pub mod runtime_context;
pub mod side_output;
pub mod two_input;

/// A running task (or exchange bridge): ends with its subtask's outcome.
pub(crate) type TaskFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), error::JobError>> + Send>>;
