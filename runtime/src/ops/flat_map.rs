//! `flat_map`: one record in, any number out (anything that is `IntoIterator`).
//!
//! ```
//! use rill::prelude::*;
//! #[rill::job(no_main)]
//! fn words(env: &mut Env) {
//!     env.from_elements(["to be", "or not"])
//!         .flat_map(|line| line.split(' ').map(str::to_owned).collect::<Vec<_>>())
//!         .print();
//! }
//!
//! WORDS_JOB.run(Some(1), &[]).unwrap();
//! ```

use crate::core::collector::Collector;
use crate::core::element::Timestamp;
use crate::core::panic_scope;
use crate::core::pipe::{ChainBuilder, Pipe, Stage, Then};

/// The stage of `flat_map`.
#[derive(Clone)]
pub struct FlatMapStage<F> {
    id: u32,
    f: F,
}

/// `flat_map` in a running chain.
pub struct FlatMapOp<F, C> {
    id: u32,
    f: F,
    next: C,
}

impl<In, I, F> Stage<In> for FlatMapStage<F>
where
    F: FnMut(In) -> I + Clone + Send + 'static,
    I: IntoIterator,
{
    type Out = I::Item;
    fn wrap<C: Collector<I::Item>>(self, next: C) -> impl Collector<In> {
        FlatMapOp { id: self.id, f: self.f, next }
    }
}

impl<In, I, F, C> Collector<In> for FlatMapOp<F, C>
where
    F: FnMut(In) -> I + Send,
    I: IntoIterator,
    C: Collector<I::Item>,
{
    #[inline]
    fn collect(&mut self, value: In, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        // The iterator may run user code lazily: mark the operator again after each record
        // went downstream, where another operator may have marked itself.
        let (id, next) = (self.id, &mut self.next);
        (self.f)(value).into_iter().for_each(|item| {
            next.collect(item, timestamp);
            panic_scope::enter(id);
        });
    }
    crate::forward_lifecycle!(next);
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In: 'static, P: Pipe<In>> ChainBuilder<In, P> {
    /// Transforms each record into zero or more records (Flink's `flatMap`).
    pub fn flat_map<I, F>(self, id: u32, f: F) -> ChainBuilder<In, Then<P, FlatMapStage<F>>>
    where
        F: FnMut(P::Out) -> I + Clone + Send + 'static,
        I: IntoIterator,
    {
        self.then(FlatMapStage { id, f })
    }
}
