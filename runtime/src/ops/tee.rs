//! Fan-out inside a chain: one operator, two chained consumers.

use crate::collector::{BlockedSend, Collector};
use crate::element::{Control, Timestamp};
use crate::error::JobError;
use crate::pipe::Tail;
use crate::runtime_context::RuntimeContext;

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
