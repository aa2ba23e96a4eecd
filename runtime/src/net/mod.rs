//! Exchanges across process boundaries: one job split over several processes that run the
//! same job binary, each with a share of the subtasks, connected by TCP.
//!
//! Every process builds the whole job graph and numbers every exchange channel the same way;
//! a [`Member`] says which process this is and where the others listen. Subtask `s` of every
//! chain runs in process `s % processes` (one subtask of each chain per slot, as Flink's slot
//! sharing places them). Where a writer and its consumer subtask are in different
//! processes, the channel between them becomes a TCP connection carrying framed batches
//! ([`frame`]) of records encoded with [`Codec`](crate::Codec); the generated code does not
//! change.

pub mod auth;
pub(crate) mod bridge;
pub mod cluster_link;
pub mod control;
pub mod frame;
pub(crate) mod launcher;
pub(crate) mod links;
pub mod metrics_http;
pub(crate) mod process_checkpoints;
pub mod web_ui;
pub mod worker;
pub mod workers;

pub use launcher::run_processes;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};

/// The address this process's listeners bind and tell their peers (Flink's
/// `taskmanager.host`): where the other processes of the job reach it. A cluster that spans
/// machines sets it (the TaskManager for its workers, the JobManager for the coordinators);
/// unset, everything listens on loopback, which is what one machine needs.
pub const HOST_ENV: &str = "RILL_HOST";

/// The address to listen on and advertise: `RILL_HOST`, else 127.0.0.1.
pub fn host() -> Result<IpAddr, String> {
    match std::env::var(HOST_ENV) {
        Ok(text) => text.trim().parse::<IpAddr>().map_err(|_| {
            format!("{HOST_ENV}={text} is not an IP address (the address the other processes reach this one at)")
        }),
        Err(_) => Ok(IpAddr::V4(Ipv4Addr::LOCALHOST)),
    }
}

/// A listener on [`host`], on a port the system chooses; `what` names it in the error.
pub fn listen(what: &str) -> Result<TcpListener, String> {
    let host = host()?;
    TcpListener::bind((host, 0)).map_err(|e| format!("cannot listen for {what} on {host}: {e}"))
}

/// This process's place in a job that runs over several processes.
pub struct Member {
    /// This process's index, from 0.
    pub index: usize,
    /// Where every process (this one included) accepts exchange connections, by index.
    pub peers: Vec<SocketAddr>,
    /// This process's listener (its address is `peers[index]`).
    pub listener: TcpListener,
    /// The job's secret, which every connection between its processes proves.
    pub secret: auth::Secret,
    /// What the coordinator asks of this worker's checkpoints (`checkpoint N`, `complete N`),
    /// taken by the executor.
    pub(crate) control: std::sync::Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<ControlMessage>>>,
    /// Where this worker answers (`checkpointed N`, `declined N WHY`).
    pub(crate) replies: Option<std::sync::Arc<std::sync::Mutex<std::net::TcpStream>>>,
}

/// A checkpoint message from the coordinator of a job split over processes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ControlMessage {
    /// Take checkpoint N: the sources here inject its barrier.
    Checkpoint(u64),
    /// Checkpoint N completed everywhere: sinks commit.
    Complete(u64),
    /// Take savepoint N into the directory and stop after it (draining event time first).
    Savepoint { id: u64, drain: bool, dir: std::path::PathBuf },
}

impl ControlMessage {
    /// Parses a control line; `None` for a line that is not one.
    pub(crate) fn parse(line: &str) -> Option<Self> {
        let (word, n) = line.split_once(' ')?;
        if word == "savepoint" {
            // `savepoint N drain|keep DIR` (the directory last: it may hold spaces).
            let (id, rest) = n.split_once(' ')?;
            let (drain, dir) = rest.split_once(' ')?;
            let drain = match drain {
                "drain" => true,
                "keep" => false,
                _ => return None,
            };
            return Some(ControlMessage::Savepoint { id: id.parse().ok()?, drain, dir: dir.into() });
        }
        let n = n.parse().ok()?;
        match word {
            "checkpoint" => Some(ControlMessage::Checkpoint(n)),
            "complete" => Some(ControlMessage::Complete(n)),
            _ => None,
        }
    }
}

impl Member {
    /// Process `index` of a job whose processes listen at `peers`, this one on `listener`
    /// (a member started by code of its own: no coordinator, so no checkpoints).
    pub fn new(index: usize, peers: Vec<SocketAddr>, listener: TcpListener, secret: auth::Secret) -> Self {
        Member { index, peers, listener, secret, control: std::sync::Mutex::new(None), replies: None }
    }

    /// How many processes the job runs in.
    pub fn processes(&self) -> usize {
        self.peers.len()
    }
}

/// Which process runs which subtask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Placement {
    pub processes: usize,
    pub me: usize,
}

impl Placement {
    /// Everything in this process (local mode).
    pub const LOCAL: Placement = Placement { processes: 1, me: 0 };

    pub fn process_of(&self, subtask: usize) -> usize {
        subtask % self.processes
    }

    pub fn is_local(&self, subtask: usize) -> bool {
        self.process_of(subtask) == self.me
    }
}

#[cfg(test)]
mod tests {
    use super::ControlMessage;

    #[test]
    fn control_lines_parse_into_checkpoint_messages_and_nothing_else() {
        assert_eq!(ControlMessage::parse("checkpoint 7"), Some(ControlMessage::Checkpoint(7)));
        assert_eq!(ControlMessage::parse("complete 7"), Some(ControlMessage::Complete(7)));
        assert_eq!(
            ControlMessage::parse("savepoint 8 drain /tmp/save points/savepoint-8"),
            Some(ControlMessage::Savepoint { id: 8, drain: true, dir: "/tmp/save points/savepoint-8".into() })
        );
        assert_eq!(ControlMessage::parse("savepoint 8 maybe /x"), None);
        for line in ["checkpoint", "checkpoint x", "complete -1", "peers 1.2.3.4:5", ""] {
            assert_eq!(ControlMessage::parse(line), None, "{line}");
        }
    }
}
