//! Chain runners: how each compiled chain becomes the tasks of its subtasks and the input
//! channels they read (local channels, or bridges to the processes their writers run in).

use crate::api::codec::Codec;
use crate::core::element::Message;
use crate::core::pipe::Tail;
use crate::core::runtime_context::{Endpoints, InputSender};
use crate::core::TaskFuture;
use crate::exchange::BATCHES_PER_CHANNEL;
use crate::executor::catch_panic::{CatchPanic, PanicSite};
use crate::executor::task::{run_input, run_source, TaskInfo};
use crate::net::bridge::{Incoming, Outgoing};
use crate::net::links::Links;
use crate::sources::Source;
use std::any::Any;
use std::marker::PhantomData;
use tokio::sync::mpsc::{channel, Receiver};

/// A chain template, ready to make the tasks of its subtasks.
pub(crate) trait ChainRunner: Send {
    /// Creates each subtask's input channel, registers the senders for the upstream writers
    /// and returns the receivers of the subtasks this process runs (`None` for the others,
    /// whose channels lead to another process through `links`).
    fn create_inputs(
        &self,
        chain: u32,
        parallelism: usize,
        channels: [usize; 2],
        endpoints: &mut Endpoints,
        links: &mut Links,
    ) -> Vec<Option<Box<dyn Any + Send>>>;
    fn task(&self, info: TaskInfo, input: Option<Box<dyn Any + Send>>, channels: [usize; 2]) -> TaskFuture;
}

/// The receiving side of a consumer subtask's input channel.
type InputReceiver<T> = Receiver<(u32, Message<T>)>;

/// The batches a consumer subtask's input queue holds: a few per upstream channel, so each
/// writer can run ahead a little, but at most 256, so that memory does not grow with the
/// square of the parallelism (p writers into each of p consumers).
fn queue_capacity(channels: usize) -> usize {
    BATCHES_PER_CHANNEL * channels.clamp(1, 64)
}

/// Creates the input channels of one input of a chain and registers their senders. A
/// consumer subtask in another process gets a local channel drained by an outgoing bridge
/// (if this process writes to it at all); a local one gets an incoming bridge per other
/// process that writes to it.
fn channels_of<T: Codec + Send + 'static>(
    chain: u32,
    input: u8,
    parallelism: usize,
    channels: usize,
    endpoints: &mut Endpoints,
    links: &mut Links,
) -> Vec<Option<InputReceiver<T>>> {
    let capacity = queue_capacity(channels);
    let mut senders: Vec<InputSender<T>> = Vec::with_capacity(parallelism);
    let mut receivers = Vec::with_capacity(parallelism);
    let remote_writers = links.remote_writers(chain, input);
    let writes_here = links.writes_to(chain, input);
    for subtask in 0..parallelism {
        let (tx, rx) = channel::<(u32, Message<T>)>(capacity);
        if links.placement.is_local(subtask) {
            for &(from, _) in &remote_writers {
                let handshake = links.handshake(from, chain, input, subtask);
                let what = format!("from process {from} to subtask {} of chain {chain}", subtask + 1);
                let channels = links.channels_from(chain, input, from);
                let start = crate::net::bridge::incoming(tx.clone(), channels, what);
                links.incoming.push(Incoming { handshake, start });
            }
            receivers.push(Some(rx));
        } else {
            if writes_here {
                let to_process = links.placement.process_of(subtask);
                let handshake = links.handshake(links.placement.me, chain, input, subtask);
                let what = format!("to process {to_process}, subtask {} of chain {chain}", subtask + 1);
                links.outgoing.push(Outgoing { to_process, handshake, start: crate::net::bridge::outgoing(rx, what) });
            }
            receivers.push(None);
        }
        senders.push(tx);
    }
    endpoints.inputs.insert((chain, input), Box::new(senders));
    receivers
}

pub(crate) struct SourceChain<S, K> {
    source: S,
    tail: K,
}

impl<S: Source, K: Tail<S::Out>> ChainRunner for SourceChain<S, K> {
    fn create_inputs(
        &self,
        _: u32,
        _: usize,
        _: [usize; 2],
        _: &mut Endpoints,
        _: &mut Links,
    ) -> Vec<Option<Box<dyn Any + Send>>> {
        Vec::new()
    }
    fn task(&self, info: TaskInfo, _: Option<Box<dyn Any + Send>>, _: [usize; 2]) -> TaskFuture {
        let source = self.source.clone();
        let tail = self.tail.clone();
        let site = PanicSite::of(&info);
        let catch = CatchPanic::new(async move { run_source(source, tail.build(), info).await }, site);
        Box::pin(catch)
    }
}

pub(crate) struct InputChain<T, K> {
    tail: K,
    _t: PhantomData<fn() -> T>,
}

impl<T: Codec + Send + 'static, K: Tail<T>> ChainRunner for InputChain<T, K> {
    fn create_inputs(
        &self,
        chain: u32,
        parallelism: usize,
        channels: [usize; 2],
        endpoints: &mut Endpoints,
        links: &mut Links,
    ) -> Vec<Option<Box<dyn Any + Send>>> {
        channels_of::<T>(chain, 0, parallelism, channels[0], endpoints, links)
            .into_iter()
            .map(|rx| rx.map(|rx| Box::new(rx) as Box<dyn Any + Send>))
            .collect()
    }
    fn task(&self, info: TaskInfo, input: Option<Box<dyn Any + Send>>, channels: [usize; 2]) -> TaskFuture {
        let tail = self.tail.clone();
        let rx = input
            .and_then(|i| i.downcast::<Receiver<(u32, Message<T>)>>().ok())
            .expect("input channel of the chain's type");
        let site = PanicSite::of(&info);
        let catch = CatchPanic::new(async move { run_input(*rx, channels[0], tail.build(), info).await }, site);
        Box::pin(catch)
    }
}

pub(crate) struct TwoInputChain<A, B, K> {
    tail: K,
    _t: PhantomData<fn() -> (A, B)>,
}

impl<A: Codec + Send + 'static, B: Codec + Send + 'static, K: crate::core::two_input::TwoInputTail<A, B>> ChainRunner
    for TwoInputChain<A, B, K>
{
    fn create_inputs(
        &self,
        chain: u32,
        parallelism: usize,
        channels: [usize; 2],
        endpoints: &mut Endpoints,
        links: &mut Links,
    ) -> Vec<Option<Box<dyn Any + Send>>> {
        let first = channels_of::<A>(chain, 0, parallelism, channels[0], endpoints, links);
        let second = channels_of::<B>(chain, 1, parallelism, channels[1], endpoints, links);
        let pair = |(a, b): (Option<_>, Option<_>)| Some(Box::new((a?, b?)) as Box<dyn Any + Send>);
        first.into_iter().zip(second).map(pair).collect()
    }
    fn task(&self, info: TaskInfo, input: Option<Box<dyn Any + Send>>, channels: [usize; 2]) -> TaskFuture {
        let tail = self.tail.clone();
        type Pair<A, B> = (Receiver<(u32, Message<A>)>, Receiver<(u32, Message<B>)>);
        let rx = input.and_then(|i| i.downcast::<Pair<A, B>>().ok()).expect("input channels of the chain's types");
        let site = PanicSite::of(&info);
        let catch = CatchPanic::new(
            async move {
                let (a, b) = *rx;
                crate::executor::task::run_two_inputs(a, b, channels, tail.build(), info).await
            },
            site,
        );
        Box::pin(catch)
    }
}

impl<S, K> SourceChain<S, K> {
    pub(crate) fn new(source: S, tail: K) -> Self {
        SourceChain { source, tail }
    }
}

impl<T, K> InputChain<T, K> {
    pub(crate) fn new(tail: K) -> Self {
        InputChain { tail, _t: PhantomData }
    }
}

impl<A, B, K> TwoInputChain<A, B, K> {
    pub(crate) fn new(tail: K) -> Self {
        TwoInputChain { tail, _t: PhantomData }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn input_queues_hold_a_few_batches_per_writer_up_to_a_bound() {
        assert_eq!(super::queue_capacity(0), 4);
        assert_eq!(super::queue_capacity(2), 8);
        assert_eq!(super::queue_capacity(64), 256);
        assert_eq!(super::queue_capacity(2_000), 256);
    }
}
