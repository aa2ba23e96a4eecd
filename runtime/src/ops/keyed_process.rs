//! `process` on a keyed stream (Flink's `KeyedProcessFunction`): the function sees the
//! current key, its keyed state, and a timer service; timers call back `on_timer` for their
//! key. A closure `|record, ctx, out| ..` is a process function without timers; a type that
//! implements [`KeyedProcessFunction`] can have both.
//!
//! ```
//! use rill::prelude::*;
//! #[rill::job(no_main)]
//! fn keyed(env: &mut Env) {
//!     env.from_elements([("a", 1), ("b", 2)])
//!         .key_by(|(k, _)| k.to_string())
//!         .process(|(_, n), ctx, out| out.collect(format!("{}:{n}", ctx.current_key())))
//!         .print();
//! }
//!
//! KEYED_JOB.run(Some(1), &[]).unwrap();
//! ```

use crate::api::codec::Codec;
use crate::core::collector::{Collector, Output};
use crate::core::element::Timestamp;
use crate::core::pipe::{ChainBuilder, Pipe, Stage, Then};
use crate::core::side_output::{SideTemplates, WritesSideOutputs};
use crate::state::context::KeyedContext;
pub use crate::state::context::TimeDomain;
use crate::state::key_selector::{KeyFor, KeySelector};
use crate::state::keyed_core::{keyed_lifecycle, KeyedCore};
use std::hash::Hash;
use std::marker::PhantomData;

/// A keyed process function with timers (Flink's `KeyedProcessFunction`).
pub trait KeyedProcessFunction<K, I>: Clone + Send + 'static {
    /// What the function emits.
    type Out;
    /// A record, with its key's state and timers.
    fn process_element(&mut self, value: I, ctx: &mut KeyedContext<'_, K>, out: &mut Output<'_, Self::Out>);
    /// A timer of this key fired (`ctx.timestamp()` is its time in event time).
    fn on_timer(&mut self, _time: Timestamp, _ctx: &mut KeyedContext<'_, K>, _out: &mut Output<'_, Self::Out>) {}
}

/// A closure as a keyed process function without timers.
pub struct ProcessWith<F, O>(F, PhantomData<fn() -> O>);

impl<F: Clone, O> Clone for ProcessWith<F, O> {
    fn clone(&self) -> Self {
        ProcessWith(self.0.clone(), PhantomData)
    }
}

impl<K, I, O, F> KeyedProcessFunction<K, I> for ProcessWith<F, O>
where
    F: FnMut(I, &mut KeyedContext<'_, K>, &mut Output<'_, O>) + Clone + Send + 'static,
    O: 'static,
{
    type Out = O;
    #[inline]
    fn process_element(&mut self, value: I, ctx: &mut KeyedContext<'_, K>, out: &mut Output<'_, O>) {
        (self.0)(value, ctx, out)
    }
}

/// The stage of a keyed process function.
#[derive(Clone)]
pub struct KeyedProcessStage<KF, F> {
    id: u32,
    key: KF,
    f: F,
    sides: SideTemplates,
}

/// A keyed process function in a running chain.
pub struct KeyedProcessOp<KF, F, K, O, C> {
    key: KF,
    f: F,
    core: KeyedCore<K, O>,
    next: C,
}

impl<In, K, KF, F> Stage<In> for KeyedProcessStage<KF, F>
where
    KF: KeySelector<In, Key = K>,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    F: KeyedProcessFunction<K, In>,
    F::Out: Send + 'static,
{
    type Out = F::Out;
    fn wrap<C: Collector<F::Out>>(self, next: C) -> impl Collector<In> {
        KeyedProcessOp { key: self.key, f: self.f, core: KeyedCore::new(self.id, self.sides.build()), next }
    }
}

impl<In, K, O, KF, F, C> Collector<In> for KeyedProcessOp<KF, F, K, O, C>
where
    KF: KeySelector<In, Key = K>,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    F: KeyedProcessFunction<K, In, Out = O>,
    O: Send,
    C: Collector<O>,
{
    #[inline]
    fn collect(&mut self, value: In, timestamp: Timestamp) {
        let key = self.key.key(&value).into_owned();
        let f = &mut self.f;
        self.core.process(&key, timestamp, &mut self.next, |ctx, out| f.process_element(value, ctx, out));
    }

    keyed_lifecycle!(|f, time, ctx, out| <F as KeyedProcessFunction<K, In>>::on_timer(f, time, ctx, out));
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In: 'static, P: Pipe<In>> ChainBuilder<In, P> {
    /// `process(|record, ctx, out| ..)` on a keyed stream.
    #[allow(clippy::type_complexity)]
    pub fn keyed_process<K, O, KF, F>(
        self,
        id: u32,
        key: impl FnOnce(KeyFor<P::Out>) -> KF,
        f: F,
    ) -> ChainBuilder<In, Then<P, KeyedProcessStage<KF, ProcessWith<F, O>>>>
    where
        KF: KeySelector<P::Out, Key = K>,
        K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
        F: FnMut(P::Out, &mut KeyedContext<'_, K>, &mut Output<'_, O>) + Clone + Send + 'static,
        O: Send + 'static,
    {
        self.then(KeyedProcessStage {
            id,
            key: KeyFor::select(key),
            f: ProcessWith(f, PhantomData),
            sides: SideTemplates::default(),
        })
    }

    /// `process(function)` on a keyed stream, with a [`KeyedProcessFunction`] (timers).
    pub fn keyed_process_fn<K, KF, F>(
        self,
        id: u32,
        key: impl FnOnce(KeyFor<P::Out>) -> KF,
        f: F,
    ) -> ChainBuilder<In, Then<P, KeyedProcessStage<KF, F>>>
    where
        KF: KeySelector<P::Out, Key = K>,
        K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
        F: KeyedProcessFunction<K, P::Out>,
        F::Out: Send + 'static,
    {
        self.then(KeyedProcessStage { id, key: KeyFor::select(key), f, sides: SideTemplates::default() })
    }
}

impl<KF, F> WritesSideOutputs for KeyedProcessStage<KF, F> {
    fn side_templates(&mut self) -> &mut SideTemplates {
        &mut self.sides
    }
}
