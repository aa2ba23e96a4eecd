//! The lines between the JobManager and its TaskManagers, after the TaskManager proved the
//! cluster's secret (`rill::net::auth`): one message per line, bounded, and a job binary sent
//! as `binary SHA LEN` followed by its bytes, checked against its sha256 before it is kept.
//!
//! TaskManager → JobManager: `register SLOTS NAME`, `alive` (every [`HEARTBEAT`]),
//! `exited JOB I HOW` (a worker process ended).
//! JobManager → TaskManager: `registered ID`, `binary SHA LEN`, `deploy JOB SHA START`
//! (`START` is the coordinator's `start` line, `rill::net::cluster_link`), `cancel JOB`
//! (SIGTERM to its processes), `kill JOB`.

use std::time::Duration;

/// How often each side says it is alive, unless the JobManager is told otherwise (Flink's
/// `heartbeat.interval` is 10 s; processes here are cheap to hear from).
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// A side silent for this long is gone (Flink's `heartbeat.timeout`, 50 s there): a
/// TaskManager's workers count as dead, a JobManager's jobs as the next one's to recover.
pub const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(10);

/// The heartbeat settings a JobManager hands its TaskManagers when they register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heartbeat {
    pub interval: Duration,
    pub timeout: Duration,
}

impl Default for Heartbeat {
    fn default() -> Self {
        Heartbeat { interval: HEARTBEAT, timeout: HEARTBEAT_TIMEOUT }
    }
}

/// The largest job binary accepted (upload or transfer), 512 MiB.
pub const MAX_BINARY: u64 = 512 * 1024 * 1024;

/// A JobManager's message to a TaskManager.
#[derive(Debug, PartialEq, Eq)]
pub enum ToTaskManager {
    /// The TaskManager's number in this cluster, and the heartbeat both sides keep.
    Registered(usize, Heartbeat),
    /// The JobManager's heartbeat.
    Alive,
    /// A job binary follows: its sha256 and its length in bytes.
    Binary(String, u64),
    /// Start a worker of job `job` from binary `sha`, as the coordinator's start line says.
    Deploy { job: String, sha: String, start: String },
    /// SIGTERM to every process of the job.
    Cancel(String),
    /// SIGKILL to every process of the job.
    Kill(String),
}

impl ToTaskManager {
    /// The line that carries this message.
    pub fn line(&self) -> String {
        match self {
            ToTaskManager::Registered(id, h) => {
                format!("registered {id} {} {}", h.interval.as_millis(), h.timeout.as_millis())
            }
            ToTaskManager::Alive => "alive".to_owned(),
            ToTaskManager::Binary(sha, len) => format!("binary {sha} {len}"),
            ToTaskManager::Deploy { job, sha, start } => format!("deploy {job} {sha} {start}"),
            ToTaskManager::Cancel(job) => format!("cancel {job}"),
            ToTaskManager::Kill(job) => format!("kill {job}"),
        }
    }

    /// A line back into its message; `None` if it is not one (or names a job or binary by
    /// anything but hex digits, which could reach a path).
    pub fn parse(line: &str) -> Option<ToTaskManager> {
        if line == "alive" {
            return Some(ToTaskManager::Alive);
        }
        let (kind, rest) = line.split_once(' ')?;
        match kind {
            "registered" => {
                let mut words = rest.split(' ');
                let id = words.next()?.parse().ok()?;
                let mut ms = || words.next()?.parse::<u64>().ok().filter(|m| *m > 0).map(Duration::from_millis);
                let (interval, timeout) = (ms()?, ms()?);
                (interval < timeout).then_some(ToTaskManager::Registered(id, Heartbeat { interval, timeout }))
            }
            "binary" => {
                let (sha, len) = rest.split_once(' ')?;
                Some(ToTaskManager::Binary(is_sha(sha)?.to_owned(), len.parse().ok().filter(|l| *l <= MAX_BINARY)?))
            }
            "deploy" => {
                let mut words = rest.splitn(3, ' ');
                let (job, sha, start) = (words.next()?, words.next()?, words.next()?);
                Some(ToTaskManager::Deploy {
                    job: is_job_id(job)?.to_owned(),
                    sha: is_sha(sha)?.to_owned(),
                    start: start.to_owned(),
                })
            }
            "cancel" => Some(ToTaskManager::Cancel(is_job_id(rest)?.to_owned())),
            "kill" => Some(ToTaskManager::Kill(is_job_id(rest)?.to_owned())),
            _ => None,
        }
    }
}

/// A TaskManager's message to the JobManager.
#[derive(Debug, PartialEq, Eq)]
pub enum ToJobManager {
    /// The TaskManager offers `slots` slots under `name`.
    Register { slots: usize, name: String },
    /// The heartbeat.
    /// The heartbeat, with the memory the TaskManager and its workers hold (RSS, bytes).
    Alive(Option<u64>),
    /// Worker `index` of `job` ended, and how.
    Exited { job: String, index: usize, how: String },
    /// The TaskManager could not keep the job binary with this sha256 (a full disk, say):
    /// the JobManager sends it again when a job needs it there.
    Unkept(String),
}

impl ToJobManager {
    /// The line that carries this message.
    pub fn line(&self) -> String {
        match self {
            ToJobManager::Register { slots, name } => format!("register {slots} {name}"),
            ToJobManager::Alive(None) => "alive".to_owned(),
            ToJobManager::Alive(Some(bytes)) => format!("alive {bytes}"),
            ToJobManager::Exited { job, index, how } => format!("exited {job} {index} {}", how.replace('\n', " ")),
            ToJobManager::Unkept(sha) => format!("unkept {sha}"),
        }
    }

    /// A line back into its message; `None` if it is not one.
    pub fn parse(line: &str) -> Option<ToJobManager> {
        if line == "alive" {
            return Some(ToJobManager::Alive(None));
        }
        let (kind, rest) = line.split_once(' ')?;
        match kind {
            "alive" => Some(ToJobManager::Alive(Some(rest.parse().ok()?))),
            "register" => {
                let (slots, name) = rest.split_once(' ')?;
                let slots = slots.parse().ok().filter(|s| (1..=1024).contains(s))?;
                let name_ok = !name.is_empty()
                    && name.len() <= 64
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                name_ok.then(|| ToJobManager::Register { slots, name: name.to_owned() })
            }
            "exited" => {
                let mut words = rest.splitn(3, ' ');
                let job = is_job_id(words.next()?)?.to_owned();
                let index = words.next()?.parse().ok()?;
                Some(ToJobManager::Exited { job, index, how: words.next().unwrap_or("").to_owned() })
            }
            "unkept" => Some(ToJobManager::Unkept(is_sha(rest)?.to_owned())),
            _ => None,
        }
    }
}

/// `text` if it is a sha256 in lowercase hex.
pub fn is_sha(text: &str) -> Option<&str> {
    (text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))).then_some(text)
}

/// `text` if it is a job id: 32 lowercase hex digits, as Flink's.
pub fn is_job_id(text: &str) -> Option<&str> {
    (text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_names_that_could_reach_a_path_are_refused() {
        let sha = "ab".repeat(32);
        let job = "0f".repeat(16);
        for m in [
            ToTaskManager::Registered(3, Heartbeat::default()),
            ToTaskManager::Alive,
            ToTaskManager::Binary(sha.clone(), 10),
            ToTaskManager::Deploy { job: job.clone(), sha: sha.clone(), start: "start 0 a:2d70".into() },
            ToTaskManager::Cancel(job.clone()),
            ToTaskManager::Kill(job.clone()),
        ] {
            assert_eq!(ToTaskManager::parse(&m.line()), Some(m));
        }
        for m in [
            ToJobManager::Register { slots: 2, name: "taskmanager-1".into() },
            ToJobManager::Alive(None),
            ToJobManager::Alive(Some(4096)),
            ToJobManager::Exited { job: job.clone(), index: 1, how: "exited with code 0".into() },
            ToJobManager::Unkept(sha.clone()),
        ] {
            assert_eq!(ToJobManager::parse(&m.line()), Some(m));
        }
        for bad in [
            "binary ../../etc/passwd 10".to_owned(),
            format!("binary {sha} {}", MAX_BINARY + 1),
            format!("deploy ../x {sha} start 0"),
            format!("cancel {}", "0F".repeat(16)),
            "kill *".to_owned(),
            "registered 1 1000".to_owned(),
            "registered 1 10000 1000".to_owned(),
        ] {
            assert_eq!(ToTaskManager::parse(&bad), None, "{bad}");
        }
        for bad in ["register 0 tm", "register 2 ../tm", "register 2 ", "exited x 1 ok", "unkept ../x", "hello"] {
            assert_eq!(ToJobManager::parse(bad), None, "{bad}");
        }
    }
}
