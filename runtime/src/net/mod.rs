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
pub mod frame;
pub(crate) mod launcher;
pub(crate) mod links;

pub use launcher::run_processes;

use std::net::{SocketAddr, TcpListener};

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
}

impl Member {
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
