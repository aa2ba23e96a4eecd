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

/// Records per batch: large enough to amortize the channel, small enough for latency.
pub const BATCH_SIZE: usize = 1024;

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
