//! Processing time: the system clock, or a clock that a test moves by hand, so that
//! processing-time windows and timers are tested deterministically.
//!
//! ```
//! use rill::time::{Clock, ManualClock};
//! use std::time::Duration;
//! let clock = ManualClock::new(1_000);
//! let c = Clock::Manual(clock.clone());
//! clock.advance(Duration::from_millis(500));
//! assert_eq!(c.now(), 1_500);
//! ```

use crate::core::element::Timestamp;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Where processing time comes from.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    /// The system clock (milliseconds since the epoch).
    #[default]
    System,
    /// A clock moved by hand.
    Manual(ManualClock),
}

impl Clock {
    /// Milliseconds since the epoch, now.
    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => super::processing_time_now(),
            Clock::Manual(m) => m.0.load(Ordering::SeqCst),
        }
    }
}

/// A clock that only moves when told to; clones share the time.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock that starts at `start` and moves only when told.
    pub fn new(start: Timestamp) -> Self {
        ManualClock(Arc::new(AtomicI64::new(start)))
    }
    /// Moves the clock on by `by`.
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(super::millis(by), Ordering::SeqCst);
    }
    /// Sets the clock to `to`.
    pub fn set(&self, to: Timestamp) {
        self.0.store(to, Ordering::SeqCst);
    }
}
