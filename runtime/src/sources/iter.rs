//! `from_elements` and `from_iter`: the records of a collection, in order, in one subtask
//! (non-parallel, as Flink's `fromData`).
//!
//! ```
//! use rill::prelude::*;
//! #[rill::job(no_main)]
//! fn squares(env: &mut Env) {
//!     env.from_iter((1..=3).map(|n| n * n)).print();
//! }
//!
//! SQUARES_JOB.run(Some(1), &[]).unwrap();
//! ```

use super::{Positions, Source, SourceStatus};
use crate::core::collector::Collector;
use crate::core::element::NO_TIMESTAMP;
use crate::core::error::JobError;
use crate::exchange::BATCH_SIZE;
use std::future::{ready, Future};

/// `from_elements` and `from_iter`: the items of an iterable, non-parallel.
pub struct FromIter<I: IntoIterator> {
    id: u32,
    items: Option<I>,
    iter: Option<I::IntoIter>,
    /// How many items it has emitted: its position for a checkpoint.
    emitted: u64,
    /// How many items it emits in all, where the iterator knows (an exact size hint).
    total: Option<u64>,
}

impl<I: IntoIterator + Clone> Clone for FromIter<I> {
    fn clone(&self) -> Self {
        FromIter { id: self.id, items: self.items.clone(), iter: None, emitted: 0, total: None }
    }
}

impl<I: IntoIterator> FromIter<I> {
    /// The source of operator `id` over `items`.
    pub fn new(id: u32, items: I) -> Self {
        FromIter { id, items: Some(items), iter: None, emitted: 0, total: None }
    }
}

impl<I> Source for FromIter<I>
where
    I: IntoIterator + Clone + Send + 'static,
    I::IntoIter: Send,
    I::Item: Send + 'static,
{
    type Out = I::Item;

    fn may_wait(&self) -> bool {
        false
    }

    fn snapshot_position(&self) -> Option<Vec<u8>> {
        Some(self.emitted.to_le_bytes().to_vec())
    }

    fn progress(&self) -> Option<(u64, u64)> {
        self.total.map(|total| (self.emitted.min(total), total))
    }

    fn restore_positions(&mut self, positions: &Positions<'_>) -> Result<(), JobError> {
        // Non-parallel: one position; none for a subtask with nothing left.
        let emitted = match positions.assigned() {
            [] => u64::MAX,
            [position] => (*position).try_into().map(u64::from_le_bytes).map_err(|_| {
                JobError::Config(format!(
                    "the position of a collection source in the checkpoint is {} bytes, not 8",
                    position.len()
                ))
            })?,
            _ => {
                return Err(JobError::Config(
                    "a collection source has one position; the checkpoint holds several".into(),
                ))
            }
        };
        let mut iter = self.items.take().map(IntoIterator::into_iter).expect("restored before the first poll");
        if emitted == u64::MAX {
            // Another subtask has the position: nothing is left here.
            self.emitted = emitted;
            return Ok(());
        }
        if let (lower, Some(upper)) = iter.size_hint() {
            self.total = (lower == upper).then_some(lower as u64);
        }
        if emitted > 0 {
            iter.nth(usize::try_from(emitted - 1).unwrap_or(usize::MAX));
        }
        self.iter = Some(iter);
        self.emitted = emitted;
        Ok(())
    }

    fn poll<C: Collector<I::Item>>(
        &mut self,
        out: &mut C,
    ) -> impl Future<Output = Result<SourceStatus, JobError>> + Send {
        crate::core::panic_scope::enter(self.id);
        if self.iter.is_none() {
            self.iter = self.items.take().map(IntoIterator::into_iter);
            if let Some((low, Some(high))) = self.iter.as_ref().map(Iterator::size_hint) {
                self.total = (low == high).then_some(low as u64);
            }
        }
        let Some(iter) = self.iter.as_mut() else {
            // Restored with nothing left to emit.
            return ready(Ok(SourceStatus::Done));
        };
        let mut status = SourceStatus::More;
        for _ in 0..BATCH_SIZE {
            match iter.next() {
                Some(v) => {
                    self.emitted += 1;
                    out.collect(v, NO_TIMESTAMP)
                }
                None => {
                    status = SourceStatus::Done;
                    break;
                }
            }
            crate::core::panic_scope::enter(self.id);
        }
        ready(Ok(status))
    }
}
