//! `a.connect(b).key_by(|a| key, |b| key).process(f)`: a function over two keyed inputs
//! that share their key, with keyed state and timers (Flink's `KeyedCoProcessFunction`). It
//! runs on the keyed-operator core.
//!
//! ```
//! use rill::prelude::*;
//!
//! /// Each key's orders and payments, matched as they meet.
//! #[derive(Clone)]
//! struct Match;
//! static ORDERED: ValueState<u32> = ValueState::new("ordered");
//!
//! impl KeyedCoProcessFunction<u32, u32, u32> for Match {
//!     type Out = String;
//!     fn process_element1(&mut self, order: u32, ctx: &mut KeyedContext<'_, u32>, _out: &mut Output<'_, String>) {
//!         ctx.value(&ORDERED).update(order);
//!     }
//!     fn process_element2(&mut self, paid: u32, ctx: &mut KeyedContext<'_, u32>, out: &mut Output<'_, String>) {
//!         if ctx.value(&ORDERED).get().is_some() {
//!             out.collect(format!("order {paid} paid"));
//!         }
//!     }
//! }
//!
//! #[rill::job(no_main)]
//! fn matched(env: &mut Env) {
//!     let payments = env.from_elements([1u32]);
//!     env.from_elements([1u32, 2]).connect(payments).key_by(|o| *o, |p| *p).process(Match).print();
//! }
//!
//! MATCHED_JOB.run(Some(1), &[]).unwrap();
//! ```
//!
//! Without `key_by`, `a.connect(b).process(f)` is Flink's `CoProcessFunction`: each record of
//! either input with its timestamp and the operator's watermark, no keyed state and no timers
//! (Flink refuses timers on non-keyed streams too). Either kind writes side outputs with
//! `ctx.output(&TAG, value)`.
//!
//! ```
//! use rill::prelude::*;
//!
//! /// Readings in one unit and the other, in one stream of Celsius.
//! #[derive(Clone)]
//! struct Celsius;
//!
//! impl CoProcessFunction<f64, f64> for Celsius {
//!     type Out = String;
//!     fn process_element1(&mut self, c: f64, _ctx: &mut CoContext<'_>, out: &mut Output<'_, String>) {
//!         out.collect(format!("{c:.1} C"));
//!     }
//!     fn process_element2(&mut self, f: f64, _ctx: &mut CoContext<'_>, out: &mut Output<'_, String>) {
//!         out.collect(format!("{:.1} C", (f - 32.0) * 5.0 / 9.0));
//!     }
//! }
//!
//! #[rill::job(no_main)]
//! fn readings(env: &mut Env) {
//!     let fahrenheit = env.from_elements([212.0]);
//!     env.from_elements([21.5]).connect(fahrenheit).process(Celsius).print();
//! }
//!
//! READINGS_JOB.run(Some(1), &[]).unwrap();
//! ```

use crate::api::codec::Codec;
use crate::api::OutputTag;
use crate::core::collector::{Collector, Output};
use crate::core::element::{Timestamp, NO_TIMESTAMP};
use crate::core::plain_core::{plain_lifecycle, Around, PlainCore};
use crate::core::side_output::{SideOutputs, SideTemplates, WritesSideOutputs};
use crate::core::two_input::{Headed, TwoInput, TwoInputCollector, TwoInputStage};
use crate::state::context::KeyedContext;
use crate::state::key_selector::{KeyFor, KeySelector};
use crate::state::keyed_core::{keyed_lifecycle, KeyedCore};
use std::hash::Hash;

/// A function over two keyed inputs that share their key, with keyed state and timers
/// (Flink's `KeyedCoProcessFunction`).
pub trait KeyedCoProcessFunction<K, A, B>: Clone + Send + 'static {
    /// What the function emits.
    type Out: Send + 'static;
    /// A record of the first input, with its key's state and timers.
    fn process_element1(&mut self, value: A, ctx: &mut KeyedContext<'_, K>, out: &mut Output<'_, Self::Out>);
    /// A record of the second input, with its key's state and timers.
    fn process_element2(&mut self, value: B, ctx: &mut KeyedContext<'_, K>, out: &mut Output<'_, Self::Out>);
    /// A timer of this key fired (`ctx.timestamp()` is its time in event time).
    fn on_timer(&mut self, _time: Timestamp, _ctx: &mut KeyedContext<'_, K>, _out: &mut Output<'_, Self::Out>) {}
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<A: Send + 'static, B: Send + 'static> TwoInput<A, B> {
    /// `key_by(k1, k2).process(f)`: a keyed co-process function, with state and timers.
    pub fn keyed_co_process<K, K1, K2, F>(
        self,
        id: u32,
        key1: impl FnOnce(KeyFor<A>) -> K1,
        key2: impl FnOnce(KeyFor<B>) -> K2,
        f: F,
    ) -> Headed<A, B, KeyedCoProcess<K1, K2, F>>
    where
        K1: KeySelector<A, Key = K>,
        K2: KeySelector<B, Key = K>,
        K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
        F: KeyedCoProcessFunction<K, A, B>,
    {
        let (key1, key2) = (KeyFor::select(key1), KeyFor::select(key2));
        Headed::new(KeyedCoProcess { id, key1, key2, f, sides: SideTemplates::default() })
    }
}

/// The stage of a keyed co-process function.
#[derive(Clone)]
pub struct KeyedCoProcess<K1, K2, F> {
    id: u32,
    key1: K1,
    key2: K2,
    f: F,
    sides: SideTemplates,
}

impl<K1, K2, F> WritesSideOutputs for KeyedCoProcess<K1, K2, F> {
    fn side_templates(&mut self) -> &mut SideTemplates {
        &mut self.sides
    }
}

/// A keyed co-process function in a running chain.
pub struct KeyedCoProcessOp<K1, K2, F, K, O, C> {
    key1: K1,
    key2: K2,
    f: F,
    core: KeyedCore<K, O>,
    next: C,
}

impl<A, B, K, K1, K2, F> TwoInputStage<A, B> for KeyedCoProcess<K1, K2, F>
where
    K1: KeySelector<A, Key = K>,
    K2: KeySelector<B, Key = K>,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    F: KeyedCoProcessFunction<K, A, B>,
{
    type Out = F::Out;
    fn wrap<C: Collector<F::Out>>(self, next: C) -> impl TwoInputCollector<A, B> {
        let core = KeyedCore::new(self.id, self.sides.build());
        KeyedCoProcessOp { key1: self.key1, key2: self.key2, f: self.f, core, next }
    }
}

impl<A, B, K, K1, K2, F, C> TwoInputCollector<A, B> for KeyedCoProcessOp<K1, K2, F, K, F::Out, C>
where
    K1: KeySelector<A, Key = K>,
    K2: KeySelector<B, Key = K>,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    F: KeyedCoProcessFunction<K, A, B>,
    C: Collector<F::Out>,
{
    fn collect1(&mut self, value: A, timestamp: Timestamp) {
        let key = self.key1.key(&value).into_owned();
        let f = &mut self.f;
        self.core.process(&key, timestamp, &mut self.next, |ctx, out| f.process_element1(value, ctx, out));
    }
    fn collect2(&mut self, value: B, timestamp: Timestamp) {
        let key = self.key2.key(&value).into_owned();
        let f = &mut self.f;
        self.core.process(&key, timestamp, &mut self.next, |ctx, out| f.process_element2(value, ctx, out));
    }
    keyed_lifecycle!(|f, time, ctx, out| <F as KeyedCoProcessFunction<K, A, B>>::on_timer(f, time, ctx, out));
}

/// A function over two inputs without keys (Flink's `CoProcessFunction`): each record with
/// its timestamp and the operator's watermark.
pub trait CoProcessFunction<A, B>: Clone + Send + 'static {
    /// What the function emits.
    type Out: Send + 'static;
    /// A record of the first input.
    fn process_element1(&mut self, value: A, ctx: &mut CoContext<'_>, out: &mut Output<'_, Self::Out>);
    /// A record of the second input.
    fn process_element2(&mut self, value: B, ctx: &mut CoContext<'_>, out: &mut Output<'_, Self::Out>);
}

/// What a [`CoProcessFunction`] sees besides the record (Flink's `CoProcessFunction.Context`),
/// and what a broadcast process function without keys sees of its records too (its
/// `ReadOnlyContext` adds the broadcast state).
pub struct CoContext<'a> {
    pub(crate) timestamp: Timestamp,
    pub(crate) watermark: Timestamp,
    pub(crate) sides: &'a mut SideOutputs,
}

impl CoContext<'_> {
    /// Sends `value` to the side output `tag` (read downstream with `side_output(&TAG)`),
    /// with the record's timestamp.
    pub fn output<V: 'static>(&mut self, tag: &OutputTag<V>, value: V) {
        self.sides.emit(tag, value, self.timestamp);
    }

    /// The record's event timestamp, if one was assigned upstream.
    pub fn timestamp(&self) -> Option<Timestamp> {
        (self.timestamp != NO_TIMESTAMP).then_some(self.timestamp)
    }

    /// The operator's event time: the least watermark of its two inputs (`i64::MIN` before
    /// both have sent one).
    pub fn current_watermark(&self) -> Timestamp {
        self.watermark
    }
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<A: Send + 'static, B: Send + 'static> TwoInput<A, B> {
    /// `a.connect(b).process(f)` without keys: a [`CoProcessFunction`].
    pub fn co_process<F: CoProcessFunction<A, B>>(self, id: u32, f: F) -> Headed<A, B, CoProcess<F>> {
        Headed::new(CoProcess { id, f, sides: SideTemplates::default() })
    }
}

/// The stage of a co-process function without keys.
#[derive(Clone)]
pub struct CoProcess<F> {
    id: u32,
    f: F,
    sides: SideTemplates,
}

impl<F> WritesSideOutputs for CoProcess<F> {
    fn side_templates(&mut self) -> &mut SideTemplates {
        &mut self.sides
    }
}

/// A co-process function without keys in a running chain.
pub struct CoProcessOp<F, O, C> {
    f: F,
    core: PlainCore<O>,
    next: C,
}

impl<A, B, F: CoProcessFunction<A, B>> TwoInputStage<A, B> for CoProcess<F> {
    type Out = F::Out;
    fn wrap<C: Collector<F::Out>>(self, next: C) -> impl TwoInputCollector<A, B> {
        CoProcessOp { f: self.f, core: PlainCore::new(self.id, self.sides.build()), next }
    }
}

impl<A, B, F, C> TwoInputCollector<A, B> for CoProcessOp<F, F::Out, C>
where
    F: CoProcessFunction<A, B>,
    C: Collector<F::Out>,
{
    fn collect1(&mut self, value: A, timestamp: Timestamp) {
        let f = &mut self.f;
        self.core.process(timestamp, &mut self.next, |Around { watermark, sides }, out| {
            f.process_element1(value, &mut CoContext { timestamp, watermark, sides }, out)
        });
    }
    fn collect2(&mut self, value: B, timestamp: Timestamp) {
        let f = &mut self.f;
        self.core.process(timestamp, &mut self.next, |Around { watermark, sides }, out| {
            f.process_element2(value, &mut CoContext { timestamp, watermark, sides }, out)
        });
    }
    plain_lifecycle!();
}
