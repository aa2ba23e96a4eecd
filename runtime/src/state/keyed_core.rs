//! The keyed-operator core: what every keyed process operator holds besides its function
//! and its key selectors — keyed state, timers in both time domains, the input watermark,
//! the clock, side outputs, a broadcast state where there is one, and the buffer its
//! function writes to — and how it runs: a record or a timer with a [`KeyedContext`] for
//! its key, timers fired in time order as the watermark or processing time passes them, the
//! lifecycle passed on to the side outputs and to what follows.
//!
//! Keyed process, keyed co-process and keyed broadcast process functions run on it, so that
//! state, timers and firing are written (and will be snapshotted and restored) once.

use crate::api::codec::Codec;
use crate::checkpoint::{StateCodec, StateWriter};
use crate::core::collector::{BlockedSend, Collector, Output};
use crate::core::element::{Control, Timestamp, NO_TIMESTAMP};
use crate::core::error::JobError;
use crate::core::panic_scope;
use crate::core::runtime_context::RuntimeContext;
use crate::core::side_output::SideOutputs;
use crate::state::broadcast::BroadcastStore;
use crate::state::context::{KeyedContext, TimeDomain};
use crate::state::key_groups::key_hash;
use crate::state::timers::Timers;
use crate::state::{StateSections, StateStore};
use crate::time::Clock;
use std::hash::Hash;

/// A keyed operator's state, timers, time and outputs, for keys `K` and records out `O`.
pub struct KeyedCore<K, O> {
    /// The operator's id, for the panic scope (failures name the operator).
    id: u32,
    state: StateStore<K>,
    timers: Timers<K>,
    watermark: Timestamp,
    clock: Clock,
    side: SideOutputs,
    /// The broadcast state of a keyed broadcast process function.
    broadcast: Option<BroadcastStore>,
    /// What the function emitted, sent on when it returns (see [`Output`]).
    buffer: Vec<(O, Timestamp)>,
    /// How keys go into a checkpoint.
    key_codec: StateCodec<K>,
    /// Where the state goes at a checkpoint: the writer, the operator's uid, its key groups.
    checkpoint: Option<(StateWriter, &'static str, usize)>,
}

impl<K: Hash + Eq + Clone + Codec + Send + Sync + 'static, O> KeyedCore<K, O> {
    /// The core of operator `id`, writing to the side outputs `side`.
    pub fn new(id: u32, side: SideOutputs) -> Self {
        KeyedCore {
            id,
            state: StateStore::default(),
            timers: Timers::default(),
            watermark: i64::MIN,
            clock: Clock::System,
            side,
            broadcast: None,
            buffer: Vec::new(),
            key_codec: StateCodec::of(),
            checkpoint: None,
        }
    }
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static, O> KeyedCore<K, O> {
    /// With a broadcast state that the function reads (and its broadcast side writes).
    pub fn with_broadcast_state(mut self) -> Self {
        self.broadcast = Some(BroadcastStore::default());
        self
    }

    /// The job's clock (processing time).
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Where the operator's state goes at a checkpoint, once it has opened with checkpoints
    /// on: the writer, its uid, its key groups. For state an operator keeps beside the
    /// core's (a window function's state per window and per key).
    pub(crate) fn checkpoint_to(&self) -> Option<(&StateWriter, &'static str, usize)> {
        self.checkpoint.as_ref().map(|(writer, uid, key_groups)| (writer, *uid, *key_groups))
    }

    /// The operator's side outputs (a join sends late records there).
    pub(crate) fn side_outputs(&mut self) -> &mut SideOutputs {
        &mut self.side
    }

    /// The input watermark: the operator's event time.
    pub fn watermark(&self) -> Timestamp {
        self.watermark
    }

    /// Runs `f` on a record of `key` with timestamp `timestamp`, then sends what it emitted
    /// to `next`.
    #[inline]
    pub fn process<C: Collector<O>>(
        &mut self,
        key: &K,
        timestamp: Timestamp,
        next: &mut C,
        f: impl FnOnce(&mut KeyedContext<'_, K>, &mut Output<'_, O>),
    ) {
        panic_scope::enter(self.id);
        let mut ctx = KeyedContext::new(
            timestamp,
            key,
            &mut self.state,
            &mut self.timers,
            self.watermark,
            None,
            &self.clock,
            &mut self.side,
            self.broadcast.as_mut(),
        );
        f(&mut ctx, &mut Output { buffer: &mut self.buffer, timestamp });
        self.send(next);
    }

    /// Runs `f` on a record of the broadcast side: no key, the broadcast state writable, the
    /// side outputs.
    pub fn process_broadcast<C: Collector<O>>(
        &mut self,
        timestamp: Timestamp,
        next: &mut C,
        f: impl FnOnce(&mut BroadcastStore, &mut SideOutputs, &mut Output<'_, O>),
    ) {
        panic_scope::enter(self.id);
        let store = self.broadcast.get_or_insert_with(BroadcastStore::default);
        f(store, &mut self.side, &mut Output { buffer: &mut self.buffer, timestamp });
        self.send(next);
    }

    /// Fires the timers of `domain` due at `now`, in time order (timers they register and
    /// that are due fire too), each with a context for its key.
    fn fire<C: Collector<O>>(
        &mut self,
        domain: TimeDomain,
        now: Timestamp,
        next: &mut C,
        mut on_timer: impl FnMut(Timestamp, &mut KeyedContext<'_, K>, &mut Output<'_, O>),
    ) {
        loop {
            let queue = match domain {
                TimeDomain::EventTime => &mut self.timers.event_time,
                TimeDomain::ProcessingTime => &mut self.timers.processing_time,
            };
            let Some((time, key)) = queue.pop_due(now) else { break };
            panic_scope::enter(self.id);
            // Event-time timers emit at their time; processing-time ones without a timestamp.
            let ts = if domain == TimeDomain::EventTime { time } else { NO_TIMESTAMP };
            let mut ctx = KeyedContext::new(
                ts,
                &key,
                &mut self.state,
                &mut self.timers,
                self.watermark,
                Some(domain),
                &self.clock,
                &mut self.side,
                self.broadcast.as_mut(),
            );
            on_timer(time, &mut ctx, &mut Output { buffer: &mut self.buffer, timestamp: ts });
            self.send(next);
        }
    }

    fn send<C: Collector<O>>(&mut self, next: &mut C) {
        crate::core::collector::send_buffered(&mut self.buffer, next);
    }

    /// A control element: a watermark advances event time and fires the timers it passes;
    /// every element goes on to the side outputs and to `next`.
    pub fn on_control<C: Collector<O>>(
        &mut self,
        control: Control,
        next: &mut C,
        on_timer: impl FnMut(Timestamp, &mut KeyedContext<'_, K>, &mut Output<'_, O>),
    ) {
        match control {
            Control::Watermark(w) => {
                self.watermark = w;
                self.fire(TimeDomain::EventTime, w, next, on_timer);
            }
            c if c.takes_snapshot() => self.snapshot(),
            _ => {}
        }
        self.side.on_control(control);
        next.on_control(control);
    }

    /// Writes the keyed state, the timers and the broadcast state to the checkpoint (at a
    /// barrier): each a section under the operator's uid, keyed entries by key group. The
    /// keyed state is frozen and the timers copied (a copy of their sets of keys), both
    /// encoded on another thread; the broadcast state (small, and the same in every
    /// subtask) is encoded here.
    fn snapshot(&mut self) {
        let Some((writer, uid, key_groups)) = &self.checkpoint else { return };
        self.state.snapshot(&StateSections {
            key: &self.key_codec,
            hash: key_hash::<K>,
            max_parallelism: *key_groups,
            writer,
            uid,
            kind: "state",
        });
        for (kind, timers) in [("event", &self.timers.event_time), ("processing", &self.timers.processing_time)] {
            let (timers, codec, key_groups) = (timers.clone(), self.key_codec, *key_groups);
            writer.write_later(&format!("{uid}#timers:{kind}"), move || timers.snapshot(&codec, key_groups));
        }
        if let Some(broadcast) = &self.broadcast {
            broadcast.snapshot(writer, uid);
        }
    }

    /// Takes the operator's state back from the checkpoint the job restarts from.
    fn restore(&mut self, ctx: &RuntimeContext<'_>) -> Result<(), JobError> {
        let Some((writer, uid)) = ctx.state_writer(self.id) else { return Ok(()) };
        self.checkpoint = Some((writer, uid, ctx.max_parallelism));
        let Some(restore) = ctx.restore(uid) else { return Ok(()) };
        self.state.restore(self.key_codec, &restore, uid, "state")?;
        let key = self.key_codec;
        for (domain, queue) in
            [("event", &mut self.timers.event_time), ("processing", &mut self.timers.processing_time)]
        {
            let entries = restore
                .keyed(&format!("{uid}#timers:{domain}"), |d| Ok(((key.decode)(d)?, Timestamp::decode(d)?)))
                .map_err(|e| JobError::restore(uid, e))?;
            for (k, time) in entries {
                queue.register(time, &k);
            }
        }
        if let Some(broadcast) = &mut self.broadcast {
            broadcast.restore(&restore, uid);
        }
        Ok(())
    }

    /// Processing time has advanced: fires its due timers, and passes the time on.
    pub fn on_processing_time<C: Collector<O>>(
        &mut self,
        now: Timestamp,
        next: &mut C,
        on_timer: impl FnMut(Timestamp, &mut KeyedContext<'_, K>, &mut Output<'_, O>),
    ) {
        self.fire(TimeDomain::ProcessingTime, now, next, on_timer);
        self.side.on_processing_time(now);
        next.on_processing_time(now);
    }

    /// Takes the job's clock and the state of the checkpoint it restarts from, if any;
    /// opens the side outputs and `next`.
    pub fn open<C: Collector<O>>(&mut self, ctx: &mut RuntimeContext<'_>, next: &mut C) -> Result<(), JobError> {
        self.clock = ctx.clock.clone();
        self.restore(ctx)?;
        self.side.open(ctx)?;
        next.open(ctx)
    }

    /// Flushes the side outputs and `next`.
    pub fn flush<C: Collector<O>>(&mut self, next: &mut C) {
        self.side.flush();
        next.flush()
    }

    /// Hands over the blocked sends of the side outputs and `next`.
    pub fn take_blocked<C: Collector<O>>(&mut self, blocked: &mut Vec<BlockedSend>, next: &mut C) {
        self.side.take_blocked(blocked);
        next.take_blocked(blocked)
    }

    /// Closes the side outputs and `next`.
    pub fn close<C: Collector<O>>(&mut self, next: &mut C) -> Result<(), JobError> {
        self.side.close()?;
        next.close()
    }
}

#[cfg(test)]
impl<K: Hash + Eq + Clone + Send + Sync + 'static, O> KeyedCore<K, O> {
    /// How many keys hold a value of the state `name`.
    pub(crate) fn keys_in<T: Codec + Send + Sync + 'static>(&mut self, name: &'static str) -> usize {
        self.state.map::<T>(name).len()
    }
}

/// The lifecycle methods of an operator with fields `core` (a [`KeyedCore`]), `f` (its
/// function) and `next`, for [`Collector`] and [`TwoInputCollector`](crate::core::two_input::TwoInputCollector)
/// alike: `on_timer` is how the function's timers are called (`|f, time, ctx, out| ..`).
macro_rules! keyed_lifecycle {
    (|$f:ident, $time:ident, $ctx:ident, $out:ident| $on_timer:expr) => {
        fn on_control(&mut self, control: $crate::Control) {
            let $f = &mut self.f;
            self.core.on_control(control, &mut self.next, |$time, $ctx, $out| $on_timer)
        }
        fn on_processing_time(&mut self, now: $crate::Timestamp) {
            let $f = &mut self.f;
            self.core.on_processing_time(now, &mut self.next, |$time, $ctx, $out| $on_timer)
        }
        fn open(&mut self, ctx: &mut $crate::RuntimeContext<'_>) -> ::std::result::Result<(), $crate::JobError> {
            self.core.open(ctx, &mut self.next)
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
pub(crate) use keyed_lifecycle;
