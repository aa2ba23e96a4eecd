//! Rill: stream processing in Rust, in the class of Apache Flink.
//!
//! A `#[rill::job]` function describes a pipeline with Flink's DataStream operators; the
//! macro compiles it into fused, monomorphized chains and a `main` that runs them. See the
//! README for the guide and `examples/` for runnable jobs.
//!
//! ```
//! use rill::prelude::*;
//!
//! #[rill::job]
//! fn word_count(env: &mut Env) {
//!     env.from_elements(["hello flink", "flink is great"])
//!         .flat_map(|line| line.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
//!         .map(|word| (word, 1))
//!         .key_by(|(word, _)| word.clone())
//!         .sum(1)
//!         .print();
//! }
//! ```

// The derives this crate applies to its own types name `::rill`.
extern crate self as rill;

pub mod agg;
pub mod broadcast_state;
pub mod codec;
pub mod collector;
pub mod connectors;
mod element;
pub mod entry;
mod env;
mod error;
pub mod exchange;
mod executor;
pub mod formats;
pub mod keyed;
pub mod metrics;
pub mod net;
pub mod ops;
pub mod panic_scope;
pub mod pipe;
pub mod plan;
mod runtime_context;
pub mod show;
pub mod side_output;
pub mod sinks;
mod small_string;
pub mod sources;
pub mod state;
mod task;
pub mod time;
pub mod timers;
pub mod two_input;

pub use codec::Codec;
pub use collector::{Collector, Output};
pub use element::{Control, Message, Record, Timestamp, MAX_WATERMARK, NO_TIMESTAMP};
pub use entry::{Job, JobClient};
pub use env::Env;
pub use error::JobError;
pub use ops::process::Context;
pub use rill_macros::{job, Codec};
pub use runtime_context::RuntimeContext;
pub use sinks::user::Sink;
pub use small_string::SmallString;

/// What a job needs in scope.
pub mod prelude {
    pub use crate::broadcast_state::BroadcastState;
    pub use crate::collector::Output;
    pub use crate::env::Env;
    pub use crate::error::JobError;
    pub use crate::ops::broadcast_process::{BroadcastContext, KeyedBroadcastProcessFunction};
    pub use crate::ops::co_process::KeyedCoProcessFunction;
    pub use crate::ops::keyed_process::{KeyedContext, KeyedProcessFunction, TimeDomain};
    pub use crate::ops::process::Context;
    pub use crate::ops::window::{AggregateFunction, OutputTag};
    pub use crate::sinks::user::Sink;
    pub use crate::small_string::SmallString;
    pub use crate::state::{AggregatingState, ListState, MapState, ReducingState, ValueState};
    pub use crate::time::{
        Clock, ContinuousEventTimeTrigger, ContinuousProcessingTimeTrigger, CountTrigger, EventTimeSessionWindows,
        EventTimeTrigger, GlobalWindows, ManualClock, ProcessingTimeSessionWindows, ProcessingTimeTrigger,
        PurgingTrigger, SlidingEventTimeWindows, SlidingProcessingTimeWindows, TimeWindow, TumblingEventTimeWindows,
        TumblingProcessingTimeWindows, WatermarkGenerator, WatermarkStrategy,
    };
    pub use crate::Codec;
}
