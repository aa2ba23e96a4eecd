//! `keyed.connect(rules.broadcast(&STATE)).process(f)`: keyed records processed with a
//! broadcast state that the records of a broadcast stream write (Flink's
//! `KeyedBroadcastProcessFunction`): the way alert rules change while a job runs. It runs on
//! the keyed-operator core, with the broadcast state beside the keyed state.
//!
//! ```
//! use rill::prelude::*;
//!
//! static LIMITS: BroadcastState<String, i64> = BroadcastState::new("limits");
//!
//! /// Values above their metric's limit, with limits that a second stream sets.
//! #[derive(Clone)]
//! struct OverLimit;
//!
//! impl KeyedBroadcastProcessFunction<String, (String, i64), (String, i64)> for OverLimit {
//!     type Out = String;
//!     fn process_element(
//!         &mut self,
//!         (metric, v): (String, i64),
//!         ctx: &mut KeyedContext<'_, String>,
//!         out: &mut Output<'_, String>,
//!     ) {
//!         if ctx.broadcast_state(&LIMITS).get(&metric).is_some_and(|limit| v > *limit) {
//!             out.collect(format!("{metric} at {v}"));
//!         }
//!     }
//!     fn process_broadcast_element(
//!         &mut self,
//!         (metric, limit): (String, i64),
//!         ctx: &mut BroadcastContext<'_>,
//!         _out: &mut Output<'_, String>,
//!     ) {
//!         ctx.broadcast_state(&LIMITS).insert(metric, limit);
//!     }
//! }
//!
//! #[rill::job(no_main)]
//! fn alerts(env: &mut Env) {
//!     let limits = env.from_elements([("cpu".to_string(), 90i64)]).broadcast(&LIMITS);
//!     env.from_elements([("cpu".to_string(), 95i64)])
//!         .key_by(|(m, _)| m.clone())
//!         .connect(limits)
//!         .process(OverLimit)
//!         .print();
//! }
//!
//! ALERTS_JOB.run(Some(1), &[]).unwrap();
//! ```
//!
//! A stream without keys connected to a broadcast stream is Flink's `BroadcastProcessFunction`:
//! the same broadcast state, read by every record, with no keyed state or timers.
//!
//! ```
//! use rill::prelude::*;
//!
//! static BLOCKED: BroadcastState<String, ()> = BroadcastState::new("blocked");
//!
//! /// Requests from users that are not blocked, with blocks that a second stream sets.
//! #[derive(Clone)]
//! struct Gate;
//!
//! impl BroadcastProcessFunction<String, String> for Gate {
//!     type Out = String;
//!     fn process_element(&mut self, user: String, ctx: &mut ReadOnlyContext<'_>, out: &mut Output<'_, String>) {
//!         if !ctx.broadcast_state(&BLOCKED).contains_key(&user) {
//!             out.collect(user);
//!         }
//!     }
//!     fn process_broadcast_element(&mut self, user: String, ctx: &mut BroadcastContext<'_>, _out: &mut Output<'_, String>) {
//!         ctx.broadcast_state(&BLOCKED).insert(user, ());
//!     }
//! }
//!
//! #[rill::job(no_main)]
//! fn gate(env: &mut Env) {
//!     let blocked = env.from_elements(["mallory".to_string()]).broadcast(&BLOCKED);
//!     env.from_elements(["alice".to_string()]).connect(blocked).process(Gate).print();
//! }
//!
//! GATE_JOB.run(Some(1), &[]).unwrap();
//! ```

use crate::api::codec::Codec;
use crate::api::OutputTag;
use crate::checkpoint::StateWriter;
use crate::core::collector::{Collector, Output};
use crate::core::element::{Control, Timestamp};
use crate::core::plain_core::{plain_lifecycle, Around, PlainCore};
use crate::core::side_output::{SideOutputs, SideTemplates, WritesSideOutputs};
use crate::core::two_input::{Headed, TwoInput, TwoInputCollector, TwoInputStage};
use crate::ops::co_process::CoContext;
use crate::state::broadcast::{BroadcastState, BroadcastStore};
use crate::state::context::KeyedContext;
use crate::state::key_selector::{KeyFor, KeySelector};
use crate::state::keyed_core::{keyed_lifecycle, KeyedCore};
use std::hash::Hash;

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<A: Send + 'static, B: Send + 'static> TwoInput<A, B> {
    /// `keyed.connect(rules.broadcast(&STATE)).process(f)`: keyed records with a broadcast
    /// state that the second input's records write.
    pub fn keyed_broadcast_process<K, K1, F>(
        self,
        id: u32,
        key: impl FnOnce(KeyFor<A>) -> K1,
        f: F,
    ) -> Headed<A, B, KeyedBroadcastProcess<K1, F>>
    where
        K1: KeySelector<A, Key = K>,
        K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
        F: KeyedBroadcastProcessFunction<K, A, B>,
    {
        Headed::new(KeyedBroadcastProcess { id, key: KeyFor::select(key), f, sides: SideTemplates::default() })
    }
}

/// What `process_broadcast_element` sees: the record's timestamp, the broadcast state,
/// writable, and the side outputs.
pub struct BroadcastContext<'a> {
    pub(crate) timestamp: Timestamp,
    pub(crate) store: &'a mut BroadcastStore,
    pub(crate) sides: &'a mut SideOutputs,
}

impl BroadcastContext<'_> {
    /// Sends `value` to the side output `tag` (read downstream with `side_output(&TAG)`),
    /// with the record's timestamp.
    pub fn output<V: 'static>(&mut self, tag: &OutputTag<V>, value: V) {
        self.sides.emit(tag, value, self.timestamp);
    }

    /// The broadcast record's event timestamp, if it has one.
    pub fn timestamp(&self) -> Option<Timestamp> {
        (self.timestamp != crate::core::element::NO_TIMESTAMP).then_some(self.timestamp)
    }

    /// The broadcast state `d`, to update: every subtask receives the same records, so
    /// every subtask's copy stays the same.
    pub fn broadcast_state<BK: Codec + Hash + Eq + Send + 'static, BV: Codec + Send + 'static>(
        &mut self,
        d: &BroadcastState<BK, BV>,
    ) -> &mut std::collections::HashMap<BK, BV> {
        self.store.get_mut(d)
    }
}

/// Keyed records processed with a broadcast state that a broadcast stream writes (Flink's
/// `KeyedBroadcastProcessFunction`): the way alert rules change while a job runs.
pub trait KeyedBroadcastProcessFunction<K, A, B>: Clone + Send + 'static {
    /// What the function emits.
    type Out: Send + 'static;
    /// A keyed record: keyed state, timers and the broadcast state (read-only).
    fn process_element(&mut self, value: A, ctx: &mut KeyedContext<'_, K>, out: &mut Output<'_, Self::Out>);
    /// A broadcast record: it may change the broadcast state.
    fn process_broadcast_element(&mut self, value: B, ctx: &mut BroadcastContext<'_>, out: &mut Output<'_, Self::Out>);
    /// A timer of this key fired (`ctx.timestamp()` is its time in event time).
    fn on_timer(&mut self, _time: Timestamp, _ctx: &mut KeyedContext<'_, K>, _out: &mut Output<'_, Self::Out>) {}
}

/// The stage of a keyed broadcast process function.
#[derive(Clone)]
pub struct KeyedBroadcastProcess<K1, F> {
    id: u32,
    key: K1,
    f: F,
    sides: SideTemplates,
}

impl<K1, F> WritesSideOutputs for KeyedBroadcastProcess<K1, F> {
    fn side_templates(&mut self) -> &mut SideTemplates {
        &mut self.sides
    }
}

/// A keyed broadcast process function in a running chain.
pub struct KeyedBroadcastProcessOp<K1, F, K, O, C> {
    key: K1,
    f: F,
    core: KeyedCore<K, O>,
    next: C,
}

impl<A, B, K, K1, F> TwoInputStage<A, B> for KeyedBroadcastProcess<K1, F>
where
    K1: KeySelector<A, Key = K>,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    F: KeyedBroadcastProcessFunction<K, A, B>,
{
    type Out = F::Out;
    fn wrap<C: Collector<F::Out>>(self, next: C) -> impl TwoInputCollector<A, B> {
        let core = KeyedCore::new(self.id, self.sides.build()).with_broadcast_state();
        KeyedBroadcastProcessOp { key: self.key, f: self.f, core, next }
    }
}

impl<A, B, K, K1, F, C> TwoInputCollector<A, B> for KeyedBroadcastProcessOp<K1, F, K, F::Out, C>
where
    K1: KeySelector<A, Key = K>,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    F: KeyedBroadcastProcessFunction<K, A, B>,
    C: Collector<F::Out>,
{
    fn collect1(&mut self, value: A, timestamp: Timestamp) {
        let key = self.key.key(&value).into_owned();
        let f = &mut self.f;
        self.core.process(&key, timestamp, &mut self.next, |ctx, out| f.process_element(value, ctx, out));
    }
    fn collect2(&mut self, value: B, timestamp: Timestamp) {
        let f = &mut self.f;
        self.core.process_broadcast(timestamp, &mut self.next, |store, sides, out| {
            f.process_broadcast_element(value, &mut BroadcastContext { timestamp, store, sides }, out)
        });
    }
    keyed_lifecycle!(|f, time, ctx, out| <F as KeyedBroadcastProcessFunction<K, A, B>>::on_timer(f, time, ctx, out));
}

/// Records without keys processed with a broadcast state that a broadcast stream writes
/// (Flink's `BroadcastProcessFunction`).
pub trait BroadcastProcessFunction<A, B>: Clone + Send + 'static {
    /// What the function emits.
    type Out: Send + 'static;
    /// A record: the broadcast state, read-only.
    fn process_element(&mut self, value: A, ctx: &mut ReadOnlyContext<'_>, out: &mut Output<'_, Self::Out>);
    /// A broadcast record: it may change the broadcast state.
    fn process_broadcast_element(&mut self, value: B, ctx: &mut BroadcastContext<'_>, out: &mut Output<'_, Self::Out>);
}

/// What `process_element` of a [`BroadcastProcessFunction`] sees (Flink's
/// `ReadOnlyContext`): what a [`CoContext`] has (the record's timestamp, the watermark, side
/// outputs), and the broadcast state to read.
pub struct ReadOnlyContext<'a> {
    record: CoContext<'a>,
    store: &'a mut BroadcastStore,
}

impl<'a> std::ops::Deref for ReadOnlyContext<'a> {
    type Target = CoContext<'a>;
    fn deref(&self) -> &CoContext<'a> {
        &self.record
    }
}

impl<'a> std::ops::DerefMut for ReadOnlyContext<'a> {
    fn deref_mut(&mut self) -> &mut CoContext<'a> {
        &mut self.record
    }
}

impl ReadOnlyContext<'_> {
    /// The broadcast state `d`, to read: only broadcast records change it, so that every
    /// subtask's copy stays the same.
    pub fn broadcast_state<BK: Codec + Hash + Eq + Send + 'static, BV: Codec + Send + 'static>(
        &mut self,
        d: &BroadcastState<BK, BV>,
    ) -> &std::collections::HashMap<BK, BV> {
        self.store.get_mut(d)
    }
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<A: Send + 'static, B: Send + 'static> TwoInput<A, B> {
    /// `stream.connect(rules.broadcast(&STATE)).process(f)` without keys.
    pub fn broadcast_process<F: BroadcastProcessFunction<A, B>>(
        self,
        id: u32,
        f: F,
    ) -> Headed<A, B, BroadcastProcess<F>> {
        Headed::new(BroadcastProcess { id, f, sides: SideTemplates::default() })
    }
}

/// The stage of a broadcast process function without keys.
#[derive(Clone)]
pub struct BroadcastProcess<F> {
    id: u32,
    f: F,
    sides: SideTemplates,
}

impl<F> WritesSideOutputs for BroadcastProcess<F> {
    fn side_templates(&mut self) -> &mut SideTemplates {
        &mut self.sides
    }
}

/// A broadcast process function without keys in a running chain: its broadcast state is
/// its only state, written at each barrier as a keyed broadcast process function writes it.
pub struct BroadcastProcessOp<F, O, C> {
    f: F,
    store: BroadcastStore,
    checkpoint: Option<(StateWriter, &'static str)>,
    core: PlainCore<O>,
    next: C,
}

impl<A, B, F: BroadcastProcessFunction<A, B>> TwoInputStage<A, B> for BroadcastProcess<F> {
    type Out = F::Out;
    fn wrap<C: Collector<F::Out>>(self, next: C) -> impl TwoInputCollector<A, B> {
        BroadcastProcessOp {
            f: self.f,
            store: BroadcastStore::default(),
            checkpoint: None,
            core: PlainCore::new(self.id, self.sides.build()),
            next,
        }
    }
}

impl<A, B, F, C> TwoInputCollector<A, B> for BroadcastProcessOp<F, F::Out, C>
where
    F: BroadcastProcessFunction<A, B>,
    C: Collector<F::Out>,
{
    fn collect1(&mut self, value: A, timestamp: Timestamp) {
        let (f, store) = (&mut self.f, &mut self.store);
        self.core.process(timestamp, &mut self.next, |Around { watermark, sides }, out| {
            let record = CoContext { timestamp, watermark, sides };
            f.process_element(value, &mut ReadOnlyContext { record, store }, out)
        });
    }
    fn collect2(&mut self, value: B, timestamp: Timestamp) {
        let (f, store) = (&mut self.f, &mut self.store);
        self.core.process(timestamp, &mut self.next, |Around { sides, .. }, out| {
            f.process_broadcast_element(value, &mut BroadcastContext { timestamp, store, sides }, out)
        });
    }
    fn on_control(&mut self, control: Control) {
        if let (true, Some((writer, uid))) = (control.takes_snapshot(), &self.checkpoint) {
            self.store.snapshot(writer, uid);
        }
        self.core.on_control(control, &mut self.next);
    }
    fn open(&mut self, ctx: &mut crate::RuntimeContext<'_>) -> Result<(), crate::JobError> {
        let id = self.core.id();
        if let Some((writer, uid)) = ctx.state_writer(id) {
            if let Some(restore) = ctx.restore(uid) {
                self.store.restore(&restore, uid);
            }
            self.checkpoint = Some((writer, uid));
        }
        self.core.open(ctx, &mut self.next)
    }
    plain_lifecycle!(except_control_and_open);
}
