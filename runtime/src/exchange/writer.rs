//! The end of a chain that feeds an exchange.

use super::channels::{Channels, Encoding};
use super::route::{Hash, Route};
use super::InputPort;
use crate::core::collector::{BlockedSend, Collector};
use crate::core::element::{Control, Timestamp};
use crate::core::error::JobError;
use crate::core::pipe::{Branch, ChainBuilder, Pipe, Tail};
use crate::core::runtime_context::RuntimeContext;

/// The lifecycle both writers share: control goes to every consumer subtask, buffers flush,
/// parked sends are handed to the task.
macro_rules! channel_lifecycle {
    () => {
        fn on_control(&mut self, control: Control) {
            self.channels.broadcast_control(control);
        }
        fn on_processing_time(&mut self, _: Timestamp) {}
        fn flush(&mut self) {
            self.channels.flush();
        }
        fn take_blocked(&mut self, blocked: &mut Vec<BlockedSend>) {
            self.channels.take_blocked(blocked);
        }
        fn close(&mut self) -> Result<(), JobError> {
            self.channels.close();
            Ok(())
        }
    };
}

/// Sends each record to the consumer subtask its [`Route`] picks.
pub struct ExchangeWriter<T, R> {
    edge: u32,
    route: R,
    channels: Channels<T>,
}

impl<T, R: Clone> Clone for ExchangeWriter<T, R> {
    fn clone(&self) -> Self {
        ExchangeWriter { edge: self.edge, route: self.route.clone(), channels: Channels::new(self.channels.encoding()) }
    }
}

impl<T: Send + 'static, R: Route<T>> Tail<T> for ExchangeWriter<T, R> {
    fn build(self) -> impl Collector<T> {
        self
    }
}

impl<T: Send + 'static, R: Route<T>> ExchangeWriter<T, R> {
    #[inline]
    fn collect_routed(&mut self, value: T, timestamp: Timestamp) {
        let target = self.route.target(&value, self.channels.targets());
        self.channels.push(target, value, timestamp);
    }
}

impl<T: Send + 'static, R: Route<T>> Collector<T> for ExchangeWriter<T, R> {
    #[inline]
    fn collect(&mut self, value: T, timestamp: Timestamp) {
        if self.channels.targets() <= 1 {
            // Every route picks the only consumer (an unopened writer has none, and its
            // push fails loudly). This path must not share the record with the routed one,
            // whose key selector is user code that may panic: see `Channels::push`.
            self.channels.push(0, value, timestamp);
        } else {
            self.collect_routed(value, timestamp);
        }
    }
    #[inline]
    fn collect_ref(&mut self, value: &T, timestamp: Timestamp)
    where
        T: Clone,
    {
        if self.channels.encoding().is_none() {
            return self.collect(value.clone(), timestamp);
        }
        // Encoded from the reference: the record is not copied.
        let targets = self.channels.targets();
        let target = if targets <= 1 { 0 } else { self.route.target(value, targets) };
        self.channels.push_encoded(target, value, timestamp);
    }
    fn open(&mut self, ctx: &mut RuntimeContext<'_>) -> Result<(), JobError> {
        self.channels.connect(self.edge, ctx)?;
        let key_groups = ctx.key_groups_of_edge(self.edge, self.channels.targets());
        self.route.open(ctx.subtask, ctx.parallelism, key_groups);
        Ok(())
    }
    channel_lifecycle!();
}

/// Sends every record to every consumer subtask (Flink's `broadcast()` partitioning).
pub struct BroadcastWriter<T> {
    edge: u32,
    channels: Channels<T>,
}

impl<T> Clone for BroadcastWriter<T> {
    fn clone(&self) -> Self {
        BroadcastWriter { edge: self.edge, channels: Channels::new(self.channels.encoding()) }
    }
}

impl<T: Clone + Send + 'static> Tail<T> for BroadcastWriter<T> {
    fn build(self) -> impl Collector<T> {
        self
    }
}

impl<T: Clone + Send + 'static> Collector<T> for BroadcastWriter<T> {
    #[inline]
    fn collect(&mut self, value: T, timestamp: Timestamp) {
        let n = self.channels.targets();
        if self.channels.encoding().is_some() {
            // Encoded for each consumer from the one record: no copies of it.
            for t in 0..n {
                self.channels.push_encoded(t, &value, timestamp);
            }
            return;
        }
        for t in 0..n.saturating_sub(1) {
            self.channels.push(t, value.clone(), timestamp);
        }
        self.channels.push(n.saturating_sub(1), value, timestamp);
    }
    fn open(&mut self, ctx: &mut RuntimeContext<'_>) -> Result<(), JobError> {
        self.channels.connect(self.edge, ctx)?;
        Ok(())
    }
    channel_lifecycle!();
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In: 'static, P: Pipe<In>> ChainBuilder<In, P>
where
    P::Out: Send + 'static,
{
    /// Ends the chain in an exchange to `port` along `edge`, partitioned by `route`.
    pub fn to_exchange<R: Route<P::Out>>(
        self,
        port: &InputPort<P::Out>,
        edge: u32,
        route: R,
    ) -> Branch<In, P, ExchangeWriter<P::Out, R>>
    where
        P::Out: crate::Codec,
    {
        let _ = port;
        self.end(ExchangeWriter { edge, route, channels: Channels::new(Encoding::of()) })
    }

    /// Ends the chain in a hash exchange by the key hash that `hash` computes (`key_by`;
    /// see [`Hash`]).
    pub fn to_keyed_exchange<H>(
        self,
        port: &InputPort<P::Out>,
        edge: u32,
        hash: H,
    ) -> Branch<In, P, ExchangeWriter<P::Out, Hash<H>>>
    where
        H: FnMut(&P::Out) -> u64 + Clone + Send + 'static,
        P::Out: crate::Codec,
    {
        self.to_exchange(port, edge, Hash::new(hash))
    }

    /// Ends the chain in a broadcast exchange.
    pub fn to_broadcast(self, port: &InputPort<P::Out>, edge: u32) -> Branch<In, P, BroadcastWriter<P::Out>>
    where
        P::Out: Clone + crate::Codec,
    {
        let _ = port;
        self.end(BroadcastWriter { edge, channels: Channels::new(Encoding::of()) })
    }
}
