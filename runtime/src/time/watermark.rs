//! Watermark strategies: how a stream's records get their event timestamps, and how event
//! time advances (Flink's `WatermarkStrategy`).
//!
//! ```
//! use rill::prelude::*;
//! use std::time::Duration;
//! #[rill::job(no_main)]
//! fn timed(env: &mut Env) {
//!     env.from_elements([("a", 1_000i64), ("b", 1_500)])
//!         .assign_timestamps_and_watermarks(
//!             WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_millis(200))
//!                 .with_timestamp_assigner(|(_, ts), _| *ts),
//!         )
//!         .print();
//! }
//!
//! TIMED_JOB.run(Some(1), &[]).unwrap();
//! ```

use super::millis;
use crate::core::element::{Timestamp, NO_TIMESTAMP};
use std::marker::PhantomData;
use std::time::Duration;

/// Decides the watermark from the records seen and their timestamps (Flink's
/// `WatermarkGenerator<T>`): most look only at the timestamp; one that reads the record can
/// follow a marker record or a field of its own.
pub trait WatermarkGenerator<T>: Clone + Send + 'static {
    /// `record` with this timestamp went by; a generator that emits per event returns the
    /// watermark to emit now (a periodic one returns `None`).
    fn on_event(&mut self, record: &T, timestamp: Timestamp) -> Option<Timestamp>;
    /// The watermark to emit periodically, if any.
    fn on_periodic_emit(&mut self) -> Option<Timestamp>;
    /// Whether its watermarks follow the records' timestamps (all but `no_watermarks` do): a
    /// record without one is then a mistake worth stopping for.
    fn uses_timestamps(&self) -> bool {
        true
    }
}

/// Watermarks trail the largest timestamp seen by a fixed bound: `max - bound - 1`.
#[derive(Debug, Clone, Copy)]
pub struct BoundedOutOfOrderness {
    bound: i64,
    max_timestamp: Timestamp,
}

impl BoundedOutOfOrderness {
    /// A generator that trails the largest timestamp by `bound`.
    pub fn new(bound: Duration) -> Self {
        let bound = millis(bound);
        BoundedOutOfOrderness { bound, max_timestamp: i64::MIN + bound + 1 }
    }
}

impl<T> WatermarkGenerator<T> for BoundedOutOfOrderness {
    #[inline]
    fn on_event(&mut self, _: &T, timestamp: Timestamp) -> Option<Timestamp> {
        self.max_timestamp = self.max_timestamp.max(timestamp);
        None
    }
    fn on_periodic_emit(&mut self) -> Option<Timestamp> {
        Some(self.max_timestamp - self.bound - 1)
    }
}

/// Emits no watermark (Flink's `WatermarkStrategy.noWatermarks()`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoWatermarks;

impl<T> WatermarkGenerator<T> for NoWatermarks {
    fn on_event(&mut self, _: &T, _: Timestamp) -> Option<Timestamp> {
        None
    }
    fn on_periodic_emit(&mut self) -> Option<Timestamp> {
        None
    }
    fn uses_timestamps(&self) -> bool {
        false
    }
}

/// How a strategy finds a record's timestamp.
pub trait TimestampAssigner<T>: Clone + Send + 'static {
    /// Whether it gives records their timestamp (false: it keeps the source's).
    const ASSIGNS: bool = true;
    /// The record's event timestamp (`previous`: the one it had, if any).
    fn extract(&mut self, record: &T, previous: Timestamp) -> Timestamp;
}

/// Keeps the timestamp the record already carries (from its source).
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordTimestamp;

impl<T> TimestampAssigner<T> for RecordTimestamp {
    const ASSIGNS: bool = false;
    #[inline]
    fn extract(&mut self, _: &T, previous: Timestamp) -> Timestamp {
        previous
    }
}

/// A closure `|record, previous_timestamp| timestamp`.
#[derive(Clone)]
pub struct AssignWith<F>(F);

impl<T, F: FnMut(&T, Timestamp) -> Timestamp + Clone + Send + 'static> TimestampAssigner<T> for AssignWith<F> {
    #[inline]
    fn extract(&mut self, record: &T, previous: Timestamp) -> Timestamp {
        (self.0)(record, previous)
    }
}

/// A watermark strategy for records of type `T`.
pub struct WatermarkStrategy<T, G, A = RecordTimestamp> {
    pub(crate) generator: G,
    pub(crate) assigner: A,
    pub(crate) idleness: Option<Duration>,
    _t: PhantomData<fn(&T)>,
}

impl<T, G: Clone, A: Clone> Clone for WatermarkStrategy<T, G, A> {
    fn clone(&self) -> Self {
        WatermarkStrategy {
            generator: self.generator.clone(),
            assigner: self.assigner.clone(),
            idleness: self.idleness,
            _t: PhantomData,
        }
    }
}

/// The constructors of [`WatermarkStrategy`] for one record type. The compiler hands it to
/// `assign_timestamps_and_watermarks(WatermarkStrategy::...)`, so that the timestamp
/// assigner's closure knows its record type without annotations.
pub struct Strategies<T>(PhantomData<fn(&T)>);

impl<T> Default for Strategies<T> {
    fn default() -> Self {
        Strategies(PhantomData)
    }
}

impl<T> Strategies<T> {
    /// Events arrive at most `bound` late: the watermark is the largest timestamp seen
    /// minus `bound` minus 1 ms.
    pub fn for_bounded_out_of_orderness(&self, bound: Duration) -> WatermarkStrategy<T, BoundedOutOfOrderness> {
        WatermarkStrategy::new(BoundedOutOfOrderness::new(bound))
    }

    /// Timestamps never decrease: the watermark is the largest timestamp seen minus 1 ms.
    pub fn for_monotonous_timestamps(&self) -> WatermarkStrategy<T, BoundedOutOfOrderness> {
        WatermarkStrategy::new(BoundedOutOfOrderness::new(Duration::ZERO))
    }

    /// No watermarks: event time does not advance (until the end of a bounded input).
    pub fn no_watermarks(&self) -> WatermarkStrategy<T, NoWatermarks> {
        WatermarkStrategy::new(NoWatermarks)
    }

    /// A generator of the user's own.
    pub fn for_generator<G: WatermarkGenerator<T>>(&self, generator: G) -> WatermarkStrategy<T, G> {
        WatermarkStrategy::new(generator)
    }
}

impl<T> WatermarkStrategy<T, NoWatermarks> {
    /// No watermarks: event time never advances (processing-time jobs).
    pub fn no_watermarks() -> Self {
        Strategies::default().no_watermarks()
    }
}

impl<T, G: WatermarkGenerator<T>> WatermarkStrategy<T, G> {
    fn new(generator: G) -> Self {
        WatermarkStrategy { generator, assigner: RecordTimestamp, idleness: None, _t: PhantomData }
    }
}

impl<T, G: WatermarkGenerator<T>, A> WatermarkStrategy<T, G, A> {
    /// Takes each record's timestamp from `f(record, previous_timestamp)`.
    pub fn with_timestamp_assigner<F>(self, f: F) -> WatermarkStrategy<T, G, AssignWith<F>>
    where
        F: FnMut(&T, Timestamp) -> Timestamp + Clone + Send + 'static,
    {
        WatermarkStrategy {
            generator: self.generator,
            assigner: AssignWith(f),
            idleness: self.idleness,
            _t: PhantomData,
        }
    }

    /// A source split with no records for this long stops holding event time back.
    pub fn with_idleness(self, timeout: Duration) -> Self {
        WatermarkStrategy { idleness: Some(timeout), ..self }
    }
}

/// For user code that names the type outside a pipeline: `WatermarkStrategy::<T>::...`.
impl<T> WatermarkStrategy<T, BoundedOutOfOrderness> {
    /// Watermarks `bound` behind the largest timestamp seen.
    pub fn for_bounded_out_of_orderness(bound: Duration) -> Self {
        Strategies::default().for_bounded_out_of_orderness(bound)
    }
    /// Watermarks at the largest timestamp seen (timestamps never go back).
    pub fn for_monotonous_timestamps() -> Self {
        Strategies::default().for_monotonous_timestamps()
    }
}

/// The watermark that means "nothing yet".
pub(crate) const NO_WATERMARK: Timestamp = NO_TIMESTAMP;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_out_of_orderness_trails_the_maximum_by_bound_plus_one() {
        let mut g = BoundedOutOfOrderness::new(Duration::from_millis(200));
        assert_eq!(WatermarkGenerator::<()>::on_event(&mut g, &(), 1_000), None);
        WatermarkGenerator::<()>::on_event(&mut g, &(), 800);
        assert_eq!(WatermarkGenerator::<()>::on_periodic_emit(&mut g), Some(799));
        WatermarkGenerator::<()>::on_event(&mut g, &(), 1_500);
        assert_eq!(WatermarkGenerator::<()>::on_periodic_emit(&mut g), Some(1_299));
    }

    #[test]
    fn before_any_event_the_watermark_is_the_minimum() {
        let mut g = BoundedOutOfOrderness::new(Duration::from_millis(200));
        assert_eq!(WatermarkGenerator::<()>::on_periodic_emit(&mut g), Some(i64::MIN));
    }
}
