//! Interval joins: `a.key_by(ka).interval_join(b.key_by(kb)).between(lower, upper)
//! .process(|left, right, ctx, out| ..)`. A left record at `ta` and a right one at `tb` of
//! the same key join when `ta + lower <= tb <= ta + upper` (bounds in milliseconds, both
//! included); the result carries the larger timestamp. Records behind the watermark are
//! dropped; buffers are cleaned once the watermark passes a record's last partner, as in
//! Flink's `IntervalJoinOperator`.
//!
//! ```
//! use rill::prelude::*;
//!
//! /// Each order with the clicks of its user from 300 ms before to 800 ms after it.
//! #[rill::job(no_main)]
//! fn orders_and_clicks(env: &mut Env) {
//!     let orders = env.from_elements([("a", 100i64), ("b", 200), ("a", 1500)]).assign_timestamps_and_watermarks(
//!         WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e, _| e.1),
//!     );
//!     let clicks = env.from_elements([("a", 300i64), ("b", 1900), ("a", 2100)]).assign_timestamps_and_watermarks(
//!         WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e, _| e.1),
//!     );
//!     orders
//!         .key_by(|o| o.0)
//!         .interval_join(clicks.key_by(|c| c.0))
//!         .between(-300, 800)
//!         .process(|o, c, ctx, out| out.collect(format!("{}: order {} click {} at {}", o.0, o.1, c.1, ctx.timestamp())))
//!         .print();
//! }
//!
//! ORDERS_AND_CLICKS_JOB.run(Some(1), &[]).unwrap();
//! ```

use crate::api::codec::Codec;
use crate::api::OutputTag;
use crate::core::collector::{Collector, Output};
use crate::core::element::{Timestamp, NO_TIMESTAMP};
use crate::core::side_output::{SideOutputs, SideTemplates, WritesSideOutputs};
use crate::core::two_input::{Headed, TwoInput, TwoInputCollector, TwoInputStage};
use crate::state::context::KeyedContext;
use crate::state::key_selector::{KeyFor, KeySelector};
use crate::state::keyed_core::{keyed_lifecycle, KeyedCore};
use std::collections::BTreeMap;
use std::hash::Hash;
use std::marker::PhantomData;

/// What an interval join's function sees besides the two records (Flink's
/// `ProcessJoinFunction.Context`).
pub struct JoinContext<'a> {
    /// The left record's timestamp.
    pub left_timestamp: Timestamp,
    /// The right record's timestamp.
    pub right_timestamp: Timestamp,
    sides: &'a mut SideOutputs,
}

impl JoinContext<'_> {
    /// The result's timestamp: the larger of the two.
    pub fn timestamp(&self) -> Timestamp {
        self.left_timestamp.max(self.right_timestamp)
    }

    /// Sends `value` to the side output `tag` (read downstream with `side_output(&TAG)`),
    /// at the result's timestamp.
    pub fn output<V: 'static>(&mut self, tag: &OutputTag<V>, value: V) {
        let timestamp = self.timestamp();
        self.sides.emit(tag, value, timestamp);
    }
}

/// The stage of an interval join.
pub struct IntervalJoin<KA, KB, F, O> {
    id: u32,
    key_a: KA,
    key_b: KB,
    bounds: Bounds<F>,
    sides: SideTemplates,
    /// The side outputs each side's late records go to, by tag name (else they are dropped).
    late_tags: [Option<&'static str>; 2],
    _o: PhantomData<fn() -> O>,
}

impl<KA, KB, F, O> WritesSideOutputs for IntervalJoin<KA, KB, F, O> {
    fn side_templates(&mut self) -> &mut SideTemplates {
        &mut self.sides
    }
}

impl<KA: Clone, KB: Clone, F: Clone, O> Clone for IntervalJoin<KA, KB, F, O> {
    fn clone(&self) -> Self {
        IntervalJoin {
            id: self.id,
            key_a: self.key_a.clone(),
            key_b: self.key_b.clone(),
            bounds: self.bounds.clone(),
            sides: self.sides.clone(),
            late_tags: self.late_tags,
            _o: PhantomData,
        }
    }
}

/// The join function with the bounds it joins within.
#[derive(Clone)]
struct Bounds<F> {
    lower: i64,
    upper: i64,
    f: F,
}

type Buffer<T> = BTreeMap<Timestamp, Vec<T>>;

/// Each key's records of both sides, by timestamp: keyed state of the operator's core.
type Buffers<A, B> = (Buffer<A>, Buffer<B>);

/// The name of the buffers in the keyed state.
const BUFFERS: &str = "interval join buffers";

/// An interval join in a running chain: its buffers are keyed state of a
/// [`KeyedCore`], cleaned up by event-time timers of their key (as Flink's
/// `IntervalJoinOperator` does).
pub struct IntervalJoinOp<KA, KB, F, K, A, B, O, C> {
    key_a: KA,
    key_b: KB,
    f: Bounds<F>,
    core: KeyedCore<K, O>,
    /// Records that arrived behind the watermark.
    pub late_records: u64,
    /// The side outputs of each side's late records, by tag name.
    late_tags: [Option<&'static str>; 2],
    _sides: PhantomData<fn(A, B)>,
    next: C,
}

impl<A, B, K, O, KA, KB, F> TwoInputStage<A, B> for IntervalJoin<KA, KB, F, O>
where
    A: Clone + Codec + Send + Sync + 'static,
    B: Clone + Codec + Send + Sync + 'static,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    O: Send + 'static,
    KA: KeySelector<A, Key = K>,
    KB: KeySelector<B, Key = K>,
    F: FnMut(A, B, &mut JoinContext<'_>, &mut Output<'_, O>) + Clone + Send + 'static,
{
    type Out = O;
    fn wrap<C: Collector<O>>(self, next: C) -> impl TwoInputCollector<A, B> {
        IntervalJoinOp {
            key_a: self.key_a,
            key_b: self.key_b,
            f: self.bounds,
            core: KeyedCore::new(self.id, self.sides.build()),
            late_records: 0,
            late_tags: self.late_tags,
            _sides: PhantomData,
            next,
        }
    }
}

impl<KA, KB, F, K: Hash + Eq + Clone + Codec + Send + Sync + 'static, A, B, O, C>
    IntervalJoinOp<KA, KB, F, K, A, B, O, C>
{
    /// Whether a record is behind the watermark (and counted so).
    fn late(&mut self, timestamp: Timestamp) -> bool {
        assert!(
            timestamp != NO_TIMESTAMP,
            "the record has no event timestamp: call assign_timestamps_and_watermarks(..) before an interval join"
        );
        let late = timestamp < self.core.watermark();
        self.late_records += u64::from(late);
        late
    }
}

impl<F> Bounds<F> {
    /// The watermark passed a record's last partner (a left one's at `ta + upper`, a right
    /// one's at `tb - lower`): drops what no record can join any more, and the key's buffers
    /// once empty.
    fn clean<
        K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
        A: Codec + Send + Sync + 'static,
        B: Codec + Send + Sync + 'static,
    >(
        &self,
        ctx: &mut KeyedContext<'_, K>,
    ) {
        let w = ctx.current_watermark();
        let (left, right) = ctx.keyed_state::<Buffers<A, B>>(BUFFERS);
        *left = left.split_off(&w.saturating_sub(self.upper));
        *right = right.split_off(&w.saturating_add(self.lower));
        if left.is_empty() && right.is_empty() {
            ctx.clear_keyed_state::<Buffers<A, B>>(BUFFERS);
        }
    }
}

impl<A, B, K, O, KA, KB, F, C> TwoInputCollector<A, B> for IntervalJoinOp<KA, KB, F, K, A, B, O, C>
where
    A: Clone + Codec + Send + Sync + 'static,
    B: Clone + Codec + Send + Sync + 'static,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    O: Send,
    KA: KeySelector<A, Key = K>,
    KB: KeySelector<B, Key = K>,
    F: FnMut(A, B, &mut JoinContext<'_>, &mut Output<'_, O>) + Send,
    C: Collector<O>,
{
    fn collect1(&mut self, value: A, ta: Timestamp) {
        if self.late(ta) {
            if let Some(tag) = self.late_tags[0] {
                self.core.side_outputs().emit(&OutputTag::<A>::new(tag), value, ta);
            }
            return;
        }
        let key = self.key_a.key(&value).into_owned();
        let j = &mut self.f;
        self.core.process(&key, ta, &mut self.next, |ctx, out| {
            let ((left, right), sides) = ctx.keyed_state_and_sides::<Buffers<A, B>>(BUFFERS);
            for (&tb, bs) in right.range(ta.saturating_add(j.lower)..=ta.saturating_add(j.upper)) {
                for b in bs {
                    let mut jc = JoinContext { left_timestamp: ta, right_timestamp: tb, sides: &mut *sides };
                    let timestamp = jc.timestamp();
                    (j.f)(value.clone(), b.clone(), &mut jc, &mut Output { buffer: out.buffer, timestamp });
                }
            }
            left.entry(ta).or_default().push(value);
            // Its last partner is at ta + upper: once the watermark is past it, it goes.
            ctx.register_event_time_timer(ta.saturating_add(j.upper).saturating_add(1));
        });
    }

    fn collect2(&mut self, value: B, tb: Timestamp) {
        if self.late(tb) {
            if let Some(tag) = self.late_tags[1] {
                self.core.side_outputs().emit(&OutputTag::<B>::new(tag), value, tb);
            }
            return;
        }
        let key = self.key_b.key(&value).into_owned();
        let j = &mut self.f;
        self.core.process(&key, tb, &mut self.next, |ctx, out| {
            let ((left, right), sides) = ctx.keyed_state_and_sides::<Buffers<A, B>>(BUFFERS);
            for (&ta, as_) in left.range(tb.saturating_sub(j.upper)..=tb.saturating_sub(j.lower)) {
                for a in as_ {
                    let mut jc = JoinContext { left_timestamp: ta, right_timestamp: tb, sides: &mut *sides };
                    let timestamp = jc.timestamp();
                    (j.f)(a.clone(), value.clone(), &mut jc, &mut Output { buffer: out.buffer, timestamp });
                }
            }
            right.entry(tb).or_default().push(value);
            // Its last partner is at tb - lower.
            ctx.register_event_time_timer(tb.saturating_sub(j.lower).saturating_add(1));
        });
    }

    keyed_lifecycle!(|f, _time, ctx, _out| f.clean::<K, A, B>(ctx));
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<A: Clone + Codec + Send + Sync + 'static, B: Clone + Codec + Send + Sync + 'static> TwoInput<A, B> {
    /// `a.key_by(ka).interval_join(b.key_by(kb)).between(lower, upper).process(f)`.
    #[allow(clippy::too_many_arguments)]
    pub fn interval_join<K, O, KA, KB, F>(
        self,
        id: u32,
        key_a: impl FnOnce(KeyFor<A>) -> KA,
        key_b: impl FnOnce(KeyFor<B>) -> KB,
        lower: i64,
        upper: i64,
        f: F,
    ) -> Headed<A, B, IntervalJoin<KA, KB, F, O>>
    where
        K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
        O: Send + 'static,
        KA: KeySelector<A, Key = K>,
        KB: KeySelector<B, Key = K>,
        F: FnMut(A, B, &mut JoinContext<'_>, &mut Output<'_, O>) + Clone + Send + 'static,
    {
        assert!(lower <= upper, "interval join: the lower bound {lower} is above the upper bound {upper}");
        Headed::new(IntervalJoin {
            id,
            key_a: KeyFor::select(key_a),
            key_b: KeyFor::select(key_b),
            bounds: Bounds { lower, upper, f },
            sides: SideTemplates::default(),
            late_tags: [None, None],
            _o: PhantomData,
        })
    }
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<A, B, KA, KB, F, O> Headed<A, B, IntervalJoin<KA, KB, F, O>> {
    /// `side_output_left_late_data(&TAG)`: left records behind the watermark go to `tag`.
    pub fn side_output_left_late_data(mut self, tag: &OutputTag<A>) -> Self {
        self.head_mut().late_tags[0] = Some(tag.id());
        self
    }

    /// `side_output_right_late_data(&TAG)`: right records behind the watermark go to `tag`.
    pub fn side_output_right_late_data(mut self, tag: &OutputTag<B>) -> Self {
        self.head_mut().late_tags[1] = Some(tag.id());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::collector::testing::Sink;
    use crate::core::element::Control;

    type Event = (&'static str, i64);

    #[test]
    fn buffers_live_in_keyed_state_until_the_watermark_passes_their_last_partner() {
        let f = |a: Event, b: Event, jc: &mut JoinContext<'_>, out: &mut Output<'_, String>| {
            out.collect(format!("{}:{}-{}@{}", a.0, a.1, b.1, jc.timestamp()))
        };
        let mut op = IntervalJoinOp {
            key_a: crate::state::key_selector::owned(|e: &Event| e.0),
            key_b: crate::state::key_selector::owned(|e: &Event| e.0),
            f: Bounds { lower: -300, upper: 800, f },
            core: KeyedCore::new(0, SideOutputs::default()),
            late_records: 0,
            late_tags: [None, None],
            _sides: PhantomData,
            next: Sink::<String>::default(),
        };
        op.collect1(("a", 100), 100);
        op.collect2(("a", 300), 300);
        assert_eq!(op.next.0, [("a:100-300@300".to_owned(), 300)]);
        // The right record's last partner is at 300 + 300: past it, it goes; the left one
        // (last partner at 100 + 800) stays and still joins.
        op.on_control(Control::Watermark(700));
        op.collect2(("a", 800), 800);
        assert_eq!(op.next.0.last(), Some(&("a:100-800@800".to_owned(), 800)));
        assert_eq!(op.core.keys_in::<Buffers<Event, Event>>(BUFFERS), 1);
        // Behind the watermark: counted, not joined.
        op.collect1(("a", 50), 50);
        assert_eq!((op.late_records, op.next.0.len()), (1, 2));
        // Past every record's last partner: the key's buffers are gone.
        op.on_control(Control::Watermark(2_000));
        assert_eq!(op.core.keys_in::<Buffers<Event, Event>>(BUFFERS), 0);
    }
}
