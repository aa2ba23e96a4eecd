//! Flink's `AggregateFunction`, which windows (`aggregate(f)`) and aggregating state
//! (`AggregatingState`) take: an accumulator, what a record adds to it, its result.
//!
//! ```
//! use rill::prelude::*;
//!
//! /// The average of the values.
//! #[derive(Clone)]
//! struct Average;
//!
//! impl AggregateFunction<f64> for Average {
//!     type Acc = (f64, u64);
//!     type Out = f64;
//!     fn create_accumulator(&self) -> (f64, u64) {
//!         (0.0, 0)
//!     }
//!     fn add(&self, value: f64, acc: &mut (f64, u64)) {
//!         acc.0 += value;
//!         acc.1 += 1;
//!     }
//!     fn get_result(&self, acc: &(f64, u64)) -> f64 {
//!         acc.0 / acc.1 as f64
//!     }
//!     fn merge(&self, a: (f64, u64), b: (f64, u64)) -> (f64, u64) {
//!         (a.0 + b.0, a.1 + b.1)
//!     }
//! }
//!
//! let avg = Average;
//! let mut acc = avg.create_accumulator();
//! avg.add(1.0, &mut acc);
//! avg.add(2.0, &mut acc);
//! assert_eq!(avg.get_result(&acc), 1.5);
//! ```

/// Flink's `AggregateFunction`: an accumulator per key and window, its result, and how two
/// accumulators merge.
pub trait AggregateFunction<In>: Clone + Send + 'static {
    /// The accumulator: what a window or state keeps per key between records, and what a
    /// checkpoint keeps of it (so it has a [`Codec`](crate::Codec): derive it on a struct).
    type Acc: crate::Codec + Send + Sync + 'static;
    /// The result the accumulator gives.
    type Out;
    /// A new, empty accumulator.
    fn create_accumulator(&self) -> Self::Acc;
    /// Adds a record to the accumulator.
    fn add(&self, value: In, acc: &mut Self::Acc);
    /// The result of the accumulator so far.
    fn get_result(&self, acc: &Self::Acc) -> Self::Out;
    /// Two accumulators as one (panes and session windows merge them); the result must not depend on the order records were added in.
    fn merge(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc;
}
