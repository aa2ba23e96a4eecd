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

use super::{Source, SourceStatus};
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
}

impl<I: IntoIterator + Clone> Clone for FromIter<I> {
    fn clone(&self) -> Self {
        FromIter { id: self.id, items: self.items.clone(), iter: None }
    }
}

impl<I: IntoIterator> FromIter<I> {
    /// The source of operator `id` over `items`.
    pub fn new(id: u32, items: I) -> Self {
        FromIter { id, items: Some(items), iter: None }
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

    fn poll<C: Collector<I::Item>>(
        &mut self,
        out: &mut C,
    ) -> impl Future<Output = Result<SourceStatus, JobError>> + Send {
        crate::core::panic_scope::enter(self.id);
        if self.iter.is_none() {
            self.iter = self.items.take().map(IntoIterator::into_iter);
        }
        let iter = self.iter.as_mut().expect("iterator");
        let mut status = SourceStatus::More;
        for _ in 0..BATCH_SIZE {
            match iter.next() {
                Some(v) => out.collect(v, NO_TIMESTAMP),
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
