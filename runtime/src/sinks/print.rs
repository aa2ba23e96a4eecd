//! `print` and `print_to_err`: each record on its own line, prefixed with the subtask index
//! (from 1) when the sink runs in parallel, as Flink's `PrintSink` does: `2> (hello,1)`.
//!
//! ```
//! use rill::prelude::*;
//! #[rill::job(no_main)]
//! fn hello(env: &mut Env) {
//!     env.from_elements(["hello"]).print();
//! }
//!
//! HELLO_JOB.run(Some(1), &[]).unwrap();
//! ```

use crate::core::collector::{BlockedSend, Collector};
use crate::core::element::{Control, Timestamp};
use crate::core::error::JobError;
use crate::core::pipe::{Branch, ChainBuilder, Pipe, Tail};
use crate::core::runtime_context::RuntimeContext;
use std::io::Write;

/// Bytes gathered before they are written: lines are only ever written whole, and a write
/// stays within `PIPE_BUF` (4 KiB on Linux), which a pipe takes atomically: the workers of a
/// job split over processes (`--processes`) share one standard output, and their lines
/// must not cut into each other.
const BUFFER_BYTES: usize = 4096;

/// `print` and `print_to_err`.
pub struct PrintSink<F> {
    id: u32,
    to_err: bool,
    format: F,
    prefix: String,
}

impl<F: Clone> Clone for PrintSink<F> {
    fn clone(&self) -> Self {
        PrintSink { id: self.id, to_err: self.to_err, format: self.format.clone(), prefix: String::new() }
    }
}

thread_local! {
    /// What the print sinks of this thread's task have not written yet, standard output's
    /// and standard error's: shared by all of them, so lines come out in the order the task
    /// produced them (a late record printed after the window result that came before it).
    static PENDING: std::cell::RefCell<[String; 2]> = const { std::cell::RefCell::new([String::new(), String::new()]) };
}

impl<F> PrintSink<F> {
    /// Runs `f` on this thread's pending text of the sink's stream.
    fn pending<R>(&self, f: impl FnOnce(&mut String, bool) -> R) -> R {
        PENDING.with(|p| f(&mut p.borrow_mut()[usize::from(self.to_err)], self.to_err))
    }

    fn write_out(&self) {
        self.pending(|buffer, to_err| write_first(buffer, buffer.len(), to_err));
    }
}

/// Writes the buffer's first `len` bytes (whole lines) and keeps the rest.
fn write_first(buffer: &mut String, len: usize, to_err: bool) {
    if len == 0 {
        return;
    }
    let bytes = &buffer.as_bytes()[..len];
    let result = if to_err {
        std::io::stderr().lock().write_all(bytes)
    } else {
        let mut out = std::io::stdout().lock();
        out.write_all(bytes).and_then(|_| out.flush())
    };
    if let Err(e) = result {
        buffer.clear();
        if e.kind() == std::io::ErrorKind::BrokenPipe && !to_err {
            crate::core::panic_scope::fail(JobError::OutputClosed);
        }
        let stream = if to_err { "standard error" } else { "standard output" };
        crate::core::panic_scope::fail(JobError::io(format!("print: cannot write to {stream}"), e));
    }
    buffer.drain(..len);
}

impl<F> PrintSink<F> {
    /// Appends the record's line to this thread's pending text, writing what came before
    /// once it fills a pipe's atomic write.
    #[inline]
    fn print<T>(&mut self, value: &T, _: Timestamp)
    where
        F: FnMut(&T, &mut String),
    {
        crate::core::panic_scope::enter(self.id);
        let (prefix, format) = (&self.prefix, &mut self.format);
        PENDING.with(|p| {
            let buffer = &mut p.borrow_mut()[usize::from(self.to_err)];
            let before = buffer.len();
            buffer.push_str(prefix);
            format(value, buffer);
            buffer.push('\n');
            if buffer.len() > BUFFER_BYTES {
                // Write what was there before this line, so that the write fits in a pipe's
                // atomic size; the line waits for the next one (or goes alone if it is longer).
                write_first(buffer, before, self.to_err);
                if buffer.len() >= BUFFER_BYTES {
                    let all = buffer.len();
                    write_first(buffer, all, self.to_err);
                }
            }
        });
    }
}

impl<T, F: FnMut(&T, &mut String) + Clone + Send + 'static> Tail<T> for PrintSink<F> {
    fn build(self) -> impl Collector<T> {
        self
    }
}

impl<T, F: FnMut(&T, &mut String) + Send> Collector<T> for PrintSink<F> {
    #[inline]
    fn collect(&mut self, value: T, timestamp: Timestamp) {
        self.print(&value, timestamp);
    }
    #[inline]
    fn collect_ref(&mut self, value: &T, timestamp: Timestamp)
    where
        T: Clone,
    {
        self.print(value, timestamp);
    }
    fn on_control(&mut self, control: Control) {
        if control == Control::EndOfInput {
            self.write_out();
        }
    }
    fn open(&mut self, ctx: &mut RuntimeContext<'_>) -> Result<(), JobError> {
        if ctx.parallelism > 1 {
            self.prefix = format!("{}> ", ctx.subtask + 1);
        }
        Ok(())
    }
    fn flush(&mut self) {
        self.write_out();
    }
    fn on_processing_time(&mut self, _: Timestamp) {}
    fn take_blocked(&mut self, _: &mut Vec<BlockedSend>) {}
    fn close(&mut self) -> Result<(), JobError> {
        self.write_out();
        Ok(())
    }
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In: 'static, P: Pipe<In>> ChainBuilder<In, P> {
    /// Prints each record to standard output (or standard error) with `format`; the compiler
    /// passes Flink's `toString` rendering ([`show!`](crate::show)).
    pub fn print_with<F>(self, id: u32, to_err: bool, format: F) -> Branch<In, P, PrintSink<F>>
    where
        F: FnMut(&P::Out, &mut String) + Clone + Send + 'static,
    {
        self.end(PrintSink { id, to_err, format, prefix: String::new() })
    }
}
