//! The keyed state of one operator in one subtask ([`StateStore`]): a map from key to
//! value per declared state, found by the descriptor's name, with the write times of
//! states that expire, and how it goes into a checkpoint and comes back from one.

use crate::api::codec::{Codec, Decoder};
use crate::checkpoint::snapshot::{decode_keyed, for_each_keyed};
use crate::checkpoint::{KeyedEntries, RestoreContext, StateCodec, StateWriter};
use crate::core::error::JobError;
use crate::state::cow::CowMap;
use crate::state::key_groups::KeyMap;
use std::any::Any;
use std::hash::Hash;
use std::marker::PhantomData;
use std::time::Duration;

/// The keyed state of one operator in one subtask: one map from key to value per declared
/// state, found by the descriptor's name.
pub struct StateStore<K> {
    states: Vec<Slot<K>>,
    /// For states with a time-to-live: when each key's state was last written.
    written: Vec<(&'static str, CowMap<K, i64>)>,
    /// State restored from a checkpoint, per state name, read into its map when the state
    /// is first declared (its value type is known only then).
    restored: Option<Pending<K>>,
    _k: PhantomData<fn(K)>,
}

/// One declared state: a [`CowMap`] of its value type, behind `dyn Any`.
struct Slot<K> {
    name: &'static str,
    map: Box<dyn Any + Send>,
    remove: RemoveKey<K>,
    snapshot: SnapshotMap<K>,
}

/// State restored from a checkpoint that no function has declared again yet.
struct Pending<K> {
    key: StateCodec<K>,
    /// The key groups this subtask owns.
    range: std::ops::RangeInclusive<usize>,
    /// Per state name: the sections of every old subtask.
    states: Vec<(String, Vec<Vec<u8>>)>,
}

impl<K> Default for StateStore<K> {
    fn default() -> Self {
        StateStore { states: Vec::new(), written: Vec::new(), restored: None, _k: PhantomData }
    }
}

/// Drops one key's value from a state's map, whose value type only this function knows.
type RemoveKey<K> = fn(&mut (dyn Any + Send), &K);

fn remove_key<K: Hash + Eq + Clone + 'static, T: Codec + 'static>(map: &mut (dyn Any + Send), key: &K) {
    if let Some(map) = map.downcast_mut::<CowMap<K, T>>() {
        map.remove(key);
    }
}

/// The encoding of a state's entries, run on another thread.
type Encode = Box<dyn FnOnce() -> Vec<u8> + Send>;

/// Freezes a state's map, whose value type only this function knows, and returns how its
/// entries are encoded (by the key groups of `hash` of their keys, `max_parallelism` of them).
type SnapshotMap<K> = fn(&mut (dyn Any + Send), StateCodec<K>, fn(&K) -> u64, usize) -> Encode;

fn snapshot_map<K: Hash + Eq + Clone + Send + Sync + 'static, T: Codec + Send + Sync + 'static>(
    map: &mut (dyn Any + Send),
    key: StateCodec<K>,
    hash: fn(&K) -> u64,
    max_parallelism: usize,
) -> Encode {
    let frozen = map.downcast_mut::<CowMap<K, T>>().map(CowMap::freeze);
    Box::new(move || encode_map(frozen.as_deref(), key, hash, max_parallelism))
}

/// The entries of a map, each under the key group of its key.
fn encode_map<K, T: Codec>(
    map: Option<&KeyMap<K, T>>,
    key: StateCodec<K>,
    hash: fn(&K) -> u64,
    max_parallelism: usize,
) -> Vec<u8> {
    let mut entries = KeyedEntries::new(max_parallelism);
    for (k, v) in map.into_iter().flatten() {
        entries.push_hashed(hash(k), |out| {
            (key.encode)(k, out);
            v.encode(out);
        });
    }
    entries.finish()
}

/// Where [`StateStore::snapshot`] writes: the keys' codec and the hash that places them in
/// key groups, the operator's key groups, writer and uid, and the kind of its sections.
#[derive(Clone, Copy)]
pub(crate) struct StateSections<'a, K> {
    pub key: &'a StateCodec<K>,
    pub hash: fn(&K) -> u64,
    pub max_parallelism: usize,
    pub writer: &'a StateWriter,
    pub uid: &'a str,
    pub kind: &'a str,
}

/// The section name of state `name` of operator `uid` in a checkpoint.
fn section(uid: &str, kind: &str, name: &str) -> String {
    format!("{uid}#{kind}:{name}")
}

/// Stamps a key's state with the time it was written (states with a time-to-live): the map
/// of write times as it is for the key at hand.
pub struct Touch<'a, K> {
    pub(super) written: Option<(&'a mut KeyMap<K, i64>, i64)>,
}

impl<K: Hash + Eq + Clone> Touch<'_, K> {
    pub(super) fn touch(&mut self, key: &K) {
        if let Some((written, now)) = self.written.as_mut() {
            match written.get_mut(key) {
                Some(at) => *at = *now,
                None => {
                    written.insert(key.clone(), *now);
                }
            }
        }
    }
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static> StateStore<K> {
    /// The state `name` of `key` (the map that holds it, for that key): with a
    /// time-to-live, an expired value is dropped first.
    #[inline]
    pub(crate) fn access<T: Codec + Send + Sync + 'static>(
        &mut self,
        name: &'static str,
        key: &K,
        ttl: Option<Duration>,
        clock: &crate::time::Clock,
    ) -> (&mut KeyMap<K, T>, Touch<'_, K>) {
        match ttl {
            None => (self.map(name).for_key(key), Touch { written: None }),
            Some(ttl) => self.access_expiring(name, key, ttl, clock),
        }
    }

    /// [`Self::access`] to a state with a time-to-live.
    fn access_expiring<T: Codec + Send + Sync + 'static>(
        &mut self,
        name: &'static str,
        key: &K,
        ttl: Duration,
        clock: &crate::time::Clock,
    ) -> (&mut KeyMap<K, T>, Touch<'_, K>) {
        let now = clock.now();
        let i = match self.written.iter().position(|(n, _)| *n == name) {
            Some(i) => i,
            None => {
                self.written.push((name, CowMap::default()));
                self.written.len() - 1
            }
        };
        let written = self.written[i].1.for_key(key);
        let expired = written.get(key).is_some_and(|w| now - w >= crate::time::millis(ttl));
        if expired {
            written.remove(key);
        }
        // Split the borrows: values and write times are different fields.
        let values = Self::map_in(&mut self.states, &mut self.restored, name).for_key(key);
        if expired {
            values.remove(key);
        }
        (values, Touch { written: Some((written, now)) })
    }

    /// The map of state `name`, reached once or twice per record: by the address of the
    /// descriptor's name first (a function reaches a state through one `static`), by its
    /// text only when that fails.
    #[inline]
    fn map_in<'s, T: Codec + Send + Sync + 'static>(
        states: &'s mut Vec<Slot<K>>,
        restored: &mut Option<Pending<K>>,
        name: &'static str,
    ) -> &'s mut CowMap<K, T> {
        let i = match states.iter().position(|s| std::ptr::eq(s.name, name)) {
            Some(i) => i,
            None => Self::slot_named::<T>(states, restored, name),
        };
        states[i].map.downcast_mut().unwrap_or_else(|| {
            panic!("keyed state '{name}' is declared twice with different types: give each state its own name")
        })
    }

    /// The index of state `name` found by its text, or declared now.
    #[cold]
    fn slot_named<T: Codec + Send + Sync + 'static>(
        states: &mut Vec<Slot<K>>,
        restored: &mut Option<Pending<K>>,
        name: &'static str,
    ) -> usize {
        if let Some(i) = states.iter().position(|s| s.name == name) {
            return i;
        }
        let map = Self::restore_map::<T>(restored, name);
        states.push(Slot {
            name,
            map: Box::new(CowMap::from_map(map)),
            remove: remove_key::<K, T>,
            snapshot: snapshot_map::<K, T>,
        });
        states.len() - 1
    }

    /// The entries of state `name` restored from a checkpoint, if any.
    fn restore_map<T: Codec>(restored: &mut Option<Pending<K>>, name: &'static str) -> KeyMap<K, T> {
        let Some(pending) = restored.as_mut() else { return KeyMap::default() };
        let Some(i) = pending.states.iter().position(|(n, _)| n == name) else { return KeyMap::default() };
        let (_, sections) = pending.states.swap_remove(i);
        let key = pending.key;
        let entry = |d: &mut Decoder<'_>| Ok(((key.decode)(d)?, T::decode(d)?));
        let mut map = KeyMap::default();
        for bytes in &sections {
            match decode_keyed(bytes, &pending.range, entry) {
                Ok(entries) => map.extend(entries),
                Err(e) => panic!(
                    "keyed state '{name}' in the checkpoint does not restore ({e}): was its type changed since the checkpoint was taken?"
                ),
            }
        }
        map
    }

    /// Writes every state (and the write times of states with a time-to-live) to `writer`,
    /// one section each (`<uid>#<kind>:<name>`, `<uid>#<kind>-ttl:<name>`), entries by the
    /// key group of `hash` of their key. The maps are frozen as they are and encoded on
    /// another thread; the task goes on at once (see [`CowMap`]).
    pub(crate) fn snapshot(&mut self, to: &StateSections<'_, K>) {
        let StateSections { key, hash, max_parallelism, writer, uid, kind } = *to;
        for slot in &mut self.states {
            let encode = (slot.snapshot)(slot.map.as_mut(), *key, hash, max_parallelism);
            writer.write_later(&section(uid, kind, slot.name), encode);
        }
        for (name, written) in &mut self.written {
            let frozen = written.freeze();
            let key = *key;
            writer.write_later(&section(uid, &format!("{kind}-ttl"), name), move || {
                encode_map(Some(&frozen), key, hash, max_parallelism)
            });
        }
        // States restored but not declared again since: kept for the next checkpoint.
        if let Some(pending) = &self.restored {
            for (name, sections) in &pending.states {
                let mut entries = KeyedEntries::new(max_parallelism);
                for bytes in sections {
                    let _ = for_each_keyed(bytes, &pending.range, |group, raw| entries.push_raw(group, raw));
                }
                writer.write(&section(uid, kind, name), entries.finish());
            }
        }
    }

    /// Takes the states that [`Self::snapshot`] wrote as `kind` for operator `uid` from a
    /// checkpoint: write times at once, values when their state is first declared.
    pub(crate) fn restore(
        &mut self,
        key: StateCodec<K>,
        restore: &RestoreContext<'_>,
        uid: &str,
        kind: &str,
    ) -> Result<(), JobError> {
        let range = restore.key_groups();
        let ttl = format!("{kind}-ttl");
        let mut states: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
        for (section_uid, bytes) in restore.sections_from_all(&format!("{uid}#")) {
            let Some((k, name)) = section_uid[uid.len() + 1..].split_once(':') else { continue };
            if k == kind {
                match states.iter_mut().find(|(n, _)| n == name) {
                    Some((_, v)) => v.push(bytes.to_vec()),
                    None => states.push((name.to_owned(), vec![bytes.to_vec()])),
                }
            } else if k == ttl {
                let entry = |d: &mut Decoder<'_>| Ok(((key.decode)(d)?, i64::decode(d)?));
                let entries = decode_keyed(bytes, &range, entry).map_err(|e| JobError::restore(uid, e))?;
                let name: &'static str = Box::leak(name.to_owned().into_boxed_str());
                match self.written.iter_mut().position(|(n, _)| *n == name) {
                    Some(i) => {
                        for (k, at) in entries {
                            self.written[i].1.for_key(&k).insert(k, at);
                        }
                    }
                    None => self.written.push((name, CowMap::from_map(entries.into_iter().collect()))),
                }
            }
        }
        self.restored = Some(Pending { key, range, states });
        Ok(())
    }

    /// Whether no state was declared here yet.
    pub(crate) fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// Drops every state of `key` (a window's state once the window is gone).
    pub(crate) fn remove(&mut self, key: &K) {
        for slot in &mut self.states {
            (slot.remove)(slot.map.as_mut(), key);
        }
        for (_, written) in &mut self.written {
            written.remove(key);
        }
    }

    /// The map of the state called `name`, holding values of type `T` (reached for one key
    /// at a time: [`CowMap::for_key`]).
    #[inline]
    pub(crate) fn map<T: Codec + Send + Sync + 'static>(&mut self, name: &'static str) -> &mut CowMap<K, T> {
        Self::map_in(&mut self.states, &mut self.restored, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::key_groups::key_hash;
    use crate::time::Clock;

    /// The entries of a state section, sorted.
    fn entries(bytes: &[u8]) -> Vec<(String, Vec<u32>)> {
        let entry = |d: &mut Decoder<'_>| Ok((String::decode(d)?, Vec::<u32>::decode(d)?));
        let mut v = decode_keyed(bytes, &(0..=127), entry).unwrap();
        v.sort();
        v
    }

    #[test]
    fn a_state_is_found_by_its_name_whatever_string_holds_it() {
        let mut store: StateStore<u64> = StateStore::default();
        let first: &'static str = "count";
        let second: &'static str = String::from("count").leak();
        assert!(!std::ptr::eq(first, second));
        store.map::<i64>(first).for_key(&1).insert(1, 7);
        assert_eq!(store.map::<i64>(second).for_key(&1).get(&1), Some(&7));
        assert_eq!(store.states.len(), 1);
    }

    #[test]
    fn a_snapshot_is_the_state_at_the_barrier_encoded_while_the_task_goes_on() {
        let mut store: StateStore<String> = StateStore::default();
        let clock = Clock::System;
        let (a, b) = ("a".to_owned(), "b".to_owned());
        store.access::<Vec<u32>>("list", &a, None, &clock).0.insert(a.clone(), vec![1]);
        store.access::<Vec<u32>>("list", &b, None, &clock).0.insert(b.clone(), vec![2]);
        let writer = StateWriter::default();
        let codec = StateCodec::<String>::of();
        store.snapshot(&StateSections {
            key: &codec,
            hash: key_hash::<String>,
            max_parallelism: 128,
            writer: &writer,
            uid: "op",
            kind: "state",
        });
        // Nothing was encoded at the barrier: the section is left for another thread.
        let written = writer.take();
        assert!(written.ready.is_empty());
        let (section, encode) = written.later.into_iter().next().expect("the state, for later");
        assert_eq!(section, "op#state:list");
        // The task goes on before the encoder runs: its changes are not in the snapshot.
        store.access::<Vec<u32>>("list", &a, None, &clock).0.get_mut(&a).unwrap().push(3);
        store.access::<Vec<u32>>("list", &b, None, &clock).0.remove(&b);
        assert_eq!(entries(&encode()), [("a".to_owned(), vec![1]), ("b".to_owned(), vec![2])]);
        // The encoder is done: the task's state is whole again.
        let (list, _) = store.access::<Vec<u32>>("list", &b, None, &clock);
        assert_eq!(list.get(&b), None);
        assert_eq!(list.get(&a), Some(&vec![1, 3]));
    }
}
