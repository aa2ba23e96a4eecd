//! Checkpoints of the time-window operators: each key's accumulator in each open window
//! (and a count trigger's counts, a continuous trigger's next firings), the process
//! function's state per key and window and per key, and how far time has fired — so that
//! a restored operator neither loses a window nor fires one again that had fired.
//!
//! Time windows and panes keep their state window-major (all keys of a window together),
//! not on the keyed-operator core; their entries still carry each key's key group, so they
//! restore at another parallelism too.

use super::context::WindowStates;
use crate::api::codec::Codec;
use crate::checkpoint::{KeyedEntries, RestoreContext, StateCodec, StateWriter};
use crate::core::error::JobError;
use crate::core::runtime_context::RuntimeContext;
use crate::state::key_groups::{key_hash, KeyMap};
use crate::state::keyed_core::KeyedCore;
use crate::state::StateSections;
use crate::time::TimeWindow;
use std::hash::Hash;

/// Where a window operator writes at a checkpoint: the writer, its uid, its key groups.
pub(crate) type CheckpointTo = Option<(StateWriter, &'static str, usize)>;

/// How far a window operator's time has come in one subtask: its watermark (event or
/// processing time) and, for panes, the ends of the windows fired and to fire.
#[derive(Debug, Clone, Copy, PartialEq, crate::Codec)]
pub(crate) struct Progress {
    pub watermark: i64,
    pub fired_end: i64,
    pub next_end: i64,
    pub max_end: i64,
}

impl Progress {
    /// Writes it as the subtask's own section.
    pub(crate) fn write(&self, writer: &StateWriter, uid: &str) {
        let mut bytes = Vec::new();
        self.encode(&mut bytes);
        writer.write(&format!("{uid}#progress"), bytes);
    }

    /// The subtask's own progress; at another parallelism, the least of all old subtasks'
    /// (a window one of them had fired fires again rather than one being lost); `None`
    /// if the checkpoint has none.
    pub(crate) fn restore(restore: &RestoreContext<'_>, uid: &str) -> Result<Option<Progress>, JobError> {
        let section = format!("{uid}#progress");
        let decode = |b: &[u8]| crate::codec::decode_all::<Progress>(b).map_err(|e| JobError::restore(uid, e));
        if let Some((_, bytes)) = restore.own_sections(&section).next() {
            return decode(bytes).map(Some);
        }
        let mut least: Option<Progress> = None;
        for (_, bytes) in restore.sections_from_all(&section) {
            let p = decode(bytes)?;
            least = Some(match least {
                None => p,
                Some(l) => Progress {
                    watermark: l.watermark.min(p.watermark),
                    fired_end: l.fired_end.min(p.fired_end),
                    next_end: l.next_end.min(p.next_end),
                    max_end: l.max_end.max(p.max_end),
                },
            });
        }
        Ok(least)
    }
}

/// Writes a value per window and key (a count trigger's counts, a continuous trigger's
/// next firings) as the keyed section `{uid}#{kind}`: a copy of the map (a copy of its
/// memory for plain keys), encoded on another thread.
pub(crate) fn write_per_window_key<K: Hash + Clone + Codec + Send + 'static, V: Clone + Codec + Send + 'static>(
    values: &KeyMap<(TimeWindow, K), V>,
    (writer, uid, key_groups): (&StateWriter, &str, usize),
    kind: &str,
) {
    let values = values.clone();
    writer.write_later(&format!("{uid}#{kind}"), move || {
        let mut entries = KeyedEntries::new(key_groups);
        for ((window, key), value) in &values {
            entries.push(key, |out| {
                key.encode(out);
                window.encode(out);
                value.encode(out);
            });
        }
        entries.finish()
    });
}

/// Reads back what [`write_per_window_key`] wrote, for the keys this subtask owns.
pub(crate) fn restore_per_window_key<K: Hash + Eq + Codec, V: Codec>(
    values: &mut KeyMap<(TimeWindow, K), V>,
    restore: &RestoreContext<'_>,
    uid: &str,
    kind: &str,
) -> Result<(), JobError> {
    let entries =
        restore.keyed(&format!("{uid}#{kind}"), <(K, TimeWindow, V)>::decode).map_err(|e| JobError::restore(uid, e))?;
    values.extend(entries.into_iter().map(|(k, w, v)| ((w, k), v)));
    Ok(())
}

impl<K: Hash + Eq + Clone + Codec + Send + Sync + 'static> WindowStates<K> {
    /// Writes the process function's state per key and window and per key.
    pub(crate) fn snapshot(&mut self, max_parallelism: usize, writer: &StateWriter, uid: &str) {
        let (per_window, global) = self.stores_mut();
        let pair = StateCodec::<(K, TimeWindow)>::of();
        per_window.snapshot(&StateSections {
            key: &pair,
            hash: |(k, _)| key_hash(k),
            max_parallelism,
            writer,
            uid,
            kind: "window-state",
        });
        let key = StateCodec::<K>::of();
        global.snapshot(&StateSections {
            key: &key,
            hash: key_hash::<K>,
            max_parallelism,
            writer,
            uid,
            kind: "global-state",
        });
    }

    /// Takes them back from a checkpoint.
    pub(crate) fn restore(&mut self, restore: &RestoreContext<'_>, uid: &str) -> Result<(), JobError> {
        let (per_window, global) = self.stores_mut();
        per_window.restore(StateCodec::of(), restore, uid, "window-state")?;
        global.restore(StateCodec::of(), restore, uid, "global-state")
    }

    /// At a barrier, writes them beside the keyed state of `core`, the operator's (session
    /// and count windows keep their windows in the core).
    pub(crate) fn snapshot_beside<O>(&mut self, core: &KeyedCore<K, O>) {
        if let Some((writer, uid, key_groups)) = core.checkpoint_to() {
            self.snapshot(key_groups, writer, uid);
        }
    }

    /// Once `core` has opened (and restored its own state), takes them back from the
    /// checkpoint the job restarts from, if any.
    pub(crate) fn restore_beside<O>(
        &mut self,
        core: &KeyedCore<K, O>,
        ctx: &RuntimeContext<'_>,
    ) -> Result<(), JobError> {
        let Some((_, uid, _)) = core.checkpoint_to() else { return Ok(()) };
        match ctx.restore(uid) {
            Some(restore) => self.restore(&restore, uid),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::{OperatorState, Restored};

    #[test]
    fn counts_per_window_and_key_restore_to_the_subtask_that_owns_each_key() {
        let mut counts: KeyMap<(TimeWindow, i64), u64> = KeyMap::default();
        for k in 0..50i64 {
            counts.insert((TimeWindow { start: k * 10, end: k * 10 + 10 }, k), k as u64 + 1);
        }
        let writer = StateWriter::default();
        write_per_window_key(&counts, (&writer, "w", 128), "counts");
        let written = writer.take();
        assert!(written.ready.is_empty(), "encoded on another thread");
        let sections = written.later.into_iter().map(|(uid, encode)| OperatorState { uid, bytes: encode() }).collect();
        let restored = Restored { checkpoint: 1, subtasks: vec![sections] };
        let mut back: KeyMap<(TimeWindow, i64), u64> = KeyMap::default();
        for subtask in 0..3 {
            let ctx = RestoreContext::of(&restored, subtask, 3, 128);
            let before = back.len();
            restore_per_window_key(&mut back, &ctx, "w", "counts").unwrap();
            assert!(back.len() > before, "subtask {subtask} of 3 owns some of the 50 keys");
        }
        assert_eq!(back, counts);
    }
}
