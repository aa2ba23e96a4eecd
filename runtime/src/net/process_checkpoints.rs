//! Checkpoints of a job split over processes, on the coordinator's side: it asks the
//! workers for each checkpoint over their control connections, each writes its share into
//! the job's directory, and once all have it writes `_metadata` last and tells them.

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The checkpoints of a job split over processes: the coordinator triggers them, each
/// worker writes its share into `dir`, the coordinator writes `_metadata` last.
pub struct ProcessCheckpoints {
    /// The job's name.
    pub job: String,
    /// Time between checkpoints.
    pub interval: Duration,
    /// The job's checkpoint directory (`<checkpoint dir>/<job id>`).
    pub dir: std::path::PathBuf,
    /// Completed checkpoints kept.
    pub retained: usize,
    /// What happens when a worker fails.
    pub restart: crate::checkpoint::RestartStrategy,
    /// Where the job starts from (`--from-savepoint`), if anywhere.
    pub restore: Option<std::path::PathBuf>,
    /// `--savepoint-on-stop DIR [--drain]`: SIGTERM takes a savepoint there and stops.
    pub savepoint_on_stop: Option<(std::path::PathBuf, bool)>,
    /// Whether the job takes checkpoints of its own (not only a savepoint at its stop).
    pub periodic: bool,
    /// What becomes of the checkpoints when the job ends.
    pub retention: crate::checkpoint::ExternalizedCheckpointRetention,
}

/// The number of the checkpoint a job restores from (0: none): new ones follow it.
pub(crate) fn restore_id(restore: Option<&std::path::Path>) -> u64 {
    restore.and_then(|p| crate::checkpoint::storage::read_metadata(p).ok()).map_or(0, |m| m.checkpoint)
}

/// The coordinator's checkpoints: the next number, and the one under way with the workers
/// that have written their share.
pub(crate) struct Checkpointing {
    pub(crate) next: u64,
    pub(crate) pending: Option<(u64, Vec<bool>, Instant)>,
    /// The savepoint that stops the job: its number, directory, and the workers done.
    pub(crate) stopping: Option<(u64, std::path::PathBuf, Vec<bool>)>,
    /// A savepoint asked for while the job goes on: the next checkpoint to complete is
    /// copied under this directory.
    pub(crate) savepoint_to: Option<std::path::PathBuf>,
}

impl Checkpointing {
    /// Asks every worker for checkpoint `next`, unless one is under way; whether it did.
    pub(crate) fn trigger(&mut self, writers: &mut [TcpStream], processes: usize) -> bool {
        if self.pending.is_some() {
            return false;
        }
        let id = self.next;
        self.next += 1;
        self.pending = Some((id, vec![false; processes], Instant::now()));
        tell(writers, &format!("checkpoint {id}"));
        true
    }

    /// Asks every worker for a savepoint into `dir` after which they stop.
    pub(crate) fn stop_with_savepoint(
        &mut self,
        writers: &mut [TcpStream],
        processes: usize,
        dir: &std::path::Path,
        drain: bool,
    ) {
        // A checkpoint under way completes or not; the savepoint follows it at each worker.
        self.pending = None;
        let id = self.next;
        self.next += 1;
        let path = dir.join(format!("savepoint-{id}"));
        tell(writers, &format!("savepoint {id} {} {}", if drain { "drain" } else { "keep" }, path.display()));
        self.stopping = Some((id, path, vec![false; processes]));
    }

    /// A savepoint that does not stop the job: the next checkpoint, triggered now unless one
    /// is under way, copied under `dir` when it completes ([`Self::checkpointed`]).
    pub(crate) fn savepoint(&mut self, writers: &mut [TcpStream], processes: usize, dir: std::path::PathBuf) {
        self.savepoint_to = Some(dir);
        self.trigger(writers, processes);
    }

    /// Worker `index` wrote its share of `id`: once all have, `_metadata` makes it complete
    /// and the workers hear so. Returns the savepoint taken with it, if one was asked for.
    pub(crate) fn checkpointed(
        &mut self,
        c: &ProcessCheckpoints,
        writers: &mut [TcpStream],
        processes: usize,
        index: usize,
        id: u64,
    ) -> Option<Result<std::path::PathBuf, String>> {
        if let Some((stop, path, done)) = self.stopping.as_mut().filter(|(stop, ..)| *stop == id) {
            if let Some(d) = done.get_mut(index) {
                *d = true;
            }
            if done.iter().all(|d| *d) {
                match crate::checkpoint::storage::merge_parts(path, *stop, &c.job, processes, Duration::ZERO) {
                    Ok(()) => {
                        super::cluster_link::stopped_with_savepoint(path);
                        tracing::info!("job '{}' stopped with a savepoint: {}", c.job, path.display())
                    }
                    Err(why) => tracing::warn!("savepoint {stop} of job '{}' failed: {why}", c.job),
                }
            }
            return None;
        }
        let (pending, done, started) = self.pending.as_mut()?;
        if *pending != id || index >= done.len() {
            return None;
        }
        done[index] = true;
        if !done.iter().all(|d| *d) {
            return None;
        }
        let storage = crate::checkpoint::CheckpointStorage::new(c.dir.clone());
        let merged =
            crate::checkpoint::storage::merge_parts(&storage.chk(id), id, &c.job, processes, started.elapsed());
        self.pending = None;
        let savepoint = self.savepoint_to.take().map(|dir| {
            let taken = match &merged {
                Ok(()) => copy_checkpoint(&storage.chk(id), &dir.join(format!("savepoint-{id}"))),
                Err(why) => Err(why.clone()),
            };
            match &taken {
                Ok(path) => tracing::info!("job '{}' took a savepoint: {}", c.job, path.display()),
                Err(why) => tracing::warn!("savepoint of job '{}' failed: {why}", c.job),
            }
            if !c.periodic {
                // Taken for the savepoint alone: the job keeps no checkpoints.
                crate::checkpoint::files::remove_all(&storage.chk(id));
            }
            taken
        });
        match merged {
            Ok(()) => {
                if c.periodic {
                    storage.prune(c.retained);
                }
                tell(writers, &format!("complete {id}"));
            }
            Err(why) => {
                crate::checkpoint::stats::failed(&c.job);
                tracing::warn!("checkpoint {id} of job '{}' failed: {why}", c.job)
            }
        }
        savepoint
    }
}

/// Copies a completed checkpoint to `to`, its `_metadata` last: a savepoint of its own,
/// kept when the job's checkpoints are pruned or discarded.
fn copy_checkpoint(from: &std::path::Path, to: &std::path::Path) -> Result<std::path::PathBuf, String> {
    use crate::checkpoint::files;
    let mut names = files::children(from);
    names.sort_by_key(|n| n == "_metadata");
    for name in names {
        let bytes =
            files::read(&from.join(&name)).map_err(|e| format!("cannot read {}: {e}", from.join(&name).display()))?;
        let write = if name == "_metadata" { files::write_atomic } else { files::write };
        write(&to.join(&name), &bytes).map_err(|e| format!("cannot write {}: {e}", to.join(&name).display()))?;
    }
    Ok(to.to_path_buf())
}

/// Sends `line` to every worker (one that is gone is noticed by its reader).
pub(crate) fn tell(writers: &mut [TcpStream], line: &str) {
    for w in writers {
        let _ = writeln!(w, "{line}").and_then(|()| w.flush());
    }
}
