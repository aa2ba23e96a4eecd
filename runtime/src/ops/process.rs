//! `process`: a function with a collector, free to emit any number of records. On a keyed
//! stream it also sees the current key (see [`keyed_process`](super::keyed_process)).
//!
//! ```
//! use rill::prelude::*;
//! #[rill::job(no_main)]
//! fn tagged(env: &mut Env) {
//!     env.from_elements([1, 2, 3])
//!         .process(|n, _ctx, out| {
//!             if n != 2 {
//!                 out.collect(format!("n={n}"));
//!             }
//!         })
//!         .print();
//! }
//!
//! TAGGED_JOB.run(Some(1), &[]).unwrap();
//! ```

use crate::core::collector::{send_buffered, Collector, Output};
use crate::core::element::{Timestamp, NO_TIMESTAMP};
use crate::core::panic_scope;
use crate::core::pipe::{ChainBuilder, Pipe, Stage, Then};

/// What a process function sees besides the record.
pub struct Context<'a, K = ()> {
    pub(crate) timestamp: Timestamp,
    pub(crate) key: &'a K,
}

impl<K> Context<'_, K> {
    /// The record's event timestamp, if one was assigned upstream.
    pub fn timestamp(&self) -> Option<Timestamp> {
        (self.timestamp != NO_TIMESTAMP).then_some(self.timestamp)
    }

    /// The key of the record (on a keyed stream; `()` otherwise).
    pub fn current_key(&self) -> &K {
        self.key
    }
}

/// The stage of `process` on a plain stream.
pub struct ProcessStage<F, O> {
    id: u32,
    f: F,
    _out: std::marker::PhantomData<fn() -> O>,
}

impl<F: Clone, O> Clone for ProcessStage<F, O> {
    fn clone(&self) -> Self {
        ProcessStage { id: self.id, f: self.f.clone(), _out: std::marker::PhantomData }
    }
}

/// `process` on a plain stream, in a running chain.
pub struct ProcessOp<F, O, C> {
    id: u32,
    f: F,
    buffer: Vec<(O, Timestamp)>,
    next: C,
}

impl<In, O, F> Stage<In> for ProcessStage<F, O>
where
    F: FnMut(In, &Context<'_>, &mut Output<'_, O>) + Clone + Send + 'static,
    O: Send + 'static,
{
    type Out = O;
    fn wrap<C: Collector<O>>(self, next: C) -> impl Collector<In> {
        ProcessOp { id: self.id, f: self.f, buffer: Vec::new(), next }
    }
}

impl<In, O, F, C> Collector<In> for ProcessOp<F, O, C>
where
    F: FnMut(In, &Context<'_>, &mut Output<'_, O>) + Send,
    O: Send,
    C: Collector<O>,
{
    #[inline]
    fn collect(&mut self, value: In, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        let ctx = Context { timestamp, key: &() };
        (self.f)(value, &ctx, &mut Output { buffer: &mut self.buffer, timestamp });
        send_buffered(&mut self.buffer, &mut self.next);
    }
    crate::forward_lifecycle!(next);
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In: 'static, P: Pipe<In>> ChainBuilder<In, P> {
    /// Calls `f(record, ctx, out)` for each record; `f` emits with `out.collect(..)`
    /// (Flink's `ProcessFunction`).
    pub fn process<O, F>(self, id: u32, f: F) -> ChainBuilder<In, Then<P, ProcessStage<F, O>>>
    where
        F: FnMut(P::Out, &Context<'_>, &mut Output<'_, O>) + Clone + Send + 'static,
        O: Send + 'static,
    {
        self.then(ProcessStage { id, f, _out: std::marker::PhantomData })
    }
}
