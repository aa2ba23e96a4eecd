//! `process` on a keyed stream: the function also sees the current key.
//!
//! ```
//! use rill::prelude::*;
//! #[rill::job]
//! fn keyed(env: &mut Env) {
//!     env.from_elements([("a", 1), ("b", 2)])
//!         .key_by(|(k, _)| k.to_string())
//!         .process(|(_, n), ctx, out| out.collect(format!("{}:{n}", ctx.current_key())))
//!         .print();
//! }
//! ```

use crate::collector::{Collector, Output};
use crate::element::Timestamp;
use crate::ops::process::Context;
use crate::panic_scope;
use crate::pipe::{ChainBuilder, Pipe, Stage, Then};

pub struct KeyedProcessStage<KF, F, O> {
    id: u32,
    key: KF,
    f: F,
    _out: std::marker::PhantomData<fn() -> O>,
}

impl<KF: Clone, F: Clone, O> Clone for KeyedProcessStage<KF, F, O> {
    fn clone(&self) -> Self {
        KeyedProcessStage { id: self.id, key: self.key.clone(), f: self.f.clone(), _out: std::marker::PhantomData }
    }
}

pub struct KeyedProcessOp<KF, F, O, C> {
    id: u32,
    key: KF,
    f: F,
    buffer: Vec<(O, Timestamp)>,
    next: C,
}

impl<In, K, O, KF, F> Stage<In> for KeyedProcessStage<KF, F, O>
where
    KF: FnMut(&In) -> K + Clone + Send + 'static,
    F: FnMut(In, &Context<'_, K>, &mut Output<'_, O>) + Clone + Send + 'static,
    O: Send + 'static,
{
    type Out = O;
    fn wrap<C: Collector<O>>(self, next: C) -> impl Collector<In> {
        KeyedProcessOp { id: self.id, key: self.key, f: self.f, buffer: Vec::new(), next }
    }
}

impl<In, K, O, KF, F, C> Collector<In> for KeyedProcessOp<KF, F, O, C>
where
    KF: FnMut(&In) -> K + Send,
    F: FnMut(In, &Context<'_, K>, &mut Output<'_, O>) + Send,
    O: Send,
    C: Collector<O>,
{
    #[inline]
    fn collect(&mut self, value: In, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        let key = (self.key)(&value);
        let ctx = Context { timestamp, key: &key };
        (self.f)(value, &ctx, &mut Output { buffer: &mut self.buffer, timestamp });
        for (out, ts) in self.buffer.drain(..) {
            self.next.collect(out, ts);
        }
    }
    crate::forward_lifecycle!(next);
}

impl<In: 'static, P: Pipe<In>> ChainBuilder<In, P> {
    /// `process` on a keyed stream (Flink's `KeyedProcessFunction`).
    #[allow(clippy::type_complexity)]
    pub fn keyed_process<K, O, KF, F>(
        self,
        id: u32,
        key: KF,
        f: F,
    ) -> ChainBuilder<In, Then<P, KeyedProcessStage<KF, F, O>>>
    where
        KF: FnMut(&P::Out) -> K + Clone + Send + 'static,
        F: FnMut(P::Out, &Context<'_, K>, &mut Output<'_, O>) + Clone + Send + 'static,
        O: Send + 'static,
    {
        self.then(KeyedProcessStage { id, key, f, _out: std::marker::PhantomData })
    }
}
