//! `filter`: keeps the records for which the predicate holds.
//!
//! ```
//! use rill::prelude::*;
//! #[rill::job(no_main)]
//! fn evens(env: &mut Env) {
//!     env.from_sequence(1, 10).filter(|n| n % 2 == 0).print();
//! }
//!
//! EVENS_JOB.run(Some(1), &[]).unwrap();
//! ```

use crate::core::collector::Collector;
use crate::core::element::Timestamp;
use crate::core::panic_scope;
use crate::core::pipe::{ChainBuilder, Pipe, Stage, Then};

/// The stage of `filter`.
#[derive(Clone)]
pub struct FilterStage<F> {
    id: u32,
    f: F,
}

/// `filter` in a running chain.
pub struct FilterOp<F, C> {
    id: u32,
    f: F,
    next: C,
}

impl<T, F> Stage<T> for FilterStage<F>
where
    F: FnMut(&T) -> bool + Clone + Send + 'static,
{
    type Out = T;
    fn wrap<C: Collector<T>>(self, next: C) -> impl Collector<T> {
        FilterOp { id: self.id, f: self.f, next }
    }
}

impl<T, F: FnMut(&T) -> bool + Send, C: Collector<T>> Collector<T> for FilterOp<F, C> {
    #[inline]
    fn collect(&mut self, value: T, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        if (self.f)(&value) {
            self.next.collect(value, timestamp);
        }
    }
    crate::forward_lifecycle!(next);
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In: 'static, P: Pipe<In>> ChainBuilder<In, P> {
    /// Keeps the records for which `f` returns true (Flink's `filter`).
    pub fn filter<F>(self, id: u32, f: F) -> ChainBuilder<In, Then<P, FilterStage<F>>>
    where
        F: FnMut(&P::Out) -> bool + Clone + Send + 'static,
    {
        self.then(FilterStage { id, f })
    }
}
