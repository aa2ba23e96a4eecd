//! `assign_timestamps_and_watermarks`: gives each record its event timestamp and emits
//! watermarks periodically (every auto-watermark interval, 200 ms by default), as Flink's
//! `TimestampsAndWatermarksOperator`. Watermarks from upstream are replaced by its own,
//! except the final one that ends event time.
//!
//! ```
//! use rill::prelude::*;
//! use std::time::Duration;
//! #[rill::job(no_main)]
//! fn stamped(env: &mut Env) {
//!     env.from_sequence(0, 9)
//!         .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|n, _| *n * 1000))
//!         .print();
//! }
//!
//! STAMPED_JOB.run(Some(1), &[]).unwrap();
//! ```

use crate::core::collector::Collector;
use crate::core::element::{Control, Timestamp, MAX_WATERMARK, NO_TIMESTAMP};
use crate::core::panic_scope;
use crate::core::pipe::{ChainBuilder, Pipe, Stage, Then};
use crate::time::watermark::{TimestampAssigner, NO_WATERMARK};
use crate::time::{Strategies, WatermarkGenerator, WatermarkStrategy};

/// The stage of `assign_timestamps_and_watermarks`.
#[derive(Clone)]
pub struct TimestampsStage<G, A> {
    id: u32,
    generator: G,
    assigner: A,
    idleness: Option<i64>,
}

/// `assign_timestamps_and_watermarks` in a running chain.
pub struct TimestampsOp<G, A, C> {
    id: u32,
    generator: G,
    assigner: A,
    emitted: Timestamp,
    /// `with_idleness`: after this long without records the output is marked idle.
    idleness: Option<i64>,
    seen_since_tick: bool,
    last_record: Option<Timestamp>,
    idle: bool,
    next: C,
}

impl<T, G: WatermarkGenerator<T>, A: TimestampAssigner<T>> Stage<T> for TimestampsStage<G, A> {
    type Out = T;
    fn wrap<C: Collector<T>>(self, next: C) -> impl Collector<T> {
        TimestampsOp {
            id: self.id,
            generator: self.generator,
            assigner: self.assigner,
            emitted: NO_WATERMARK,
            idleness: self.idleness,
            seen_since_tick: false,
            last_record: None,
            idle: false,
            next,
        }
    }
}

impl<G, A, C> TimestampsOp<G, A, C> {
    fn emit<T>(&mut self, watermark: Timestamp)
    where
        C: Collector<T>,
    {
        if watermark > self.emitted {
            self.emitted = watermark;
            self.next.on_control(Control::Watermark(watermark));
        }
    }
}

impl<T, G: WatermarkGenerator<T>, A: TimestampAssigner<T>, C: Collector<T>> Collector<T> for TimestampsOp<G, A, C> {
    #[inline]
    fn collect(&mut self, value: T, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        if self.idle {
            self.idle = false;
            self.next.on_control(Control::Active);
        }
        self.seen_since_tick = true;
        if !A::ASSIGNS && timestamp == NO_TIMESTAMP && self.generator.uses_timestamps() {
            crate::core::panic_scope::fail(crate::JobError::Config(
                "assign_timestamps_and_watermarks: the watermark strategy has no timestamp assigner and the record \
                 carries no timestamp from its source: add .with_timestamp_assigner(|record, _| ..) to the strategy"
                    .to_owned(),
            ));
        }
        let ts = self.assigner.extract(&value, timestamp);
        let watermark = self.generator.on_event(&value, ts);
        self.next.collect(value, ts);
        if let Some(w) = watermark {
            self.emit(w);
        }
    }
    fn on_control(&mut self, control: Control) {
        match control {
            Control::Watermark(MAX_WATERMARK) => self.emit(MAX_WATERMARK),
            Control::Watermark(_) => {}
            other => self.next.on_control(other),
        }
    }
    fn on_processing_time(&mut self, now: Timestamp) {
        panic_scope::enter(self.id);
        if let Some(w) = self.generator.on_periodic_emit() {
            self.emit(w);
        }
        if let Some(timeout) = self.idleness {
            if std::mem::take(&mut self.seen_since_tick) {
                self.last_record = Some(now);
            }
            let quiet_since = *self.last_record.get_or_insert(now);
            if !self.idle && now - quiet_since >= timeout {
                self.idle = true;
                self.next.on_control(Control::Idle);
            }
        }
        self.next.on_processing_time(now);
    }
    crate::forward_open_and_buffers!(next);
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In: 'static, P: Pipe<In>> ChainBuilder<In, P> {
    /// Assigns event timestamps and emits watermarks with the strategy `make` builds
    /// (the compiler passes `|s| s.for_bounded_out_of_orderness(..)...` for a
    /// `WatermarkStrategy::for_bounded_out_of_orderness(..)...` written in the job).
    pub fn assign_timestamps_and_watermarks<G, A>(
        self,
        id: u32,
        make: impl FnOnce(Strategies<P::Out>) -> WatermarkStrategy<P::Out, G, A>,
    ) -> ChainBuilder<In, Then<P, TimestampsStage<G, A>>>
    where
        G: WatermarkGenerator<P::Out>,
        A: TimestampAssigner<P::Out>,
    {
        let strategy = make(Strategies::default());
        let idleness = strategy.idleness.map(crate::time::millis);
        self.then(TimestampsStage { id, generator: strategy.generator, assigner: strategy.assigner, idleness })
    }
}
