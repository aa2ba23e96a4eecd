//! `--metrics-port PORT`: this process's metrics in Prometheus's text format at
//! `GET /metrics`, on loopback (like the cluster's REST API, read-only endpoints answer
//! without a token, so they are not put on the network). A thread samples the tasks every
//! second, so the per-second rates are over the last second, as Flink's gauges are.
//!
//! `--web-ui PORT` serves the same, and the Web UI with the few read-only endpoints of
//! Flink's REST API that its pages read, for this one job ([`JobPage`]). A job alone is
//! stopped with Ctrl-C, not from the page: requests that would change it are refused.
//!
//! The server is a few lines over `std::net` rather than a web framework: job binaries
//! link no HTTP stack, and this one reads at most [`MAX_REQUEST`] bytes of a request's
//! head, waits at most [`READ_TIMEOUT`] for it, and answers one request per connection.

use crate::metrics::JobMetrics;
use serde_json::{json, Value};
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

type Sampled = Arc<Mutex<JobMetrics>>;

/// What the Web UI of a job run alone shows of it besides its tasks' metrics.
pub struct JobPage {
    /// An id for the page's links (32 hex digits, as a cluster's).
    pub id: String,
    /// The job's plan, as `--plan` prints it.
    pub plan: Value,
    /// When it started, ms since the epoch.
    pub start_ms: u64,
}

/// Serves the metrics (and with `page`, the Web UI) on 127.0.0.1:`port` (0: a port the
/// system picks) from threads of its own, for job `job`, with `labels` on every metric line;
/// the address it listens on.
pub fn serve(
    port: u16,
    job: &'static str,
    labels: Vec<(String, String)>,
    page: Option<JobPage>,
) -> Result<SocketAddr, String> {
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
                let _ = answer(stream, job, &sampled, &labels, page.as_ref());
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(addr)
}

/// Every second: each task's snapshot, with its rates since the one before.
fn sample(sampled: &Sampled) {
    loop {
        let now = crate::metrics::tasks();
        sampled.lock().unwrap_or_else(|p| p.into_inner()).update(0, now);
        std::thread::sleep(SAMPLE_EVERY);
    }
}

/// Reads one request (bounded in size and time) and answers it.
fn answer(
    mut stream: TcpStream,
    job: &str,
    sampled: &Sampled,
    labels: &[(String, String)],
    page: Option<&JobPage>,
) -> std::io::Result<()> {
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
    let (route, query) = path.split_once('?').unwrap_or((path, ""));
    match (method, route) {
        ("GET", "/metrics") => {
            let metrics = sampled.lock().unwrap_or_else(|p| p.into_inner());
            let tasks: Vec<_> = metrics.tasks().map(|(_, t, r)| (t.clone(), *r)).collect();
            drop(metrics);
            let common: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let mut body = crate::metrics::prometheus::render(&tasks, &crate::metrics::user_metrics(), &common);
            let counts = crate::checkpoint::stats::counts(job);
            let labels = vec![("job_name".to_owned(), job.to_owned())];
            body.push_str(&crate::metrics::prometheus::render_checkpoints(&[(counts, labels)]));
            respond(&mut stream, "200 OK", &body)
        }
        ("GET", route) if page.is_some() => {
            let page = page.expect("checked");
            match web(route, query, page, sampled) {
                Some((kind, body)) => respond_as(&mut stream, "200 OK", kind, &body),
                None => respond(&mut stream, "404 Not Found", "no such page\n"),
            }
        }
        ("GET", _) => respond(&mut stream, "404 Not Found", "the metrics are at /metrics\n"),
        _ if page.is_some() => {
            respond_as(&mut stream, "405 Method Not Allowed", JSON, &json!({ "errors": [HOW_TO_STOP] }).to_string())
        }
        _ => respond(&mut stream, "405 Method Not Allowed", "only GET /metrics\n"),
    }
}

const JSON: &str = "application/json";

/// Why a job run alone refuses a cancel or stop from its page, and what to do instead; the page
/// shows it in place of the buttons.
const HOW_TO_STOP: &str = "a job run alone is stopped with Ctrl-C (SIGTERM), or with a savepoint by \
                           --savepoint-on-stop; submit it to a cluster to stop it from the page";

/// The Web UI's files and the read-only REST endpoints its pages read, for one job.
fn web(route: &str, query: &str, page: &JobPage, sampled: &Sampled) -> Option<(&'static str, String)> {
    use super::web_ui::{APP, INDEX, STYLE};
    let parts: Vec<&str> = route.split('/').filter(|p| !p.is_empty()).collect();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    let name = page.plan["job"].as_str().unwrap_or("job");
    let chains = page.plan["chains"].as_array().cloned().unwrap_or_default();
    let slots = chains.iter().filter_map(|c| c["parallelism"].as_u64()).max().unwrap_or(1);
    let summary = json!({
        "jid": page.id, "name": name, "state": "RUNNING", "start-time": page.start_ms, "end-time": -1,
        "duration": now.saturating_sub(page.start_ms), "last-modification": page.start_ms, "parallelism": slots,
    });
    let metrics = sampled.lock().unwrap_or_else(|p| p.into_inner());
    let ours = |id: &str| id == page.id;
    let body = match parts.as_slice() {
        [] => return Some(("text/html; charset=utf-8", INDEX.to_owned())),
        ["web", "app.js"] => return Some(("text/javascript; charset=utf-8", APP.to_owned())),
        ["web", "style.css"] => return Some(("text/css; charset=utf-8", STYLE.to_owned())),
        ["overview"] => json!({
            "taskmanagers": 1, "slots-total": slots, "slots-available": 0, "jobs-running": 1,
            "jobs-finished": 0, "jobs-cancelled": 0, "jobs-failed": 0,
        }),
        ["jobs", "overview"] => json!({ "jobs": [summary] }),
        ["taskmanagers"] => json!({ "taskmanagers": [{
            "id": "0", "name": "local", "slotsNumber": slots, "freeSlots": 0, "timeSinceLastHeartbeat": now,
            "registered": page.start_ms, "memory": crate::metrics::resident_memory(std::process::id()),
        }] }),
        ["jobs", id] if ours(id) => {
            let mut job = summary;
            let vertices: Vec<Value> = chains
                .iter()
                .map(|c| {
                    let v = c["id"].as_u64().unwrap_or(0) as u32;
                    json!({ "id": c["id"], "name": c["name"], "parallelism": c["parallelism"],
                            "maxParallelism": c["max_parallelism"], "status": "RUNNING",
                            "metrics": metrics.vertex_summary(v) })
                })
                .collect();
            job["vertices"] = Value::Array(vertices);
            job["plan"] = page.plan.clone();
            job["isStoppable"] = Value::Bool(false);
            job["howToStop"] = Value::String(HOW_TO_STOP.to_owned());
            job
        }
        ["jobs", id, "checkpoints"] if ours(id) => checkpoints(name),
        ["jobs", id, "exceptions"] if ours(id) => {
            json!({ "root-exception": null, "exceptionHistory": { "entries": [] } })
        }
        ["jobs", id, "vertices", v, what] if ours(id) => {
            let v: u32 = v.parse().ok()?;
            if !crate::metrics::vertex_names(&page.plan).contains_key(&v) {
                return None;
            }
            match *what {
                "backpressure" => metrics.backpressure(v, now),
                "watermarks" => metrics.watermarks(v),
                "metrics" => metrics.vertex_metrics(v, query.strip_prefix("get=")),
                _ => return None,
            }
        }
        _ => return None,
    };
    Some((JSON, body.to_string()))
}

/// Flink's checkpoint statistics of this process's completed checkpoints of job `name`.
fn checkpoints(name: &str) -> Value {
    let completed = crate::checkpoint::stats::completed();
    let history = completed.iter().rev().filter(|m| m.job == name).take(10);
    crate::checkpoint::stats::rest_statistics(
        history.map(|m| crate::checkpoint::stats::rest_entry(m, "")).collect(),
        None,
    )
}

fn respond(stream: &mut TcpStream, status: &str, body: &str) -> std::io::Result<()> {
    respond_as(stream, status, "text/plain; version=0.0.4; charset=utf-8", body)
}

fn respond_as(stream: &mut TcpStream, status: &str, kind: &str, body: &str) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())
}
