//! The core of an operator without keys whose function sees a context (a process function,
//! a co-process or broadcast process function without keys): the operator's id for the
//! panic scope, its input watermark, the side outputs its function writes, and the buffer
//! the function collects into — and how a record runs: the function, then what it emitted
//! sent on. The lifecycle goes to the side outputs and then to what follows. It is the
//! keyed core's counterpart for operators without keyed state or timers.

use crate::core::collector::{send_buffered, BlockedSend, Collector, Output};
use crate::core::element::{Control, Timestamp};
use crate::core::error::JobError;
use crate::core::panic_scope;
use crate::core::runtime_context::RuntimeContext;
use crate::core::side_output::SideOutputs;

/// What a function without keys sees of its operator: the watermark and the side outputs.
pub(crate) struct Around<'a> {
    pub(crate) watermark: Timestamp,
    pub(crate) sides: &'a mut SideOutputs,
}

/// An operator's watermark, side outputs and output buffer, for records out `O`.
pub(crate) struct PlainCore<O> {
    id: u32,
    watermark: Timestamp,
    sides: SideOutputs,
    buffer: Vec<(O, Timestamp)>,
}

impl<O> PlainCore<O> {
    /// The core of operator `id`, whose function writes to the side outputs `sides`.
    pub(crate) fn new(id: u32, sides: SideOutputs) -> Self {
        PlainCore { id, watermark: i64::MIN, sides, buffer: Vec::new() }
    }

    /// The operator's id.
    pub(crate) fn id(&self) -> u32 {
        self.id
    }

    /// Runs `f` on a record with timestamp `timestamp`, then sends what it emitted to `next`.
    #[inline]
    pub(crate) fn process<C: Collector<O>>(
        &mut self,
        timestamp: Timestamp,
        next: &mut C,
        f: impl FnOnce(Around<'_>, &mut Output<'_, O>),
    ) {
        panic_scope::enter(self.id);
        let around = Around { watermark: self.watermark, sides: &mut self.sides };
        f(around, &mut Output { buffer: &mut self.buffer, timestamp });
        send_buffered(&mut self.buffer, next);
    }

    /// A control element: a watermark is the operator's event time from now on; every
    /// element goes on to the side outputs and to `next`.
    pub(crate) fn on_control<C: Collector<O>>(&mut self, control: Control, next: &mut C) {
        if let Control::Watermark(w) = control {
            self.watermark = w;
        }
        self.sides.on_control(control);
        next.on_control(control);
    }

    pub(crate) fn open<C: Collector<O>>(&mut self, ctx: &mut RuntimeContext<'_>, next: &mut C) -> Result<(), JobError> {
        self.sides.open(ctx)?;
        next.open(ctx)
    }

    pub(crate) fn on_processing_time<C: Collector<O>>(&mut self, now: Timestamp, next: &mut C) {
        self.sides.on_processing_time(now);
        next.on_processing_time(now);
    }

    pub(crate) fn flush<C: Collector<O>>(&mut self, next: &mut C) {
        self.sides.flush();
        next.flush();
    }

    pub(crate) fn take_blocked<C: Collector<O>>(&mut self, blocked: &mut Vec<BlockedSend>, next: &mut C) {
        self.sides.take_blocked(blocked);
        next.take_blocked(blocked);
    }

    pub(crate) fn close<C: Collector<O>>(&mut self, next: &mut C) -> Result<(), JobError> {
        self.sides.close()?;
        next.close()
    }
}

/// The lifecycle methods of an operator with fields `core` (a [`PlainCore`]) and `next`,
/// for [`Collector`] and two-input collectors alike; `on_control` and `open` are the
/// operator's own where it has state to snapshot or restore.
macro_rules! plain_lifecycle {
    () => {
        fn on_control(&mut self, control: $crate::Control) {
            self.core.on_control(control, &mut self.next)
        }
        fn open(&mut self, ctx: &mut $crate::RuntimeContext<'_>) -> ::std::result::Result<(), $crate::JobError> {
            self.core.open(ctx, &mut self.next)
        }
        $crate::core::plain_core::plain_lifecycle!(except_control_and_open);
    };
    (except_control_and_open) => {
        fn on_processing_time(&mut self, now: $crate::Timestamp) {
            self.core.on_processing_time(now, &mut self.next)
        }
        fn flush(&mut self) {
            self.core.flush(&mut self.next)
        }
        fn take_blocked(&mut self, blocked: &mut ::std::vec::Vec<$crate::core::collector::BlockedSend>) {
            self.core.take_blocked(blocked, &mut self.next)
        }
        fn close(&mut self) -> ::std::result::Result<(), $crate::JobError> {
            self.core.close(&mut self.next)
        }
    };
}
pub(crate) use plain_lifecycle;
