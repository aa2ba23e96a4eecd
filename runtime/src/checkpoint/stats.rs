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
use std::sync::Mutex;

/// How many completed checkpoints are remembered (the oldest go first).
pub const HISTORY: usize = 10_000;

static COMPLETED: Mutex<Vec<Metadata>> = Mutex::new(Vec::new());

/// Remembers a checkpoint or savepoint whose `_metadata` has been written.
pub(crate) fn record(meta: Metadata) {
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
