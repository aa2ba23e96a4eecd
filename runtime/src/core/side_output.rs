//! Side outputs of process functions: `ctx.output(&TAG, value)` sends a record to the
//! stream that `side_output(&TAG)` reads downstream. Each tag read downstream is a branch
//! built into the operator; tags nobody reads go nowhere, as in Flink.

use crate::api::OutputTag;
use crate::core::collector::{BlockedSend, Collector};
use crate::core::element::{Control, Timestamp};
use crate::core::error::JobError;
use crate::core::pipe::{ChainBuilder, Identity, Pipe, Tail, Then};
use crate::core::runtime_context::RuntimeContext;
use crate::core::two_input::Headed;
use std::any::Any;

/// A side output branch whose record type is erased, so that one operator can hold several.
pub trait SideBranch: Send {
    /// The tag it reads.
    fn tag(&self) -> &'static str;
    /// Itself, to be downcast to its record type.
    fn as_any(&mut self) -> &mut dyn Any;
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

/// The branch of the records of type `V` tagged `tag`.
pub struct Branch<V> {
    tag: &'static str,
    pub(crate) collector: Box<dyn Collector<V>>,
}

impl<V: 'static> SideBranch for Branch<V> {
    fn tag(&self) -> &'static str {
        self.tag
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
    crate::forward_lifecycle!(collector);
}

/// How each subtask gets its own branch: a template, cloned with the chain.
pub trait SideTemplate: Send {
    /// This subtask's branch.
    fn build(&self) -> Box<dyn SideBranch>;
    /// A copy of the template, for another subtask.
    fn clone_box(&self) -> Box<dyn SideTemplate>;
}

/// A side output branch template: the tag and the tail records of that tag go to.
pub struct TailTemplate<V, T> {
    pub(crate) tag: &'static str,
    pub(crate) tail: T,
    pub(crate) _v: std::marker::PhantomData<fn(V)>,
}

impl<V: Send + 'static, T: crate::core::pipe::Tail<V>> SideTemplate for TailTemplate<V, T> {
    fn build(&self) -> Box<dyn SideBranch> {
        Box::new(Branch::<V> { tag: self.tag, collector: Box::new(self.tail.clone().build()) })
    }
    fn clone_box(&self) -> Box<dyn SideTemplate> {
        Box::new(TailTemplate::<V, T> { tag: self.tag, tail: self.tail.clone(), _v: std::marker::PhantomData })
    }
}

/// The side output templates of an operator's stage.
#[derive(Default)]
pub struct SideTemplates(pub(crate) Vec<Box<dyn SideTemplate>>);

impl Clone for SideTemplates {
    fn clone(&self) -> Self {
        SideTemplates(self.0.iter().map(|t| t.clone_box()).collect())
    }
}

impl SideTemplates {
    pub(crate) fn build(&self) -> SideOutputs {
        SideOutputs { branches: self.0.iter().map(|t| t.build()).collect() }
    }

    /// Adds the branch that the records written to `tag` go down.
    fn add<V: Send + 'static, LT: Tail<V>>(
        &mut self,
        tag: &OutputTag<V>,
        branch: impl FnOnce(ChainBuilder<V, Identity>) -> LT,
    ) {
        let tail = branch(ChainBuilder::new());
        self.0.push(Box::new(TailTemplate { tag: tag.id(), tail, _v: std::marker::PhantomData }));
    }
}

/// The stage of an operator whose function writes side outputs (`ctx.output(&TAG, ..)`):
/// process functions, keyed or not, of a window, or of two inputs.
pub trait WritesSideOutputs {
    /// The branches of its side outputs, one per tag read downstream.
    fn side_templates(&mut self) -> &mut SideTemplates;
}

// Builder methods the compiled job calls, hidden from the docs (`side_output` shows them).
#[doc(hidden)]
impl<In: 'static, P: Pipe<In>, S: WritesSideOutputs> ChainBuilder<In, Then<P, S>> {
    /// Sends what the operator's function writes to `tag` down `branch`.
    pub fn side_output_to<V: Send + 'static, LT: Tail<V>>(
        mut self,
        tag: &OutputTag<V>,
        branch: impl FnOnce(ChainBuilder<V, Identity>) -> LT,
    ) -> Self {
        self.pipe.1.side_templates().add(tag, branch);
        self
    }
}

#[doc(hidden)]
impl<A, B, H: WritesSideOutputs> Headed<A, B, H> {
    /// Sends what the two-input operator's function writes to `tag` down `branch`.
    pub fn side_output_to<V: Send + 'static, LT: Tail<V>>(
        mut self,
        tag: &OutputTag<V>,
        branch: impl FnOnce(ChainBuilder<V, Identity>) -> LT,
    ) -> Self {
        self.head_mut().side_templates().add(tag, branch);
        self
    }
}

/// The side output branches of one operator.
#[derive(Default)]
pub struct SideOutputs {
    branches: Vec<Box<dyn SideBranch>>,
}

impl SideOutputs {
    /// Sends `value` to the branch of `tag`, if anything reads it.
    pub fn emit<V: 'static>(&mut self, tag: &OutputTag<V>, value: V, timestamp: Timestamp) {
        self.try_emit(tag, value, timestamp);
    }

    /// Sends `value` to the branch of `tag`; `false` when nothing reads that tag (for
    /// callers that must not lose the record without saying so).
    pub fn try_emit<V: 'static>(&mut self, tag: &OutputTag<V>, value: V, timestamp: Timestamp) -> bool {
        for b in &mut self.branches {
            if b.tag() == tag.id() {
                let branch = b.as_any().downcast_mut::<Branch<V>>().unwrap_or_else(|| {
                    panic!("side output '{}' is used with two record types: give each its own tag", tag.id())
                });
                branch.collector.collect(value, timestamp);
                return true;
            }
        }
        false
    }

    pub(crate) fn on_control(&mut self, control: Control) {
        self.branches.iter_mut().for_each(|b| b.on_control(control));
    }
    pub(crate) fn open(&mut self, ctx: &mut RuntimeContext<'_>) -> Result<(), JobError> {
        self.branches.iter_mut().try_for_each(|b| b.open(ctx))
    }
    pub(crate) fn on_processing_time(&mut self, now: Timestamp) {
        self.branches.iter_mut().for_each(|b| b.on_processing_time(now));
    }
    pub(crate) fn flush(&mut self) {
        self.branches.iter_mut().for_each(|b| b.flush());
    }
    pub(crate) fn take_blocked(&mut self, blocked: &mut Vec<BlockedSend>) {
        self.branches.iter_mut().for_each(|b| b.take_blocked(blocked));
    }
    pub(crate) fn close(&mut self) -> Result<(), JobError> {
        self.branches.iter_mut().try_for_each(|b| b.close())
    }
}
