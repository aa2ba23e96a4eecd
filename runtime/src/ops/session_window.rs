//! Session windows: `key_by(..).window(EventTimeSessionWindows::with_gap(gap))` followed by
//! a window function. Each record opens `[ts, ts + gap)`; the sessions of a key that it
//! overlaps or touches merge into one (their accumulators merge, earlier first). A session
//! fires when time passes its end, as Flink's merging `WindowOperator`.

use super::window::WindowFn;
use crate::collector::Collector;
use crate::element::{Control, Timestamp, NO_TIMESTAMP};
use crate::keyed::{FxHasher, KeyMap};
use crate::panic_scope;
use crate::time::{Clock, TimeWindow};
use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasherDefault, Hash};

type KeySet<K> = HashSet<K, BuildHasherDefault<FxHasher>>;

pub struct SessionWindowOp<KF, F, K, Acc, O, C> {
    id: u32,
    key: KF,
    gap: i64,
    event_time: bool,
    f: F,
    /// Each key's open sessions, by start.
    sessions: KeyMap<K, Vec<(TimeWindow, Acc)>>,
    /// Which keys have a session ending (its last timestamp) at each time.
    ends: BTreeMap<Timestamp, KeySet<K>>,
    time: Timestamp,
    clock: Clock,
    out: Vec<(O, Timestamp)>,
    /// Records whose session had already closed when they arrived.
    pub late_records: u64,
    next: C,
}

impl<KF, F, K, Acc, O, C> SessionWindowOp<KF, F, K, Acc, O, C> {
    pub(crate) fn new(id: u32, key: KF, gap: i64, event_time: bool, f: F, next: C) -> Self {
        SessionWindowOp {
            id,
            key,
            gap,
            event_time,
            f,
            sessions: KeyMap::default(),
            ends: BTreeMap::new(),
            time: i64::MIN,
            clock: Clock::System,
            out: Vec::new(),
            late_records: 0,
            next,
        }
    }
}

impl<KF, F, K: Hash + Eq + Clone, Acc, O, C: Collector<O>> SessionWindowOp<KF, F, K, Acc, O, C> {
    /// Time has reached `time`: fires and drops the sessions it passed, in order.
    fn advance<T>(&mut self, time: Timestamp)
    where
        F: WindowFn<K, T, Acc = Acc, Out = O>,
    {
        if time <= self.time {
            return;
        }
        panic_scope::enter(self.id);
        self.time = time;
        while let Some(entry) = self.ends.first_entry() {
            let last = *entry.key();
            if last > time {
                break;
            }
            for key in entry.remove() {
                let Some(sessions) = self.sessions.get_mut(&key) else { continue };
                if let Some(i) = sessions.iter().position(|(w, _)| w.max_timestamp() == last) {
                    let (window, acc) = sessions.remove(i);
                    self.f.emit(&key, &window, &acc, &mut self.out);
                }
                if sessions.is_empty() {
                    self.sessions.remove(&key);
                }
            }
            for (o, ts) in self.out.drain(..) {
                self.next.collect(o, ts);
            }
        }
    }
}

impl<T, K, KF, F, C> Collector<T> for SessionWindowOp<KF, F, K, F::Acc, F::Out, C>
where
    T: Send,
    KF: FnMut(&T) -> K + Send,
    K: Hash + Eq + Clone + Send,
    F: WindowFn<K, T>,
    F::Out: Send,
    C: Collector<F::Out>,
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
        let mut merged = TimeWindow { start, end: start + self.gap };
        if merged.max_timestamp() <= self.time {
            self.late_records += 1;
            return;
        }
        let key = (self.key)(&value);
        let sessions = match self.sessions.get_mut(&key) {
            Some(s) => s,
            None => self.sessions.entry(key.clone()).or_default(),
        };
        let mut acc: Option<F::Acc> = None;
        let mut i = 0;
        while i < sessions.len() {
            if sessions[i].0.intersects(&merged) {
                let (w, a) = sessions.remove(i);
                merged = TimeWindow { start: merged.start.min(w.start), end: merged.end.max(w.end) };
                if let Some(keys) = self.ends.get_mut(&w.max_timestamp()) {
                    keys.remove(&key);
                    if keys.is_empty() {
                        self.ends.remove(&w.max_timestamp());
                    }
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
        let at = sessions.iter().position(|(w, _)| w.start > merged.start).unwrap_or(sessions.len());
        sessions.insert(at, (merged, acc.expect("an accumulator after add")));
        self.ends.entry(merged.max_timestamp()).or_default().insert(key);
    }

    fn on_control(&mut self, control: Control) {
        if let Control::Watermark(w) = control {
            if self.event_time {
                self.advance(w);
            }
        }
        self.next.on_control(control);
    }

    fn open(&mut self, ctx: &mut crate::RuntimeContext<'_>) -> Result<(), crate::JobError> {
        self.clock = ctx.clock.clone();
        self.next.open(ctx)
    }

    fn on_processing_time(&mut self, now: Timestamp) {
        if !self.event_time {
            self.advance(now);
        }
        self.next.on_processing_time(now);
    }

    fn flush(&mut self) {
        self.next.flush()
    }

    fn take_blocked(&mut self, blocked: &mut Vec<crate::collector::BlockedSend>) {
        self.next.take_blocked(blocked)
    }

    fn close(&mut self) -> Result<(), crate::JobError> {
        self.next.close()
    }
}
