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

use crate::api::codec::Codec;
use crate::core::collector::{Collector, Output};
use crate::core::element::Timestamp;
use crate::core::side_output::SideOutputs;
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
        Headed::new(KeyedCoProcess { id, key1: KeyFor::select(key1), key2: KeyFor::select(key2), f })
    }
}

/// The stage of a keyed co-process function.
#[derive(Clone)]
pub struct KeyedCoProcess<K1, K2, F> {
    id: u32,
    key1: K1,
    key2: K2,
    f: F,
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
        let core = KeyedCore::new(self.id, SideOutputs::default());
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
