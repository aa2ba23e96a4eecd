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
    /// How much of `buffer` is known to hold no delimiter: only bytes after it are searched,
    /// so a long record arriving in many reads costs its length once, not once per read.
    scanned: usize,
    /// The longest record accepted, in bytes.
    max_record: usize,
    eof: bool,
}

/// The longest record read by default: a peer that sends more without a delimiter fails the
/// job with a message that names the limit, rather than filling memory. The fourth argument
/// of `socket_text_stream(host, port, delimiter, max_record_bytes)` sets another.
pub const MAX_RECORD_BYTES: usize = 64 << 20;

impl Clone for SocketTextStream {
    fn clone(&self) -> Self {
        SocketTextStream::new(self.host.clone(), self.port, self.delimiter.clone())
            .with_max_record_bytes(self.max_record)
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
            scanned: 0,
            max_record: MAX_RECORD_BYTES,
            eof: false,
        }
    }

    /// Accepts records of up to `bytes` bytes instead of 64 MiB.
    pub fn with_max_record_bytes(mut self, bytes: usize) -> Self {
        self.max_record = bytes.max(1);
        self
    }

    /// Emits the complete records in the buffer; returns how many.
    fn emit_records<C: Collector<String>>(&mut self, out: &mut C) -> usize {
        let delim = self.delimiter.as_bytes();
        let mut start = 0;
        let mut emitted = 0;
        while emitted < BATCH_SIZE && !delim.is_empty() {
            // Only what was not searched yet, with room for a delimiter cut between reads.
            let from = self.scanned.saturating_sub(delim.len() - 1).max(start);
            let Some(pos) = find(&self.buffer[from..], delim) else {
                self.scanned = self.buffer.len();
                break;
            };
            let found = from + pos;
            let mut end = found;
            if delim == b"\n" && end > start && self.buffer[end - 1] == b'\r' {
                end -= 1;
            }
            out.collect(String::from_utf8_lossy(&self.buffer[start..end]).into_owned(), NO_TIMESTAMP);
            start = found + delim.len();
            self.scanned = start;
            emitted += 1;
        }
        self.buffer.drain(..start);
        self.scanned -= start.min(self.scanned);
        emitted
    }

    /// A record that grew past [`MAX_RECORD_BYTES`] without its delimiter.
    fn too_long(&self) -> Option<JobError> {
        (self.buffer.len() > self.max_record).then(|| {
            JobError::Config(format!(
                "socket_text_stream: {}:{} sent more than {} bytes without a delimiter ({:?}): a record that long \
                 is refused (socket_text_stream(host, port, delimiter, max_record_bytes) sets the limit)",
                self.host, self.port, self.max_record, self.delimiter
            ))
        })
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    match needle {
        [] => None,
        [byte] => haystack.iter().position(|b| b == byte),
        _ => haystack.windows(needle.len()).position(|w| w == needle),
    }
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
            if let Some(e) = self.too_long() {
                return Err(e);
            }
            if self.eof {
                if !self.buffer.is_empty() {
                    let rest = std::mem::take(&mut self.buffer);
                    self.scanned = 0;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::collector::testing::Sink;

    fn records(sink: &Sink<String>) -> Vec<&str> {
        sink.0.iter().map(|(r, _)| r.as_str()).collect()
    }

    #[test]
    fn records_and_delimiters_cut_between_reads_come_out_whole() {
        let mut source = SocketTextStream::new("h", 1, "\n");
        let mut out = Sink::default();
        for chunk in [&b"ab"[..], b"c\nde", b"\r", b"\nf"] {
            source.buffer.extend_from_slice(chunk);
            source.emit_records(&mut out);
        }
        assert_eq!(records(&out), ["abc", "de"]);
        let mut source = SocketTextStream::new("h", 1, "||");
        let mut out = Sink::default();
        for chunk in [&b"a|"[..], b"|b|", b"|"] {
            source.buffer.extend_from_slice(chunk);
            source.emit_records(&mut out);
        }
        assert_eq!(records(&out), ["a", "b"]);
    }

    #[test]
    fn a_long_record_is_searched_once_not_once_per_read() {
        // 8 MB without a delimiter, in 8 KB reads: each read's search starts where the last
        // one stopped (it used to rescan the whole buffer: 15 s for 8 MB).
        let mut source = SocketTextStream::new("h", 1, "\n");
        let mut out = Sink::default();
        for _ in 0..1024 {
            source.buffer.extend_from_slice(&[b'x'; 8192]);
            source.emit_records(&mut out);
            assert_eq!(source.scanned, source.buffer.len());
        }
        source.buffer.extend_from_slice(b"\n");
        source.emit_records(&mut out);
        assert_eq!(out.0.len(), 1);
        assert_eq!(out.0[0].0.len(), 8 << 20);
        assert!(source.buffer.is_empty() && source.scanned == 0);
    }

    #[test]
    fn a_record_over_the_limit_is_refused_with_the_limit_named() {
        let mut source = SocketTextStream::new("example", 9, "\n");
        source.buffer = vec![b'x'; MAX_RECORD_BYTES + 1];
        let message = source.too_long().expect("over the limit").to_string();
        assert!(message.contains("example:9 sent more than 67108864 bytes without a delimiter"), "{message}");
        source.buffer.truncate(10);
        assert!(source.too_long().is_none());
        let mut small = SocketTextStream::new("example", 9, "\n").with_max_record_bytes(8);
        small.buffer = vec![b'x'; 9];
        assert!(small.too_long().expect("over 8 bytes").to_string().contains("more than 8 bytes"));
    }
}
