//! A trigger of the user's own (Flink's `Trigger`): `window(..).trigger(MyTrigger)`, where
//! `MyTrigger` implements [`Trigger`]. It hears every record of a key's window, and the
//! timers it registers in either time domain, and answers whether the window fires, is
//! purged, or both ([`TriggerResult`]); it may keep state per key and window.
//!
//! As in Flink's `WindowOperator`, a window is also cleaned up once time passes its end
//! plus the allowed lateness: that time is a timer of the window too, so the trigger hears
//! it (`on_event_time` at the window's last timestamp for event-time windows without
//! lateness), then the window's contents, its state and the trigger's state go. Global
//! windows never end: their trigger decides everything.
//!
//! ```
//! use rill::prelude::*;
//! use std::time::Duration;
//!
//! static SEEN: ValueState<u64> = ValueState::new("seen");
//!
//! /// Fires every three records of a key's window, and once more when the window ends.
//! #[derive(Clone)]
//! struct EveryThird;
//!
//! impl Trigger<&'static str, (&'static str, i64)> for EveryThird {
//!     fn on_element(
//!         &mut self,
//!         _: &(&'static str, i64),
//!         _: i64,
//!         window: &TimeWindow,
//!         ctx: &mut TriggerContext<'_, &'static str>,
//!     ) -> TriggerResult {
//!         ctx.register_event_time_timer(window.max_timestamp());
//!         let seen = ctx.state().value(&SEEN).get().unwrap_or(0) + 1;
//!         ctx.state().value(&SEEN).update(seen);
//!         if seen.is_multiple_of(3) { TriggerResult::Fire } else { TriggerResult::Continue }
//!     }
//!     fn on_event_time(&mut self, time: i64, window: &TimeWindow, _: &mut TriggerContext<'_, &'static str>) -> TriggerResult {
//!         if time == window.max_timestamp() { TriggerResult::Fire } else { TriggerResult::Continue }
//!     }
//! }
//!
//! #[rill::job(no_main)]
//! fn thirds(env: &mut Env) {
//!     env.from_elements([("a", 1i64), ("a", 2), ("a", 3), ("a", 4)])
//!         .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|_, _| 0))
//!         .key_by(|r| r.0)
//!         .window(TumblingEventTimeWindows::of(Duration::from_secs(10)))
//!         .trigger(EveryThird)
//!         .sum(1)
//!         .print(); // (a,6), then (a,10) at the window's end
//! }
//!
//! THIRDS_JOB.run(Some(1), &[]).unwrap();
//! ```

use super::context::WindowStates;
use super::functions::WindowFn;
use crate::api::codec::Codec;
use crate::core::collector::{Collector, Output};
use crate::core::element::{Control, Timestamp, NO_TIMESTAMP};
use crate::state::context::{KeyedContext, TimeDomain};
use crate::state::key_selector::KeySelector;
use crate::state::keyed_core::KeyedCore;
use crate::state::KeyedState;
use crate::time::{Clock, TimeWindow, WindowAssigner};
use std::collections::BTreeMap;
use std::hash::Hash;
use std::marker::PhantomData;

/// What a trigger answers (Flink's `TriggerResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerResult {
    /// Nothing happens.
    Continue,
    /// The window fires: its function runs over what it holds, which it keeps.
    Fire,
    /// The window's contents are dropped, without firing.
    Purge,
    /// The window fires, then its contents are dropped.
    FireAndPurge,
}

impl TriggerResult {
    fn fires(self) -> bool {
        matches!(self, TriggerResult::Fire | TriggerResult::FireAndPurge)
    }
    fn purges(self) -> bool {
        matches!(self, TriggerResult::Purge | TriggerResult::FireAndPurge)
    }
}

/// A trigger of the user's own, for windows of keys `K` over records `T` (Flink's
/// `Trigger`); `window(..).trigger(it)` puts it on a keyed stream's time windows or global
/// windows.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a trigger of windows of `{T}` keyed by `{K}`",
    note = "a trigger of your own implements `Trigger<K, T>`; Flink's built-in ones (`CountTrigger::of(..)`, ...) are written in the `trigger(..)` call or bound to a name by a `let` in the job"
)]
pub trait Trigger<K, T>: Clone + Send + 'static {
    /// A record was added to `window` (`timestamp` is its event timestamp).
    fn on_element(
        &mut self,
        element: &T,
        timestamp: Timestamp,
        window: &TimeWindow,
        ctx: &mut TriggerContext<'_, K>,
    ) -> TriggerResult;
    /// An event-time timer of `window` fired (one the trigger registered, or the window's
    /// cleanup time).
    fn on_event_time(
        &mut self,
        _time: Timestamp,
        _window: &TimeWindow,
        _ctx: &mut TriggerContext<'_, K>,
    ) -> TriggerResult {
        TriggerResult::Continue
    }
    /// A processing-time timer of `window` fired.
    fn on_processing_time(
        &mut self,
        _time: Timestamp,
        _window: &TimeWindow,
        _ctx: &mut TriggerContext<'_, K>,
    ) -> TriggerResult {
        TriggerResult::Continue
    }
    /// The window is gone (its cleanup time passed): what the trigger kept for it goes too.
    /// Its state (`ctx.state()`) is dropped with the window whatever this does.
    fn clear(&mut self, _window: &TimeWindow, _ctx: &mut TriggerContext<'_, K>) {}
}

/// No trigger of the user's own: the window stage's built-in triggers decide.
#[derive(Clone, Copy, Default)]
pub struct BuiltIn;

impl<K, T> Trigger<K, T> for BuiltIn {
    fn on_element(&mut self, _: &T, _: Timestamp, _: &TimeWindow, _: &mut TriggerContext<'_, K>) -> TriggerResult {
        unreachable!("the built-in triggers run in the window operator itself")
    }
}

/// Whether a window stage's trigger is the user's own.
pub trait IsCustom {
    /// `true` for a trigger of the user's own.
    const CUSTOM: bool;
}

impl IsCustom for BuiltIn {
    const CUSTOM: bool = false;
}

impl<X: Clone + Send + 'static> IsCustom for Custom<X> {
    const CUSTOM: bool = true;
}

/// Windows that take a trigger of the user's own: time and global windows (session and
/// count windows fire by their own rule).
#[diagnostic::on_unimplemented(
    message = "windows of `{Self}` take no trigger of the user's own",
    label = "a trigger of your own goes on time windows (tumbling, sliding) or global windows",
    note = "session windows fire when their session ends, count windows by their count"
)]
pub trait TakesCustomTrigger {}
impl TakesCustomTrigger for crate::time::domain::EventTime {}
impl TakesCustomTrigger for crate::time::domain::ProcessingTime {}

/// A trigger of the user's own fits windows of domain `D` (see [`crate::time::domain`]):
/// stated of the trigger, so that a misplaced one is an error at the `trigger(..)` argument.
pub trait FitsWindows<D> {}
impl<Y, D: TakesCustomTrigger> FitsWindows<D> for Y {}

/// A trigger of the user's own, as the window stage holds it.
#[derive(Clone)]
pub struct Custom<X>(pub(crate) X);

impl<K, T, X: Trigger<K, T>> Trigger<K, T> for Custom<X> {
    fn on_element(&mut self, e: &T, ts: Timestamp, w: &TimeWindow, ctx: &mut TriggerContext<'_, K>) -> TriggerResult {
        self.0.on_element(e, ts, w, ctx)
    }
    fn on_event_time(&mut self, time: Timestamp, w: &TimeWindow, ctx: &mut TriggerContext<'_, K>) -> TriggerResult {
        self.0.on_event_time(time, w, ctx)
    }
    fn on_processing_time(
        &mut self,
        time: Timestamp,
        w: &TimeWindow,
        ctx: &mut TriggerContext<'_, K>,
    ) -> TriggerResult {
        self.0.on_processing_time(time, w, ctx)
    }
    fn clear(&mut self, w: &TimeWindow, ctx: &mut TriggerContext<'_, K>) {
        self.0.clear(w, ctx)
    }
}

/// What a trigger sees of its window's key (Flink's `Trigger.TriggerContext`): time, timers
/// of the window, and state per key and window.
pub struct TriggerContext<'a, K> {
    key: &'a K,
    window: TimeWindow,
    /// The key of the trigger's state, made when first needed (a clone of the key).
    window_key: Option<(K, TimeWindow)>,
    watermark: Timestamp,
    clock: &'a Clock,
    /// The window's timers, as they stand.
    timers: &'a mut Vec<(TimeDomain, Timestamp)>,
    /// Timers registered now, to set in the operator's timer service.
    added: &'a mut Vec<(TimeDomain, Timestamp)>,
    states: &'a mut WindowStates<K>,
}

impl<'a, K> TriggerContext<'a, K> {
    /// The context of `key`'s `window`, at event time `watermark` and the job's clock.
    fn new(
        key: &'a K,
        window: TimeWindow,
        (watermark, clock): (Timestamp, &'a Clock),
        timers: &'a mut Vec<(TimeDomain, Timestamp)>,
        added: &'a mut Vec<(TimeDomain, Timestamp)>,
        states: &'a mut WindowStates<K>,
    ) -> Self {
        TriggerContext { key, window, window_key: None, watermark, clock, timers, added, states }
    }
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static> TriggerContext<'_, K> {
    /// The key whose window this is.
    pub fn current_key(&self) -> &K {
        self.key
    }

    /// The operator's event time (its input watermark).
    pub fn current_watermark(&self) -> Timestamp {
        self.watermark
    }

    /// Processing time now, from the job's clock.
    pub fn current_processing_time(&self) -> Timestamp {
        self.clock.now()
    }

    /// Calls `on_event_time` for this window once the watermark reaches `time`.
    pub fn register_event_time_timer(&mut self, time: Timestamp) {
        self.register(TimeDomain::EventTime, time);
    }

    /// Calls `on_processing_time` for this window once processing time reaches `time`.
    pub fn register_processing_time_timer(&mut self, time: Timestamp) {
        self.register(TimeDomain::ProcessingTime, time);
    }

    /// Takes back an event-time timer of this window.
    pub fn delete_event_time_timer(&mut self, time: Timestamp) {
        self.timers.retain(|t| *t != (TimeDomain::EventTime, time));
    }

    /// Takes back a processing-time timer of this window.
    pub fn delete_processing_time_timer(&mut self, time: Timestamp) {
        self.timers.retain(|t| *t != (TimeDomain::ProcessingTime, time));
    }

    /// The trigger's state of this key and window (Flink's `getPartitionedState`), dropped
    /// with the window.
    pub fn state(&mut self) -> KeyedState<'_, (K, TimeWindow)> {
        let key = self.window_key.get_or_insert_with(|| (self.key.clone(), self.window));
        self.states.per_window_state(key, self.clock)
    }

    fn register(&mut self, domain: TimeDomain, time: Timestamp) {
        if !self.timers.contains(&(domain, time)) {
            self.timers.push((domain, time));
            self.added.push((domain, time));
        }
    }
}

/// A key's window under a trigger of the user's own: what it holds, and its timers.
#[derive(Clone, crate::Codec)]
struct Pending<Acc> {
    acc: Option<Acc>,
    timers: Vec<(TimeDomain, Timestamp)>,
}

impl<Acc> Default for Pending<Acc> {
    fn default() -> Self {
        Pending { acc: None, timers: Vec::new() }
    }
}

/// A key's windows: keyed state of the operator's core.
type Windows<Acc> = BTreeMap<TimeWindow, Pending<Acc>>;

/// The name of the windows in the keyed state.
const WINDOWS: &str = "triggered windows";

/// The window function, the trigger and what they share, apart from the core that runs them.
struct Parts<W, F, X, K> {
    assigner: W,
    f: F,
    trigger: X,
    lateness: i64,
    event_time: bool,
    assigned: Vec<TimeWindow>,
    states: WindowStates<K>,
}

/// Time or global windows whose trigger is the user's own, in a running chain: each key's
/// windows are keyed state of a [`KeyedCore`], their timers the core's timers of the key.
pub struct TriggeredWindowOp<KF, W, F, X, K, T, O, C, L> {
    key: KF,
    parts: Parts<W, F, X, K>,
    core: KeyedCore<K, O>,
    /// Records too late for every window they belong to.
    pub late_records: u64,
    late: L,
    _t: PhantomData<fn(T)>,
    next: C,
}

impl<KF, W, F, X, K: Hash + Eq + Clone + Codec + Send + Sync + 'static, T, O, C, L>
    TriggeredWindowOp<KF, W, F, X, K, T, O, C, L>
{
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        id: u32,
        key: KF,
        assigner: W,
        event_time: bool,
        lateness: i64,
        f: F,
        trigger: X,
        states: WindowStates<K>,
        next: C,
        late: L,
    ) -> Self {
        let parts = Parts { assigner, f, trigger, lateness, event_time, assigned: Vec::new(), states };
        let core = KeyedCore::new(id, crate::core::side_output::SideOutputs::default());
        TriggeredWindowOp { key, parts, core, late_records: 0, late, _t: PhantomData, next }
    }
}

impl<W, F, X, K: Hash + Eq + Clone + Codec + Send + Sync + 'static> Parts<W, F, X, K> {
    /// When the window's contents and state go: its end plus the allowed lateness in event
    /// time, its end in processing time; never for global windows.
    fn cleanup_time(&self, window: &TimeWindow) -> Option<(TimeDomain, Timestamp)> {
        let end = window.max_timestamp();
        let time = if self.event_time { end.checked_add(self.lateness)? } else { end };
        let domain = if self.event_time { TimeDomain::EventTime } else { TimeDomain::ProcessingTime };
        (time != i64::MAX).then_some((domain, time))
    }

    /// Acts on what the trigger answered for `key`'s `window`.
    fn act<T, O>(
        &mut self,
        result: TriggerResult,
        key: &K,
        window: TimeWindow,
        pending: &mut Pending<F::Acc>,
        (watermark, clock): (Timestamp, &Clock),
        out: &mut Output<'_, O>,
    ) where
        F: WindowFn<K, T, Out = O>,
    {
        if result.fires() {
            if let Some(acc) = &pending.acc {
                let mut ctx = self.states.context(key, window, watermark, clock);
                self.f.emit(key, &mut ctx, acc, out.buffer);
            }
        }
        if result.purges() {
            pending.acc = None;
        }
    }
}

impl<T, K, KF, W, F, X, C, L> Collector<T> for TriggeredWindowOp<KF, W, F, X, K, T, F::Out, C, L>
where
    T: Clone + Send,
    KF: KeySelector<T, Key = K>,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    W: WindowAssigner,
    F: WindowFn<K, T>,
    F::Out: Send,
    X: Trigger<K, T>,
    C: Collector<F::Out>,
    L: Collector<T>,
{
    fn collect(&mut self, value: T, timestamp: Timestamp) {
        let clock = self.core.clock().clone();
        let watermark = self.core.watermark();
        let parts = &mut self.parts;
        let time = if parts.event_time {
            assert!(
                timestamp != NO_TIMESTAMP || !parts.assigner.needs_timestamps(),
                "the record has no event timestamp: call assign_timestamps_and_watermarks(..) before an event-time window"
            );
            timestamp
        } else {
            clock.now()
        };
        parts.assigned.clear();
        parts.assigner.assign(time, &mut parts.assigned);
        // Windows past their allowed lateness take nothing; a record for none of its
        // windows is late, as in Flink's `WindowOperator`.
        let lateness = parts.lateness;
        if parts.event_time {
            parts.assigned.retain(|w| w.max_timestamp().saturating_add(lateness) > watermark);
            if parts.assigned.is_empty() {
                self.late_records += 1;
                self.late.collect(value, timestamp);
                return;
            }
        }
        let key = self.key.key(&value).into_owned();
        self.core.process(&key, timestamp, &mut self.next, |ctx, out| {
            let mut added = Vec::new();
            let assigned = std::mem::take(&mut parts.assigned);
            for window in &assigned {
                let windows = ctx.keyed_state::<Windows<F::Acc>>(WINDOWS);
                let pending = windows.entry(*window).or_default();
                parts.f.add(&mut pending.acc, value.clone());
                let states = &mut parts.states;
                let mut tctx =
                    TriggerContext::new(&key, *window, (watermark, &clock), &mut pending.timers, &mut added, states);
                let result = parts.trigger.on_element(&value, timestamp, window, &mut tctx);
                if let Some(cleanup) = parts.cleanup_time(window) {
                    if !pending.timers.contains(&cleanup) {
                        pending.timers.push(cleanup);
                        added.push(cleanup);
                    }
                }
                parts.act(result, &key, *window, pending, (watermark, &clock), out);
            }
            parts.assigned = assigned;
            register(ctx, &added);
        });
    }

    fn on_control(&mut self, control: Control) {
        if control.takes_snapshot() {
            self.parts.states.snapshot_beside(&self.core);
        }
        let clock = self.core.clock().clone();
        let parts = &mut self.parts;
        self.core.on_control(control, &mut self.next, |time, ctx, out| parts.on_timer::<T>(time, ctx, &clock, out));
        self.late.on_control(control);
        self.parts.states.sides().on_control(control);
    }

    fn on_processing_time(&mut self, now: Timestamp) {
        let clock = self.core.clock().clone();
        let parts = &mut self.parts;
        self.core.on_processing_time(now, &mut self.next, |time, ctx, out| parts.on_timer::<T>(time, ctx, &clock, out));
        self.late.on_processing_time(now);
        self.parts.states.sides().on_processing_time(now);
    }

    fn open(&mut self, ctx: &mut crate::RuntimeContext<'_>) -> Result<(), crate::JobError> {
        self.core.open(ctx, &mut self.next)?;
        self.parts.states.restore_beside(&self.core, ctx)?;
        self.late.open(ctx)?;
        self.parts.states.sides().open(ctx)
    }

    fn flush(&mut self) {
        self.late.flush();
        self.parts.states.sides().flush();
        self.core.flush(&mut self.next);
    }

    fn take_blocked(&mut self, blocked: &mut Vec<crate::core::collector::BlockedSend>) {
        self.late.take_blocked(blocked);
        self.parts.states.sides().take_blocked(blocked);
        self.core.take_blocked(blocked, &mut self.next);
    }

    fn close(&mut self) -> Result<(), crate::JobError> {
        self.late.close()?;
        self.parts.states.sides().close()?;
        self.core.close(&mut self.next)
    }
}

/// Sets the timers a trigger registered in the core's timer service of the key.
fn register<K: Hash + Eq + Clone + Send + Sync + 'static>(
    ctx: &mut KeyedContext<'_, K>,
    added: &[(TimeDomain, Timestamp)],
) {
    for (domain, time) in added {
        match domain {
            TimeDomain::EventTime => ctx.register_event_time_timer(*time),
            TimeDomain::ProcessingTime => ctx.register_processing_time_timer(*time),
        }
    }
}

impl<W, F, X, K: Hash + Eq + Clone + Codec + Send + Sync + 'static> Parts<W, F, X, K> {
    /// A timer of the key fired: every window of the key that has this timer hears it, and
    /// a window whose cleanup time it is goes, with its state.
    fn on_timer<T>(
        &mut self,
        time: Timestamp,
        ctx: &mut KeyedContext<'_, K>,
        clock: &Clock,
        out: &mut Output<'_, F::Out>,
    ) where
        F: WindowFn<K, T>,
        X: Trigger<K, T>,
    {
        let Some(domain) = ctx.time_domain() else { return };
        let key = ctx.current_key().clone();
        let watermark = ctx.current_watermark();
        let mut added = Vec::new();
        let windows = ctx.keyed_state::<Windows<F::Acc>>(WINDOWS);
        let due: Vec<TimeWindow> =
            windows.iter().filter(|(_, p)| p.timers.contains(&(domain, time))).map(|(w, _)| *w).collect();
        for window in due {
            let Some(pending) = windows.get_mut(&window) else { continue };
            pending.timers.retain(|t| *t != (domain, time));
            let mut tctx = TriggerContext::new(
                &key,
                window,
                (watermark, clock),
                &mut pending.timers,
                &mut added,
                &mut self.states,
            );
            let result = match domain {
                TimeDomain::EventTime => self.trigger.on_event_time(time, &window, &mut tctx),
                TimeDomain::ProcessingTime => self.trigger.on_processing_time(time, &window, &mut tctx),
            };
            self.act(result, &key, window, pending, (watermark, clock), out);
            if self.cleanup_time(&window) == Some((domain, time)) {
                let mut tctx = TriggerContext::new(
                    &key,
                    window,
                    (watermark, clock),
                    &mut pending.timers,
                    &mut added,
                    &mut self.states,
                );
                self.trigger.clear(&window, &mut tctx);
                self.states.drop_window(&key, window);
                windows.remove(&window);
            }
        }
        // Timers of windows that went are not set.
        added.retain(|t| windows.values().any(|p| p.timers.contains(t)));
        if windows.is_empty() {
            ctx.clear_keyed_state::<Windows<F::Acc>>(WINDOWS);
        }
        register(ctx, &added);
    }
}
