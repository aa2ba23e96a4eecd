//! The control protocol's lines: one message per line over TCP, each bounded, read without
//! losing what arrives together.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;

/// The longest control line read: a hello, the peers of many workers, a failure's message.
pub(crate) const MAX_LINE: u64 = 64 * 1024;

/// Lines from a connection, each at most [`MAX_LINE`] bytes, none lost between reads (a
/// reader made for each line would drop what it buffered past the first).
pub(crate) struct LineReader<'a> {
    reader: BufReader<&'a TcpStream>,
}

impl<'a> LineReader<'a> {
    pub(crate) fn new(stream: &'a TcpStream) -> Self {
        LineReader { reader: BufReader::new(stream) }
    }

    pub(crate) fn next(&mut self) -> std::io::Result<String> {
        let mut line = String::new();
        std::io::Read::take(&mut self.reader, MAX_LINE).read_line(&mut line)?;
        checked(line)
    }
}

/// Reads one control line, of at most [`MAX_LINE`] bytes (the handshake's: nothing follows
/// it before an answer).
pub(crate) fn read_line(stream: &TcpStream) -> std::io::Result<String> {
    let mut line = String::new();
    BufReader::new(std::io::Read::take(stream, MAX_LINE)).read_line(&mut line)?;
    checked(line)
}

/// A line as read: the end of the connection if empty, an error if it hit the bound.
fn checked(line: String) -> std::io::Result<String> {
    if line.is_empty() {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the connection closed"));
    }
    if !line.ends_with('\n') && line.len() as u64 >= MAX_LINE {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a control line longer than {MAX_LINE} bytes"),
        ));
    }
    Ok(line.trim_end().to_owned())
}
