//! Keyed event-time windows: `key_by(..).window(assigner)` followed by a window function
//! (`aggregate`, `reduce`, `sum`/`min`/`max`/`min_by`/`max_by`, `process`).
//!
//! A window's state lives until the watermark passes its end; then it fires (one result per
//! key, with the window's last timestamp, `end - 1`) and, after `allowed_lateness` more, is
//! dropped. A record for a window that has fired but is still within the lateness fires it
//! again (a late firing); a record later than that is dropped and counted. All as Flink's
//! `WindowOperator` with its `EventTimeTrigger`.
//!
//! ```
//! use rill::prelude::*;
//! use std::time::Duration;
//! #[rill::job(no_main)]
//! fn per_second(env: &mut Env) {
//!     env.from_elements([("a", 100i64), ("a", 900), ("b", 1_200)])
//!         .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|r, _| r.1))
//!         .map(|(k, _)| (k, 1))
//!         .key_by(|(k, _)| *k)
//!         .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
//!         .sum(1)
//!         .print();
//! }
//!
//! PER_SECOND_JOB.run(Some(1), &[]).unwrap();
//! ```

/// The lifecycle of an operator of time or session windows (fields `event_time`, `clock`,
/// `late`, `next`, and an `advance(time)` that fires what time has passed): a watermark
/// advances event-time windows, the clock processing-time ones; the late side output is
/// passed everything before what follows.
macro_rules! time_window_lifecycle {
    () => {
        fn on_control(&mut self, control: $crate::Control) {
            match control {
                $crate::Control::Watermark(w) if self.event_time => self.advance(w),
                c if c.takes_snapshot() => self.snapshot(),
                _ => {}
            }
            self.late.on_control(control);
            self.states.sides().on_control(control);
            self.next.on_control(control);
        }
        fn open(&mut self, ctx: &mut $crate::RuntimeContext<'_>) -> ::std::result::Result<(), $crate::JobError> {
            self.clock = ctx.clock.clone();
            self.restore(ctx)?;
            self.late.open(ctx)?;
            self.states.sides().open(ctx)?;
            self.next.open(ctx)
        }
        fn on_processing_time(&mut self, now: $crate::Timestamp) {
            if !self.event_time {
                self.advance(now);
            }
            self.late.on_processing_time(now);
            self.states.sides().on_processing_time(now);
            self.next.on_processing_time(now);
        }
        window_buffers!();
    };
}

/// `flush`, `take_blocked` and `close` of a window operator (fields `late`, `states` and
/// `next`): its late output and the side outputs of its function before what follows.
macro_rules! window_buffers {
    () => {
        fn flush(&mut self) {
            self.late.flush();
            self.states.sides().flush();
            self.next.flush();
        }
        fn take_blocked(&mut self, blocked: &mut ::std::vec::Vec<$crate::core::collector::BlockedSend>) {
            self.late.take_blocked(blocked);
            self.states.sides().take_blocked(blocked);
            self.next.take_blocked(blocked);
        }
        fn close(&mut self) -> ::std::result::Result<(), $crate::JobError> {
            self.late.close()?;
            self.states.sides().close()?;
            self.next.close()
        }
    };
}

mod checkpoint;
pub mod choose;
pub mod context;
mod count_window;
pub mod custom_trigger;
pub mod functions;
pub mod late_dropped;
mod open_windows;
pub mod pane_window;
pub(crate) mod session_window;
mod time_window;

use crate::api::codec::Codec;
pub use context::WindowContext;
pub use functions::WindowFn;
use functions::{Aggregate, Folded, ProcessWindow, WithProcess};
use time_window::WindowOp;

use crate::api::{AggregateFunction, OutputTag};
use crate::core::collector::{Collector, Output};
use crate::core::element::{Control, Timestamp};
use crate::core::pipe::{ChainBuilder, Identity, Pipe, Stage, Tail, Then};
use crate::core::side_output::{SideTemplates, WritesSideOutputs};
use crate::ops::reduce::{FieldFold, ReduceWith, SelectFold};
use crate::ops::window::context::WindowStates;
use crate::ops::window::count_window::CountWindowOp;
use crate::ops::window::session_window::{DynamicGap, FixedGap, SessionGap, SessionWindowOp};
use crate::state::key_groups::KeyMap;
use crate::state::key_selector::{KeyFor, KeySelector};
use crate::time::FiresIn;
use crate::time::{millis, TimeWindow, TriggerKind, WindowAssigner, WindowTrigger};
use custom_trigger::{BuiltIn, Custom, FitsWindows, IsCustom, Trigger, TriggeredWindowOp};
use late_dropped::LateDropped;
use std::hash::Hash;
use std::marker::PhantomData;
use std::time::Duration;

/// The stage of a window operator: key, assigner, lateness, function, trigger, late output,
/// the function's side outputs.
#[derive(Clone)]
pub struct WindowStage<KF, W, F, L = LateDropped, G = FixedGap, X = BuiltIn> {
    id: u32,
    key: KF,
    assigner: W,
    lateness: i64,
    f: F,
    late: L,
    sides: SideTemplates,
    trigger: Option<TriggerKind>,
    /// Session windows: the gap each record sets, if not the assigner's.
    gaps: G,
    /// A trigger of the user's own, which runs the windows in a [`TriggeredWindowOp`].
    custom: X,
}

impl<KF, W, F> WindowStage<KF, W, F> {
    /// The stage of operator `id`, with `lateness` in ms, no trigger and no late output yet.
    pub(crate) fn new(id: u32, key: KF, assigner: W, lateness: i64, f: F) -> Self {
        let late = LateDropped::default();
        WindowStage {
            id,
            key,
            assigner,
            lateness,
            f,
            late,
            sides: SideTemplates::default(),
            trigger: None,
            gaps: FixedGap,
            custom: BuiltIn,
        }
    }
}

impl<KF, W, F, L, G, X> WindowStage<KF, W, F, L, G, X> {
    /// The same stage with its late output, session gaps and trigger of the user's own
    /// changed by `change` (each builder call that changes one of them changes the type).
    fn with_parts<L2, G2, X2>(self, change: impl FnOnce(L, G, X) -> (L2, G2, X2)) -> WindowStage<KF, W, F, L2, G2, X2> {
        let (late, gaps, custom) = change(self.late, self.gaps, self.custom);
        WindowStage {
            id: self.id,
            key: self.key,
            assigner: self.assigner,
            lateness: self.lateness,
            f: self.f,
            late,
            sides: self.sides,
            trigger: self.trigger,
            gaps,
            custom,
        }
    }
}

impl<T, K, KF, W, F, L, G, X> Stage<T> for WindowStage<KF, W, F, L, G, X>
where
    X: Trigger<K, T> + IsCustom,
    G: SessionGap<T>,
    T: Clone + Codec + Send + Sync + 'static,
    KF: KeySelector<T, Key = K>,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    W: WindowAssigner,
    F: WindowFn<K, T>,
    F::Out: Send + 'static,
    L: Tail<T>,
{
    type Out = F::Out;
    fn wrap<C: Collector<F::Out>>(self, next: C) -> impl Collector<T> {
        if X::CUSTOM {
            let (event_time, states) = (self.assigner.is_event_time(), WindowStates::new(self.sides.build()));
            let (id, lateness, late) = (self.id, self.lateness, self.late.build());
            return Either::keyed(KeyedWindows::Triggered(TriggeredWindowOp::new(
                id,
                self.key,
                self.assigner,
                event_time,
                lateness,
                self.f,
                self.custom,
                states,
                next,
                late,
            )));
        }
        if let Some((size, slide)) = self.assigner.count() {
            let sides = self.sides.build();
            return Either::keyed(KeyedWindows::Count(CountWindowOp::new(
                self.id, self.key, size, slide, self.f, next, sides,
            )));
        }
        if let Some(gap) = self.assigner.session_gap() {
            assert!(
                self.trigger.is_none(),
                "{}: a trigger on session windows is not supported yet; session windows fire when the session ends",
                self.assigner.describe()
            );
            let event_time = self.assigner.is_event_time();
            let (id, lateness, late, sides) = (self.id, self.lateness, self.late.build(), self.sides.build());
            return Either::keyed(KeyedWindows::Session(SessionWindowOp::new(
                id, self.key, gap, self.gaps, event_time, lateness, self.f, next, late, sides,
            )));
        }
        let event_time = self.assigner.is_event_time();
        let default = self.assigner.default_trigger().unwrap_or(if event_time {
            TriggerKind::EventTime
        } else {
            TriggerKind::ProcessingTime
        });
        let trigger = self.trigger.unwrap_or(default);
        let mismatch = match trigger.inner() {
            TriggerKind::EventTime | TriggerKind::ContinuousEventTime(_) => !event_time,
            TriggerKind::ProcessingTime | TriggerKind::ContinuousProcessingTime(_) => event_time,
            _ => false,
        };
        assert!(!mismatch, "trigger {trigger:?} fires in the other time domain than its windows: use an event-time trigger with event-time windows, a processing-time one with processing-time windows");
        let tumbling = self.assigner.is_tumbling();
        Either::Time(WindowOp {
            id: self.id,
            key: self.key,
            tumbling,
            last_window: TimeWindow { start: 0, end: 0 },
            assigner: self.assigner,
            lateness: self.lateness,
            f: self.f,
            windows: Default::default(),
            spare: Vec::new(),
            assigned: Vec::with_capacity(4),
            watermark: i64::MIN,
            event_time,
            trigger,
            counts: KeyMap::default(),
            next_fire: KeyMap::default(),
            clock: crate::time::Clock::System,
            states: WindowStates::new(self.sides.build()),
            out: Vec::new(),
            late_records: 0,
            next,
            late: self.late.build(),
            checkpoint: None,
        })
    }
}

/// The window operator of an assigner: time windows, or one of the window operators on the
/// keyed core. These are boxed: a time window's record is told apart from them by one test,
/// however many kinds there are (a fourth kind cost time windows 2 instructions a record).
pub enum Either<A, B, S, U> {
    /// Time windows.
    Time(A),
    /// Count or session windows, or windows under a trigger of the user's own.
    Keyed(Box<KeyedWindows<B, S, U>>),
}

/// The window operators on the keyed core.
pub enum KeyedWindows<B, S, U> {
    /// Count windows.
    Count(B),
    /// Session windows.
    Session(S),
    /// Time or global windows under a trigger of the user's own.
    Triggered(U),
}

impl<A, B, S, U> Either<A, B, S, U> {
    fn keyed(windows: KeyedWindows<B, S, U>) -> Self {
        Either::Keyed(Box::new(windows))
    }
}

/// Calls `$call` on whichever operator an [`Either`] holds.
macro_rules! either {
    ($self:ident, $op:ident => $call:expr) => {
        match $self {
            Either::Time($op) => $call,
            Either::Keyed(keyed) => match &mut **keyed {
                KeyedWindows::Count($op) => $call,
                KeyedWindows::Session($op) => $call,
                KeyedWindows::Triggered($op) => $call,
            },
        }
    };
}

impl<T, A: Collector<T>, B: Collector<T>, S: Collector<T>, U: Collector<T>> Collector<T> for Either<A, B, S, U> {
    #[inline]
    fn collect(&mut self, value: T, timestamp: Timestamp) {
        either!(self, op => op.collect(value, timestamp))
    }
    fn on_control(&mut self, control: Control) {
        either!(self, op => op.on_control(control))
    }
    fn open(&mut self, ctx: &mut crate::RuntimeContext<'_>) -> Result<(), crate::JobError> {
        either!(self, op => op.open(ctx))
    }
    fn on_processing_time(&mut self, now: Timestamp) {
        either!(self, op => op.on_processing_time(now))
    }
    fn flush(&mut self) {
        either!(self, op => op.flush())
    }
    fn take_blocked(&mut self, blocked: &mut Vec<crate::core::collector::BlockedSend>) {
        either!(self, op => op.take_blocked(blocked))
    }
    fn close(&mut self) -> Result<(), crate::JobError> {
        either!(self, op => op.close())
    }
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In: 'static, P: Pipe<In>, KF, W, F> ChainBuilder<In, Then<P, WindowStage<KF, W, F>>>
where
    P::Out: Clone + Codec + Send + Sync + 'static,
{
    /// Session windows whose gap each record sets: `with_dynamic_gap(|record| gap)` on
    /// the assigner, which the compiler moves here, where the record type is known (so the
    /// closure needs no annotation).
    #[allow(clippy::type_complexity)]
    pub fn with_dynamic_gap<GF>(
        self,
        gap: GF,
    ) -> ChainBuilder<In, Then<P, WindowStage<KF, W, F, LateDropped, DynamicGap<GF>>>>
    where
        GF: FnMut(&P::Out) -> Duration + Clone + Send + 'static,
    {
        let Then(pipe, s) = self.pipe;
        ChainBuilder::new().then_on(pipe, s.with_parts(|late, _, custom| (late, DynamicGap(gap), custom)))
    }
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In: 'static, P: Pipe<In>, KF, W, F, G> ChainBuilder<In, Then<P, WindowStage<KF, W, F, LateDropped, G>>>
where
    P::Out: Clone + Codec + Send + Sync + 'static,
{
    /// Fires the windows by `trigger` instead of by time passing their end. A trigger of
    /// the other time domain, or one on session or count windows, does not compile.
    pub fn with_trigger<D: FiresIn<W::Domain>>(mut self, trigger: WindowTrigger<D>) -> Self
    where
        W: WindowAssigner,
    {
        self.pipe.1.trigger = Some(trigger.into_trigger());
        self
    }

    /// Fires the windows by a trigger of the user's own (a type implementing [`Trigger`]),
    /// on time or global windows (session and count windows take none: a compile error).
    #[allow(clippy::type_complexity)]
    pub fn with_custom_trigger<Y>(
        self,
        trigger: Y,
    ) -> ChainBuilder<In, Then<P, WindowStage<KF, W, F, LateDropped, G, Custom<Y>>>>
    where
        W: WindowAssigner,
        KF: KeySelector<P::Out>,
        Y: Trigger<KF::Key, P::Out> + FitsWindows<W::Domain>,
    {
        let Then(pipe, s) = self.pipe;
        ChainBuilder::new().then_on(pipe, s.with_parts(|late, gaps, _| (late, gaps, Custom(trigger))))
    }
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In: 'static, P: Pipe<In>, KF, W, F, G, X> ChainBuilder<In, Then<P, WindowStage<KF, W, F, LateDropped, G, X>>>
where
    P::Out: Clone + Codec + Send + Sync + 'static,
{
    /// Sends the records that are too late for their windows down `branch`
    /// (`side_output_late_data(&TAG)`, read with `side_output(&TAG)`).
    #[allow(clippy::type_complexity)]
    pub fn late_data_to<LT: Tail<P::Out>>(
        self,
        _tag: &OutputTag<P::Out>,
        branch: impl FnOnce(ChainBuilder<P::Out, Identity>) -> LT,
    ) -> ChainBuilder<In, Then<P, WindowStage<KF, W, F, LT, G, X>>> {
        let Then(pipe, s) = self.pipe;
        let late = branch(ChainBuilder::new());
        ChainBuilder::new().then_on(pipe, s.with_parts(|_, gaps, custom| (late, gaps, custom)))
    }
}

impl<KF, W, F, L, G, X> WritesSideOutputs for WindowStage<KF, W, F, L, G, X> {
    fn side_templates(&mut self) -> &mut SideTemplates {
        &mut self.sides
    }
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In: 'static, P: Pipe<In>> ChainBuilder<In, P>
where
    P::Out: Clone + Codec + Send + Sync + 'static,
{
    fn keyed_window<K, KF, W, F>(
        self,
        id: u32,
        key: impl FnOnce(KeyFor<P::Out>) -> KF,
        assigner: W,
        lateness: Duration,
        f: F,
    ) -> ChainBuilder<In, Then<P, WindowStage<KF, W, F>>>
    where
        KF: KeySelector<P::Out, Key = K>,
        K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
        W: WindowAssigner,
        F: WindowFn<K, P::Out>,
        F::Out: Send + 'static,
    {
        self.then(WindowStage::new(id, KeyFor::select(key), assigner, millis(lateness), f))
    }

    /// `window(..).aggregate(f)` on a keyed stream.
    #[allow(clippy::type_complexity)]
    pub fn keyed_window_aggregate<K, KF, W, A>(
        self,
        id: u32,
        key: impl FnOnce(KeyFor<P::Out>) -> KF,
        assigner: W,
        lateness: Duration,
        f: A,
    ) -> ChainBuilder<In, Then<P, WindowStage<KF, W, Aggregate<A>>>>
    where
        KF: KeySelector<P::Out, Key = K>,
        K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
        W: WindowAssigner,
        A: AggregateFunction<P::Out>,
        A::Out: Send + 'static,
    {
        self.keyed_window(id, key, assigner, lateness, Aggregate(f))
    }

    /// `window(..).aggregate(f, |key, ctx, result, out| ..)` on a keyed stream.
    #[allow(clippy::type_complexity)]
    pub fn keyed_window_aggregate_process<K, KF, W, A, O, PF>(
        self,
        id: u32,
        key: impl FnOnce(KeyFor<P::Out>) -> KF,
        assigner: W,
        lateness: Duration,
        f: A,
        process: PF,
    ) -> ChainBuilder<In, Then<P, WindowStage<KF, W, WithProcess<Aggregate<A>, PF, O>>>>
    where
        KF: KeySelector<P::Out, Key = K>,
        K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
        W: WindowAssigner,
        A: AggregateFunction<P::Out>,
        O: Send + 'static,
        PF: FnMut(&K, &mut WindowContext<'_, K>, A::Out, &mut Output<'_, O>) + Clone + Send + 'static,
    {
        self.keyed_window(id, key, assigner, lateness, WithProcess(Aggregate(f), process, PhantomData))
    }

    /// `window(..).reduce(f, |key, ctx, result, out| ..)` on a keyed stream.
    #[allow(clippy::type_complexity)]
    pub fn keyed_window_reduce_process<K, KF, W, R, O, PF>(
        self,
        id: u32,
        key: impl FnOnce(KeyFor<P::Out>) -> KF,
        assigner: W,
        lateness: Duration,
        f: R,
        process: PF,
    ) -> ChainBuilder<In, Then<P, WindowStage<KF, W, WithProcess<Folded<ReduceWith<R>>, PF, O>>>>
    where
        KF: KeySelector<P::Out, Key = K>,
        K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
        W: WindowAssigner,
        R: FnMut(P::Out, P::Out) -> P::Out + Clone + Send + 'static,
        O: Send + 'static,
        PF: FnMut(&K, &mut WindowContext<'_, K>, P::Out, &mut Output<'_, O>) + Clone + Send + 'static,
    {
        self.keyed_window(id, key, assigner, lateness, WithProcess(Folded(ReduceWith(f)), process, PhantomData))
    }

    /// `window(..).reduce(f)` on a keyed stream.
    #[allow(clippy::type_complexity)]
    pub fn keyed_window_reduce<K, KF, W, R>(
        self,
        id: u32,
        key: impl FnOnce(KeyFor<P::Out>) -> KF,
        assigner: W,
        lateness: Duration,
        f: R,
    ) -> ChainBuilder<In, Then<P, WindowStage<KF, W, Folded<ReduceWith<R>>>>>
    where
        KF: KeySelector<P::Out, Key = K>,
        K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
        W: WindowAssigner,
        R: FnMut(P::Out, P::Out) -> P::Out + Clone + Send + 'static,
    {
        self.keyed_window(id, key, assigner, lateness, Folded(ReduceWith(f)))
    }

    /// `window(..).sum(f)` / `min(f)` / `max(f)` on a keyed stream.
    #[allow(clippy::type_complexity)]
    pub fn keyed_window_field_aggregate<K, KF, W, A, N, G>(
        self,
        id: u32,
        key: impl FnOnce(KeyFor<P::Out>) -> KF,
        assigner: W,
        lateness: Duration,
        _agg: A,
        field: G,
    ) -> ChainBuilder<In, Then<P, WindowStage<KF, W, Folded<FieldFold<A, G, N>>>>>
    where
        KF: KeySelector<P::Out, Key = K>,
        K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
        W: WindowAssigner,
        A: crate::ops::agg::FieldAgg<N>,
        G: Fn(&mut P::Out) -> &mut N + Clone + Send + 'static,
        N: Copy + 'static,
    {
        self.keyed_window(id, key, assigner, lateness, Folded(FieldFold::new(field)))
    }

    /// `window(..).min_by(f)` / `max_by(f)` on a keyed stream.
    #[allow(clippy::type_complexity)]
    pub fn keyed_window_select_by<K, KF, W, S, N, G>(
        self,
        id: u32,
        key: impl FnOnce(KeyFor<P::Out>) -> KF,
        assigner: W,
        lateness: Duration,
        _select: S,
        field: G,
    ) -> ChainBuilder<In, Then<P, WindowStage<KF, W, Folded<SelectFold<S, G, N>>>>>
    where
        KF: KeySelector<P::Out, Key = K>,
        K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
        W: WindowAssigner,
        S: crate::ops::agg::Select,
        G: Fn(&P::Out) -> &N + Clone + Send + 'static,
        N: PartialOrd + 'static,
    {
        self.keyed_window(id, key, assigner, lateness, Folded(SelectFold::new(field)))
    }

    /// `window(..).process(|key, ctx, elements, out| ..)` on a keyed stream.
    #[allow(clippy::type_complexity)]
    pub fn keyed_window_process<K, KF, W, O, F>(
        self,
        id: u32,
        key: impl FnOnce(KeyFor<P::Out>) -> KF,
        assigner: W,
        lateness: Duration,
        f: F,
    ) -> ChainBuilder<In, Then<P, WindowStage<KF, W, ProcessWindow<F, O>>>>
    where
        KF: KeySelector<P::Out, Key = K>,
        K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
        W: WindowAssigner,
        O: Send + 'static,
        F: FnMut(&K, &mut WindowContext<'_, K>, &[P::Out], &mut Output<'_, O>) + Clone + Send + 'static,
    {
        self.keyed_window(id, key, assigner, lateness, ProcessWindow(f, PhantomData))
    }
}
