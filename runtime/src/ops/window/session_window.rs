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
use crate::api::codec::Codec;
use crate::core::collector::{Collector, Output};
use crate::core::element::{Control, Timestamp, NO_TIMESTAMP};
use crate::core::side_output::SideOutputs;
use crate::state::context::KeyedContext;
use crate::state::key_selector::KeySelector;
use crate::state::keyed_core::KeyedCore;
use crate::time::{Clock, TimeWindow};
use std::hash::Hash;
use std::marker::PhantomData;
use std::time::Duration;

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
#[derive(crate::Codec)]
struct Session<Acc> {
    window: TimeWindow,
    acc: Acc,
}

/// Each key's sessions, fired or not, apart and in order of start: keyed state of the
/// operator's core.
type Sessions<Acc> = Vec<Session<Acc>>;

/// The name of the sessions in the keyed state.
const SESSIONS: &str = "session windows";

/// Session windows in a running chain. Each key's sessions are keyed state of a
/// [`KeyedCore`]; a session fires by a timer of its key at its last timestamp and is dropped
/// by one at its last timestamp plus the allowed lateness (event or processing time).
pub struct SessionWindowOp<KF, G, F, K, Acc, O, C, L> {
    key: KF,
    gaps: G,
    /// What firing and dropping sessions need.
    fire: Firing<F>,
    core: KeyedCore<K, O>,
    states: WindowStates<K>,
    /// Records whose session had already closed when they arrived.
    pub late_records: u64,
    _acc: PhantomData<fn() -> Acc>,
    next: C,
    late: L,
}

/// The window function and what its sessions' times depend on.
struct Firing<F> {
    gap: i64,
    event_time: bool,
    /// Allowed lateness in ms (event time only).
    lateness: i64,
    /// Event time (the watermark) or processing time (the clock at the last tick): sessions
    /// up to here have fired.
    time: Timestamp,
    f: F,
}

impl<KF, G, F, K, Acc, O, C, L> SessionWindowOp<KF, G, F, K, Acc, O, C, L>
where
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
{
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
        sides: SideOutputs,
    ) -> Self {
        let lateness = if event_time { lateness } else { 0 };
        SessionWindowOp {
            key,
            gaps,
            fire: Firing { gap, event_time, lateness, time: i64::MIN, f },
            core: KeyedCore::new(id, SideOutputs::default()),
            states: WindowStates::new(sides),
            late_records: 0,
            _acc: PhantomData,
            next,
            late,
        }
    }
}

impl<F> Firing<F> {
    fn cleanup_time(&self, window: &TimeWindow) -> Timestamp {
        window.max_timestamp().saturating_add(self.lateness)
    }

    /// A timer of the key's sessions in this operator's time domain.
    fn schedule<K: Hash + Eq + Clone + Codec + Send + Sync + 'static>(
        &self,
        ctx: &mut KeyedContext<'_, K>,
        time: Timestamp,
    ) {
        if self.event_time {
            ctx.register_event_time_timer(time);
        } else {
            ctx.register_processing_time_timer(time);
        }
    }

    /// Emits the key's session `window` into `out`.
    fn emit<K, T, Acc, O>(
        &mut self,
        states: &mut WindowStates<K>,
        clock: &Clock,
        key: &K,
        session: &Session<Acc>,
        out: &mut Output<'_, O>,
    ) where
        K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
        F: WindowFn<K, T, Acc = Acc, Out = O>,
    {
        let mut ctx = states.context(key, session.window, self.time, clock);
        self.f.emit(key, &mut ctx, &session.acc, out.buffer);
    }

    /// A timer of the key fired at `time`: its session that ends there fires, and the one
    /// whose lateness ends there is dropped with its state. (Timers of sessions that merged
    /// away find nothing and do nothing.)
    fn on_timer<K, T, Acc, O>(
        &mut self,
        states: &mut WindowStates<K>,
        clock: &Clock,
        time: Timestamp,
        ctx: &mut KeyedContext<'_, K>,
        out: &mut Output<'_, O>,
    ) where
        K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
        Acc: Codec + Send + Sync + 'static,
        F: WindowFn<K, T, Acc = Acc, Out = O>,
    {
        let key = ctx.current_key().clone();
        let sessions = ctx.keyed_state::<Sessions<Acc>>(SESSIONS);
        if let Some(session) = sessions.iter().find(|s| s.window.max_timestamp() == time) {
            self.emit(states, clock, &key, session, out);
        }
        if let Some(i) = sessions.iter().position(|s| self.cleanup_time(&s.window) == time) {
            let window = sessions.remove(i).window;
            states.drop_window(&key, window);
        }
        if sessions.is_empty() {
            ctx.clear_keyed_state::<Sessions<Acc>>(SESSIONS);
        }
    }
}

impl<T, K, KF, G, F, C, L> Collector<T> for SessionWindowOp<KF, G, F, K, F::Acc, F::Out, C, L>
where
    T: Send,
    KF: KeySelector<T, Key = K>,
    G: SessionGap<T>,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    F: WindowFn<K, T>,
    F::Out: Send,
    C: Collector<F::Out>,
    L: Collector<T>,
{
    fn collect(&mut self, value: T, timestamp: Timestamp) {
        let fire = &mut self.fire;
        let start = if fire.event_time {
            assert!(
                timestamp != NO_TIMESTAMP,
                "the record has no event timestamp: call assign_timestamps_and_watermarks(..) before an event-time window"
            );
            timestamp
        } else {
            self.core.clock().now()
        };
        let gap = self.gaps.gap(&value).unwrap_or(fire.gap);
        assert!(
            gap > 0,
            "session windows with a gap per record, but no gap was given: write with_dynamic_gap(|record| gap)"
        );
        let key = self.key.key(&value).into_owned();
        let clock = self.core.clock().clone();
        let (states, late, late_records) = (&mut self.states, &mut self.late, &mut self.late_records);
        self.core.process(&key, timestamp, &mut self.next, |ctx, out| {
            let sessions = ctx.keyed_state::<Sessions<F::Acc>>(SESSIONS);
            // The session the record makes with those of its key it overlaps or touches:
            // sessions are apart and in order of start, so one pass finds every one it reaches.
            let mut merged = TimeWindow { start, end: start.saturating_add(gap) };
            for s in sessions.iter() {
                if s.window.intersects(&merged) {
                    merged = TimeWindow { start: merged.start.min(s.window.start), end: merged.end.max(s.window.end) };
                }
            }
            if fire.cleanup_time(&merged) <= fire.time {
                // Its session would be gone already (Flink's `isWindowLate`).
                *late_records += 1;
                if sessions.is_empty() {
                    ctx.clear_keyed_state::<Sessions<F::Acc>>(SESSIONS);
                }
                late.collect(value, timestamp);
                return;
            }
            let mut acc: Option<F::Acc> = None;
            let mut i = 0;
            while i < sessions.len() {
                if sessions[i].window.intersects(&merged) {
                    let Session { window, acc: a } = sessions.remove(i);
                    if window != merged {
                        states.drop_window(&key, window);
                    }
                    acc = Some(match acc {
                        Some(earlier) => fire.f.merge(earlier, a),
                        None => a,
                    });
                } else {
                    i += 1;
                }
            }
            fire.f.add(&mut acc, value);
            let at = sessions.iter().position(|s| s.window.start > merged.start).unwrap_or(sessions.len());
            sessions.insert(at, Session { window: merged, acc: acc.expect("an accumulator after add") });
            if merged.max_timestamp() <= fire.time {
                // The session has ended already but is within its lateness: fire it again now.
                let session = &sessions[at];
                fire.emit(states, &clock, &key, session, out);
            } else {
                fire.schedule(ctx, merged.max_timestamp());
            }
            fire.schedule(ctx, fire.cleanup_time(&merged));
        });
    }

    fn on_control(&mut self, control: Control) {
        if control.takes_snapshot() {
            self.states.snapshot_beside(&self.core);
        }
        let clock = self.core.clock().clone();
        let (fire, states) = (&mut self.fire, &mut self.states);
        if let Control::Watermark(w) = control {
            if fire.event_time && w > fire.time {
                fire.time = w;
            }
        }
        self.core.on_control(control, &mut self.next, |time, ctx, out| {
            fire.on_timer::<K, T, F::Acc, F::Out>(states, &clock, time, ctx, out)
        });
        self.late.on_control(control);
        self.states.sides().on_control(control);
    }

    fn on_processing_time(&mut self, now: Timestamp) {
        let clock = self.core.clock().clone();
        let (fire, states) = (&mut self.fire, &mut self.states);
        if !fire.event_time && now > fire.time {
            fire.time = now;
        }
        self.core.on_processing_time(now, &mut self.next, |time, ctx, out| {
            fire.on_timer::<K, T, F::Acc, F::Out>(states, &clock, time, ctx, out)
        });
        self.late.on_processing_time(now);
        self.states.sides().on_processing_time(now);
    }

    fn open(&mut self, ctx: &mut crate::RuntimeContext<'_>) -> Result<(), crate::JobError> {
        self.core.open(ctx, &mut self.next)?;
        self.states.restore_beside(&self.core, ctx)?;
        self.late.open(ctx)?;
        self.states.sides().open(ctx)
    }

    fn flush(&mut self) {
        self.late.flush();
        self.states.sides().flush();
        self.core.flush(&mut self.next);
    }

    fn take_blocked(&mut self, blocked: &mut Vec<crate::core::collector::BlockedSend>) {
        self.late.take_blocked(blocked);
        self.states.sides().take_blocked(blocked);
        self.core.take_blocked(blocked, &mut self.next);
    }

    fn close(&mut self) -> Result<(), crate::JobError> {
        self.late.close()?;
        self.states.sides().close()?;
        self.core.close(&mut self.next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::AggregateFunction;
    use crate::core::collector::testing::Sink;
    use crate::ops::window::functions::Aggregate;

    #[derive(Clone)]
    struct Count;

    impl AggregateFunction<Event> for Count {
        type Acc = u64;
        type Out = u64;
        fn create_accumulator(&self) -> u64 {
            0
        }
        fn add(&self, _: Event, acc: &mut u64) {
            *acc += 1;
        }
        fn get_result(&self, acc: &u64) -> u64 {
            *acc
        }
        fn merge(&self, a: u64, b: u64) -> u64 {
            a + b
        }
    }

    type Event = (&'static str, i64);

    #[test]
    fn sessions_live_in_keyed_state_fire_by_timers_and_go_after_their_lateness() {
        let mut op = SessionWindowOp::new(
            0,
            crate::state::key_selector::owned(|e: &Event| e.0),
            500,
            FixedGap,
            true,
            1_000,
            Aggregate(Count),
            Sink::<u64>::default(),
            Sink::<Event>::default(),
            SideOutputs::default(),
        );
        op.collect(("a", 100), 100);
        op.on_control(Control::Watermark(700));
        assert_eq!(op.next.0, [(1, 599)]);
        // Fired, but kept for its lateness: a record that reaches it merges and fires again.
        assert_eq!(op.core.keys_in::<Sessions<u64>>(SESSIONS), 1);
        op.collect(("a", 550), 550);
        op.on_control(Control::Watermark(1_100));
        assert_eq!(op.next.0.last(), Some(&(2, 1_049)));
        // The first session's cleanup timer finds it merged away and does nothing; the
        // merged session goes at its own end plus the lateness.
        op.on_control(Control::Watermark(1_600));
        assert_eq!(op.core.keys_in::<Sessions<u64>>(SESSIONS), 1);
        op.on_control(Control::Watermark(2_100));
        assert_eq!(op.core.keys_in::<Sessions<u64>>(SESSIONS), 0);
        // Too late for any session: counted and sent to the late output, no state kept.
        op.collect(("a", 200), 200);
        assert_eq!((op.late_records, op.late.0.len()), (1, 1));
        assert_eq!(op.core.keys_in::<Sessions<u64>>(SESSIONS), 0);
        assert_eq!(op.next.0.len(), 2);
    }

    #[test]
    fn processing_time_sessions_fire_by_processing_time_timers() {
        let mut op = SessionWindowOp::new(
            0,
            crate::state::key_selector::owned(|e: &Event| e.0),
            60_000,
            FixedGap,
            false,
            5_000,
            Aggregate(Count),
            Sink::<u64>::default(),
            Sink::<Event>::default(),
            SideOutputs::default(),
        );
        let start = Clock::System.now();
        op.collect(("a", 0), NO_TIMESTAMP);
        op.collect(("a", 0), NO_TIMESTAMP);
        // A watermark does not fire processing-time sessions; the clock passing their end does.
        op.on_control(Control::Watermark(i64::MAX - 1));
        assert!(op.next.0.is_empty());
        op.on_processing_time(start + 120_000);
        assert_eq!(op.next.0.len(), 1);
        assert_eq!(op.next.0[0].0, 2);
        // Processing time has no lateness: the session is gone with its firing.
        assert_eq!(op.core.keys_in::<Sessions<u64>>(SESSIONS), 0);
    }
}
