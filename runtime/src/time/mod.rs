//! Time: event-time windows and their assigners, watermark strategies, processing time.

pub(crate) mod assigners;
mod clock;
mod triggers;
pub(crate) mod watermark;

pub use assigners::{
    CountWindows, EventTimeSessionWindows, GlobalWindows, ProcessingTimeSessionWindows, SlidingEventTimeWindows,
    SlidingProcessingTimeWindows, TimeWindow, TumblingEventTimeWindows, TumblingProcessingTimeWindows, WindowAssigner,
};
pub use clock::{Clock, ManualClock};
pub use triggers::{
    domain, ContinuousEventTimeTrigger, ContinuousProcessingTimeTrigger, CountTrigger, EventTimeTrigger, FiresIn,
    ProcessingTimeTrigger, PurgingTrigger, TriggerKind, WindowTrigger,
};
pub use watermark::{
    BoundedOutOfOrderness, NoWatermarks, Strategies, TimestampAssigner, WatermarkGenerator, WatermarkStrategy,
};

use crate::core::element::Timestamp;
use std::time::{SystemTime, UNIX_EPOCH};

/// Processing time now, in milliseconds since the epoch.
pub fn processing_time_now() -> Timestamp {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as Timestamp)
}

/// A duration as event-time milliseconds.
pub(crate) fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
