//! A worker's end of the control connection of a job split over processes
//! (`--worker I --coordinator ADDR`): its hello, heartbeats, the coordinator's checkpoint
//! messages, and its result.

use super::auth::{self, Secret, AUTH_TIMEOUT};
use super::control::{read_line, LineReader};
use super::launcher::Outcome;
use super::{ControlMessage, Member};
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often a worker tells its coordinator it is alive.
pub(crate) const HEARTBEAT: Duration = Duration::from_secs(1);

/// Set by a TaskManager for the workers it starts: a worker exits when its TaskManager
/// does, as a lost TaskManager's slots are lost with everything in them (the job restarts
/// elsewhere from its checkpoint instead of keeping processes no one manages).
pub const EXIT_WITH_PARENT_ENV: &str = "RILL_EXIT_WITH_PARENT";

/// Watches this process's parent; when it goes (this process is handed to another), exits.
fn exit_with_parent(index: usize) -> Result<(), String> {
    let parent = std::os::unix::process::parent_id();
    std::thread::Builder::new()
        .name("parent watch".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_millis(50));
            if std::os::unix::process::parent_id() != parent {
                // Its stderr may have gone with the TaskManager: a failed write must not
                // stop the exit (eprintln! would panic this thread instead).
                let _ = writeln!(std::io::stderr(), "worker {index}: its TaskManager (pid {parent}) is gone; stopping");
                std::process::exit(1);
            }
        })
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Set once this worker has reported: the coordinator closing the connection is then no news.
static REPORTED: AtomicBool = AtomicBool::new(false);

/// A worker's end of the control connection (shared with its heartbeat thread).
pub struct Coordinator {
    stream: std::sync::Arc<std::sync::Mutex<TcpStream>>,
}

impl Coordinator {
    /// Says hello to the coordinator at `addr` and learns where the other workers listen.
    /// If the coordinator goes away later, this process exits: its job is over.
    pub fn join(addr: &str, index: usize) -> Result<(Member, Coordinator), String> {
        let secret = Secret::from_env()?;
        if std::env::var_os(EXIT_WITH_PARENT_ENV).is_some() {
            exit_with_parent(index)?;
        }
        let listener = super::listen("exchange connections")?;
        let data = listener.local_addr().map_err(|e| e.to_string())?;
        let mut stream =
            TcpStream::connect(addr).map_err(|e| format!("cannot reach the coordinator at {addr}: {e}"))?;
        stream.set_read_timeout(Some(AUTH_TIMEOUT)).map_err(|e| e.to_string())?;
        auth::client(&mut stream, &secret).map_err(|e| format!("the coordinator at {addr} was refused: {e}"))?;
        stream.set_read_timeout(None).map_err(|e| e.to_string())?;
        writeln!(stream, "hello {index} {data}").map_err(|e| format!("cannot reach the coordinator at {addr}: {e}"))?;
        let line = read_line(&stream).map_err(|e| format!("the coordinator at {addr} did not answer: {e}"))?;
        let peers = line
            .strip_prefix("peers ")
            .ok_or_else(|| format!("the coordinator said '{line}' instead of the peers"))?
            .split(' ')
            .map(|p| p.parse::<SocketAddr>().map_err(|_| format!("bad peer address '{p}'")))
            .collect::<Result<Vec<_>, _>>()?;
        if index >= peers.len() {
            return Err(format!("worker {index} of a job with {} processes", peers.len()));
        }
        let watch = stream.try_clone().map_err(|e| e.to_string())?;
        let (control_tx, control_rx) = tokio::sync::mpsc::unbounded_channel();
        std::thread::Builder::new()
            .name("coordinator watch".into())
            .spawn(move || {
                // The coordinator sends checkpoint messages; anything else, or the end of the
                // connection, means it is gone.
                let mut lines = LineReader::new(&watch);
                while let Ok(line) = lines.next_line() {
                    match ControlMessage::parse(&line) {
                        Some(m) => {
                            let _ = control_tx.send(m);
                        }
                        None => break,
                    }
                }
                if REPORTED.load(Ordering::SeqCst) {
                    return; // It closed because it has this worker's result.
                }
                tracing::warn!("worker {index}: the coordinator went away; stopping");
                std::process::exit(1);
            })
            .map_err(|e| e.to_string())?;
        let stream = std::sync::Arc::new(std::sync::Mutex::new(stream));
        let beat = stream.clone();
        std::thread::Builder::new()
            .name("heartbeat".into())
            .spawn(move || loop {
                std::thread::sleep(HEARTBEAT);
                if REPORTED.load(Ordering::SeqCst) {
                    return;
                }
                // The heartbeat carries this worker's task metrics to the coordinator.
                let metrics = crate::metrics::encode(&crate::metrics::tasks());
                let user = crate::metrics::encode_user(&crate::metrics::user_metrics());
                let mut s = beat.lock().unwrap_or_else(|e| e.into_inner());
                let beat = writeln!(s, "alive")
                    .and_then(|()| writeln!(s, "metrics {metrics}"))
                    .and_then(|()| writeln!(s, "user-metrics {user}"));
                if beat.is_err() {
                    return;
                }
            })
            .map_err(|e| e.to_string())?;
        let member = Member {
            index,
            peers,
            listener,
            secret,
            control: std::sync::Mutex::new(Some(control_rx)),
            replies: Some(stream.clone()),
        };
        Ok((member, Coordinator { stream }))
    }

    /// Reports how this worker's share ended.
    pub fn report(self, outcome: &Outcome) {
        let line = match outcome {
            Outcome::Finished => "ok".to_owned(),
            Outcome::Cancelled(why) => format!("cancelled {why}"),
            Outcome::Failed(message) => format!("failed {}", message.replace('\n', " | ")),
            Outcome::FailedAfter(message) => format!("failed-after {}", message.replace('\n', " | ")),
        };
        let mut stream = self.stream.lock().unwrap_or_else(|e| e.into_inner());
        REPORTED.store(true, Ordering::SeqCst);
        let _ = writeln!(stream, "{line}").and_then(|_| stream.flush());
    }
}
