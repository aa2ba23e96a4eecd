//! Triggers: when a window emits its result (Flink's `Trigger`s). By default a window fires
//! once time passes its end; `trigger(..)` replaces that.
//!
//! ```
//! use rill::prelude::*;
//! use std::time::Duration;
//! #[rill::job(no_main)]
//! fn pairs(env: &mut Env) {
//!     env.from_elements([("a", 1i64), ("a", 2), ("a", 3)])
//!         .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|_, _| 0))
//!         .key_by(|r| r.0)
//!         .window(TumblingEventTimeWindows::of(Duration::from_secs(10)))
//!         .trigger(PurgingTrigger::of(CountTrigger::of(2)))
//!         .sum(1)
//!         .print();
//! }
//!
//! PAIRS_JOB.run(Some(1), &[]).unwrap();
//! ```

use super::millis;
use std::time::Duration;

/// When a window fires, and whether firing clears it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriggerKind {
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
    Purging(Box<TriggerKind>),
    /// Never fires (the default of `GlobalWindows`, whose one window never ends: give it a
    /// trigger).
    Never,
}

impl TriggerKind {
    #[inline]
    pub(crate) fn purges(&self) -> bool {
        matches!(self, TriggerKind::Purging(_))
    }
    /// The trigger a `PurgingTrigger` wraps (a loop, not a recursion: it is inlined into
    /// the window operator's per-record path).
    #[inline]
    pub(crate) fn inner(&self) -> &TriggerKind {
        let mut t = self;
        while let TriggerKind::Purging(inner) = t {
            t = inner;
        }
        t
    }
}

/// The time domain a trigger fires in, or the kind of windows an assigner makes: a trigger
/// fires only windows of its domain, so `trigger(..)` with one of another domain (or on
/// windows that take no trigger) is a compile error at the call, not a failure when the job
/// starts.
pub mod domain {
    /// Fired by watermarks: event-time windows, `GlobalWindows`, event-time triggers.
    pub enum EventTime {}
    /// Fired by the clock: processing-time windows and triggers.
    pub enum ProcessingTime {}
    /// Fires in either domain: `CountTrigger`.
    pub enum AnyTime {}
    /// Session windows fire when their session ends; they take no trigger.
    pub enum Sessions {}
    /// Count windows fire by their count; they take no trigger.
    pub enum Counts {}
}

/// A trigger that fires windows of domain `D` (see [`domain`]). Made by Flink's trigger
/// classes: `CountTrigger::of(100)`, `PurgingTrigger::of(..)`, ...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowTrigger<D> {
    trigger: TriggerKind,
    _domain: std::marker::PhantomData<fn() -> D>,
}

impl<D> WindowTrigger<D> {
    fn new(trigger: TriggerKind) -> Self {
        WindowTrigger { trigger, _domain: std::marker::PhantomData }
    }

    /// What the window operator runs.
    pub fn into_trigger(self) -> TriggerKind {
        self.trigger
    }
}

/// A trigger of domain `Self` fires windows of domain `D`.
#[diagnostic::on_unimplemented(
    message = "a trigger of `{Self}` cannot fire windows of `{D}`",
    label = "this trigger fires in the other time domain than its windows, or its windows take no trigger",
    note = "event-time windows take event-time triggers, processing-time windows processing-time ones; `CountTrigger` fits both; session and count windows take none"
)]
pub trait FiresIn<D> {}
impl FiresIn<domain::EventTime> for domain::EventTime {}
impl FiresIn<domain::ProcessingTime> for domain::ProcessingTime {}
impl FiresIn<domain::EventTime> for domain::AnyTime {}
impl FiresIn<domain::ProcessingTime> for domain::AnyTime {}

/// Flink's `EventTimeTrigger`.
pub struct EventTimeTrigger;
impl EventTimeTrigger {
    /// Fires once the watermark passes the window's end.
    pub fn create() -> WindowTrigger<domain::EventTime> {
        WindowTrigger::new(TriggerKind::EventTime)
    }
}

/// Flink's `ProcessingTimeTrigger`.
pub struct ProcessingTimeTrigger;
impl ProcessingTimeTrigger {
    /// Fires once processing time passes the window's end.
    pub fn create() -> WindowTrigger<domain::ProcessingTime> {
        WindowTrigger::new(TriggerKind::ProcessingTime)
    }
}

/// Flink's `CountTrigger`.
pub struct CountTrigger;
impl CountTrigger {
    /// Fires every `count` records of a key in a window.
    pub fn of(count: u64) -> WindowTrigger<domain::AnyTime> {
        assert!(count > 0, "CountTrigger: the count must be positive");
        WindowTrigger::new(TriggerKind::Count(count))
    }
}

/// Flink's `PurgingTrigger`.
pub struct PurgingTrigger;
impl PurgingTrigger {
    /// Fires as `trigger` does and clears the window each time.
    pub fn of<D>(trigger: WindowTrigger<D>) -> WindowTrigger<D> {
        WindowTrigger::new(TriggerKind::Purging(Box::new(trigger.trigger)))
    }
}

/// Flink's `ContinuousEventTimeTrigger`.
pub struct ContinuousEventTimeTrigger;
impl ContinuousEventTimeTrigger {
    /// Fires every `interval` of event time while the window is open, and at its end.
    pub fn of(interval: Duration) -> WindowTrigger<domain::EventTime> {
        WindowTrigger::new(TriggerKind::ContinuousEventTime(millis(interval).max(1)))
    }
}

/// Flink's `ContinuousProcessingTimeTrigger`.
pub struct ContinuousProcessingTimeTrigger;
impl ContinuousProcessingTimeTrigger {
    /// Fires every `interval` of processing time while the window is open, and at its end.
    pub fn of(interval: Duration) -> WindowTrigger<domain::ProcessingTime> {
        WindowTrigger::new(TriggerKind::ContinuousProcessingTime(millis(interval).max(1)))
    }
}
