//! `from_sequence(start, end)`: the numbers `start..=end`, split across the parallel
//! subtasks in contiguous ranges (Flink's `fromSequence`).
//!
//! ```
//! use rill::prelude::*;
//! #[rill::job(no_main)]
//! fn count(env: &mut Env) {
//!     env.from_sequence(1, 5).map(|n| n * 10).print();
//! }
//!
//! COUNT_JOB.run(Some(1), &[]).unwrap();
//! ```

use super::{Positions, Source, SourceContext, SourceStatus};
use crate::core::collector::Collector;
use crate::core::element::NO_TIMESTAMP;
use crate::core::error::JobError;
use crate::exchange::BATCH_SIZE;
use std::future::{ready, Future};

/// `from_sequence`: numbers from `start` to `end`, split over the subtasks.
#[derive(Clone)]
pub struct Sequence {
    start: i64,
    end: i64,
    next: i128,
    stop: i128,
    /// Ranges still to emit after `next..stop` (a restore at another parallelism can hand a
    /// subtask the rest of several old subtasks' ranges), in order.
    more: Vec<(i128, i128)>,
    /// How many numbers this subtask emits in all (its split's size): the progress's total.
    total: u64,
}

impl Sequence {
    /// All numbers from `start` to `end`, both included.
    pub fn new(start: i64, end: i64) -> Self {
        Sequence { start, end, next: 0, stop: 0, more: Vec::new(), total: 0 }
    }

    /// The part of the range that a subtask emits.
    pub fn split(start: i64, end: i64, subtask: usize, parallelism: usize) -> (i128, i128) {
        let n = (end as i128 - start as i128 + 1).max(0);
        let p = parallelism as i128;
        let s = subtask as i128;
        (start as i128 + s * n / p, start as i128 + (s + 1) * n / p)
    }
}

impl Source for Sequence {
    type Out = i64;

    fn open(&mut self, ctx: &SourceContext) -> Result<(), JobError> {
        (self.next, self.stop) = Sequence::split(self.start, self.end, ctx.subtask, ctx.parallelism);
        self.total = u64::try_from(self.stop - self.next).unwrap_or(u64::MAX);
        Ok(())
    }

    fn progress(&self) -> Option<(u64, u64)> {
        let left: i128 = (self.stop - self.next).max(0) + self.more.iter().map(|(a, b)| b - a).sum::<i128>();
        // After a restore at another parallelism the ranges left can exceed the split.
        let total = self.total.max(u64::try_from(left).unwrap_or(u64::MAX));
        Some((total - u64::try_from(left).unwrap_or(u64::MAX).min(total), total))
    }

    fn may_wait(&self) -> bool {
        false
    }

    fn snapshot_position(&self) -> Option<Vec<u8>> {
        // What is left to emit: ranges of two 16-byte bounds.
        let mut bytes = Vec::with_capacity(32 * (1 + self.more.len()));
        for (from, to) in std::iter::once((self.next, self.stop)).chain(self.more.iter().copied()) {
            bytes.extend_from_slice(&from.to_le_bytes());
            bytes.extend_from_slice(&to.to_le_bytes());
        }
        Some(bytes)
    }

    fn restore_positions(&mut self, positions: &Positions<'_>) -> Result<(), JobError> {
        let mut ranges = Vec::new();
        for position in positions.assigned() {
            if position.len() % 32 != 0 {
                return Err(JobError::Config(format!(
                    "the position of from_sequence in the checkpoint is {} bytes, not ranges of 32",
                    position.len()
                )));
            }
            for range in position.chunks_exact(32) {
                let bound = |b: &[u8]| i128::from_le_bytes(b.try_into().expect("16 bytes"));
                let (from, to) = (bound(&range[..16]), bound(&range[16..]));
                if from < to {
                    ranges.push((from, to));
                }
            }
        }
        ranges.sort_unstable();
        (self.next, self.stop) = ranges.first().copied().unwrap_or((0, 0));
        self.more = ranges.into_iter().skip(1).collect();
        Ok(())
    }

    fn poll<C: Collector<i64>>(&mut self, out: &mut C) -> impl Future<Output = Result<SourceStatus, JobError>> + Send {
        let until = (self.next + BATCH_SIZE as i128).min(self.stop);
        for v in self.next as i64..until as i64 {
            out.collect(v, NO_TIMESTAMP);
        }
        self.next = until;
        if self.next >= self.stop && !self.more.is_empty() {
            (self.next, self.stop) = self.more.remove(0);
        }
        ready(Ok(if self.next >= self.stop { SourceStatus::Done } else { SourceStatus::More }))
    }
}

#[cfg(test)]
mod tests {
    use super::Sequence;

    #[test]
    fn splits_cover_the_range_once() {
        for p in 1..6 {
            let mut all = Vec::new();
            for s in 0..p {
                let (a, b) = Sequence::split(-3, 10, s, p);
                all.extend(a..b);
            }
            assert_eq!(all, (-3..=10).map(i128::from).collect::<Vec<_>>(), "p={p}");
        }
        assert_eq!(Sequence::split(5, 4, 0, 1), (5, 5));
    }
}
