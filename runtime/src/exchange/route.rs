//! Partitioners: which consumer subtask a record goes to (Flink's `StreamPartitioner`s).

use crate::state::key_groups::{key_group_of_hash, subtask_for_key_group};

/// Chooses the consumer subtask of each record.
pub trait Route<T>: Clone + Send + 'static {
    /// The Flink name shown in plans.
    const NAME: &'static str;
    /// The writer's subtask is known: routes that depend on it start here.
    fn open(&mut self, _subtask: usize, _upstream_parallelism: usize, _max_parallelism: usize) {}
    /// The consumer subtask of `value`, among `targets`.
    fn target(&mut self, value: &T, targets: usize) -> usize;
}

/// Same subtask index, one to one (chains that could not be fused).
#[derive(Clone, Default)]
pub struct Forward(usize);

impl<T> Route<T> for Forward {
    const NAME: &'static str = "FORWARD";
    fn open(&mut self, subtask: usize, _: usize, _: usize) {
        self.0 = subtask;
    }
    #[inline]
    fn target(&mut self, _: &T, targets: usize) -> usize {
        self.0 % targets
    }
}

/// Round robin over all consumer subtasks, starting at this subtask's index.
#[derive(Clone, Default)]
pub struct Rebalance(usize);

impl<T> Route<T> for Rebalance {
    const NAME: &'static str = "REBALANCE";
    fn open(&mut self, subtask: usize, _: usize, _: usize) {
        self.0 = subtask;
    }
    #[inline]
    fn target(&mut self, _: &T, targets: usize) -> usize {
        self.0 = (self.0 + 1) % targets;
        self.0
    }
}

/// Round robin over the consumer subtasks this subtask is paired with (Flink's pointwise
/// `rescale`): local fan-out or fan-in without an all-to-all exchange.
#[derive(Clone, Default)]
pub struct Rescale {
    subtask: usize,
    upstream: usize,
    next: usize,
}

impl<T> Route<T> for Rescale {
    const NAME: &'static str = "RESCALE";
    fn open(&mut self, subtask: usize, upstream: usize, _: usize) {
        self.subtask = subtask;
        self.upstream = upstream.max(1);
    }
    #[inline]
    fn target(&mut self, _: &T, targets: usize) -> usize {
        if targets <= self.upstream {
            return self.subtask * targets / self.upstream;
        }
        let start = self.subtask * targets / self.upstream;
        let end = (self.subtask + 1) * targets / self.upstream;
        let t = start + self.next % (end - start);
        self.next = self.next.wrapping_add(1);
        t
    }
}

/// Everything to subtask 0.
#[derive(Clone, Default)]
pub struct Global;

impl<T> Route<T> for Global {
    const NAME: &'static str = "GLOBAL";
    #[inline]
    fn target(&mut self, _: &T, _: usize) -> usize {
        0
    }
}

/// By key group of the record's key. The key is not made, only hashed: `hash` hashes what
/// hashes as the key does (the compiler writes it from the key selector:
/// `(&m.host, &m.metric)` for `(m.host.clone(), m.metric.clone())`), so routing a record
/// never allocates a key that the consumer will make again.
#[derive(Clone)]
pub struct Hash<H> {
    hash: H,
    max_parallelism: usize,
}

impl<H> Hash<H> {
    /// Routes by the key hash that `hash` computes.
    pub fn new(hash: H) -> Self {
        Hash { hash, max_parallelism: crate::core::plan::DEFAULT_MAX_PARALLELISM }
    }
}

impl<T, H: FnMut(&T) -> u64 + Clone + Send + 'static> Route<T> for Hash<H> {
    const NAME: &'static str = "HASH";
    fn open(&mut self, _: usize, _: usize, max_parallelism: usize) {
        self.max_parallelism = max_parallelism;
    }
    #[inline]
    fn target(&mut self, value: &T, targets: usize) -> usize {
        if targets == 1 {
            // Every key group belongs to the one consumer: no need to extract and hash the key.
            return 0;
        }
        let group = key_group_of_hash((self.hash)(value), self.max_parallelism);
        subtask_for_key_group(group, self.max_parallelism, targets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebalance_cycles_through_all_targets() {
        let mut r = Rebalance::default();
        Route::<u8>::open(&mut r, 1, 2, 128);
        let got: Vec<usize> = (0..6).map(|_| Route::<u8>::target(&mut r, &0, 3)).collect();
        assert_eq!(got, vec![2, 0, 1, 2, 0, 1]);
    }

    #[test]
    fn rescale_pairs_subtasks_pointwise() {
        // 2 upstream, 4 downstream: subtask 0 feeds 0 and 1, subtask 1 feeds 2 and 3.
        let mut r = Rescale::default();
        Route::<u8>::open(&mut r, 1, 2, 128);
        let got: Vec<usize> = (0..4).map(|_| Route::<u8>::target(&mut r, &0, 4)).collect();
        assert_eq!(got, vec![2, 3, 2, 3]);
        // 4 upstream, 2 downstream: subtask 3 feeds 1 only.
        let mut r = Rescale::default();
        Route::<u8>::open(&mut r, 3, 4, 128);
        assert_eq!(Route::<u8>::target(&mut r, &0, 2), 1);
    }

    #[test]
    fn hash_sends_a_key_always_to_the_same_subtask() {
        let mut h = Hash::new(|v: &(String, i32)| crate::state::key_groups::key_hash(&v.0));
        Route::open(&mut h, 0, 1, 128);
        let a = h.target(&("flink".to_owned(), 1), 4);
        for n in 0..10 {
            assert_eq!(h.target(&("flink".to_owned(), n), 4), a);
        }
    }
}
