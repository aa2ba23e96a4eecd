//! A job's life in the JobManager: checked against the plan its binary embeds, placed on
//! TaskManager slots, its coordinator (Flink's JobMaster) started as a process of the job's
//! own binary, with a link over which the coordinator has its workers started on the
//! TaskManagers; cancelled by SIGTERM to the coordinator, ended when the coordinator exits.
//! A job's processes are its own: one that fails takes no other job with it.

use super::protocol::{is_job_id, ToTaskManager};
use super::state::{lock, now_ms, Job, JobState, RunRequest, Shared};
use super::taskmanager_link::{send, send_binary, tell_job};
use rill::net::auth::{self, Secret, AUTH_TIMEOUT};
use rill::net::cluster_link::{
    parse_start, News, ReportedOutcome, CHECKPOINTS_FILE_ENV, CLUSTER_ENV, CLUSTER_SECRET_ENV, JOB_ID_ENV,
    OUTCOME_FILE_ENV,
};
use rill::net::control::LineReader;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Starts a job from the uploaded binary `sha`; its job id, or why it cannot run (a message
/// for a 400).
pub fn submit(state: &Shared, sha: &str, request: &RunRequest) -> Result<String, String> {
    let id = Secret::generate().map_err(|e| e.to_string())?.to_hex()[..32].to_owned();
    let start_ms = now_ms();
    match start(state, &id, sha, request, start_ms) {
        Ok(()) => {}
        Err(StartError::Failed(why)) => return Err(why),
        Err(StartError::NoSlots(why, plan)) => {
            // Flink's: the job waits for slots (TaskManagers may join), CREATED meanwhile.
            tracing::info!("job {id}: waiting for slots: {why}");
            let mut s = lock(state);
            s.jobs.insert(id.clone(), Job::created(&plan, sha, request, start_ms));
            super::records::persist(&s, &id);
            drop(s);
            let (shared, job, sha, request) = (state.clone(), id.clone(), sha.to_owned(), request.clone());
            std::thread::spawn(move || {
                if let Ok(()) = start_when_placed(&shared, &job, &sha, &request, start_ms) {
                    tracing::info!("job {job}: placed");
                }
            });
        }
    }
    Ok(id)
}

/// Why a job did not start: no slots for it now (with its plan), or anything else.
pub enum StartError {
    NoSlots(String, serde_json::Value),
    Failed(String),
}

impl From<String> for StartError {
    fn from(why: String) -> Self {
        StartError::Failed(why)
    }
}

/// Starts job `id` once it has slots, trying until the cluster's slot timeout; fails it if
/// they do not come, and leaves it if it was cancelled meanwhile.
pub fn start_when_placed(
    state: &Shared,
    id: &str,
    sha: &str,
    request: &RunRequest,
    start_ms: u64,
) -> Result<(), String> {
    let deadline = std::time::Instant::now() + lock(state).slot_timeout;
    loop {
        if lock(state).jobs.get(id).is_some_and(|j| j.state.is_terminal()) {
            return Err("cancelled while it waited".into());
        }
        let why = match start(state, id, sha, request, start_ms) {
            Ok(()) => return Ok(()),
            Err(StartError::NoSlots(..)) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(200));
                continue;
            }
            Err(StartError::NoSlots(why, _)) => {
                format!("no slots within {} s: {why}", lock(state).slot_timeout.as_secs())
            }
            Err(StartError::Failed(why)) => why,
        };
        tracing::warn!("job {id} FAILED: {why}");
        let mut s = lock(state);
        if let Some(job) = s.jobs.get_mut(id) {
            job.state = JobState::Failed;
            job.failure = Some(why.clone());
            job.end = Some(now_ms());
        }
        super::records::persist(&s, id);
        return Err(why);
    }
}

/// Starts job `id` (a new one, or one a restarted JobManager recovers) from binary `sha`.
pub fn start(state: &Shared, id: &str, sha: &str, request: &RunRequest, start_ms: u64) -> Result<(), StartError> {
    let id = id.to_owned();
    let binary = lock(state).home.jars().join(sha);
    let p = request.parallelism.unwrap_or(1);
    if p == 0 {
        return Err(StartError::Failed("parallelism must be at least 1".into()));
    }
    let plan = plan_of(&binary, p, &request.flags, &request.args)?;
    let name = plan["job"].as_str().unwrap_or("job").to_owned();
    let widest = widest(&plan);
    let secret = Secret::generate().map_err(|e| format!("cannot make the job's secret: {e}"))?;
    let link = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot listen for the job: {e}"))?;
    let link_addr = link.local_addr().map_err(|e| e.to_string())?;
    let mut state_now = lock(state);
    if state_now.jobs.get(&id).is_some_and(|j| j.state.is_terminal()) {
        return Err(StartError::Failed("the job was cancelled".into()));
    }
    let placement = match state_now.place(widest) {
        Ok(placement) => placement,
        Err(why) => return Err(StartError::NoSlots(why, plan)),
    };
    for (i, tm) in placement.iter().enumerate() {
        if let Some(tm) = state_now.taskmanagers.get_mut(tm) {
            tm.free -= slots_of(widest, placement.len(), i);
        }
    }
    let log_path = state_now.home.logs().join(format!("job-{id}.log"));
    // Appended to: the job's workers append their messages to it too.
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let mut command = Command::new(&binary);
    command.args(["--processes", &placement.len().to_string(), "-p", &p.to_string()]);
    if let Some(savepoint) = &request.savepoint {
        command.args(["--from-savepoint", savepoint]);
        if request.allow_non_restored_state {
            command.arg("--allow-non-restored-state");
        }
    }
    command.args(&request.flags).arg("--").args(&request.args);
    command.env(CLUSTER_ENV, link_addr.to_string()).env(CLUSTER_SECRET_ENV, secret.to_hex());
    // It listens for its workers where the TaskManagers reach this machine.
    command.env(rill::net::HOST_ENV, state_now.host.to_string());
    // Its checkpoints go under its id, and it says where: a JobManager that restarts
    // recovers the job from the last one.
    command.env(JOB_ID_ENV, &id).env(CHECKPOINTS_FILE_ENV, super::records::checkpoints_file(&state_now.home, &id));
    // And how it ended, which its exit status alone does not say.
    let outcome_file = super::records::outcome_file(&state_now.home, &id);
    let _ = std::fs::remove_file(&outcome_file);
    command.env(OUTCOME_FILE_ENV, &outcome_file);
    command.current_dir(state_now.home.dir()).stdin(Stdio::null()).stdout(log.try_clone().map_err(|e| e.to_string())?);
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = match command.stderr(log).spawn() {
        Ok(child) => child,
        Err(e) => {
            release(&mut state_now, widest, &placement);
            return Err(StartError::Failed(format!("cannot start the job's coordinator ({}): {e}", binary.display())));
        }
    };
    tracing::info!("job {id} ({name}) submitted: parallelism {p}, processes on TaskManagers {placement:?}");
    let mut job = Job::created(&plan, sha, request, start_ms);
    job.state = JobState::Running;
    job.placement = placement.clone();
    job.pid = Some(child.id());
    state_now.jobs.insert(id.clone(), job);
    super::records::persist(&state_now, &id);
    drop(state_now);
    let (shared, job) = (state.clone(), id.clone());
    std::thread::spawn(move || serve_links(link, &secret, &shared, &job));
    let (shared, job) = (state.clone(), id.clone());
    std::thread::spawn(move || {
        let status = child.wait();
        ended(&shared, &job, status.ok(), widest, &placement, &outcome_file);
    });
    Ok(())
}

/// How many slots worker process `i` of `n` takes for `p` subtasks per chain.
fn slots_of(p: usize, n: usize, i: usize) -> usize {
    p / n + usize::from(i < p % n)
}

fn release(state: &mut super::state::State, p: usize, placement: &[usize]) {
    for (i, tm) in placement.iter().enumerate() {
        if let Some(tm) = state.taskmanagers.get_mut(tm) {
            tm.free = (tm.free + slots_of(p, placement.len(), i)).min(tm.slots);
        }
    }
}

/// The plan the binary embeds, for these parameters: checks them before anything starts.
fn plan_of(binary: &std::path::Path, p: usize, flags: &[String], args: &[String]) -> Result<serde_json::Value, String> {
    let output = crate::run_plan(binary, Some(p), flags, args)
        .map_err(|e| format!("cannot run the job binary: {e} (is it a Rill job built for this machine?)"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().next().unwrap_or("").trim_start_matches("error: ");
        return Err(format!("the job does not start with these arguments: {first}"));
    }
    serde_json::from_slice(&output.stdout).map_err(|_| "the binary is not a Rill job (its --plan is not a plan)".into())
}

/// Serves the links of the job's coordinator (one per attempt of the job: a restart
/// connects again) until the job ends. A connection without the job's secret is refused.
fn serve_links(listener: TcpListener, secret: &Secret, state: &Shared, job: &str) {
    let _ = listener.set_nonblocking(true);
    loop {
        if lock(state).jobs.get(job).is_none_or(|j| j.state.is_terminal()) {
            return;
        }
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(_) => {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
        };
        let (secret, state, job) = (secret.clone(), state.clone(), job.to_owned());
        std::thread::spawn(move || {
            let mut stream = stream;
            let _ = stream.set_nonblocking(false);
            let _ = stream.set_read_timeout(Some(AUTH_TIMEOUT));
            if let Err(why) = auth::server(&mut stream, &secret) {
                tracing::warn!("job {job}: refused a connection to its link: {why}");
                return;
            }
            let _ = stream.set_read_timeout(None);
            serve_link(stream, &state, &job);
        });
    }
}

/// One attempt's link: starts the workers it asks for on their TaskManagers, passes on
/// `terminate` and `kill`.
fn serve_link(stream: TcpStream, state: &Shared, job: &str) {
    let Ok(writer) = stream.try_clone() else { return };
    let Some((sha, placement)) = ({
        let mut s = lock(state);
        replace_lost(&mut s, job);
        s.jobs.get_mut(job).map(|j| {
            j.link = Some(Arc::new(Mutex::new(writer)));
            (j.jar.clone(), j.placement.clone())
        })
    }) else {
        return;
    };
    let mut lines = LineReader::new(&stream);
    while let Ok(line) = lines.next_line() {
        match line.as_str() {
            "terminate" => each_taskmanager(state, &placement, ToTaskManager::Cancel(job.to_owned())),
            "kill" => each_taskmanager(state, &placement, ToTaskManager::Kill(job.to_owned())),
            _ if line.starts_with("metrics ") => record_metrics(state, job, &line["metrics ".len()..]),
            _ if line.starts_with("user-metrics ") => record_user_metrics(state, job, &line["user-metrics ".len()..]),
            _ if line.starts_with("checkpoints ") => {
                let counts = rill::checkpoint::stats::CheckpointCounts::decode(&line["checkpoints ".len()..]);
                if let (Some(counts), Some(j)) = (counts, lock(state).jobs.get_mut(job)) {
                    j.checkpoints = counts;
                }
            }
            // A worker without user metrics (the line's end is trimmed as it is read).
            "user-metrics" | "metrics" => {}
            _ if line.starts_with("savepoint-taken ") || line.starts_with("savepoint-failed ") => {
                let (kind, what) = line.split_once(' ').unwrap_or((&line, ""));
                let result = if kind == "savepoint-taken" { Ok(what.to_owned()) } else { Err(what.to_owned()) };
                if let Some(j) = lock(state).jobs.get_mut(job) {
                    if let Some((_, slot)) = j.savepoints.iter_mut().find(|(_, r)| r.is_none()) {
                        *slot = Some(result);
                    }
                }
            }
            _ => match parse_start(&line) {
                Some(command) => {
                    let Some(tm) = placement.get(command.index).copied() else {
                        tell_job(state, job, News::Refused(command.index, "no such worker".into()));
                        continue;
                    };
                    let deploy = ToTaskManager::Deploy { job: job.to_owned(), sha: sha.clone(), start: line.clone() };
                    match send_binary(state, tm, &sha).and_then(|_| send(state, tm, &deploy)) {
                        Ok(()) => tracing::info!("job {job}: worker {} started on TaskManager {tm}", command.index),
                        Err(why) => tell_job(state, job, News::Refused(command.index, why)),
                    }
                }
                None => {
                    tracing::warn!("job {job}: its coordinator said '{line}'; closing its link");
                    return;
                }
            },
        }
    }
}

/// A new attempt of the job (after a failure): its workers whose TaskManager is gone go to
/// TaskManagers with free slots, several to one if need be. A worker with no slot left is
/// refused when it is started; the attempt fails, and the restart strategy tries again.
fn replace_lost(state: &mut super::state::State, job: &str) {
    let Some(j) = state.jobs.get(job) else { return };
    let (p, mut placement) = (widest(&j.plan), j.placement.clone());
    let n = placement.len();
    for (i, tm) in placement.iter_mut().enumerate() {
        if state.taskmanagers.contains_key(tm) {
            continue;
        }
        let need = slots_of(p, n, i);
        let roomiest = state.taskmanagers.iter_mut().filter(|(_, t)| t.free >= need).max_by_key(|(_, t)| t.free);
        if let Some((id, t)) = roomiest {
            t.free -= need;
            tracing::info!("job {job}: worker {i} moves from lost TaskManager {tm} to TaskManager {id}");
            *tm = *id;
        }
    }
    if let Some(j) = state.jobs.get_mut(job) {
        j.placement = placement;
    }
}

/// The parallelism of a plan's widest chain: the slots a job takes.
fn widest(plan: &serde_json::Value) -> usize {
    plan["chains"].as_array().into_iter().flatten().filter_map(|c| c["parallelism"].as_u64()).max().unwrap_or(1)
        as usize
}

fn each_taskmanager(state: &Shared, placement: &[usize], message: ToTaskManager) {
    let mut tms = placement.to_vec();
    tms.dedup();
    for tm in tms {
        let _ = send(state, tm, &message);
    }
}

/// The job's coordinator exited: the job's state from its exit, its slots back.
fn ended(
    state: &Shared,
    job: &str,
    status: Option<std::process::ExitStatus>,
    p: usize,
    placement: &[usize],
    outcome_file: &std::path::Path,
) {
    // Whatever of its workers still runs goes with it.
    let placement = lock(state).jobs.get(job).map_or_else(|| placement.to_vec(), |j| j.placement.clone());
    each_taskmanager(state, &placement, ToTaskManager::Kill(job.to_owned()));
    let mut s = lock(state);
    release(&mut s, p, &placement);
    let Some(j) = s.jobs.get_mut(job) else { return };
    let code = status.and_then(|s| s.code());
    j.state = match code {
        Some(0) => JobState::Finished,
        Some(130 | 143) => JobState::Canceled,
        _ => JobState::Failed,
    };
    let reported = ReportedOutcome::read(outcome_file).unwrap_or_default();
    j.savepoint = reported.savepoint;
    if j.state == JobState::Failed {
        let how = || {
            format!(
                "the job's coordinator {}",
                status.map_or_else(|| "ended".to_owned(), rill::net::workers::describe_exit)
            )
        };
        j.failure = Some(reported.failure.unwrap_or_else(how));
    }
    j.end = Some(now_ms());
    j.pid = None;
    j.link = None;
    match j.state {
        JobState::Failed => tracing::warn!("job {job} ({}) FAILED: {}", j.name, j.failure.as_deref().unwrap_or("")),
        state => tracing::info!("job {job} ({}) {}", j.name, state.name()),
    }
    super::records::persist(&s, job);
}

/// Cancels job `id` (SIGTERM to its coordinator, which stops its workers and reports).
pub fn cancel(state: &Shared, id: &str) -> Result<(), (u16, String)> {
    let id = is_job_id(id).ok_or((400, format!("'{id}' is not a job id (32 hex digits)")))?;
    let mut s = lock(state);
    let job = s.jobs.get_mut(id).ok_or((404, format!("no job {id} in this cluster")))?;
    if job.state.is_terminal() {
        return Err((409, format!("job {id} has ended ({})", job.state.name())));
    }
    if job.state == JobState::Created {
        // Not started: nothing runs to stop.
        job.state = JobState::Canceled;
        job.end = Some(now_ms());
        super::records::persist(&s, id);
        return Ok(());
    }
    if let Some(pid) = job.pid {
        rill::net::workers::terminate_pid(pid);
    }
    job.state = JobState::Cancelling;
    Ok(())
}

/// Asks job `id` for a savepoint under `dir`, and with `stop` to stop after it (`rill stop`,
/// `rill savepoint`); the id of the request, to ask for its result.
pub fn savepoint(state: &Shared, id: &str, dir: &str, stop: bool, drain: bool) -> Result<String, (u16, String)> {
    let id = is_job_id(id).ok_or((400, format!("'{id}' is not a job id (32 hex digits)")))?;
    if !(dir.starts_with('/') || dir.starts_with("s3://")) {
        return Err((400, format!("the savepoint directory '{dir}' must be an absolute path or s3://bucket/prefix")));
    }
    // A job just submitted has its coordinator's link a moment later.
    for _ in 0..100 {
        if lock(state).jobs.get(id).is_none_or(|j| j.link.is_some() || j.state != JobState::Running) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut s = lock(state);
    let job = s.jobs.get_mut(id).ok_or((404, format!("no job {id} in this cluster")))?;
    if job.state != JobState::Running {
        return Err((409, format!("job {id} is {}, not RUNNING", job.state.name())));
    }
    let link = job.link.clone().ok_or((409, format!("job {id} is starting; try again in a moment")))?;
    let order = match stop {
        true => rill::net::cluster_link::Order::StopWithSavepoint { dir: dir.into(), drain },
        false => rill::net::cluster_link::Order::Savepoint { dir: dir.into() },
    };
    let mut stream = link.lock().unwrap_or_else(|p| p.into_inner());
    writeln!(stream, "{}", order.line()).map_err(|e| (500, format!("cannot reach the job's coordinator: {e}")))?;
    let trigger = Secret::generate().map_err(|e| (500, e.to_string()))?.to_hex()[..32].to_owned();
    match stop {
        true => job.stop_trigger = Some(trigger.clone()),
        false => job.savepoints.push((trigger.clone(), None)),
    }
    Ok(trigger)
}

/// A worker's task metrics, `INDEX TASKS` (see [`rill::metrics::encode`]); a line that does
/// not decode is dropped.
fn record_metrics(state: &Shared, job: &str, text: &str) {
    let (index, tasks) = text.split_once(' ').unwrap_or((text, ""));
    let Ok(index) = index.parse::<usize>() else { return };
    let mut s = lock(state);
    let Some(j) = s.jobs.get_mut(job) else { return };
    let names = rill::metrics::vertex_names(&j.plan);
    let name = |v: u32| names.get(&v).cloned().unwrap_or_else(|| format!("vertex {v}"));
    if let Some(tasks) = rill::metrics::decode(tasks, &j.name, name) {
        j.metrics.update(index, tasks);
    }
}

/// A worker's counters and gauges, `INDEX METRICS` (see [`rill::metrics::encode_user`]).
fn record_user_metrics(state: &Shared, job: &str, text: &str) {
    let (index, metrics) = text.split_once(' ').unwrap_or((text, ""));
    let (Ok(index), Some(metrics)) = (index.parse::<usize>(), rill::metrics::decode_user(metrics)) else { return };
    if let Some(j) = lock(state).jobs.get_mut(job) {
        j.user_metrics.insert(index, metrics);
    }
}
