//! Fan-out inside a chain: one operator, two chained consumers.

use crate::core::collector::Collector;
use crate::core::element::Timestamp;
use crate::core::pipe::{Branch, ChainBuilder, Identity, Pipe, Tail};

/// The template of two chained consumers of one operator.
#[derive(Clone)]
pub struct TeeTail<A, B>(pub A, pub B);

impl<T: Clone + Send + 'static, A: Tail<T>, B: Tail<T>> Tail<T> for TeeTail<A, B> {
    fn build(self) -> impl Collector<T> {
        Tee(self.0.build(), self.1.build())
    }
}

/// Two chained consumers of one operator, in a running chain.
pub struct Tee<A, B>(A, B);

impl<T: Clone, A: Collector<T>, B: Collector<T>> Collector<T> for Tee<A, B> {
    #[inline]
    fn collect(&mut self, value: T, timestamp: Timestamp) {
        self.0.collect(value.clone(), timestamp);
        self.1.collect(value, timestamp);
    }
    crate::forward_lifecycle!(0, 1);
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
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
