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

impl Control {
    /// Whether operators write their state at this element: a barrier, or the end of a
    /// task that has finished.
    #[inline]
    pub fn takes_snapshot(&self) -> bool {
        matches!(self, Control::Barrier(_) | Control::FinalSnapshot)
    }
}

/// A control element, interleaved in order with the records of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Event time has reached this point on the channel: no record with a smaller or equal
    /// timestamp follows (records that do are late).
    Watermark(Timestamp),
    /// Aligned checkpoint barrier with the checkpoint id.
    Barrier(u64),
    /// The checkpoint with this id completed (Flink's `notifyCheckpointComplete`): sinks
    /// commit what they held for it. Each task hears it from the coordinator and passes it
    /// down its own chain only; exchanges do not carry it.
    CheckpointComplete(u64),
    /// The task's input has ended: its operators write their final state, as at a barrier,
    /// which stands for the task in every checkpoint after (Flink's checkpoints after tasks
    /// finish). Passed down the task's own chain only.
    FinalSnapshot,
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
    /// A batch of records encoded by the sending thread (records that own heap memory,
    /// see [`Codec::OWNS_HEAP`](crate::Codec::OWNS_HEAP)), in order.
    Encoded(EncodedBatch<T>),
    /// A control element, in its place between the records.
    Control(Control),
}

/// Records encoded as an exchange frame's body encodes them (`(timestamp:i64 value)*`),
/// with the function that decodes a value: the receiving task needs no `Codec` bound.
pub struct EncodedBatch<T> {
    /// The records' bytes.
    pub(crate) bytes: Vec<u8>,
    /// How many records they hold.
    pub(crate) count: usize,
    decode: fn(&mut crate::codec::Decoder<'_>) -> Result<T, crate::codec::DecodeError>,
}

impl<T> std::fmt::Debug for EncodedBatch<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EncodedBatch({} records, {} bytes)", self.count, self.bytes.len())
    }
}

impl<T: crate::Codec> EncodedBatch<T> {
    /// An empty batch with room for `bytes` bytes.
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        EncodedBatch { bytes: Vec::with_capacity(bytes), count: 0, decode: T::decode }
    }

    /// Appends a record.
    #[inline]
    pub(crate) fn push(&mut self, value: &T, timestamp: Timestamp) {
        self.bytes.extend_from_slice(&timestamp.to_le_bytes());
        value.encode(&mut self.bytes);
        self.count += 1;
    }
}

impl<T> EncodedBatch<T> {
    /// Decodes each record in order and hands it to `f`. The bytes were encoded by this
    /// process from values of this type: a failure is a bug in a `Codec`, and says so.
    #[inline]
    pub(crate) fn for_each(self, mut f: impl FnMut(T, Timestamp)) {
        let mut d = crate::codec::Decoder::new(&self.bytes);
        for _ in 0..self.count {
            let record = <i64 as crate::Codec>::decode(&mut d).and_then(|ts| Ok(((self.decode)(&mut d)?, ts)));
            match record {
                Ok((value, timestamp)) => f(value, timestamp),
                Err(e) => panic!(
                    "a record encoded in this process does not decode ({e}): its Codec's encode and decode disagree"
                ),
            }
        }
    }
}
