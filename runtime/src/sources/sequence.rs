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

use super::{Source, SourceContext, SourceStatus};
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
}

impl Sequence {
    /// All numbers from `start` to `end`, both included.
    pub fn new(start: i64, end: i64) -> Self {
        Sequence { start, end, next: 0, stop: 0 }
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
        Ok(())
    }

    fn may_wait(&self) -> bool {
        false
    }

    fn snapshot_position(&self) -> Option<Vec<u8>> {
        Some(self.next.to_le_bytes().to_vec())
    }

    fn restore_position(&mut self, position: &[u8]) -> Result<(), JobError> {
        let next = position.try_into().map(i128::from_le_bytes).map_err(|_| {
            JobError::Config(format!(
                "the position of from_sequence in the checkpoint is {} bytes, not 16",
                position.len()
            ))
        })?;
        self.next = next.clamp(self.next, self.stop);
        Ok(())
    }

    fn poll<C: Collector<i64>>(&mut self, out: &mut C) -> impl Future<Output = Result<SourceStatus, JobError>> + Send {
        let until = (self.next + BATCH_SIZE as i128).min(self.stop);
        for v in self.next as i64..until as i64 {
            out.collect(v, NO_TIMESTAMP);
        }
        self.next = until;
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
