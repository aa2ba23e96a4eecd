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

pub use crate::api::checkpoint_metrics::CheckpointCounts;

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
