//! Stream elements: what flows between operators and across exchanges.
//!
//! Records travel in batches; control elements (watermarks, checkpoint barriers, end of
//! input) travel between batches, in order, so that an operator sees a watermark only after
//! every record that preceded it on that channel.

/// Event time in milliseconds since the epoch, as in Flink.
pub type Timestamp = i64;

/// The timestamp of a record that has none (no timestamp assigner ran upstream).
pub const NO_TIMESTAMP: Timestamp = i64::MIN;

/// The watermark that ends event time: emitted when a bounded input ends, so that every
/// pending event-time timer and window fires (Flink's `Watermark.MAX_WATERMARK`).
pub const MAX_WATERMARK: Timestamp = i64::MAX;

/// One record and its event timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<T> {
    /// The record itself.
    pub value: T,
    /// Its event timestamp ([`NO_TIMESTAMP`] if it has none).
    pub timestamp: Timestamp,
}

/// A control element, interleaved in order with the records of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Event time has reached this point on the channel: no record with a smaller or equal
    /// timestamp follows (records that do are late).
    Watermark(Timestamp),
    /// Aligned checkpoint barrier with the checkpoint id.
    Barrier(u64),
    /// The channel has ended: a bounded input is exhausted.
    EndOfInput,
    /// The channel will send nothing for a while (an idle source): its watermark must not
    /// hold event time back (Flink's `WatermarkStatus.IDLE`).
    Idle,
    /// The channel sends records again (`WatermarkStatus.ACTIVE`).
    Active,
}

/// What one exchange channel carries: a batch of records or one control element.
#[derive(Debug)]
pub enum Message<T> {
    /// A batch of records, in order.
    Records(Vec<Record<T>>),
    /// A control element, in its place between the records.
    Control(Control),
}
