//! Side output tags: the name and record type of a side output (Flink's `OutputTag`).

use std::marker::PhantomData;

/// Names a side output and the type of its records (Flink's `OutputTag`).
///
/// ```
/// use rill::prelude::*;
/// static LATE: OutputTag<(String, i64)> = OutputTag::new("late");
/// assert_eq!(LATE.id(), "late");
/// ```
pub struct OutputTag<T> {
    id: &'static str,
    _t: PhantomData<fn() -> T>,
}

impl<T> OutputTag<T> {
    /// A tag named `id`: the name is what `side_output(&TAG)` matches on.
    pub const fn new(id: &'static str) -> Self {
        OutputTag { id, _t: PhantomData }
    }
    /// The tag's name.
    pub fn id(&self) -> &'static str {
        self.id
    }
}
