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
    buffer: String,
}

impl<F: Clone> Clone for PrintSink<F> {
    fn clone(&self) -> Self {
        PrintSink {
            id: self.id,
            to_err: self.to_err,
            format: self.format.clone(),
            prefix: String::new(),
            buffer: String::new(),
        }
    }
}

impl<F> PrintSink<F> {
    fn write_out(&mut self) {
        self.write_first(self.buffer.len());
    }

    /// Writes the buffer's first `len` bytes (whole lines) and keeps the rest.
    fn write_first(&mut self, len: usize) {
        if len == 0 {
            return;
        }
        let bytes = &self.buffer.as_bytes()[..len];
        let result = if self.to_err {
            std::io::stderr().lock().write_all(bytes)
        } else {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes).and_then(|_| out.flush())
        };
        if let Err(e) = result {
            if e.kind() == std::io::ErrorKind::BrokenPipe && !self.to_err {
                crate::core::panic_scope::fail(JobError::OutputClosed);
            }
            let stream = if self.to_err { "standard error" } else { "standard output" };
            crate::core::panic_scope::fail(JobError::io(format!("print: cannot write to {stream}"), e));
        }
        self.buffer.drain(..len);
    }
}

impl<T, F: FnMut(&T, &mut String) + Clone + Send + 'static> Tail<T> for PrintSink<F> {
    fn build(self) -> impl Collector<T> {
        self
    }
}

impl<T, F: FnMut(&T, &mut String) + Send> Collector<T> for PrintSink<F> {
    #[inline]
    fn collect(&mut self, value: T, _: Timestamp) {
        crate::core::panic_scope::enter(self.id);
        let before = self.buffer.len();
        self.buffer.push_str(&self.prefix);
        (self.format)(&value, &mut self.buffer);
        self.buffer.push('\n');
        if self.buffer.len() > BUFFER_BYTES {
            // Write what was there before this line, so that the write fits in a pipe's
            // atomic size; the line waits for the next one (or goes alone if it is longer).
            self.write_first(before);
            if self.buffer.len() >= BUFFER_BYTES {
                self.write_out();
            }
        }
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
        self.end(PrintSink { id, to_err, format, prefix: String::new(), buffer: String::new() })
    }
}
