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

use crate::core::collector::{Collector, Output};
use crate::core::element::{Control, Timestamp, NO_TIMESTAMP};
use crate::core::panic_scope;
use crate::core::two_input::{Headed, TwoInput, TwoInputCollector, TwoInputStage};
use crate::state::key_groups::KeyMap;
use std::collections::BTreeMap;
use std::hash::Hash;
use std::marker::PhantomData;

/// What an interval join's function sees besides the two records.
pub struct JoinContext {
    /// The left record's timestamp.
    pub left_timestamp: Timestamp,
    /// The right record's timestamp.
    pub right_timestamp: Timestamp,
}

impl JoinContext {
    /// The result's timestamp: the larger of the two.
    pub fn timestamp(&self) -> Timestamp {
        self.left_timestamp.max(self.right_timestamp)
    }
}

/// The stage of an interval join.
pub struct IntervalJoin<KA, KB, F, O> {
    id: u32,
    key_a: KA,
    key_b: KB,
    lower: i64,
    upper: i64,
    f: F,
    _o: PhantomData<fn() -> O>,
}

impl<KA: Clone, KB: Clone, F: Clone, O> Clone for IntervalJoin<KA, KB, F, O> {
    fn clone(&self) -> Self {
        IntervalJoin {
            id: self.id,
            key_a: self.key_a.clone(),
            key_b: self.key_b.clone(),
            lower: self.lower,
            upper: self.upper,
            f: self.f.clone(),
            _o: PhantomData,
        }
    }
}

type Buffer<T> = BTreeMap<Timestamp, Vec<T>>;

/// An interval join in a running chain.
pub struct IntervalJoinOp<KA, KB, F, K, A, B, O, C> {
    id: u32,
    key_a: KA,
    key_b: KB,
    lower: i64,
    upper: i64,
    f: F,
    sides: KeyMap<K, (Buffer<A>, Buffer<B>)>,
    watermark: Timestamp,
    out: Vec<(O, Timestamp)>,
    /// Records that arrived behind the watermark.
    pub late_records: u64,
    next: C,
}

impl<A, B, K, O, KA, KB, F> TwoInputStage<A, B> for IntervalJoin<KA, KB, F, O>
where
    A: Clone + Send + 'static,
    B: Clone + Send + 'static,
    K: Hash + Eq + Clone + Send + 'static,
    O: Send + 'static,
    KA: FnMut(&A) -> K + Clone + Send + 'static,
    KB: FnMut(&B) -> K + Clone + Send + 'static,
    F: FnMut(A, B, &JoinContext, &mut Output<'_, O>) + Clone + Send + 'static,
{
    type Out = O;
    fn wrap<C: Collector<O>>(self, next: C) -> impl TwoInputCollector<A, B> {
        IntervalJoinOp {
            id: self.id,
            key_a: self.key_a,
            key_b: self.key_b,
            lower: self.lower,
            upper: self.upper,
            f: self.f,
            sides: KeyMap::default(),
            watermark: i64::MIN,
            out: Vec::new(),
            late_records: 0,
            next,
        }
    }
}

impl<KA, KB, F, K, A, B, O, C: Collector<O>> IntervalJoinOp<KA, KB, F, K, A, B, O, C> {
    fn late(&mut self, timestamp: Timestamp) -> bool {
        assert!(
            timestamp != NO_TIMESTAMP,
            "the record has no event timestamp: call assign_timestamps_and_watermarks(..) before an interval join"
        );
        let late = timestamp < self.watermark;
        self.late_records += u64::from(late);
        late
    }

    fn send(&mut self) {
        for (o, ts) in self.out.drain(..) {
            self.next.collect(o, ts);
        }
    }
}

impl<A, B, K, O, KA, KB, F, C> TwoInputCollector<A, B> for IntervalJoinOp<KA, KB, F, K, A, B, O, C>
where
    A: Clone + Send,
    B: Clone + Send,
    K: Hash + Eq + Clone + Send,
    O: Send,
    KA: FnMut(&A) -> K + Send,
    KB: FnMut(&B) -> K + Send,
    F: FnMut(A, B, &JoinContext, &mut Output<'_, O>) + Send,
    C: Collector<O>,
{
    fn collect1(&mut self, value: A, ta: Timestamp) {
        panic_scope::enter(self.id);
        if self.late(ta) {
            return;
        }
        let key = (self.key_a)(&value);
        let (left, right) = self.sides.entry(key).or_default();
        for (&tb, bs) in right.range(ta.saturating_add(self.lower)..=ta.saturating_add(self.upper)) {
            for b in bs {
                let ctx = JoinContext { left_timestamp: ta, right_timestamp: tb };
                (self.f)(
                    value.clone(),
                    b.clone(),
                    &ctx,
                    &mut Output { buffer: &mut self.out, timestamp: ctx.timestamp() },
                );
            }
        }
        left.entry(ta).or_default().push(value);
        self.send();
    }

    fn collect2(&mut self, value: B, tb: Timestamp) {
        panic_scope::enter(self.id);
        if self.late(tb) {
            return;
        }
        let key = (self.key_b)(&value);
        let (left, right) = self.sides.entry(key).or_default();
        for (&ta, as_) in left.range(tb.saturating_sub(self.upper)..=tb.saturating_sub(self.lower)) {
            for a in as_ {
                let ctx = JoinContext { left_timestamp: ta, right_timestamp: tb };
                (self.f)(
                    a.clone(),
                    value.clone(),
                    &ctx,
                    &mut Output { buffer: &mut self.out, timestamp: ctx.timestamp() },
                );
            }
        }
        right.entry(tb).or_default().push(value);
        self.send();
    }

    fn on_control(&mut self, control: Control) {
        if let Control::Watermark(w) = control {
            if w > self.watermark {
                self.watermark = w;
                // A left record's last partner is at ta + upper; a right one's at tb - lower.
                let (lower, upper) = (self.lower, self.upper);
                self.sides.retain(|_, (left, right)| {
                    *left = left.split_off(&w.saturating_sub(upper));
                    *right = right.split_off(&w.saturating_add(lower));
                    !left.is_empty() || !right.is_empty()
                });
            }
        }
        self.next.on_control(control);
    }
    crate::forward_lifecycle_except_control!(next);
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<A: Clone + Send + 'static, B: Clone + Send + 'static> TwoInput<A, B> {
    /// `a.key_by(ka).interval_join(b.key_by(kb)).between(lower, upper).process(f)`.
    #[allow(clippy::too_many_arguments)]
    pub fn interval_join<K, O, KA, KB, F>(
        self,
        id: u32,
        key_a: KA,
        key_b: KB,
        lower: i64,
        upper: i64,
        f: F,
    ) -> Headed<A, B, IntervalJoin<KA, KB, F, O>>
    where
        K: Hash + Eq + Clone + Send + 'static,
        O: Send + 'static,
        KA: FnMut(&A) -> K + Clone + Send + 'static,
        KB: FnMut(&B) -> K + Clone + Send + 'static,
        F: FnMut(A, B, &JoinContext, &mut Output<'_, O>) + Clone + Send + 'static,
    {
        assert!(lower <= upper, "interval join: the lower bound {lower} is above the upper bound {upper}");
        Headed::new(IntervalJoin { id, key_a, key_b, lower, upper, f, _o: PhantomData })
    }
}
