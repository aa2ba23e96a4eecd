//! Exchanges: how records cross from one chain's subtasks to the next chain's.
//!
//! Each consumer subtask has one bounded input channel; every upstream subtask of every input
//! edge writes into it with its own channel index, so the consumer can track watermarks and
//! end of input per channel. Records travel in batches, sent when full or when the writer is
//! flushed (idle input, buffer timeout, control element). A full channel parks the send and
//! the writing task stops taking input until it completes: backpressure.

mod channels;
mod debloat;
mod gate;
mod route;
mod writer;

pub use gate::InputGate;
pub use route::{Forward, Global, Hash, Rebalance, Rescale, Route};
pub use writer::{BroadcastWriter, ExchangeWriter};

use std::marker::PhantomData;

/// Records per batch at least, once a writer's batches have grown (and records a source
/// emits per poll): large enough to amortize the channel.
pub const BATCH_SIZE: usize = 1024;

/// Records per batch at most. A send wakes the consumer's thread, and at a hundred million
/// records a second, batches of 1 024 spent half of a keyed-sum's time in those wake-ups:
/// batches of 16 384 took keyed-sum at p=1 from 100M to 250M records/s and the word count
/// from 13M to 19M lines/s. Latency does not grow with them: a writer sends what it holds
/// whenever its input runs dry, so only a writer that is never idle fills them.
pub const MAX_BATCH: usize = 16 * 1024;

/// The bytes one writer's batches may hold in all (one per consumer): with many consumers
/// each batch is smaller, down to [`BATCH_SIZE`], so that memory does not grow with p².
const WRITER_BYTES: usize = 4 << 20;

/// The most records a writer to `consumers` consumers puts in a batch of `T`.
pub(crate) fn batch_ceiling<T>(consumers: usize) -> usize {
    let record = std::mem::size_of::<crate::core::element::Record<T>>().max(1);
    (WRITER_BYTES / consumers.max(1) / record).clamp(BATCH_SIZE, MAX_BATCH)
}

/// Batches a consumer subtask's input channel holds per input channel before senders wait.
pub const BATCHES_PER_CHANNEL: usize = 4;

/// The input of a consumer chain. Upstream chains write to it; its type is the type of what
/// they write, unified by rustc (a union of streams of different types fails here).
pub struct InputPort<T> {
    /// The consumer chain.
    pub chain: u32,
    /// 0, or 1 for the second input of a two-input operator.
    pub input: u8,
    _t: PhantomData<fn() -> T>,
}

impl<T> InputPort<T> {
    /// The (first) input of chain `chain`.
    pub fn new(chain: u32) -> Self {
        InputPort { chain, input: 0, _t: PhantomData }
    }

    /// The second input of a two-input chain (`connect`).
    pub fn second(chain: u32) -> Self {
        InputPort { chain, input: 1, _t: PhantomData }
    }
}

impl<T> crate::core::pipe::TypeMarker for InputPort<T> {
    type Item = T;
}

#[cfg(test)]
mod batch_tests {
    use super::*;

    #[test]
    fn batches_are_largest_for_few_consumers_and_bounded_in_all_for_many() {
        // Few consumers: the largest batches (records of 16 bytes and their timestamp).
        assert_eq!(batch_ceiling::<(i64, i64)>(1), MAX_BATCH);
        assert_eq!(batch_ceiling::<(i64, i64)>(2), MAX_BATCH);
        // Many: smaller, so that one writer's batches stay within its bytes in all...
        let per = batch_ceiling::<(i64, i64)>(32);
        assert!(
            per < MAX_BATCH
                && per * 32 * std::mem::size_of::<crate::core::element::Record<(i64, i64)>>() <= WRITER_BYTES
        );
        // ...but never below the batch that amortizes a send.
        assert_eq!(batch_ceiling::<(i64, i64)>(1_000), BATCH_SIZE);
        assert_eq!(batch_ceiling::<[u8; 4096]>(1), BATCH_SIZE);
    }
}
