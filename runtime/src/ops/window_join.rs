//! Window joins: `a.join(b).where_(key_a).equal_to(key_b).window(assigner).apply(f)`. Per key
//! and window, both sides' records wait; when the window fires, `f(a, b)` runs for every
//! pair, as in Flink's window join (an inner join; results carry the window's last
//! timestamp).
//!
//! ```
//! use rill::prelude::*;
//! use std::time::Duration;
//!
//! /// Orders and clicks of the same user in the same second.
//! #[rill::job(no_main)]
//! fn same_second(env: &mut Env) {
//!     let clicks = env.from_elements([("a", 300i64), ("b", 1900)]).assign_timestamps_and_watermarks(
//!         WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e, _| e.1),
//!     );
//!     env.from_elements([("a", 100i64), ("b", 200)])
//!         .assign_timestamps_and_watermarks(
//!             WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e, _| e.1),
//!         )
//!         .join(clicks)
//!         .where_(|o| o.0)
//!         .equal_to(|c| c.0)
//!         .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
//!         .apply(|o, c| format!("{}: order at {}, click at {}", o.0, o.1, c.1))
//!         .print();
//! }
//!
//! SAME_SECOND_JOB.run(Some(1), &[]).unwrap();
//! ```

use crate::api::codec::Codec;
use crate::core::collector::{Collector, Output};
use crate::core::element::{Timestamp, NO_TIMESTAMP};
use crate::core::side_output::SideOutputs;
use crate::core::two_input::{Headed, TwoInput, TwoInputCollector, TwoInputStage};
use crate::state::context::KeyedContext;
use crate::state::key_selector::{KeyFor, KeySelector};
use crate::state::keyed_core::{keyed_lifecycle, KeyedCore};
use crate::time::{TimeWindow, WindowAssigner};
use std::collections::BTreeMap;
use std::hash::Hash;
use std::marker::PhantomData;

/// The stage of a window join.
#[derive(Clone)]
pub struct WindowJoin<KA, KB, W, F> {
    id: u32,
    key_a: KA,
    key_b: KB,
    assigner: W,
    f: F,
}

/// Each key's windows with the records of both sides: keyed state of the operator's core.
type Windows<A, B> = BTreeMap<TimeWindow, (Vec<A>, Vec<B>)>;

/// The name of the windows in the keyed state.
const WINDOWS: &str = "window join windows";

/// A window join in a running chain: each key's windows are keyed state of a
/// [`KeyedCore`], fired by an event-time timer of their key at the window's end.
pub struct WindowJoinOp<KA, KB, W, F, K, A, B, O, C> {
    key_a: KA,
    key_b: KB,
    assigner: W,
    f: F,
    core: KeyedCore<K, O>,
    assigned: Vec<TimeWindow>,
    _sides: PhantomData<fn(A, B)>,
    next: C,
}

impl<A, B, K, O, KA, KB, W, F> TwoInputStage<A, B> for WindowJoin<KA, KB, W, F>
where
    A: Clone + Codec + Send + Sync + 'static,
    B: Clone + Codec + Send + Sync + 'static,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    O: Send + 'static,
    KA: KeySelector<A, Key = K>,
    KB: KeySelector<B, Key = K>,
    W: WindowAssigner,
    F: FnMut(A, B) -> O + Clone + Send + 'static,
{
    type Out = O;
    fn wrap<C: Collector<O>>(self, next: C) -> impl TwoInputCollector<A, B> {
        WindowJoinOp {
            key_a: self.key_a,
            key_b: self.key_b,
            assigner: self.assigner,
            f: self.f,
            core: KeyedCore::new(self.id, SideOutputs::default()),
            assigned: Vec::new(),
            _sides: PhantomData,
            next,
        }
    }
}

impl<KA, KB, W: WindowAssigner, F, K: Hash + Eq + Clone + Codec + Send + Sync + 'static, A, B, O, C>
    WindowJoinOp<KA, KB, W, F, K, A, B, O, C>
{
    /// The windows a record joins in, into `assigned`: those the watermark has not passed.
    fn assign(&mut self, timestamp: Timestamp) {
        assert!(
            timestamp != NO_TIMESTAMP,
            "the record has no event timestamp: call assign_timestamps_and_watermarks(..) before a window join"
        );
        self.assigned.clear();
        self.assigner.assign(timestamp, &mut self.assigned);
        let watermark = self.core.watermark();
        self.assigned.retain(|w| w.max_timestamp() > watermark);
    }
}

/// A key's windows that time has passed fire: every pair of their records, at the window's
/// last timestamp.
fn fire<K, A, B, O, F>(f: &mut F, time: Timestamp, ctx: &mut KeyedContext<'_, K>, out: &mut Output<'_, O>)
where
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    A: Clone + Codec + Send + Sync + 'static,
    B: Clone + Codec + Send + Sync + 'static,
    F: FnMut(A, B) -> O,
{
    let windows = ctx.keyed_state::<Windows<A, B>>(WINDOWS);
    while let Some(entry) = windows.first_entry() {
        let ts = entry.key().max_timestamp();
        if ts > time {
            break;
        }
        let (left, right) = entry.remove();
        for a in &left {
            for b in &right {
                out.collect_with_timestamp(f(a.clone(), b.clone()), ts);
            }
        }
    }
    if windows.is_empty() {
        ctx.clear_keyed_state::<Windows<A, B>>(WINDOWS);
    }
}

impl<A, B, K, O, KA, KB, W, F, C> TwoInputCollector<A, B> for WindowJoinOp<KA, KB, W, F, K, A, B, O, C>
where
    A: Clone + Codec + Send + Sync + 'static,
    B: Clone + Codec + Send + Sync + 'static,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    O: Send,
    KA: KeySelector<A, Key = K>,
    KB: KeySelector<B, Key = K>,
    W: WindowAssigner,
    F: FnMut(A, B) -> O + Send,
    C: Collector<O>,
{
    fn collect1(&mut self, value: A, timestamp: Timestamp) {
        let key = self.key_a.key(&value).into_owned();
        self.assign(timestamp);
        let assigned = &self.assigned;
        self.core.process(&key, timestamp, &mut self.next, |ctx, _| {
            for w in assigned {
                ctx.keyed_state::<Windows<A, B>>(WINDOWS).entry(*w).or_default().0.push(value.clone());
                ctx.register_event_time_timer(w.max_timestamp());
            }
        });
    }
    fn collect2(&mut self, value: B, timestamp: Timestamp) {
        let key = self.key_b.key(&value).into_owned();
        self.assign(timestamp);
        let assigned = &self.assigned;
        self.core.process(&key, timestamp, &mut self.next, |ctx, _| {
            for w in assigned {
                ctx.keyed_state::<Windows<A, B>>(WINDOWS).entry(*w).or_default().1.push(value.clone());
                ctx.register_event_time_timer(w.max_timestamp());
            }
        });
    }
    keyed_lifecycle!(|f, time, ctx, out| fire::<K, A, B, O, F>(f, time, ctx, out));
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<A: Clone + Codec + Send + Sync + 'static, B: Clone + Codec + Send + Sync + 'static> TwoInput<A, B> {
    /// `a.join(b).where_(ka).equal_to(kb).window(w).apply(f)`.
    pub fn window_join<K, O, KA, KB, W, F>(
        self,
        id: u32,
        key_a: impl FnOnce(KeyFor<A>) -> KA,
        key_b: impl FnOnce(KeyFor<B>) -> KB,
        assigner: W,
        f: F,
    ) -> Headed<A, B, WindowJoin<KA, KB, W, F>>
    where
        K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
        O: Send + 'static,
        KA: KeySelector<A, Key = K>,
        KB: KeySelector<B, Key = K>,
        W: WindowAssigner,
        F: FnMut(A, B) -> O + Clone + Send + 'static,
    {
        Headed::new(WindowJoin { id, key_a: KeyFor::select(key_a), key_b: KeyFor::select(key_b), assigner, f })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::collector::testing::Sink;
    use crate::core::element::Control;
    use crate::time::TumblingEventTimeWindows;
    use std::time::Duration;

    type Event = (&'static str, i64);

    #[test]
    fn windows_live_in_keyed_state_and_fire_by_their_keys_timers() {
        let mut op = WindowJoinOp {
            key_a: crate::state::key_selector::owned(|e: &Event| e.0),
            key_b: crate::state::key_selector::owned(|e: &Event| e.0),
            assigner: TumblingEventTimeWindows::of(Duration::from_secs(1)),
            f: |a: Event, b: Event| format!("{}:{}-{}", a.0, a.1, b.1),
            core: KeyedCore::new(0, SideOutputs::default()),
            assigned: Vec::new(),
            _sides: PhantomData,
            next: Sink::<String>::default(),
        };
        op.collect1(("a", 100), 100);
        op.collect2(("a", 300), 300);
        op.collect2(("b", 400), 400);
        op.collect1(("a", 1_500), 1_500);
        assert_eq!(op.core.keys_in::<Windows<Event, Event>>(WINDOWS), 2);
        // The first second ends: its pair is emitted at the window's last timestamp; `b`
        // had no partner and its state is gone, `a` keeps its second window.
        op.on_control(Control::Watermark(999));
        assert_eq!(op.next.0, [("a:100-300".to_owned(), 999)]);
        assert_eq!(op.core.keys_in::<Windows<Event, Event>>(WINDOWS), 1);
        // A record for a window the watermark passed joins nothing.
        op.collect2(("a", 200), 200);
        op.on_control(Control::Watermark(5_000));
        assert_eq!(op.next.0.len(), 1);
        assert_eq!(op.core.keys_in::<Windows<Event, Event>>(WINDOWS), 0);
    }
}
