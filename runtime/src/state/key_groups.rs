//! Keys, key groups and per-key state maps.
//!
//! As in Flink, a key is hashed to one of `max_parallelism` key groups and key groups are
//! assigned to subtasks in contiguous ranges (`key_group * parallelism / max_parallelism`),
//! so that keyed state can be redistributed when the parallelism changes. The hash is fixed
//! (not randomly seeded): every process of a job must send a key to the same subtask.

use std::hash::{BuildHasherDefault, Hash, Hasher};

/// A fast, deterministic hasher (the Fx hash of rustc), for key groups and state maps.
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    /// Short inputs (most keys) are read with two overlapping loads instead of being
    /// copied into a buffer first, which stalls the load that follows the copy.
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let len = bytes.len();
        let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        let half = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as u64;
        match len {
            0 => self.add(0),
            1..=3 => {
                let v = bytes[0] as u64 | (bytes[len / 2] as u64) << 8 | (bytes[len - 1] as u64) << 16;
                self.add(v | (len as u64) << 56);
            }
            4..=7 => self.add((half(0) | half(len - 4) << 32) ^ (len as u64) << 56),
            8..=16 => {
                self.add(word(0));
                self.add(word(len - 8) ^ (len as u64) << 56);
            }
            _ => {
                let mut at = 0;
                while at + 8 < len {
                    self.add(word(at));
                    at += 8;
                }
                self.add(word(len - 8) ^ (len as u64) << 56);
            }
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64)
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64)
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i)
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64)
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A hash map keyed by stream keys.
pub type KeyMap<K, V> = hashbrown::HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// A set of stream keys (timers due at one time, keys touched since a snapshot).
pub type KeySet<K> = std::collections::HashSet<K, BuildHasherDefault<FxHasher>>;

/// Murmur3's finalizer: spreads the Fx hash over all bits before the modulo.
#[inline]
fn fmix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The key group of a key (Flink's `KeyGroupRangeAssignment.assignToKeyGroup`).
#[inline]
pub fn key_group<K: Hash + ?Sized>(key: &K, max_parallelism: usize) -> usize {
    key_group_of_hash(key_hash(key), max_parallelism)
}

/// The key group of a key's [`key_hash`] (what [`key_group`] computes, for a hash exchange
/// that hashes a view of the key instead of the key: `(&a, &b)` for `(a.clone(),
/// b.clone())`, which hashes alike).
#[inline]
pub fn key_group_of_hash(hash: u64, max_parallelism: usize) -> usize {
    (fmix(hash) % max_parallelism as u64) as usize
}

/// The hash of a key (or of what hashes as it), before it is spread over key groups.
#[inline]
pub fn key_hash<K: Hash + ?Sized>(key: &K) -> u64 {
    let mut h = FxHasher::default();
    key.hash(&mut h);
    h.finish()
}

/// The subtask that owns a key group (Flink's `computeOperatorIndexForKeyGroup`).
#[inline]
pub fn subtask_for_key_group(key_group: usize, max_parallelism: usize, parallelism: usize) -> usize {
    key_group * parallelism / max_parallelism
}

/// The key groups a subtask owns: a contiguous range (Flink's `computeKeyGroupRangeForOperatorIndex`).
pub fn key_group_range(max_parallelism: usize, parallelism: usize, subtask: usize) -> std::ops::RangeInclusive<usize> {
    let start = (subtask * max_parallelism).div_ceil(parallelism);
    let end = ((subtask + 1) * max_parallelism).div_ceil(parallelism) - 1;
    start..=end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_groups_are_deterministic_and_in_range() {
        for k in 0..1000u64 {
            let g = key_group(&k, 128);
            assert!(g < 128);
            assert_eq!(g, key_group(&k, 128));
        }
        assert_eq!(key_group("hello", 128), key_group(&String::from("hello"), 128));
    }

    #[test]
    fn strings_of_every_length_hash_apart() {
        let words: Vec<String> = (0..40).map(|n| "abcdefghijklmnopqrstuvwxyz0123456789ABCD"[..n].to_owned()).collect();
        let hashes: std::collections::HashSet<u64> = words
            .iter()
            .map(|w| {
                let mut h = FxHasher::default();
                w.hash(&mut h);
                h.finish()
            })
            .collect();
        assert_eq!(hashes.len(), words.len());
        assert_ne!(key_group("w1eef", 128), key_group("w1eeg", 128) + 1000);
    }

    #[test]
    fn key_groups_spread_over_all_groups() {
        let mut seen = [0usize; 128];
        for k in 0..12_800u64 {
            seen[key_group(&k, 128)] += 1;
        }
        assert!(seen.iter().all(|&n| n > 50 && n < 150), "{seen:?}");
    }

    #[test]
    fn ranges_match_the_operator_index_of_each_group() {
        for p in 1..=7 {
            for s in 0..p {
                for g in key_group_range(128, p, s) {
                    assert_eq!(subtask_for_key_group(g, 128, p), s, "p={p} s={s} g={g}");
                }
            }
            let total: usize = (0..p).map(|s| key_group_range(128, p, s).count()).sum();
            assert_eq!(total, 128);
        }
    }
}
