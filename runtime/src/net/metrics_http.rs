//! `--metrics-port PORT`: this process's metrics in Prometheus's text format at
//! `GET /metrics`, on loopback (like the cluster's REST API, read-only endpoints answer
//! without a token, so they are not put on the network). A thread samples the tasks every
//! second, so the per-second rates are over the last second, as Flink's gauges are.
//!
//! The server is a few lines over `std::net` rather than a web framework: job binaries
//! link no HTTP stack, and this one reads at most [`MAX_REQUEST`] bytes of a request's
//! head, waits at most [`READ_TIMEOUT`] for it, and answers one request per connection.

use crate::metrics::{Rates, TaskSnapshot};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The most bytes of a request's head that are read; a longer one is refused (431).
pub const MAX_REQUEST: usize = 8 * 1024;

/// How long a client has to send its request.
pub const READ_TIMEOUT: Duration = Duration::from_secs(2);

/// How often the tasks are sampled for their rates.
const SAMPLE_EVERY: Duration = Duration::from_secs(1);

type Sampled = Arc<Mutex<Vec<(TaskSnapshot, Rates)>>>;

/// Serves the metrics on 127.0.0.1:`port` (0: a port the system picks) from threads of its
/// own, with `labels` on every line; the address it listens on.
pub fn serve(port: u16, labels: Vec<(String, String)>) -> Result<SocketAddr, String> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| format!("cannot serve metrics on 127.0.0.1:{port}: {e} (is the port taken?)"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let sampled: Sampled = Arc::default();
    let sampling = sampled.clone();
    std::thread::Builder::new()
        .name("metrics sampler".into())
        .spawn(move || sample(&sampling))
        .map_err(|e| e.to_string())?;
    std::thread::Builder::new()
        .name("metrics server".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = answer(stream, &sampled, &labels);
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(addr)
}

/// Every second: each task's snapshot, with its rates since the one before.
fn sample(sampled: &Sampled) {
    let mut before: Vec<TaskSnapshot> = Vec::new();
    loop {
        let now = crate::metrics::tasks();
        let with_rates = now
            .iter()
            .map(|t| {
                let same = |b: &&TaskSnapshot| b.job == t.job && b.vertex == t.vertex && b.subtask == t.subtask;
                let rates = before.iter().find(same).map_or_else(Rates::default, |b| Rates::between(b, t));
                (t.clone(), rates)
            })
            .collect();
        *sampled.lock().unwrap_or_else(|p| p.into_inner()) = with_rates;
        before = now;
        std::thread::sleep(SAMPLE_EVERY);
    }
}

/// Reads one request (bounded in size and time) and answers it.
fn answer(mut stream: TcpStream, sampled: &Sampled, labels: &[(String, String)]) -> std::io::Result<()> {
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_REQUEST {
            return respond(&mut stream, "431 Request Header Fields Too Large", "the request's head is too long\n");
        }
        match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(_) => return respond(&mut stream, "408 Request Timeout", "no request in time\n"),
        }
    }
    let line = head.split(|b| *b == b'\r').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut words = line.split(' ');
    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    match (method, path.split('?').next().unwrap_or("")) {
        ("GET", "/metrics") => {
            let tasks = sampled.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let common: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let body = crate::metrics::prometheus::render(&tasks, &crate::metrics::user_metrics(), &common);
            respond(&mut stream, "200 OK", &body)
        }
        ("GET", _) => respond(&mut stream, "404 Not Found", "the metrics are at /metrics\n"),
        _ => respond(&mut stream, "405 Method Not Allowed", "only GET /metrics\n"),
    }
}

fn respond(stream: &mut TcpStream, status: &str, body: &str) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())
}
