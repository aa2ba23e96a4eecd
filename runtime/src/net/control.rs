//! The control protocol's lines: one message per line over TCP, each bounded, read without
//! losing what arrives together.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;

/// The longest control line read: a hello, the peers of many workers, a failure's message.
pub const MAX_LINE: u64 = 64 * 1024;

/// Lines from a connection, each at most [`MAX_LINE`] bytes, none lost between reads (a
/// reader made for each line would drop what it buffered past the first).
pub struct LineReader<'a> {
    reader: BufReader<&'a TcpStream>,
}

impl<'a> LineReader<'a> {
    /// Lines read from `stream`.
    pub fn new(stream: &'a TcpStream) -> Self {
        LineReader { reader: BufReader::new(stream) }
    }

    /// The next line, without its end; an error at the end of the connection or past
    /// [`MAX_LINE`].
    pub fn next_line(&mut self) -> std::io::Result<String> {
        let mut line = String::new();
        std::io::Read::take(&mut self.reader, MAX_LINE).read_line(&mut line)?;
        checked(line)
    }
}

/// Reads one control line, of at most [`MAX_LINE`] bytes, a byte at a time: nothing after
/// its end is read, so a line the peer sends right behind it (a coordinator's `checkpoint 1`
/// behind its `peers` line) is left for the reader that comes next. (A buffered read took it
/// and dropped it: a job over processes with a short checkpoint interval then lost its
/// first checkpoint, and its finished tasks waited a minute for a final one.)
pub fn read_line(stream: &TcpStream) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let mut byte = [0u8; 1];
    let mut reader = stream;
    while (bytes.len() as u64) < MAX_LINE {
        match reader.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => {
                bytes.push(byte[0]);
                if byte[0] == b'\n' {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let line = String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "a control line that is not UTF-8"))?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_line_read_alone_leaves_the_next_one_for_the_reader_after_it() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        // A lost line fails the test instead of hanging it.
        server.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        // Both lines in one write: they arrive together.
        client.write_all(b"peers 127.0.0.1:1\ncheckpoint 1\n").unwrap();
        assert_eq!(read_line(&server).unwrap(), "peers 127.0.0.1:1");
        assert_eq!(LineReader::new(&server).next_line().unwrap(), "checkpoint 1");
    }

    #[test]
    fn an_overlong_line_is_refused() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        let long = vec![b'x'; MAX_LINE as usize + 10];
        std::thread::spawn(move || client.write_all(&long));
        let err = read_line(&server).unwrap_err();
        assert!(err.to_string().contains("longer than"), "{err}");
    }
}
