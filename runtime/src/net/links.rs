//! Which exchange connections a process opens and accepts, and opening them.

use super::auth::{self, AUTH_TIMEOUT};
use super::bridge::{BridgeStart, Incoming, Outgoing};
use super::frame::Handshake;
use super::{Member, Placement};
use crate::core::error::JobError;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long a process waits for the others to connect before it gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// The connections of one process, collected while its input channels are created.
pub(crate) struct Links {
    pub placement: Placement,
    /// The job's fingerprint, checked on every connection.
    pub job: u64,
    /// Per consumer chain and input: the processes that run its writers, with how many
    /// writer subtasks each runs (the channels one connection from there carries).
    pub upstream: HashMap<(u32, u8), BTreeMap<usize, usize>>,
    /// Per consumer chain and input: the process that writes each of its input channels
    /// (by channel index), so an incoming connection carries only its process's channels.
    pub channel_owners: HashMap<(u32, u8), Vec<usize>>,
    pub outgoing: Vec<Outgoing>,
    pub incoming: Vec<Incoming>,
}

impl Links {
    pub fn new(placement: Placement, job: u64) -> Self {
        Links {
            placement,
            job,
            upstream: HashMap::new(),
            channel_owners: HashMap::new(),
            outgoing: Vec::new(),
            incoming: Vec::new(),
        }
    }

    /// Other processes that write into `(chain, input)`, with their number of writers.
    pub fn remote_writers(&self, chain: u32, input: u8) -> Vec<(usize, usize)> {
        let me = self.placement.me;
        let writers = self.upstream.get(&(chain, input));
        writers.map_or(Vec::new(), |w| w.iter().map(|(p, n)| (*p, *n)).filter(|(p, _)| *p != me).collect())
    }

    /// The input channels of `(chain, input)` that process `from` writes.
    pub fn channels_from(&self, chain: u32, input: u8, from: usize) -> Vec<u32> {
        let owners = self.channel_owners.get(&(chain, input));
        owners.map_or(Vec::new(), |o| (0..o.len() as u32).filter(|c| o[*c as usize] == from).collect())
    }

    /// Whether this process runs a writer into `(chain, input)`.
    pub fn writes_to(&self, chain: u32, input: u8) -> bool {
        self.upstream.get(&(chain, input)).is_some_and(|w| w.contains_key(&self.placement.me))
    }

    pub fn handshake(&self, from_process: usize, chain: u32, input: u8, subtask: usize) -> Handshake {
        Handshake { job: self.job, from_process: from_process as u32, chain, input, subtask: subtask as u32 }
    }

    /// Opens every outgoing connection and accepts every incoming one; returns each bridge
    /// with its socket and a name for its errors.
    pub async fn connect(self, member: &Member) -> Result<Vec<(BridgeStart, std::net::TcpStream, String)>, JobError> {
        let me = self.placement.me;
        let Links { outgoing, incoming, job, .. } = self;
        let opened = async {
            let mut opened = Vec::new();
            for o in outgoing {
                let addr = member.peers[o.to_process];
                let what = format!(
                    "to process {} ({addr}), subtask {} of chain {}",
                    o.to_process,
                    o.handshake.subtask + 1,
                    o.handshake.chain
                );
                let fail = |e| JobError::io(format!("cannot open the exchange connection {what}"), e);
                let mut stream = tokio::net::TcpStream::connect(addr).await.map_err(fail)?;
                stream.set_nodelay(true).map_err(fail)?;
                let proven = tokio::time::timeout(AUTH_TIMEOUT, auth::client_async(&mut stream, &member.secret));
                match proven.await {
                    Ok(Ok(())) => {}
                    Ok(Err(why)) => {
                        return Err(JobError::Config(format!("the exchange connection {what} was refused: {why}")))
                    }
                    Err(_) => {
                        return Err(JobError::Config(format!(
                            "the exchange connection {what}: no answer within {} s",
                            AUTH_TIMEOUT.as_secs()
                        )))
                    }
                }
                stream.write_all(&o.handshake.encode()).await.map_err(fail)?;
                opened.push((o.start, stream.into_std().map_err(fail)?, what));
            }
            Ok::<_, JobError>(opened)
        };
        let accepted = async {
            let listener = member.listener.try_clone().and_then(|l| {
                l.set_nonblocking(true)?;
                tokio::net::TcpListener::from_std(l)
            });
            let listener = listener.map_err(|e| JobError::io("cannot listen for exchange connections", e))?;
            let mut expected: HashMap<(u32, u32, u8, u32), BridgeStart> = incoming
                .into_iter()
                .map(|i| {
                    ((i.handshake.from_process, i.handshake.chain, i.handshake.input, i.handshake.subtask), i.start)
                })
                .collect();
            let mut accepted = Vec::new();
            // Each connection proves the secret and sends its handshake on a task of its own,
            // within AUTH_TIMEOUT: a silent or hostile one holds up nothing, and is refused
            // with a line on stderr, not a job failure.
            let mut pending = tokio::task::JoinSet::new();
            while !expected.is_empty() {
                tokio::select! {
                    conn = listener.accept() => {
                        let (stream, peer) =
                            conn.map_err(|e| JobError::io("cannot accept an exchange connection", e))?;
                        let secret = member.secret.clone();
                        pending.spawn(async move {
                            let proven = tokio::time::timeout(AUTH_TIMEOUT, prove_and_greet(stream, &secret, job));
                            let result = proven.await.unwrap_or_else(|_| {
                                Err(format!("it sent no proof and handshake within {} s", AUTH_TIMEOUT.as_secs()))
                            });
                            (peer, result)
                        });
                    }
                    Some(done) = pending.join_next() => {
                        let Ok((peer, result)) = done else { continue };
                        let (stream, h) = match result {
                            Ok(greeted) => greeted,
                            Err(why) => {
                                tracing::warn!("refused an exchange connection from {peer}: {why}");
                                continue;
                            }
                        };
                        let key = (h.from_process, h.chain, h.input, h.subtask);
                        let Some(start) = expected.remove(&key) else {
                            tracing::warn!(
                                "refused an exchange connection from {peer}: process {}, chain {}, subtask {} is not \
                                 expected here, or is connected already",
                                h.from_process,
                                h.chain,
                                h.subtask + 1
                            );
                            continue;
                        };
                        stream.set_nodelay(true).map_err(|e| JobError::io("cannot set up an exchange connection", e))?;
                        let what = format!(
                            "from process {} ({peer}), subtask {} of chain {}",
                            h.from_process,
                            h.subtask + 1,
                            h.chain
                        );
                        let std =
                            stream.into_std().map_err(|e| JobError::io("cannot set up an exchange connection", e))?;
                        accepted.push((start, std, what));
                    }
                }
            }
            Ok::<_, JobError>(accepted)
        };
        let both = async { tokio::try_join!(opened, accepted) };
        match tokio::time::timeout(CONNECT_TIMEOUT, both).await {
            Ok(Ok((mut opened, accepted))) => {
                opened.extend(accepted);
                Ok(opened)
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err(JobError::Config(format!(
                "process {me}: the other processes of the job did not connect within {} s",
                CONNECT_TIMEOUT.as_secs()
            ))),
        }
    }
}

/// An accepted exchange connection's proof of the job's secret and its handshake, which must
/// name this job.
async fn prove_and_greet(
    mut stream: tokio::net::TcpStream,
    secret: &auth::Secret,
    job: u64,
) -> Result<(tokio::net::TcpStream, Handshake), String> {
    auth::server_async(&mut stream, secret).await?;
    let mut bytes = [0u8; Handshake::LEN];
    stream.read_exact(&mut bytes).await.map_err(|e| format!("it closed in its handshake ({e})"))?;
    let h = Handshake::decode(&bytes).map_err(|e| e.to_string())?;
    if h.job != job {
        return Err("it runs another job or another parallelism (every process of a job must run the same binary \
                    with the same -p)"
            .to_owned());
    }
    Ok((stream, h))
}
