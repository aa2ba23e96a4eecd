//! Two-input chains: `a.connect(b)` followed by a two-input operator (`ops::co_map`,
//! `ops::co_process`, `ops::broadcast_process`, `ops::window_join`, `ops::interval_join`;
//! Flink's `ConnectedStreams`). Such an operator heads its chain; what follows it is fused
//! as usual. This module is the plumbing they share: the two-input collector, the template
//! that each subtask clones and builds, and the builder the generated code starts from.
//!
//! ```
//! use rill::prelude::*;
//! #[rill::job(no_main)]
//! fn both(env: &mut Env) {
//!     let numbers = env.from_sequence(1, 3);
//!     let words = env.from_elements(["a", "b"]);
//!     numbers.connect(words).co_map(|n| n.to_string(), |w| w.to_uppercase()).print();
//! }
//!
//! BOTH_JOB.run(Some(1), &[]).unwrap();
//! ```

use crate::core::collector::{BlockedSend, Collector};
use crate::core::element::{Control, Timestamp};
use crate::core::error::JobError;
use crate::core::pipe::{ChainBuilder, Identity, Tail, TypeMarker};
use crate::core::runtime_context::RuntimeContext;
use std::marker::PhantomData;

/// An operator with two inputs of types `A` and `B`.
pub trait TwoInputCollector<A, B>: Send {
    /// A record of the first input.
    fn collect1(&mut self, value: A, timestamp: Timestamp);
    /// A record of the second input.
    fn collect2(&mut self, value: B, timestamp: Timestamp);
    /// See [`Collector::on_control`].
    fn on_control(&mut self, control: Control);
    /// See [`Collector::open`].
    fn open(&mut self, ctx: &mut RuntimeContext<'_>) -> Result<(), JobError>;
    /// See [`Collector::on_processing_time`].
    fn on_processing_time(&mut self, now: Timestamp);
    /// See [`Collector::flush`].
    fn flush(&mut self);
    /// See [`Collector::take_blocked`].
    fn take_blocked(&mut self, blocked: &mut Vec<BlockedSend>);
    /// See [`Collector::close`].
    fn close(&mut self) -> Result<(), JobError>;
}

/// A two-input chain, before it runs: cloned per subtask, then built.
pub trait TwoInputTail<A, B>: Clone + Send + 'static {
    /// The two-input chain of this subtask.
    fn build(self) -> impl TwoInputCollector<A, B>;
}

/// How a two-input operator is made, once what follows it is known.
pub trait TwoInputStage<A, B>: Clone + Send + 'static {
    /// What the operator emits.
    type Out;
    /// The operator, built in front of `next`.
    fn wrap<C: Collector<Self::Out>>(self, next: C) -> impl TwoInputCollector<A, B>;
}

/// The start of a two-input chain.
pub struct TwoInput<A, B>(PhantomData<fn(A, B)>);

impl<A: Send + 'static, B: Send + 'static> TwoInput<A, B> {
    /// The start of a two-input chain whose inputs carry what the two markers name.
    pub fn of<MA: TypeMarker<Item = A>, MB: TypeMarker<Item = B>>(_first: &MA, _second: &MB) -> Self {
        TwoInput(PhantomData)
    }
}

/// A two-input operator waiting for what follows it.
pub struct Headed<A, B, H>(H, PhantomData<fn(A, B)>);

impl<A, B, H> Headed<A, B, H> {
    pub(crate) fn new(head: H) -> Self {
        Headed(head, PhantomData)
    }

    /// The operator's stage, to set up.
    pub(crate) fn head_mut(&mut self) -> &mut H {
        &mut self.0
    }
}

impl<A: Send + 'static, B: Send + 'static, H: TwoInputStage<A, B>> Headed<A, B, H> {
    /// The rest of the chain, built on the operator's output type.
    pub fn chain<K: Tail<H::Out>>(
        self,
        rest: impl FnOnce(ChainBuilder<H::Out, Identity>) -> K,
    ) -> TwoInputBranch<A, B, H, K> {
        TwoInputBranch { head: self.0, tail: rest(ChainBuilder::new()), _t: PhantomData }
    }
}

/// A whole two-input chain template.
pub struct TwoInputBranch<A, B, H, K> {
    head: H,
    tail: K,
    _t: PhantomData<fn(A, B)>,
}

impl<A, B, H: Clone, K: Clone> Clone for TwoInputBranch<A, B, H, K> {
    fn clone(&self) -> Self {
        TwoInputBranch { head: self.head.clone(), tail: self.tail.clone(), _t: PhantomData }
    }
}

impl<A: Send + 'static, B: Send + 'static, H: TwoInputStage<A, B>, K: Tail<H::Out>> TwoInputTail<A, B>
    for TwoInputBranch<A, B, H, K>
{
    fn build(self) -> impl TwoInputCollector<A, B> {
        self.head.wrap(self.tail.build())
    }
}
