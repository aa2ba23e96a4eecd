//! The commands that talk to a cluster's REST API, as Flink's `flink` CLI does: `rill run`,
//! `rill list`, `rill cancel`. The JobManager is `-m HOST:PORT`, else `$RILL_JOBMANAGER`,
//! else the one the cluster home names, else 127.0.0.1:8081; the token is the cluster
//! home's.

use crate::cluster::home::Home;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

/// The variable that names the JobManager's REST address.
pub const JOBMANAGER_ENV: &str = "RILL_JOBMANAGER";

/// The variable that names a PEM file of certificates to trust for a JobManager's HTTPS
/// (its CA), besides the system's and the chain of the cluster home's JobManager.
pub const REST_CA_ENV: &str = "RILL_REST_CA";

/// A cluster's REST API.
pub struct Client {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl Client {
    /// The client of the JobManager at `address` (or found as the module says).
    pub fn new(home: &Home, address: Option<&str>) -> Result<Client, String> {
        let given = address.map(str::to_owned).or_else(|| std::env::var(JOBMANAGER_ENV).ok());
        let own = home.addresses().map(|(rest, _)| rest);
        // The home's JobManager serves HTTPS if it recorded its certificate chain.
        let own_cert = home.rest_cert();
        let scheme = |address: &str| match (address.contains("://"), &own_cert) {
            (true, _) => address.to_owned(),
            (false, Some(_)) if own.as_deref() == Some(address) => format!("https://{address}"),
            (false, _) => format!("http://{address}"),
        };
        let base = scheme(&given.or(own.clone()).unwrap_or_else(|| "127.0.0.1:8081".to_owned()));
        let token = std::fs::read_to_string(home.token_file()).ok().map(|t| t.trim().to_owned());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the client's runtime: {e}"))?;
        let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(120));
        let trusted = std::env::var_os(REST_CA_ENV).map(std::path::PathBuf::from).into_iter().chain(own_cert);
        for path in trusted {
            for cert in crate::cluster::tls::root_certificates(&path)? {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder.build().map_err(|e| format!("cannot make an HTTP client: {e}"))?;
        Ok(Client { base: base.trim_end_matches('/').to_owned(), token, http, runtime })
    }

    /// Sends a request; the answer's text, or the error the JobManager gave (Flink's
    /// `errors`).
    fn send(&self, method: reqwest::Method, path: &str, body: Option<reqwest::Body>) -> Result<String, String> {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method.clone(), &url);
        if method != reqwest::Method::GET {
            let token = self.token.as_ref().ok_or_else(|| {
                "no cluster token: the cluster home ($RILL_HOME) has no 'token' file; run this where \
                 `rill cluster start` ran, with the same RILL_HOME"
                    .to_owned()
            })?;
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        self.runtime.block_on(async {
            let response = request.send().await.map_err(|e| {
                format!(
                    "cannot reach the JobManager at {}: {} (is the cluster running? rill cluster start; for HTTPS \
                     with a private CA, set {REST_CA_ENV} to its PEM file)",
                    self.base,
                    causes(&e)
                )
            })?;
            let status = response.status();
            let text = response.text().await.map_err(|e| e.to_string())?;
            if status.is_success() {
                return Ok(text);
            }
            let errors: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let errors: Vec<&str> =
                errors["errors"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            Err(format!("the JobManager answered {status}: {}", errors.join("; ")))
        })
    }

    /// Sends a request; its JSON answer.
    fn call(&self, method: reqwest::Method, path: &str, body: Option<reqwest::Body>) -> Result<Value, String> {
        self.send(method, path, body).map(|text| serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Result<Value, String> {
        self.call(reqwest::Method::GET, path, None)
    }

    /// `GET path` as text.
    pub fn get_text(&self, path: &str) -> Result<String, String> {
        self.send(reqwest::Method::GET, path, None)
    }

    /// Uploads the job binary; its id (sha256).
    pub fn upload(&self, binary: &Path) -> Result<String, String> {
        let bytes = std::fs::read(binary).map_err(|e| format!("cannot read {}: {e}", binary.display()))?;
        let name = binary.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let name: String = name
            .bytes()
            .map(|b| if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.' { b as char } else { '_' })
            .collect();
        let answer = self.call(reqwest::Method::POST, &format!("/jars/upload?name={name}"), Some(bytes.into()))?;
        answer["filename"].as_str().map(str::to_owned).ok_or_else(|| "the upload's answer has no id".to_owned())
    }

    /// Runs uploaded binary `jar`; the job's id.
    pub fn run(&self, jar: &str, body: &Value) -> Result<String, String> {
        let answer = self.call(reqwest::Method::POST, &format!("/jars/{jar}/run"), Some(body.to_string().into()))?;
        answer["jobid"].as_str().map(str::to_owned).ok_or_else(|| "the run's answer has no job id".to_owned())
    }

    /// Cancels job `id`.
    pub fn cancel(&self, id: &str) -> Result<(), String> {
        self.call(reqwest::Method::PATCH, &format!("/jobs/{id}?mode=cancel"), None).map(|_| ())
    }
}

/// `rill stop`: stops job `id` with a savepoint under `dir`; the savepoint's path.
pub fn stop(client: &Client, id: &str, dir: &str, drain: bool) -> Result<String, String> {
    let body = json!({ "targetDirectory": dir, "drain": drain });
    let answer = client.call(reqwest::Method::POST, &format!("/jobs/{id}/stop"), Some(body.to_string().into()))?;
    wait_for_savepoint(client, id, &answer)
}

/// `rill savepoint`: a savepoint of job `id` under `dir` while it runs; its path.
pub fn savepoint(client: &Client, id: &str, dir: &str) -> Result<String, String> {
    let body = json!({ "target-directory": dir, "cancel-job": false });
    let answer =
        client.call(reqwest::Method::POST, &format!("/jobs/{id}/savepoints"), Some(body.to_string().into()))?;
    wait_for_savepoint(client, id, &answer)
}

/// Follows a savepoint request to its end; the savepoint's path.
fn wait_for_savepoint(client: &Client, id: &str, answer: &Value) -> Result<String, String> {
    let trigger = answer["request-id"].as_str().ok_or("the stop's answer has no request id")?.to_owned();
    let deadline = std::time::Instant::now() + Duration::from_secs(600);
    loop {
        let status = client.get(&format!("/jobs/{id}/savepoints/{trigger}"))?;
        if status["status"]["id"] == "COMPLETED" {
            return match status["operation"]["location"].as_str() {
                Some(path) => Ok(path.to_owned()),
                None => Err(format!(
                    "the savepoint failed: {}",
                    status["operation"]["failure-cause"]["stack-trace"].as_str().unwrap_or("no cause reported")
                )),
            };
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("job {id} did not stop within 10 minutes"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What `rill run` was given.
#[derive(Debug, Default)]
pub struct Run {
    pub binary: std::path::PathBuf,
    pub parallelism: Option<usize>,
    pub detached: bool,
    pub savepoint: Option<String>,
    pub allow_non_restored_state: bool,
    /// `-D key=value`: Flink's configuration keys for the job.
    pub config: Vec<(String, String)>,
    pub args: Vec<String>,
}

/// `rill run`: uploads the binary, runs it; attached, follows the job to its end. The exit
/// code: 0 when the job finished (or was submitted, detached), 1 when it failed or was
/// cancelled.
pub fn run(client: &Client, run: &Run) -> Result<i32, String> {
    let jar = client.upload(&run.binary)?;
    let mut body = json!({ "programArgsList": run.args });
    if !run.config.is_empty() {
        let config: serde_json::Map<String, Value> =
            run.config.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        body["flinkConfiguration"] = Value::Object(config);
    }
    if let Some(p) = run.parallelism {
        body["parallelism"] = json!(p);
    }
    if let Some(s) = &run.savepoint {
        body["savepointPath"] = json!(s);
        body["allowNonRestoredState"] = json!(run.allow_non_restored_state);
    }
    let id = client.run(&jar, &body)?;
    println!("Job has been submitted with JobID {id}");
    if run.detached {
        return Ok(0);
    }
    let mut progress = Progress::default();
    loop {
        let job = client.get(&format!("/jobs/{id}"))?;
        progress.show(&job);
        match job["state"].as_str().unwrap_or("") {
            "FINISHED" => {
                println!("Program execution finished");
                println!("Job with JobID {id} has finished.");
                println!("Job Runtime: {} ms", job["duration"].as_u64().unwrap_or(0));
                return Ok(0);
            }
            "CANCELED" => {
                eprintln!("Job with JobID {id} was cancelled.");
                return Ok(1);
            }
            "FAILED" => {
                let why = client.get(&format!("/jobs/{id}/exceptions")).ok();
                let why = why.as_ref().and_then(|e| e["root-exception"].as_str()).unwrap_or("no cause reported");
                eprintln!("Job with JobID {id} failed: {why}");
                return Ok(1);
            }
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// While an attached job runs: its state and the rate its sources send records at, on
/// stderr every [`Progress::EVERY`] (on a terminal, one line redrawn).
#[derive(Default)]
struct Progress {
    /// When the last line was shown, and the records sent then.
    last: Option<(std::time::Instant, u64)>,
}

impl Progress {
    const EVERY: Duration = Duration::from_secs(2);

    fn show(&mut self, job: &Value) {
        use std::io::IsTerminal;
        let state = job["state"].as_str().unwrap_or("");
        if state != "RUNNING" {
            if self.last.is_some() && std::io::stderr().is_terminal() {
                eprintln!();
            }
            return;
        }
        // Records that left the sources: the write-records of the vertices nothing feeds.
        let targets: Vec<u64> =
            job["plan"]["edges"].as_array().into_iter().flatten().filter_map(|e| e["target"].as_u64()).collect();
        let sources: Vec<&Value> = job["vertices"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| v["id"].as_u64().is_some_and(|id| !targets.contains(&id)))
            .collect();
        let sent: u64 = sources.iter().filter_map(|v| v["metrics"]["write-records"].as_u64()).sum();
        let now = std::time::Instant::now();
        let Some((then, before)) = self.last else {
            self.last = Some((now, sent));
            return;
        };
        if now.duration_since(then) < Self::EVERY {
            return;
        }
        let rate = sent.saturating_sub(before) as f64 / now.duration_since(then).as_secs_f64();
        let mut line = format!("{state} · {sent} records from the sources · {rate:.0} records/s");
        line.push_str(&input_read(&sources));
        if std::io::stderr().is_terminal() {
            eprint!("\r\x1b[2K{line}");
        } else {
            eprintln!("{line}");
        }
        self.last = Some((now, sent));
    }
}

/// How much of their input the sources have read, where they know its size: ` · 45 % of
/// the input read` (or of each source's, in the plan's order); empty when none knows.
fn input_read(sources: &[&Value]) -> String {
    let shares: Vec<String> = sources
        .iter()
        .filter_map(|v| {
            let (read, total) = (v["metrics"]["input-read"].as_u64()?, v["metrics"]["input-total"].as_u64()?);
            Some(format!("{:.0} %", 100.0 * read as f64 / total.max(1) as f64))
        })
        .collect();
    match shares.len() {
        0 => String::new(),
        1 => format!(" · {} of the input read", shares[0]),
        _ => format!(" · {} of the inputs read", shares.join(", ")),
    }
}

/// Which jobs `rill list` shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListWhich {
    pub running: bool,
    pub scheduled: bool,
    pub all: bool,
}

/// `rill list`, in Flink's format: running jobs (and, with `-a`, the ended ones).
pub fn list(client: &Client, which: ListWhich) -> Result<String, String> {
    let jobs = client.get("/jobs/overview")?;
    let jobs = jobs["jobs"].as_array().cloned().unwrap_or_default();
    let line = |j: &Value| {
        let start = j["start-time"].as_u64().unwrap_or(0);
        format!(
            "{} : {} : {} ({})",
            format_time(start),
            j["jid"].as_str().unwrap_or(""),
            j["name"].as_str().unwrap_or(""),
            j["state"].as_str().unwrap_or("")
        )
    };
    let running: Vec<String> =
        jobs.iter().filter(|j| matches!(j["state"].as_str(), Some("RUNNING" | "CANCELLING"))).map(line).collect();
    let ended: Vec<String> = jobs
        .iter()
        .filter(|j| matches!(j["state"].as_str(), Some("FINISHED" | "CANCELED" | "FAILED")))
        .map(line)
        .collect();
    let scheduled: Vec<String> = jobs.iter().filter(|j| j["state"].as_str() == Some("CREATED")).map(line).collect();
    let show_running = which.running || which.all || !which.scheduled;
    let mut out = String::new();
    if which.scheduled || which.all {
        if scheduled.is_empty() {
            out.push_str("No scheduled jobs.\n");
        } else {
            out.push_str("----------------------- Scheduled Jobs -----------------------\n");
            for l in &scheduled {
                out.push_str(l);
                out.push('\n');
            }
            out.push_str("--------------------------------------------------------------\n");
        }
    }
    if show_running {
        if running.is_empty() {
            out.push_str("No running jobs.\n");
        } else {
            out.push_str("------------------ Running/Restarting Jobs -------------------\n");
            for l in &running {
                out.push_str(l);
                out.push('\n');
            }
            out.push_str("--------------------------------------------------------------\n");
        }
    }
    if which.all {
        if ended.is_empty() {
            out.push_str("No terminated jobs.\n");
        } else {
            out.push_str("---------------------- Terminated Jobs -----------------------\n");
            for l in &ended {
                out.push_str(l);
                out.push('\n');
            }
            out.push_str("--------------------------------------------------------------\n");
        }
    }
    Ok(out)
}

/// `dd.MM.yyyy HH:mm:ss` in UTC, as Flink's `list` prints a job's start.
fn format_time(ms: u64) -> String {
    let (year, month, day, h, m, s) = rill::checkpoint::inspect::utc_parts(ms as i64);
    format!("{day:02}.{month:02}.{year} {h:02}:{m:02}:{s:02}")
}

/// An error with its causes, outermost first (reqwest's own message omits them).
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(&format!(": {e}"));
        cause = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn start_times_print_as_flink_prints_them() {
        assert_eq!(super::format_time(0), "01.01.1970 00:00:00");
        assert_eq!(super::format_time(1_796_000_523_000), "30.11.2026 01:02:03");
    }
}
