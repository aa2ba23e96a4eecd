//! Checkpoints in a directory or an object store (`s3://..`), in Flink's layout:
//! `<checkpoint dir>/<job id>/chk-<n>/`, one file per task (`task-<chain>-<subtask>`) and
//! `_metadata`, which names every file with its length and CRC-32 and is written last (on
//! disk to a temporary name, then renamed; in a bucket in one PUT): a checkpoint without
//! `_metadata` never completed. A damaged or truncated file makes its checkpoint
//! unusable, with an error that names the file, and the restore takes the one before.

use crate::api::codec::{decode_all, Codec};
use crate::checkpoint::config::{ExternalizedCheckpointRetention, JobEnd};
use crate::checkpoint::files;
pub use crate::checkpoint::metadata::{Metadata, TaskFile};
use crate::checkpoint::snapshot::{OperatorState, Restored};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The environment variable in which the coordinator of a job split over processes names
/// the directory its workers write their checkpoints into.
pub(crate) const JOB_DIR_ENV: &str = "RILL_CHECKPOINT_JOB_DIR";

/// The first bytes of `_metadata`, with the format's version.
const MAGIC: &[u8; 8] = b"RILLCHK2";

/// A task's state, as the coordinator receives it.
#[derive(Clone)]
pub(crate) struct TaskState {
    pub chain: u32,
    pub subtask: u32,
    pub parallelism: u32,
    pub sections: Vec<OperatorState>,
    /// How long the task stopped for the snapshot, in microseconds.
    pub pause_micros: u64,
}

/// A completed checkpoint, read back.
#[derive(Debug)]
pub struct Completed {
    /// Its number.
    pub checkpoint: u64,
    /// Its directory.
    pub path: PathBuf,
    /// Per operator (by uid), what each of its old subtasks wrote.
    pub operators: HashMap<String, Restored>,
}

/// The checkpoints of one run of a job.
#[derive(Debug, Clone)]
pub struct CheckpointStorage {
    dir: PathBuf,
    /// Whether the job has ended (its checkpoints kept or discarded), held while a
    /// checkpoint is written: a write still running on its thread when the job ends
    /// finishes before the end's cleanup, and none starts after it.
    ended: std::sync::Arc<std::sync::Mutex<bool>>,
}

impl CheckpointStorage {
    /// The checkpoints under `dir` (the job's own directory: `<checkpoint dir>/<job id>`).
    pub fn new(dir: PathBuf) -> Self {
        CheckpointStorage { dir, ended: Default::default() }
    }

    /// The job's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Creates the job's directory (or reaches its bucket) before the job starts: storage
    /// that cannot be written to is a configuration error, named before any record moves.
    pub(crate) fn prepare(&self) -> Result<(), String> {
        files::prepare(&self.dir).map_err(|e| format!("checkpoints cannot be written to {}: {e}", self.dir.display()))
    }

    /// The job has ended so: its checkpoints go, their directory with them, if `retention`
    /// says so, or if none completed (there is nothing to resume from).
    pub(crate) fn job_ended(&self, retention: ExternalizedCheckpointRetention, end: JobEnd) {
        let mut ended = self.ended.lock().unwrap_or_else(|p| p.into_inner());
        *ended = true;
        if retention.discards_on(end) || self.completed_ids().is_empty() {
            files::remove_all(&self.dir);
        }
    }

    /// The directory of checkpoint `id`.
    pub(crate) fn chk(&self, id: u64) -> PathBuf {
        self.dir.join(format!("chk-{id}"))
    }

    /// Writes checkpoint `id`: the task files, then `_metadata`. Returns the directory and
    /// the bytes written.
    pub(crate) fn write(
        &self,
        id: u64,
        job: &str,
        tasks: Vec<TaskState>,
        aligned_in: Duration,
    ) -> std::io::Result<(PathBuf, u64)> {
        let ended = self.ended.lock().unwrap_or_else(|p| p.into_inner());
        if *ended {
            return Err(std::io::Error::other(format!("checkpoint {id} comes after the job has ended")));
        }
        write_to(&self.chk(id), id, job, tasks, aligned_in)
    }

    /// The numbers of the checkpoints with a `_metadata`, oldest first.
    pub fn completed_ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> =
            self.ids().into_iter().filter(|id| files::is_file(&self.chk(*id).join("_metadata"))).collect();
        ids.sort_unstable();
        ids
    }

    fn ids(&self) -> Vec<u64> {
        files::children(&self.dir).iter().filter_map(|name| name.strip_prefix("chk-")?.parse().ok()).collect()
    }

    /// Removes all but the newest `retained` completed checkpoints, and any directory of a
    /// checkpoint older than the newest that never completed.
    pub(crate) fn prune(&self, retained: usize) {
        let completed = self.completed_ids();
        let keep: Vec<u64> = completed.iter().rev().take(retained.max(1)).copied().collect();
        let newest = keep.first().copied().unwrap_or(0);
        for id in self.ids() {
            if !keep.contains(&id) && id <= newest {
                files::remove_all(&self.chk(id));
            }
        }
    }

    /// Reads checkpoint `id`, checking every file against `_metadata`.
    pub fn read(&self, id: u64) -> Result<Completed, String> {
        read_dir(&self.chk(id))
    }
    /// The newest checkpoint that reads back whole; each damaged one passed over is
    /// reported to `skipped` with the reason.
    pub fn latest(&self, mut skipped: impl FnMut(u64, &str)) -> Option<Completed> {
        for id in self.completed_ids().into_iter().rev() {
            match self.read(id) {
                Ok(c) => return Some(c),
                Err(why) => skipped(id, &why),
            }
        }
        None
    }
}

/// Writes checkpoint or savepoint `id` into `dir`: the task files, then `_metadata`.
/// Returns the directory and the bytes written.
pub(crate) fn write_to(
    dir: &Path,
    id: u64,
    job: &str,
    tasks: Vec<TaskState>,
    aligned_in: Duration,
) -> std::io::Result<(PathBuf, u64)> {
    let (files, size) = write_tasks(dir, tasks)?;
    let meta_size = write_metadata(dir, id, job, files, aligned_in)?;
    Ok((dir.to_path_buf(), size + meta_size))
}

/// Writes each task's file into `dir`; returns their entries for `_metadata` and their size.
fn write_tasks(dir: &Path, tasks: Vec<TaskState>) -> std::io::Result<(Vec<TaskFile>, u64)> {
    let mut written = Vec::with_capacity(tasks.len());
    let mut size = 0;
    for task in tasks {
        let mut bytes = Vec::new();
        task.sections.encode(&mut bytes);
        let file = format!("task-{}-{}", task.chain, task.subtask);
        // Not synced: a file the machine lost with its power fails its CRC, and the restore
        // takes the checkpoint before; only `_metadata` is synced, before its rename.
        files::write(&dir.join(&file), &bytes)?;
        size += bytes.len() as u64;
        written.push(TaskFile {
            chain: task.chain,
            subtask: task.subtask,
            parallelism: task.parallelism,
            file,
            len: bytes.len() as u64,
            crc: crc32fast::hash(&bytes),
            pause_micros: task.pause_micros,
        });
    }
    Ok((written, size))
}

/// Writes `_metadata` last, under a temporary name renamed into place: the checkpoint is
/// complete once it is there. Returns its size.
fn write_metadata(dir: &Path, id: u64, job: &str, files: Vec<TaskFile>, aligned_in: Duration) -> std::io::Result<u64> {
    let meta = Metadata {
        checkpoint: id,
        job: job.to_owned(),
        completed_at: crate::time::Clock::System.now(),
        aligned_micros: aligned_in.as_micros() as u64,
        tasks: files,
    };
    let mut bytes = MAGIC.to_vec();
    meta.encode(&mut bytes);
    files::write_atomic(&dir.join("_metadata"), &bytes)?;
    crate::checkpoint::stats::record(meta);
    Ok(bytes.len() as u64)
}

/// A worker's share of a checkpoint of a job split over processes (`--processes`): its
/// tasks' files, and `_worker-<index>` listing them, which the coordinator merges into
/// `_metadata` once every worker has written its share.
pub(crate) fn write_part(dir: &Path, index: usize, tasks: Vec<TaskState>) -> std::io::Result<()> {
    let (written, _) = write_tasks(dir, tasks)?;
    let mut bytes = Vec::new();
    written.encode(&mut bytes);
    files::write_atomic(&dir.join(format!("_worker-{index}")), &bytes)
}

/// The coordinator's end of a checkpoint over `workers` processes: `_metadata` from their
/// shares (see [`write_part`]).
pub(crate) fn merge_parts(dir: &Path, id: u64, job: &str, workers: usize, aligned_in: Duration) -> Result<(), String> {
    let mut written = Vec::new();
    for index in 0..workers {
        let path = dir.join(format!("_worker-{index}"));
        let bytes = files::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let part: Vec<TaskFile> = decode_all(&bytes).map_err(|e| format!("{}: damaged: {e}", path.display()))?;
        written.extend(part);
    }
    write_metadata(dir, id, job, written, aligned_in).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(())
}

/// The `_metadata` of the checkpoint or savepoint in `dir`.
pub fn read_metadata(dir: &Path) -> Result<Metadata, String> {
    let meta_path = dir.join("_metadata");
    let bytes = files::read(&meta_path).map_err(|e| format!("{}: {e}", meta_path.display()))?;
    let body = bytes
        .strip_prefix(MAGIC.as_slice())
        .ok_or_else(|| format!("{}: not a Rill checkpoint's metadata (or of another version)", meta_path.display()))?;
    decode_all(body).map_err(|e| format!("{}: damaged: {e}", meta_path.display()))
}

/// Reads the checkpoint or savepoint in `dir` (a `chk-<n>` directory, or a savepoint's),
/// checking every file against its `_metadata`.
pub fn read_dir(dir: &Path) -> Result<Completed, String> {
    let dir = dir.to_path_buf();
    let meta = read_metadata(&dir)?;
    let mut operators: HashMap<String, Restored> = HashMap::new();
    for task in &meta.tasks {
        let path = dir.join(&task.file);
        let bytes = files::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if bytes.len() as u64 != task.len {
            return Err(format!(
                "{}: {} bytes where the metadata says {}: truncated",
                path.display(),
                bytes.len(),
                task.len
            ));
        }
        if crc32fast::hash(&bytes) != task.crc {
            return Err(format!("{}: its checksum does not match the metadata: damaged", path.display()));
        }
        let sections: Vec<OperatorState> =
            decode_all(&bytes).map_err(|e| format!("{}: damaged: {e}", path.display()))?;
        // Matched to operators by uid, not by chain: a rebuilt job may chain differently.
        for section in sections {
            let uid = section.uid.split('#').next().unwrap_or(&section.uid).to_owned();
            let restored =
                operators.entry(uid).or_insert_with(|| Restored { checkpoint: meta.checkpoint, subtasks: Vec::new() });
            let s = task.subtask as usize;
            if restored.subtasks.len() <= s {
                restored.subtasks.resize_with(s + 1, Vec::new);
            }
            restored.subtasks[s].push(section);
        }
    }
    Ok(Completed { checkpoint: meta.checkpoint, path: dir, operators })
}

/// A new job id: 16 random hex digits (Flink's job ids are random too), so that each run
/// of a job writes its checkpoints apart.
pub fn new_job_id() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 8];
    let random = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if random.is_err() {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        bytes = ((nanos as u64) ^ u64::from(std::process::id()).rotate_left(32)).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(chain: u32, subtask: u32, bytes: &[u8]) -> TaskState {
        TaskState {
            chain,
            subtask,
            parallelism: 2,
            sections: vec![OperatorState { uid: format!("op-{chain}"), bytes: bytes.to_vec() }],
            pause_micros: 0,
        }
    }

    fn storage() -> (tempfile::TempDir, CheckpointStorage) {
        let dir = tempfile::tempdir().unwrap();
        let storage = CheckpointStorage::new(dir.path().join("job"));
        (dir, storage)
    }

    #[test]
    fn a_checkpoint_reads_back_as_written_and_old_ones_are_pruned() {
        let (_dir, storage) = storage();
        for id in 1..=3 {
            storage
                .write(id, "job", vec![state(0, 0, &[id as u8]), state(0, 1, &[10 + id as u8])], Duration::ZERO)
                .unwrap();
        }
        storage.prune(2);
        assert_eq!(storage.completed_ids(), [2, 3]);
        let latest = storage.latest(|id, why| panic!("{id}: {why}")).unwrap();
        assert_eq!(latest.checkpoint, 3);
        assert_eq!(latest.operators["op-0"].own("op-0", 1), Some(&[13u8][..]));
    }

    #[test]
    fn a_checkpoint_written_after_the_job_ended_and_discarded_its_checkpoints_is_not_left_behind() {
        let (_dir, storage) = storage();
        storage.write(1, "job", vec![state(0, 0, b"a")], Duration::ZERO).unwrap();
        storage.job_ended(ExternalizedCheckpointRetention::NoExternalizedCheckpoints, JobEnd::Cancelled);
        assert!(!storage.dir().exists());
        // The coordinator's write, on its own thread, outlived the coordinator.
        let late = storage.write(2, "job", vec![state(0, 0, b"b")], Duration::ZERO);
        assert!(late.unwrap_err().to_string().contains("after the job has ended"));
        assert!(!storage.dir().exists(), "nothing written after the cleanup");
    }

    #[test]
    fn a_checkpoint_without_metadata_never_completed() {
        let (_dir, storage) = storage();
        storage.write(1, "job", vec![state(0, 0, b"a")], Duration::ZERO).unwrap();
        storage.write(2, "job", vec![state(0, 0, b"b")], Duration::ZERO).unwrap();
        std::fs::remove_file(storage.chk(2).join("_metadata")).unwrap();
        assert_eq!(storage.completed_ids(), [1]);
        assert_eq!(storage.latest(|_, _| {}).unwrap().checkpoint, 1);
    }

    #[test]
    fn a_damaged_or_truncated_file_is_named_and_the_one_before_is_used() {
        let (_dir, storage) = storage();
        storage.write(1, "job", vec![state(0, 0, b"first")], Duration::ZERO).unwrap();
        storage.write(2, "job", vec![state(0, 0, b"second")], Duration::ZERO).unwrap();
        let file = storage.chk(2).join("task-0-0");
        let mut bytes = std::fs::read(&file).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&file, &bytes).unwrap();
        let mut skipped = Vec::new();
        let latest = storage.latest(|id, why| skipped.push((id, why.to_owned()))).unwrap();
        assert_eq!(latest.checkpoint, 1);
        assert_eq!(skipped.len(), 1);
        assert!(skipped[0].1.contains("task-0-0") && skipped[0].1.contains("checksum"), "{skipped:?}");

        std::fs::write(&file, &bytes[..3]).unwrap();
        let why = storage.read(2).unwrap_err();
        assert!(why.contains("truncated"), "{why}");
        std::fs::write(storage.chk(1).join("_metadata"), b"RILLCHK2\x01").unwrap();
        assert!(storage.read(1).unwrap_err().contains("_metadata: damaged"));
        assert!(storage.latest(|_, _| {}).is_none());
    }
}
