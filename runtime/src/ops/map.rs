//! `map`: one record in, one record out.
//!
//! ```
//! use rill::prelude::*;
//! #[rill::job(no_main)]
//! fn lengths(env: &mut Env) {
//!     env.from_elements(["a", "bb"]).map(|s| s.len()).print();
//! }
//!
//! LENGTHS_JOB.run(Some(1), &[]).unwrap();
//! ```

use crate::core::collector::Collector;
use crate::core::element::Timestamp;
use crate::core::panic_scope;
use crate::core::pipe::{ChainBuilder, Pipe, Stage, Then};

/// The stage of `map`.
#[derive(Clone)]
pub struct MapStage<F> {
    id: u32,
    f: F,
}

/// `map` in a running chain.
pub struct MapOp<F, C> {
    id: u32,
    f: F,
    next: C,
}

impl<In, O, F> Stage<In> for MapStage<F>
where
    F: FnMut(In) -> O + Clone + Send + 'static,
{
    type Out = O;
    fn wrap<C: Collector<O>>(self, next: C) -> impl Collector<In> {
        MapOp { id: self.id, f: self.f, next }
    }
}

impl<In, O, F: FnMut(In) -> O + Send, C: Collector<O>> Collector<In> for MapOp<F, C> {
    #[inline]
    fn collect(&mut self, value: In, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        let out = (self.f)(value);
        self.next.collect(out, timestamp);
    }
    crate::forward_lifecycle!(next);
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In: 'static, P: Pipe<In>> ChainBuilder<In, P> {
    /// Transforms each record into exactly one record (Flink's `map`).
    pub fn map<O, F>(self, id: u32, f: F) -> ChainBuilder<In, Then<P, MapStage<F>>>
    where
        F: FnMut(P::Out) -> O + Clone + Send + 'static,
    {
        self.then(MapStage { id, f })
    }
}
