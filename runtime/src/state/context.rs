//! What a keyed function sees besides the record ([`KeyedContext`]): its key, its keyed state,
//! its timers, event and processing time, side outputs, and a broadcast state where there
//! is one. Keyed process, keyed co-process and keyed broadcast process functions get it
//! from the keyed-operator core.

use crate::api::codec::Codec;
use crate::api::{AggregateFunction, OutputTag};
use crate::core::element::{Timestamp, NO_TIMESTAMP};
use crate::core::side_output::SideOutputs;
use crate::state::timers::Timers;
use crate::state::{self, StateStore};
use std::hash::Hash;

/// Which clock a timer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::Codec)]
pub enum TimeDomain {
    /// Event time: fired by the watermark.
    EventTime,
    /// Processing time: fired by the clock.
    ProcessingTime,
}

/// What a keyed process function sees besides the record.
pub struct KeyedContext<'a, K> {
    timestamp: Timestamp,
    key: &'a K,
    state: &'a mut StateStore<K>,
    timers: &'a mut Timers<K>,
    watermark: Timestamp,
    domain: Option<TimeDomain>,
    clock: &'a crate::time::Clock,
    side: &'a mut SideOutputs,
    /// Read-only broadcast state, in a keyed broadcast process function.
    broadcast: Option<&'a mut crate::state::broadcast::BroadcastStore>,
}

impl<'a, K> KeyedContext<'a, K> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        timestamp: Timestamp,
        key: &'a K,
        state: &'a mut StateStore<K>,
        timers: &'a mut Timers<K>,
        watermark: Timestamp,
        domain: Option<TimeDomain>,
        clock: &'a crate::time::Clock,
        side: &'a mut SideOutputs,
        broadcast: Option<&'a mut crate::state::broadcast::BroadcastStore>,
    ) -> Self {
        KeyedContext { timestamp, key, state, timers, watermark, domain, clock, side, broadcast }
    }
}

impl<'a, K: Hash + Eq + Clone + Send + Sync + 'static> KeyedContext<'a, K> {
    /// The record's (or the firing timer's) event timestamp, if it has one.
    pub fn timestamp(&self) -> Option<Timestamp> {
        (self.timestamp != NO_TIMESTAMP).then_some(self.timestamp)
    }

    /// The key of the record, or of the timer that fires.
    pub fn current_key(&self) -> &K {
        self.key
    }

    /// In `on_timer`: which clock fired the timer.
    pub fn time_domain(&self) -> Option<TimeDomain> {
        self.domain
    }

    /// The current event time of this operator (its input watermark).
    pub fn current_watermark(&self) -> Timestamp {
        self.watermark
    }

    /// Processing time now, from the job's clock.
    pub fn current_processing_time(&self) -> Timestamp {
        self.clock.now()
    }

    /// The broadcast state `d`, read-only (in a keyed broadcast process function; empty
    /// elsewhere).
    pub fn broadcast_state<BK: Codec + Hash + Eq + Send + 'static, BV: Codec + Send + 'static>(
        &mut self,
        d: &crate::state::broadcast::BroadcastState<BK, BV>,
    ) -> &std::collections::HashMap<BK, BV> {
        match self.broadcast.as_deref_mut() {
            Some(store) => store.get_mut(d),
            None => {
                panic!("broadcast state is read in a keyed broadcast process function (connect a broadcast stream)")
            }
        }
    }

    /// Sends `value` to the side output `tag` (read downstream with `side_output(&TAG)`),
    /// with the record's timestamp.
    pub fn output<V: 'static>(&mut self, tag: &OutputTag<V>, value: V) {
        self.side.emit(tag, value, self.timestamp);
    }

    /// This key's value of the operator's own state `name` (a join's buffers): keyed state
    /// of any type, kept with the rest of the key's state.
    pub(crate) fn keyed_state<T: Default + Codec + Send + Sync + 'static>(&mut self, name: &'static str) -> &mut T {
        // Looked up by reference: the key is copied only into a new entry.
        let map = self.state.map::<T>(name).for_key(self.key);
        if !map.contains_key(self.key) {
            map.insert(self.key.clone(), T::default());
        }
        map.get_mut(self.key).expect("an entry for the key")
    }

    /// [`keyed_state`](Self::keyed_state) and the side outputs at once (a join writes to
    /// these while it walks its buffers).
    pub(crate) fn keyed_state_and_sides<T: Default + Codec + Send + Sync + 'static>(
        &mut self,
        name: &'static str,
    ) -> (&mut T, &mut SideOutputs) {
        let map = self.state.map::<T>(name).for_key(self.key);
        if !map.contains_key(self.key) {
            map.insert(self.key.clone(), T::default());
        }
        (map.get_mut(self.key).expect("an entry for the key"), &mut *self.side)
    }

    /// Drops this key's value of the operator's own state `name`.
    pub(crate) fn clear_keyed_state<T: Codec + Send + Sync + 'static>(&mut self, name: &'static str) {
        self.state.map::<T>(name).remove(self.key);
    }

    /// Calls `on_timer` for this key once the watermark reaches `time`.
    pub fn register_event_time_timer(&mut self, time: Timestamp) {
        self.timers.event_time.register(time, self.key);
    }

    /// Calls `on_timer` for this key once processing time reaches `time`.
    pub fn register_processing_time_timer(&mut self, time: Timestamp) {
        self.timers.processing_time.register(time, self.key);
    }

    /// Deletes this key's event-time timer at `time`, if any.
    pub fn delete_event_time_timer(&mut self, time: Timestamp) {
        self.timers.event_time.delete(time, self.key);
    }

    /// Deletes this key's processing-time timer at `time`, if any.
    pub fn delete_processing_time_timer(&mut self, time: Timestamp) {
        self.timers.processing_time.delete(time, self.key);
    }

    /// This key's value state `d`.
    #[inline]
    pub fn value<T: Codec + Send + Sync + 'static>(
        &mut self,
        d: &state::ValueState<T>,
    ) -> state::ValueHandle<'_, K, T> {
        state::value(self.state, self.key, d, self.clock)
    }

    /// This key's list state `d`.
    pub fn list<T: Codec + Send + Sync + 'static>(&mut self, d: &state::ListState<T>) -> state::ListHandle<'_, K, T> {
        state::list(self.state, self.key, d, self.clock)
    }

    /// This key's map state `d`.
    pub fn map<UK: Codec + Hash + Eq + Send + Sync + 'static, UV: Codec + Send + Sync + 'static>(
        &mut self,
        d: &state::MapState<UK, UV>,
    ) -> state::MapHandle<'_, K, UK, UV> {
        state::map(self.state, self.key, d, self.clock)
    }

    /// This key's reducing state `d`.
    pub fn reducing<T: Codec + Send + Sync + 'static>(
        &mut self,
        d: &state::ReducingState<T>,
    ) -> state::ReducingHandle<'_, K, T> {
        state::reducing(self.state, self.key, d, self.clock)
    }

    /// This key's aggregating state `d`.
    pub fn aggregating<'s, A: AggregateFunction<I>, I>(
        &'s mut self,
        d: &'s state::AggregatingState<A>,
    ) -> state::AggregatingHandle<'s, K, A, I>
    where
        A::Acc: Codec,
    {
        state::aggregating(self.state, self.key, d, self.clock)
    }
}
