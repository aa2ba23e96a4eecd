//! `window(..).aggregate(f)` in amortized constant work per record, whatever the ratio of
//! window size to slide.
//!
//! Instead of adding each record to every window it belongs to (size/slide windows, as
//! Flink does), a record is added to one *pane* (the gcd of size and slide). Each key keeps
//! its panes in a FIFO built from two stacks: the front stack holds running merges from the
//! oldest pane on, the back stack one running merge of the newer panes. A window's result
//! is then one `merge` of the two, and sliding by one pane pushes one and pops one: O(1)
//! merges per pane, amortized. Panes newer than the window being fired wait aside.
//!
//! It needs `AggregateFunction::merge` (whose result must not depend on the order in which
//! records were added, as Flink requires of it) and is used without allowed lateness; the
//! other window functions keep per-window state (see the `time_window` module). A process
//! function after the aggregate (`aggregate(f, |key, ctx, result, out| ..)`) sees each
//! window's result as it would with per-window state.

use super::late_dropped::LateDropped;
use crate::api::codec::Codec;
use crate::api::AggregateFunction;
use crate::checkpoint::KeyedEntries;
use crate::core::collector::{Collector, Output};
use crate::core::element::{Control, Timestamp, NO_TIMESTAMP};
use crate::core::error::JobError;
use crate::core::panic_scope;
use crate::core::pipe::{ChainBuilder, Identity, Pipe, Stage, Tail, Then};
use crate::core::runtime_context::RuntimeContext;
use crate::core::side_output::{SideTemplates, WritesSideOutputs};
use crate::ops::window::checkpoint::{CheckpointTo, Progress};
use crate::ops::window::context::{WindowContext, WindowStates};
use crate::state::cow::CowMap;
use crate::state::key_selector::KeySelector;
use crate::time::{Clock, TimeWindow, WindowAssigner};
use std::collections::VecDeque;
use std::hash::Hash;

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The panes of one key.
#[derive(Clone, crate::Codec)]
struct KeyPanes<Acc> {
    /// Panes not in the FIFO yet (at or after the end of the last window fired), by start.
    pending: VecDeque<(i64, Acc)>,
    /// The oldest panes, oldest on top (last): `(start, pane, merge of it and all below)`.
    front: Vec<(i64, Acc, Acc)>,
    /// The newer panes, oldest first, and their merge.
    back: Vec<(i64, Acc)>,
    back_merged: Option<Acc>,
    /// A pane already in the FIFO changed (an out-of-order record): merges are stale.
    dirty: bool,
}

impl<Acc> Default for KeyPanes<Acc> {
    fn default() -> Self {
        KeyPanes { pending: VecDeque::new(), front: Vec::new(), back: Vec::new(), back_merged: None, dirty: false }
    }
}

impl<Acc: Clone> KeyPanes<Acc> {
    fn is_empty(&self) -> bool {
        self.pending.is_empty() && self.front.is_empty() && self.back.is_empty()
    }

    /// The pane starting at `start`, created if missing; `in_fifo` when it is already
    /// among the panes of fired windows.
    fn pane<A: AggregateFunction<T, Acc = Acc>, T>(&mut self, start: i64, in_fifo: bool, f: &A) -> &mut Acc {
        if !in_fifo {
            // Usually the newest pane; many may wait while another input holds the
            // watermark back, so search.
            let i = match self.pending.back() {
                Some((s, _)) if *s == start => self.pending.len() - 1,
                _ => match self.pending.binary_search_by_key(&start, |(s, _)| *s) {
                    Ok(i) => i,
                    Err(i) => {
                        self.pending.insert(i, (start, f.create_accumulator()));
                        i
                    }
                },
            };
            return &mut self.pending[i].1;
        }
        self.dirty = true;
        if let Some(i) = self.front.iter().position(|(s, _, _)| *s == start) {
            return &mut self.front[i].1;
        }
        let at = self.back.iter().rposition(|(s, _)| *s <= start);
        match at {
            Some(i) if self.back[i].0 == start => &mut self.back[i].1,
            _ => {
                // A pane that had no records: rebuilding puts it in order.
                self.back.push((start, f.create_accumulator()));
                let last = self.back.len() - 1;
                &mut self.back[last].1
            }
        }
    }

    /// Moves every pane into the back stack, in order, and recomputes the merges.
    fn rebuild<A: AggregateFunction<T, Acc = Acc>, T>(&mut self, f: &A) {
        let mut all: Vec<(i64, Acc)> = self.front.drain(..).rev().map(|(s, a, _)| (s, a)).collect();
        all.append(&mut self.back);
        all.sort_by_key(|(s, _)| *s);
        self.back_merged = None;
        for (s, a) in all {
            self.push_back(s, a, f);
        }
        self.dirty = false;
    }

    fn push_back<A: AggregateFunction<T, Acc = Acc>, T>(&mut self, start: i64, pane: Acc, f: &A) {
        self.back_merged = Some(match self.back_merged.take() {
            Some(m) => f.merge(m, pane.clone()),
            None => pane.clone(),
        });
        self.back.push((start, pane));
    }

    /// Moves the back stack to the front, computing the running merges from the newest down.
    fn flip<A: AggregateFunction<T, Acc = Acc>, T>(&mut self, f: &A) {
        let mut merged: Option<Acc> = None;
        while let Some((s, pane)) = self.back.pop() {
            let m = match merged {
                Some(m) => f.merge(pane.clone(), m),
                None => pane.clone(),
            };
            merged = Some(m.clone());
            self.front.push((s, pane, m));
        }
        self.back_merged = None;
    }

    /// The merge of the panes in `[end - size, end)`, after moving waiting panes in and
    /// dropping older ones.
    fn window<A: AggregateFunction<T, Acc = Acc>, T>(&mut self, end: i64, size: i64, f: &A) -> Option<Acc> {
        while self.pending.front().is_some_and(|(s, _)| *s < end) {
            let (s, pane) = self.pending.pop_front().expect("pane");
            if self.dirty {
                self.back.push((s, pane));
            } else {
                self.push_back(s, pane, f);
            }
        }
        if self.dirty {
            self.rebuild(f);
        }
        loop {
            if self.front.is_empty() {
                if self.back.first().is_some_and(|(s, _)| *s < end - size) {
                    self.flip(f);
                } else {
                    break;
                }
            }
            match self.front.last() {
                Some((s, _, _)) if *s < end - size => {
                    self.front.pop();
                }
                _ => break,
            }
        }
        match (self.front.last(), &self.back_merged) {
            (None, None) => None,
            (Some((_, _, m)), None) => Some(m.clone()),
            (None, Some(b)) => Some(b.clone()),
            (Some((_, _, m)), Some(b)) => Some(f.merge(m.clone(), b.clone())),
        }
    }
}

/// What a fired window emits: its aggregate's result, or what a process function makes
/// of it with the key and the window.
pub trait PaneResult<K, R>: Clone + Send + 'static {
    /// What the window emits.
    type Out;
    /// A window's result for `key`, sent to `out`.
    fn emit(&mut self, key: &K, ctx: &mut WindowContext<'_, K>, result: R, out: &mut Vec<(Self::Out, Timestamp)>);
}

/// `aggregate(f)`: the result itself, at the window's `end - 1`.
#[derive(Clone, Copy, Default)]
pub struct ResultOnly;

impl<K, R> PaneResult<K, R> for ResultOnly {
    type Out = R;
    #[inline]
    fn emit(&mut self, _: &K, ctx: &mut WindowContext<'_, K>, result: R, out: &mut Vec<(R, Timestamp)>) {
        out.push((result, ctx.max_timestamp()));
    }
}

/// `aggregate(f, |key, ctx, result, out| ..)`.
pub struct ProcessResult<P, O>(pub(super) P, pub(super) std::marker::PhantomData<fn() -> O>);

impl<P: Clone, O> Clone for ProcessResult<P, O> {
    fn clone(&self) -> Self {
        ProcessResult(self.0.clone(), std::marker::PhantomData)
    }
}

impl<K, R, P, O> PaneResult<K, R> for ProcessResult<P, O>
where
    P: FnMut(&K, &mut WindowContext<'_, K>, R, &mut Output<'_, O>) + Clone + Send + 'static,
    O: 'static,
{
    type Out = O;
    #[inline]
    fn emit(&mut self, key: &K, ctx: &mut WindowContext<'_, K>, result: R, out: &mut Vec<(O, Timestamp)>) {
        let timestamp = ctx.max_timestamp();
        (self.0)(key, ctx, result, &mut Output { buffer: out, timestamp });
    }
}

/// The stage of windows on panes.
#[derive(Clone)]
pub struct PaneStage<KF, A, E = ResultOnly, L = LateDropped> {
    id: u32,
    key: KF,
    size: i64,
    slide: i64,
    offset: i64,
    f: A,
    emit: E,
    late: L,
    sides: SideTemplates,
}

impl<KF, A, E> PaneStage<KF, A, E> {
    /// The panes of `assigner`'s windows, for operator `id`.
    pub(super) fn new<W: WindowAssigner>(id: u32, key: KF, assigner: &W, f: A, emit: E) -> Self {
        let (size, slide, offset) = assigner.geometry();
        let (late, sides) = (LateDropped::default(), SideTemplates::default());
        PaneStage { id, key, size, slide, offset, f, emit, late, sides }
    }
}

/// Windows on panes in a running chain.
pub struct PaneOp<KF, A, E, K, Acc, O, C, L> {
    id: u32,
    key: KF,
    size: i64,
    slide: i64,
    offset: i64,
    pane: i64,
    f: A,
    emit: E,
    /// Each key's panes, copy-on-write: a checkpoint freezes them at once and encodes them
    /// on another thread.
    keys: CowMap<K, KeyPanes<Acc>>,
    watermark: Timestamp,
    /// The end of the last window fired: panes before it are in the keys' FIFOs.
    fired_end: i64,
    /// The end of the next window to fire, and the last end any record needs.
    next_end: i64,
    max_end: i64,
    clock: Clock,
    states: WindowStates<K>,
    out: Vec<(O, Timestamp)>,
    /// Records that arrived after their windows fired.
    pub late_records: u64,
    next: C,
    late: L,
    /// Where its state goes at a checkpoint.
    checkpoint: CheckpointTo,
}

impl<KF, A, E, K, Acc, O, C, L> PaneOp<KF, A, E, K, Acc, O, C, L>
where
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    Acc: Codec + Send + Sync + 'static,
{
    /// Writes each key's panes (frozen as they are, encoded on another thread), how far
    /// windows have fired, and the function's state.
    fn snapshot(&mut self) {
        let Some((writer, uid, key_groups)) = &self.checkpoint else { return };
        let frozen = self.keys.freeze();
        let groups = *key_groups;
        writer.write_later(&format!("{uid}#panes"), move || {
            let mut entries = KeyedEntries::new(groups);
            for (key, panes) in frozen.iter() {
                entries.push(key, |out| {
                    key.encode(out);
                    panes.encode(out);
                });
            }
            entries.finish()
        });
        let progress = Progress {
            watermark: self.watermark,
            fired_end: self.fired_end,
            next_end: self.next_end,
            max_end: self.max_end,
        };
        progress.write(writer, uid);
        self.states.snapshot(*key_groups, writer, uid);
    }

    /// Takes the state back from the checkpoint the job restarts from, if any.
    fn restore(&mut self, ctx: &RuntimeContext<'_>) -> Result<(), JobError> {
        let Some((writer, uid)) = ctx.state_writer(self.id) else { return Ok(()) };
        self.checkpoint = Some((writer, uid, ctx.max_parallelism));
        let Some(restore) = ctx.restore(uid) else { return Ok(()) };
        let keys = restore
            .keyed(&format!("{uid}#panes"), <(K, KeyPanes<Acc>)>::decode)
            .map_err(|e| JobError::restore(uid, e))?;
        self.keys.settle().extend(keys);
        if let Some(p) = Progress::restore(&restore, uid)? {
            (self.watermark, self.fired_end, self.next_end, self.max_end) =
                (p.watermark, p.fired_end, p.next_end, p.max_end);
        }
        self.states.restore(&restore, uid)
    }
}

impl<T, K, KF, A, E, L> Stage<T> for PaneStage<KF, A, E, L>
where
    T: Send + 'static,
    KF: KeySelector<T, Key = K>,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    A: AggregateFunction<T>,
    A::Acc: Clone,
    E: PaneResult<K, A::Out>,
    E::Out: Send + 'static,
    L: Tail<T>,
{
    type Out = E::Out;
    fn wrap<C: Collector<E::Out>>(self, next: C) -> impl Collector<T> {
        PaneOp {
            id: self.id,
            key: self.key,
            size: self.size,
            slide: self.slide,
            offset: self.offset,
            pane: gcd(self.size, self.slide),
            f: self.f,
            emit: self.emit,
            keys: CowMap::cloning(),
            watermark: i64::MIN,
            fired_end: i64::MIN,
            next_end: i64::MAX,
            max_end: i64::MIN,
            clock: Clock::System,
            states: WindowStates::new(self.sides.build()),
            out: Vec::new(),
            late_records: 0,
            next,
            late: self.late.build(),
            checkpoint: None,
        }
    }
}

impl<KF, A, E, K: Hash + Eq + Clone + Codec + Send + Sync + 'static, Acc: Clone + Codec, O, C: Collector<O>, L>
    PaneOp<KF, A, E, K, Acc, O, C, L>
{
    /// Fires every window whose end the watermark has passed, in order.
    fn fire_until<T>(&mut self, watermark: Timestamp)
    where
        A: AggregateFunction<T, Acc = Acc>,
        E: PaneResult<K, A::Out, Out = O>,
    {
        while self.next_end <= self.max_end && self.next_end - 1 <= watermark {
            let end = self.next_end;
            let window = TimeWindow { start: end - self.size, end };
            let (size, f, emit, out) = (self.size, &self.f, &mut self.emit, &mut self.out);
            let (states, clock) = (&mut self.states, &self.clock);
            // Every key's panes change: those a snapshot still holds are copied in first.
            self.keys.settle().retain(|key, panes| {
                if let Some(acc) = panes.window(end, size, f) {
                    let mut ctx = states.context(key, window, watermark, clock);
                    emit.emit(key, &mut ctx, f.get_result(&acc), out);
                    // Without allowed lateness a window fires once: its state goes with it.
                    states.drop_window(key, window);
                }
                !panes.is_empty()
            });
            crate::core::collector::send_buffered(&mut self.out, &mut self.next);
            panic_scope::enter(self.id);
            self.fired_end = end;
            self.next_end += self.slide;
        }
        if self.next_end > self.max_end {
            self.next_end = i64::MAX;
        }
    }
}

impl<T, K, KF, A, E, C, L> Collector<T> for PaneOp<KF, A, E, K, A::Acc, E::Out, C, L>
where
    T: Send,
    KF: KeySelector<T, Key = K>,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    A: AggregateFunction<T>,
    A::Acc: Clone,
    E: PaneResult<K, A::Out>,
    E::Out: Send,
    C: Collector<E::Out>,
    L: Collector<T>,
{
    #[inline]
    fn collect(&mut self, value: T, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        assert!(
            timestamp != NO_TIMESTAMP,
            "the record has no event timestamp: call assign_timestamps_and_watermarks(..) before an event-time window"
        );
        let last_start = TimeWindow::start_with_offset(timestamp, self.offset, self.slide);
        let last_end = last_start + self.size;
        if timestamp >= last_end {
            // In a gap between windows (size < slide): late by its own timestamp, else
            // dropped, as in Flink's `WindowOperator`.
            if timestamp <= self.watermark {
                self.late_records += 1;
                self.late.collect(value, timestamp);
            }
            return;
        }
        if last_end - 1 <= self.watermark {
            self.late_records += 1;
            self.late.collect(value, timestamp);
            return;
        }
        // The record's earliest window, then its first one that has not fired yet (window
        // ends lie `slide` apart).
        let earlier = (last_start - timestamp + self.size - 1).div_euclid(self.slide);
        let mut first_end = last_start - earlier * self.slide + self.size;
        if first_end - 1 <= self.watermark {
            let behind = self.watermark + 1 - first_end;
            first_end += (behind.div_euclid(self.slide) + 1) * self.slide;
        }
        self.next_end = self.next_end.min(first_end);
        self.max_end = self.max_end.max(last_end);
        let pane_start = TimeWindow::start_with_offset(timestamp, self.offset, self.pane);
        // A lookup by reference: a key borrowed from the record is cloned only when new.
        let key = self.key.key(&value);
        let keys = self.keys.for_key(&*key);
        let panes = match keys.get_mut(&*key) {
            Some(panes) => panes,
            None => keys.entry(key.into_owned()).or_default(),
        };
        // A pane before the last fired end may sit among the panes already in the FIFO.
        let in_fifo = pane_start < self.fired_end && (!panes.front.is_empty() || !panes.back.is_empty());
        let acc = panes.pane(pane_start, in_fifo, &self.f);
        self.f.add(value, acc);
    }

    fn on_control(&mut self, control: Control) {
        match control {
            Control::Watermark(w) if w > self.watermark => {
                panic_scope::enter(self.id);
                self.watermark = w;
                self.fire_until::<T>(w);
            }
            c if c.takes_snapshot() => self.snapshot(),
            _ => {}
        }
        self.late.on_control(control);
        self.states.sides().on_control(control);
        self.next.on_control(control);
    }
    fn open(&mut self, ctx: &mut RuntimeContext<'_>) -> Result<(), JobError> {
        self.clock = ctx.clock.clone();
        self.restore(ctx)?;
        self.late.open(ctx)?;
        self.states.sides().open(ctx)?;
        self.next.open(ctx)
    }
    fn on_processing_time(&mut self, now: Timestamp) {
        self.late.on_processing_time(now);
        self.states.sides().on_processing_time(now);
        self.next.on_processing_time(now);
    }
    window_buffers!();
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In: 'static, P: Pipe<In>, KF, A, E> ChainBuilder<In, Then<P, PaneStage<KF, A, E>>>
where
    P::Out: Send + 'static,
{
    /// Sends the records that are too late for all their windows down `branch`.
    #[allow(clippy::type_complexity)]
    pub fn late_data_to<LT: Tail<P::Out>>(
        self,
        _tag: &crate::api::OutputTag<P::Out>,
        branch: impl FnOnce(ChainBuilder<P::Out, Identity>) -> LT,
    ) -> ChainBuilder<In, Then<P, PaneStage<KF, A, E, LT>>> {
        let Then(pipe, s) = self.pipe;
        let late = branch(ChainBuilder::new());
        let PaneStage { id, key, size, slide, offset, f, emit, sides, .. } = s;
        let stage = PaneStage { id, key, size, slide, offset, f, emit, late, sides };
        ChainBuilder::new().then_on(pipe, stage)
    }
}

impl<KF, A, E, L> WritesSideOutputs for PaneStage<KF, A, E, L> {
    fn side_templates(&mut self) -> &mut SideTemplates {
        &mut self.sides
    }
}
