//! Typed, forward construction of a chain.
//!
//! The generated code builds each chain front to back, like iterator adapters
//! (`ChainBuilder::new().map(..).filter(..).print(..)`): each method's bound names the
//! closure's input type, so rustc infers it and users write no annotations. The result is a
//! template of plain values (closures and settings); each subtask clones it and
//! [`Tail::build`]s the nested, monomorphized operator structs that records run through.

use crate::core::collector::Collector;
use std::marker::PhantomData;

/// Names a type, so that inference can carry a chain's output type into the next chain
/// (an exchange's input port names the type of what its writers send).
pub trait TypeMarker {
    /// The type named.
    type Item;
}

impl<T> TypeMarker for PhantomData<T> {
    type Item = T;
}

/// One operator, before it knows what follows it.
pub trait Stage<In>: Clone + Send + 'static {
    /// What the stage emits.
    type Out;
    /// The operator, built in front of `next`.
    fn wrap<C: Collector<Self::Out>>(self, next: C) -> impl Collector<In>;
}

/// A sequence of stages from `In` to `Out`.
pub trait Pipe<In>: Clone + Send + 'static {
    /// What the last stage emits.
    type Out;
    /// The operators, built in front of `next`.
    fn attach<C: Collector<Self::Out>>(self, next: C) -> impl Collector<In>;
}

/// The empty pipe.
#[derive(Clone, Copy, Debug, Default)]
pub struct Identity;

impl<In> Pipe<In> for Identity {
    type Out = In;
    fn attach<C: Collector<In>>(self, next: C) -> impl Collector<In> {
        next
    }
}

/// A pipe followed by one more stage.
#[derive(Clone)]
pub struct Then<P, S>(pub(crate) P, pub(crate) S);

impl<In, P: Pipe<In>, S: Stage<P::Out>> Pipe<In> for Then<P, S> {
    type Out = S::Out;
    fn attach<C: Collector<S::Out>>(self, next: C) -> impl Collector<In> {
        self.0.attach(self.1.wrap(next))
    }
}

/// The end of a chain (a sink or an exchange writer) or a finished branch of it: a template
/// that builds the collector records of type `T` go into.
pub trait Tail<T>: Clone + Send + 'static {
    /// The collector of this subtask.
    fn build(self) -> impl Collector<T>;
}

/// A pipe ended by a tail.
pub struct Branch<In, P, K> {
    pipe: P,
    tail: K,
    _in: PhantomData<fn(In)>,
}

impl<In, P: Clone, K: Clone> Clone for Branch<In, P, K> {
    fn clone(&self) -> Self {
        Branch { pipe: self.pipe.clone(), tail: self.tail.clone(), _in: PhantomData }
    }
}

impl<In: 'static, P: Pipe<In>, K: Tail<P::Out>> Tail<In> for Branch<In, P, K> {
    fn build(self) -> impl Collector<In> {
        self.pipe.attach(self.tail.build())
    }
}

/// Builds a chain front to back. `In` is what enters the chain, `P` the stages so far.
pub struct ChainBuilder<In, P> {
    pub(crate) pipe: P,
    _in: PhantomData<fn(In)>,
}

impl<In> ChainBuilder<In, Identity> {
    /// An empty builder for records of type `In`.
    pub fn new() -> Self {
        ChainBuilder { pipe: Identity, _in: PhantomData }
    }

    /// A builder whose input type is given by a value of that type's marker, so that
    /// type inference flows from one chain into the next across an exchange.
    pub fn of<M: TypeMarker<Item = In>>(_marker: &M) -> Self {
        Self::new()
    }
}

impl<In> Default for ChainBuilder<In, Identity> {
    fn default() -> Self {
        Self::new()
    }
}

impl<In: 'static, P: Pipe<In>> ChainBuilder<In, P> {
    /// Appends a stage.
    pub fn then<S: Stage<P::Out>>(self, stage: S) -> ChainBuilder<In, Then<P, S>> {
        ChainBuilder { pipe: Then(self.pipe, stage), _in: PhantomData }
    }

    /// Replaces the pipe with `pipe` followed by `stage` (for builders that rework their last
    /// stage, as `late_data_to` does).
    pub(crate) fn then_on<Q, S>(self, pipe: Q, stage: S) -> ChainBuilder<In, Then<Q, S>> {
        ChainBuilder { pipe: Then(pipe, stage), _in: PhantomData }
    }

    /// Ends the chain with a sink or an exchange writer.
    pub fn end<K: Tail<P::Out>>(self, tail: K) -> Branch<In, P, K> {
        Branch { pipe: self.pipe, tail, _in: PhantomData }
    }

    /// A marker of the type this chain produces, for the next chain's builder.
    pub fn out_marker(&self) -> PhantomData<P::Out> {
        PhantomData
    }
}
