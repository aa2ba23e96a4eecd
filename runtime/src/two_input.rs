//! Two-input operators: `a.connect(b)` followed by `co_map`, `co_flat_map`, or, keyed with
//! `key_by(key_a, key_b)`, `process` with a [`KeyedCoProcessFunction`] (Flink's
//! `ConnectedStreams`). Such an operator heads its chain; what follows it is fused as usual.
//!
//! ```
//! use rill::prelude::*;
//! #[rill::job]
//! fn both(env: &mut Env) {
//!     let numbers = env.from_sequence(1, 3);
//!     let words = env.from_elements(["a", "b"]);
//!     numbers.connect(words).co_map(|n| n.to_string(), |w| w.to_uppercase()).print();
//! }
//! ```

use crate::broadcast_state::{BroadcastState, BroadcastStore};
use crate::collector::{BlockedSend, Collector, Output};
use crate::element::{Control, Timestamp};
use crate::error::JobError;
use crate::exchange::InputPort;
use crate::ops::keyed_process::{KeyedContext, TimeDomain};
use crate::panic_scope;
use crate::pipe::{ChainBuilder, Identity, Tail};
use crate::runtime_context::RuntimeContext;
use crate::side_output::SideOutputs;
use crate::state::StateStore;
use crate::timers::Timers;
use std::hash::Hash;
use std::marker::PhantomData;

/// An operator with two inputs of types `A` and `B`.
pub trait TwoInputCollector<A, B>: Send {
    fn collect1(&mut self, value: A, timestamp: Timestamp);
    fn collect2(&mut self, value: B, timestamp: Timestamp);
    fn on_control(&mut self, control: Control);
    fn open(&mut self, ctx: &mut RuntimeContext<'_>) -> Result<(), JobError>;
    fn on_processing_time(&mut self, now: Timestamp);
    fn flush(&mut self);
    fn take_blocked(&mut self, blocked: &mut Vec<BlockedSend>);
    fn close(&mut self) -> Result<(), JobError>;
}

/// A two-input chain, before it runs: cloned per subtask, then built.
pub trait TwoInputTail<A, B>: Clone + Send + 'static {
    fn build(self) -> impl TwoInputCollector<A, B>;
}

/// How a two-input operator is made, once what follows it is known.
pub trait TwoInputStage<A, B>: Clone + Send + 'static {
    type Out;
    fn wrap<C: Collector<Self::Out>>(self, next: C) -> impl TwoInputCollector<A, B>;
}

/// The start of a two-input chain.
pub struct TwoInput<A, B>(PhantomData<fn(A, B)>);

impl<A: Send + 'static, B: Send + 'static> TwoInput<A, B> {
    pub fn of(_first: &InputPort<A>, _second: &InputPort<B>) -> Self {
        TwoInput(PhantomData)
    }

    /// `co_map(f1, f2)`: one output per record of either input.
    pub fn co_map<O, F1, F2>(self, id: u32, f1: F1, f2: F2) -> Headed<A, B, CoMap<F1, F2>>
    where
        F1: FnMut(A) -> O + Clone + Send + 'static,
        F2: FnMut(B) -> O + Clone + Send + 'static,
    {
        Headed(CoMap { id, f1, f2 }, PhantomData)
    }

    /// `co_flat_map(f1, f2)`: any number of outputs per record of either input.
    pub fn co_flat_map<I1, I2, F1, F2>(self, id: u32, f1: F1, f2: F2) -> Headed<A, B, CoFlatMap<F1, F2>>
    where
        F1: FnMut(A) -> I1 + Clone + Send + 'static,
        F2: FnMut(B) -> I2 + Clone + Send + 'static,
        I1: IntoIterator,
        I2: IntoIterator<Item = I1::Item>,
    {
        Headed(CoFlatMap { id, f1, f2 }, PhantomData)
    }

    /// `keyed.connect(rules.broadcast(&STATE)).process(f)`: keyed records with a broadcast
    /// state that the second input's records write.
    pub fn keyed_broadcast_process<K, K1, F>(self, id: u32, key: K1, f: F) -> Headed<A, B, KeyedBroadcastProcess<K1, F>>
    where
        K1: FnMut(&A) -> K + Clone + Send + 'static,
        K: Hash + Eq + Clone + Send + 'static,
        F: KeyedBroadcastProcessFunction<K, A, B>,
    {
        Headed(KeyedBroadcastProcess { id, key, f }, PhantomData)
    }

    /// `key_by(k1, k2).process(f)`: a keyed co-process function, with state and timers.
    pub fn keyed_co_process<K, K1, K2, F>(
        self,
        id: u32,
        key1: K1,
        key2: K2,
        f: F,
    ) -> Headed<A, B, KeyedCoProcess<K1, K2, F>>
    where
        K1: FnMut(&A) -> K + Clone + Send + 'static,
        K2: FnMut(&B) -> K + Clone + Send + 'static,
        K: Hash + Eq + Clone + Send + 'static,
        F: KeyedCoProcessFunction<K, A, B>,
    {
        Headed(KeyedCoProcess { id, key1, key2, f }, PhantomData)
    }
}

/// A two-input operator waiting for what follows it.
pub struct Headed<A, B, H>(H, PhantomData<fn(A, B)>);

impl<A, B, H> Headed<A, B, H> {
    pub(crate) fn new(head: H) -> Self {
        Headed(head, PhantomData)
    }
}

impl<A: Send + 'static, B: Send + 'static, H: TwoInputStage<A, B>> Headed<A, B, H> {
    /// The rest of the chain, built on the operator's output type.
    pub fn chain<K: Tail<H::Out>>(
        self,
        rest: impl FnOnce(ChainBuilder<H::Out, Identity>) -> K,
    ) -> TwoInputBranch<A, B, H, K> {
        TwoInputBranch { head: self.0, tail: rest(ChainBuilder::new()), _t: PhantomData }
    }
}

/// A whole two-input chain template.
pub struct TwoInputBranch<A, B, H, K> {
    head: H,
    tail: K,
    _t: PhantomData<fn(A, B)>,
}

impl<A, B, H: Clone, K: Clone> Clone for TwoInputBranch<A, B, H, K> {
    fn clone(&self) -> Self {
        TwoInputBranch { head: self.head.clone(), tail: self.tail.clone(), _t: PhantomData }
    }
}

impl<A: Send + 'static, B: Send + 'static, H: TwoInputStage<A, B>, K: Tail<H::Out>> TwoInputTail<A, B>
    for TwoInputBranch<A, B, H, K>
{
    fn build(self) -> impl TwoInputCollector<A, B> {
        self.head.wrap(self.tail.build())
    }
}

/// Forwards the lifecycle of a two-input operator to `next`.
macro_rules! two_input_lifecycle {
    () => {
        fn on_control(&mut self, control: Control) {
            self.next.on_control(control)
        }
        fn open(&mut self, ctx: &mut RuntimeContext<'_>) -> Result<(), JobError> {
            self.next.open(ctx)
        }
        fn on_processing_time(&mut self, now: Timestamp) {
            self.next.on_processing_time(now)
        }
        fn flush(&mut self) {
            self.next.flush()
        }
        fn take_blocked(&mut self, blocked: &mut Vec<BlockedSend>) {
            self.next.take_blocked(blocked)
        }
        fn close(&mut self) -> Result<(), JobError> {
            self.next.close()
        }
    };
}

#[derive(Clone)]
pub struct CoMap<F1, F2> {
    id: u32,
    f1: F1,
    f2: F2,
}

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
    two_input_lifecycle!();
}

#[derive(Clone)]
pub struct CoFlatMap<F1, F2> {
    id: u32,
    f1: F1,
    f2: F2,
}

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
    two_input_lifecycle!();
}

/// A function over two keyed inputs that share their key, with keyed state and timers
/// (Flink's `KeyedCoProcessFunction`).
pub trait KeyedCoProcessFunction<K, A, B>: Clone + Send + 'static {
    type Out: Send + 'static;
    fn process_element1(&mut self, value: A, ctx: &mut KeyedContext<'_, K>, out: &mut Output<'_, Self::Out>);
    fn process_element2(&mut self, value: B, ctx: &mut KeyedContext<'_, K>, out: &mut Output<'_, Self::Out>);
    fn on_timer(&mut self, _time: Timestamp, _ctx: &mut KeyedContext<'_, K>, _out: &mut Output<'_, Self::Out>) {}
}

#[derive(Clone)]
pub struct KeyedCoProcess<K1, K2, F> {
    id: u32,
    key1: K1,
    key2: K2,
    f: F,
}

pub struct KeyedCoProcessOp<K1, K2, F, K, O, C> {
    id: u32,
    key1: K1,
    key2: K2,
    f: F,
    state: StateStore<K>,
    timers: Timers<K>,
    watermark: Timestamp,
    clock: crate::time::Clock,
    side: SideOutputs,
    buffer: Vec<(O, Timestamp)>,
    next: C,
}

impl<A, B, K, K1, K2, F> TwoInputStage<A, B> for KeyedCoProcess<K1, K2, F>
where
    K1: FnMut(&A) -> K + Clone + Send + 'static,
    K2: FnMut(&B) -> K + Clone + Send + 'static,
    K: Hash + Eq + Clone + Send + 'static,
    F: KeyedCoProcessFunction<K, A, B>,
{
    type Out = F::Out;
    fn wrap<C: Collector<F::Out>>(self, next: C) -> impl TwoInputCollector<A, B> {
        KeyedCoProcessOp {
            id: self.id,
            key1: self.key1,
            key2: self.key2,
            f: self.f,
            state: StateStore::default(),
            timers: Timers::default(),
            watermark: i64::MIN,
            clock: crate::time::Clock::System,
            side: SideOutputs::default(),
            buffer: Vec::new(),
            next,
        }
    }
}

impl<K1, K2, F, K: Hash + Eq + Clone + Send + 'static, O, C: Collector<O>> KeyedCoProcessOp<K1, K2, F, K, O, C> {
    fn send(&mut self) {
        for (out, ts) in self.buffer.drain(..) {
            self.next.collect(out, ts);
        }
    }

    fn fire<A, B>(&mut self, domain: TimeDomain, now: Timestamp)
    where
        F: KeyedCoProcessFunction<K, A, B, Out = O>,
    {
        loop {
            let queue = match domain {
                TimeDomain::EventTime => &mut self.timers.event_time,
                TimeDomain::ProcessingTime => &mut self.timers.processing_time,
            };
            let Some((time, key)) = queue.pop_due(now) else { break };
            panic_scope::enter(self.id);
            let ts = if domain == TimeDomain::EventTime { time } else { crate::element::NO_TIMESTAMP };
            let mut ctx = KeyedContext::new(
                ts,
                &key,
                &mut self.state,
                &mut self.timers,
                self.watermark,
                Some(domain),
                &self.clock,
                &mut self.side,
            );
            self.f.on_timer(time, &mut ctx, &mut Output { buffer: &mut self.buffer, timestamp: ts });
            self.send();
        }
    }
}

impl<A, B, K, K1, K2, F, C> TwoInputCollector<A, B> for KeyedCoProcessOp<K1, K2, F, K, F::Out, C>
where
    K1: FnMut(&A) -> K + Send,
    K2: FnMut(&B) -> K + Send,
    K: Hash + Eq + Clone + Send + 'static,
    F: KeyedCoProcessFunction<K, A, B>,
    C: Collector<F::Out>,
{
    fn collect1(&mut self, value: A, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        let key = (self.key1)(&value);
        let mut ctx = KeyedContext::new(
            timestamp,
            &key,
            &mut self.state,
            &mut self.timers,
            self.watermark,
            None,
            &self.clock,
            &mut self.side,
        );
        self.f.process_element1(value, &mut ctx, &mut Output { buffer: &mut self.buffer, timestamp });
        self.send();
    }
    fn collect2(&mut self, value: B, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        let key = (self.key2)(&value);
        let mut ctx = KeyedContext::new(
            timestamp,
            &key,
            &mut self.state,
            &mut self.timers,
            self.watermark,
            None,
            &self.clock,
            &mut self.side,
        );
        self.f.process_element2(value, &mut ctx, &mut Output { buffer: &mut self.buffer, timestamp });
        self.send();
    }
    fn on_control(&mut self, control: Control) {
        if let Control::Watermark(w) = control {
            self.watermark = w;
            self.fire::<A, B>(TimeDomain::EventTime, w);
        }
        self.next.on_control(control);
    }
    fn open(&mut self, ctx: &mut RuntimeContext<'_>) -> Result<(), JobError> {
        self.clock = ctx.clock.clone();
        self.next.open(ctx)
    }
    fn on_processing_time(&mut self, now: Timestamp) {
        self.fire::<A, B>(TimeDomain::ProcessingTime, now);
        self.next.on_processing_time(now);
    }
    fn flush(&mut self) {
        self.next.flush()
    }
    fn take_blocked(&mut self, blocked: &mut Vec<BlockedSend>) {
        self.next.take_blocked(blocked)
    }
    fn close(&mut self) -> Result<(), JobError> {
        self.next.close()
    }
}

/// What `process_broadcast_element` sees: the broadcast state, writable.
pub struct BroadcastContext<'a> {
    timestamp: Timestamp,
    store: &'a mut BroadcastStore,
}

impl BroadcastContext<'_> {
    /// The broadcast record's event timestamp, if it has one.
    pub fn timestamp(&self) -> Option<Timestamp> {
        (self.timestamp != crate::element::NO_TIMESTAMP).then_some(self.timestamp)
    }

    /// The broadcast state `d`, to update: every subtask receives the same records, so
    /// every subtask's copy stays the same.
    pub fn broadcast_state<BK: Hash + Eq + Send + 'static, BV: Send + 'static>(
        &mut self,
        d: &BroadcastState<BK, BV>,
    ) -> &mut std::collections::HashMap<BK, BV> {
        self.store.get_mut(d)
    }
}

/// Keyed records processed with a broadcast state that a broadcast stream writes (Flink's
/// `KeyedBroadcastProcessFunction`): the way alert rules change while a job runs.
pub trait KeyedBroadcastProcessFunction<K, A, B>: Clone + Send + 'static {
    type Out: Send + 'static;
    /// A keyed record: keyed state, timers and the broadcast state (read-only).
    fn process_element(&mut self, value: A, ctx: &mut KeyedContext<'_, K>, out: &mut Output<'_, Self::Out>);
    /// A broadcast record: it may change the broadcast state.
    fn process_broadcast_element(&mut self, value: B, ctx: &mut BroadcastContext<'_>, out: &mut Output<'_, Self::Out>);
    fn on_timer(&mut self, _time: Timestamp, _ctx: &mut KeyedContext<'_, K>, _out: &mut Output<'_, Self::Out>) {}
}

#[derive(Clone)]
pub struct KeyedBroadcastProcess<K1, F> {
    id: u32,
    key: K1,
    f: F,
}

pub struct KeyedBroadcastProcessOp<K1, F, K, O, C> {
    id: u32,
    key: K1,
    f: F,
    state: StateStore<K>,
    timers: Timers<K>,
    broadcast: BroadcastStore,
    watermark: Timestamp,
    clock: crate::time::Clock,
    side: SideOutputs,
    buffer: Vec<(O, Timestamp)>,
    next: C,
}

impl<A, B, K, K1, F> TwoInputStage<A, B> for KeyedBroadcastProcess<K1, F>
where
    K1: FnMut(&A) -> K + Clone + Send + 'static,
    K: Hash + Eq + Clone + Send + 'static,
    F: KeyedBroadcastProcessFunction<K, A, B>,
{
    type Out = F::Out;
    fn wrap<C: Collector<F::Out>>(self, next: C) -> impl TwoInputCollector<A, B> {
        KeyedBroadcastProcessOp {
            id: self.id,
            key: self.key,
            f: self.f,
            state: StateStore::default(),
            timers: Timers::default(),
            broadcast: BroadcastStore::default(),
            watermark: i64::MIN,
            clock: crate::time::Clock::System,
            side: SideOutputs::default(),
            buffer: Vec::new(),
            next,
        }
    }
}

impl<K1, F, K: Hash + Eq + Clone + Send + 'static, O, C: Collector<O>> KeyedBroadcastProcessOp<K1, F, K, O, C> {
    fn send(&mut self) {
        for (out, ts) in self.buffer.drain(..) {
            self.next.collect(out, ts);
        }
    }

    fn fire<A, B>(&mut self, domain: TimeDomain, now: Timestamp)
    where
        F: KeyedBroadcastProcessFunction<K, A, B, Out = O>,
    {
        loop {
            let queue = match domain {
                TimeDomain::EventTime => &mut self.timers.event_time,
                TimeDomain::ProcessingTime => &mut self.timers.processing_time,
            };
            let Some((time, key)) = queue.pop_due(now) else { break };
            panic_scope::enter(self.id);
            let ts = if domain == TimeDomain::EventTime { time } else { crate::element::NO_TIMESTAMP };
            let mut ctx = KeyedContext::new(
                ts,
                &key,
                &mut self.state,
                &mut self.timers,
                self.watermark,
                Some(domain),
                &self.clock,
                &mut self.side,
            )
            .with_broadcast(&mut self.broadcast);
            self.f.on_timer(time, &mut ctx, &mut Output { buffer: &mut self.buffer, timestamp: ts });
            self.send();
        }
    }
}

impl<A, B, K, K1, F, C> TwoInputCollector<A, B> for KeyedBroadcastProcessOp<K1, F, K, F::Out, C>
where
    K1: FnMut(&A) -> K + Send,
    K: Hash + Eq + Clone + Send + 'static,
    F: KeyedBroadcastProcessFunction<K, A, B>,
    C: Collector<F::Out>,
{
    fn collect1(&mut self, value: A, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        let key = (self.key)(&value);
        let mut ctx = KeyedContext::new(
            timestamp,
            &key,
            &mut self.state,
            &mut self.timers,
            self.watermark,
            None,
            &self.clock,
            &mut self.side,
        )
        .with_broadcast(&mut self.broadcast);
        self.f.process_element(value, &mut ctx, &mut Output { buffer: &mut self.buffer, timestamp });
        self.send();
    }
    fn collect2(&mut self, value: B, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        let mut ctx = BroadcastContext { timestamp, store: &mut self.broadcast };
        self.f.process_broadcast_element(value, &mut ctx, &mut Output { buffer: &mut self.buffer, timestamp });
        self.send();
    }
    fn on_control(&mut self, control: Control) {
        if let Control::Watermark(w) = control {
            self.watermark = w;
            self.fire::<A, B>(TimeDomain::EventTime, w);
        }
        self.next.on_control(control);
    }
    fn open(&mut self, ctx: &mut RuntimeContext<'_>) -> Result<(), JobError> {
        self.clock = ctx.clock.clone();
        self.next.open(ctx)
    }
    fn on_processing_time(&mut self, now: Timestamp) {
        self.fire::<A, B>(TimeDomain::ProcessingTime, now);
        self.next.on_processing_time(now);
    }
    fn flush(&mut self) {
        self.next.flush()
    }
    fn take_blocked(&mut self, blocked: &mut Vec<BlockedSend>) {
        self.next.take_blocked(blocked)
    }
    fn close(&mut self) -> Result<(), JobError> {
        self.next.close()
    }
}
