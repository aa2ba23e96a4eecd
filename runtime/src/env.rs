//! `Env`: the execution environment a `#[rill::job]` function receives (Flink's
//! `StreamExecutionEnvironment`). The compiler turns the pipeline into calls that register
//! chains here; the user's other statements can read job parameters and set defaults.

use crate::codec::Codec;
use crate::element::Message;
use crate::error::JobError;
use crate::exchange::{InputPort, BATCHES_PER_CHANNEL};
use crate::net::bridge::{Incoming, Outgoing};
use crate::net::links::Links;
use crate::pipe::Tail;
use crate::plan::PlanSpec;
use crate::runtime_context::{Endpoints, InputSender};
use crate::sources::Source;
use crate::task::{run_input, run_source, CatchPanic, PanicSite, TaskInfo};
use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::time::Duration;
use tokio::sync::mpsc::{channel, Receiver};

pub(crate) type TaskFuture = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>>;

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
    let capacity = BATCHES_PER_CHANNEL * channels.max(1);
    let mut senders: Vec<InputSender<T>> = Vec::with_capacity(parallelism);
    let mut receivers = Vec::with_capacity(parallelism);
    let remote_writers = links.remote_writers(chain, input);
    let writes_here = links.writes_to(chain, input);
    for subtask in 0..parallelism {
        let (tx, rx) = channel::<(u32, Message<T>)>(capacity);
        if links.placement.is_local(subtask) {
            for &(from, writers) in &remote_writers {
                let handshake = links.handshake(from, chain, input, subtask);
                let what = format!("from process {from} to subtask {} of chain {chain}", subtask + 1);
                let start = crate::net::bridge::incoming(tx.clone(), writers, what);
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

struct SourceChain<S, K> {
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

struct InputChain<T, K> {
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

struct TwoInputChain<A, B, K> {
    tail: K,
    _t: PhantomData<fn() -> (A, B)>,
}

impl<A: Codec + Send + 'static, B: Codec + Send + 'static, K: crate::two_input::TwoInputTail<A, B>> ChainRunner
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
                crate::task::run_two_inputs(a, b, channels, tail.build(), info).await
            },
            site,
        );
        Box::pin(catch)
    }
}

/// The execution environment of a job.
pub struct Env {
    pub(crate) plan: &'static PlanSpec,
    pub(crate) chains: Vec<(u32, Box<dyn ChainRunner>)>,
    pub(crate) parallelism_overrides: Vec<(u32, usize)>,
    pub(crate) default_parallelism: Option<usize>,
    pub(crate) buffer_timeout: Duration,
    pub(crate) auto_watermark_interval: Duration,
    pub(crate) clock: crate::time::Clock,
    pub(crate) parameters: Vec<String>,
}

impl Env {
    pub(crate) fn new(plan: &'static PlanSpec, parameters: Vec<String>) -> Self {
        Env {
            plan,
            chains: Vec::new(),
            parallelism_overrides: Vec::new(),
            default_parallelism: None,
            buffer_timeout: Duration::from_millis(100),
            auto_watermark_interval: Duration::from_millis(200),
            clock: crate::time::Clock::System,
            parameters,
        }
    }

    /// Sets the job's default parallelism (wins over `-p`, as Flink's
    /// `env.setParallelism` wins over the CLI's).
    pub fn set_parallelism(&mut self, parallelism: usize) -> &mut Self {
        self.default_parallelism = Some(parallelism.max(1));
        self
    }

    /// The longest a record waits in a partly filled output batch while its task is busy
    /// (Flink's `setBufferTimeout`; 100 ms by default). An idle task sends at once.
    pub fn set_buffer_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.buffer_timeout = timeout;
        self
    }

    /// How often periodic watermarks are emitted (Flink's `setAutoWatermarkInterval`;
    /// 200 ms by default).
    pub fn set_auto_watermark_interval(&mut self, interval: Duration) -> &mut Self {
        self.auto_watermark_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// Where processing time comes from: the system clock, or a [`ManualClock`] a test moves
    /// (processing-time windows and timers then fire when it does).
    ///
    /// [`ManualClock`]: crate::time::ManualClock
    pub fn set_clock(&mut self, clock: crate::time::Clock) -> &mut Self {
        self.clock = clock;
        self
    }

    /// A job parameter given after `--` on the command line as `--name value` or
    /// `--name=value` (Flink's `ParameterTool`), e.g. `./job -- --port 9000`. A flag
    /// followed by another flag (or by nothing) has no value: see [`Env::has_parameter`].
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.find_parameter(name).flatten()
    }

    /// Whether `--name` was given, with or without a value (Flink's `ParameterTool.has`):
    /// for switches such as `--bounded`.
    pub fn has_parameter(&self, name: &str) -> bool {
        self.find_parameter(name).is_some()
    }

    /// `None`: absent; `Some(None)`: a flag without a value; `Some(Some(v))`: its value.
    fn find_parameter(&self, name: &str) -> Option<Option<&str>> {
        let flag = format!("--{name}");
        let mut args = self.parameters.iter().peekable();
        while let Some(a) = args.next() {
            if *a == flag {
                let is_flag = |v: &&String| v.starts_with("--");
                return Some(args.next_if(|v| !is_flag(v)).map(String::as_str));
            }
            if let Some(v) = a.strip_prefix(&flag).and_then(|r| r.strip_prefix('=')) {
                return Some(Some(v));
            }
        }
        None
    }

    /// A job parameter parsed as `T`, or `default` when it is absent. A value that does not
    /// parse stops the job with a usage error naming the parameter.
    pub fn parameter_or<T: std::str::FromStr>(&self, name: &str, default: T) -> T {
        match self.parameter(name) {
            None => default,
            Some(v) => v.parse().unwrap_or_else(|_| {
                eprintln!("error: job parameter --{name}: cannot parse '{v}'");
                std::process::exit(2)
            }),
        }
    }

    #[doc(hidden)]
    pub fn __source_chain<S: Source, K: Tail<S::Out>>(&mut self, chain: u32, source: S, tail: K) {
        self.chains.push((chain, Box::new(SourceChain { source, tail })));
    }

    #[doc(hidden)]
    pub fn __input_chain<T: Codec + Send + 'static, K: Tail<T>>(&mut self, port: &InputPort<T>, tail: K) {
        self.chains.push((port.chain, Box::new(InputChain { tail, _t: PhantomData })));
    }

    #[doc(hidden)]
    pub fn __two_input_chain<
        A: Codec + Send + 'static,
        B: Codec + Send + 'static,
        K: crate::two_input::TwoInputTail<A, B>,
    >(
        &mut self,
        first: &InputPort<A>,
        second: &InputPort<B>,
        tail: K,
    ) {
        let _ = second;
        self.chains.push((first.chain, Box::new(TwoInputChain { tail, _t: PhantomData })));
    }

    #[doc(hidden)]
    pub fn __set_chain_parallelism(&mut self, chain: u32, parallelism: usize) {
        self.parallelism_overrides.push((chain, parallelism));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static EMPTY: PlanSpec = PlanSpec { job: "parameters", chains: &[], edges: &[] };

    fn env(args: &[&str]) -> Env {
        Env::new(&EMPTY, args.iter().map(|a| a.to_string()).collect())
    }

    #[test]
    fn parameters_are_read_as_flink_parameter_tool_reads_them() {
        let e = env(&["--bounded", "--rules", "r.json", "--rate=5", "--offset", "-3", "--last"]);
        assert_eq!(e.parameter("rules"), Some("r.json"));
        assert_eq!(e.parameter("rate"), Some("5"));
        assert_eq!(e.parameter_or("offset", 0i64), -3);
        // A switch followed by another flag, or by nothing, has no value but is present.
        assert_eq!(e.parameter("bounded"), None);
        assert!(e.has_parameter("bounded"));
        assert_eq!(e.parameter("last"), None);
        assert!(e.has_parameter("last"));
        assert!(!e.has_parameter("missing"));
        assert_eq!(e.parameter("missing"), None);
    }
}
