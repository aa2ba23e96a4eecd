//! The sending side of one exchange edge in one upstream subtask: per-target batch buffers
//! and the sends that wait for room.

use crate::collector::BlockedSend;
use crate::element::{Control, Message, Record, Timestamp};
use crate::error::JobError;
use crate::runtime_context::{InputSender, RuntimeContext};
use tokio::sync::mpsc::error::TrySendError;

pub(crate) struct Channels<T> {
    senders: Vec<InputSender<T>>,
    channel: u32,
    buffers: Vec<Vec<Record<T>>>,
    blocked: Vec<BlockedSend>,
}

impl<T: Send + 'static> Channels<T> {
    /// The channels of `edge` from this subtask to every consumer subtask.
    pub(crate) fn connect(edge: u32, ctx: &RuntimeContext<'_>) -> Result<Self, JobError> {
        let (senders, channel) = ctx.exchange::<T>(edge)?;
        let buffers = (0..senders.len()).map(|_| Vec::with_capacity(super::BATCH_SIZE)).collect();
        Ok(Channels { senders, channel, buffers, blocked: Vec::new() })
    }

    pub(crate) fn targets(&self) -> usize {
        self.senders.len()
    }

    #[inline]
    pub(crate) fn push(&mut self, target: usize, value: T, timestamp: Timestamp) {
        let buffer = &mut self.buffers[target];
        buffer.push(Record { value, timestamp });
        if buffer.len() >= super::BATCH_SIZE {
            let batch = std::mem::replace(buffer, Vec::with_capacity(super::BATCH_SIZE));
            self.send(target, Message::Records(batch));
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
