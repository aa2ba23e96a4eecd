//! A job's coordinator in a session cluster: the JobManager starts the job binary as the
//! job's coordinator (Flink's JobMaster) with [`CLUSTER_ENV`] and [`CLUSTER_SECRET_ENV`], and
//! the coordinator has its workers started on TaskManagers through this link instead of as
//! its own children. Everything else (checkpoints, restarts, savepoints on stop) is the
//! coordinator of `--processes`, unchanged.
//!
//! The link is one line per message, after the coordinator proved the job's cluster secret
//! ([`auth`]): `start I TOKEN...` (coordinator; the worker's arguments as `a:HEX` and its
//! environment as `e:HEX=HEX`, hex so that no argument can break the line), `terminate`,
//! `kill`, `metrics I TASKS` and `user-metrics I METRICS` (a worker's task metrics, its
//! counters and gauges; coordinator), `checkpoints COUNTS` (the job's checkpoint figures;
//! coordinator), and `exited I HOW`, `refused I WHY` or `stop-with-savepoint
//! drain|keep DIR` (JobManager).

use super::auth::{self, Secret, AUTH_TIMEOUT};
use super::control::LineReader;
use super::workers::{WorkerCommand, Workers};
use crate::api::hex::{hex, unhex};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::TcpStream;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Where the JobManager listens for this job's coordinator.
pub const CLUSTER_ENV: &str = "RILL_CLUSTER";

/// The secret this job's coordinator proves to the JobManager (64 hex digits).
pub const CLUSTER_SECRET_ENV: &str = "RILL_CLUSTER_SECRET";

/// The job's id in the cluster: its checkpoints go under it, so a JobManager that restarts
/// finds them.
pub const JOB_ID_ENV: &str = "RILL_CLUSTER_JOB_ID";

/// Where the coordinator writes its job's checkpoint directory, for the JobManager.
pub const CHECKPOINTS_FILE_ENV: &str = "RILL_CLUSTER_CHECKPOINTS_FILE";

/// Where the coordinator writes how its job ended (a JSON object: `failure`, the message
/// with its causes, and `savepoint`, the path of the savepoint it stopped with), for the
/// JobManager: its log lines are for people, and their format is `RUST_LOG`'s to change.
pub const OUTCOME_FILE_ENV: &str = "RILL_CLUSTER_OUTCOME_FILE";

/// The savepoint this process's job stopped with, for [`report_outcome`].
static STOPPED_WITH: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Notes that the job stopped with the savepoint at `path`.
pub(crate) fn stopped_with_savepoint(path: &std::path::Path) {
    *STOPPED_WITH.lock().unwrap_or_else(|p| p.into_inner()) = Some(path.display().to_string());
}

/// How a job ended, as its coordinator tells the JobManager (see [`OUTCOME_FILE_ENV`]).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReportedOutcome {
    /// Why it failed, with the causes; none when it did not fail.
    pub failure: Option<String>,
    /// Where the savepoint it stopped with is.
    pub savepoint: Option<String>,
}

impl ReportedOutcome {
    /// What the coordinator of a job wrote to `file`, if it wrote anything readable.
    pub fn read(file: &std::path::Path) -> Option<ReportedOutcome> {
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(file).ok()?).ok()?;
        let field = |name: &str| json.get(name).and_then(|v| v.as_str()).map(str::to_owned);
        Some(ReportedOutcome { failure: field("failure"), savepoint: field("savepoint") })
    }
}

/// Writes how the job ended where the JobManager reads it, when there is one to tell; the
/// process exits right after.
pub(crate) fn report_outcome(failure: Option<&str>) {
    let Some(file) = std::env::var_os(OUTCOME_FILE_ENV) else { return };
    let savepoint = STOPPED_WITH.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let json = serde_json::json!({ "failure": failure, "savepoint": savepoint }).to_string();
    if let Err(e) = std::fs::write(&file, json) {
        tracing::warn!("cannot tell the JobManager how the job ended ({}: {e})", std::path::Path::new(&file).display());
    }
}

/// The directory of this run's checkpoints under `base`: named by the cluster's job id in a
/// cluster (and written where the JobManager looks for it), else by a new random id.
pub fn job_checkpoint_dir(base: &std::path::Path) -> std::path::PathBuf {
    let id = std::env::var(JOB_ID_ENV)
        .ok()
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(crate::checkpoint::storage::new_job_id);
    let dir = base.join(id);
    if let Some(file) = std::env::var_os(CHECKPOINTS_FILE_ENV) {
        if let Err(e) = std::fs::write(&file, dir.to_string_lossy().as_bytes()) {
            tracing::warn!("cannot tell the JobManager where the checkpoints go ({e}): it cannot recover the job");
        }
    }
    dir
}

/// How long the coordinator waits for its workers to exit once they were told to.
const EXIT_WAIT: Duration = Duration::from_secs(30);

/// What the JobManager said about the workers.
#[derive(Default)]
struct Heard {
    started: BTreeSet<usize>,
    exited: BTreeMap<usize, String>,
    refused: Option<String>,
    /// The JobManager closed the link (it stopped): no more news will come.
    closed: bool,
}

/// The coordinator's end of its link to the JobManager: its workers, as [`Workers`].
pub(crate) struct JobManagerLink {
    stream: TcpStream,
    heard: Arc<(Mutex<Heard>, Condvar)>,
    /// Set when this side closes the link: its end is then no news.
    closing: Arc<std::sync::atomic::AtomicBool>,
}

impl JobManagerLink {
    /// The link, if this process was started by a JobManager ([`CLUSTER_ENV`] is set); the
    /// JobManager's orders for the job go to `orders`.
    pub(crate) fn from_env(orders: impl Fn(Order) + Send + 'static) -> Result<Option<JobManagerLink>, String> {
        let Ok(addr) = std::env::var(CLUSTER_ENV) else { return Ok(None) };
        let hex = std::env::var(CLUSTER_SECRET_ENV)
            .map_err(|_| format!("{CLUSTER_ENV} is set but {CLUSTER_SECRET_ENV} is not: a JobManager sets both"))?;
        let secret = Secret::from_hex(&hex)?;
        let Ok(mut stream) = TcpStream::connect(&addr) else {
            // Its JobManager is gone (between two attempts of the job): the job is the
            // JobManager's to recover; this coordinator stops rather than retry in vain.
            let _ = writeln!(std::io::stderr(), "job: the JobManager at {addr} is gone; this coordinator stops");
            std::process::exit(75);
        };
        stream.set_read_timeout(Some(AUTH_TIMEOUT)).map_err(|e| e.to_string())?;
        auth::client(&mut stream, &secret).map_err(|e| format!("the JobManager at {addr} was refused: {e}"))?;
        stream.set_read_timeout(None).map_err(|e| e.to_string())?;
        let heard: Arc<(Mutex<Heard>, Condvar)> = Arc::default();
        let (reader, news) = (stream.try_clone().map_err(|e| e.to_string())?, heard.clone());
        let closing = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let closed_here = closing.clone();
        std::thread::Builder::new()
            .name("jobmanager link".into())
            .spawn(move || {
                let mut lines = LineReader::new(&reader);
                while let Ok(line) = lines.next_line() {
                    if let Some(order) = Order::parse(&line) {
                        orders(order);
                        continue;
                    }
                    let mut heard = news.0.lock().unwrap_or_else(|p| p.into_inner());
                    match parse_news(&line) {
                        Some(News::Exited(i, how)) => {
                            heard.exited.insert(i, how);
                        }
                        Some(News::Refused(i, why)) => {
                            heard.refused.get_or_insert(format!("worker process {i} could not be placed: {why}"));
                        }
                        None => tracing::warn!("the JobManager said '{line}', which this coordinator does not know"),
                    }
                    news.1.notify_all();
                }
                news.0.lock().unwrap_or_else(|p| p.into_inner()).closed = true;
                news.1.notify_all();
                if !closed_here.load(std::sync::atomic::Ordering::SeqCst) {
                    // The JobManager is gone: the job is its to recover (from the job's last
                    // checkpoint, when it comes back); this coordinator stops, and its workers
                    // stop with their TaskManagers' link to it.
                    let _ = writeln!(std::io::stderr(), "job: the JobManager went away; this coordinator stops");
                    std::process::exit(75);
                }
            })
            .map_err(|e| e.to_string())?;
        Ok(Some(JobManagerLink { stream, heard, closing }))
    }

    fn send(&mut self, line: &str) -> Result<(), String> {
        writeln!(self.stream, "{line}").map_err(|e| format!("cannot reach the JobManager: {e}"))
    }

    /// Waits until `done` holds of what was heard, or `within` passes; returns what it holds.
    fn wait_for(&self, within: Duration, done: impl Fn(&Heard) -> bool) -> bool {
        let deadline = Instant::now() + within;
        let mut heard = self.heard.0.lock().unwrap_or_else(|p| p.into_inner());
        while !done(&heard) && !heard.closed {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            heard = self.heard.1.wait_timeout(heard, left).unwrap_or_else(|p| p.into_inner()).0;
        }
        done(&heard)
    }

    fn all_exited(heard: &Heard) -> bool {
        heard.started.iter().all(|i| heard.exited.contains_key(i))
    }
}

impl Workers for JobManagerLink {
    fn start(&mut self, command: WorkerCommand) -> Result<(), String> {
        self.heard.0.lock().unwrap_or_else(|p| p.into_inner()).started.insert(command.index);
        self.send(&start_line(&command))
    }

    fn check_alive(&mut self) -> Result<(), String> {
        let heard = self.heard.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(why) = &heard.refused {
            return Err(why.clone());
        }
        if let Some((i, how)) = heard.exited.iter().next() {
            return Err(format!("worker process {i} exited before the job started (it {how})"));
        }
        if heard.closed {
            return Err("the JobManager closed its link to this job".into());
        }
        Ok(())
    }

    fn exit_of(&mut self, index: usize) -> Option<String> {
        self.wait_for(Duration::from_millis(500), |h| h.exited.contains_key(&index));
        self.heard.0.lock().unwrap_or_else(|p| p.into_inner()).exited.get(&index).cloned()
    }

    fn running(&mut self) -> Vec<usize> {
        let heard = self.heard.0.lock().unwrap_or_else(|p| p.into_inner());
        heard.started.iter().copied().filter(|i| !heard.exited.contains_key(i)).collect()
    }

    fn terminate(&mut self) {
        let _ = self.send("terminate");
    }

    fn kill(&mut self) {
        let _ = self.send("kill");
        self.wait();
    }

    fn wait(&mut self) {
        self.wait_for(EXIT_WAIT, Self::all_exited);
    }

    fn savepoint_taken(&mut self, outcome: Result<&std::path::Path, &str>) {
        let line = match outcome {
            Ok(path) => format!("savepoint-taken {}", path.display()),
            Err(why) => format!("savepoint-failed {}", why.replace('\n', " ")),
        };
        let _ = self.send(&line);
    }

    fn metrics(&mut self, index: usize, tasks: &str) {
        let _ = self.send(&format!("metrics {index} {tasks}"));
    }

    fn user_metrics(&mut self, index: usize, metrics: &str) {
        let _ = self.send(&format!("user-metrics {index} {metrics}"));
    }

    fn checkpoint_counts(&mut self, counts: &crate::checkpoint::stats::CheckpointCounts) {
        let _ = self.send(&format!("checkpoints {}", counts.encode()));
    }
}

impl Drop for JobManagerLink {
    fn drop(&mut self) {
        if !self.running().is_empty() {
            self.kill();
        }
        self.closing.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

/// The coordinator's `start` line for `command`.
pub fn start_line(command: &WorkerCommand) -> String {
    let mut line = format!("start {}", command.index);
    for arg in &command.args {
        line.push_str(" a:");
        line.push_str(&hex(arg));
    }
    for (k, v) in &command.env {
        line.push_str(&format!(" e:{}={}", hex(k), hex(v)));
    }
    line
}

/// A `start` line back into the worker's command; `None` if it is not one.
pub fn parse_start(line: &str) -> Option<WorkerCommand> {
    let mut words = line.split(' ');
    if words.next()? != "start" {
        return None;
    }
    let index = words.next()?.parse().ok()?;
    let (mut args, mut env) = (Vec::new(), Vec::new());
    for word in words {
        match word.split_once(':')? {
            ("a", h) => args.push(unhex(h)?),
            ("e", kv) => {
                let (k, v) = kv.split_once('=')?;
                env.push((unhex(k)?, unhex(v)?));
            }
            _ => return None,
        }
    }
    Some(WorkerCommand { index, args, env })
}

/// What the JobManager asks of a job's coordinator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Order {
    /// Take a savepoint under the directory and stop (`rill stop`); with `drain`, event time
    /// moves to its end first.
    StopWithSavepoint {
        /// Where the savepoint goes (as `savepoint-N` under it).
        dir: std::path::PathBuf,
        /// Whether event time moves to its end first.
        drain: bool,
    },
    /// Take a savepoint under the directory and go on (`rill savepoint`).
    Savepoint {
        /// Where the savepoint goes (as `savepoint-N` under it).
        dir: std::path::PathBuf,
    },
}

impl Order {
    /// The line that carries this order.
    pub fn line(&self) -> String {
        match self {
            Order::StopWithSavepoint { dir, drain } => {
                format!("stop-with-savepoint {} {}", if *drain { "drain" } else { "keep" }, dir.display())
            }
            Order::Savepoint { dir } => format!("savepoint {}", dir.display()),
        }
    }

    fn parse(line: &str) -> Option<Order> {
        if let Some(dir) = line.strip_prefix("savepoint ").filter(|d| !d.is_empty()) {
            return Some(Order::Savepoint { dir: dir.into() });
        }
        let rest = line.strip_prefix("stop-with-savepoint ")?;
        let (how, dir) = rest.split_once(' ')?;
        let drain = match how {
            "drain" => true,
            "keep" => false,
            _ => return None,
        };
        (!dir.is_empty()).then(|| Order::StopWithSavepoint { dir: dir.into(), drain })
    }
}

/// What the JobManager tells a coordinator about its workers.
#[derive(Debug, PartialEq, Eq)]
pub enum News {
    /// Worker I's process ended, and how.
    Exited(usize, String),
    /// Worker I could not be placed on a TaskManager, and why.
    Refused(usize, String),
}

impl News {
    /// The line that carries this news.
    pub fn line(&self) -> String {
        match self {
            News::Exited(i, how) => format!("exited {i} {}", how.replace('\n', " ")),
            News::Refused(i, why) => format!("refused {i} {}", why.replace('\n', " ")),
        }
    }
}

fn parse_news(line: &str) -> Option<News> {
    let (kind, rest) = line.split_once(' ')?;
    let (index, text) = rest.split_once(' ').unwrap_or((rest, ""));
    let index = index.parse().ok()?;
    match kind {
        "exited" => Some(News::Exited(index, text.to_owned())),
        "refused" => Some(News::Refused(index, text.to_owned())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_lines_carry_any_argument_and_reject_anything_else() {
        let command = WorkerCommand {
            index: 3,
            args: vec!["-p".into(), "2".into(), "--".into(), "a b\nc".into(), String::new(), "ü:=".into()],
            env: vec![("RILL_JOB_SECRET".into(), "ab=cd".into())],
        };
        let line = start_line(&command);
        assert!(!line.contains('\n'));
        assert_eq!(parse_start(&line), Some(command));
        for bad in [
            "start",
            "start x",
            "start 1 a:zz",
            "start 1 b:00",
            "start 1 a:0",
            "start 1 e:00",
            "stop 1",
            "start 1 a:ff",
        ] {
            assert_eq!(parse_start(bad), None, "{bad}");
        }
        assert_eq!(
            parse_news("exited 2 was killed by signal 9"),
            Some(News::Exited(2, "was killed by signal 9".into()))
        );
        assert_eq!(parse_news(&News::Refused(1, "no slots".into()).line()), Some(News::Refused(1, "no slots".into())));
        assert_eq!(parse_news("hello 1"), None);
        let order = Order::StopWithSavepoint { dir: "/a b/c".into(), drain: true };
        assert_eq!(Order::parse(&order.line()), Some(order));
        assert_eq!(Order::parse("stop-with-savepoint maybe /x"), None);
        let order = Order::Savepoint { dir: "s3://b/p".into() };
        assert_eq!(Order::parse(&order.line()), Some(order));
    }
}
