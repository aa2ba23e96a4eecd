//! Sources: where records enter a job, one per file.

mod iter;
mod sequence;
pub mod side;
mod socket;
pub mod split;
mod text_file;

pub use iter::FromIter;
pub use sequence::Sequence;
pub use socket::SocketTextStream;
pub use split::{FromSource, SplitOutput, SplitSource};
pub use text_file::TextFile;

use crate::core::collector::Collector;
use crate::core::error::JobError;
use crate::core::pipe::{ChainBuilder, Identity};
use std::future::Future;

/// Where a source subtask stands in the job.
#[derive(Debug, Clone)]
pub struct SourceContext {
    /// This subtask's index, from 0.
    pub subtask: usize,
    /// How many subtasks the source runs as.
    pub parallelism: usize,
    /// How often periodic watermarks are emitted (`Env::set_auto_watermark_interval`).
    pub auto_watermark_interval: std::time::Duration,
    /// Processing time.
    pub clock: crate::time::Clock,
}

/// The positions a source restores from: every old subtask's, and those this subtask takes
/// over (old subtasks `s`, `s + p`, `s + 2p`, ... for subtask `s` of `p`), so that each
/// old position goes to one new subtask at any parallelism. A source whose splits follow
/// their own rule (Kafka partitions, by owner) takes the ones it owns from [`Positions::all`].
pub struct Positions<'a> {
    pub(crate) all: Vec<&'a [u8]>,
    pub(crate) assigned: Vec<&'a [u8]>,
}

impl<'a> Positions<'a> {
    /// The positions of the old subtasks this subtask takes over (none: nothing left here).
    pub fn assigned(&self) -> &[&'a [u8]] {
        &self.assigned
    }

    /// Every old subtask's position.
    pub fn all(&self) -> &[&'a [u8]] {
        &self.all
    }
}

/// Whether a source has more to give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceStatus {
    /// Records may follow.
    More,
    /// The input is over (a bounded source).
    Done,
}

/// A source of records. One copy of the template runs in each subtask; it reads its share of
/// the input (a split of a sequence, its Kafka partitions) and emits into the chain.
pub trait Source: Clone + Send + 'static {
    /// The records it emits.
    type Out: Send + 'static;

    /// Called once per subtask before the first poll.
    fn open(&mut self, _ctx: &SourceContext) -> Result<(), JobError> {
        Ok(())
    }

    /// Whether `poll` may wait for input (a socket, Kafka). A source that never waits is
    /// polled without a timer beside it; processing time still advances between polls.
    fn may_wait(&self) -> bool {
        true
    }

    /// Where the source stands, written at each checkpoint between two polls: what it needs
    /// to resume after the records it has emitted. `None` (the default): the source cannot
    /// replay (a socket), and after a restore it reads on from wherever its input is.
    fn snapshot_position(&self) -> Option<Vec<u8>> {
        None
    }

    /// Resumes from the positions [`Source::snapshot_position`] wrote (called after `open`
    /// when the checkpoint restored from holds positions of this source).
    fn restore_positions(&mut self, _positions: &Positions<'_>) -> Result<(), JobError> {
        Ok(())
    }

    /// How much of a bounded input this subtask has read: `(read, total)` in the source's
    /// own unit (records of a sequence or collection, bytes of a file, offsets of a bounded
    /// Kafka topic); `None` where the size is not known (a socket, unbounded Kafka). Read
    /// after each poll for the job's progress (`rill run`, the Web UI).
    fn progress(&self) -> Option<(u64, u64)> {
        None
    }

    /// Emits what is available, up to about one batch ([`BATCH_SIZE`](crate::exchange::BATCH_SIZE)
    /// records), waiting if nothing is; a source that waits flushes `out` first, so that
    /// records already emitted are not held back.
    fn poll<C: Collector<Self::Out>>(
        &mut self,
        out: &mut C,
    ) -> impl Future<Output = Result<SourceStatus, JobError>> + Send;
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In> ChainBuilder<In, Identity> {
    /// A builder for the records that `source` emits.
    pub fn of_source<S: Source<Out = In>>(_source: &S) -> Self {
        Self::new()
    }
}
