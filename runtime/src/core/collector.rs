//! The push interface between fused operators.
//!
//! A chain is a nest of structs, each holding the next operator, so that a record passes
//! from operator to operator by value, as an ordinary (inlined) call: no channel, no
//! `Box<dyn>`, no serialization inside a chain.

use crate::core::element::{Control, Timestamp};
use crate::core::error::JobError;
use crate::core::runtime_context::RuntimeContext;
use std::future::Future;
use std::pin::Pin;

/// A send that could not complete at once because the receiving channel was full. The
/// task awaits these before it takes more input: that is how backpressure travels upstream.
pub type BlockedSend = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>>;

/// An operator (or sink, or exchange writer) that receives records of type `T`.
///
/// Every method but `collect` has a lifecycle meaning and must be forwarded to the next
/// operator; [`forward_lifecycle!`](crate::forward_lifecycle) writes the forwarding.
pub trait Collector<T>: Send {
    /// One record, with its event timestamp ([`NO_TIMESTAMP`](crate::NO_TIMESTAMP) if none).
    fn collect(&mut self, value: T, timestamp: Timestamp);

    /// A record its sender keeps (a rolling aggregate, which stays in state): the default
    /// copies it for [`collect`](Collector::collect); what only reads a record (an exchange
    /// that encodes it, a printing or discarding sink) takes it by reference, and nothing
    /// is copied.
    #[inline]
    fn collect_ref(&mut self, value: &T, timestamp: Timestamp)
    where
        T: Clone,
    {
        self.collect(value.clone(), timestamp);
    }

    /// A control element: operators that buffer (windows, later) act on it, then forward it.
    fn on_control(&mut self, control: Control);

    /// Called once per subtask before the first record: operators learn their subtask, sinks
    /// open files, exchange writers connect to their channels.
    fn open(&mut self, ctx: &mut RuntimeContext<'_>) -> Result<(), JobError>;

    /// Processing time has advanced to `now` (milliseconds since the epoch): periodic
    /// watermarks are emitted here, processing-time timers fire here.
    fn on_processing_time(&mut self, now: Timestamp);

    /// Sends partly filled output batches now (the task calls it when its input is idle and
    /// when the buffer timeout expires), trading a little throughput for latency.
    fn flush(&mut self);

    /// Hands over the sends that are waiting for room in a full channel.
    fn take_blocked(&mut self, blocked: &mut Vec<BlockedSend>);

    /// Called once after end of input has been forwarded: sinks flush and close.
    fn close(&mut self) -> Result<(), JobError>;

    /// The side outputs a source writes to (`from_source(..).side_output(&TAG)`): only the
    /// head of a source's chain has them (see `sources::side`).
    fn source_side_outputs(&mut self) -> Option<&mut crate::core::side_output::SideOutputs> {
        None
    }
}

/// Forwards the lifecycle methods of [`Collector`] to the fields that hold what follows the
/// operator (its side or late outputs first, then the next operator), in order:
/// `forward_lifecycle!(next)`, `forward_lifecycle!(sides, next)`, `forward_lifecycle!(0, 1)`.
#[macro_export]
macro_rules! forward_lifecycle {
    ($($field:tt),+) => {
        fn on_control(&mut self, control: $crate::Control) {
            $(self.$field.on_control(control);)+
        }
        $crate::forward_lifecycle_except_control!($($field),+);
    };
}

/// Forwards every lifecycle method but `on_control`, for operators that act on control
/// elements themselves.
#[macro_export]
macro_rules! forward_lifecycle_except_control {
    ($($field:tt),+) => {
        fn on_processing_time(&mut self, now: $crate::Timestamp) {
            $(self.$field.on_processing_time(now);)+
        }
        $crate::forward_open_and_buffers!($($field),+);
    };
}

/// Forwards every lifecycle method but `on_control` and `open`, for operators that act on
/// control elements and restore their state when they open (stateful operators).
#[macro_export]
macro_rules! forward_lifecycle_except_control_and_open {
    ($($field:tt),+) => {
        fn on_processing_time(&mut self, now: $crate::Timestamp) {
            $(self.$field.on_processing_time(now);)+
        }
        $crate::forward_buffers!($($field),+);
    };
}

/// Forwards `open` and the buffer methods, for operators that act on control elements and
/// processing time themselves.
#[macro_export]
macro_rules! forward_open_and_buffers {
    ($($field:tt),+) => {
        fn open(&mut self, ctx: &mut $crate::RuntimeContext<'_>) -> ::std::result::Result<(), $crate::JobError> {
            $(self.$field.open(ctx)?;)+
            Ok(())
        }
        $crate::forward_buffers!($($field),+);
    };
}

/// Forwards `flush`, `take_blocked` and `close` to each of the fields given, in order.
#[macro_export]
macro_rules! forward_buffers {
    ($($field:tt),+) => {
        fn flush(&mut self) {
            $(self.$field.flush();)+
        }
        fn take_blocked(&mut self, blocked: &mut ::std::vec::Vec<$crate::core::collector::BlockedSend>) {
            $(self.$field.take_blocked(blocked);)+
        }
        fn close(&mut self) -> ::std::result::Result<(), $crate::JobError> {
            $(self.$field.close()?;)+
            Ok(())
        }
    };
}

/// The collector a `process` function writes to. Records are buffered and handed to the
/// next operator when the function returns, which keeps the function's type independent of
/// what follows it in the chain (and so needs no type annotation in user code).
pub struct Output<'a, T> {
    pub(crate) buffer: &'a mut Vec<(T, Timestamp)>,
    pub(crate) timestamp: Timestamp,
}

/// Sends what a function collected into `buffer` on to `next`, in order (the buffer keeps
/// its capacity for the next record).
#[inline]
pub(crate) fn send_buffered<T, C: Collector<T>>(buffer: &mut Vec<(T, Timestamp)>, next: &mut C) {
    for (value, timestamp) in buffer.drain(..) {
        next.collect(value, timestamp);
    }
}

impl<T> Output<'_, T> {
    /// Emits a record with the timestamp of the input record.
    pub fn collect(&mut self, value: T) {
        self.buffer.push((value, self.timestamp));
    }

    /// Emits a record with an explicit event timestamp.
    pub fn collect_with_timestamp(&mut self, value: T, timestamp: Timestamp) {
        self.buffer.push((value, timestamp));
    }
}

/// What unit tests of operators collect into.
#[cfg(test)]
pub(crate) mod testing {
    use super::{BlockedSend, Collector};
    use crate::core::element::{Control, Timestamp};
    use crate::core::error::JobError;
    use crate::core::runtime_context::RuntimeContext;

    /// The records an operator emitted, with their timestamps, in order.
    pub(crate) struct Sink<T>(pub(crate) Vec<(T, Timestamp)>);

    impl<T> Default for Sink<T> {
        fn default() -> Self {
            Sink(Vec::new())
        }
    }

    impl<T: Send> Collector<T> for Sink<T> {
        fn collect(&mut self, value: T, timestamp: Timestamp) {
            self.0.push((value, timestamp));
        }
        fn on_control(&mut self, _: Control) {}
        fn open(&mut self, _: &mut RuntimeContext<'_>) -> Result<(), JobError> {
            Ok(())
        }
        fn on_processing_time(&mut self, _: Timestamp) {}
        fn flush(&mut self) {}
        fn take_blocked(&mut self, _: &mut Vec<BlockedSend>) {}
        fn close(&mut self) -> Result<(), JobError> {
            Ok(())
        }
    }
}
