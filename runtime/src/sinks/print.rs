//! `print` and `print_to_err`: each record on its own line, prefixed with the subtask index
//! (from 1) when the sink runs in parallel, as Flink's `PrintSink` does: `2> (hello,1)`.
//!
//! ```
//! use rill::prelude::*;
//! #[rill::job]
//! fn hello(env: &mut Env) {
//!     env.from_elements(["hello"]).print();
//! }
//! ```

use crate::collector::{BlockedSend, Collector};
use crate::element::{Control, Timestamp};
use crate::error::JobError;
use crate::pipe::{Branch, ChainBuilder, Pipe, Tail};
use crate::runtime_context::RuntimeContext;
use std::io::Write;

/// Bytes gathered before they are written: lines are only ever written whole.
const BUFFER_BYTES: usize = 8192;

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
        if self.buffer.is_empty() {
            return;
        }
        let result = if self.to_err {
            std::io::stderr().lock().write_all(self.buffer.as_bytes())
        } else {
            let mut out = std::io::stdout().lock();
            out.write_all(self.buffer.as_bytes()).and_then(|_| out.flush())
        };
        if let Err(e) = result {
            crate::panic_scope::enter(self.id);
            let stream = if self.to_err { "standard error" } else { "standard output" };
            panic!("print: cannot write to {stream}: {e}");
        }
        self.buffer.clear();
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
        crate::panic_scope::enter(self.id);
        self.buffer.push_str(&self.prefix);
        (self.format)(&value, &mut self.buffer);
        self.buffer.push('\n');
        if self.buffer.len() >= BUFFER_BYTES {
            self.write_out();
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
