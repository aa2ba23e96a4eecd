//! Where a coordinator's workers run: as child processes of this binary on this machine
//! (`--processes N`), or on the TaskManagers of a cluster, placed by its JobManager
//! ([`super::cluster_link`]). The coordinator starts, watches and stops them through
//! `Workers` alone, so the same coordinator runs a job in both.

use std::process::{Child, Command};
use std::time::Duration;

/// How to start worker `index`: the job binary's arguments and the environment it needs
/// beyond its parent's (the job's secret goes there, out of argv).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerCommand {
    /// Which worker: its subtasks are those `s` with `s % processes == index`.
    pub index: usize,
    /// The job binary's arguments.
    pub args: Vec<String>,
    /// Variables to set in its environment.
    pub env: Vec<(String, String)>,
}

/// A job's worker processes, wherever they run.
pub(crate) trait Workers {
    /// Starts worker `command.index`.
    fn start(&mut self, command: WorkerCommand) -> Result<(), String>;
    /// An error naming a worker that exited before the job started.
    fn check_alive(&mut self) -> Result<(), String>;
    /// How worker `index` exited, if it has (waiting a moment for a dying one).
    fn exit_of(&mut self, index: usize) -> Option<String>;
    /// The indexes of the workers that have not exited.
    fn running(&mut self) -> Vec<usize>;
    /// Asks each worker to cancel its share, as SIGTERM asks a job in one process.
    fn terminate(&mut self);
    /// Kills every worker and waits for them.
    fn kill(&mut self);
    /// Waits for every worker to exit.
    fn wait(&mut self);
    /// A savepoint asked for by `rill savepoint` was taken (its path) or not (why).
    fn savepoint_taken(&mut self, _outcome: Result<&std::path::Path, &str>) {}
    /// Worker `index` reported its task metrics (encoded), for whoever shows them.
    fn metrics(&mut self, _index: usize, _tasks: &str) {}
    /// Worker `index` reported its counters and gauges (encoded), for whoever shows them.
    fn user_metrics(&mut self, _index: usize, _metrics: &str) {}
    /// The job's checkpoint figures, sent with its workers' metrics, for whoever shows them.
    fn checkpoint_counts(&mut self, _counts: &crate::checkpoint::stats::CheckpointCounts) {}
}

/// Workers as child processes of this binary; killed if the coordinator returns before
/// they end.
pub(crate) struct LocalWorkers {
    exe: std::path::PathBuf,
    children: Vec<Child>,
}

impl LocalWorkers {
    pub(crate) fn new() -> Result<LocalWorkers, String> {
        let exe =
            std::env::current_exe().map_err(|e| format!("cannot find this job binary to start its workers: {e}"))?;
        Ok(LocalWorkers { exe, children: Vec::new() })
    }
}

impl Workers for LocalWorkers {
    fn start(&mut self, command: WorkerCommand) -> Result<(), String> {
        let mut c = Command::new(&self.exe);
        c.args(&command.args).envs(command.env.iter().map(|(k, v)| (k, v))).stdin(std::process::Stdio::null());
        // A process group of its own: Ctrl-C in the terminal reaches the coordinator alone,
        // which stops the workers as SIGTERM does (with a savepoint, if asked).
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut c, 0);
        let child = c
            .spawn()
            .map_err(|e| format!("cannot start worker process {} ({}): {e}", command.index, self.exe.display()))?;
        self.children.push(child);
        Ok(())
    }

    fn check_alive(&mut self) -> Result<(), String> {
        for (i, c) in self.children.iter_mut().enumerate() {
            if let Ok(Some(status)) = c.try_wait() {
                return Err(format!("worker process {i} exited before the job started ({status})"));
            }
        }
        Ok(())
    }

    fn exit_of(&mut self, index: usize) -> Option<String> {
        let child = self.children.get_mut(index)?;
        for _ in 0..50 {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(describe_exit(status));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    fn running(&mut self) -> Vec<usize> {
        (0..self.children.len()).filter(|i| matches!(self.children[*i].try_wait(), Ok(None))).collect()
    }

    fn terminate(&mut self) {
        for c in &self.children {
            terminate_pid(c.id());
        }
    }

    fn kill(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
        }
        self.wait();
    }

    fn wait(&mut self) {
        for c in &mut self.children {
            let _ = c.wait();
        }
        self.children.clear();
    }
}

impl Drop for LocalWorkers {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sends SIGTERM to process `pid` (std sends only SIGKILL; `kill` is on every Unix).
pub fn terminate_pid(pid: u32) {
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
}

/// A child's exit in words: `was killed by signal 9 (SIGKILL)`, `exited with code 3`.
pub fn describe_exit(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (_, Some(signal)) => {
            let name = match signal {
                2 => " (SIGINT)",
                6 => " (SIGABRT)",
                9 => " (SIGKILL)",
                11 => " (SIGSEGV)",
                15 => " (SIGTERM)",
                _ => "",
            };
            format!("was killed by signal {signal}{name}")
        }
        (Some(code), None) => format!("exited with code {code}"),
        (None, None) => "ended".to_owned(),
    }
}
