//! Window joins: `a.join(b).where_(key_a).equal_to(key_b).window(assigner).apply(f)`. Per key
//! and window, both sides' records wait; when the window fires, `f(a, b)` runs for every
//! pair, as in Flink's window join (an inner join; results carry the window's last
//! timestamp).
//!
//! `a.co_group(b).where_(key_a).equal_to(key_b).window(assigner).apply(f)` is the same
//! operator handing each key's window over whole: `f(first, second, out)` runs once per key
//! and window that either side has records in (Flink's `coGroup`), so an outer join is
//! written with it. They differ only in what a firing window does ([`OnFire`]).
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
//!
//! A co-group, here a left outer join: every order, with the clicks of its user in its second
//! or none.
//!
//! ```
//! use rill::prelude::*;
//! use std::time::Duration;
//!
//! #[rill::job(no_main)]
//! fn orders_and_clicks(env: &mut Env) {
//!     let clicks = env.from_elements([("a", 300i64), ("a", 700)]).assign_timestamps_and_watermarks(
//!         WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e, _| e.1),
//!     );
//!     env.from_elements([("a", 100i64), ("b", 200)])
//!         .assign_timestamps_and_watermarks(
//!             WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e, _| e.1),
//!         )
//!         .co_group(clicks)
//!         .where_(|o| o.0)
//!         .equal_to(|c| c.0)
//!         .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
//!         .apply(|orders, clicks, out| {
//!             for o in orders {
//!                 out.collect(format!("{}: order at {}, {} clicks", o.0, o.1, clicks.len()));
//!             }
//!         })
//!         .print();
//! }
//!
//! ORDERS_AND_CLICKS_JOB.run(Some(1), &[]).unwrap();
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

/// What a key's window does when it fires, with both sides' records: a join pairs them, a
/// co-group hands them over at once.
pub trait OnFire<A, B>: Clone + Send + 'static {
    /// What the operator emits.
    type Out: Send + 'static;
    /// Emits the window's results, each at `timestamp` (the window's last).
    fn fire(&mut self, first: Vec<A>, second: Vec<B>, timestamp: Timestamp, out: &mut Output<'_, Self::Out>);
}

/// A join's firing: `f(a, b)` for every pair.
#[derive(Clone)]
pub struct Pairs<F>(F);

impl<A: Clone, B: Clone, O: Send + 'static, F: FnMut(A, B) -> O + Clone + Send + 'static> OnFire<A, B> for Pairs<F> {
    type Out = O;
    fn fire(&mut self, first: Vec<A>, second: Vec<B>, timestamp: Timestamp, out: &mut Output<'_, O>) {
        for a in &first {
            for b in &second {
                out.collect_with_timestamp((self.0)(a.clone(), b.clone()), timestamp);
            }
        }
    }
}

/// A co-group's firing: `f(first, second, out)` once, whichever side is empty.
pub struct Groups<F, O>(F, PhantomData<fn() -> O>);

impl<F: Clone, O> Clone for Groups<F, O> {
    fn clone(&self) -> Self {
        Groups(self.0.clone(), PhantomData)
    }
}

impl<A, B, O, F> OnFire<A, B> for Groups<F, O>
where
    O: Send + 'static,
    F: FnMut(&[A], &[B], &mut Output<'_, O>) + Clone + Send + 'static,
{
    type Out = O;
    fn fire(&mut self, first: Vec<A>, second: Vec<B>, timestamp: Timestamp, out: &mut Output<'_, O>) {
        let at = std::mem::replace(&mut out.timestamp, timestamp);
        (self.0)(&first, &second, out);
        out.timestamp = at;
    }
}

/// The stage of a co-group.
pub type WindowCoGroup<KA, KB, W, F, O> = WindowJoin<KA, KB, W, Groups<F, O>>;

/// The stage of a window join or co-group.
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

/// A window join or co-group in a running chain: each key's windows are keyed state of a
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

impl<A, B, K, KA, KB, W, F> TwoInputStage<A, B> for WindowJoin<KA, KB, W, F>
where
    A: Clone + Codec + Send + Sync + 'static,
    B: Clone + Codec + Send + Sync + 'static,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    KA: KeySelector<A, Key = K>,
    KB: KeySelector<B, Key = K>,
    W: WindowAssigner,
    F: OnFire<A, B>,
{
    type Out = F::Out;
    fn wrap<C: Collector<F::Out>>(self, next: C) -> impl TwoInputCollector<A, B> {
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

/// A key's windows that time has passed fire, at the window's last timestamp.
fn fire<K, A, B, F>(f: &mut F, time: Timestamp, ctx: &mut KeyedContext<'_, K>, out: &mut Output<'_, F::Out>)
where
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    A: Clone + Codec + Send + Sync + 'static,
    B: Clone + Codec + Send + Sync + 'static,
    F: OnFire<A, B>,
{
    let windows = ctx.keyed_state::<Windows<A, B>>(WINDOWS);
    while let Some(entry) = windows.first_entry() {
        let ts = entry.key().max_timestamp();
        if ts > time {
            break;
        }
        let (first, second) = entry.remove();
        f.fire(first, second, ts, out);
    }
    if windows.is_empty() {
        ctx.clear_keyed_state::<Windows<A, B>>(WINDOWS);
    }
}

impl<A, B, K, KA, KB, W, F, C> TwoInputCollector<A, B> for WindowJoinOp<KA, KB, W, F, K, A, B, F::Out, C>
where
    A: Clone + Codec + Send + Sync + 'static,
    B: Clone + Codec + Send + Sync + 'static,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    KA: KeySelector<A, Key = K>,
    KB: KeySelector<B, Key = K>,
    W: WindowAssigner,
    F: OnFire<A, B>,
    C: Collector<F::Out>,
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
    keyed_lifecycle!(|f, time, ctx, out| fire::<K, A, B, F>(f, time, ctx, out));
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
    ) -> Headed<A, B, WindowJoin<KA, KB, W, Pairs<F>>>
    where
        K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
        O: Send + 'static,
        KA: KeySelector<A, Key = K>,
        KB: KeySelector<B, Key = K>,
        W: WindowAssigner,
        F: FnMut(A, B) -> O + Clone + Send + 'static,
    {
        let (key_a, key_b) = (KeyFor::select(key_a), KeyFor::select(key_b));
        Headed::new(WindowJoin { id, key_a, key_b, assigner, f: Pairs(f) })
    }

    /// `a.co_group(b).where_(ka).equal_to(kb).window(w).apply(f)`.
    pub fn window_co_group<K, O, KA, KB, W, F>(
        self,
        id: u32,
        key_a: impl FnOnce(KeyFor<A>) -> KA,
        key_b: impl FnOnce(KeyFor<B>) -> KB,
        assigner: W,
        f: F,
    ) -> Headed<A, B, WindowCoGroup<KA, KB, W, F, O>>
    where
        K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
        O: Send + 'static,
        KA: KeySelector<A, Key = K>,
        KB: KeySelector<B, Key = K>,
        W: WindowAssigner,
        F: FnMut(&[A], &[B], &mut Output<'_, O>) + Clone + Send + 'static,
    {
        let (key_a, key_b) = (KeyFor::select(key_a), KeyFor::select(key_b));
        Headed::new(WindowJoin { id, key_a, key_b, assigner, f: Groups(f, PhantomData) })
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
            f: Pairs(|a: Event, b: Event| format!("{}:{}-{}", a.0, a.1, b.1)),
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

    #[test]
    fn a_co_group_fires_once_per_key_and_window_that_either_side_has_records_in() {
        let groups = |first: &[Event], second: &[Event], out: &mut Output<'_, String>| {
            out.collect(format!(
                "{}: {} and {}",
                first.first().or(second.first()).unwrap().0,
                first.len(),
                second.len()
            ))
        };
        let mut op = WindowJoinOp {
            key_a: crate::state::key_selector::owned(|e: &Event| e.0),
            key_b: crate::state::key_selector::owned(|e: &Event| e.0),
            assigner: TumblingEventTimeWindows::of(Duration::from_secs(1)),
            f: Groups(groups, PhantomData),
            core: KeyedCore::new(0, SideOutputs::default()),
            assigned: Vec::new(),
            _sides: PhantomData,
            next: Sink::<String>::default(),
        };
        op.collect1(("a", 100), 100);
        op.collect1(("a", 200), 200);
        op.collect2(("a", 300), 300);
        op.collect1(("b", 400), 400);
        op.collect2(("c", 500), 500);
        op.collect2(("a", 1_100), 1_100);
        op.on_control(Control::Watermark(999));
        // Each key once, whichever side is empty, at the window's last timestamp (in the
        // order of the keys' timers).
        let mut fired = op.next.0.clone();
        fired.sort();
        assert_eq!(
            fired,
            [("a: 2 and 1".to_owned(), 999), ("b: 1 and 0".to_owned(), 999), ("c: 0 and 1".to_owned(), 999)]
        );
        op.on_control(Control::Watermark(1_999));
        assert_eq!(op.next.0[3..], [("a: 0 and 1".to_owned(), 1_999)]);
        assert_eq!(op.core.keys_in::<Windows<Event, Event>>(WINDOWS), 0);
    }
}
