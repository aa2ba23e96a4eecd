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
use crate::core::collector::Collector;
use crate::core::element::{Control, Timestamp};
use crate::core::panic_scope;
use crate::ops::window::context::WindowStates;
use crate::state::key_groups::KeyMap;
use crate::time::assigners::GLOBAL_WINDOW;
use crate::time::Clock;
use std::collections::VecDeque;
use std::hash::Hash;

struct KeyCount<T, Acc> {
    /// Tumbling: the accumulator since the last firing.
    acc: Option<Acc>,
    /// Sliding: the last `size` records.
    recent: VecDeque<T>,
    since_fire: u64,
}

pub struct CountWindowOp<KF, F, K, T, Acc, O, C> {
    pub(crate) id: u32,
    pub(crate) key: KF,
    pub(crate) size: u64,
    pub(crate) slide: u64,
    pub(crate) f: F,
    keys: KeyMap<K, KeyCount<T, Acc>>,
    /// A process function's state; the global window never ends, so neither does it.
    states: WindowStates<K>,
    clock: Clock,
    watermark: Timestamp,
    out: Vec<(O, Timestamp)>,
    pub(crate) next: C,
}

impl<KF, F, K, T, Acc, O, C> CountWindowOp<KF, F, K, T, Acc, O, C> {
    pub(crate) fn new(id: u32, key: KF, size: u64, slide: u64, f: F, next: C) -> Self {
        CountWindowOp {
            id,
            key,
            size,
            slide,
            f,
            keys: KeyMap::default(),
            states: WindowStates::default(),
            clock: Clock::System,
            watermark: i64::MIN,
            out: Vec::new(),
            next,
        }
    }
}

impl<T, K, KF, F, C> Collector<T> for CountWindowOp<KF, F, K, T, F::Acc, F::Out, C>
where
    T: Clone + Send,
    KF: FnMut(&T) -> K + Send,
    K: Hash + Eq + Clone + Send + 'static,
    F: WindowFn<K, T>,
    F::Out: Send,
    C: Collector<F::Out>,
{
    #[inline]
    fn collect(&mut self, value: T, _: Timestamp) {
        panic_scope::enter(self.id);
        let key = (self.key)(&value);
        let (size, slide) = (self.size, self.slide);
        let state = match self.keys.get_mut(&key) {
            Some(s) => s,
            None => {
                self.keys.entry(key.clone()).or_insert(KeyCount { acc: None, recent: VecDeque::new(), since_fire: 0 })
            }
        };
        state.since_fire += 1;
        if size == slide {
            self.f.add(&mut state.acc, value);
            if state.since_fire == size {
                state.since_fire = 0;
                if let Some(acc) = state.acc.take() {
                    let mut ctx = self.states.context(&key, GLOBAL_WINDOW, self.watermark, &self.clock);
                    self.f.emit(&key, &mut ctx, &acc, &mut self.out);
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
                    self.f.add(&mut acc, v.clone());
                }
                if let Some(acc) = acc {
                    let mut ctx = self.states.context(&key, GLOBAL_WINDOW, self.watermark, &self.clock);
                    self.f.emit(&key, &mut ctx, &acc, &mut self.out);
                }
            }
        }
        for (o, ts) in self.out.drain(..) {
            self.next.collect(o, ts);
        }
    }

    fn on_control(&mut self, control: Control) {
        if let Control::Watermark(w) = control {
            self.watermark = self.watermark.max(w);
        }
        self.next.on_control(control);
    }

    fn open(&mut self, ctx: &mut crate::RuntimeContext<'_>) -> Result<(), crate::JobError> {
        self.clock = ctx.clock.clone();
        self.next.open(ctx)
    }

    fn on_processing_time(&mut self, now: Timestamp) {
        self.next.on_processing_time(now)
    }

    crate::forward_buffers!(next);
}
