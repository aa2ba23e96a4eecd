//! `write_as_text(path)`: one line per record. With parallelism 1 `path` is the file; in
//! parallel it is a directory holding one file per subtask, named `1`, `2`, ... (as Flink's
//! `writeAsText`).
//!
//! ```no_run
//! use rill::prelude::*;
//! #[rill::job]
//! fn to_file(env: &mut Env) {
//!     env.from_elements(["a", "b"]).write_as_text("/tmp/out.txt");
//! }
//! ```

use crate::core::collector::{BlockedSend, Collector};
use crate::core::element::{Control, Timestamp};
use crate::core::error::JobError;
use crate::core::pipe::{Branch, ChainBuilder, Pipe, Tail};
use crate::core::runtime_context::RuntimeContext;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

/// `write_as_text`.
pub struct TextFileSink<F> {
    id: u32,
    path: PathBuf,
    format: F,
    line: String,
    file: Option<(PathBuf, BufWriter<File>)>,
}

impl<F: Clone> Clone for TextFileSink<F> {
    fn clone(&self) -> Self {
        TextFileSink {
            id: self.id,
            path: self.path.clone(),
            format: self.format.clone(),
            line: String::new(),
            file: None,
        }
    }
}

impl<F> TextFileSink<F> {
    fn check(&self, result: std::io::Result<()>) {
        if let Err(e) = result {
            let path = self.file.as_ref().map_or(&self.path, |(p, _)| p);
            crate::core::panic_scope::fail(JobError::io(format!("write_as_text: cannot write {}", path.display()), e));
        }
    }
}

impl<T, F: FnMut(&T, &mut String) + Clone + Send + 'static> Tail<T> for TextFileSink<F> {
    fn build(self) -> impl Collector<T> {
        self
    }
}

impl<T, F: FnMut(&T, &mut String) + Send> Collector<T> for TextFileSink<F> {
    #[inline]
    fn collect(&mut self, value: T, _: Timestamp) {
        crate::core::panic_scope::enter(self.id);
        self.line.clear();
        (self.format)(&value, &mut self.line);
        self.line.push('\n');
        let (_, file) = self.file.as_mut().expect("sink opened");
        let result = file.write_all(self.line.as_bytes());
        self.check(result);
    }
    fn on_control(&mut self, _: Control) {}
    fn open(&mut self, ctx: &mut RuntimeContext<'_>) -> Result<(), JobError> {
        let path = if ctx.parallelism > 1 {
            std::fs::create_dir_all(&self.path).map_err(|e| {
                JobError::io(format!("write_as_text: cannot create directory {}", self.path.display()), e)
            })?;
            self.path.join((ctx.subtask + 1).to_string())
        } else {
            self.path.clone()
        };
        let file = File::create(&path)
            .map_err(|e| JobError::io(format!("write_as_text: cannot create {}", path.display()), e))?;
        self.file = Some((path, BufWriter::new(file)));
        Ok(())
    }
    fn flush(&mut self) {
        if let Some((_, file)) = self.file.as_mut() {
            let result = file.flush();
            self.check(result);
        }
    }
    fn on_processing_time(&mut self, _: Timestamp) {}
    fn take_blocked(&mut self, _: &mut Vec<BlockedSend>) {}
    fn close(&mut self) -> Result<(), JobError> {
        if let Some((path, mut file)) = self.file.take() {
            file.flush()
                .and_then(|_| file.get_ref().sync_all())
                .map_err(|e| JobError::io(format!("write_as_text: cannot write {}", path.display()), e))?;
        }
        Ok(())
    }
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In: 'static, P: Pipe<In>> ChainBuilder<In, P> {
    /// Writes each record as a line of text, rendered with `format`.
    pub fn write_as_text_with<F>(self, id: u32, path: impl Into<PathBuf>, format: F) -> Branch<In, P, TextFileSink<F>>
    where
        F: FnMut(&P::Out, &mut String) + Clone + Send + 'static,
    {
        self.end(TextFileSink { id, path: path.into(), format, line: String::new(), file: None })
    }
}
