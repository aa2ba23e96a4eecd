//! `a.connect(b).co_map(|a| out, |b| out)` and `co_flat_map(|a| iterable, |b| iterable)`:
//! a function per input, one output type (Flink's `CoMapFunction`, `CoFlatMapFunction`).
//!
//! ```
//! use rill::prelude::*;
//! #[rill::job(no_main)]
//! fn both(env: &mut Env) {
//!     let numbers = env.from_sequence(1, 3);
//!     let words = env.from_elements(["a", "b"]);
//!     numbers.connect(words).co_map(|n| n.to_string(), |w| w.to_uppercase()).print();
//! }
//!
//! BOTH_JOB.run(Some(1), &[]).unwrap();
//! ```

use crate::core::collector::Collector;
use crate::core::element::Timestamp;
use crate::core::panic_scope;
use crate::core::two_input::{Headed, TwoInput, TwoInputCollector, TwoInputStage};

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<A: Send + 'static, B: Send + 'static> TwoInput<A, B> {
    /// `co_map(f1, f2)`: one output per record of either input.
    pub fn co_map<O, F1, F2>(self, id: u32, f1: F1, f2: F2) -> Headed<A, B, CoMap<F1, F2>>
    where
        F1: FnMut(A) -> O + Clone + Send + 'static,
        F2: FnMut(B) -> O + Clone + Send + 'static,
    {
        Headed::new(CoMap { id, f1, f2 })
    }

    /// `co_flat_map(f1, f2)`: any number of outputs per record of either input.
    pub fn co_flat_map<I1, I2, F1, F2>(self, id: u32, f1: F1, f2: F2) -> Headed<A, B, CoFlatMap<F1, F2>>
    where
        F1: FnMut(A) -> I1 + Clone + Send + 'static,
        F2: FnMut(B) -> I2 + Clone + Send + 'static,
        I1: IntoIterator,
        I2: IntoIterator<Item = I1::Item>,
    {
        Headed::new(CoFlatMap { id, f1, f2 })
    }
}

/// The stage of `co_map`.
#[derive(Clone)]
pub struct CoMap<F1, F2> {
    id: u32,
    f1: F1,
    f2: F2,
}

/// `co_map` in a running chain.
pub struct CoMapOp<F1, F2, C> {
    id: u32,
    f1: F1,
    f2: F2,
    next: C,
}

impl<A, B, O, F1, F2> TwoInputStage<A, B> for CoMap<F1, F2>
where
    F1: FnMut(A) -> O + Clone + Send + 'static,
    F2: FnMut(B) -> O + Clone + Send + 'static,
{
    type Out = O;
    fn wrap<C: Collector<O>>(self, next: C) -> impl TwoInputCollector<A, B> {
        CoMapOp { id: self.id, f1: self.f1, f2: self.f2, next }
    }
}

impl<A, B, O, F1, F2, C> TwoInputCollector<A, B> for CoMapOp<F1, F2, C>
where
    F1: FnMut(A) -> O + Send,
    F2: FnMut(B) -> O + Send,
    C: Collector<O>,
{
    #[inline]
    fn collect1(&mut self, value: A, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        let out = (self.f1)(value);
        self.next.collect(out, timestamp);
    }
    #[inline]
    fn collect2(&mut self, value: B, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        let out = (self.f2)(value);
        self.next.collect(out, timestamp);
    }
    crate::forward_lifecycle!(next);
}

/// The stage of `co_flat_map`.
#[derive(Clone)]
pub struct CoFlatMap<F1, F2> {
    id: u32,
    f1: F1,
    f2: F2,
}

/// `co_flat_map` in a running chain.
pub struct CoFlatMapOp<F1, F2, C> {
    id: u32,
    f1: F1,
    f2: F2,
    next: C,
}

impl<A, B, I1, I2, F1, F2> TwoInputStage<A, B> for CoFlatMap<F1, F2>
where
    F1: FnMut(A) -> I1 + Clone + Send + 'static,
    F2: FnMut(B) -> I2 + Clone + Send + 'static,
    I1: IntoIterator,
    I2: IntoIterator<Item = I1::Item>,
{
    type Out = I1::Item;
    fn wrap<C: Collector<I1::Item>>(self, next: C) -> impl TwoInputCollector<A, B> {
        CoFlatMapOp { id: self.id, f1: self.f1, f2: self.f2, next }
    }
}

impl<A, B, I1, I2, F1, F2, C> TwoInputCollector<A, B> for CoFlatMapOp<F1, F2, C>
where
    F1: FnMut(A) -> I1 + Send,
    F2: FnMut(B) -> I2 + Send,
    I1: IntoIterator,
    I2: IntoIterator<Item = I1::Item>,
    C: Collector<I1::Item>,
{
    fn collect1(&mut self, value: A, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        for out in (self.f1)(value) {
            self.next.collect(out, timestamp);
            panic_scope::enter(self.id);
        }
    }
    fn collect2(&mut self, value: B, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        for out in (self.f2)(value) {
            self.next.collect(out, timestamp);
            panic_scope::enter(self.id);
        }
    }
    crate::forward_lifecycle!(next);
}
