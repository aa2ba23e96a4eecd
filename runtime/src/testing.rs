//! Testing a job, as Flink's `executeAndCollect` and its test sinks do: run the job in the
//! test's own process on elements the test gives it, collect what reaches its sink into a
//! `Vec`, and check it. Processing time is the test's to move with a
//! [`ManualClock`](crate::time::ManualClock) (`env.set_clock(..)`); event time follows the
//! timestamps and watermarks of the elements.
//!
//! ```
//! use rill::prelude::*;
//! use rill::testing::{collect, Collected};
//!
//! static COUNTS: Collected<(String, i64)> = Collected::new();
//!
//! #[rill::job(no_main)]
//! fn word_count(env: &mut Env) {
//!     env.from_elements(["to be", "or not to be"])
//!         .flat_map(|line, out| {
//!             for word in line.split_whitespace() {
//!                 out.collect((word.to_owned(), 1i64))
//!             }
//!         })
//!         .key_by(|(word, _)| word)
//!         .sum(1)
//!         .sink_to(collect(&COUNTS));
//! }
//!
//! WORD_COUNT_JOB.run(Some(1), &[]).unwrap();
//! let counts = COUNTS.values();
//! assert_eq!(counts.last(), Some(&("be".to_owned(), 2)));
//! assert_eq!(counts.len(), 6, "a running count per word read");
//! ```
//!
//! A job whose sink is a parameter of the job itself is tested the same way through the
//! job binary: `rill new` makes a crate whose test runs it on a file of lines and checks
//! what it printed.

use std::sync::Mutex;

/// What a [`collect`] sink received, with the subtask that received each record. A
/// `static`, so that the sink (which the job moves into its tasks) can reach it.
pub struct Collected<T>(Mutex<Vec<(usize, T)>>);

impl<T> Default for Collected<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Collected<T> {
    /// Nothing collected yet.
    pub const fn new() -> Self {
        Collected(Mutex::new(Vec::new()))
    }

    /// Takes what was collected, with each record's subtask, in the order the records came
    /// (in order per subtask; subtasks interleave as they ran).
    pub fn take(&self) -> Vec<(usize, T)> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Takes the records collected.
    pub fn values(&self) -> Vec<T> {
        self.take().into_iter().map(|(_, v)| v).collect()
    }

    /// Takes the records collected, sorted: the output of a parallel job, whose subtasks
    /// interleave, compared as a set.
    pub fn sorted(&self) -> Vec<T>
    where
        T: Ord,
    {
        let mut values = self.values();
        values.sort();
        values
    }

    /// How many records have been collected so far (while the job runs, too).
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether nothing has been collected yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A copy of what was collected so far, leaving it in place (for a test that watches
    /// a running job).
    pub fn peek(&self) -> Vec<(usize, T)>
    where
        T: Clone,
    {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn push(&self, subtask: usize, value: T) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push((subtask, value));
    }
}

/// A sink that collects into `into`: `.sink_to(collect(&OUT))`.
pub fn collect<T>(into: &'static Collected<T>) -> CollectSink<T> {
    CollectSink { into, subtask: usize::MAX }
}

/// The sink [`collect`] makes.
pub struct CollectSink<T: 'static> {
    into: &'static Collected<T>,
    subtask: usize,
}

impl<T> Clone for CollectSink<T> {
    fn clone(&self) -> Self {
        CollectSink { into: self.into, subtask: self.subtask }
    }
}

impl<T: Send + 'static> crate::Sink<T> for CollectSink<T> {
    fn open(&mut self, subtask: usize, _: usize) -> Result<(), crate::JobError> {
        self.subtask = subtask;
        Ok(())
    }

    fn write(&mut self, value: T) {
        self.into.push(self.subtask, value);
    }
}
