//! What a JobManager knows: the uploaded job binaries, the jobs and their states, the
//! TaskManagers with their slots and heartbeats. One value behind one lock, read by the REST
//! API and changed by the threads that watch jobs and TaskManagers.

use super::home::Home;
use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// A job's state, with Flink's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for slots.
    Created,
    Running,
    Cancelling,
    Finished,
    Canceled,
    Failed,
}

impl JobState {
    /// Flink's spelling, as the REST API and `rill list` show it.
    pub fn name(self) -> &'static str {
        match self {
            JobState::Created => "CREATED",
            JobState::Running => "RUNNING",
            JobState::Cancelling => "CANCELLING",
            JobState::Finished => "FINISHED",
            JobState::Canceled => "CANCELED",
            JobState::Failed => "FAILED",
        }
    }

    /// Whether the job has ended.
    pub fn is_terminal(self) -> bool {
        matches!(self, JobState::Finished | JobState::Canceled | JobState::Failed)
    }
}

/// What `POST /jars/:id/run` asks for.
#[derive(Debug, Default, Clone)]
pub struct RunRequest {
    pub parallelism: Option<usize>,
    pub args: Vec<String>,
    pub savepoint: Option<String>,
    pub allow_non_restored_state: bool,
    /// The job binary's own flags, from Flink's configuration keys ([`flags_of`]).
    pub flags: Vec<String>,
}

/// The job binary's flags for Flink's configuration keys (`-D key=value`, or
/// `flinkConfiguration` in a run request; see [`rill::config`]); an error names a key that
/// does not apply. The cluster decides parallelism and placement itself, so it takes the
/// checkpoint keys only.
pub fn flags_of<'a>(config: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Vec<String>, String> {
    const TAKEN: [&str; 3] =
        ["execution.checkpointing.interval", "execution.checkpointing.dir", "state.checkpoints.dir"];
    let config: Vec<(&str, &str)> = config.into_iter().collect();
    if let Some((key, _)) = config.iter().find(|(key, _)| !TAKEN.contains(key)) {
        return Err(format!(
            "unknown configuration key '{key}': the cluster takes execution.checkpointing.interval and \
             execution.checkpointing.dir (state.checkpoints.dir)"
        ));
    }
    rill::config::flags_of(config)
}

/// An uploaded job binary, stored as `jars/<sha256>`.
#[derive(Debug, Clone)]
pub struct Jar {
    /// The job's name, from the plan the binary embeds.
    pub name: String,
    /// When it was uploaded, in ms since the epoch.
    pub uploaded: u64,
    pub size: u64,
}

/// A job the cluster runs or ran.
#[derive(Debug)]
pub struct Job {
    pub name: String,
    /// The sha256 of its binary.
    pub jar: String,
    pub state: JobState,
    pub start: u64,
    pub end: Option<u64>,
    pub parallelism: usize,
    /// The plan the binary embeds (`--plan`): the job graph of the REST API.
    pub plan: serde_json::Value,
    /// The TaskManager of each worker process.
    pub placement: Vec<usize>,
    /// The job's coordinator process (Flink's JobMaster), while it runs.
    pub pid: Option<u32>,
    /// Why it failed.
    pub failure: Option<String>,
    /// The coordinator's link, to pass it news of its workers and orders.
    pub link: Option<Arc<Mutex<TcpStream>>>,
    /// The id of the stop with a savepoint asked for (`POST /jobs/:id/stop`), if any.
    pub stop_trigger: Option<String>,
    /// The savepoint the job stopped with.
    pub savepoint: Option<String>,
    /// Savepoints asked for while it runs (`rill savepoint`), in order: their request ids
    /// and, once taken, their paths or why not.
    pub savepoints: Vec<(String, Option<Result<String, String>>)>,
    /// How it was asked to run: what a restarted JobManager runs again.
    pub request: RunRequest,
    /// Its tasks' metrics, as its workers last sent them.
    pub metrics: rill::metrics::JobMetrics,
    /// Its counters and gauges (user metrics, Kafka lag), by worker, as last sent.
    pub user_metrics: BTreeMap<usize, Vec<(String, f64)>>,
    /// Its checkpoint figures, as its coordinator last sent them.
    pub checkpoints: rill::checkpoint::stats::CheckpointCounts,
}

impl Job {
    /// A job waiting for slots, with the plan its binary embeds.
    pub fn created(plan: &serde_json::Value, jar: &str, request: &RunRequest, start: u64) -> Job {
        Job {
            name: plan["job"].as_str().unwrap_or("job").to_owned(),
            jar: jar.to_owned(),
            state: JobState::Created,
            start,
            end: None,
            parallelism: request.parallelism.unwrap_or(1),
            plan: plan.clone(),
            placement: Vec::new(),
            pid: None,
            failure: None,
            link: None,
            stop_trigger: None,
            savepoint: None,
            savepoints: Vec::new(),
            request: request.clone(),
            metrics: Default::default(),
            user_metrics: Default::default(),
            checkpoints: Default::default(),
        }
    }
}

/// A TaskManager that registered.
#[derive(Debug)]
pub struct TaskManager {
    pub name: String,
    pub slots: usize,
    pub free: usize,
    pub last_heartbeat: Instant,
    pub since: u64,
    /// Where the JobManager writes to it.
    pub writer: Arc<Mutex<TcpStream>>,
    /// The binaries it was sent.
    pub binaries: BTreeSet<String>,
    /// The memory it and its workers hold, as its last heartbeat said (RSS, bytes).
    pub memory: Option<u64>,
}

/// Everything a JobManager knows.
#[derive(Debug)]
pub struct State {
    pub home: Home,
    pub jars: BTreeMap<String, Jar>,
    pub jobs: BTreeMap<String, Job>,
    pub taskmanagers: BTreeMap<usize, TaskManager>,
    pub next_taskmanager: usize,
    /// How long a job waits for slots before it fails (Flink's `slot.request.timeout`).
    pub slot_timeout: std::time::Duration,
    /// The heartbeat with the TaskManagers.
    pub heartbeat: super::protocol::Heartbeat,
    /// Where the jobs' coordinators listen for their workers (`RILL_HOST`).
    pub host: std::net::IpAddr,
}

/// The state shared by the JobManager's threads.
pub type Shared = Arc<Mutex<State>>;

/// Locks the state (a panic elsewhere does not make it unreadable).
pub fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

/// Now, in ms since the epoch.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl State {
    /// An empty cluster in `home`, with the binaries uploaded before (they are kept).
    pub fn new(home: Home) -> State {
        let mut jars = BTreeMap::new();
        if let Ok(entries) = std::fs::read_dir(home.jars()) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if super::protocol::is_sha(&name).is_some() {
                    let meta = entry.metadata().ok();
                    let uploaded = meta
                        .as_ref()
                        .and_then(|m| m.modified().ok())
                        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                        .map_or(0, |d| d.as_millis() as u64);
                    let size = meta.map_or(0, |m| m.len());
                    jars.insert(name, Jar { name: String::new(), uploaded, size });
                }
            }
        }
        State {
            home,
            jars,
            jobs: BTreeMap::new(),
            taskmanagers: BTreeMap::new(),
            next_taskmanager: 1,
            slot_timeout: std::time::Duration::from_secs(300),
            heartbeat: Default::default(),
            host: std::net::Ipv4Addr::LOCALHOST.into(),
        }
    }

    /// Slots in all, and free.
    pub fn slots(&self) -> (usize, usize) {
        self.taskmanagers.values().fold((0, 0), |(t, f), tm| (t + tm.slots, f + tm.free))
    }

    /// Where the workers of a job of parallelism `p` go: the TaskManager of each worker
    /// process, fewest processes first (subtask `s` runs in process `s % n`, so process `i`
    /// needs a slot for each of its subtasks), or why it cannot run now.
    pub fn place(&self, p: usize) -> Result<Vec<usize>, String> {
        let mut tms: Vec<(usize, usize)> =
            self.taskmanagers.iter().filter(|(_, tm)| tm.free > 0).map(|(id, tm)| (*id, tm.free)).collect();
        tms.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for n in 1..=tms.len().min(p) {
            // Process i holds the subtasks s with s % n == i: the first p % n hold one more.
            let fits = (0..n).all(|i| tms[i].1 >= p / n + usize::from(i < p % n));
            if fits {
                return Ok(tms[..n].iter().map(|(id, _)| *id).collect());
            }
        }
        let (total, free) = self.slots();
        Err(format!(
            "not enough free slots: the job needs {p} (one per subtask of its widest chain), the cluster has \
             {free} free of {total}; start TaskManagers with more slots (rill cluster start --slots N) or run \
             the job with a lower -p"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tm(slots: usize, free: usize) -> TaskManager {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        TaskManager {
            name: "tm".into(),
            slots,
            free,
            last_heartbeat: Instant::now(),
            since: 0,
            writer: Arc::new(Mutex::new(stream)),
            binaries: BTreeSet::new(),
            memory: None,
        }
    }

    #[test]
    fn placement_takes_the_fewest_processes_whose_slots_hold_their_subtasks() {
        let mut state = State::new(Home::at("/nonexistent"));
        state.taskmanagers.insert(1, tm(2, 2));
        state.taskmanagers.insert(2, tm(2, 2));
        assert_eq!(state.place(2).unwrap(), vec![1]);
        assert_eq!(state.place(3).unwrap(), vec![1, 2]);
        assert_eq!(state.place(4).unwrap(), vec![1, 2]);
        assert!(state.place(5).unwrap_err().contains("needs 5"));
        state.taskmanagers.get_mut(&1).unwrap().free = 1;
        assert_eq!(state.place(2).unwrap(), vec![2]);
        assert_eq!(state.place(3).unwrap(), vec![2, 1]);
        assert!(state.place(4).unwrap_err().contains("3 free of 4"));
    }
}
