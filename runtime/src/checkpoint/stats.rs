//! The checkpoints this process has completed, with what each cost: Flink's checkpoint
//! statistics (its Web UI's "Checkpoints" tab), kept in memory because a job's checkpoint
//! files do not outlive it (a finished job's are discarded).
//!
//! ```
//! use rill::prelude::*;
//! use std::time::Duration;
//!
//! #[rill::job(no_main)]
//! fn totals(env: &mut Env) {
//!     env.enable_checkpointing(Duration::from_millis(5));
//!     env.from_sequence(1, 200_000).map(|n| (n % 3, n)).key_by(|(k, _)| *k).sum(1).discard();
//! }
//!
//! TOTALS_JOB.run(Some(1), &[]).unwrap();
//! // At least the final checkpoint, taken when every task had finished.
//! let completed = rill::checkpoint::stats::completed();
//! assert!(completed.iter().any(|c| c.job == "totals"));
//! ```

use crate::checkpoint::metadata::Metadata;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// How many completed checkpoints are remembered (the oldest go first).
pub const HISTORY: usize = 10_000;

static COMPLETED: Mutex<Vec<Metadata>> = Mutex::new(Vec::new());

static COUNTS: Mutex<BTreeMap<String, CheckpointCounts>> = Mutex::new(BTreeMap::new());

/// A job's checkpoint figures as Flink's job-scope metrics give them
/// (`numberOfCompletedCheckpoints`, `lastCheckpointDuration`, ...): counted where the
/// job's checkpoints are coordinated, and sent to the JobManager with the job's metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckpointCounts {
    /// Checkpoints and savepoints completed.
    pub completed: u64,
    /// Checkpoints that failed (declined, timed out, not written).
    pub failed: u64,
    /// Checkpoints under way (0 or 1: one at a time, as Flink's default).
    pub in_progress: u64,
    /// The number of the last completed checkpoint.
    pub last_id: u64,
    /// How long the last completed one took, from its trigger to the last task's answer (ms).
    pub last_duration_ms: u64,
    /// The size of the last completed one's files (bytes).
    pub last_size: u64,
    /// When the job last restarted from a checkpoint (ms since the epoch).
    pub restored_at_ms: Option<u64>,
}

impl CheckpointCounts {
    /// The figures as one word, `C:F:P:ID:DURATION:SIZE[:RESTORED]`, for a line protocol.
    pub fn encode(&self) -> String {
        let mut text = format!(
            "{}:{}:{}:{}:{}:{}",
            self.completed, self.failed, self.in_progress, self.last_id, self.last_duration_ms, self.last_size
        );
        if let Some(at) = self.restored_at_ms {
            text.push_str(&format!(":{at}"));
        }
        text
    }

    /// What [`CheckpointCounts::encode`] wrote; `None` for anything else.
    pub fn decode(text: &str) -> Option<CheckpointCounts> {
        let fields: Vec<u64> = text.split(':').map(str::parse).collect::<Result<_, _>>().ok()?;
        match fields[..] {
            [completed, failed, in_progress, last_id, last_duration_ms, last_size, ref rest @ ..]
                if rest.len() <= 1 =>
            {
                Some(CheckpointCounts {
                    completed,
                    failed,
                    in_progress,
                    last_id,
                    last_duration_ms,
                    last_size,
                    restored_at_ms: rest.first().copied(),
                })
            }
            _ => None,
        }
    }
}

fn count(job: &str, f: impl FnOnce(&mut CheckpointCounts)) {
    f(COUNTS.lock().unwrap_or_else(|e| e.into_inner()).entry(job.to_owned()).or_default());
}

/// Checkpoint figures of job `job` in this process (all zero when it took none).
pub fn counts(job: &str) -> CheckpointCounts {
    COUNTS.lock().unwrap_or_else(|e| e.into_inner()).get(job).copied().unwrap_or_default()
}

/// A checkpoint of `job` was triggered.
pub(crate) fn triggered(job: &str) {
    count(job, |c| c.in_progress = 1);
}

/// A checkpoint of `job` failed.
pub(crate) fn failed(job: &str) {
    count(job, |c| {
        c.failed += 1;
        c.in_progress = 0;
    });
}

/// `job` restarted from a checkpoint.
pub(crate) fn restored(job: &str) {
    let now = crate::time::Clock::System.now();
    count(job, |c| c.restored_at_ms = Some(u64::try_from(now).unwrap_or(0)));
}

/// Remembers a checkpoint or savepoint whose `_metadata` has been written.
pub(crate) fn record(meta: Metadata) {
    count(&meta.job, |c| {
        c.completed += 1;
        c.in_progress = 0;
        c.last_id = meta.checkpoint;
        c.last_duration_ms = meta.aligned_micros / 1000;
        c.last_size = meta.tasks.iter().map(|t| t.len).sum();
    });
    let mut completed = COMPLETED.lock().unwrap_or_else(|e| e.into_inner());
    if completed.len() == HISTORY {
        completed.remove(0);
    }
    completed.push(meta);
}

/// The checkpoints and savepoints completed in this process, oldest first: per checkpoint,
/// its job, number, completion time, the barriers' way through the job, and each task's
/// file size and synchronous pause.
pub fn completed() -> Vec<Metadata> {
    COMPLETED.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// A completed checkpoint as Flink's REST API shows it in a job's history
/// (`/jobs/:id/checkpoints`), kept at `external_path`.
pub fn rest_entry(meta: &Metadata, external_path: &str) -> serde_json::Value {
    serde_json::json!({
        "className": "completed",
        "id": meta.checkpoint,
        "status": "COMPLETED",
        "is_savepoint": false,
        "latest_ack_timestamp": meta.completed_at,
        "state_size": meta.tasks.iter().map(|t| t.len).sum::<u64>(),
        "end_to_end_duration": meta.aligned_micros / 1000,
        "num_subtasks": meta.tasks.len(),
        "num_acknowledged_subtasks": meta.tasks.len(),
        "external_path": external_path,
    })
}

/// Flink's checkpoint statistics: `history` ([`rest_entry`], newest first) and the
/// savepoint or checkpoint the job was `restored` from.
pub fn rest_statistics(history: Vec<serde_json::Value>, restored: Option<&str>) -> serde_json::Value {
    let n = history.len();
    serde_json::json!({
        "counts": { "restored": u8::from(restored.is_some()), "total": n, "in_progress": 0, "completed": n, "failed": 0 },
        "latest": {
            "completed": history.first(),
            "savepoint": null,
            "failed": null,
            "restored": restored.map(|path| serde_json::json!({ "external_path": path })),
        },
        "history": history,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_go_through_the_line_protocol_unchanged() {
        let counts = CheckpointCounts {
            completed: 7,
            failed: 1,
            in_progress: 1,
            last_id: 8,
            last_duration_ms: 12,
            last_size: 4096,
            restored_at_ms: None,
        };
        assert_eq!(CheckpointCounts::decode(&counts.encode()), Some(counts));
        let restored = CheckpointCounts { restored_at_ms: Some(1_700_000_000_000), ..counts };
        assert_eq!(CheckpointCounts::decode(&restored.encode()), Some(restored));
        assert_eq!(CheckpointCounts::decode("1:2:3"), None);
        assert_eq!(CheckpointCounts::decode("1:2:3:4:5:6:7:8"), None);
        assert_eq!(CheckpointCounts::decode("1:2:x:4:5:6"), None);
    }
}
