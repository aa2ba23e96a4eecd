//! Starting a job from a savepoint or a retained checkpoint (`--from-savepoint PATH`, Flink's
//! `-s`): its state is matched to the job's operators by uid, and state of an operator the
//! job no longer has is refused unless `--allow-non-restored-state` (Flink's
//! `--allowNonRestoredState`) says to leave it behind.

use crate::checkpoint::storage::{read_dir, Completed};
use crate::core::error::JobError;
use crate::core::plan::PlanSpec;
use std::path::Path;

/// Reads the savepoint at `path` for the job of `plan`.
pub(crate) fn open(plan: &PlanSpec, path: &Path, allow_non_restored: bool) -> Result<Completed, JobError> {
    let completed = read_dir(path).map_err(|why| {
        JobError::Config(format!(
            "cannot restore from {}: {why} (give a savepoint's or a chk-<n> directory)",
            path.display()
        ))
    })?;
    let uids: Vec<&str> = plan.chains.iter().flat_map(|c| c.operators).map(|o| &*o.uid).collect();
    for uid in completed.operators.keys() {
        {
            let uid = uid.as_str();
            if !uids.contains(&uid) && !allow_non_restored {
                return Err(JobError::Config(format!(
                    "Failed to rollback to checkpoint/savepoint {}. Cannot map checkpoint/savepoint state for operator \
                     '{uid}' to the new program, because the operator is not available in the new program. If you want \
                     to allow to skip this, give --allow-non-restored-state.",
                    path.display()
                )));
            }
        }
    }
    Ok(completed)
}
