//! The sending side of one exchange edge in one upstream subtask: per-target batch buffers
//! and the sends that wait for room.

use crate::core::collector::BlockedSend;
use crate::core::element::{Control, Message, Record, Timestamp};
use crate::core::error::JobError;
use crate::core::runtime_context::{InputSender, RuntimeContext};
use tokio::sync::mpsc::error::TrySendError;

pub(crate) struct Channels<T> {
    senders: Vec<InputSender<T>>,
    channel: u32,
    buffers: Vec<Vec<Record<T>>>,
    blocked: Vec<BlockedSend>,
}

impl<T> Default for Channels<T> {
    /// Not connected yet: no consumers (the writer connects when its task opens).
    fn default() -> Self {
        Channels { senders: Vec::new(), channel: 0, buffers: Vec::new(), blocked: Vec::new() }
    }
}

impl<T: Send + 'static> Channels<T> {
    /// The channels of `edge` from this subtask to every consumer subtask.
    pub(crate) fn connect(edge: u32, ctx: &RuntimeContext<'_>) -> Result<Self, JobError> {
        let (senders, channel) = ctx.exchange::<T>(edge)?;
        // A batch is allocated on the first record for its consumer: at a parallelism of p,
        // p writers times p consumers of full batches up front would grow as p².
        let buffers = (0..senders.len()).map(|_| Vec::new()).collect();
        Ok(Channels { senders, channel, buffers, blocked: Vec::new() })
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
        match self.buffers.get_mut(target) {
            Some(buffer) if buffer.len() < buffer.capacity() => {
                buffer.push(Record { value, timestamp });
                if buffer.len() >= super::BATCH_SIZE {
                    self.send_full(target);
                }
            }
            _ => self.push_slow(target, Record { value, timestamp }),
        }
    }

    #[cold]
    #[inline(never)]
    fn send_full(&mut self, target: usize) {
        let batch = std::mem::replace(&mut self.buffers[target], Vec::with_capacity(super::BATCH_SIZE));
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
        buffer.reserve_exact(super::BATCH_SIZE.saturating_sub(buffer.len()).max(1));
        buffer.push(record);
        if buffer.len() >= super::BATCH_SIZE {
            self.send_full(target);
        }
    }

    fn send(&mut self, target: usize, message: Message<T>) {
        let message = if self.blocked.is_empty() {
            match self.senders[target].try_send((self.channel, message)) {
                Ok(()) => return,
                Err(TrySendError::Full((_, m))) => m,
                Err(TrySendError::Closed(_)) => {
                    self.blocked.push(Box::pin(async { Err(JobError::ChannelClosed) }));
                    return;
                }
            }
        } else {
            message
        };
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
    }

    /// Flushes, then sends the control element to every consumer subtask (control goes
    /// everywhere, so that each consumer hears from all of its input channels).
    pub(crate) fn broadcast_control(&mut self, control: Control) {
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
        let consumers = 1_000;
        let (senders, _receivers): (Vec<InputSender<u64>>, Vec<_>) =
            (0..consumers).map(|_| tokio::sync::mpsc::channel(4)).unzip();
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
        };
        let mut channels = Channels::<u64>::connect(0, &ctx).unwrap();
        let reserved = |c: &Channels<u64>| c.buffers.iter().map(Vec::capacity).sum::<usize>();
        assert_eq!(reserved(&channels), 0);
        channels.push(7, 42, 0);
        assert_eq!(reserved(&channels), crate::exchange::BATCH_SIZE);
        assert_eq!(channels.buffers[7].len(), 1);
    }
}
