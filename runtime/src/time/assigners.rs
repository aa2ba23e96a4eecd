//! Window assigners: which windows a timestamp belongs to, with Flink's boundaries.

use super::millis;
use crate::core::element::Timestamp;
use std::time::Duration;

/// A window of event time `[start, end)`. Its last timestamp is `end - 1`: the window fires
/// when the watermark reaches it.
#[derive(rill::Codec, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeWindow {
    /// Its first millisecond.
    pub start: Timestamp,
    /// The first millisecond after it.
    pub end: Timestamp,
}

impl TimeWindow {
    /// Whether two windows overlap or touch, so that sessions merge (Flink's
    /// `TimeWindow.intersects`).
    pub fn intersects(&self, other: &TimeWindow) -> bool {
        self.start <= other.end && self.end >= other.start
    }

    /// `end - 1`: the timestamp of the window's result, and the watermark that fires it.
    #[inline]
    pub fn max_timestamp(&self) -> Timestamp {
        self.end - 1
    }

    /// Flink's `TimeWindow.getWindowStartWithOffset`: `ts - (ts - offset) mod size`, with the
    /// remainder taken non-negative, so that negative timestamps align too.
    #[inline]
    pub fn start_with_offset(timestamp: Timestamp, offset: i64, size: i64) -> Timestamp {
        timestamp - (timestamp - offset).rem_euclid(size)
    }
}

/// Assigns each record to its windows.
pub trait WindowAssigner: Clone + Send + 'static {
    /// The kind of windows it makes, which decides the triggers they take (see
    /// [`domain`](super::triggers::domain)).
    type Domain;
    /// The windows of a record with this timestamp.
    fn assign(&self, timestamp: Timestamp, windows: &mut Vec<TimeWindow>);
    /// The name shown in plans, as Flink prints it.
    fn describe(&self) -> String;
    /// `(size, slide, offset)` in ms: every window has `size`, a new one starts every
    /// `slide` (tumbling: `slide == size`).
    fn geometry(&self) -> (i64, i64, i64);
    /// Event time (record timestamps, fired by watermarks) or processing time (the clock
    /// when the record arrives, fired by the clock).
    fn is_event_time(&self) -> bool {
        true
    }
    /// Count windows: `(size, slide)` in records, fired by count, not by time.
    fn count(&self) -> Option<(u64, u64)> {
        None
    }
    /// Session windows: the gap in ms after which a key's session closes.
    fn session_gap(&self) -> Option<i64> {
        None
    }
    /// The trigger the windows have unless `trigger(..)` gives one; `None`: fire when time
    /// passes their end.
    fn default_trigger(&self) -> Option<super::TriggerKind> {
        None
    }
    /// Whether records need an event timestamp to be assigned.
    fn needs_timestamps(&self) -> bool {
        self.is_event_time()
    }
    /// Tumbling: each record in exactly one window of a fixed size, so that a record in
    /// the window of the one before needs no assigning.
    fn is_tumbling(&self) -> bool {
        false
    }
}

/// One window per key holding every record, which never ends (Flink's `GlobalWindows`): it
/// fires by the trigger it is given (`trigger(CountTrigger::of(n))`, purging or not, or a
/// continuous event-time trigger), or with `create_with_end_of_stream_trigger()` once at the
/// end of a bounded input.
///
/// ```
/// use rill::prelude::*;
/// #[rill::job(no_main)]
/// fn running_pairs(env: &mut Env) {
///     env.from_elements([("a", 1), ("a", 2), ("a", 3), ("a", 4)])
///         .key_by(|r| r.0)
///         .window(GlobalWindows::create())
///         .trigger(CountTrigger::of(2))
///         .sum(1)
///         .print(); // (a,3) then (a,10): every second record, over all so far
/// }
///
/// RUNNING_PAIRS_JOB.run(Some(1), &[]).unwrap();
/// ```
#[derive(Debug, Clone, Copy)]
pub struct GlobalWindows {
    end_of_stream: bool,
}

impl GlobalWindows {
    /// Never fires unless given a trigger.
    pub fn create() -> Self {
        GlobalWindows { end_of_stream: false }
    }
    /// Fires once, when the input ends (Flink's `createWithEndOfStreamTrigger`).
    pub fn create_with_end_of_stream_trigger() -> Self {
        GlobalWindows { end_of_stream: true }
    }
}

impl WindowAssigner for GlobalWindows {
    type Domain = super::triggers::domain::EventTime;
    fn assign(&self, _: Timestamp, windows: &mut Vec<TimeWindow>) {
        windows.push(GLOBAL_WINDOW);
    }
    fn describe(&self) -> String {
        "GlobalWindows()".to_owned()
    }
    fn geometry(&self) -> (i64, i64, i64) {
        (i64::MAX, i64::MAX, 0)
    }
    fn default_trigger(&self) -> Option<super::TriggerKind> {
        // The end of the input is the watermark that passes the global window's end.
        Some(if self.end_of_stream { super::TriggerKind::EventTime } else { super::TriggerKind::Never })
    }
    fn needs_timestamps(&self) -> bool {
        false
    }
}

/// Sessions of activity per key in event time, closed by a gap with no records (Flink's
/// `EventTimeSessionWindows.withGap`): each record opens `[ts, ts + gap)`, and windows that
/// overlap or touch merge.
#[derive(Debug, Clone, Copy)]
pub struct EventTimeSessionWindows {
    gap: i64,
}

impl EventTimeSessionWindows {
    /// Sessions that end after `gap` without records.
    pub fn with_gap(gap: Duration) -> Self {
        let gap = millis(gap);
        assert!(gap > 0, "EventTimeSessionWindows: the gap must be positive");
        EventTimeSessionWindows { gap }
    }

    /// Sessions whose gap each record sets (Flink's `withDynamicGap`). In a job, write
    /// `EventTimeSessionWindows::with_dynamic_gap(|record| gap)` (the gap a
    /// `Duration`, positive): the compiler makes it this assigner and hands the closure to
    /// the window, where the record type is known.
    ///
    /// ```
    /// use rill::prelude::*;
    /// use std::time::Duration;
    /// #[rill::job(no_main)]
    /// fn visits(env: &mut Env) {
    ///     // (user, time, ms of silence that ends this user's visit)
    ///     env.from_elements([("ann", 0i64, 1_000u64), ("ann", 800, 5_000), ("bob", 100, 500)])
    ///         .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|r, _| r.1))
    ///         .key_by(|r| r.0)
    ///         .window(EventTimeSessionWindows::with_dynamic_gap(|r| Duration::from_millis(r.2)))
    ///         .process(|user, ctx, visits, out| out.collect(format!("{user} [{}, {}): {}", ctx.start, ctx.end, visits.len())))
    ///         .print();
    /// }
    ///
    /// VISITS_JOB.run(Some(1), &[]).unwrap();
    /// ```
    pub const fn per_record_gap() -> Self {
        EventTimeSessionWindows { gap: 0 }
    }
}

impl WindowAssigner for EventTimeSessionWindows {
    type Domain = super::triggers::domain::Sessions;
    fn assign(&self, timestamp: Timestamp, windows: &mut Vec<TimeWindow>) {
        windows.push(TimeWindow { start: timestamp, end: timestamp + self.gap });
    }
    fn describe(&self) -> String {
        match self.gap {
            0 => "DynamicEventTimeSessionWindows()".to_owned(),
            gap => format!("EventTimeSessionWindows({gap})"),
        }
    }
    fn geometry(&self) -> (i64, i64, i64) {
        (self.gap, self.gap, 0)
    }
    fn session_gap(&self) -> Option<i64> {
        Some(self.gap)
    }
}

/// Sessions in processing time (Flink's `ProcessingTimeSessionWindows.withGap`).
#[derive(Debug, Clone, Copy)]
pub struct ProcessingTimeSessionWindows(EventTimeSessionWindows);

impl ProcessingTimeSessionWindows {
    /// Sessions that end after `gap` of processing time without records.
    pub fn with_gap(gap: Duration) -> Self {
        ProcessingTimeSessionWindows(EventTimeSessionWindows::with_gap(gap))
    }

    /// Sessions in processing time whose gap each record sets: in a job, write
    /// `ProcessingTimeSessionWindows::with_dynamic_gap(|record| gap)` (see
    /// [`EventTimeSessionWindows::per_record_gap`]).
    pub const fn per_record_gap() -> Self {
        ProcessingTimeSessionWindows(EventTimeSessionWindows::per_record_gap())
    }
}

impl WindowAssigner for ProcessingTimeSessionWindows {
    type Domain = super::triggers::domain::Sessions;
    fn assign(&self, now: Timestamp, windows: &mut Vec<TimeWindow>) {
        self.0.assign(now, windows)
    }
    fn describe(&self) -> String {
        match self.0.gap {
            0 => "DynamicProcessingTimeSessionWindows()".to_owned(),
            gap => format!("ProcessingTimeSessionWindows({gap})"),
        }
    }
    fn geometry(&self) -> (i64, i64, i64) {
        self.0.geometry()
    }
    fn is_event_time(&self) -> bool {
        false
    }
    fn session_gap(&self) -> Option<i64> {
        self.0.session_gap()
    }
}

/// Windows of a number of records per key (Flink's `countWindow`): all in the global window,
/// whose results carry the largest timestamp. `of(size)` fires every `size` records and
/// starts over; `sliding(size, slide)` fires every `slide` records over the last `size`.
#[derive(Debug, Clone, Copy)]
pub struct CountWindows {
    size: u64,
    slide: u64,
}

impl CountWindows {
    /// Windows of `size` records of a key, one after another.
    pub fn of(size: u64) -> Self {
        assert!(size > 0, "count_window: the size must be positive");
        CountWindows { size, slide: size }
    }
    /// Windows of `size` records of a key, a new one every `slide` records.
    pub fn sliding(size: u64, slide: u64) -> Self {
        assert!(size > 0 && slide > 0, "count_window: size and slide must be positive");
        CountWindows { size, slide }
    }
}

/// The one window of all records, for count windows (Flink's `GlobalWindow`).
pub const GLOBAL_WINDOW: TimeWindow = TimeWindow { start: i64::MIN, end: i64::MAX };

impl WindowAssigner for CountWindows {
    type Domain = super::triggers::domain::Counts;
    fn assign(&self, _: Timestamp, windows: &mut Vec<TimeWindow>) {
        windows.push(GLOBAL_WINDOW);
    }
    fn describe(&self) -> String {
        format!("CountWindows({}, {})", self.size, self.slide)
    }
    fn geometry(&self) -> (i64, i64, i64) {
        (i64::MAX, i64::MAX, 0)
    }
    fn count(&self) -> Option<(u64, u64)> {
        Some((self.size, self.slide))
    }
}

/// Fixed-size, non-overlapping event-time windows (Flink's `TumblingEventTimeWindows`).
#[derive(Debug, Clone, Copy)]
pub struct TumblingEventTimeWindows {
    size: i64,
    offset: i64,
}

impl TumblingEventTimeWindows {
    /// Windows of `size`, one after another.
    pub fn of(size: Duration) -> Self {
        let size = millis(size);
        assert!(size > 0, "TumblingEventTimeWindows: the size must be positive");
        TumblingEventTimeWindows { size, offset: 0 }
    }

    /// Shifts the windows, e.g. to align daily windows to a time zone.
    pub fn with_offset(self, offset: Duration) -> Self {
        TumblingEventTimeWindows { offset: millis(offset) % self.size, ..self }
    }
}

impl WindowAssigner for TumblingEventTimeWindows {
    type Domain = super::triggers::domain::EventTime;
    #[inline]
    fn assign(&self, timestamp: Timestamp, windows: &mut Vec<TimeWindow>) {
        let start = TimeWindow::start_with_offset(timestamp, self.offset, self.size);
        windows.push(TimeWindow { start, end: start + self.size });
    }
    fn describe(&self) -> String {
        format!("TumblingEventTimeWindows({})", self.size)
    }
    fn is_tumbling(&self) -> bool {
        true
    }
    fn geometry(&self) -> (i64, i64, i64) {
        (self.size, self.size, self.offset)
    }
}

/// Fixed-size event-time windows that start every `slide` (Flink's `SlidingEventTimeWindows`).
#[derive(Debug, Clone, Copy)]
pub struct SlidingEventTimeWindows {
    size: i64,
    slide: i64,
    offset: i64,
}

impl SlidingEventTimeWindows {
    /// Windows of `size`, a new one every `slide`.
    pub fn of(size: Duration, slide: Duration) -> Self {
        let (size, slide) = (millis(size), millis(slide));
        assert!(size > 0 && slide > 0, "SlidingEventTimeWindows: size and slide must be positive");
        SlidingEventTimeWindows { size, slide, offset: 0 }
    }

    /// Windows shifted by `offset` (for time zones, as Flink's offset).
    pub fn with_offset(self, offset: Duration) -> Self {
        SlidingEventTimeWindows { offset: millis(offset) % self.slide, ..self }
    }
}

impl WindowAssigner for SlidingEventTimeWindows {
    type Domain = super::triggers::domain::EventTime;
    #[inline]
    fn assign(&self, timestamp: Timestamp, windows: &mut Vec<TimeWindow>) {
        let last_start = TimeWindow::start_with_offset(timestamp, self.offset, self.slide);
        let mut start = last_start;
        while start > timestamp - self.size {
            windows.push(TimeWindow { start, end: start + self.size });
            start -= self.slide;
        }
    }
    fn describe(&self) -> String {
        format!("SlidingEventTimeWindows({}, {})", self.size, self.slide)
    }
    fn geometry(&self) -> (i64, i64, i64) {
        (self.size, self.slide, self.offset)
    }
}

/// Tumbling windows in processing time: a record belongs to the window of the time it
/// arrives (Flink's `TumblingProcessingTimeWindows`).
#[derive(Debug, Clone, Copy)]
pub struct TumblingProcessingTimeWindows(TumblingEventTimeWindows);

impl TumblingProcessingTimeWindows {
    /// Windows of `size` of processing time, one after another.
    pub fn of(size: Duration) -> Self {
        TumblingProcessingTimeWindows(TumblingEventTimeWindows::of(size))
    }
    /// Windows shifted by `offset`.
    pub fn with_offset(self, offset: Duration) -> Self {
        TumblingProcessingTimeWindows(self.0.with_offset(offset))
    }
}

impl WindowAssigner for TumblingProcessingTimeWindows {
    type Domain = super::triggers::domain::ProcessingTime;
    fn assign(&self, now: Timestamp, windows: &mut Vec<TimeWindow>) {
        self.0.assign(now, windows)
    }
    fn describe(&self) -> String {
        format!("TumblingProcessingTimeWindows({})", self.0.size)
    }
    fn is_tumbling(&self) -> bool {
        true
    }
    fn geometry(&self) -> (i64, i64, i64) {
        self.0.geometry()
    }
    fn is_event_time(&self) -> bool {
        false
    }
}

/// Sliding windows in processing time (Flink's `SlidingProcessingTimeWindows`).
#[derive(Debug, Clone, Copy)]
pub struct SlidingProcessingTimeWindows(SlidingEventTimeWindows);

impl SlidingProcessingTimeWindows {
    /// Windows of `size` of processing time, a new one every `slide`.
    pub fn of(size: Duration, slide: Duration) -> Self {
        SlidingProcessingTimeWindows(SlidingEventTimeWindows::of(size, slide))
    }
    /// Windows shifted by `offset`.
    pub fn with_offset(self, offset: Duration) -> Self {
        SlidingProcessingTimeWindows(self.0.with_offset(offset))
    }
}

impl WindowAssigner for SlidingProcessingTimeWindows {
    type Domain = super::triggers::domain::ProcessingTime;
    fn assign(&self, now: Timestamp, windows: &mut Vec<TimeWindow>) {
        self.0.assign(now, windows)
    }
    fn describe(&self) -> String {
        format!("SlidingProcessingTimeWindows({}, {})", self.0.size, self.0.slide)
    }
    fn geometry(&self) -> (i64, i64, i64) {
        self.0.geometry()
    }
    fn is_event_time(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assign(a: &impl WindowAssigner, ts: i64) -> Vec<(i64, i64)> {
        let mut w = Vec::new();
        a.assign(ts, &mut w);
        w.into_iter().map(|w| (w.start, w.end)).collect()
    }

    #[test]
    fn tumbling_windows_start_at_multiples_of_the_size_plus_offset() {
        let t = TumblingEventTimeWindows::of(Duration::from_secs(1));
        assert_eq!(assign(&t, 0), [(0, 1000)]);
        assert_eq!(assign(&t, 999), [(0, 1000)]);
        assert_eq!(assign(&t, 1000), [(1000, 2000)]);
        assert_eq!(assign(&t, -1), [(-1000, 0)]);
        let o = t.with_offset(Duration::from_millis(300));
        assert_eq!(assign(&o, 299), [(-700, 300)]);
        assert_eq!(assign(&o, 300), [(300, 1300)]);
    }

    #[test]
    fn sliding_windows_cover_a_timestamp_size_over_slide_times_latest_first() {
        let s = SlidingEventTimeWindows::of(Duration::from_secs(10), Duration::from_secs(5));
        assert_eq!(assign(&s, 12_000), [(10_000, 20_000), (5_000, 15_000)]);
        assert_eq!(assign(&s, 10_000), [(10_000, 20_000), (5_000, 15_000)]);
        let s = SlidingEventTimeWindows::of(Duration::from_secs(3), Duration::from_secs(1));
        assert_eq!(assign(&s, 2_500), [(2_000, 5_000), (1_000, 4_000), (0, 3_000)]);
    }
}
