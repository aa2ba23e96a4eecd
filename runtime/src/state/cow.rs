//! A keyed state map that a checkpoint freezes in constant time ([`CowMap`]), Flink's
//! `CopyOnWriteStateMap` done per key: the map as it was at the barrier is handed to the
//! thread that encodes it, and the task goes on at once on a map of the keys it has touched
//! since, each copied in from the frozen map when it is first read or written.
//!
//! Why per key: every access to keyed state is for the key of the record (or timer) at
//! hand, so [`CowMap::for_key`] can bring that one key's value over before the state handle
//! sees the map, and the handles (`ValueHandle`, `ListHandle`, ..) stay plain maps. A value
//! is copied with its [`Codec`] (encoded and decoded, as Flink's serializer copies), so state
//! types need no `Clone`; they need `Sync`, as the task reads the frozen map while the
//! encoder does.

use crate::api::codec::{Codec, Decoder};
use crate::state::key_groups::{KeyMap, KeySet};
use std::hash::Hash;
use std::sync::Arc;

/// A map from key to state that can be frozen for a checkpoint without a copy.
pub(crate) struct CowMap<K, T> {
    /// The state; while a snapshot is encoded, only the keys touched since its barrier.
    live: KeyMap<K, T>,
    frozen: Option<Frozen<K, T>>,
    /// The maps of touched keys of the last snapshot, emptied, kept for the next: each
    /// snapshot's copies then go into memory already mapped and sized, instead of a map
    /// grown from nothing (its rehashes and fresh pages cost the task a tenth of its time at
    /// a million keys).
    spare: (KeyMap<K, T>, KeySet<K>),
    /// How a frozen value is copied in: with its codec, or `Clone` where the state type
    /// has it and the operator asks ([`CowMap::cloning`]: many times faster for a pane
    /// window's panes than encoding and decoding them).
    copy: fn(&T) -> T,
}

/// The state at the last barrier, while the thread that encodes it still holds it.
struct Frozen<K, T> {
    base: Arc<KeyMap<K, T>>,
    /// Keys read or written since the barrier: their state is in `live` (or gone).
    touched: KeySet<K>,
}

impl<K, T: Codec> Default for CowMap<K, T> {
    fn default() -> Self {
        CowMap { live: KeyMap::default(), frozen: None, spare: Default::default(), copy: copy::<T> }
    }
}

impl<K: Hash + Eq + Clone, T: Codec> CowMap<K, T> {
    /// A map holding `entries` (restored from a checkpoint).
    pub(crate) fn from_map(live: KeyMap<K, T>) -> Self {
        CowMap { live, frozen: None, spare: Default::default(), copy: copy::<T> }
    }

    /// An empty map whose values are copied with `Clone` rather than their codec.
    pub(crate) fn cloning() -> Self
    where
        T: Clone,
    {
        CowMap { copy: T::clone, ..CowMap::default() }
    }

    /// The map in which `key`'s state is, and stays for as long as the borrow lasts: after
    /// a barrier, the key's value is copied in from the frozen map the first time.
    #[inline]
    pub(crate) fn for_key(&mut self, key: &K) -> &mut KeyMap<K, T> {
        if self.frozen.is_some() {
            self.copy_in(key);
        }
        &mut self.live
    }

    #[cold]
    fn copy_in(&mut self, key: &K) {
        if self.thaw() {
            return;
        }
        let frozen = self.frozen.as_mut().expect("frozen");
        if frozen.touched.contains(key) {
            return;
        }
        frozen.touched.insert(key.clone());
        if let Some(value) = frozen.base.get(key) {
            self.live.insert(key.clone(), (self.copy)(value));
        }
    }

    /// Ends the snapshot if its encoder is done with the frozen map: the touched keys'
    /// state goes back into it (removed where it was removed), and it is the map again.
    /// Whether it was ended.
    fn thaw(&mut self) -> bool {
        match &self.frozen {
            None => return true,
            // Still encoded: a plain load, not the atomic exchange of `try_unwrap`.
            Some(f) if Arc::strong_count(&f.base) > 1 => return false,
            Some(_) => {}
        }
        let frozen = self.frozen.take().expect("frozen");
        match Arc::try_unwrap(frozen.base) {
            Ok(mut base) => {
                let mut touched = frozen.touched;
                for key in touched.drain() {
                    match self.live.remove(&key) {
                        Some(value) => base.insert(key, value),
                        None => base.remove(&key),
                    };
                }
                // Every key in `live` was touched: it is empty now, and kept with `touched`.
                let delta = std::mem::replace(&mut self.live, base);
                self.spare = (delta, touched);
                true
            }
            Err(base) => {
                self.frozen = Some(Frozen { base, touched: frozen.touched });
                false
            }
        }
    }

    /// The whole state as of now, frozen: for the thread that encodes a snapshot. The task
    /// goes on at once. A snapshot still being encoded is waited for first (one checkpoint
    /// at a time: the next barrier comes an interval later, when it is long done).
    pub(crate) fn freeze(&mut self) -> Arc<KeyMap<K, T>> {
        while !self.thaw() {
            std::thread::sleep(std::time::Duration::from_micros(100));
        }
        let (delta, touched) = std::mem::take(&mut self.spare);
        let base = Arc::new(std::mem::replace(&mut self.live, delta));
        self.frozen = Some(Frozen { base: base.clone(), touched });
        base
    }

    /// Drops `key`'s state.
    pub(crate) fn remove(&mut self, key: &K) {
        self.for_key(key).remove(key);
    }

    /// Calls `f` with every key's state as of now, without a copy: while a snapshot is
    /// encoded, the keys not touched since its barrier are read from the frozen map (for an
    /// operator that reads every key, as a time window does when it fires).
    pub(crate) fn for_each(&mut self, mut f: impl FnMut(&K, &T)) {
        let _ = self.thaw();
        if let Some(frozen) = &self.frozen {
            for (key, value) in frozen.base.iter() {
                if !frozen.touched.contains(key) {
                    f(key, value);
                }
            }
        }
        for (key, value) in &self.live {
            f(key, value);
        }
    }

    /// The whole map, for a change to every key (a pane window's firing): while a snapshot
    /// is encoded, every key not touched since its barrier is copied in, and the frozen map
    /// is left to the encoder (which frees it). Waiting for the encoder instead costs more:
    /// on a machine whose cores run tasks, it shares them with the tasks (a pane window of
    /// 10 000 keys waited up to 100 ms for an encoding of 40, where the copy takes 3).
    pub(crate) fn settle(&mut self) -> &mut KeyMap<K, T> {
        if !self.thaw() {
            let started = std::time::Instant::now();
            let frozen = self.frozen.take().expect("frozen");
            self.live.reserve(frozen.base.len().saturating_sub(frozen.touched.len()));
            for (key, value) in frozen.base.iter() {
                if !frozen.touched.contains(key) {
                    self.live.insert(key.clone(), (self.copy)(value));
                }
            }
            STALLED_MICROS.set(STALLED_MICROS.get() + started.elapsed().as_micros() as u64);
        }
        &mut self.live
    }

    /// Drops every key's state (the map kept, for the next use).
    pub(crate) fn clear(&mut self) {
        if !self.thaw() {
            self.frozen = None;
        }
        self.live.clear();
    }

    /// The number of keys with state.
    #[cfg(test)]
    pub(crate) fn len(&mut self) -> usize {
        let _ = self.thaw();
        match &self.frozen {
            None => self.live.len(),
            Some(f) => {
                let untouched = f.base.keys().filter(|k| !f.touched.contains(*k)).count();
                untouched + self.live.len()
            }
        }
    }
}

thread_local! {
    /// How long this thread's operators spent copying in every key of a frozen map outside
    /// a barrier ([`CowMap::settle`]), since [`take_stalled_micros`] last asked.
    static STALLED_MICROS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How long the task on this thread stopped since it last asked to copy in whole frozen
/// maps: a pause for checkpoints as much as the barrier's own, and counted with it.
pub(crate) fn take_stalled_micros() -> u64 {
    STALLED_MICROS.replace(0)
}

/// A copy of `value` made with its codec (state types need not be `Clone`).
fn copy<T: Codec>(value: &T) -> T {
    let mut bytes = Vec::new();
    value.encode(&mut bytes);
    T::decode(&mut Decoder::new(&bytes))
        .unwrap_or_else(|e| panic!("a keyed state value does not decode what it encoded ({e}): check its Codec"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A map of keys `0..n`, each with `value(key)`, in `m`.
    fn filled(mut m: CowMap<u64, Vec<u32>>, n: u64, value: impl Fn(u64) -> Vec<u32>) -> CowMap<u64, Vec<u32>> {
        for k in 0..n {
            m.for_key(&k).insert(k, value(k));
        }
        m
    }

    fn sorted(map: &KeyMap<String, Vec<u32>>) -> Vec<(String, Vec<u32>)> {
        let mut v: Vec<_> = map.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        v.sort();
        v
    }

    #[test]
    fn a_frozen_map_keeps_the_barrier_state_while_the_task_goes_on() {
        let mut m: CowMap<String, Vec<u32>> = CowMap::default();
        for (k, v) in [("a", 1), ("b", 2), ("c", 3)] {
            m.for_key(&k.to_owned()).insert(k.to_owned(), vec![v]);
        }
        let frozen = m.freeze();
        // After the barrier: a value changed, one removed, one added, one only read.
        let a = "a".to_owned();
        m.for_key(&a).get_mut(&a).unwrap().push(10);
        m.remove(&"b".to_owned());
        m.for_key(&"d".to_owned()).insert("d".to_owned(), vec![4]);
        let c = "c".to_owned();
        assert_eq!(m.for_key(&c).get(&c), Some(&vec![3]));
        // The snapshot sees the state at the barrier; the task sees its own.
        assert_eq!(sorted(&frozen), [("a".into(), vec![1]), ("b".into(), vec![2]), ("c".into(), vec![3])]);
        assert_eq!(m.len(), 3);
        // Still encoding: no thaw. Done: the touched keys merge back.
        assert!(!m.thaw());
        drop(frozen);
        assert!(m.thaw());
        assert_eq!(sorted(&m.live), [("a".into(), vec![1, 10]), ("c".into(), vec![3]), ("d".into(), vec![4])]);
        assert!(m.frozen.is_none());
    }

    #[test]
    fn a_second_freeze_waits_for_the_first_encoder_and_sees_every_change() {
        let mut m: CowMap<String, Vec<u32>> = CowMap::default();
        m.for_key(&"a".to_owned()).insert("a".to_owned(), vec![1]);
        let first = m.freeze();
        m.for_key(&"a".to_owned()).get_mut("a").unwrap().push(2);
        let encoder = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            sorted(&first)
        });
        let second = m.freeze();
        assert_eq!(encoder.join().unwrap(), [("a".into(), vec![1])]);
        assert_eq!(sorted(&second), [("a".into(), vec![1, 2])]);
    }

    #[test]
    fn the_next_snapshot_copies_into_the_maps_of_the_last() {
        let mut m = filled(CowMap::default(), 1000, |_| vec![]);
        let first = m.freeze();
        for k in 0..500 {
            m.for_key(&k).get_mut(&k).unwrap().push(1);
        }
        drop(first);
        // The first access after the encoder is done merges the 500 copies back.
        assert_eq!(m.for_key(&0)[&0], vec![1]);
        assert_eq!(m.live.len(), 1000);
        let frozen = m.freeze();
        assert!(m.live.is_empty() && m.live.capacity() >= 500, "the last snapshot's map, emptied");
        assert_eq!(frozen.len(), 1000);
    }

    #[test]
    fn keys_never_touched_during_a_snapshot_stay_without_a_copy() {
        let mut m = filled(CowMap::default(), 1000, |k| vec![k as u32]);
        let frozen = m.freeze();
        m.for_key(&7).get_mut(&7).unwrap().push(0);
        assert_eq!(m.live.len(), 1, "only the touched key was copied");
        drop(frozen);
        assert_eq!(m.for_key(&8).get(&8), Some(&vec![8]));
        assert_eq!(m.live.len(), 1000);
        assert_eq!(m.live[&7], vec![7, 0]);
    }

    #[test]
    fn reading_every_key_while_frozen_sees_the_task_state_without_copying() {
        let mut m = filled(CowMap::default(), 100, |k| vec![k as u32]);
        let frozen = m.freeze();
        m.for_key(&3).get_mut(&3).unwrap().push(0);
        m.remove(&4);
        m.for_key(&100).insert(100, vec![100]);
        let mut seen = Vec::new();
        m.for_each(|k, v| seen.push((*k, v.clone())));
        seen.sort();
        let mut expected: Vec<(u64, Vec<u32>)> = (0..=100).filter(|k| *k != 4).map(|k| (k, vec![k as u32])).collect();
        expected[3].1.push(0);
        assert_eq!(seen, expected);
        assert_eq!(m.live.len(), 2, "only the keys written were copied: {:?}", m.live.keys().collect::<Vec<_>>());
        assert_eq!(frozen.len(), 100);
        assert_eq!(frozen[&3], vec![3]);
    }

    #[test]
    fn settling_copies_in_every_frozen_key_and_leaves_the_snapshot_to_its_encoder() {
        let mut m = filled(CowMap::cloning(), 10, |_| vec![]);
        let frozen = m.freeze();
        m.for_key(&1).get_mut(&1).unwrap().push(1);
        m.remove(&2);
        let all = m.settle();
        assert_eq!(all.len(), 9, "every key but the one removed");
        assert_eq!(all[&1], vec![1]);
        all.retain(|k, _| *k < 5);
        all.get_mut(&0).unwrap().push(0);
        assert_eq!(frozen.len(), 10, "the snapshot keeps the barrier's state");
        assert!(frozen.values().all(Vec::is_empty));
        assert_eq!(Arc::strong_count(&frozen), 1, "the map has let go of the snapshot");
        assert_eq!(m.len(), 4);
        assert_eq!(m.for_key(&0)[&0], vec![0]);
        assert!(take_stalled_micros() < 1_000_000, "the copy counted as a stall");
    }

    #[test]
    fn clearing_a_frozen_map_leaves_the_snapshot_whole() {
        let mut m = filled(CowMap::default(), 10, |_| vec![]);
        let frozen = m.freeze();
        m.for_key(&1).get_mut(&1).unwrap().push(1);
        m.clear();
        assert_eq!(m.len(), 0);
        assert_eq!(m.for_key(&1).get(&1), None, "no copy from the snapshot after a clear");
        assert_eq!(frozen.len(), 10);
        drop(frozen);
        assert_eq!(m.len(), 0);
    }
}
