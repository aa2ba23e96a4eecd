//! The discarding sink, for benchmarks: drops records without letting the optimiser drop the
//! work that made them (Flink's `DiscardingSink`).
//!
//! ```
//! use rill::prelude::*;
//! #[rill::job(no_main)]
//! fn nothing(env: &mut Env) {
//!     env.from_sequence(0, 99).map(|n| n * 2).discard();
//! }
//!
//! NOTHING_JOB.run(Some(1), &[]).unwrap();
//! ```

use crate::core::collector::{BlockedSend, Collector};
use crate::core::element::{Control, Timestamp};
use crate::core::error::JobError;
use crate::core::pipe::{Branch, ChainBuilder, Pipe, Tail};
use crate::core::runtime_context::RuntimeContext;

/// A sink that drops every record.
#[derive(Clone, Default)]
pub struct DiscardSink {
    /// Records received by this subtask.
    pub count: u64,
}

impl<T: 'static> Tail<T> for DiscardSink {
    fn build(self) -> impl Collector<T> {
        self
    }
}

impl<T> Collector<T> for DiscardSink {
    #[inline]
    fn collect(&mut self, value: T, _: Timestamp) {
        std::hint::black_box(&value);
        self.count += 1;
    }
    #[inline]
    fn collect_ref(&mut self, value: &T, _: Timestamp)
    where
        T: Clone,
    {
        std::hint::black_box(value);
        self.count += 1;
    }
    fn on_control(&mut self, _: Control) {}
    fn open(&mut self, _: &mut RuntimeContext<'_>) -> Result<(), JobError> {
        Ok(())
    }
    fn flush(&mut self) {}
    fn on_processing_time(&mut self, _: Timestamp) {}
    fn take_blocked(&mut self, _: &mut Vec<BlockedSend>) {}
    fn close(&mut self) -> Result<(), JobError> {
        Ok(())
    }
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In: 'static, P: Pipe<In>> ChainBuilder<In, P> {
    /// Drops every record.
    pub fn discard(self, _id: u32) -> Branch<In, P, DiscardSink> {
        self.end(DiscardSink::default())
    }
}
