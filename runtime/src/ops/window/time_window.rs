//! The operator of time windows (tumbling and sliding, event or processing time): each
//! window's accumulator per key until its trigger fires it, late firings within the allowed
//! lateness, late records counted and sent to the late side output. Flink's `WindowOperator`.

use super::checkpoint::{restore_per_window_key, write_per_window_key, CheckpointTo, Progress};
use super::context::WindowStates;
use super::functions::WindowFn;
use super::open_windows::OpenWindows;
use crate::api::codec::Codec;
use crate::checkpoint::KeyedEntries;
use crate::core::collector::Collector;
use crate::core::element::{Timestamp, NO_TIMESTAMP};
use crate::core::error::JobError;
use crate::core::panic_scope;
use crate::core::runtime_context::RuntimeContext;
use crate::state::cow::CowMap;
use crate::state::key_groups::KeyMap;
use crate::state::key_selector::KeySelector;
use crate::time::{TimeWindow, TriggerKind, WindowAssigner};
use std::hash::Hash;

/// Cleared maps kept for new windows: as many as windows are usually open at once.
const SPARE_MAPS: usize = 4;

pub struct WindowOp<KF, W, F, K, Acc, O, C, L> {
    pub(super) id: u32,
    pub(super) key: KF,
    pub(super) assigner: W,
    /// The assigner puts each record in exactly one window of a fixed size (tumbling): a
    /// record in [`last_window`](Self::last_window) takes it without assigning again.
    pub(super) tumbling: bool,
    /// The window the last record of a tumbling assigner went to (empty at first).
    pub(super) last_window: TimeWindow,
    pub(super) lateness: i64,
    pub(super) f: F,
    /// Open windows in order of their end (all windows of an assigner have one size), each
    /// with the accumulator of every key that has records in it; copy-on-write, so that a
    /// checkpoint freezes them at once and encodes them on another thread.
    pub(super) windows: OpenWindows<CowMap<K, Option<Acc>>>,
    /// The maps of windows that are gone, cleared, for the next windows: a window of as
    /// many keys as the last one then needs no growth (rehashing, fresh pages) as it fills.
    pub(super) spare: Vec<CowMap<K, Option<Acc>>>,
    pub(super) assigned: Vec<TimeWindow>,
    /// Event time (the input watermark) or processing time (the clock at the last tick):
    /// windows up to here have fired.
    pub(super) watermark: Timestamp,
    pub(super) event_time: bool,
    /// When windows fire (`trigger(..)`); by default when time passes their end.
    pub(super) trigger: TriggerKind,
    /// Records per key and window, for a count trigger.
    pub(super) counts: KeyMap<(TimeWindow, K), u64>,
    /// The next firing per key and window, for a continuous trigger.
    pub(super) next_fire: KeyMap<(TimeWindow, K), Timestamp>,
    pub(super) clock: crate::time::Clock,
    /// The process function's state per key and window, and per key.
    pub(super) states: WindowStates<K>,
    pub(super) out: Vec<(O, Timestamp)>,
    /// Records that arrived after their windows' allowed lateness.
    pub late_records: u64,
    pub(super) next: C,
    /// Where records too late for every window go (`side_output_late_data`), or nowhere.
    pub(super) late: L,
    /// Where its state goes at a checkpoint.
    pub(super) checkpoint: CheckpointTo,
}

impl<KF, W, F, K, Acc, O, C, L> WindowOp<KF, W, F, K, Acc, O, C, L> {
    fn send_out(&mut self)
    where
        C: Collector<O>,
    {
        crate::core::collector::send_buffered(&mut self.out, &mut self.next);
    }

    /// Time (event or processing) has reached `time`: fires the windows it passed and
    /// drops those past their allowed lateness.
    fn advance<T>(&mut self, time: Timestamp)
    where
        K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
        Acc: Codec,
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
            TriggerKind::Count(_) | TriggerKind::Never => (false, None),
            TriggerKind::ContinuousEventTime(i) | TriggerKind::ContinuousProcessingTime(i) => (true, Some(*i)),
            _ => (true, None),
        };
        // Continuous triggers: each key's window fires every interval from its first record
        // on (at aligned times, as Flink registers them), while it is open.
        if let Some(interval) = interval {
            let (windows, f, out) = (&mut self.windows, &mut self.f, &mut self.out);
            for ((window, key), next) in self.next_fire.iter_mut() {
                while *next <= time && *next < window.max_timestamp() {
                    if let Some(acc) = windows.get_mut(window).and_then(|keys| keys.for_key(key).get_mut(key)) {
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
                if last > previous && purge {
                    // Every key changes: those a snapshot still holds are copied in first.
                    for (key, acc) in keys.settle().iter_mut() {
                        if let Some(a) = acc.as_ref() {
                            let mut ctx = self.states.context(key, *window, time, &self.clock);
                            self.f.emit(key, &mut ctx, a, &mut self.out);
                            *acc = None;
                        }
                    }
                } else if last > previous {
                    // Read only: keys a snapshot is encoding are read where they are.
                    keys.for_each(|key, acc| {
                        if let Some(a) = acc.as_ref() {
                            let mut ctx = self.states.context(key, *window, time, &self.clock);
                            self.f.emit(key, &mut ctx, a, &mut self.out);
                        }
                    });
                }
            }
        }
        self.send_out();
        while let Some(first) = self.windows.first() {
            if first.max_timestamp().saturating_add(self.lateness) > time {
                break;
            }
            let Some((window, mut keys)) = self.windows.pop_first() else { break };
            if self.states.has_window_state() {
                keys.for_each(|key, _| self.states.drop_window(key, window));
            }
            if self.spare.len() < SPARE_MAPS {
                keys.clear();
                self.spare.push(keys);
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

impl<KF, W, F, K, Acc, O, C, L> WindowOp<KF, W, F, K, Acc, O, C, L>
where
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    Acc: Codec + Send + Sync + 'static,
{
    /// Writes the open windows, trigger state, the function's state and the watermark.
    /// The windows are frozen as they are (copy-on-write) and encoded on another thread.
    fn snapshot(&mut self) {
        let Some((writer, uid, key_groups)) = &self.checkpoint else { return };
        let key_groups = *key_groups;
        let frozen: Vec<_> = self.windows.iter_mut().map(|(window, keys)| (*window, keys.freeze())).collect();
        writer.write_later(&format!("{uid}#windows"), move || {
            let mut entries = KeyedEntries::new(key_groups);
            for (window, keys) in &frozen {
                for (key, acc) in keys.iter() {
                    entries.push(key, |out| {
                        key.encode(out);
                        window.encode(out);
                        acc.encode(out);
                    });
                }
            }
            entries.finish()
        });
        write_per_window_key(&self.counts, (writer, uid, key_groups), "counts");
        write_per_window_key(&self.next_fire, (writer, uid, key_groups), "next-fire");
        Progress { watermark: self.watermark, fired_end: 0, next_end: 0, max_end: 0 }.write(writer, uid);
        self.states.snapshot(key_groups, writer, uid);
    }

    /// Takes the state back from the checkpoint the job restarts from, if any.
    fn restore(&mut self, ctx: &RuntimeContext<'_>) -> Result<(), JobError> {
        let Some((writer, uid)) = ctx.state_writer(self.id) else { return Ok(()) };
        self.checkpoint = Some((writer, uid, ctx.max_parallelism));
        let Some(restore) = ctx.restore(uid) else { return Ok(()) };
        let windows = restore
            .keyed(&format!("{uid}#windows"), <(K, TimeWindow, Option<Acc>)>::decode)
            .map_err(|e| JobError::restore(uid, e))?;
        for (key, window, acc) in windows {
            self.windows.get_or_insert_with(window, CowMap::default).for_key(&key).insert(key, acc);
        }
        restore_per_window_key(&mut self.counts, &restore, uid, "counts")?;
        restore_per_window_key(&mut self.next_fire, &restore, uid, "next-fire")?;
        if let Some(progress) = Progress::restore(&restore, uid)? {
            self.watermark = progress.watermark;
        }
        self.states.restore(&restore, uid)
    }
}

impl<T, K, KF, W, F, C, L> Collector<T> for WindowOp<KF, W, F, K, F::Acc, F::Out, C, L>
where
    T: Clone + Send,
    KF: KeySelector<T, Key = K>,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
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
        self.assigned.clear();
        if self.tumbling && self.last_window.start <= time && time < self.last_window.end {
            // Records mostly come in time order: no division to find the window.
            self.assigned.push(self.last_window);
        } else {
            self.assigner.assign(time, &mut self.assigned);
            if self.tumbling {
                self.last_window = self.assigned[0];
            }
        }
        let n = self.assigned.len();
        // The common case: one window (tumbling), not fired yet, a trigger that keeps no
        // state per key: the record is added under its key looked up by reference, and a
        // key borrowed from the record is copied only when it is new to the window.
        if n == 1
            && self.assigned[0].max_timestamp() > self.watermark
            && !matches!(
                self.trigger.inner(),
                TriggerKind::Count(_) | TriggerKind::ContinuousEventTime(_) | TriggerKind::ContinuousProcessingTime(_)
            )
        {
            let spare = &mut self.spare;
            let keys = self.windows.get_or_insert_with(self.assigned[0], || spare.pop().unwrap_or_default());
            let key = self.key.key(&value);
            let keys = keys.for_key(&*key);
            match keys.get_mut(&*key) {
                Some(acc) => self.f.add(acc, value),
                None => {
                    let acc = keys.entry(key.into_owned()).or_insert(None);
                    self.f.add(acc, value);
                }
            }
            return;
        }
        // Owned: the key outlives the record (it goes to the window function, to triggers'
        // state). A borrowed key is cloned here, once per record.
        let key = self.key.key(&value).into_owned();
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
            let spare = &mut self.spare;
            let keys = self.windows.get_or_insert_with(window, || spare.pop().unwrap_or_default()).for_key(&key);
            let acc = match keys.get_mut(&key) {
                Some(acc) => acc,
                None => keys.entry(key.clone()).or_insert(None),
            };
            self.f.add(acc, v);
            if let TriggerKind::ContinuousEventTime(i) | TriggerKind::ContinuousProcessingTime(i) = self.trigger.inner()
            {
                let first = time.div_euclid(*i) * i + i;
                self.next_fire.entry((window, key.clone())).or_insert(first);
            }
            if let TriggerKind::Count(n) = self.trigger.inner() {
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

    time_window_lifecycle!();
}
