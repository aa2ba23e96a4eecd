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
//! #[rill::job]
//! fn per_second(env: &mut Env) {
//!     env.from_elements([("a", 100i64), ("a", 900), ("b", 1_200)])
//!         .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|r, _| r.1))
//!         .map(|(k, _)| (k, 1))
//!         .key_by(|(k, _)| *k)
//!         .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
//!         .sum(1)
//!         .print();
//! }
//! ```

use crate::api::{AggregateFunction, OutputTag};
use crate::core::collector::{Collector, Output};
use crate::core::element::{Control, Timestamp, NO_TIMESTAMP};
use crate::core::panic_scope;
use crate::core::pipe::{ChainBuilder, Identity, Pipe, Stage, Tail, Then};
use crate::ops::count_window::CountWindowOp;
use crate::ops::reduce::{FieldFold, Fold, ReduceWith, SelectFold};
use crate::ops::session_window::{DynamicGap, FixedGap, SessionGap, SessionWindowOp};
pub use crate::ops::window_context::WindowContext;
use crate::ops::window_context::WindowStates;
use crate::sinks::discard::DiscardSink;
use crate::state::key_groups::KeyMap;
use crate::time::{millis, TimeWindow, Trigger, WindowAssigner};
use std::collections::BTreeMap;
use std::hash::Hash;
use std::marker::PhantomData;
use std::time::Duration;

/// What a window keeps per key, and what it emits when it fires.
pub trait WindowFn<K, T>: Clone + Send + 'static {
    type Acc: Send + 'static;
    type Out;
    fn add(&mut self, acc: &mut Option<Self::Acc>, value: T);
    /// Two windows' accumulators as one, the earlier window's first (session windows merge).
    fn merge(&mut self, earlier: Self::Acc, later: Self::Acc) -> Self::Acc;
    /// The window fires: its result goes to `out`. `ctx` is the window, times and state.
    fn emit(&mut self, key: &K, ctx: &mut WindowContext<'_, K>, acc: &Self::Acc, out: &mut Vec<(Self::Out, Timestamp)>);
}

/// `aggregate(f)`.
#[derive(Clone)]
pub struct Aggregate<A>(A);

impl<K, T, A: AggregateFunction<T>> WindowFn<K, T> for Aggregate<A> {
    type Acc = A::Acc;
    type Out = A::Out;
    #[inline]
    fn add(&mut self, acc: &mut Option<A::Acc>, value: T) {
        let a = acc.get_or_insert_with(|| self.0.create_accumulator());
        self.0.add(value, a);
    }
    fn merge(&mut self, earlier: A::Acc, later: A::Acc) -> A::Acc {
        self.0.merge(earlier, later)
    }
    fn emit(&mut self, _: &K, ctx: &mut WindowContext<'_, K>, acc: &A::Acc, out: &mut Vec<(A::Out, Timestamp)>) {
        out.push((self.0.get_result(acc), ctx.max_timestamp()));
    }
}

/// `reduce`, `sum`, `min`, `max`, `min_by`, `max_by`: the aggregate is a record.
#[derive(Clone)]
pub struct Folded<G>(G);

impl<K, T: Clone + Send + 'static, G: Fold<T>> WindowFn<K, T> for Folded<G> {
    type Acc = T;
    type Out = T;
    #[inline]
    fn add(&mut self, acc: &mut Option<T>, value: T) {
        *acc = Some(self.0.fold(acc.take(), value));
    }
    fn merge(&mut self, earlier: T, later: T) -> T {
        self.0.fold(Some(earlier), later)
    }
    fn emit(&mut self, _: &K, ctx: &mut WindowContext<'_, K>, acc: &T, out: &mut Vec<(T, Timestamp)>) {
        out.push((acc.clone(), ctx.max_timestamp()));
    }
}

/// `process(|key, ctx, elements, out| ..)`: sees every element of the window, and through
/// `ctx` the window (`ctx.start`, `ctx.end`), event and processing time, and state.
pub struct ProcessWindow<F, O>(F, PhantomData<fn() -> O>);

impl<F: Clone, O> Clone for ProcessWindow<F, O> {
    fn clone(&self) -> Self {
        ProcessWindow(self.0.clone(), PhantomData)
    }
}

impl<K, T, O, F> WindowFn<K, T> for ProcessWindow<F, O>
where
    T: Send + 'static,
    O: 'static,
    F: FnMut(&K, &mut WindowContext<'_, K>, &[T], &mut Output<'_, O>) + Clone + Send + 'static,
{
    type Acc = Vec<T>;
    type Out = O;
    #[inline]
    fn add(&mut self, acc: &mut Option<Vec<T>>, value: T) {
        acc.get_or_insert_with(Vec::new).push(value);
    }
    fn merge(&mut self, mut earlier: Vec<T>, later: Vec<T>) -> Vec<T> {
        earlier.extend(later);
        earlier
    }
    fn emit(&mut self, key: &K, ctx: &mut WindowContext<'_, K>, acc: &Vec<T>, out: &mut Vec<(O, Timestamp)>) {
        let timestamp = ctx.max_timestamp();
        (self.0)(key, ctx, acc, &mut Output { buffer: out, timestamp });
    }
}

/// `aggregate(f, process)` / `reduce(f, process)`: the incremental result of each key and
/// window, handed with the key and the window to a process function (Flink's
/// `aggregate(AggregateFunction, ProcessWindowFunction)`).
pub struct WithProcess<G, P, O>(G, P, PhantomData<fn() -> O>);

impl<G: Clone, P: Clone, O> Clone for WithProcess<G, P, O> {
    fn clone(&self) -> Self {
        WithProcess(self.0.clone(), self.1.clone(), PhantomData)
    }
}

impl<K, T, G, P, O> WindowFn<K, T> for WithProcess<G, P, O>
where
    G: WindowFn<K, T>,
    P: FnMut(&K, &mut WindowContext<'_, K>, G::Out, &mut Output<'_, O>) + Clone + Send + 'static,
    O: 'static,
{
    type Acc = G::Acc;
    type Out = O;
    #[inline]
    fn add(&mut self, acc: &mut Option<G::Acc>, value: T) {
        self.0.add(acc, value)
    }
    fn merge(&mut self, earlier: G::Acc, later: G::Acc) -> G::Acc {
        self.0.merge(earlier, later)
    }
    fn emit(&mut self, key: &K, ctx: &mut WindowContext<'_, K>, acc: &G::Acc, out: &mut Vec<(O, Timestamp)>) {
        let mut results = Vec::with_capacity(1);
        self.0.emit(key, ctx, acc, &mut results);
        for (r, ts) in results {
            (self.1)(key, ctx, r, &mut Output { buffer: out, timestamp: ts });
        }
    }
}

#[derive(Clone)]
pub struct WindowStage<KF, W, F, L = DiscardSink, G = FixedGap> {
    id: u32,
    key: KF,
    assigner: W,
    lateness: i64,
    f: F,
    late: L,
    trigger: Option<Trigger>,
    /// Session windows: the gap each record sets, if not the assigner's.
    gaps: G,
}

pub struct WindowOp<KF, W, F, K, Acc, O, C, L> {
    id: u32,
    key: KF,
    assigner: W,
    lateness: i64,
    f: F,
    /// Open windows in order of their end (all windows of an assigner have one size), each
    /// with the accumulator of every key that has records in it.
    windows: BTreeMap<TimeWindow, KeyMap<K, Option<Acc>>>,
    assigned: Vec<TimeWindow>,
    /// Event time (the input watermark) or processing time (the clock at the last tick):
    /// windows up to here have fired.
    watermark: Timestamp,
    event_time: bool,
    /// When windows fire (`trigger(..)`); by default when time passes their end.
    trigger: Trigger,
    /// Records per key and window, for a count trigger.
    counts: KeyMap<(TimeWindow, K), u64>,
    /// The next firing per key and window, for a continuous trigger.
    next_fire: KeyMap<(TimeWindow, K), Timestamp>,
    clock: crate::time::Clock,
    /// The process function's state per key and window, and per key.
    states: WindowStates<K>,
    out: Vec<(O, Timestamp)>,
    /// Records that arrived after their windows' allowed lateness.
    pub late_records: u64,
    next: C,
    /// Where records too late for every window go (`side_output_late_data`), or nowhere.
    late: L,
}

impl<T, K, KF, W, F, L, G> Stage<T> for WindowStage<KF, W, F, L, G>
where
    G: SessionGap<T>,
    T: Clone + Send + 'static,
    KF: FnMut(&T) -> K + Clone + Send + 'static,
    K: Hash + Eq + Clone + Send + 'static,
    W: WindowAssigner,
    F: WindowFn<K, T>,
    F::Out: Send + 'static,
    L: Tail<T>,
{
    type Out = F::Out;
    fn wrap<C: Collector<F::Out>>(self, next: C) -> impl Collector<T> {
        if let Some((size, slide)) = self.assigner.count() {
            return Either::Count(CountWindowOp::new(self.id, self.key, size, slide, self.f, next));
        }
        if let Some(gap) = self.assigner.session_gap() {
            assert!(
                self.trigger.is_none(),
                "{}: a trigger on session windows is not supported yet; session windows fire when the session ends",
                self.assigner.describe()
            );
            let event_time = self.assigner.is_event_time();
            let (id, lateness, late) = (self.id, self.lateness, self.late.build());
            return Either::Session(SessionWindowOp::new(
                id, self.key, gap, self.gaps, event_time, lateness, self.f, next, late,
            ));
        }
        let event_time = self.assigner.is_event_time();
        let default = self.assigner.default_trigger().unwrap_or(if event_time {
            Trigger::EventTime
        } else {
            Trigger::ProcessingTime
        });
        let trigger = self.trigger.unwrap_or(default);
        let mismatch = match trigger.inner() {
            Trigger::EventTime | Trigger::ContinuousEventTime(_) => !event_time,
            Trigger::ProcessingTime | Trigger::ContinuousProcessingTime(_) => event_time,
            _ => false,
        };
        assert!(!mismatch, "trigger {trigger:?} fires in the other time domain than its windows: use an event-time trigger with event-time windows, a processing-time one with processing-time windows");
        Either::Time(WindowOp {
            id: self.id,
            key: self.key,
            assigner: self.assigner,
            lateness: self.lateness,
            f: self.f,
            windows: BTreeMap::new(),
            assigned: Vec::with_capacity(4),
            watermark: i64::MIN,
            event_time,
            trigger,
            counts: KeyMap::default(),
            next_fire: KeyMap::default(),
            clock: crate::time::Clock::System,
            states: WindowStates::default(),
            out: Vec::new(),
            late_records: 0,
            next,
            late: self.late.build(),
        })
    }
}

/// The window operator of an assigner: by time, or by count.
pub enum Either<A, B, S> {
    Time(A),
    Count(B),
    Session(S),
}

impl<T, A: Collector<T>, B: Collector<T>, S: Collector<T>> Collector<T> for Either<A, B, S> {
    #[inline]
    fn collect(&mut self, value: T, timestamp: Timestamp) {
        match self {
            Either::Time(a) => a.collect(value, timestamp),
            Either::Count(b) => b.collect(value, timestamp),
            Either::Session(s) => s.collect(value, timestamp),
        }
    }
    fn on_control(&mut self, control: Control) {
        match self {
            Either::Time(a) => a.on_control(control),
            Either::Count(b) => b.on_control(control),
            Either::Session(s) => s.on_control(control),
        }
    }
    fn open(&mut self, ctx: &mut crate::RuntimeContext<'_>) -> Result<(), crate::JobError> {
        match self {
            Either::Time(a) => a.open(ctx),
            Either::Count(b) => b.open(ctx),
            Either::Session(s) => s.open(ctx),
        }
    }
    fn on_processing_time(&mut self, now: Timestamp) {
        match self {
            Either::Time(a) => a.on_processing_time(now),
            Either::Count(b) => b.on_processing_time(now),
            Either::Session(s) => s.on_processing_time(now),
        }
    }
    fn flush(&mut self) {
        match self {
            Either::Time(a) => a.flush(),
            Either::Count(b) => b.flush(),
            Either::Session(s) => s.flush(),
        }
    }
    fn take_blocked(&mut self, blocked: &mut Vec<crate::core::collector::BlockedSend>) {
        match self {
            Either::Time(a) => a.take_blocked(blocked),
            Either::Count(b) => b.take_blocked(blocked),
            Either::Session(s) => s.take_blocked(blocked),
        }
    }
    fn close(&mut self) -> Result<(), crate::JobError> {
        match self {
            Either::Time(a) => a.close(),
            Either::Count(b) => b.close(),
            Either::Session(s) => s.close(),
        }
    }
}

impl<KF, W, F, K, Acc, O, C, L> WindowOp<KF, W, F, K, Acc, O, C, L> {
    fn send_out(&mut self)
    where
        C: Collector<O>,
    {
        for (o, ts) in self.out.drain(..) {
            self.next.collect(o, ts);
        }
    }

    /// Time (event or processing) has reached `time`: fires the windows it passed and
    /// drops those past their allowed lateness.
    fn advance<T>(&mut self, time: Timestamp)
    where
        K: Hash + Eq + Clone + Send + 'static,
        F: WindowFn<K, T, Acc = Acc, Out = O>,
        C: Collector<O>,
    {
        if time <= self.watermark {
            return;
        }
        panic_scope::enter(self.id);
        let previous = self.watermark;
        self.watermark = time;
        let purge = self.trigger.purges();
        let (fires_at_end, interval) = match self.trigger.inner() {
            Trigger::Count(_) | Trigger::Never => (false, None),
            Trigger::ContinuousEventTime(i) | Trigger::ContinuousProcessingTime(i) => (true, Some(*i)),
            _ => (true, None),
        };
        // Continuous triggers: each key's window fires every interval from its first record
        // on (at aligned times, as Flink registers them), while it is open.
        if let Some(interval) = interval {
            let (windows, f, out) = (&mut self.windows, &mut self.f, &mut self.out);
            for ((window, key), next) in self.next_fire.iter_mut() {
                while *next <= time && *next < window.max_timestamp() {
                    if let Some(acc) = windows.get_mut(window).and_then(|keys| keys.get_mut(key)) {
                        if let Some(a) = acc.as_ref() {
                            let mut ctx = self.states.context(key, *window, time, &self.clock);
                            f.emit(key, &mut ctx, a, out);
                            if purge {
                                *acc = None;
                            }
                        }
                    }
                    *next += interval;
                }
            }
        }
        if fires_at_end {
            for (window, keys) in self.windows.iter_mut() {
                let last = window.max_timestamp();
                if last > time {
                    break;
                }
                if last > previous {
                    for (key, acc) in keys.iter_mut() {
                        if let Some(a) = acc.as_ref() {
                            let mut ctx = self.states.context(key, *window, time, &self.clock);
                            self.f.emit(key, &mut ctx, a, &mut self.out);
                            if purge {
                                *acc = None;
                            }
                        }
                    }
                }
            }
        }
        self.send_out();
        while let Some(entry) = self.windows.first_entry() {
            if entry.key().max_timestamp().saturating_add(self.lateness) > time {
                break;
            }
            let (window, keys) = entry.remove_entry();
            for key in keys.keys() {
                self.states.drop_window(key, window);
            }
            if !self.counts.is_empty() {
                self.counts.retain(|(w, _), _| *w != window);
            }
            if !self.next_fire.is_empty() {
                self.next_fire.retain(|(w, _), _| *w != window);
            }
        }
    }
}

impl<T, K, KF, W, F, C, L> Collector<T> for WindowOp<KF, W, F, K, F::Acc, F::Out, C, L>
where
    T: Clone + Send,
    KF: FnMut(&T) -> K + Send,
    K: Hash + Eq + Clone + Send + 'static,
    W: WindowAssigner,
    F: WindowFn<K, T>,
    F::Out: Send,
    C: Collector<F::Out>,
    L: Collector<T>,
{
    #[inline]
    fn collect(&mut self, value: T, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        let time = if self.event_time {
            assert!(
                timestamp != NO_TIMESTAMP || !self.assigner.needs_timestamps(),
                "the record has no event timestamp: call assign_timestamps_and_watermarks(..) before an event-time window"
            );
            timestamp
        } else {
            self.clock.now()
        };
        let key = (self.key)(&value);
        self.assigned.clear();
        self.assigner.assign(time, &mut self.assigned);
        let n = self.assigned.len();
        // Later than the allowed lateness for every window it belongs to: a late record. A
        // record in no window at all (a gap between sliding windows) is late only by its own
        // timestamp, and otherwise dropped, as in Flink's `WindowOperator`.
        let lateness = self.lateness;
        let watermark = self.watermark;
        if self.assigned.iter().all(|w| w.max_timestamp().saturating_add(lateness) <= watermark) {
            if !self.assigned.is_empty() || time.saturating_add(lateness) <= watermark {
                self.late_records += 1;
                self.late.collect(value, timestamp);
            }
            return;
        }
        let mut value = Some(value);
        for i in 0..n {
            let window = self.assigned[i];
            if window.max_timestamp().saturating_add(self.lateness) <= self.watermark {
                continue; // This window is gone; the record still counts for the others.
            }
            let v = if i + 1 == n { value.take().expect("value") } else { value.clone().expect("value") };
            let keys = self.windows.entry(window).or_default();
            let acc = match keys.get_mut(&key) {
                Some(acc) => acc,
                None => keys.entry(key.clone()).or_insert(None),
            };
            self.f.add(acc, v);
            if let Trigger::ContinuousEventTime(i) | Trigger::ContinuousProcessingTime(i) = self.trigger.inner() {
                let first = time.div_euclid(*i) * i + i;
                self.next_fire.entry((window, key.clone())).or_insert(first);
            }
            if let Trigger::Count(n) = self.trigger.inner() {
                let count = self.counts.entry((window, key.clone())).or_insert(0);
                *count += 1;
                if *count >= *n {
                    *count = 0;
                    if let Some(a) = acc.as_ref() {
                        let mut ctx = self.states.context(&key, window, self.watermark, &self.clock);
                        self.f.emit(&key, &mut ctx, a, &mut self.out);
                    }
                    if self.trigger.purges() {
                        *acc = None;
                    }
                    self.send_out();
                    panic_scope::enter(self.id);
                }
                continue;
            }
            if window.max_timestamp() <= self.watermark {
                // The window has fired already and is within its lateness: fire it again.
                if let Some(acc) = acc.as_ref() {
                    let mut ctx = self.states.context(&key, window, self.watermark, &self.clock);
                    self.f.emit(&key, &mut ctx, acc, &mut self.out);
                }
                self.send_out();
                panic_scope::enter(self.id);
            }
        }
    }

    fn on_control(&mut self, control: Control) {
        if let Control::Watermark(w) = control {
            if self.event_time {
                self.advance(w);
            }
        }
        self.late.on_control(control);
        self.next.on_control(control);
    }

    fn open(&mut self, ctx: &mut crate::RuntimeContext<'_>) -> Result<(), crate::JobError> {
        self.clock = ctx.clock.clone();
        self.late.open(ctx)?;
        self.next.open(ctx)
    }
    fn on_processing_time(&mut self, now: Timestamp) {
        if !self.event_time {
            self.advance(now);
        }
        self.late.on_processing_time(now);
        self.next.on_processing_time(now);
    }
    fn flush(&mut self) {
        self.late.flush();
        self.next.flush();
    }
    fn take_blocked(&mut self, blocked: &mut Vec<crate::core::collector::BlockedSend>) {
        self.late.take_blocked(blocked);
        self.next.take_blocked(blocked);
    }
    fn close(&mut self) -> Result<(), crate::JobError> {
        self.late.close()?;
        self.next.close()
    }
}

impl<In: 'static, P: Pipe<In>, KF, W, F> ChainBuilder<In, Then<P, WindowStage<KF, W, F>>>
where
    P::Out: Clone + Send + 'static,
{
    /// Session windows whose gap each record sets: `with_dynamic_gap(|record| gap)` on
    /// the assigner, which the compiler moves here, where the record type is known (so the
    /// closure needs no annotation).
    #[allow(clippy::type_complexity)]
    pub fn with_dynamic_gap<GF>(
        self,
        gap: GF,
    ) -> ChainBuilder<In, Then<P, WindowStage<KF, W, F, DiscardSink, DynamicGap<GF>>>>
    where
        GF: FnMut(&P::Out) -> Duration + Clone + Send + 'static,
    {
        let Then(pipe, s) = self.pipe;
        let stage = WindowStage {
            id: s.id,
            key: s.key,
            assigner: s.assigner,
            lateness: s.lateness,
            f: s.f,
            late: s.late,
            trigger: s.trigger,
            gaps: DynamicGap(gap),
        };
        ChainBuilder::new().then_on(pipe, stage)
    }
}

impl<In: 'static, P: Pipe<In>, KF, W, F, G> ChainBuilder<In, Then<P, WindowStage<KF, W, F, DiscardSink, G>>>
where
    P::Out: Clone + Send + 'static,
{
    /// Fires the windows by `trigger` instead of by time passing their end.
    pub fn with_trigger(mut self, trigger: Trigger) -> Self {
        self.pipe.1.trigger = Some(trigger);
        self
    }

    /// Sends the records that are too late for their windows down `branch`
    /// (`side_output_late_data(&TAG)`, read with `side_output(&TAG)`).
    #[allow(clippy::type_complexity)]
    pub fn late_data_to<LT: Tail<P::Out>>(
        self,
        _tag: &OutputTag<P::Out>,
        branch: impl FnOnce(ChainBuilder<P::Out, Identity>) -> LT,
    ) -> ChainBuilder<In, Then<P, WindowStage<KF, W, F, LT, G>>> {
        let Then(pipe, stage) = self.pipe;
        let late = branch(ChainBuilder::new());
        let stage = WindowStage {
            id: stage.id,
            key: stage.key,
            assigner: stage.assigner,
            lateness: stage.lateness,
            f: stage.f,
            late,
            trigger: stage.trigger,
            gaps: stage.gaps,
        };
        ChainBuilder::new().then_on(pipe, stage)
    }
}

impl<In: 'static, P: Pipe<In>> ChainBuilder<In, P>
where
    P::Out: Clone + Send + 'static,
{
    fn keyed_window<K, KF, W, F>(
        self,
        id: u32,
        key: KF,
        assigner: W,
        lateness: Duration,
        f: F,
    ) -> ChainBuilder<In, Then<P, WindowStage<KF, W, F>>>
    where
        KF: FnMut(&P::Out) -> K + Clone + Send + 'static,
        K: Hash + Eq + Clone + Send + 'static,
        W: WindowAssigner,
        F: WindowFn<K, P::Out>,
        F::Out: Send + 'static,
    {
        self.then(WindowStage {
            id,
            key,
            assigner,
            lateness: millis(lateness),
            f,
            late: DiscardSink::default(),
            trigger: None,
            gaps: FixedGap,
        })
    }

    /// `window(..).aggregate(f)` on a keyed stream.
    #[allow(clippy::type_complexity)]
    pub fn keyed_window_aggregate<K, KF, W, A>(
        self,
        id: u32,
        key: KF,
        assigner: W,
        lateness: Duration,
        f: A,
    ) -> ChainBuilder<In, Then<P, WindowStage<KF, W, Aggregate<A>>>>
    where
        KF: FnMut(&P::Out) -> K + Clone + Send + 'static,
        K: Hash + Eq + Clone + Send + 'static,
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
        key: KF,
        assigner: W,
        lateness: Duration,
        f: A,
        process: PF,
    ) -> ChainBuilder<In, Then<P, WindowStage<KF, W, WithProcess<Aggregate<A>, PF, O>>>>
    where
        KF: FnMut(&P::Out) -> K + Clone + Send + 'static,
        K: Hash + Eq + Clone + Send + 'static,
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
        key: KF,
        assigner: W,
        lateness: Duration,
        f: R,
        process: PF,
    ) -> ChainBuilder<In, Then<P, WindowStage<KF, W, WithProcess<Folded<ReduceWith<R>>, PF, O>>>>
    where
        KF: FnMut(&P::Out) -> K + Clone + Send + 'static,
        K: Hash + Eq + Clone + Send + 'static,
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
        key: KF,
        assigner: W,
        lateness: Duration,
        f: R,
    ) -> ChainBuilder<In, Then<P, WindowStage<KF, W, Folded<ReduceWith<R>>>>>
    where
        KF: FnMut(&P::Out) -> K + Clone + Send + 'static,
        K: Hash + Eq + Clone + Send + 'static,
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
        key: KF,
        assigner: W,
        lateness: Duration,
        _agg: A,
        field: G,
    ) -> ChainBuilder<In, Then<P, WindowStage<KF, W, Folded<FieldFold<A, G, N>>>>>
    where
        KF: FnMut(&P::Out) -> K + Clone + Send + 'static,
        K: Hash + Eq + Clone + Send + 'static,
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
        key: KF,
        assigner: W,
        lateness: Duration,
        _select: S,
        field: G,
    ) -> ChainBuilder<In, Then<P, WindowStage<KF, W, Folded<SelectFold<S, G, N>>>>>
    where
        KF: FnMut(&P::Out) -> K + Clone + Send + 'static,
        K: Hash + Eq + Clone + Send + 'static,
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
        key: KF,
        assigner: W,
        lateness: Duration,
        f: F,
    ) -> ChainBuilder<In, Then<P, WindowStage<KF, W, ProcessWindow<F, O>>>>
    where
        KF: FnMut(&P::Out) -> K + Clone + Send + 'static,
        K: Hash + Eq + Clone + Send + 'static,
        W: WindowAssigner,
        O: Send + 'static,
        F: FnMut(&K, &mut WindowContext<'_, K>, &[P::Out], &mut Output<'_, O>) + Clone + Send + 'static,
    {
        self.keyed_window(id, key, assigner, lateness, ProcessWindow(f, PhantomData))
    }
}
