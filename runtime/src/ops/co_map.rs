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
//!
//! `co_flat_map` takes Flink's collector form (closures of the record and an [`Output`]) or
//! functions that return iterables:
//!
//! ```
//! use rill::prelude::*;
//! #[rill::job(no_main)]
//! fn words_and_numbers(env: &mut Env) {
//!     let numbers = env.from_sequence(1, 2);
//!     let lines = env.from_elements(["a b", "c"]);
//!     lines
//!         .connect(numbers)
//!         .co_flat_map(
//!             |line, out| {
//!                 for w in line.split(' ') {
//!                     out.collect(w.to_owned())
//!                 }
//!             },
//!             |n, out| out.collect(n.to_string()),
//!         )
//!         .print();
//! }
//!
//! WORDS_AND_NUMBERS_JOB.run(Some(1), &[]).unwrap();
//! ```

use crate::core::collector::{send_buffered, Collector, Output};
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

    /// `co_flat_map(|a, out| .., |b, out| ..)`: Flink's collector form.
    pub fn co_flat_map_collect<O, F1, F2>(self, id: u32, f1: F1, f2: F2) -> Headed<A, B, CoFlatMapCollect<F1, F2, O>>
    where
        F1: FnMut(A, &mut Output<'_, O>) + Clone + Send + 'static,
        F2: FnMut(B, &mut Output<'_, O>) + Clone + Send + 'static,
        O: Send + 'static,
    {
        Headed::new(CoFlatMapCollect { id, f1, f2, _out: std::marker::PhantomData })
    }
}

/// The stage of `co_flat_map` in the collector form.
pub struct CoFlatMapCollect<F1, F2, O> {
    id: u32,
    f1: F1,
    f2: F2,
    _out: std::marker::PhantomData<fn() -> O>,
}

impl<F1: Clone, F2: Clone, O> Clone for CoFlatMapCollect<F1, F2, O> {
    fn clone(&self) -> Self {
        CoFlatMapCollect { id: self.id, f1: self.f1.clone(), f2: self.f2.clone(), _out: std::marker::PhantomData }
    }
}

/// `co_flat_map` in the collector form, in a running chain: what either function collects
/// is buffered and sent on when it returns.
pub struct CoFlatMapCollectOp<F1, F2, O, C> {
    id: u32,
    f1: F1,
    f2: F2,
    buffer: Vec<(O, Timestamp)>,
    next: C,
}

impl<A, B, O, F1, F2> TwoInputStage<A, B> for CoFlatMapCollect<F1, F2, O>
where
    F1: FnMut(A, &mut Output<'_, O>) + Clone + Send + 'static,
    F2: FnMut(B, &mut Output<'_, O>) + Clone + Send + 'static,
    O: Send + 'static,
{
    type Out = O;
    fn wrap<C: Collector<O>>(self, next: C) -> impl TwoInputCollector<A, B> {
        CoFlatMapCollectOp { id: self.id, f1: self.f1, f2: self.f2, buffer: Vec::new(), next }
    }
}

impl<A, B, O, F1, F2, C> TwoInputCollector<A, B> for CoFlatMapCollectOp<F1, F2, O, C>
where
    F1: FnMut(A, &mut Output<'_, O>) + Send,
    F2: FnMut(B, &mut Output<'_, O>) + Send,
    O: Send,
    C: Collector<O>,
{
    fn collect1(&mut self, value: A, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        (self.f1)(value, &mut Output { buffer: &mut self.buffer, timestamp });
        send_buffered(&mut self.buffer, &mut self.next);
    }
    fn collect2(&mut self, value: B, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        (self.f2)(value, &mut Output { buffer: &mut self.buffer, timestamp });
        send_buffered(&mut self.buffer, &mut self.next);
    }
    crate::forward_lifecycle!(next);
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
