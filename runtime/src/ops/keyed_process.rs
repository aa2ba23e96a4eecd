//! `process` on a keyed stream (Flink's `KeyedProcessFunction`): the function sees the
//! current key, its keyed state, and a timer service; timers call back `on_timer` for their
//! key. A closure `|record, ctx, out| ..` is a process function without timers; a type that
//! implements [`KeyedProcessFunction`] can have both.
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
use crate::element::{Timestamp, NO_TIMESTAMP};
use crate::ops::window::{AggregateFunction, OutputTag};
use crate::pipe::{ChainBuilder, Pipe, Stage, Then};
use crate::pipe::{Identity, Tail};
use crate::side_output::{SideOutputs, SideTemplates, TailTemplate};
use crate::state::keyed_core::{keyed_lifecycle, KeyedCore};
use crate::state::{self, StateStore};
use crate::timers::Timers;
use std::hash::Hash;
use std::marker::PhantomData;

/// Which clock a timer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeDomain {
    EventTime,
    ProcessingTime,
}

/// What a keyed process function sees besides the record.
pub struct KeyedContext<'a, K> {
    timestamp: Timestamp,
    key: &'a K,
    state: &'a mut StateStore<K>,
    timers: &'a mut Timers<K>,
    watermark: Timestamp,
    domain: Option<TimeDomain>,
    clock: &'a crate::time::Clock,
    side: &'a mut SideOutputs,
    /// Read-only broadcast state, in a keyed broadcast process function.
    broadcast: Option<&'a mut crate::broadcast_state::BroadcastStore>,
}

impl<'a, K> KeyedContext<'a, K> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        timestamp: Timestamp,
        key: &'a K,
        state: &'a mut StateStore<K>,
        timers: &'a mut Timers<K>,
        watermark: Timestamp,
        domain: Option<TimeDomain>,
        clock: &'a crate::time::Clock,
        side: &'a mut SideOutputs,
        broadcast: Option<&'a mut crate::broadcast_state::BroadcastStore>,
    ) -> Self {
        KeyedContext { timestamp, key, state, timers, watermark, domain, clock, side, broadcast }
    }
}

impl<'a, K: Hash + Eq + Clone + Send + 'static> KeyedContext<'a, K> {
    /// The record's (or the firing timer's) event timestamp, if it has one.
    pub fn timestamp(&self) -> Option<Timestamp> {
        (self.timestamp != NO_TIMESTAMP).then_some(self.timestamp)
    }

    /// The key of the record, or of the timer that fires.
    pub fn current_key(&self) -> &K {
        self.key
    }

    /// In `on_timer`: which clock fired the timer.
    pub fn time_domain(&self) -> Option<TimeDomain> {
        self.domain
    }

    /// The current event time of this operator (its input watermark).
    pub fn current_watermark(&self) -> Timestamp {
        self.watermark
    }

    /// Processing time now, from the job's clock.
    pub fn current_processing_time(&self) -> Timestamp {
        self.clock.now()
    }

    /// The broadcast state `d`, read-only (in a keyed broadcast process function; empty
    /// elsewhere).
    pub fn broadcast_state<BK: Hash + Eq + Send + 'static, BV: Send + 'static>(
        &mut self,
        d: &crate::broadcast_state::BroadcastState<BK, BV>,
    ) -> &std::collections::HashMap<BK, BV> {
        match self.broadcast.as_deref_mut() {
            Some(store) => store.get_mut(d),
            None => {
                panic!("broadcast state is read in a keyed broadcast process function (connect a broadcast stream)")
            }
        }
    }

    /// Sends `value` to the side output `tag` (read downstream with `side_output(&TAG)`),
    /// with the record's timestamp.
    pub fn output<V: 'static>(&mut self, tag: &OutputTag<V>, value: V) {
        self.side.emit(tag, value, self.timestamp);
    }

    /// Calls `on_timer` for this key once the watermark reaches `time`.
    pub fn register_event_time_timer(&mut self, time: Timestamp) {
        self.timers.event_time.register(time, self.key);
    }

    /// Calls `on_timer` for this key once processing time reaches `time`.
    pub fn register_processing_time_timer(&mut self, time: Timestamp) {
        self.timers.processing_time.register(time, self.key);
    }

    pub fn delete_event_time_timer(&mut self, time: Timestamp) {
        self.timers.event_time.delete(time, self.key);
    }

    pub fn delete_processing_time_timer(&mut self, time: Timestamp) {
        self.timers.processing_time.delete(time, self.key);
    }

    pub fn value<T: Send + 'static>(&mut self, d: &state::ValueState<T>) -> state::ValueHandle<'_, K, T> {
        state::value(self.state, self.key, d, self.clock)
    }

    pub fn list<T: Send + 'static>(&mut self, d: &state::ListState<T>) -> state::ListHandle<'_, K, T> {
        state::list(self.state, self.key, d, self.clock)
    }

    pub fn map<UK: Send + 'static, UV: Send + 'static>(
        &mut self,
        d: &state::MapState<UK, UV>,
    ) -> state::MapHandle<'_, K, UK, UV> {
        state::map(self.state, self.key, d, self.clock)
    }

    pub fn reducing<T: Send + 'static>(&mut self, d: &state::ReducingState<T>) -> state::ReducingHandle<'_, K, T> {
        state::reducing(self.state, self.key, d, self.clock)
    }

    pub fn aggregating<'s, A: AggregateFunction<I>, I>(
        &'s mut self,
        d: &'s state::AggregatingState<A>,
    ) -> state::AggregatingHandle<'s, K, A, I> {
        state::aggregating(self.state, self.key, d, self.clock)
    }
}

/// A keyed process function with timers (Flink's `KeyedProcessFunction`).
pub trait KeyedProcessFunction<K, I>: Clone + Send + 'static {
    type Out;
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

#[derive(Clone)]
pub struct KeyedProcessStage<KF, F> {
    id: u32,
    key: KF,
    f: F,
    sides: SideTemplates,
}

pub struct KeyedProcessOp<KF, F, K, O, C> {
    key: KF,
    f: F,
    core: KeyedCore<K, O>,
    next: C,
}

impl<In, K, KF, F> Stage<In> for KeyedProcessStage<KF, F>
where
    KF: FnMut(&In) -> K + Clone + Send + 'static,
    K: Hash + Eq + Clone + Send + 'static,
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
    KF: FnMut(&In) -> K + Send,
    K: Hash + Eq + Clone + Send + 'static,
    F: KeyedProcessFunction<K, In, Out = O>,
    O: Send,
    C: Collector<O>,
{
    #[inline]
    fn collect(&mut self, value: In, timestamp: Timestamp) {
        let key = (self.key)(&value);
        let f = &mut self.f;
        self.core.process(&key, timestamp, &mut self.next, |ctx, out| f.process_element(value, ctx, out));
    }

    keyed_lifecycle!(|f, time, ctx, out| <F as KeyedProcessFunction<K, In>>::on_timer(f, time, ctx, out));
}

impl<In: 'static, P: Pipe<In>> ChainBuilder<In, P> {
    /// `process(|record, ctx, out| ..)` on a keyed stream.
    #[allow(clippy::type_complexity)]
    pub fn keyed_process<K, O, KF, F>(
        self,
        id: u32,
        key: KF,
        f: F,
    ) -> ChainBuilder<In, Then<P, KeyedProcessStage<KF, ProcessWith<F, O>>>>
    where
        KF: FnMut(&P::Out) -> K + Clone + Send + 'static,
        K: Hash + Eq + Clone + Send + 'static,
        F: FnMut(P::Out, &mut KeyedContext<'_, K>, &mut Output<'_, O>) + Clone + Send + 'static,
        O: Send + 'static,
    {
        self.then(KeyedProcessStage { id, key, f: ProcessWith(f, PhantomData), sides: SideTemplates::default() })
    }

    /// `process(function)` on a keyed stream, with a [`KeyedProcessFunction`] (timers).
    pub fn keyed_process_fn<K, KF, F>(
        self,
        id: u32,
        key: KF,
        f: F,
    ) -> ChainBuilder<In, Then<P, KeyedProcessStage<KF, F>>>
    where
        KF: FnMut(&P::Out) -> K + Clone + Send + 'static,
        K: Hash + Eq + Clone + Send + 'static,
        F: KeyedProcessFunction<K, P::Out>,
        F::Out: Send + 'static,
    {
        self.then(KeyedProcessStage { id, key, f, sides: SideTemplates::default() })
    }
}

impl<In: 'static, P: Pipe<In>, KF, F> ChainBuilder<In, Then<P, KeyedProcessStage<KF, F>>> {
    /// Sends what the process function writes to `tag` down `branch`.
    pub fn side_output_to<V: Send + 'static, LT: Tail<V>>(
        mut self,
        tag: &OutputTag<V>,
        branch: impl FnOnce(ChainBuilder<V, Identity>) -> LT,
    ) -> Self {
        let tail = branch(ChainBuilder::new());
        self.pipe.1.sides.0.push(Box::new(TailTemplate { tag: tag.id(), tail, _v: PhantomData }));
        self
    }
}
