//! The `rill` command: draws the plan of a job binary, inspects savepoints, runs a session
//! cluster (JobManager, TaskManagers, REST API) and submits jobs to it.

pub mod client;
pub mod cluster;
pub mod plan;

use std::path::Path;
use std::process::Command;

/// Asks a job binary for its plan (`JOB --plan [-p N]`).
pub fn plan_of(binary: &Path, parallelism: Option<usize>) -> Result<plan::Plan, String> {
    let mut cmd = Command::new(binary);
    cmd.arg("--plan");
    if let Some(p) = parallelism {
        cmd.arg("-p").arg(p.to_string());
    }
    let out = cmd.output().map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} --plan failed ({}): {}\nIs it a Rill job binary (built from a #[rill::job] function)?",
            binary.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    plan::parse(&String::from_utf8_lossy(&out.stdout)).map_err(|e| {
        format!("{}: {e}\nIs it a Rill job binary (built from a #[rill::job] function)?", binary.display())
    })
}
