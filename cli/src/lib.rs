//! The `rill` command: draws the plan of a job binary, inspects savepoints, runs a session
//! cluster (JobManager, TaskManagers, REST API) and submits jobs to it.

pub mod client;
pub mod cluster;
pub mod new_job;
pub mod plan;

use std::path::Path;
use std::process::Command;

/// Runs `JOB --plan [-p N] [FLAGS] [-- ARGS]`: the job's plan as JSON on its stdout, or
/// its complaint about the flags and parameters on its stderr.
pub fn run_plan(
    binary: &Path,
    parallelism: Option<usize>,
    flags: &[String],
    args: &[String],
) -> std::io::Result<std::process::Output> {
    let mut cmd = Command::new(binary);
    cmd.arg("--plan");
    if let Some(p) = parallelism {
        cmd.arg("-p").arg(p.to_string());
    }
    cmd.args(flags);
    if !args.is_empty() {
        cmd.arg("--").args(args);
    }
    cmd.stdin(std::process::Stdio::null()).output()
}

/// Asks a job binary for its plan (`JOB --plan [-p N]`).
pub fn plan_of(binary: &Path, parallelism: Option<usize>) -> Result<plan::Plan, String> {
    let out = run_plan(binary, parallelism, &[], &[]).map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
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
