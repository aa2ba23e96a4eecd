//! The keyed state of one operator in one subtask ([`StateStore`]): a map from key to
//! value per declared state, found by the descriptor's name, with the write times of
//! states that expire, and how it goes into a checkpoint and comes back from one.

use crate::api::codec::{Codec, Decoder};
use crate::checkpoint::snapshot::{decode_keyed, for_each_keyed};
use crate::checkpoint::{KeyedEntries, RestoreContext, StateCodec, StateWriter};
use crate::core::error::JobError;
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
    written: Vec<(&'static str, KeyMap<K, i64>)>,
    /// State restored from a checkpoint, per state name, read into its map when the state
    /// is first declared (its value type is known only then).
    restored: Option<Pending<K>>,
    _k: PhantomData<fn(K)>,
}

/// One declared state.
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

fn remove_key<K: Hash + Eq + 'static, T: 'static>(map: &mut (dyn Any + Send), key: &K) {
    if let Some(map) = map.downcast_mut::<KeyMap<K, T>>() {
        map.remove(key);
    }
}

/// Writes every entry of a state's map, whose value type only this function knows.
type SnapshotMap<K> = fn(&(dyn Any + Send), &StateCodec<K>, fn(&K) -> u64, &mut KeyedEntries);

fn snapshot_map<K: Hash + Eq + 'static, T: Codec + 'static>(
    map: &(dyn Any + Send),
    key: &StateCodec<K>,
    hash: fn(&K) -> u64,
    entries: &mut KeyedEntries,
) {
    if let Some(map) = map.downcast_ref::<KeyMap<K, T>>() {
        for (k, v) in map {
            entries.push_hashed(hash(k), |out| {
                (key.encode)(k, out);
                v.encode(out);
            });
        }
    }
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

/// Stamps a key's state with the time it was written (states with a time-to-live).
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

impl<K: Hash + Eq + Clone + Send + 'static> StateStore<K> {
    /// The state `name` of `key`: with a time-to-live, an expired value is dropped first.
    pub(crate) fn access<T: Codec + Send + 'static>(
        &mut self,
        name: &'static str,
        key: &K,
        ttl: Option<Duration>,
        clock: &crate::time::Clock,
    ) -> (&mut KeyMap<K, T>, Touch<'_, K>) {
        let Some(ttl) = ttl else {
            return (self.map(name), Touch { written: None });
        };
        let now = clock.now();
        let i = match self.written.iter().position(|(n, _)| *n == name) {
            Some(i) => i,
            None => {
                self.written.push((name, KeyMap::default()));
                self.written.len() - 1
            }
        };
        let expired = self.written[i].1.get(key).is_some_and(|w| now - w >= crate::time::millis(ttl));
        if expired {
            self.written[i].1.remove(key);
        }
        // Split the borrows: values and write times are different fields.
        let written = &mut self.written[i].1;
        let values = Self::map_in(&mut self.states, &mut self.restored, name);
        if expired {
            values.remove(key);
        }
        (values, Touch { written: Some((written, now)) })
    }

    fn map_in<'s, T: Codec + Send + 'static>(
        states: &'s mut Vec<Slot<K>>,
        restored: &mut Option<Pending<K>>,
        name: &'static str,
    ) -> &'s mut KeyMap<K, T> {
        let i = match states.iter().position(|s| s.name == name) {
            Some(i) => i,
            None => {
                let map = Self::restore_map::<T>(restored, name);
                states.push(Slot {
                    name,
                    map: Box::new(map),
                    remove: remove_key::<K, T>,
                    snapshot: snapshot_map::<K, T>,
                });
                states.len() - 1
            }
        };
        states[i].map.downcast_mut().unwrap_or_else(|| {
            panic!("keyed state '{name}' is declared twice with different types: give each state its own name")
        })
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
    /// key group of `hash` of their key.
    pub(crate) fn snapshot(&self, to: &StateSections<'_, K>) {
        let StateSections { key, hash, max_parallelism, writer, uid, kind } = *to;
        for slot in &self.states {
            let mut entries = KeyedEntries::new(max_parallelism);
            (slot.snapshot)(slot.map.as_ref(), key, hash, &mut entries);
            writer.write(&section(uid, kind, slot.name), entries.finish());
        }
        for (name, written) in &self.written {
            let mut entries = KeyedEntries::new(max_parallelism);
            for (k, at) in written {
                entries.push_hashed(hash(k), |out| {
                    (key.encode)(k, out);
                    at.encode(out);
                });
            }
            writer.write(&section(uid, &format!("{kind}-ttl"), name), entries.finish());
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
                match self.written.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, w)) => w.extend(entries),
                    None => self.written.push((name, entries.into_iter().collect())),
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

    /// The per-key map of the state called `name`, holding values of type `T`.
    pub(crate) fn map<T: Codec + Send + 'static>(&mut self, name: &'static str) -> &mut KeyMap<K, T> {
        Self::map_in(&mut self.states, &mut self.restored, name)
    }
}
