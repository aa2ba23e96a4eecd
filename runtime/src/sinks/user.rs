//! `sink_to`: a sink of the user's own. Any `FnMut(T)` closure is a sink; a type that
//! implements [`Sink`] can also open resources per subtask and finish at end of input.
//!
//! ```
//! use rill::prelude::*;
//! #[rill::job(no_main)]
//! fn custom(env: &mut Env) {
//!     env.from_elements([1, 2, 3]).sink_to(|n: i32| assert!(n > 0));
//! }
//!
//! CUSTOM_JOB.run(Some(1), &[]).unwrap();
//! ```

use crate::core::collector::{BlockedSend, Collector};
use crate::core::element::{Control, Timestamp};
use crate::core::error::JobError;
use crate::core::pipe::{Branch, ChainBuilder, Pipe, Tail};
use crate::core::runtime_context::RuntimeContext;

/// A user-defined sink (Flink's `SinkWriter`). One copy runs in every subtask.
pub trait Sink<T>: Clone + Send + 'static {
    /// Called once per subtask before the first record.
    fn open(&mut self, _subtask: usize, _parallelism: usize) -> Result<(), JobError> {
        Ok(())
    }
    /// Called for each record.
    fn write(&mut self, value: T);
    /// Called once at end of input: flush what is buffered.
    fn finish(&mut self) -> Result<(), JobError> {
        Ok(())
    }

    /// A checkpoint's barrier passed (the first phase of Flink's two-phase commit): make
    /// what was written so far ready to commit, and return what a restore needs to commit
    /// or discard it (pending files, open transactions). `None`: the sink keeps nothing.
    fn snapshot_state(&mut self, _checkpoint: u64) -> Result<Option<Vec<u8>>, JobError> {
        Ok(None)
    }

    /// The checkpoint completed (the second phase): commit what was made ready for it and
    /// for the checkpoints before it.
    fn notify_checkpoint_complete(&mut self, _checkpoint: u64) -> Result<(), JobError> {
        Ok(())
    }

    /// The job restarts from a checkpoint: `state` is what [`Sink::snapshot_state`] returned
    /// in it (called after `open`, once for each old subtask's state this subtask takes
    /// over). That checkpoint completed, so what it holds is committed now; what was written
    /// after it is discarded.
    fn restore_state(&mut self, _state: &[u8]) -> Result<(), JobError> {
        Ok(())
    }
}

/// A sink that a job's parameters may switch off: `None` drops what it receives and keeps
/// no state, `Some(sink)` is that sink. The job graph is fixed when the job is compiled, so
/// an optional output is a sink that may be absent, not a branch of the graph.
///
/// ```
/// use rill::prelude::*;
/// use rill::sinks::file::FileSink;
///
/// #[rill::job(no_main)]
/// fn maybe_written(env: &mut Env) {
///     let out = env.parameter("out").map(FileSink::for_row_format);
///     env.from_elements([1, 2, 3]).sink_to(out);
/// }
///
/// MAYBE_WRITTEN_JOB.run(Some(1), &[]).unwrap(); // no --out: nothing is written
/// let dir = std::env::temp_dir().join(format!("rill-maybe-written-{}", std::process::id()));
/// MAYBE_WRITTEN_JOB.run(Some(1), &["--out", dir.to_str().unwrap()]).unwrap();
/// let written = std::fs::read_to_string(dir.join("part-0-0")).unwrap();
/// assert_eq!(written, "1\n2\n3\n");
/// std::fs::remove_dir_all(dir).unwrap();
/// ```
impl<T, S: Sink<T>> Sink<T> for Option<S> {
    fn open(&mut self, subtask: usize, parallelism: usize) -> Result<(), JobError> {
        self.as_mut().map_or(Ok(()), |s| s.open(subtask, parallelism))
    }
    fn write(&mut self, value: T) {
        if let Some(s) = self {
            s.write(value);
        }
    }
    fn finish(&mut self) -> Result<(), JobError> {
        self.as_mut().map_or(Ok(()), |s| s.finish())
    }
    fn snapshot_state(&mut self, checkpoint: u64) -> Result<Option<Vec<u8>>, JobError> {
        self.as_mut().map_or(Ok(None), |s| s.snapshot_state(checkpoint))
    }
    fn notify_checkpoint_complete(&mut self, checkpoint: u64) -> Result<(), JobError> {
        self.as_mut().map_or(Ok(()), |s| s.notify_checkpoint_complete(checkpoint))
    }
    fn restore_state(&mut self, state: &[u8]) -> Result<(), JobError> {
        self.as_mut().map_or(Ok(()), |s| s.restore_state(state))
    }
}

impl<T, F: FnMut(T) + Clone + Send + 'static> Sink<T> for F {
    fn write(&mut self, value: T) {
        self(value)
    }
}

/// A user's [`Sink`] in a running chain.
#[derive(Clone)]
pub struct UserSink<S> {
    id: u32,
    sink: S,
    /// Where the sink's state goes at a checkpoint, with its uid.
    checkpoint: Option<(crate::checkpoint::StateWriter, &'static str)>,
}

impl<T: 'static, S: Sink<T>> Tail<T> for UserSink<S> {
    fn build(self) -> impl Collector<T> {
        self
    }
}

impl<T, S: Sink<T>> Collector<T> for UserSink<S> {
    #[inline]
    fn collect(&mut self, value: T, _: Timestamp) {
        crate::core::panic_scope::enter(self.id);
        self.sink.write(value);
    }
    fn on_control(&mut self, control: Control) {
        let result = match control {
            Control::Barrier(_) | Control::FinalSnapshot => {
                // A final snapshot is held by every checkpoint after it: the newest id.
                let id = match control {
                    Control::Barrier(id) => id,
                    _ => u64::MAX,
                };
                crate::core::panic_scope::enter(self.id);
                self.sink.snapshot_state(id).map(|state| {
                    if let (Some(state), Some((writer, uid))) = (state, &self.checkpoint) {
                        writer.write(uid, state);
                    }
                })
            }
            Control::CheckpointComplete(id) => {
                crate::core::panic_scope::enter(self.id);
                self.sink.notify_checkpoint_complete(id)
            }
            _ => Ok(()),
        };
        if let Err(e) = result {
            crate::core::panic_scope::fail(e);
        }
    }
    fn open(&mut self, ctx: &mut RuntimeContext<'_>) -> Result<(), JobError> {
        crate::core::panic_scope::enter(self.id);
        self.sink.open(ctx.subtask, ctx.parallelism)?;
        self.checkpoint = ctx.state_writer(self.id);
        if let (Some((_, uid)), Some(restore)) =
            (&self.checkpoint, self.checkpoint.as_ref().and_then(|(_, uid)| ctx.restore(uid)))
        {
            // Each old subtask's state goes to one new subtask (round robin), so that at
            // another parallelism nothing is committed twice or left behind.
            for bytes in restore.assigned(uid) {
                self.sink.restore_state(bytes)?;
            }
        }
        Ok(())
    }
    fn flush(&mut self) {}
    fn on_processing_time(&mut self, _: Timestamp) {}
    fn take_blocked(&mut self, _: &mut Vec<BlockedSend>) {}
    fn close(&mut self) -> Result<(), JobError> {
        crate::core::panic_scope::enter(self.id);
        self.sink.finish()
    }
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In: 'static, P: Pipe<In>> ChainBuilder<In, P> {
    /// Ends the chain in a user's sink.
    pub fn sink_to<S: Sink<P::Out>>(self, id: u32, sink: S) -> Branch<In, P, UserSink<S>> {
        self.end(UserSink { id, sink, checkpoint: None })
    }
}
