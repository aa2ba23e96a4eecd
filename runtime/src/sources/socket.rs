//! `socket_text_stream(host, port)`: text records from a TCP server, split by a delimiter
//! (a newline by default; a trailing carriage return is dropped then, as in Flink). Runs in
//! one subtask until the server closes the connection.
//!
//! ```no_run
//! use rill::prelude::*;
//! #[rill::job]
//! fn echo(env: &mut Env) {
//!     env.socket_text_stream("localhost", 9999).print();
//! }
//! ```

use super::{Source, SourceStatus};
use crate::core::collector::Collector;
use crate::core::element::NO_TIMESTAMP;
use crate::core::error::JobError;
use crate::exchange::BATCH_SIZE;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// `socket_text_stream`: lines (or another delimiter) read from a TCP socket.
pub struct SocketTextStream {
    host: String,
    port: u16,
    delimiter: String,
    stream: Option<TcpStream>,
    buffer: Vec<u8>,
    eof: bool,
}

impl Clone for SocketTextStream {
    fn clone(&self) -> Self {
        SocketTextStream::new(self.host.clone(), self.port, self.delimiter.clone())
    }
}

impl SocketTextStream {
    /// Reads from `host:port`, records separated by `delimiter`.
    pub fn new(host: impl Into<String>, port: u16, delimiter: impl Into<String>) -> Self {
        SocketTextStream {
            host: host.into(),
            port,
            delimiter: delimiter.into(),
            stream: None,
            buffer: Vec::new(),
            eof: false,
        }
    }

    /// Emits the complete records in the buffer; returns how many.
    fn emit_records<C: Collector<String>>(&mut self, out: &mut C) -> usize {
        let delim = self.delimiter.as_bytes();
        let mut start = 0;
        let mut emitted = 0;
        while emitted < BATCH_SIZE {
            let Some(pos) = find(&self.buffer[start..], delim) else { break };
            let mut end = start + pos;
            if delim == b"\n" && end > start && self.buffer[end - 1] == b'\r' {
                end -= 1;
            }
            out.collect(String::from_utf8_lossy(&self.buffer[start..end]).into_owned(), NO_TIMESTAMP);
            start += pos + delim.len();
            emitted += 1;
        }
        self.buffer.drain(..start);
        emitted
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl Source for SocketTextStream {
    type Out = String;

    async fn poll<C: Collector<String>>(&mut self, out: &mut C) -> Result<SourceStatus, JobError> {
        {
            if self.stream.is_none() {
                let addr = format!("{}:{}", self.host, self.port);
                let stream = TcpStream::connect(&addr).await.map_err(|e| {
                    JobError::io(
                        format!(
                            "socket_text_stream: cannot connect to {addr} (is a server listening? \
                             try `nc -lk {}` first)",
                            self.port
                        ),
                        e,
                    )
                })?;
                self.stream = Some(stream);
            }
            if self.emit_records(out) > 0 {
                return Ok(SourceStatus::More);
            }
            if self.eof {
                if !self.buffer.is_empty() {
                    let rest = std::mem::take(&mut self.buffer);
                    out.collect(String::from_utf8_lossy(&rest).into_owned(), NO_TIMESTAMP);
                }
                return Ok(SourceStatus::Done);
            }
            // Nothing complete yet: send on what was emitted before waiting for the socket.
            out.flush();
            let mut chunk = [0u8; 8192];
            let stream = self.stream.as_mut().expect("connected");
            let n = stream.read(&mut chunk).await.map_err(|e| {
                JobError::io(format!("socket_text_stream: cannot read from {}:{}", self.host, self.port), e)
            })?;
            if n == 0 {
                self.eof = true;
            }
            self.buffer.extend_from_slice(&chunk[..n]);
            Ok(SourceStatus::More)
        }
    }
}
