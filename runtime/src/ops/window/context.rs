//! What a process window function sees of the window that fires, besides its elements
//! (Flink's `ProcessWindowFunction.Context`): the window, event and processing time, state
//! per key and window (`window_state`) or per key across windows (`global_state`), and side
//! outputs (`output(&TAG, value)`).
//!
//! Per-window state lives as long as its window: it is dropped when the window is (past
//! its allowed lateness, or merged into a larger session), so that, unlike in Flink, a
//! function need not clear it itself. Across the firings of one window (late firings,
//! early firings of a trigger) it is kept: it can count them, or remember what was sent.
//!
//! ```
//! use rill::prelude::*;
//! use std::time::Duration;
//!
//! static FIRINGS: ValueState<u32> = ValueState::new("firings");
//!
//! #[rill::job(no_main)]
//! fn firings(env: &mut Env) {
//!     env.from_elements([("a", 100i64), ("a", 2_500), ("a", 300)])
//!         .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|r, _| r.1))
//!         .key_by(|(k, _)| *k)
//!         .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
//!         .allowed_lateness(Duration::from_secs(5))
//!         .process(|key, ctx, elements, out| {
//!             let firing = ctx.window_state().value(&FIRINGS).get().unwrap_or(0) + 1;
//!             ctx.window_state().value(&FIRINGS).update(firing);
//!             out.collect(format!("{key} [{}, {}) firing {firing}: {} elements", ctx.start, ctx.end, elements.len()));
//!         })
//!         .print();
//! }
//!
//! FIRINGS_JOB.run(Some(1), &[]).unwrap();
//! ```

use crate::api::OutputTag;
use crate::core::element::Timestamp;
use crate::core::side_output::SideOutputs;
use crate::state::{KeyedState, StateStore};
use crate::time::{Clock, TimeWindow};
use std::hash::Hash;
use std::ops::Deref;

/// The state of a window operator's process function, per key and window and per key, and
/// the side outputs it writes to.
pub(crate) struct WindowStates<K> {
    per_window: StateStore<(K, TimeWindow)>,
    global: StateStore<K>,
    sides: SideOutputs,
}

impl<K> Default for WindowStates<K> {
    fn default() -> Self {
        WindowStates::new(SideOutputs::default())
    }
}

impl<K> WindowStates<K> {
    /// No state yet; the function writes to the side outputs `sides`.
    pub(crate) fn new(sides: SideOutputs) -> Self {
        WindowStates { per_window: StateStore::default(), global: StateStore::default(), sides }
    }

    /// State of `key` (a key and its window) in the per-window store: a trigger's own.
    pub(crate) fn per_window_state<'a>(
        &'a mut self,
        key: &'a (K, TimeWindow),
        clock: &'a Clock,
    ) -> KeyedState<'a, (K, TimeWindow)> {
        KeyedState { store: &mut self.per_window, key, clock }
    }

    /// The side outputs, to pass the operator's lifecycle on to.
    pub(crate) fn sides(&mut self) -> &mut SideOutputs {
        &mut self.sides
    }
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static> WindowStates<K> {
    /// The context of `key`'s `window` as it fires.
    pub(crate) fn context<'a>(
        &'a mut self,
        key: &'a K,
        window: TimeWindow,
        watermark: Timestamp,
        clock: &'a Clock,
    ) -> WindowContext<'a, K> {
        WindowContext { window, key, watermark, clock, states: self, window_key: None }
    }

    /// The stores, per key and window and per key (to snapshot, to restore).
    pub(crate) fn stores_mut(&mut self) -> (&mut StateStore<(K, TimeWindow)>, &mut StateStore<K>) {
        (&mut self.per_window, &mut self.global)
    }

    /// Whether any key has state per window (else a window that goes has none to drop).
    pub(crate) fn has_window_state(&self) -> bool {
        !self.per_window.is_empty()
    }

    /// `key`'s `window` is gone: so is its state.
    pub(crate) fn drop_window(&mut self, key: &K, window: TimeWindow) {
        if !self.per_window.is_empty() {
            self.per_window.remove(&(key.clone(), window));
        }
    }
}

/// What a process window function sees of the window that fires. Dereferences to the
/// window: `ctx.start`, `ctx.end`, `ctx.max_timestamp()`.
pub struct WindowContext<'a, K> {
    window: TimeWindow,
    key: &'a K,
    watermark: Timestamp,
    clock: &'a Clock,
    states: &'a mut WindowStates<K>,
    /// The key of the per-window state, made when first needed.
    window_key: Option<(K, TimeWindow)>,
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static> WindowContext<'_, K> {
    /// The window that fires.
    pub fn window(&self) -> &TimeWindow {
        &self.window
    }

    /// The current event time of the operator (its input watermark).
    pub fn current_watermark(&self) -> Timestamp {
        self.watermark
    }

    /// Processing time now, from the job's clock.
    pub fn current_processing_time(&self) -> Timestamp {
        self.clock.now()
    }

    /// State of this key in this window, kept across the window's firings and dropped with
    /// the window.
    pub fn window_state(&mut self) -> KeyedState<'_, (K, TimeWindow)> {
        let key = self.window_key.get_or_insert_with(|| (self.key.clone(), self.window));
        KeyedState { store: &mut self.states.per_window, key, clock: self.clock }
    }

    /// State of this key, shared by all its windows.
    pub fn global_state(&mut self) -> KeyedState<'_, K> {
        KeyedState { store: &mut self.states.global, key: self.key, clock: self.clock }
    }

    /// Sends `value` to the side output `tag` (read downstream with `side_output(&TAG)`), at
    /// the window's last timestamp, as Flink's `ProcessWindowFunction.Context#output`.
    pub fn output<V: 'static>(&mut self, tag: &OutputTag<V>, value: V) {
        self.states.sides.emit(tag, value, self.window.max_timestamp());
    }
}

impl<K> Deref for WindowContext<'_, K> {
    type Target = TimeWindow;
    fn deref(&self) -> &TimeWindow {
        &self.window
    }
}
