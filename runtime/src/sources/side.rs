//! Side outputs of a source: `from_source(..).side_output(&TAG)` reads what the source
//! routes aside, such as the Kafka records its format cannot read
//! (`OnBadRecord::SideOutput(&TAG)`). The branches are built into the head of the source's
//! chain, which hands them to the source through [`Collector::source_side_outputs`]; they
//! see the source's watermarks like the main output does.

use crate::api::OutputTag;
use crate::core::collector::Collector;
use crate::core::element::Timestamp;
use crate::core::pipe::{ChainBuilder, Identity, Stage, Tail, Then};
use crate::core::side_output::{SideOutputs, SideTemplates, TailTemplate};
use std::marker::PhantomData;

/// The head stage of a source chain with side outputs.
#[derive(Clone)]
pub struct SourceSidesStage {
    sides: SideTemplates,
}

/// Passes the source's records on and holds its side output branches.
pub struct SourceSidesOp<C> {
    sides: SideOutputs,
    next: C,
}

impl<In> Stage<In> for SourceSidesStage {
    type Out = In;
    fn wrap<C: Collector<In>>(self, next: C) -> impl Collector<In> {
        SourceSidesOp { sides: self.sides.build(), next }
    }
}

impl<In, C: Collector<In>> Collector<In> for SourceSidesOp<C> {
    #[inline]
    fn collect(&mut self, value: In, timestamp: Timestamp) {
        self.next.collect(value, timestamp)
    }
    crate::forward_lifecycle!(sides, next);
    fn source_side_outputs(&mut self) -> Option<&mut SideOutputs> {
        Some(&mut self.sides)
    }
}

fn template<V: Send + 'static, LT: Tail<V>>(
    tag: &OutputTag<V>,
    branch: impl FnOnce(ChainBuilder<V, Identity>) -> LT,
) -> Box<TailTemplate<V, LT>> {
    Box::new(TailTemplate { tag: tag.id(), tail: branch(ChainBuilder::new()), _v: PhantomData })
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In: 'static> ChainBuilder<In, Identity> {
    /// The branch that reads the source's side output `tag` (emitted by the compiler for
    /// `from_source(..).side_output(&TAG)`).
    pub fn source_side_output_to<V: Send + 'static, LT: Tail<V>>(
        self,
        tag: &OutputTag<V>,
        branch: impl FnOnce(ChainBuilder<V, Identity>) -> LT,
    ) -> ChainBuilder<In, Then<Identity, SourceSidesStage>> {
        self.then(SourceSidesStage { sides: SideTemplates(vec![template(tag, branch)]) })
    }
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In: 'static> ChainBuilder<In, Then<Identity, SourceSidesStage>> {
    /// One more side output branch of the source.
    pub fn source_side_output_to<V: Send + 'static, LT: Tail<V>>(
        mut self,
        tag: &OutputTag<V>,
        branch: impl FnOnce(ChainBuilder<V, Identity>) -> LT,
    ) -> Self {
        self.pipe.1.sides.0.push(template(tag, branch));
        self
    }
}
