//! Session windows: `key_by(..).window(EventTimeSessionWindows::with_gap(gap))` (or
//! `with_dynamic_gap(|record| gap)`) followed by a window function. Each record opens
//! `[ts, ts + gap)`; the sessions of a key that it overlaps or touches merge into one (their
//! accumulators merge, earlier first). A session fires when time passes its end, as in
//! Flink's merging `WindowOperator` with its `EventTimeTrigger`.
//!
//! With allowed lateness a fired session is kept until time passes its end plus the
//! lateness: a record that merges into it fires it again at once if the merged session has
//! ended, or when it ends. A record whose session would be gone already is late: it is
//! counted and goes to the late side output, if there is one.
//!
//! ```
//! use rill::prelude::*;
//! use std::time::Duration;
//!
//! /// Clicks per user session, a session ending after 1 s without clicks.
//! #[rill::job(no_main)]
//! fn sessions(env: &mut Env) {
//!     env.from_elements([("a", 0i64), ("a", 400), ("b", 500), ("a", 3000)])
//!         .assign_timestamps_and_watermarks(
//!             WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|c, _| c.1),
//!         )
//!         .map(|(user, _)| (user, 1))
//!         .key_by(|c| c.0)
//!         .window(EventTimeSessionWindows::with_gap(Duration::from_secs(1)))
//!         .sum(1)
//!         .print();
//! }
//!
//! SESSIONS_JOB.run(Some(1), &[]).unwrap();
//! ```

use super::context::WindowStates;
use super::functions::WindowFn;
use crate::core::collector::Collector;
use crate::core::element::{Timestamp, NO_TIMESTAMP};
use crate::core::panic_scope;
use crate::state::key_groups::{FxHasher, KeyMap};
use crate::time::{Clock, TimeWindow};
use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasherDefault, Hash};
use std::time::Duration;

type KeySet<K> = HashSet<K, BuildHasherDefault<FxHasher>>;

/// The gap of the session a record opens: the assigner's, or one the record sets
/// (`with_dynamic_gap`, Flink's `SessionWindowTimeGapExtractor`).
pub trait SessionGap<T>: Clone + Send + 'static {
    /// The gap in ms, or `None` for the assigner's own.
    fn gap(&mut self, value: &T) -> Option<i64>;
}

/// The assigner's gap, the same for every record.
#[derive(Clone, Copy, Debug, Default)]
pub struct FixedGap;

impl<T> SessionGap<T> for FixedGap {
    #[inline]
    fn gap(&mut self, _: &T) -> Option<i64> {
        None
    }
}

/// A gap computed from each record.
#[derive(Clone)]
pub struct DynamicGap<G>(pub(crate) G);

impl<T, G: FnMut(&T) -> Duration + Clone + Send + 'static> SessionGap<T> for DynamicGap<G> {
    #[inline]
    fn gap(&mut self, value: &T) -> Option<i64> {
        let gap = crate::time::millis((self.0)(value));
        // Flink: "Dynamic gap can not be less than or equal to 0".
        assert!(gap > 0, "the session gap of a record must be positive, not {gap} ms (with_dynamic_gap)");
        Some(gap)
    }
}

/// One session of a key: its window and accumulator.
struct Session<Acc> {
    window: TimeWindow,
    acc: Acc,
}

pub struct SessionWindowOp<KF, G, F, K, Acc, O, C, L> {
    id: u32,
    key: KF,
    gap: i64,
    gaps: G,
    event_time: bool,
    /// Allowed lateness in ms (event time only).
    lateness: i64,
    f: F,
    /// Each key's sessions, fired or not, by start.
    sessions: KeyMap<K, Vec<Session<Acc>>>,
    /// Which keys have a session to fire (its last timestamp) at each time.
    fires: BTreeMap<Timestamp, KeySet<K>>,
    /// Which keys have a session to drop (last timestamp plus lateness) at each time.
    cleanups: BTreeMap<Timestamp, KeySet<K>>,
    time: Timestamp,
    clock: Clock,
    states: WindowStates<K>,
    out: Vec<(O, Timestamp)>,
    /// Records whose session had already closed when they arrived.
    pub late_records: u64,
    next: C,
    late: L,
}

impl<KF, G, F, K, Acc, O, C, L> SessionWindowOp<KF, G, F, K, Acc, O, C, L> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        id: u32,
        key: KF,
        gap: i64,
        gaps: G,
        event_time: bool,
        lateness: i64,
        f: F,
        next: C,
        late: L,
    ) -> Self {
        SessionWindowOp {
            id,
            key,
            gap,
            gaps,
            event_time,
            lateness: if event_time { lateness } else { 0 },
            f,
            sessions: KeyMap::default(),
            fires: BTreeMap::new(),
            cleanups: BTreeMap::new(),
            time: i64::MIN,
            clock: Clock::System,
            states: WindowStates::default(),
            out: Vec::new(),
            late_records: 0,
            next,
            late,
        }
    }
}

/// Adds `key` to the set at `time`.
fn schedule<K: Hash + Eq>(at: &mut BTreeMap<Timestamp, KeySet<K>>, time: Timestamp, key: K) {
    at.entry(time).or_default().insert(key);
}

/// Takes `key` out of the set at `time`.
fn unschedule<K: Hash + Eq>(at: &mut BTreeMap<Timestamp, KeySet<K>>, time: Timestamp, key: &K) {
    if let Some(keys) = at.get_mut(&time) {
        keys.remove(key);
        if keys.is_empty() {
            at.remove(&time);
        }
    }
}

impl<KF, G, F, K, Acc, O, C, L> SessionWindowOp<KF, G, F, K, Acc, O, C, L>
where
    K: Hash + Eq + Clone + Send + 'static,
    C: Collector<O>,
{
    fn cleanup_time(&self, window: &TimeWindow) -> Timestamp {
        window.max_timestamp().saturating_add(self.lateness)
    }

    /// Emits `key`'s session `window` and sends the results on.
    fn fire<T>(&mut self, key: &K, window: TimeWindow)
    where
        F: WindowFn<K, T, Acc = Acc, Out = O>,
    {
        let Some(session) = self.sessions.get(key).and_then(|s| s.iter().find(|s| s.window == window)) else {
            return;
        };
        let mut ctx = self.states.context(key, window, self.time, &self.clock);
        self.f.emit(key, &mut ctx, &session.acc, &mut self.out);
        for (o, ts) in self.out.drain(..) {
            self.next.collect(o, ts);
        }
        panic_scope::enter(self.id);
    }

    /// Time has reached `time`: fires the sessions it passed, in order, then drops those
    /// past their allowed lateness.
    fn advance<T>(&mut self, time: Timestamp)
    where
        F: WindowFn<K, T, Acc = Acc, Out = O>,
    {
        if time <= self.time {
            return;
        }
        panic_scope::enter(self.id);
        self.time = time;
        while let Some(entry) = self.fires.first_entry() {
            let last = *entry.key();
            if last > time {
                break;
            }
            for key in entry.remove() {
                let window = self.sessions.get(&key).and_then(|s| s.iter().find(|s| s.window.max_timestamp() == last));
                if let Some(window) = window.map(|s| s.window) {
                    self.fire(&key, window);
                }
            }
        }
        while let Some(entry) = self.cleanups.first_entry() {
            let at = *entry.key();
            if at > time {
                break;
            }
            for key in entry.remove() {
                let Some(sessions) = self.sessions.get_mut(&key) else { continue };
                let lateness = self.lateness;
                if let Some(i) = sessions.iter().position(|s| s.window.max_timestamp().saturating_add(lateness) == at) {
                    let window = sessions.remove(i).window;
                    self.states.drop_window(&key, window);
                }
                if sessions.is_empty() {
                    self.sessions.remove(&key);
                }
            }
        }
    }
}

impl<T, K, KF, G, F, C, L> Collector<T> for SessionWindowOp<KF, G, F, K, F::Acc, F::Out, C, L>
where
    T: Send,
    KF: FnMut(&T) -> K + Send,
    G: SessionGap<T>,
    K: Hash + Eq + Clone + Send + 'static,
    F: WindowFn<K, T>,
    F::Out: Send,
    C: Collector<F::Out>,
    L: Collector<T>,
{
    fn collect(&mut self, value: T, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        let start = if self.event_time {
            assert!(
                timestamp != NO_TIMESTAMP,
                "the record has no event timestamp: call assign_timestamps_and_watermarks(..) before an event-time window"
            );
            timestamp
        } else {
            self.clock.now()
        };
        let gap = self.gaps.gap(&value).unwrap_or(self.gap);
        assert!(
            gap > 0,
            "session windows with a gap per record, but no gap was given: write with_dynamic_gap(|record| gap)"
        );
        let key = (self.key)(&value);
        // The session the record makes with those of its key it overlaps or touches.
        let mut merged = TimeWindow { start, end: start.saturating_add(gap) };
        if let Some(sessions) = self.sessions.get(&key) {
            // Sessions are apart and in order of start: one pass finds every one it reaches.
            for s in sessions {
                if s.window.intersects(&merged) {
                    merged = TimeWindow { start: merged.start.min(s.window.start), end: merged.end.max(s.window.end) };
                }
            }
        }
        if self.cleanup_time(&merged) <= self.time {
            // Its session would be gone already (Flink's `isWindowLate`).
            self.late_records += 1;
            self.late.collect(value, timestamp);
            return;
        }
        let sessions = match self.sessions.get_mut(&key) {
            Some(s) => s,
            None => self.sessions.entry(key.clone()).or_default(),
        };
        let mut acc: Option<F::Acc> = None;
        let mut i = 0;
        while i < sessions.len() {
            if sessions[i].window.intersects(&merged) {
                let Session { window, acc: a } = sessions.remove(i);
                unschedule(&mut self.fires, window.max_timestamp(), &key);
                unschedule(&mut self.cleanups, window.max_timestamp().saturating_add(self.lateness), &key);
                if window != merged {
                    self.states.drop_window(&key, window);
                }
                acc = Some(match acc {
                    Some(earlier) => self.f.merge(earlier, a),
                    None => a,
                });
            } else {
                i += 1;
            }
        }
        self.f.add(&mut acc, value);
        let at = sessions.iter().position(|s| s.window.start > merged.start).unwrap_or(sessions.len());
        sessions.insert(at, Session { window: merged, acc: acc.expect("an accumulator after add") });
        schedule(&mut self.cleanups, merged.max_timestamp().saturating_add(self.lateness), key.clone());
        if merged.max_timestamp() <= self.time {
            // The session has ended already but is within its lateness: fire it again now.
            self.fire(&key, merged);
        } else {
            schedule(&mut self.fires, merged.max_timestamp(), key);
        }
    }

    time_window_lifecycle!();
}
