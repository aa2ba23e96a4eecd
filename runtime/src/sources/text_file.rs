//! `read_text_file(path)`: the lines of a text file, in one subtask.
//!
//! ```no_run
//! use rill::prelude::*;
//! #[rill::job]
//! fn lines(env: &mut Env) {
//!     env.read_text_file("/etc/hostname").print();
//! }
//! ```

use super::{Source, SourceContext, SourceStatus};
use crate::core::collector::Collector;
use crate::core::element::NO_TIMESTAMP;
use crate::core::error::JobError;
use crate::exchange::BATCH_SIZE;
use std::fs::File;
use std::future::{ready, Future};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

/// `read_text_file`: the lines of a file.
pub struct TextFile {
    path: PathBuf,
    reader: Option<BufReader<File>>,
    line_number: u64,
    /// Bytes read, and the file's size when it was opened: the progress.
    read: u64,
    size: u64,
}

impl Clone for TextFile {
    fn clone(&self) -> Self {
        TextFile { path: self.path.clone(), reader: None, line_number: 0, read: 0, size: 0 }
    }
}

impl TextFile {
    /// Reads the file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        TextFile { path: path.into(), reader: None, line_number: 0, read: 0, size: 0 }
    }

    fn read_batch<C: Collector<String>>(&mut self, out: &mut C) -> Result<SourceStatus, JobError> {
        let reader = self.reader.as_mut().expect("opened");
        for _ in 0..BATCH_SIZE {
            let mut line = String::new();
            let n = reader.read_line(&mut line).map_err(|e| {
                JobError::io(
                    format!("read_text_file: cannot read {} at line {}", self.path.display(), self.line_number + 1),
                    e,
                )
            })?;
            if n == 0 {
                return Ok(SourceStatus::Done);
            }
            self.read += n as u64;
            self.line_number += 1;
            if line.ends_with('\n') {
                line.pop();
                if line.ends_with('\r') {
                    line.pop();
                }
            }
            out.collect(line, NO_TIMESTAMP);
        }
        Ok(SourceStatus::More)
    }
}

impl Source for TextFile {
    type Out = String;

    fn open(&mut self, _: &SourceContext) -> Result<(), JobError> {
        let file = File::open(&self.path)
            .map_err(|e| JobError::io(format!("read_text_file: cannot open {}", self.path.display()), e))?;
        self.size = file.metadata().map_or(0, |m| m.len());
        self.reader = Some(BufReader::new(file));
        Ok(())
    }

    fn progress(&self) -> Option<(u64, u64)> {
        // A file that grows while it is read: what was read is all of it that is known.
        (self.size > 0).then(|| (self.read, self.size.max(self.read)))
    }

    fn may_wait(&self) -> bool {
        false
    }

    fn poll<C: Collector<String>>(
        &mut self,
        out: &mut C,
    ) -> impl Future<Output = Result<SourceStatus, JobError>> + Send {
        ready(self.read_batch(out))
    }
}
