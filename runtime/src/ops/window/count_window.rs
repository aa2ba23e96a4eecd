//! Count windows: `key_by(..).count_window(size)` or `count_window(size, slide)` followed by
//! a window function. Per key, the records since the last firing (tumbling) or the last
//! `size` records (sliding, an evictor in Flink's terms) make the window; it fires by count.
//!
//! ```
//! use rill::prelude::*;
//!
//! /// The sum of every two readings of a sensor.
//! #[rill::job(no_main)]
//! fn pairs(env: &mut Env) {
//!     env.from_elements([("s1", 1i64), ("s1", 2), ("s2", 5), ("s1", 3), ("s2", 6)])
//!         .key_by(|r| r.0)
//!         .count_window(2)
//!         .sum(1)
//!         .print();
//! }
//!
//! PAIRS_JOB.run(Some(1), &[]).unwrap();
//! ```

use super::functions::WindowFn;
use crate::api::codec::Codec;
use crate::core::collector::{Collector, Output};
use crate::core::element::{Control, Timestamp};
use crate::core::side_output::SideOutputs;
use crate::ops::window::context::WindowStates;
use crate::state::key_selector::KeySelector;
use crate::state::keyed_core::KeyedCore;
use crate::time::assigners::GLOBAL_WINDOW;
use std::collections::VecDeque;
use std::hash::Hash;
use std::marker::PhantomData;

/// A key's records since its window last fired: keyed state of the operator's core.
#[derive(crate::Codec)]
struct KeyCount<T, Acc> {
    /// Tumbling: the accumulator since the last firing.
    acc: Option<Acc>,
    /// Sliding: the last `size` records.
    recent: VecDeque<T>,
    since_fire: u64,
}

impl<T, Acc> Default for KeyCount<T, Acc> {
    fn default() -> Self {
        KeyCount { acc: None, recent: VecDeque::new(), since_fire: 0 }
    }
}

/// The name of the counts in the keyed state.
const COUNTS: &str = "count windows";

/// Count windows in a running chain; each key's records are keyed state of a [`KeyedCore`].
pub struct CountWindowOp<KF, F, K, T, Acc, O, C> {
    key: KF,
    f: Counting<F>,
    /// A process function's state; the global window never ends, so neither does it.
    states: WindowStates<K>,
    core: KeyedCore<K, O>,
    _t: PhantomData<fn(T) -> Acc>,
    next: C,
}

/// The window function and the window's size and slide, in records.
struct Counting<F> {
    size: u64,
    slide: u64,
    f: F,
}

impl<KF, F, K: Hash + Eq + Clone + Codec + Send + Sync + 'static, T, Acc, O, C> CountWindowOp<KF, F, K, T, Acc, O, C> {
    pub(crate) fn new(id: u32, key: KF, size: u64, slide: u64, f: F, next: C, sides: SideOutputs) -> Self {
        CountWindowOp {
            key,
            f: Counting { size, slide, f },
            states: WindowStates::new(sides),
            core: KeyedCore::new(id, SideOutputs::default()),
            _t: PhantomData,
            next,
        }
    }
}

impl<T, K, KF, F, C> Collector<T> for CountWindowOp<KF, F, K, T, F::Acc, F::Out, C>
where
    T: Clone + Codec + Send + Sync + 'static,
    KF: KeySelector<T, Key = K>,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    F: WindowFn<K, T>,
    F::Out: Send,
    C: Collector<F::Out>,
{
    #[inline]
    fn collect(&mut self, value: T, timestamp: Timestamp) {
        let key = self.key.key(&value).into_owned();
        let clock = self.core.clock().clone();
        let watermark = self.core.watermark();
        let (counting, states) = (&mut self.f, &mut self.states);
        self.core.process(&key, timestamp, &mut self.next, |ctx, out: &mut Output<'_, F::Out>| {
            let (size, slide, f) = (counting.size, counting.slide, &mut counting.f);
            let state = ctx.keyed_state::<KeyCount<T, F::Acc>>(COUNTS);
            state.since_fire += 1;
            if size == slide {
                f.add(&mut state.acc, value);
                if state.since_fire == size {
                    state.since_fire = 0;
                    if let Some(acc) = state.acc.take() {
                        let mut wctx = states.context(&key, GLOBAL_WINDOW, watermark, &clock);
                        f.emit(&key, &mut wctx, &acc, out.buffer);
                    }
                }
            } else {
                state.recent.push_back(value);
                if state.recent.len() as u64 > size {
                    state.recent.pop_front();
                }
                if state.since_fire == slide {
                    state.since_fire = 0;
                    let mut acc = None;
                    for v in &state.recent {
                        f.add(&mut acc, v.clone());
                    }
                    if let Some(acc) = acc {
                        let mut wctx = states.context(&key, GLOBAL_WINDOW, watermark, &clock);
                        f.emit(&key, &mut wctx, &acc, out.buffer);
                    }
                }
            }
        });
    }

    // Count windows fire by count: no timers. The function's side outputs hear the
    // lifecycle after the core has passed it on.
    fn on_control(&mut self, control: Control) {
        if control.takes_snapshot() {
            self.states.snapshot_beside(&self.core);
        }
        self.core.on_control(control, &mut self.next, |_, _, _| ());
        self.states.sides().on_control(control);
    }
    fn on_processing_time(&mut self, now: Timestamp) {
        self.core.on_processing_time(now, &mut self.next, |_, _, _| ());
        self.states.sides().on_processing_time(now);
    }
    fn open(&mut self, ctx: &mut crate::RuntimeContext<'_>) -> Result<(), crate::JobError> {
        self.core.open(ctx, &mut self.next)?;
        self.states.restore_beside(&self.core, ctx)?;
        self.states.sides().open(ctx)
    }
    fn flush(&mut self) {
        self.states.sides().flush();
        self.core.flush(&mut self.next)
    }
    fn take_blocked(&mut self, blocked: &mut Vec<crate::core::collector::BlockedSend>) {
        self.states.sides().take_blocked(blocked);
        self.core.take_blocked(blocked, &mut self.next)
    }
    fn close(&mut self) -> Result<(), crate::JobError> {
        self.states.sides().close()?;
        self.core.close(&mut self.next)
    }
}
