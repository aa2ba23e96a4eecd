//! `process`: a function with a collector, free to emit any number of records. On a keyed
//! stream it also sees the current key (see [`keyed_process`](super::keyed_process)).
//!
//! ```
//! use rill::prelude::*;
//! #[rill::job(no_main)]
//! fn tagged(env: &mut Env) {
//!     env.from_elements([1, 2, 3])
//!         .process(|n, _ctx, out| {
//!             if n != 2 {
//!                 out.collect(format!("n={n}"));
//!             }
//!         })
//!         .print();
//! }
//!
//! TAGGED_JOB.run(Some(1), &[]).unwrap();
//! ```
//!
//! `ctx.output(&TAG, value)` sends a record to a side output, which `side_output(&TAG)` reads
//! from the operator's stream (Flink's `ProcessFunction.Context#output`): one stream split in
//! two, each part its own type.
//!
//! ```
//! use rill::prelude::*;
//!
//! static ODD: OutputTag<String> = OutputTag::new("odd");
//!
//! #[rill::job(no_main)]
//! fn split(env: &mut Env) {
//!     let evens = env.from_elements([1, 2, 3, 4]).process(|n, ctx, out| {
//!         if n % 2 == 0 {
//!             out.collect(n);
//!         } else {
//!             ctx.output(&ODD, format!("odd {n}"));
//!         }
//!     });
//!     evens.side_output(&ODD).print();
//!     evens.print();
//! }
//!
//! SPLIT_JOB.run(Some(1), &[]).unwrap();
//! ```

use crate::api::OutputTag;
use crate::core::collector::{Collector, Output};
use crate::core::element::{Timestamp, NO_TIMESTAMP};
use crate::core::pipe::{ChainBuilder, Pipe, Stage, Then};
use crate::core::plain_core::{plain_lifecycle, Around, PlainCore};
use crate::core::side_output::{SideOutputs, SideTemplates, WritesSideOutputs};
use std::marker::PhantomData;

/// What a process function sees besides the record (Flink's `ProcessFunction.Context`).
pub struct Context<'a> {
    timestamp: Timestamp,
    watermark: Timestamp,
    sides: &'a mut SideOutputs,
}

impl Context<'_> {
    /// The record's event timestamp, if one was assigned upstream.
    pub fn timestamp(&self) -> Option<Timestamp> {
        (self.timestamp != NO_TIMESTAMP).then_some(self.timestamp)
    }

    /// The operator's current event-time watermark (`i64::MIN` before the first).
    pub fn current_watermark(&self) -> Timestamp {
        self.watermark
    }

    /// Sends `value` to the side output `tag` (read downstream with `side_output(&TAG)`),
    /// with the record's timestamp; nowhere when nothing reads the tag, as in Flink.
    pub fn output<V: 'static>(&mut self, tag: &OutputTag<V>, value: V) {
        self.sides.emit(tag, value, self.timestamp);
    }
}

/// The stage of `process` on a plain stream.
pub struct ProcessStage<F, O> {
    id: u32,
    f: F,
    sides: SideTemplates,
    _out: PhantomData<fn() -> O>,
}

impl<F: Clone, O> Clone for ProcessStage<F, O> {
    fn clone(&self) -> Self {
        ProcessStage { id: self.id, f: self.f.clone(), sides: self.sides.clone(), _out: PhantomData }
    }
}

/// `process` on a plain stream, in a running chain.
pub struct ProcessOp<F, O, C> {
    f: F,
    core: PlainCore<O>,
    next: C,
}

impl<In, O, F> Stage<In> for ProcessStage<F, O>
where
    F: FnMut(In, &mut Context<'_>, &mut Output<'_, O>) + Clone + Send + 'static,
    O: Send + 'static,
{
    type Out = O;
    fn wrap<C: Collector<O>>(self, next: C) -> impl Collector<In> {
        ProcessOp { f: self.f, core: PlainCore::new(self.id, self.sides.build()), next }
    }
}

impl<In, O, F, C> Collector<In> for ProcessOp<F, O, C>
where
    F: FnMut(In, &mut Context<'_>, &mut Output<'_, O>) + Send,
    O: Send,
    C: Collector<O>,
{
    #[inline]
    fn collect(&mut self, value: In, timestamp: Timestamp) {
        let f = &mut self.f;
        self.core.process(timestamp, &mut self.next, |Around { watermark, sides }, out| {
            f(value, &mut Context { timestamp, watermark, sides }, out)
        });
    }
    plain_lifecycle!();
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In: 'static, P: Pipe<In>> ChainBuilder<In, P> {
    /// Calls `f(record, ctx, out)` for each record; `f` emits with `out.collect(..)`
    /// (Flink's `ProcessFunction`).
    pub fn process<O, F>(self, id: u32, f: F) -> ChainBuilder<In, Then<P, ProcessStage<F, O>>>
    where
        F: FnMut(P::Out, &mut Context<'_>, &mut Output<'_, O>) + Clone + Send + 'static,
        O: Send + 'static,
    {
        self.then(ProcessStage { id, f, sides: SideTemplates::default(), _out: PhantomData })
    }
}

impl<F, O> WritesSideOutputs for ProcessStage<F, O> {
    fn side_templates(&mut self) -> &mut SideTemplates {
        &mut self.sides
    }
}
