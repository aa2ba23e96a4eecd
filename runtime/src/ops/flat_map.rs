//! `flat_map`: one record in, any number out, in Flink's collector form or as an iterator.
//!
//! Flink's `FlatMapFunction` form: a closure of the record and an [`Output`] to collect
//! into. Nothing is allocated per record (the output's buffer is the operator's, reused):
//!
//! ```
//! use rill::prelude::*;
//! #[rill::job(no_main)]
//! fn words(env: &mut Env) {
//!     env.from_elements(["to be", "or not"])
//!         .flat_map(|line, out| {
//!             for word in line.split(' ') {
//!                 out.collect(word.to_owned())
//!             }
//!         })
//!         .print();
//! }
//!
//! WORDS_JOB.run(Some(1), &[]).unwrap();
//! ```
//!
//! Or a function of the record that returns anything `IntoIterator` (an `Option`, a
//! `Vec`, an iterator that borrows nothing from the record), which the operator drains:
//!
//! ```
//! use rill::prelude::*;
//! #[rill::job(no_main)]
//! fn evens(env: &mut Env) {
//!     env.from_elements([1, 2, 3, 4]).flat_map(|n| (n % 2 == 0).then_some(n * 10)).print();
//! }
//!
//! EVENS_JOB.run(Some(1), &[]).unwrap();
//! ```
//!
//! The compiler tells the forms apart by the closure's parameters (two: the collector
//! form); a named function is taken as the iterator form.

use crate::core::collector::{send_buffered, Collector, Output};
use crate::core::element::Timestamp;
use crate::core::panic_scope;
use crate::core::pipe::{ChainBuilder, Pipe, Stage, Then};
use std::marker::PhantomData;

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

/// The stage of `flat_map` in the collector form.
pub struct FlatMapCollectStage<F, O> {
    id: u32,
    f: F,
    _out: PhantomData<fn() -> O>,
}

impl<F: Clone, O> Clone for FlatMapCollectStage<F, O> {
    fn clone(&self) -> Self {
        FlatMapCollectStage { id: self.id, f: self.f.clone(), _out: PhantomData }
    }
}

/// `flat_map` in the collector form, in a running chain: what the function collects is
/// buffered (a `Vec` kept from record to record) and sent on when it returns, so the
/// function's type does not depend on what follows it.
pub struct FlatMapCollectOp<F, O, C> {
    id: u32,
    f: F,
    buffer: Vec<(O, Timestamp)>,
    next: C,
}

impl<In, O, F> Stage<In> for FlatMapCollectStage<F, O>
where
    F: FnMut(In, &mut Output<'_, O>) + Clone + Send + 'static,
    O: Send + 'static,
{
    type Out = O;
    fn wrap<C: Collector<O>>(self, next: C) -> impl Collector<In> {
        FlatMapCollectOp { id: self.id, f: self.f, buffer: Vec::new(), next }
    }
}

impl<In, O, F, C> Collector<In> for FlatMapCollectOp<F, O, C>
where
    F: FnMut(In, &mut Output<'_, O>) + Send,
    O: Send,
    C: Collector<O>,
{
    #[inline]
    fn collect(&mut self, value: In, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        (self.f)(value, &mut Output { buffer: &mut self.buffer, timestamp });
        send_buffered(&mut self.buffer, &mut self.next);
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

    /// Flink's `flatMap(value, out)`: the function collects any number of records.
    pub fn flat_map_collect<O, F>(self, id: u32, f: F) -> ChainBuilder<In, Then<P, FlatMapCollectStage<F, O>>>
    where
        F: FnMut(P::Out, &mut Output<'_, O>) + Clone + Send + 'static,
        O: Send + 'static,
    {
        self.then(FlatMapCollectStage { id, f, _out: PhantomData })
    }
}
