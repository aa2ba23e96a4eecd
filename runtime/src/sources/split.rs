//! `env.from_source(source, strategy, name)`: a source whose input comes in splits (Kafka
//! partitions), with the watermark strategy run per split inside the source, as Flink's
//! `SourceReader` does. The source emits the minimum over its active splits, so one slow
//! partition does not turn the others' records into late data; a split that is idle (no
//! records for the strategy's idleness timeout) or finished is left out, and a subtask with
//! no split at all is idle rather than a watermark that never moves.

use super::{Positions, Source, SourceContext, SourceStatus};
use crate::api::OutputTag;
use crate::core::collector::Collector;
use crate::core::element::{Control, Timestamp};
use crate::core::error::JobError;
use crate::time::watermark::{TimestampAssigner, NO_WATERMARK};
use crate::time::{Clock, Strategies, WatermarkGenerator, WatermarkStrategy};
use std::future::Future;

/// Where a split source puts its records: each with the split it came from.
pub trait SplitOutput<T> {
    /// One record of split `split` (an index below [`SplitSource::splits`]), with the
    /// timestamp the input gives it (Kafka's record timestamp) or `NO_TIMESTAMP`.
    fn collect(&mut self, split: usize, value: T, timestamp: Timestamp);
    /// Split `split` has no more records (a bounded Kafka partition reached its stop offset).
    fn finish_split(&mut self, split: usize);
    /// Sends what is buffered downstream (before the source waits for input).
    fn flush(&mut self);
    /// Routes `value` to the source's side output `tag` (`from_source(..).side_output(&TAG)`);
    /// `false` when the job does not read that side output.
    fn side_output<V: 'static>(&mut self, tag: &OutputTag<V>, value: V, timestamp: Timestamp) -> bool;
    /// A split found while the source runs (a Kafka partition discovered): its index, the
    /// next one. Its watermark starts at the beginning of time and holds the source's back
    /// until its first record or until it is idle, as in Flink.
    fn add_split(&mut self) -> usize;
}

/// A source that reads splits. One copy runs in each subtask; `open` decides its splits.
pub trait SplitSource: Clone + Send + 'static {
    /// The records it emits.
    type Out: Send + 'static;

    /// Called once per subtask before the first poll: finds this subtask's splits.
    fn open(&mut self, ctx: &SourceContext) -> Result<(), JobError>;

    /// How many splits this subtask reads (after `open`).
    fn splits(&self) -> usize;

    /// Emits what is available, up to about one batch, waiting if nothing is (flushing
    /// `out` first). Must be cancel-safe: the task may drop it at an await.
    fn poll<O: SplitOutput<Self::Out> + Send>(
        &mut self,
        out: &mut O,
    ) -> impl Future<Output = Result<SourceStatus, JobError>> + Send;

    /// How much of a bounded input this subtask has read (see [`Source::progress`]).
    fn progress(&self) -> Option<(u64, u64)> {
        None
    }

    /// Called when the job ends, normally or not: commit, close connections.
    fn close(&mut self) -> Result<(), JobError> {
        Ok(())
    }

    /// Where the source stands, for a checkpoint (see [`Source::snapshot_position`]).
    fn snapshot_position(&self) -> Option<Vec<u8>> {
        None
    }

    /// Resumes from a checkpoint's positions (see [`Source::restore_positions`]).
    fn restore_positions(&mut self, _positions: &Positions<'_>) -> Result<(), JobError> {
        Ok(())
    }
}

/// The watermark state of one split.
#[derive(Clone)]
struct SplitClock<G> {
    generator: G,
    watermark: Timestamp,
    last_record: Timestamp,
    seen: bool,
    idle: bool,
    finished: bool,
}

impl<G> SplitClock<G> {
    fn new(generator: G, now: Timestamp) -> Self {
        SplitClock { generator, watermark: NO_WATERMARK, last_record: now, seen: false, idle: false, finished: false }
    }
}

/// A [`SplitSource`] with its watermark strategy: what `from_source` makes.
#[derive(Clone)]
pub struct FromSource<S, G, A> {
    source: S,
    generator: G,
    assigner: A,
    idleness: Option<i64>,
    splits: Vec<SplitClock<G>>,
    emitted: Timestamp,
    idle: bool,
    interval: i64,
    next_emit: Timestamp,
    clock: Clock,
}

impl<S: SplitSource, G: WatermarkGenerator<S::Out>, A: TimestampAssigner<S::Out>> FromSource<S, G, A> {
    /// `make` builds the strategy from the constructors for the source's record type (the
    /// compiler passes `|s| s.for_bounded_out_of_orderness(..)` for a
    /// `WatermarkStrategy::for_bounded_out_of_orderness(..)` written in the job).
    pub fn new(source: S, make: impl FnOnce(Strategies<S::Out>) -> WatermarkStrategy<S::Out, G, A>) -> Self {
        let strategy = make(Strategies::default());
        FromSource {
            source,
            generator: strategy.generator,
            assigner: strategy.assigner,
            idleness: strategy.idleness.map(crate::time::millis),
            splits: Vec::new(),
            emitted: NO_WATERMARK,
            idle: false,
            interval: 200,
            next_emit: 0,
            clock: Clock::default(),
        }
    }

    /// The combined watermark: the minimum over splits that are neither idle nor finished;
    /// `None` when every split is (the subtask is idle, or at its end).
    fn combined(&self) -> Option<Timestamp> {
        self.splits.iter().filter(|s| !s.idle && !s.finished).map(|s| s.watermark).min()
    }

    fn emit<C: Collector<S::Out>>(&mut self, out: &mut C) {
        match self.combined() {
            Some(w) => {
                if self.idle {
                    self.idle = false;
                    out.on_control(Control::Active);
                }
                if w > self.emitted {
                    self.emitted = w;
                    out.on_control(Control::Watermark(w));
                }
            }
            None if self.splits.iter().all(|s| s.finished) && !self.splits.is_empty() => {}
            None => {
                if !self.idle {
                    self.idle = true;
                    out.on_control(Control::Idle);
                }
            }
        }
    }

    /// Every auto-watermark interval: the periodic watermarks of the splits, and idleness.
    fn periodic<C: Collector<S::Out>>(&mut self, out: &mut C) {
        let now = self.clock.now();
        if now < self.next_emit {
            return;
        }
        self.next_emit = now + self.interval;
        for s in &mut self.splits {
            if let Some(w) = s.generator.on_periodic_emit() {
                s.watermark = s.watermark.max(w);
            }
            if let Some(timeout) = self.idleness {
                if std::mem::take(&mut s.seen) {
                    s.last_record = now;
                }
                if !s.idle && now - s.last_record >= timeout {
                    s.idle = true;
                }
            }
        }
        self.emit(out);
    }
}

/// The [`SplitOutput`] handed to the split source: stamps each record, feeds its split's
/// generator and passes it on.
struct Stamp<'a, G, A, C> {
    splits: &'a mut Vec<SplitClock<G>>,
    /// The generator new splits start from, and the time they are found at.
    generator: G,
    now: Timestamp,
    assigner: &'a mut A,
    out: &'a mut C,
    /// A per-event generator moved a split's watermark, or a split woke up or finished:
    /// the combined watermark is recomputed after the poll.
    changed: bool,
}

impl<T, G: WatermarkGenerator<T>, A: TimestampAssigner<T>, C: Collector<T>> SplitOutput<T> for Stamp<'_, G, A, C> {
    #[inline]
    fn collect(&mut self, split: usize, value: T, timestamp: Timestamp) {
        let s = &mut self.splits[split];
        let ts = self.assigner.extract(&value, timestamp);
        if let Some(w) = s.generator.on_event(&value, ts) {
            s.watermark = s.watermark.max(w);
            self.changed = true;
        }
        s.seen = true;
        if s.idle {
            s.idle = false;
            self.changed = true;
        }
        self.out.collect(value, ts);
    }
    fn finish_split(&mut self, split: usize) {
        self.splits[split].finished = true;
        self.changed = true;
    }
    fn flush(&mut self) {
        self.out.flush()
    }
    fn side_output<V: 'static>(&mut self, tag: &OutputTag<V>, value: V, timestamp: Timestamp) -> bool {
        self.out.source_side_outputs().is_some_and(|sides| sides.try_emit(tag, value, timestamp))
    }
    fn add_split(&mut self) -> usize {
        self.splits.push(SplitClock::new(self.generator.clone(), self.now));
        self.changed = true;
        self.splits.len() - 1
    }
}

impl<S, G, A> Source for FromSource<S, G, A>
where
    S: SplitSource,
    G: WatermarkGenerator<S::Out>,
    A: TimestampAssigner<S::Out>,
{
    type Out = S::Out;

    fn open(&mut self, ctx: &SourceContext) -> Result<(), JobError> {
        self.interval = (crate::time::millis(ctx.auto_watermark_interval)).max(1);
        self.clock = ctx.clock.clone();
        self.source.open(ctx)?;
        let now = self.clock.now();
        self.splits = vec![SplitClock::new(self.generator.clone(), now); self.source.splits()];
        self.next_emit = now;
        Ok(())
    }

    fn snapshot_position(&self) -> Option<Vec<u8>> {
        self.source.snapshot_position()
    }

    fn progress(&self) -> Option<(u64, u64)> {
        self.source.progress()
    }

    fn restore_positions(&mut self, positions: &Positions<'_>) -> Result<(), JobError> {
        self.source.restore_positions(positions)
    }

    async fn poll<C: Collector<S::Out>>(&mut self, out: &mut C) -> Result<SourceStatus, JobError> {
        self.periodic(out);
        let mut stamp = Stamp {
            splits: &mut self.splits,
            generator: self.generator.clone(),
            now: self.clock.now(),
            assigner: &mut self.assigner,
            out: &mut *out,
            changed: false,
        };
        let status = self.source.poll(&mut stamp).await;
        let changed = stamp.changed;
        if changed {
            self.emit(out);
        }
        self.periodic(out);
        match status {
            // The task then moves event time to the end (`MAX_WATERMARK`).
            Ok(SourceStatus::Done) => {
                self.source.close()?;
                Ok(SourceStatus::Done)
            }
            other => other,
        }
    }
}
