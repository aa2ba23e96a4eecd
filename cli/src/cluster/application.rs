//! Application mode (Flink's `standalone-job.sh`): a JobManager for one job, the binary it
//! was started for. `./job --application` becomes this JobManager (the job binary execs
//! `rill`, so job binaries do not link a web server); it starts `--taskmanagers N` of its
//! own or waits for `rill taskmanager` processes to join, runs the job, and stops when the
//! job ends, with the job's outcome as its exit code.

use super::home::Home;
use super::state::{lock, JobState, RunRequest, Shared};
use std::path::PathBuf;
use std::time::Duration;

/// The job an application-mode JobManager runs.
#[derive(Debug, Clone)]
pub struct Application {
    /// The job binary.
    pub binary: PathBuf,
    /// TaskManagers to start on this machine (0: they join from elsewhere).
    pub taskmanagers: usize,
    /// Slots each of them offers.
    pub slots: usize,
    /// The job's parallelism, savepoint and arguments.
    pub request: RunRequest,
}

/// Starts the TaskManagers (joined to `rpc`) and submits the job; its id.
pub fn start(home: &Home, state: &Shared, rpc: std::net::SocketAddr, app: &Application) -> Result<String, String> {
    let bytes =
        std::fs::read(&app.binary).map_err(|e| format!("cannot read the job binary {}: {e}", app.binary.display()))?;
    let sha = home.store_jar(&bytes)?;
    let name = app.binary.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    lock(state)
        .jars
        .insert(sha.clone(), super::state::Jar { name, uploaded: super::state::now_ms(), size: bytes.len() as u64 });
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the rill command: {e}"))?;
    for i in 1..=app.taskmanagers {
        let name = format!("taskmanager-{i}");
        let (rpc, slots) = (rpc.to_string(), app.slots.to_string());
        let args = ["taskmanager", "start-foreground", "--jobmanager", &rpc, "--slots", &slots, "--name", &name];
        let pid = super::lifecycle::spawn(home, &exe, &args, &name)?;
        tracing::info!("application: TaskManager {name} (pid {pid}) with {slots} slots");
    }
    // Its own TaskManagers register before the job asks for slots (others join later).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while lock(state).taskmanagers.len() < app.taskmanagers && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let id = super::jobs::submit(state, &sha, &app.request)?;
    println!("Job has been submitted with JobID {id}");
    Ok(id)
}

/// Waits for job `id` to end; how it ended.
pub fn wait(state: &Shared, id: &str) -> JobState {
    loop {
        match lock(state).jobs.get(id).map(|j| j.state) {
            Some(s) if s.is_terminal() => return s,
            None => return JobState::Failed,
            Some(_) => {}
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Stops the TaskManagers this JobManager started (their pid files), waiting for them.
pub fn stop_taskmanagers(home: &Home) {
    let entries = std::fs::read_dir(home.pids()).map(|d| d.flatten().collect::<Vec<_>>()).unwrap_or_default();
    for entry in entries.iter().filter(|e| e.file_name().to_string_lossy().starts_with("taskmanager-")) {
        let pid = std::fs::read_to_string(entry.path()).ok().and_then(|p| p.trim().parse::<u32>().ok());
        if let Some(pid) = pid {
            rill::net::workers::terminate_pid(pid);
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while std::path::Path::new(&format!("/proc/{pid}")).exists() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = std::fs::remove_file(entry.path());
    }
}
