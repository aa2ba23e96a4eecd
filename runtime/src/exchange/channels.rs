//! The sending side of one exchange edge in one upstream subtask: per-target batch buffers
//! and the sends that wait for room.

use super::debloat::Debloat;
use crate::core::collector::BlockedSend;
use crate::core::element::{Control, EncodedBatch, Message, Record, Timestamp};
use crate::core::error::JobError;
use crate::core::runtime_context::{InputSender, RuntimeContext};
use crate::Codec;
use tokio::sync::mpsc::error::TrySendError;

pub(crate) struct Channels<T> {
    senders: Vec<InputSender<T>>,
    channel: u32,
    buffers: Vec<Vec<Record<T>>>,
    /// How records that own heap memory ([`Codec::OWNS_HEAP`]) are encoded; `None` for
    /// the others, which move.
    encoding: Option<Encoding<T>>,
    /// Their batches per target, encoded here so that the sending thread frees what it
    /// allocated.
    encoded: Vec<EncodedBatch<T>>,
    blocked: Vec<BlockedSend>,
    /// Batch sizes that follow the consumers' rate under backpressure.
    debloat: Debloat,
    /// The writing task's metrics: each batch sent counts its records out.
    metrics: Option<std::sync::Arc<crate::api::task_metrics::TaskMetrics>>,
}

/// How an exchange encodes records that own heap memory: functions of the record type's
/// [`Codec`], taken where the type is known to have one (the builder that ends the chain
/// in an exchange), so that the writers need no `Codec` bound of their own (a missing one
/// is reported once, at the operator whose records cross).
pub(crate) struct Encoding<T> {
    batch: fn(usize) -> EncodedBatch<T>,
    push: fn(&mut EncodedBatch<T>, &T, Timestamp),
}

impl<T> Clone for Encoding<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Encoding<T> {}

impl<T> Encoding<T> {
    /// The encoding of `T` if its records own heap memory.
    pub(crate) fn of() -> Option<Self>
    where
        T: Codec,
    {
        T::OWNS_HEAP.then_some(Encoding { batch: EncodedBatch::with_capacity, push: |b, v, ts| b.push(v, ts) })
    }
}

/// An encoded batch is sent when it holds [`BATCH_SIZE`](super::BATCH_SIZE) records or this
/// many bytes, whichever comes first: large records do not make large batches.
const ENCODED_BATCH_BYTES: usize = 256 * 1024;

impl<T> Channels<T> {
    /// Not connected yet: no consumers (the writer connects when its task opens).
    pub(crate) fn new(encoding: Option<Encoding<T>>) -> Self {
        Channels {
            senders: Vec::new(),
            channel: 0,
            buffers: Vec::new(),
            encoding,
            encoded: Vec::new(),
            blocked: Vec::new(),
            debloat: Debloat::default(),
            metrics: None,
        }
    }

    /// The encoding these channels use, for a copy of the writer.
    pub(crate) fn encoding(&self) -> Option<Encoding<T>> {
        self.encoding
    }
}

impl<T: Send + 'static> Channels<T> {
    /// Connects to the channels of `edge` from this subtask to every consumer subtask.
    pub(crate) fn connect(&mut self, edge: u32, ctx: &RuntimeContext<'_>) -> Result<(), JobError> {
        let (senders, channel) = ctx.exchange::<T>(edge)?;
        // A batch is allocated on the first record for its consumer: at a parallelism of p,
        // p writers times p consumers of full batches up front would grow as p².
        self.buffers = (0..senders.len()).map(|_| Vec::new()).collect();
        self.encoded = match self.encoding {
            Some(e) => (0..senders.len()).map(|_| (e.batch)(0)).collect(),
            None => Vec::new(),
        };
        self.debloat.max = super::batch_ceiling::<T>(senders.len());
        self.senders = senders;
        self.channel = channel;
        self.metrics = ctx.metrics.cloned();
        Ok(())
    }

    pub(crate) fn targets(&self) -> usize {
        self.senders.len()
    }

    /// Appends a record to the target's batch and sends the batch once full.
    ///
    /// Nothing on the common path can panic while the record is held: a panic would need
    /// the record in memory to drop it while unwinding, and the record, assembled in
    /// registers and stored in 8-byte pieces, would then be copied into the batch in
    /// 16-byte pieces whose loads stall until those stores drain (measured on `wordcount`:
    /// half of the source task's time). So the push sits in a branch that knows the batch
    /// has room (no growth path), and everything else is in a cold call that takes the
    /// record along.
    #[inline]
    pub(crate) fn push(&mut self, target: usize, value: T, timestamp: Timestamp) {
        if self.encoding.is_some() {
            self.encode_owned(target, value, timestamp);
            return;
        }
        match self.buffers.get_mut(target) {
            Some(buffer) if buffer.len() < buffer.capacity() => {
                buffer.push(Record { value, timestamp });
                if buffer.len() >= self.debloat.limit {
                    self.send_full(target);
                }
            }
            _ => self.push_slow(target, Record { value, timestamp }),
        }
    }

    /// Appends a record to the target's encoded batch (records that own heap memory).
    #[inline]
    pub(crate) fn push_encoded(&mut self, target: usize, value: &T, timestamp: Timestamp) {
        let consumers = self.encoded.len();
        let (Some(encoding), Some(batch)) = (self.encoding, self.encoded.get_mut(target)) else {
            panic!("a record for consumer {target} of an exchange with {consumers} consumers (was the writer opened?)");
        };
        (encoding.push)(batch, value, timestamp);
        if batch.count >= self.debloat.limit || batch.bytes.len() >= ENCODED_BATCH_BYTES {
            self.send_encoded(target);
        }
    }

    /// [`push_encoded`](Self::push_encoded) of a record the caller gives up: out of line,
    /// so that the path of records that move stays as small as it was.
    #[inline(never)]
    fn encode_owned(&mut self, target: usize, value: T, timestamp: Timestamp) {
        self.push_encoded(target, &value, timestamp);
    }

    #[cold]
    #[inline(never)]
    fn send_encoded(&mut self, target: usize) {
        let room = self.encoded[target].bytes.len().min(ENCODED_BATCH_BYTES);
        let fresh = self.encoding.map_or_else(|| unreachable!("encoded batches have an encoding"), |e| (e.batch)(room));
        let batch = std::mem::replace(&mut self.encoded[target], fresh);
        self.send(target, Message::Encoded(batch));
    }

    #[cold]
    #[inline(never)]
    fn send_full(&mut self, target: usize) {
        let batch = std::mem::replace(&mut self.buffers[target], Vec::with_capacity(self.debloat.limit));
        self.send(target, Message::Records(batch));
    }

    /// The batch has no room (a flush left it without capacity), or there is no such
    /// consumer (the writer was not opened).
    #[cold]
    #[inline(never)]
    fn push_slow(&mut self, target: usize, record: Record<T>) {
        let consumers = self.buffers.len();
        let Some(buffer) = self.buffers.get_mut(target) else {
            panic!("a record for consumer {target} of an exchange with {consumers} consumers (was the writer opened?)");
        };
        buffer.reserve_exact(self.debloat.limit.saturating_sub(buffer.len()).max(1));
        buffer.push(record);
        if buffer.len() >= self.debloat.limit {
            self.send_full(target);
        }
    }

    fn send(&mut self, target: usize, message: Message<T>) {
        let records = match &message {
            Message::Records(batch) => batch.len(),
            Message::Encoded(batch) => batch.count,
            Message::Control(_) => 0,
        };
        if let Some(metrics) = &self.metrics {
            metrics.records_out(records);
        }
        let consumers = self.senders.len();
        let message = if self.blocked.is_empty() {
            match self.senders[target].try_send((self.channel, message)) {
                Ok(()) => {
                    self.debloat.sent(records, false, consumers);
                    return;
                }
                Err(TrySendError::Full((_, m))) => m,
                Err(TrySendError::Closed(_)) => {
                    self.blocked.push(Box::pin(async { Err(JobError::ChannelClosed) }));
                    return;
                }
            }
        } else {
            message
        };
        self.debloat.sent(records, true, consumers);
        // Park the send; later ones queue behind it so that the channel's order holds.
        let sender = self.senders[target].clone();
        let channel = self.channel;
        self.blocked
            .push(Box::pin(async move { sender.send((channel, message)).await.map_err(|_| JobError::ChannelClosed) }));
    }

    pub(crate) fn flush(&mut self) {
        for target in 0..self.buffers.len() {
            if !self.buffers[target].is_empty() {
                let batch = std::mem::take(&mut self.buffers[target]);
                self.send(target, Message::Records(batch));
            }
        }
        if let Some(encoding) = self.encoding {
            for target in 0..self.encoded.len() {
                if self.encoded[target].count > 0 {
                    let batch = std::mem::replace(&mut self.encoded[target], (encoding.batch)(0));
                    self.send(target, Message::Encoded(batch));
                }
            }
        }
    }

    /// Flushes, then sends the control element to every consumer subtask (control goes
    /// everywhere, so that each consumer hears from all of its input channels).
    pub(crate) fn broadcast_control(&mut self, control: Control) {
        if let Control::CheckpointComplete(_) | Control::FinalSnapshot = control {
            // Every task hears of a completed checkpoint itself.
            return;
        }
        self.flush();
        for target in 0..self.senders.len() {
            self.send(target, Message::Control(control));
        }
    }

    pub(crate) fn take_blocked(&mut self, blocked: &mut Vec<BlockedSend>) {
        blocked.append(&mut self.blocked);
    }

    pub(crate) fn close(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::plan::{ChainSpec, Edge, Operator, Partitioner, PlanSpec};
    use crate::core::runtime_context::Endpoints;

    static PLAN: PlanSpec = PlanSpec {
        job: "t",
        chains: &[
            ChainSpec {
                id: 0,
                parallelism: None,
                max_parallelism: None,
                operators: &[Operator::new(0, "map", "Map", "a")],
            },
            ChainSpec {
                id: 1,
                parallelism: None,
                max_parallelism: None,
                operators: &[Operator::new(1, "map", "Map", "b")],
            },
        ],
        edges: &[Edge { id: 0, source: 0, target: 1, partitioner: Partitioner::Hash, input: 0 }],
    };

    #[test]
    fn a_batch_is_allocated_on_its_first_record_not_for_every_consumer_up_front() {
        let mut channels = Channels::<u64>::new(None);
        let _receivers = connect(&mut channels, 1_000);
        let reserved = |c: &Channels<u64>| c.buffers.iter().map(Vec::capacity).sum::<usize>();
        assert_eq!(reserved(&channels), 0);
        channels.push(7, 42, 0);
        // As much as the batch size it starts at (it grows while sends do not wait).
        assert_eq!(reserved(&channels), 64);
        assert_eq!(channels.buffers[7].len(), 1);
    }

    /// Connects `channels` (edge 0) to `consumers` consumer subtasks; their receivers.
    fn connect<T: Send + 'static>(
        channels: &mut Channels<T>,
        consumers: usize,
    ) -> Vec<tokio::sync::mpsc::Receiver<(u32, Message<T>)>> {
        let (senders, receivers): (Vec<InputSender<T>>, Vec<_>) =
            (0..consumers).map(|_| tokio::sync::mpsc::channel(64)).unzip();
        let mut endpoints = Endpoints::default();
        endpoints.inputs.insert((1, 0), Box::new(senders));
        endpoints.channel_offsets.insert(0, 0);
        let ctx = RuntimeContext {
            subtask: 0,
            parallelism: 1,
            max_parallelism: 128,
            plan: &PLAN,
            clock: crate::time::Clock::System,
            endpoints: &endpoints,
            checkpoints: None,
            metrics: None,
        };
        channels.connect(0, &ctx).unwrap();
        receivers
    }

    /// Channels of edge 0 to one consumer, and the consumer's receiver.
    fn one_consumer<T: Send + 'static>(channels: &mut Channels<T>) -> tokio::sync::mpsc::Receiver<(u32, Message<T>)> {
        connect(channels, 1).pop().expect("one consumer")
    }

    #[test]
    fn records_that_own_heap_memory_cross_encoded_and_others_move() {
        let mut strings = Channels::<(String, i64)>::new(Encoding::of());
        let mut rx = one_consumer(&mut strings);
        let n = crate::exchange::BATCH_SIZE + 10;
        for i in 0..n {
            strings.push(0, (format!("w{i}"), i as i64), i as i64 * 10);
        }
        strings.flush();
        let mut got = Vec::new();
        while let Ok((_, message)) = rx.try_recv() {
            let Message::Encoded(batch) = message else { panic!("a batch of strings that moved: {message:?}") };
            batch.for_each(|v, ts| got.push((v, ts)));
        }
        let want: Vec<_> = (0..n).map(|i| ((format!("w{i}"), i as i64), i as i64 * 10)).collect();
        assert_eq!(got, want, "every record, in order, with its timestamp");

        let mut numbers = Channels::<u64>::new(Encoding::of());
        let mut rx = one_consumer(&mut numbers);
        numbers.push(0, 7, 1);
        numbers.flush();
        assert!(matches!(rx.try_recv(), Ok((_, Message::Records(b))) if b[0].value == 7));
    }

    #[test]
    fn large_records_make_small_encoded_batches() {
        let mut strings = Channels::<String>::new(Encoding::of());
        let mut rx = one_consumer(&mut strings);
        let big = "x".repeat(100 * 1024);
        for _ in 0..5 {
            strings.push(0, big.clone(), 0);
        }
        let Ok((_, Message::Encoded(first))) = rx.try_recv() else { panic!("no batch sent before the flush") };
        assert_eq!(first.count, 3, "sent once past {ENCODED_BATCH_BYTES} bytes");
    }
}
