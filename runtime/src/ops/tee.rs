//! Fan-out inside a chain: one operator, two chained consumers.

use crate::core::collector::{BlockedSend, Collector};
use crate::core::element::{Control, Timestamp};
use crate::core::error::JobError;
use crate::core::pipe::{Branch, ChainBuilder, Identity, Pipe, Tail};
use crate::core::runtime_context::RuntimeContext;

#[derive(Clone)]
pub struct TeeTail<A, B>(pub A, pub B);

impl<T: Clone + Send + 'static, A: Tail<T>, B: Tail<T>> Tail<T> for TeeTail<A, B> {
    fn build(self) -> impl Collector<T> {
        Tee(self.0.build(), self.1.build())
    }
}

pub struct Tee<A, B>(A, B);

impl<T: Clone, A: Collector<T>, B: Collector<T>> Collector<T> for Tee<A, B> {
    #[inline]
    fn collect(&mut self, value: T, timestamp: Timestamp) {
        self.0.collect(value.clone(), timestamp);
        self.1.collect(value, timestamp);
    }
    fn on_control(&mut self, control: Control) {
        self.0.on_control(control);
        self.1.on_control(control);
    }
    fn open(&mut self, ctx: &mut RuntimeContext<'_>) -> Result<(), JobError> {
        self.0.open(ctx)?;
        self.1.open(ctx)
    }
    fn on_processing_time(&mut self, now: Timestamp) {
        self.0.on_processing_time(now);
        self.1.on_processing_time(now);
    }
    fn flush(&mut self) {
        self.0.flush();
        self.1.flush();
    }
    fn take_blocked(&mut self, blocked: &mut Vec<BlockedSend>) {
        self.0.take_blocked(blocked);
        self.1.take_blocked(blocked);
    }
    fn close(&mut self) -> Result<(), JobError> {
        self.0.close()?;
        self.1.close()
    }
}

impl<In: 'static, P: Pipe<In>> ChainBuilder<In, P> {
    /// Sends every record down two branches (Flink chains several consumers of one
    /// operator; each gets its own copy of the record).
    pub fn split<A, B>(
        self,
        a: impl FnOnce(ChainBuilder<P::Out, Identity>) -> A,
        b: impl FnOnce(ChainBuilder<P::Out, Identity>) -> B,
    ) -> Branch<In, P, TeeTail<A, B>>
    where
        P::Out: Clone + Send + 'static,
        A: Tail<P::Out>,
        B: Tail<P::Out>,
    {
        let tail = TeeTail(a(ChainBuilder::new()), b(ChainBuilder::new()));
        self.end(tail)
    }
}
