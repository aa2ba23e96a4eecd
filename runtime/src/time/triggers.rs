//! Triggers: when a window emits its result (Flink's `Trigger`s). By default a window fires
//! once time passes its end; `trigger(..)` replaces that.
//!
//! ```
//! use rill::prelude::*;
//! use std::time::Duration;
//! #[rill::job]
//! fn pairs(env: &mut Env) {
//!     env.from_elements([("a", 1i64), ("a", 2), ("a", 3)])
//!         .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|_, _| 0))
//!         .key_by(|r| r.0)
//!         .window(TumblingEventTimeWindows::of(Duration::from_secs(10)))
//!         .trigger(PurgingTrigger::of(CountTrigger::of(2)))
//!         .sum(1)
//!         .print();
//! }
//! ```

use super::millis;
use std::time::Duration;

/// When a window fires, and whether firing clears it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// Once the watermark passes the window's end (the default of event-time windows).
    EventTime,
    /// Once processing time passes the window's end (the default of processing-time windows).
    ProcessingTime,
    /// Every `n` records of a key in a window; time does not fire it.
    Count(u64),
    /// Every `interval` of event time while the window is open, and at its end.
    ContinuousEventTime(i64),
    /// Every `interval` of processing time while the window is open, and at its end.
    ContinuousProcessingTime(i64),
    /// The inner trigger, clearing the window's state each time it fires.
    Purging(Box<Trigger>),
    /// Never fires (the default of `GlobalWindows`, whose one window never ends: give it a
    /// trigger).
    Never,
}

impl Trigger {
    pub(crate) fn purges(&self) -> bool {
        matches!(self, Trigger::Purging(_))
    }
    pub(crate) fn inner(&self) -> &Trigger {
        match self {
            Trigger::Purging(t) => t.inner(),
            t => t,
        }
    }
}

/// Flink's `EventTimeTrigger`.
pub struct EventTimeTrigger;
impl EventTimeTrigger {
    pub fn create() -> Trigger {
        Trigger::EventTime
    }
}

/// Flink's `ProcessingTimeTrigger`.
pub struct ProcessingTimeTrigger;
impl ProcessingTimeTrigger {
    pub fn create() -> Trigger {
        Trigger::ProcessingTime
    }
}

/// Flink's `CountTrigger`.
pub struct CountTrigger;
impl CountTrigger {
    pub fn of(count: u64) -> Trigger {
        assert!(count > 0, "CountTrigger: the count must be positive");
        Trigger::Count(count)
    }
}

/// Flink's `PurgingTrigger`.
pub struct PurgingTrigger;
impl PurgingTrigger {
    pub fn of(trigger: Trigger) -> Trigger {
        Trigger::Purging(Box::new(trigger))
    }
}

/// Flink's `ContinuousEventTimeTrigger`.
pub struct ContinuousEventTimeTrigger;
impl ContinuousEventTimeTrigger {
    pub fn of(interval: Duration) -> Trigger {
        Trigger::ContinuousEventTime(millis(interval).max(1))
    }
}

/// Flink's `ContinuousProcessingTimeTrigger`.
pub struct ContinuousProcessingTimeTrigger;
impl ContinuousProcessingTimeTrigger {
    pub fn of(interval: Duration) -> Trigger {
        Trigger::ContinuousProcessingTime(millis(interval).max(1))
    }
}
