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

use crate::core::collector::Collector;
use crate::core::element::{Control, Timestamp, NO_TIMESTAMP};
use crate::core::panic_scope;
use crate::core::two_input::{Headed, TwoInput, TwoInputCollector, TwoInputStage};
use crate::state::key_groups::KeyMap;
use crate::time::{TimeWindow, WindowAssigner};
use std::collections::BTreeMap;
use std::hash::Hash;

/// The stage of a window join.
#[derive(Clone)]
pub struct WindowJoin<KA, KB, W, F> {
    id: u32,
    key_a: KA,
    key_b: KB,
    assigner: W,
    f: F,
}

type Sides<K, A, B> = KeyMap<K, (Vec<A>, Vec<B>)>;

/// A window join in a running chain.
pub struct WindowJoinOp<KA, KB, W, F, K, A, B, C> {
    id: u32,
    key_a: KA,
    key_b: KB,
    assigner: W,
    f: F,
    windows: BTreeMap<TimeWindow, Sides<K, A, B>>,
    assigned: Vec<TimeWindow>,
    watermark: Timestamp,
    next: C,
}

impl<A, B, K, O, KA, KB, W, F> TwoInputStage<A, B> for WindowJoin<KA, KB, W, F>
where
    A: Clone + Send + 'static,
    B: Clone + Send + 'static,
    K: Hash + Eq + Clone + Send + 'static,
    KA: FnMut(&A) -> K + Clone + Send + 'static,
    KB: FnMut(&B) -> K + Clone + Send + 'static,
    W: WindowAssigner,
    F: FnMut(A, B) -> O + Clone + Send + 'static,
{
    type Out = O;
    fn wrap<C: Collector<O>>(self, next: C) -> impl TwoInputCollector<A, B> {
        WindowJoinOp {
            id: self.id,
            key_a: self.key_a,
            key_b: self.key_b,
            assigner: self.assigner,
            f: self.f,
            windows: BTreeMap::new(),
            assigned: Vec::new(),
            watermark: i64::MIN,
            next,
        }
    }
}

impl<KA, KB, W: WindowAssigner, F, K: Hash + Eq + Clone, A: Clone, B: Clone, C> WindowJoinOp<KA, KB, W, F, K, A, B, C> {
    /// The windows a record joins in: those the watermark has not passed.
    fn windows_of(&mut self, timestamp: Timestamp) -> Vec<TimeWindow> {
        assert!(
            timestamp != NO_TIMESTAMP,
            "the record has no event timestamp: call assign_timestamps_and_watermarks(..) before a window join"
        );
        self.assigned.clear();
        self.assigner.assign(timestamp, &mut self.assigned);
        self.assigned.iter().copied().filter(|w| w.max_timestamp() > self.watermark).collect()
    }
}

impl<A, B, K, O, KA, KB, W, F, C> TwoInputCollector<A, B> for WindowJoinOp<KA, KB, W, F, K, A, B, C>
where
    A: Clone + Send,
    B: Clone + Send,
    K: Hash + Eq + Clone + Send,
    KA: FnMut(&A) -> K + Send,
    KB: FnMut(&B) -> K + Send,
    W: WindowAssigner,
    F: FnMut(A, B) -> O + Send,
    C: Collector<O>,
{
    fn collect1(&mut self, value: A, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        let key = (self.key_a)(&value);
        for w in self.windows_of(timestamp) {
            self.windows.entry(w).or_default().entry(key.clone()).or_default().0.push(value.clone());
        }
    }
    fn collect2(&mut self, value: B, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        let key = (self.key_b)(&value);
        for w in self.windows_of(timestamp) {
            self.windows.entry(w).or_default().entry(key.clone()).or_default().1.push(value.clone());
        }
    }
    fn on_control(&mut self, control: Control) {
        if let Control::Watermark(w) = control {
            if w > self.watermark {
                panic_scope::enter(self.id);
                self.watermark = w;
                while let Some(entry) = self.windows.first_entry() {
                    let ts = entry.key().max_timestamp();
                    if ts > w {
                        break;
                    }
                    for (_, (left, right)) in entry.remove() {
                        for a in &left {
                            for b in &right {
                                let out = (self.f)(a.clone(), b.clone());
                                self.next.collect(out, ts);
                                panic_scope::enter(self.id);
                            }
                        }
                    }
                }
            }
        }
        self.next.on_control(control);
    }
    crate::forward_lifecycle_except_control!(next);
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<A: Clone + Send + 'static, B: Clone + Send + 'static> TwoInput<A, B> {
    /// `a.join(b).where_(ka).equal_to(kb).window(w).apply(f)`.
    pub fn window_join<K, O, KA, KB, W, F>(
        self,
        id: u32,
        key_a: KA,
        key_b: KB,
        assigner: W,
        f: F,
    ) -> Headed<A, B, WindowJoin<KA, KB, W, F>>
    where
        K: Hash + Eq + Clone + Send + 'static,
        KA: FnMut(&A) -> K + Clone + Send + 'static,
        KB: FnMut(&B) -> K + Clone + Send + 'static,
        W: WindowAssigner,
        F: FnMut(A, B) -> O + Clone + Send + 'static,
    {
        Headed::new(WindowJoin { id, key_a, key_b, assigner, f })
    }
}
