//! Flink's `FileSink` in row format: each record a line of part files in a directory,
//! exactly once with checkpoints.
//!
//! A subtask writes lines into an in-progress file (`.part-<subtask>-<n>.inprogress`). It
//! rolls the file when it reaches a size or an age (Flink's defaults: 128 MiB, 60 s) and at
//! every checkpoint barrier: the file becomes pending (`.part-<subtask>-<n>.pending`), and
//! the checkpoint keeps the list of pending files. When the checkpoint completes, its
//! pending files are committed (renamed to `part-<subtask>-<n>`): a reader of the directory
//! sees only committed files, and a committed line is never written twice. A restore
//! commits the pending files of the checkpoint it restores (it completed; its notice may
//! have been lost with the failure) and deletes every other uncommitted file of the
//! subtask, which held records the restarted job writes again. At the end of a bounded
//! input everything is committed.
//!
//! As in Flink, a job that never checkpoints commits only at the end of its input: an
//! unbounded job needs `enable_checkpointing` for its files to become visible.
//!
//! ```
//! use rill::prelude::*;
//! use rill::sinks::file::FileSink;
//! use std::time::Duration;
//!
//! #[rill::job(no_main)]
//! fn to_files(env: &mut Env) {
//!     let dir = env.parameter("dir").expect("--dir").to_owned();
//!     env.enable_checkpointing(Duration::from_secs(1));
//!     env.from_elements([("a", 1), ("b", 2)]).sink_to(FileSink::for_row_format(dir));
//! }
//!
//! let dir = std::env::temp_dir().join(format!("rill-file-sink-doc-{}", std::process::id()));
//! TO_FILES_JOB.run(Some(1), &["--dir", dir.to_str().unwrap()]).unwrap();
//! let text = std::fs::read_to_string(dir.join("part-0-0")).unwrap();
//! assert_eq!(text, "(a,1)\n(b,2)\n");
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

use crate::api::codec::{decode_all, Codec};
use crate::core::error::JobError;
use crate::sinks::show::Show;
use crate::sinks::user::Sink;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Flink's `FileSink.forRowFormat`: lines in part files of a directory, committed when
/// checkpoints complete.
pub struct FileSink<T> {
    dir: PathBuf,
    encode: fn(&T, &mut String),
    max_part_size: u64,
    rollover_interval: Duration,
    subtask: usize,
    /// The number of the next part file.
    next_part: u64,
    line: String,
    current: Option<InProgress>,
    /// Part files closed and not committed yet, with the checkpoint that holds them (0: not
    /// in a checkpoint yet).
    pending: Vec<(u64, u64)>,
    /// Whether the subtask's uncommitted files from before a restart were cleaned up.
    clean: bool,
    _t: PhantomData<fn(&T)>,
}

/// The part file being written.
struct InProgress {
    part: u64,
    file: BufWriter<File>,
    bytes: u64,
    opened: Instant,
}

impl<T> Clone for FileSink<T> {
    /// The settings, for another subtask: none of this one's parts.
    fn clone(&self) -> Self {
        FileSink::with_encoder(self.dir.clone(), self.encode)
            .with_max_part_size(self.max_part_size)
            .with_rollover_interval(self.rollover_interval)
    }
}

impl<T: Show> FileSink<T> {
    /// Lines in part files under `dir`, each record written as `print` shows it.
    pub fn for_row_format(dir: impl Into<PathBuf>) -> Self {
        FileSink::with_encoder(dir, |record: &T, line: &mut String| record.show(line))
    }
}

impl<T> FileSink<T> {
    /// Lines in part files under `dir`, each written by `encode` (Flink's `Encoder`).
    pub fn with_encoder(dir: impl Into<PathBuf>, encode: fn(&T, &mut String)) -> Self {
        FileSink {
            dir: dir.into(),
            encode,
            max_part_size: 128 * 1024 * 1024,
            rollover_interval: Duration::from_secs(60),
            subtask: 0,
            next_part: 0,
            line: String::new(),
            current: None,
            pending: Vec::new(),
            clean: false,
            _t: PhantomData,
        }
    }

    /// Rolls a part file once it holds `bytes` (Flink's `withMaxPartSize`; 128 MiB).
    pub fn with_max_part_size(mut self, bytes: u64) -> Self {
        self.max_part_size = bytes.max(1);
        self
    }

    /// Rolls a part file once it is this old (Flink's `withRolloverInterval`; 60 s).
    pub fn with_rollover_interval(mut self, interval: Duration) -> Self {
        self.rollover_interval = interval;
        self
    }

    fn name(&self, part: u64, state: &str) -> PathBuf {
        match state {
            "" => self.dir.join(format!("part-{}-{part}", self.subtask)),
            _ => self.dir.join(format!(".part-{}-{part}.{state}", self.subtask)),
        }
    }

    /// Removes the subtask's uncommitted files left by a run that failed, and numbers new
    /// parts after every part of the subtask already there.
    fn clean_up(&mut self) -> Result<(), JobError> {
        if self.clean {
            return Ok(());
        }
        self.clean = true;
        let entries = std::fs::read_dir(&self.dir)
            .map_err(|e| JobError::io(format!("file sink: cannot read {}", self.dir.display()), e))?;
        let committed = format!("part-{}-", self.subtask);
        let uncommitted = format!(".part-{}-", self.subtask);
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(n) = name.strip_prefix(&committed).and_then(|n| n.parse::<u64>().ok()) {
                self.next_part = self.next_part.max(n + 1);
            } else if let Some(rest) = name.strip_prefix(&uncommitted) {
                let held = rest.split('.').next().and_then(|n| n.parse::<u64>().ok());
                if !held.is_some_and(|n| self.pending.iter().any(|(_, p)| *p == n)) {
                    std::fs::remove_file(entry.path())
                        .map_err(|e| JobError::io(format!("file sink: cannot remove {name}"), e))?;
                }
                if let Some(n) = held {
                    self.next_part = self.next_part.max(n + 1);
                }
            }
        }
        Ok(())
    }

    /// Closes the part being written: it becomes pending.
    fn roll(&mut self) -> Result<(), JobError> {
        let Some(mut current) = self.current.take() else { return Ok(()) };
        let from = self.name(current.part, "inprogress");
        current
            .file
            .flush()
            .and_then(|()| current.file.get_ref().sync_all())
            .and_then(|()| std::fs::rename(&from, self.name(current.part, "pending")))
            .map_err(|e| JobError::io(format!("file sink: cannot close {}", from.display()), e))?;
        self.pending.push((0, current.part));
        Ok(())
    }

    /// Commits the pending parts held by checkpoints up to `checkpoint` (all: `u64::MAX`).
    fn commit(&mut self, checkpoint: u64) -> Result<(), JobError> {
        let mut i = 0;
        while i < self.pending.len() {
            let (held_by, part) = self.pending[i];
            if held_by == 0 && checkpoint != u64::MAX || held_by > checkpoint {
                i += 1;
                continue;
            }
            commit_part(&self.name(part, "pending"), &self.name(part, ""))?;
            self.pending.remove(i);
        }
        Ok(())
    }
}

/// Renames a pending part to its committed name; a part committed already (a restore after
/// the commit) is left as it is.
fn commit_part(pending: &Path, committed: &Path) -> Result<(), JobError> {
    if committed.exists() && !pending.exists() {
        return Ok(());
    }
    std::fs::rename(pending, committed).map_err(|e| {
        JobError::io(format!("file sink: cannot commit {} as {}", pending.display(), committed.display()), e)
    })
}

/// What a checkpoint keeps of a subtask's file sink: its subtask, the next part's number,
/// the pending parts.
#[derive(crate::Codec)]
struct SinkState {
    subtask: u64,
    next_part: u64,
    pending: Vec<u64>,
}

impl<T: 'static> Sink<T> for FileSink<T> {
    fn open(&mut self, subtask: usize, _parallelism: usize) -> Result<(), JobError> {
        self.subtask = subtask;
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| JobError::io(format!("file sink: cannot create directory {}", self.dir.display()), e))
    }

    fn write(&mut self, value: T) {
        if let Err(e) = self.write_line(&value) {
            crate::core::panic_scope::fail(e);
        }
    }

    fn finish(&mut self) -> Result<(), JobError> {
        self.clean_up()?;
        self.roll()?;
        self.commit(u64::MAX)
    }

    fn snapshot_state(&mut self, checkpoint: u64) -> Result<Option<Vec<u8>>, JobError> {
        self.clean_up()?;
        self.roll()?;
        for (held_by, _) in &mut self.pending {
            if *held_by == 0 {
                *held_by = checkpoint;
            }
        }
        let state = SinkState {
            subtask: self.subtask as u64,
            next_part: self.next_part,
            pending: self.pending.iter().map(|(_, p)| *p).collect(),
        };
        let mut bytes = Vec::new();
        state.encode(&mut bytes);
        Ok(Some(bytes))
    }

    fn notify_checkpoint_complete(&mut self, checkpoint: u64) -> Result<(), JobError> {
        self.commit(checkpoint)
    }

    fn restore_state(&mut self, state: &[u8]) -> Result<(), JobError> {
        let state: SinkState = decode_all(state).map_err(|e| JobError::restore("file sink", e))?;
        // The parts that checkpoint held were ready: it completed, so they are committed,
        // under the name of the subtask that wrote them.
        for part in state.pending {
            let name = |suffix: &str| match suffix {
                "" => self.dir.join(format!("part-{}-{part}", state.subtask)),
                _ => self.dir.join(format!(".part-{}-{part}.{suffix}", state.subtask)),
            };
            commit_part(&name("pending"), &name(""))?;
        }
        if state.subtask as usize == self.subtask {
            self.next_part = self.next_part.max(state.next_part);
        }
        Ok(())
    }
}

impl<T> FileSink<T> {
    fn write_line(&mut self, value: &T) -> Result<(), JobError> {
        self.clean_up()?;
        let too_old = self.current.as_ref().is_some_and(|c| c.opened.elapsed() >= self.rollover_interval);
        if too_old {
            self.roll()?;
        }
        if self.current.is_none() {
            let part = self.next_part;
            self.next_part += 1;
            let path = self.name(part, "inprogress");
            let file = File::create(&path)
                .map_err(|e| JobError::io(format!("file sink: cannot create {}", path.display()), e))?;
            self.current = Some(InProgress { part, file: BufWriter::new(file), bytes: 0, opened: Instant::now() });
        }
        self.line.clear();
        (self.encode)(value, &mut self.line);
        self.line.push('\n');
        let current = self.current.as_mut().expect("a part in progress");
        current.file.write_all(self.line.as_bytes()).map_err(|e| {
            JobError::io(format!("file sink: cannot write part {} in {}", current.part, self.dir.display()), e)
        })?;
        current.bytes += self.line.len() as u64;
        if current.bytes >= self.max_part_size {
            self.roll()?;
        }
        Ok(())
    }
}
