//! The two ends of an exchange connection between processes.
//!
//! A writer in this process sends to a consumer subtask in another one through a local
//! channel, as it would to a local consumer; the *outgoing* bridge drains that channel,
//! encodes each message into a frame and writes it to the socket. On the other side the
//! *incoming* bridge reads frames, decodes them and sends them into the consumer's real
//! input channel. The generated code is the same in both cases, and backpressure carries
//! over: a full consumer channel stops the incoming bridge, the socket's buffers fill, the
//! outgoing bridge's write waits, its channel fills, and the writer parks its send.

use super::frame::{decode_message, encode_message, Handshake, MAX_FRAME};
use crate::api::codec::Codec;
use crate::core::element::{Control, Message};
use crate::core::error::JobError;
use crate::core::runtime_context::InputSender;
use crate::core::TaskFuture;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc::Receiver;

/// Starts a bridge on a connected socket (on the thread that will run it).
pub(crate) type BridgeStart = Box<dyn FnOnce(std::net::TcpStream) -> TaskFuture + Send>;

/// Bytes of encoded frames gathered before a write: one system call for several batches
/// when they queue up, at once when they do not.
const WRITE_BYTES: usize = 256 * 1024;

/// Drains `rx` into the socket until every local writer of the channel is gone.
pub(crate) fn outgoing<T: Codec + Send + 'static>(rx: Receiver<(u32, Message<T>)>, what: String) -> BridgeStart {
    Box::new(move |stream| Box::pin(send_frames(rx, stream, what)))
}

async fn send_frames<T: Codec>(
    mut rx: Receiver<(u32, Message<T>)>,
    stream: std::net::TcpStream,
    what: String,
) -> Result<(), JobError> {
    let broke = |e: std::io::Error| JobError::PeerGone(format!("the exchange connection {what} broke: {e}"));
    let too_big = |e: String| JobError::Config(format!("the exchange connection {what}: {e}"));
    let mut stream = tokio::net::TcpStream::from_std(stream).map_err(broke)?;
    let mut buffer = Vec::with_capacity(WRITE_BYTES);
    while let Some((channel, message)) = rx.recv().await {
        buffer.clear();
        encode_message(channel, &message, &mut buffer).map_err(too_big)?;
        while buffer.len() < WRITE_BYTES {
            match rx.try_recv() {
                Ok((channel, message)) => encode_message(channel, &message, &mut buffer).map_err(too_big)?,
                Err(_) => break,
            }
        }
        stream.write_all(&buffer).await.map_err(broke)?;
    }
    stream.shutdown().await.map_err(broke)
}

/// Reads frames from the socket into the consumer's input channel until the sending
/// process closes the connection, which it does after the end of input of each of its
/// writers' `channels`; closed before that, the sending process is gone.
///
/// Nothing from the wire is trusted: a frame's length is checked against [`MAX_FRAME`]
/// and its payload read as it arrives (a huge length prefix commits no memory); a frame
/// must be on one of the sending process's own channels, and none may follow a channel's end
/// of input. A peer that breaks these rules fails the job with a message that names it,
/// instead of reaching the consumer (a wrong channel used to panic there).
pub(crate) fn incoming<T: Codec + Send + 'static>(tx: InputSender<T>, channels: Vec<u32>, what: String) -> BridgeStart {
    Box::new(move |stream| Box::pin(receive_frames(tx, channels, stream, what)))
}

async fn receive_frames<T: Codec>(
    tx: InputSender<T>,
    channels: Vec<u32>,
    stream: std::net::TcpStream,
    what: String,
) -> Result<(), JobError> {
    let mut open: std::collections::BTreeSet<u32> = channels.iter().copied().collect();
    let broke = |e: std::io::Error| JobError::PeerGone(format!("the exchange connection {what} broke: {e}"));
    let refused = |why: String| JobError::Config(format!("the exchange connection {what} {why}"));
    let stream = tokio::net::TcpStream::from_std(stream).map_err(broke)?;
    let mut reader = BufReader::with_capacity(WRITE_BYTES, stream);
    let mut payload = Vec::new();
    loop {
        let mut len = [0u8; 4];
        match reader.read_exact(&mut len).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && open.is_empty() => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(JobError::PeerGone(format!(
                    "the exchange connection {what} closed before the end of its input: \
                     that process stopped (its own error says why)"
                )))
            }
            Err(e) => return Err(broke(e)),
        }
        let len = u32::from_le_bytes(len) as usize;
        if len > MAX_FRAME {
            return Err(refused(format!("sent a frame of {len} bytes, above the limit of {MAX_FRAME}")));
        }
        // Read as it arrives: the buffer grows with the bytes received, not with the claim.
        payload.clear();
        (&mut reader).take(len as u64).read_to_end(&mut payload).await.map_err(broke)?;
        if payload.len() < len {
            return Err(JobError::PeerGone(format!(
                "the exchange connection {what} closed in the middle of a frame ({} of {len} bytes)",
                payload.len()
            )));
        }
        let (channel, message) =
            decode_message::<T>(&payload).map_err(|e| refused(format!("sent a damaged frame: {e}")))?;
        if !open.contains(&channel) {
            return Err(refused(if channels.contains(&channel) {
                format!("sent a frame on channel {channel} after its end of input")
            } else {
                format!("sent a frame on channel {channel}, which is not one of its process's channels {channels:?}")
            }));
        }
        if let Message::Control(Control::EndOfInput) = &message {
            open.remove(&channel);
        }
        tx.send((channel, message)).await.map_err(|_| JobError::ChannelClosed)?;
    }
}

/// Runs a bridge until it ends or the job is cancelled (or failed) in this process: its
/// socket then closes and the other process learns of it.
pub(crate) fn until_cancelled(bridge: TaskFuture, cancel: Arc<AtomicBool>) -> TaskFuture {
    Box::pin(async move {
        let watch = async {
            while !cancel.load(Ordering::Relaxed) {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        };
        tokio::select! {
            r = bridge => r,
            () = watch => Err(JobError::Cancelled("cancelled")),
        }
    })
}

/// A connection this process opens, to a consumer subtask in another process.
pub(crate) struct Outgoing {
    pub to_process: usize,
    pub handshake: Handshake,
    pub start: BridgeStart,
}

/// A connection this process expects, from another process to one of its consumer subtasks.
pub(crate) struct Incoming {
    pub handshake: Handshake,
    pub start: BridgeStart,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::element::Record;
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};

    /// What an incoming bridge that may carry `channels` does with the bytes a peer sends
    /// (the peer closes after `hold` more time without sending): its result, and what it passed on.
    fn receive(bytes: &[u8], channels: Vec<u32>, hold: std::time::Duration) -> (Result<(), JobError>, usize) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut peer = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (socket, _) = listener.accept().unwrap();
        socket.set_nonblocking(true).unwrap();
        let bridge = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                let (tx, mut rx) = tokio::sync::mpsc::channel::<(u32, Message<i64>)>(64);
                let result = receive_frames(tx, channels, socket, "from a test peer".to_owned()).await;
                let mut passed = 0;
                while rx.try_recv().is_ok() {
                    passed += 1;
                }
                (result, passed)
            })
        });
        peer.write_all(bytes).unwrap();
        std::thread::sleep(hold);
        drop(peer);
        bridge.join().unwrap()
    }

    fn frame(channel: u32, message: Message<i64>) -> Vec<u8> {
        let mut out = Vec::new();
        encode_message(channel, &message, &mut out).unwrap();
        out
    }

    fn records(channel: u32) -> Vec<u8> {
        frame(channel, Message::Records(vec![Record { value: 7, timestamp: 1 }]))
    }

    fn end(channel: u32) -> Vec<u8> {
        frame(channel, Message::Control(Control::EndOfInput))
    }

    const NOW: std::time::Duration = std::time::Duration::ZERO;

    #[test]
    fn frames_on_the_senders_channels_pass_until_each_has_ended() {
        let bytes = [records(0), records(2), end(0), end(2)].concat();
        let (result, passed) = receive(&bytes, vec![0, 2], NOW);
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(passed, 4);
    }

    #[test]
    fn a_frame_on_a_channel_the_sender_does_not_own_is_refused_not_passed_on() {
        // Channel 999 used to panic in the input gate, blamed on an innocent operator.
        let (result, passed) = receive(&[records(0), records(999)].concat(), vec![0, 2], NOW);
        let message = result.unwrap_err().to_string();
        assert!(message.contains("sent a frame on channel 999, which is not one of its process's channels [0, 2]"));
        assert_eq!(passed, 1);
        // An end of input for another process's channel would have ended it early.
        let (result, _) = receive(&[end(1)].concat(), vec![0, 2], NOW);
        assert!(result.unwrap_err().to_string().contains("channel 1, which is not one of"));
    }

    #[test]
    fn nothing_follows_a_channels_end_of_input() {
        let (result, passed) = receive(&[end(0), end(0)].concat(), vec![0, 2], NOW);
        assert!(result.unwrap_err().to_string().contains("sent a frame on channel 0 after its end of input"));
        assert_eq!(passed, 1);
    }

    #[test]
    fn a_huge_length_prefix_commits_no_memory_and_a_cut_frame_says_so() {
        let rss = || {
            let status = std::fs::read_to_string("/proc/self/status").unwrap();
            let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap().to_owned();
            line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
        };
        let before = rss();
        // 1 GiB announced, nothing sent, the peer silent for a while, then gone.
        let (result, _) = receive(&(MAX_FRAME as u32).to_le_bytes(), vec![0], std::time::Duration::from_millis(300));
        let grown = rss().saturating_sub(before);
        assert!(grown < 256 << 20, "the bridge committed {grown} bytes for a frame that never came");
        let message = result.unwrap_err().to_string();
        assert!(message.contains("closed in the middle of a frame (0 of 1073741824 bytes)"), "{message}");
        // Above the limit: refused at once.
        let (result, _) = receive(&u32::MAX.to_le_bytes(), vec![0], NOW);
        assert!(result.unwrap_err().to_string().contains("sent a frame of 4294967295 bytes, above the limit"));
    }
}
