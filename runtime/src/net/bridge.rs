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
    let mut stream = tokio::net::TcpStream::from_std(stream).map_err(broke)?;
    let mut buffer = Vec::with_capacity(WRITE_BYTES);
    while let Some((channel, message)) = rx.recv().await {
        buffer.clear();
        encode_message(channel, &message, &mut buffer);
        while buffer.len() < WRITE_BYTES {
            match rx.try_recv() {
                Ok((channel, message)) => encode_message(channel, &message, &mut buffer),
                Err(_) => break,
            }
        }
        stream.write_all(&buffer).await.map_err(broke)?;
    }
    stream.shutdown().await.map_err(broke)
}

/// Reads frames from the socket into the consumer's input channel until the sending
/// process closes the connection, which it does after the end of input of each of its
/// `writers` channels; closed before that, the sending process is gone.
pub(crate) fn incoming<T: Codec + Send + 'static>(tx: InputSender<T>, writers: usize, what: String) -> BridgeStart {
    Box::new(move |stream| Box::pin(receive_frames(tx, writers, stream, what)))
}

async fn receive_frames<T: Codec>(
    tx: InputSender<T>,
    writers: usize,
    stream: std::net::TcpStream,
    what: String,
) -> Result<(), JobError> {
    let mut ended = std::collections::HashSet::new();
    let broke = |e: std::io::Error| JobError::PeerGone(format!("the exchange connection {what} broke: {e}"));
    let stream = tokio::net::TcpStream::from_std(stream).map_err(broke)?;
    let mut reader = BufReader::with_capacity(WRITE_BYTES, stream);
    let mut payload = Vec::new();
    loop {
        let mut len = [0u8; 4];
        match reader.read_exact(&mut len).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && ended.len() >= writers => return Ok(()),
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
            return Err(JobError::Config(format!("the exchange connection {what} sent a frame of {len} bytes")));
        }
        payload.resize(len, 0);
        reader.read_exact(&mut payload).await.map_err(broke)?;
        let message = decode_message::<T>(&payload)
            .map_err(|e| JobError::Config(format!("the exchange connection {what} sent a damaged frame: {e}")))?;
        if let (channel, Message::Control(Control::EndOfInput)) = &message {
            ended.insert(*channel);
        }
        tx.send(message).await.map_err(|_| JobError::ChannelClosed)?;
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
