//! Timers per key, in event time and in processing time (Flink's `InternalTimerService`):
//! at most one timer per key and timestamp; they fire in order of their timestamp.

use crate::api::codec::Codec;
use crate::checkpoint::{KeyedEntries, StateCodec};
use crate::core::element::Timestamp;
use crate::state::key_groups::KeySet;
use std::collections::BTreeMap;
use std::hash::Hash;

/// The timers of one time domain.
#[derive(Clone)]
pub struct TimerQueue<K> {
    by_time: BTreeMap<Timestamp, KeySet<K>>,
}

impl<K> Default for TimerQueue<K> {
    fn default() -> Self {
        TimerQueue { by_time: BTreeMap::new() }
    }
}

impl<K: Hash + Eq + Clone> TimerQueue<K> {
    /// A timer for `key` at `time` (at most one per key and time).
    pub fn register(&mut self, time: Timestamp, key: &K) {
        let keys = self.by_time.entry(time).or_default();
        if !keys.contains(key) {
            keys.insert(key.clone());
        }
    }

    /// Deletes `key`'s timer at `time`, if any.
    pub fn delete(&mut self, time: Timestamp, key: &K) {
        if let Some(keys) = self.by_time.get_mut(&time) {
            keys.remove(key);
            if keys.is_empty() {
                self.by_time.remove(&time);
            }
        }
    }

    /// The earliest timer at or before `time`, removed.
    pub fn pop_due(&mut self, time: Timestamp) -> Option<(Timestamp, K)> {
        let mut entry = self.by_time.first_entry()?;
        if *entry.key() > time {
            return None;
        }
        let t = *entry.key();
        let key = entry.get().iter().next().cloned().expect("no empty timer sets");
        entry.get_mut().remove(&key);
        if entry.get().is_empty() {
            entry.remove();
        }
        Some((t, key))
    }

    /// The earliest timer's time.
    pub fn next_time(&self) -> Option<Timestamp> {
        self.by_time.keys().next().copied()
    }

    /// Every timer as a keyed entry `(key, time)`.
    pub(crate) fn snapshot(&self, key: &StateCodec<K>, max_parallelism: usize) -> Vec<u8> {
        let mut entries = KeyedEntries::new(max_parallelism);
        for (time, keys) in &self.by_time {
            for k in keys {
                entries.push(k, |out| {
                    (key.encode)(k, out);
                    time.encode(out);
                });
            }
        }
        entries.finish()
    }
}

/// The timers of a keyed operator.
pub struct Timers<K> {
    pub(crate) event_time: TimerQueue<K>,
    pub(crate) processing_time: TimerQueue<K>,
}

impl<K> Default for Timers<K> {
    fn default() -> Self {
        Timers { event_time: TimerQueue::default(), processing_time: TimerQueue::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_fire_in_time_order_once_per_key_and_time() {
        let mut q = TimerQueue::default();
        q.register(20, &"b");
        q.register(10, &"a");
        q.register(10, &"a");
        q.register(30, &"a");
        q.delete(30, &"a");
        assert_eq!(q.pop_due(5), None);
        assert_eq!(q.pop_due(25), Some((10, "a")));
        assert_eq!(q.pop_due(25), Some((20, "b")));
        assert_eq!(q.pop_due(100), None);
        assert_eq!(q.next_time(), None);
    }
}
