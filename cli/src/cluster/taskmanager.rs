//! `rill taskmanager start-foreground`: offers slots to a JobManager and runs the worker
//! processes it deploys, each a process of its job's binary (one per job on this
//! TaskManager), with the job's output in the TaskManager's `.out` file as Flink's. The
//! binaries come over the authenticated connection and are kept only if their sha256 is
//! the name they were sent under.

use super::home::Home;
use super::protocol::{Heartbeat, ToJobManager, ToTaskManager};
use rill::net::auth::{self, Secret, AUTH_TIMEOUT};
use rill::net::cluster_link::parse_start;
use rill::net::control::read_line;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The running worker processes, by job.
type Running = Arc<Mutex<BTreeMap<String, Vec<(usize, Child)>>>>;

/// How long a TaskManager that lost its JobManager tries to reach one again before it stops.
const RECONNECT_TIMEOUT: Duration = Duration::from_secs(300);

/// Runs a TaskManager with `slots` slots for the JobManager at `jobmanager` until SIGTERM
/// stops it. When the JobManager goes away, its workers are killed (their jobs are the
/// JobManager's to recover) and it registers again with the JobManager that comes back (at
/// the address the cluster home names, if it names one), for `RECONNECT_TIMEOUT` (5 minutes).
///
/// Its workers listen on `host` (Flink's `taskmanager.host`), where the other processes of
/// their jobs reach them; by default the address this machine reaches the JobManager from.
pub fn start_foreground(
    home: &Home,
    jobmanager: &str,
    slots: usize,
    name: &str,
    host: Option<std::net::IpAddr>,
) -> Result<(), String> {
    let secret = Secret::from_hex(
        std::fs::read_to_string(home.secret_file())
            .map_err(|e| {
                format!(
                    "cannot read the cluster's secret {}: {e} (the JobManager writes it)",
                    home.secret_file().display()
                )
            })?
            .trim(),
    )?;
    let dir = home.taskmanager(name);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    std::fs::create_dir_all(home.logs()).map_err(|e| format!("cannot create {}: {e}", home.logs().display()))?;
    let running: Running = Arc::default();
    let on_signal = running.clone();
    std::thread::spawn(move || {
        if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
            rt.block_on(super::signals::terminated());
            tracing::info!("TaskManager: stopping; its worker processes are killed");
            kill_all(&on_signal);
            std::process::exit(0);
        }
    });
    let out = home.logs().join(format!("{name}.out"));
    // The first registration must succeed: a wrong address or secret is the user's to fix.
    let (mut stream, mut heartbeat) = register(jobmanager, &secret, slots, name)?;
    loop {
        let writer = Arc::new(Mutex::new(stream.try_clone().map_err(|e| e.to_string())?));
        let (beat, workers) = (writer.clone(), running.clone());
        // A JobManager silent for the timeout is gone, as one whose connection closed.
        stream.set_read_timeout(Some(heartbeat.timeout)).map_err(|e| e.to_string())?;
        std::thread::spawn(move || loop {
            std::thread::sleep(heartbeat.interval);
            let mut s = beat.lock().unwrap_or_else(|p| p.into_inner());
            let memory = rill::metrics::resident_memory(std::process::id())
                + workers
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .values()
                    .flatten()
                    .map(|(_, c)| rill::metrics::resident_memory(c.id()))
                    .sum::<u64>();
            if writeln!(s, "{}", ToJobManager::Alive(Some(memory)).line()).is_err() {
                return;
            }
        });
        let host = match host {
            Some(host) => host,
            None => stream.local_addr().map_err(|e| e.to_string())?.ip(),
        };
        let why = serve(&stream, &Deployer { dir: &dir, out: &out, writer: &writer, running: &running, host });
        let _ = stream.shutdown(std::net::Shutdown::Both);
        kill_all(&running);
        tracing::warn!("TaskManager {name}: {why}; its worker processes were killed; registering again");
        let deadline = Instant::now() + RECONNECT_TIMEOUT;
        (stream, heartbeat) = loop {
            // The JobManager that comes back may listen elsewhere (a port the system chose).
            let address = home.addresses().map_or_else(|| jobmanager.to_owned(), |(_, rpc)| rpc);
            match register(&address, &secret, slots, name) {
                Ok(registered) => break registered,
                Err(e) if Instant::now() > deadline => {
                    return Err(format!("no JobManager for {} s (last: {e})", RECONNECT_TIMEOUT.as_secs()))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        };
    }
}

/// Proves the secret to the JobManager at `jobmanager` and registers `slots` slots.
fn register(jobmanager: &str, secret: &Secret, slots: usize, name: &str) -> Result<(TcpStream, Heartbeat), String> {
    let mut stream =
        TcpStream::connect(jobmanager).map_err(|e| format!("cannot reach the JobManager at {jobmanager}: {e}"))?;
    stream.set_read_timeout(Some(AUTH_TIMEOUT)).map_err(|e| e.to_string())?;
    auth::client(&mut stream, secret).map_err(|e| format!("the JobManager at {jobmanager} refused us: {e}"))?;
    writeln!(stream, "{}", ToJobManager::Register { slots, name: name.to_owned() }.line())
        .map_err(|e| e.to_string())?;
    let line = read_line(&stream).map_err(|e| format!("the JobManager did not answer: {e}"))?;
    let Some(ToTaskManager::Registered(id, heartbeat)) = ToTaskManager::parse(&line) else {
        return Err(format!("the JobManager said '{line}' instead of registering us"));
    };
    stream.set_read_timeout(None).map_err(|e| e.to_string())?;
    tracing::info!("TaskManager {name} registered with the JobManager at {jobmanager} as {id}, {slots} slots");
    Ok((stream, heartbeat))
}

/// Where and how this TaskManager starts workers.
struct Deployer<'a> {
    /// Its directory: the job binaries it keeps.
    dir: &'a std::path::Path,
    /// Its `.out` file.
    out: &'a std::path::Path,
    /// The JobManager's connection, to report workers that exit.
    writer: &'a Arc<Mutex<TcpStream>>,
    running: &'a Running,
    /// Where its workers listen (`RILL_HOST`).
    host: std::net::IpAddr,
}

/// Follows the JobManager's orders until its connection ends; why it ended.
fn serve(stream: &TcpStream, deployer: &Deployer) -> String {
    let (dir, writer, running) = (deployer.dir, deployer.writer, deployer.running);
    loop {
        let line = match read_line(stream) {
            Ok(line) => line,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return "no heartbeat from the JobManager".to_owned()
            }
            Err(e) => return format!("the JobManager went away ({e})"),
        };
        match ToTaskManager::parse(&line) {
            Some(ToTaskManager::Binary(sha, len)) => {
                let mut bytes = Vec::new();
                let mut reader = stream;
                match (&mut reader).take(len).read_to_end(&mut bytes) {
                    Ok(n) if n as u64 == len => {}
                    Ok(_) => return "the JobManager's connection ended inside a job binary".to_owned(),
                    Err(e) => return format!("a job binary did not arrive ({e})"),
                }
                // The connection is in step again: a binary that cannot be kept fails the
                // workers that need it, not the TaskManager.
                if let Err(why) = keep_binary(dir, &sha, &bytes) {
                    tracing::warn!("TaskManager: {why}");
                    let mut w = writer.lock().unwrap_or_else(|p| p.into_inner());
                    let _ = writeln!(w, "{}", ToJobManager::Unkept(sha).line());
                }
            }
            Some(ToTaskManager::Deploy { job, sha, start }) => {
                if let Err((index, why)) = deploy(deployer, &job, &sha, &start) {
                    tracing::warn!("job {job}: {why}");
                    let how = format!("could not be started on this TaskManager: {why}");
                    let mut w = writer.lock().unwrap_or_else(|p| p.into_inner());
                    let _ = writeln!(w, "{}", ToJobManager::Exited { job, index, how }.line());
                }
            }
            Some(ToTaskManager::Cancel(job)) => {
                for (_, child) in running.lock().unwrap_or_else(|p| p.into_inner()).get(&job).into_iter().flatten() {
                    rill::net::workers::terminate_pid(child.id());
                }
            }
            Some(ToTaskManager::Kill(job)) => {
                for (_, child) in running.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&job).into_iter().flatten()
                {
                    let _ = child.kill();
                }
            }
            Some(ToTaskManager::Alive) => {}
            Some(ToTaskManager::Registered(..)) | None => return format!("the JobManager said '{line}'"),
        }
    }
}

/// Keeps a job binary if its sha256 is `sha`.
fn keep_binary(dir: &std::path::Path, sha: &str, bytes: &[u8]) -> Result<(), String> {
    let digest: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    if digest != sha {
        return Err(format!("a job binary sent as {sha} has the sha256 {digest}"));
    }
    let path = dir.join(sha);
    let tmp = dir.join(format!("{sha}.part"));
    std::fs::write(&tmp, bytes).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot keep the job binary {sha}: {e}")
    })?;
    std::fs::set_permissions(&tmp, <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o700))
        .map_err(|e| format!("cannot make the job binary executable: {e}"))?;
    std::fs::rename(&tmp, &path).map_err(|e| format!("cannot keep the job binary: {e}"))
}

fn deploy(deployer: &Deployer, job: &str, sha: &str, start: &str) -> Result<(), (usize, String)> {
    let command =
        parse_start(start).ok_or_else(|| (usize::MAX, format!("a deploy with a bad start line '{start}'")))?;
    let index = command.index;
    deploy_worker(deployer, job, sha, command).map_err(|why| (index, why))
}

fn deploy_worker(
    deployer: &Deployer,
    job: &str,
    sha: &str,
    command: rill::net::workers::WorkerCommand,
) -> Result<(), String> {
    let Deployer { dir, out, writer, running, host } = *deployer;
    let append = |path: &std::path::Path| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))
    };
    let logs = out.parent().unwrap_or(dir);
    // The job's print output goes to this TaskManager's .out (Flink's) and to the job's own
    // .out (`rill logs`); its messages to this TaskManager's log and the job's log.
    let stdout_to = [append(out)?, append(&logs.join(format!("job-{job}.out")))?];
    let stderr_to = [append(&logs.join(format!("job-{job}.log")))?];
    if !dir.join(sha).exists() {
        return Err(format!("its job binary {sha} is not on this TaskManager (it could not be kept; see above)"));
    }
    let mut c = Command::new(dir.join(sha));
    c.args(&command.args).envs(command.env.iter().map(|(k, v)| (k, v)));
    c.env(rill::net::worker::EXIT_WITH_PARENT_ENV, "1").env(rill::net::HOST_ENV, host.to_string());
    c.current_dir(dir).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    std::os::unix::process::CommandExt::process_group(&mut c, 0);
    let index = command.index;
    let mut child = c.spawn().map_err(|e| format!("cannot start worker {index}: {e}"))?;
    if let Some(stdout) = child.stdout.take() {
        std::thread::spawn(move || tee(stdout, stdout_to, None));
    }
    if let Some(stderr) = child.stderr.take() {
        std::thread::spawn(move || tee(stderr, stderr_to, Some(std::io::stderr())));
    }
    let pid = child.id();
    running.lock().unwrap_or_else(|p| p.into_inner()).entry(job.to_owned()).or_default().push((index, child));
    let (writer, running, job) = (writer.clone(), running.clone(), job.to_owned());
    std::thread::spawn(move || loop {
        // Polls its own child: the map is shared with cancel and kill.
        std::thread::sleep(std::time::Duration::from_millis(20));
        let mut map = running.lock().unwrap_or_else(|p| p.into_inner());
        let Some(children) = map.get_mut(&job) else { return };
        let Some(pos) = children.iter().position(|(_, c)| c.id() == pid) else { return };
        if let Ok(Some(status)) = children[pos].1.try_wait() {
            children.remove(pos);
            if children.is_empty() {
                map.remove(&job);
            }
            drop(map);
            let how = rill::net::workers::describe_exit(status);
            let mut w = writer.lock().unwrap_or_else(|p| p.into_inner());
            let _ = writeln!(w, "{}", ToJobManager::Exited { job, index, how }.line());
            return;
        }
    });
    Ok(())
}

/// Copies a worker's output, line by line, to every file of `to` (and `also`).
fn tee<const N: usize>(from: impl Read, mut to: [std::fs::File; N], mut also: Option<std::io::Stderr>) {
    use std::io::BufRead;
    let mut reader = std::io::BufReader::new(from);
    let mut line = Vec::new();
    while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
        for file in &mut to {
            let _ = file.write_all(&line);
        }
        if let Some(err) = also.as_mut() {
            let _ = err.write_all(&line);
        }
        line.clear();
    }
}

fn kill_all(running: &Running) {
    let mut map = running.lock().unwrap_or_else(|p| p.into_inner());
    for (_, child) in map.values_mut().flatten() {
        let _ = child.kill();
        let _ = child.wait();
    }
    map.clear();
}
