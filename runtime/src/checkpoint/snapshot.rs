//! What a task's operators write at a checkpoint barrier, and what they read back when the
//! job restarts from a checkpoint.
//!
//! Each stateful operator writes one section, named by its uid (the name state is matched
//! by on restore, as Flink's `uid`). Keyed operators write their entries with each key's key
//! group, so that on restore every subtask takes the entries of its own key groups from the
//! sections of all the old subtasks: a checkpoint restores at another parallelism too.
//! Non-keyed state (a source's position) belongs to its subtask.

use crate::api::codec::{Codec, DecodeError, Decoder};
use crate::state::key_groups::{key_group_of_hash, key_group_range, key_hash};
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};

/// One operator's state in one subtask, as it wrote it at a barrier.
#[derive(Debug, Clone, PartialEq, crate::Codec)]
pub struct OperatorState {
    /// The operator's uid.
    pub uid: String,
    /// What it wrote (its own format, see [`KeyedEntries`] for keyed operators).
    pub bytes: Vec<u8>,
}

/// Where the operators of one task write their state at a barrier: shared by the task and
/// the operators of its chain, which take a copy when they open.
#[derive(Clone, Default)]
pub struct StateWriter(Arc<Mutex<Written>>);

/// An encoding of a section that runs after the barrier has passed, off the task's thread.
pub type Later = Box<dyn FnOnce() -> Vec<u8> + Send>;

/// What the operators of a task wrote at a barrier: sections ready, and sections still to
/// be encoded from a copy of the state taken at the barrier.
#[derive(Default)]
pub(crate) struct Written {
    pub(crate) ready: Vec<OperatorState>,
    pub(crate) later: Vec<(String, Later)>,
}

impl StateWriter {
    /// Adds the state of the operator `uid`.
    pub fn write(&self, uid: &str, bytes: Vec<u8>) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).ready.push(OperatorState { uid: uid.to_owned(), bytes });
    }

    /// Adds the state of the operator `uid`, encoded by `encode` after the task has gone on:
    /// the operator hands over a copy of its state at the barrier (the synchronous part of
    /// the snapshot), and the copy is encoded on another thread (the asynchronous part, as
    /// Flink's snapshots have both).
    pub fn write_later(&self, uid: &str, encode: impl FnOnce() -> Vec<u8> + Send + 'static) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).later.push((uid.to_owned(), Box::new(encode)));
    }

    /// What was written since the last call.
    pub(crate) fn take(&self) -> Written {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// The state a chain restores from: the sections every old subtask of the chain wrote,
/// indexed by that subtask.
#[derive(Debug, Default)]
pub struct Restored {
    /// The checkpoint it comes from.
    pub checkpoint: u64,
    /// Per old subtask, its sections.
    pub subtasks: Vec<Vec<OperatorState>>,
}

impl Restored {
    /// The section of operator `uid` that subtask `subtask` wrote (non-keyed state).
    pub fn own(&self, uid: &str, subtask: usize) -> Option<&[u8]> {
        self.subtasks.get(subtask)?.iter().find(|s| s.uid == uid).map(|s| s.bytes.as_slice())
    }

    /// Every old subtask's section of operator `uid` (keyed state: each subtask keeps the
    /// entries of its key groups).
    pub fn all<'a>(&'a self, uid: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.subtasks.iter().flat_map(move |s| s.iter().filter(move |o| o.uid == uid).map(|o| o.bytes.as_slice()))
    }
}

/// What an operator needs to restore itself: the restored chain state and where the
/// subtask stands.
pub struct RestoreContext<'a> {
    pub(crate) restored: &'a Restored,
    pub(crate) subtask: usize,
    pub(crate) parallelism: usize,
    pub(crate) max_parallelism: usize,
}

impl<'a> RestoreContext<'a> {
    /// What subtask `subtask` of `parallelism` (over `max_parallelism` key groups) restores
    /// from `restored`.
    pub(crate) fn of(restored: &'a Restored, subtask: usize, parallelism: usize, max_parallelism: usize) -> Self {
        RestoreContext { restored, subtask, parallelism, max_parallelism }
    }
}

impl RestoreContext<'_> {
    /// This subtask's own section of `uid` (at the same parallelism as the checkpoint).
    pub fn own(&self, uid: &str) -> Option<&[u8]> {
        self.restored.own(uid, self.subtask)
    }

    /// The keyed entries of `uid` whose keys this subtask owns, from every old subtask,
    /// each read by `entry` (which decodes what [`KeyedEntries::push`] wrote).
    pub fn keyed<E>(
        &self,
        uid: &str,
        mut entry: impl FnMut(&mut Decoder<'_>) -> Result<E, DecodeError>,
    ) -> Result<Vec<E>, DecodeError> {
        let range = self.key_groups();
        let mut out = Vec::new();
        for bytes in self.restored.all(uid) {
            out.extend(decode_keyed(bytes, &range, &mut entry)?);
        }
        Ok(out)
    }

    /// The key groups this subtask owns.
    pub fn key_groups(&self) -> RangeInclusive<usize> {
        key_group_range(self.max_parallelism, self.parallelism, self.subtask)
    }

    /// The sections of `uid` of the old subtasks this subtask takes over: subtask `s` of
    /// `p` takes old subtasks `s`, `s + p`, `s + 2p`, ... (each old one goes to one new one).
    pub fn assigned<'a>(&'a self, uid: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        let (me, p) = (self.subtask, self.parallelism.max(1));
        self.restored
            .subtasks
            .iter()
            .enumerate()
            .filter(move |(old, _)| old % p == me)
            .flat_map(move |(_, s)| s.iter().filter(move |o| o.uid == uid).map(|o| o.bytes.as_slice()))
    }

    /// This subtask's own sections whose uid starts with `prefix`, with their uids.
    pub fn own_sections<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        prefixed(self.restored.subtasks.get(self.subtask), prefix)
    }

    /// The first old subtask's sections whose uid starts with `prefix`, with their uids.
    pub fn first_subtask_sections<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        prefixed(self.restored.subtasks.first(), prefix)
    }

    /// Every old subtask's sections whose uid starts with `prefix`, with their uids.
    pub fn sections_from_all<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        prefixed(&self.restored.subtasks, prefix)
    }
}

/// The sections of `subtasks` whose uid starts with `prefix`, with their uids.
fn prefixed<'a>(
    subtasks: impl IntoIterator<Item = &'a Vec<OperatorState>, IntoIter: 'a>,
    prefix: &'a str,
) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
    subtasks
        .into_iter()
        .flatten()
        .filter(move |s| s.uid.starts_with(prefix))
        .map(|s| (s.uid.as_str(), s.bytes.as_slice()))
}

/// Calls `f` with the key group and the bytes of each entry of a keyed section whose key
/// group is in `range`.
pub(crate) fn for_each_keyed(
    bytes: &[u8],
    range: &RangeInclusive<usize>,
    mut f: impl FnMut(u32, &[u8]),
) -> Result<(), DecodeError> {
    let mut d = Decoder::new(bytes);
    let n = u64::decode(&mut d)?;
    for _ in 0..n {
        let group = u32::decode(&mut d)?;
        let len = u32::decode(&mut d)? as usize;
        let entry = d.take(len, "a state entry")?;
        if range.contains(&(group as usize)) {
            f(group, entry);
        }
    }
    if d.remaining() != 0 {
        return Err(DecodeError(format!("{} bytes left over after the keyed entries", d.remaining())));
    }
    Ok(())
}

/// The entries of a keyed section whose key group is in `range`, each read by `entry`.
pub(crate) fn decode_keyed<E>(
    bytes: &[u8],
    range: &RangeInclusive<usize>,
    mut entry: impl FnMut(&mut Decoder<'_>) -> Result<E, DecodeError>,
) -> Result<Vec<E>, DecodeError> {
    let mut out = Vec::new();
    let mut error = None;
    for_each_keyed(bytes, range, |_, raw| {
        if error.is_some() {
            return;
        }
        let mut d = Decoder::new(raw);
        match entry(&mut d) {
            Ok(_) if d.remaining() != 0 => {
                error = Some(DecodeError(format!("{} bytes left over in an entry", d.remaining())));
            }
            Ok(e) => out.push(e),
            Err(e) => error = Some(e),
        }
    })?;
    match error {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// How a type in an operator's state is written to a checkpoint and read back: its
/// [`Codec`], taken where the type is known to have one (the builder method that makes the
/// operator), so that the operator itself needs no `Codec` bound.
pub struct StateCodec<T> {
    /// Writes a value.
    pub encode: fn(&T, &mut Vec<u8>),
    /// Reads one back.
    pub decode: fn(&mut Decoder<'_>) -> Result<T, DecodeError>,
}

impl<T> Clone for StateCodec<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for StateCodec<T> {}

impl<T: Codec> StateCodec<T> {
    /// The codec of `T`.
    pub fn of() -> Self {
        StateCodec { encode: T::encode, decode: T::decode }
    }
}

/// Writes keyed entries as [`RestoreContext::keyed`] reads them: their count, then each
/// entry's key group and what the operator writes for it.
pub struct KeyedEntries {
    bytes: Vec<u8>,
    count: u64,
    max_parallelism: usize,
}

impl KeyedEntries {
    /// Entries of keys spread over `max_parallelism` key groups.
    pub fn new(max_parallelism: usize) -> Self {
        KeyedEntries::with_capacity(max_parallelism, 0)
    }

    /// Entries about `bytes` long in all: written without the copies of a growing buffer
    /// (for a million keys, half the snapshot's pause).
    pub fn with_capacity(max_parallelism: usize, bytes: usize) -> Self {
        let mut buffer = Vec::with_capacity(8 + bytes);
        buffer.extend_from_slice(&0u64.to_le_bytes());
        KeyedEntries { bytes: buffer, count: 0, max_parallelism }
    }

    /// Adds the entry of `key`: `write` writes it (the key first, as the reader expects).
    /// Each entry is framed by its length, so that entries can be passed on unread.
    pub fn push<K: std::hash::Hash>(&mut self, key: &K, write: impl FnOnce(&mut Vec<u8>)) {
        self.push_hashed(key_hash(key), write);
    }

    /// Adds an entry whose key hashes to `hash` ([`key_hash`] of the key that places it: a
    /// window's state goes where its key does, not where the pair of key and window would).
    pub fn push_hashed(&mut self, hash: u64, write: impl FnOnce(&mut Vec<u8>)) {
        (key_group_of_hash(hash, self.max_parallelism) as u32).encode(&mut self.bytes);
        let at = self.bytes.len();
        self.bytes.extend_from_slice(&[0; 4]);
        write(&mut self.bytes);
        let len = u32::try_from(self.bytes.len() - at - 4).expect("a state entry under 4 GiB");
        self.bytes[at..at + 4].copy_from_slice(&len.to_le_bytes());
        self.count += 1;
    }

    /// Adds an entry as [`for_each_keyed`] read it: its key group and its bytes.
    pub(crate) fn push_raw(&mut self, group: u32, entry: &[u8]) {
        group.encode(&mut self.bytes);
        let len = u32::try_from(entry.len()).expect("a state entry under 4 GiB");
        self.bytes.extend_from_slice(&len.to_le_bytes());
        self.bytes.extend_from_slice(entry);
        self.count += 1;
    }

    /// The encoded entries.
    pub fn finish(mut self) -> Vec<u8> {
        self.bytes[..8].copy_from_slice(&self.count.to_le_bytes());
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_entries_go_to_the_subtask_that_owns_their_key_group_at_any_parallelism() {
        let max = 128;
        // Two old subtasks, each with the keys of its key groups.
        let mut old = vec![KeyedEntries::new(max), KeyedEntries::new(max)];
        for k in 0..100i64 {
            let group = crate::state::key_groups::key_group(&k, max);
            let subtask = crate::state::key_groups::subtask_for_key_group(group, max, 2);
            old[subtask].push(&k, |out| (k, k * 10).encode(out));
        }
        let restored = Restored {
            checkpoint: 1,
            subtasks: old.into_iter().map(|e| vec![OperatorState { uid: "sum".into(), bytes: e.finish() }]).collect(),
        };
        for parallelism in [1, 2, 3] {
            let mut all: Vec<(i64, i64)> = Vec::new();
            for subtask in 0..parallelism {
                let ctx = RestoreContext { restored: &restored, subtask, parallelism, max_parallelism: max };
                let mine: Vec<(i64, i64)> = ctx.keyed("sum", <(i64, i64)>::decode).unwrap();
                let range = key_group_range(max, parallelism, subtask);
                assert!(mine.iter().all(|(k, _)| range.contains(&crate::state::key_groups::key_group(k, max))));
                all.extend(mine);
            }
            all.sort();
            assert_eq!(all, (0..100).map(|k| (k, k * 10)).collect::<Vec<_>>(), "p={parallelism}");
        }
    }

    #[test]
    fn a_damaged_section_is_an_error_not_a_panic() {
        let restored = Restored {
            checkpoint: 1,
            subtasks: vec![vec![OperatorState { uid: "sum".into(), bytes: vec![9, 0, 0, 0, 0, 0, 0, 0, 1] }]],
        };
        let ctx = RestoreContext { restored: &restored, subtask: 0, parallelism: 1, max_parallelism: 128 };
        assert!(ctx.keyed("sum", <(i64, i64)>::decode).is_err());
    }
}
