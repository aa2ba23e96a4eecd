//! Batches sized by how fast the consumer takes them (Flink's buffer debloating).
//!
//! A full batch was 1 024 records (up to 16 384 now) and a consumer's queue holds four per channel: behind a
//! sink that takes 1 ms a record, that is five seconds of records in flight, and a
//! checkpoint barrier waits behind all of them (measured: no checkpoint completed in four
//! seconds). When its sends have to wait, a writer measures the rate its consumers take
//! records at and sizes its batches so that a queue holds about [`TARGET_IN_FLIGHT`] of
//! them; when they no longer wait, batches grow back. A fast consumer takes full batches
//! as before: 30 M records/s make full batches whatever the target.

use super::{BATCHES_PER_CHANNEL, BATCH_SIZE};
use std::time::{Duration, Instant};

/// How long the records queued for a consumer may take it, once sized.
pub const TARGET_IN_FLIGHT: Duration = Duration::from_millis(100);

/// How often the batch size is reconsidered.
const EVERY: Duration = Duration::from_millis(20);

/// What a writer counts to size its batches.
pub(crate) struct Debloat {
    /// Records per batch now.
    pub limit: usize,
    /// Records per batch at most (see [`super::batch_ceiling`]).
    pub max: usize,
    since: Instant,
    sent: usize,
    waited: bool,
}

/// The batch size a writer starts at: it doubles every [`EVERY`] while sends do not wait
/// (1 024 after 80 ms, 16 384 after 160 ms), and a consumer's queue does not fill with
/// seconds of records before its rate is known.
const START: usize = 64;

impl Default for Debloat {
    fn default() -> Self {
        Debloat { limit: START, max: BATCH_SIZE, since: Instant::now(), sent: 0, waited: false }
    }
}

impl Debloat {
    /// A batch of `records` was sent (`waited`: it found its consumer's queue full) to one
    /// of `consumers`; now and then the batch size follows the rate they take records at.
    #[inline]
    pub(crate) fn sent(&mut self, records: usize, waited: bool, consumers: usize) {
        self.sent += records;
        self.waited |= waited;
        if self.waited || self.limit < self.max {
            self.adapt(consumers);
        }
    }

    #[cold]
    fn adapt(&mut self, consumers: usize) {
        let elapsed = self.since.elapsed();
        if elapsed < EVERY {
            return;
        }
        self.limit = if self.waited {
            // Waiting, the writer sends as fast as its consumers take.
            let per_consumer = self.sent as f64 / elapsed.as_secs_f64() / consumers.max(1) as f64;
            let queued = per_consumer * TARGET_IN_FLIGHT.as_secs_f64() / BATCHES_PER_CHANNEL as f64;
            (queued.round() as usize).clamp(1, self.max)
        } else {
            (self.limit * 2).min(self.max)
        };
        self.since = Instant::now();
        self.sent = 0;
        self.waited = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_shrink_to_a_slow_consumer_and_grow_back() {
        let mut d = Debloat::default();
        assert_eq!(d.limit, START);
        // 1 000 records/s taken by one consumer, every send waiting.
        d.since = Instant::now() - Duration::from_millis(100);
        d.sent(100, true, 1);
        assert_eq!(d.limit, 25, "100 ms of records over 4 queued batches");
        // A fast consumer: batches grow to full size.
        let mut fast = Debloat { since: Instant::now() - Duration::from_millis(100), ..Debloat::default() };
        fast.sent(3_000_000, true, 1);
        assert_eq!(fast.limit, BATCH_SIZE, "at most its ceiling");
        // No more waiting: the size doubles back.
        d.since = Instant::now() - EVERY;
        d.sent(25, false, 1);
        assert_eq!(d.limit, 50);
    }
}
