//! `sink_to`: a sink of the user's own. Any `FnMut(T)` closure is a sink; a type that
//! implements [`Sink`] can also open resources per subtask and finish at end of input.
//!
//! ```
//! use rill::prelude::*;
//! #[rill::job(no_main)]
//! fn custom(env: &mut Env) {
//!     env.from_elements([1, 2, 3]).sink_to(|n: i32| assert!(n > 0));
//! }
//!
//! CUSTOM_JOB.run(Some(1), &[]).unwrap();
//! ```

use crate::core::collector::{BlockedSend, Collector};
use crate::core::element::{Control, Timestamp};
use crate::core::error::JobError;
use crate::core::pipe::{Branch, ChainBuilder, Pipe, Tail};
use crate::core::runtime_context::RuntimeContext;

/// A user-defined sink (Flink's `SinkWriter`). One copy runs in every subtask.
pub trait Sink<T>: Clone + Send + 'static {
    /// Called once per subtask before the first record.
    fn open(&mut self, _subtask: usize, _parallelism: usize) -> Result<(), JobError> {
        Ok(())
    }
    /// Called for each record.
    fn write(&mut self, value: T);
    /// Called once at end of input: flush what is buffered.
    fn finish(&mut self) -> Result<(), JobError> {
        Ok(())
    }
}

impl<T, F: FnMut(T) + Clone + Send + 'static> Sink<T> for F {
    fn write(&mut self, value: T) {
        self(value)
    }
}

/// A user's [`Sink`] in a running chain.
#[derive(Clone)]
pub struct UserSink<S> {
    id: u32,
    sink: S,
}

impl<T: 'static, S: Sink<T>> Tail<T> for UserSink<S> {
    fn build(self) -> impl Collector<T> {
        self
    }
}

impl<T, S: Sink<T>> Collector<T> for UserSink<S> {
    #[inline]
    fn collect(&mut self, value: T, _: Timestamp) {
        crate::core::panic_scope::enter(self.id);
        self.sink.write(value);
    }
    fn on_control(&mut self, _: Control) {}
    fn open(&mut self, ctx: &mut RuntimeContext<'_>) -> Result<(), JobError> {
        crate::core::panic_scope::enter(self.id);
        self.sink.open(ctx.subtask, ctx.parallelism)
    }
    fn flush(&mut self) {}
    fn on_processing_time(&mut self, _: Timestamp) {}
    fn take_blocked(&mut self, _: &mut Vec<BlockedSend>) {}
    fn close(&mut self) -> Result<(), JobError> {
        crate::core::panic_scope::enter(self.id);
        self.sink.finish()
    }
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In: 'static, P: Pipe<In>> ChainBuilder<In, P> {
    /// Ends the chain in a user's sink.
    pub fn sink_to<S: Sink<P::Out>>(self, id: u32, sink: S) -> Branch<In, P, UserSink<S>> {
        self.end(UserSink { id, sink })
    }
}
