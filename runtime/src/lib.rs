//! Rill: stream processing in Rust, in the class of Apache Flink.
//!
//! A `#[rill::job]` function describes a pipeline with Flink's DataStream operators; the
//! macro compiles it into fused, monomorphized chains and a `main` that runs them. See the
//! README for the guide and `examples/` for runnable jobs.
//!
//! ```
//! use rill::prelude::*;
//!
//! #[rill::job(no_main)]
//! fn word_count(env: &mut Env) {
//!     env.from_elements(["hello flink", "flink is great"])
//!         .flat_map(|line, out| {
//!             for word in line.split_whitespace() {
//!                 out.collect((word.to_owned(), 1))
//!             }
//!         })
//!         .key_by(|(word, _)| word)
//!         .sum(1)
//!         .print();
//! }
//!
//! WORD_COUNT_JOB.run(Some(1), &[]).unwrap();
//! ```

#![deny(missing_docs)]
// The derives this crate applies to its own types name `::rill`.
extern crate self as rill;

pub mod api;
pub mod checkpoint;
pub mod config;
pub mod connectors;
pub mod core;
pub mod entry;
mod env;
pub mod exchange;
#[doc(hidden)]
#[rustfmt::skip]
pub mod ide;
/// A guide: from a first job to event time and Kafka.
#[doc = include_str!("../docs/guide.md")]
pub mod guide {}
pub(crate) mod executor;
pub mod log;
pub mod net;
#[doc = include_str!("../docs/operators.md")]
pub mod operators {}
pub mod ops;
pub mod sinks;
pub mod sources;
pub mod state;
pub mod testing;
pub mod time;

pub use crate::core::collector::{Collector, Output};
pub use crate::core::element::{Control, Message, Record, Timestamp, MAX_WATERMARK, NO_TIMESTAMP};
pub use crate::core::error::JobError;
pub use crate::core::runtime_context::RuntimeContext;
pub use api::allocator::{DefaultAllocator, DEFAULT_ALLOCATOR};
pub use api::codec::{self, Codec};
pub use api::fragment::{DataStream, KeyedStream};
pub use api::metrics;
pub use api::small_string::SmallString;
pub use entry::{Job, JobClient};
pub use env::Env;
pub use ops::process::Context;
#[doc(hidden)]
pub use rill_macros::__expand_job;
pub use rill_macros::{fragment, job, Codec};
pub use sinks::user::Sink;

/// What the code that `#[rill::job]` generates refers to, in one place, so that the crate's
/// layout can change without changing what the compiler emits. Not for users.
#[doc(hidden)]
pub mod codegen {
    pub use crate::__format as format;
    pub use crate::__global_allocator as global_allocator;
    pub use crate::api::format::format_with_hint;
    pub use crate::core::pipe::ChainBuilder;
    pub use crate::core::plan::{ChainSpec, Edge, Operator, Partitioner, PlanSpec};
    pub use crate::core::two_input::TwoInput;
    pub use crate::entry::{main, Job};
    pub use crate::exchange::{Forward, Global, InputPort, Rebalance, Rescale};
    pub use crate::ops::agg::{Field0, Max, MaxBy, Min, MinBy, Sum};
    pub use crate::ops::window::choose::{ChooseWindows, ViaEachWindow, ViaPanes};
    pub use crate::sources::{FromIter, FromSource, Sequence, SocketTextStream, TextFile};
    pub use crate::state::key_groups::key_hash;
    pub use crate::time::CountWindows;
}

/// What a job needs in scope.
pub mod prelude {
    pub use crate::api::fragment::{DataStream, KeyedStream};
    pub use crate::api::small_string::SmallString;
    pub use crate::api::{AggregateFunction, OutputTag};
    pub use crate::checkpoint::{CheckpointingMode, ExternalizedCheckpointRetention, RestartStrategy};
    pub use crate::core::collector::Output;
    pub use crate::core::error::JobError;
    pub use crate::env::Env;
    pub use crate::ops::broadcast_process::{
        BroadcastContext, BroadcastProcessFunction, KeyedBroadcastProcessFunction, ReadOnlyContext,
    };
    pub use crate::ops::co_process::{CoContext, CoProcessFunction, KeyedCoProcessFunction};
    pub use crate::ops::keyed_process::KeyedProcessFunction;
    pub use crate::ops::process::Context;
    pub use crate::ops::window::custom_trigger::{Trigger, TriggerContext, TriggerResult};
    pub use crate::ops::window::WindowContext;
    pub use crate::sinks::user::Sink;
    pub use crate::state::broadcast::BroadcastState;
    pub use crate::state::context::{KeyedContext, TimeDomain};
    pub use crate::state::{AggregatingState, ListState, MapState, ReducingState, ValueState};
    pub use crate::time::{
        Clock, ContinuousEventTimeTrigger, ContinuousProcessingTimeTrigger, CountTrigger, EventTimeSessionWindows,
        EventTimeTrigger, GlobalWindows, ManualClock, ProcessingTimeSessionWindows, ProcessingTimeTrigger,
        PurgingTrigger, SlidingEventTimeWindows, SlidingProcessingTimeWindows, TimeWindow, TumblingEventTimeWindows,
        TumblingProcessingTimeWindows, WatermarkGenerator, WatermarkStrategy,
    };
    pub use crate::Codec;
}
