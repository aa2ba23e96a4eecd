//! `rill cluster start` and `rill cluster stop` (Flink's `start-cluster.sh` and
//! `stop-cluster.sh`): a JobManager and TaskManagers as background processes of this
//! command, with pid files and logs in the cluster home.

use super::home::Home;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long `cluster start` waits for its processes to come up.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// How long `cluster stop` waits for the JobManager to cancel its jobs and stop.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// What `rill cluster start` was given.
#[derive(Debug, Clone)]
pub struct StartOptions {
    pub taskmanagers: usize,
    pub slots: usize,
    pub rest: String,
    pub rpc: String,
    /// How long a job waits for slots.
    pub slot_timeout: String,
    /// The heartbeat's interval and timeout.
    pub heartbeat: (String, String),
    /// The REST API's certificate and key (HTTPS).
    pub tls: Option<super::tls::Files>,
}

/// Starts the cluster; what it says when it is up.
pub fn start(home: &Home, options: &StartOptions) -> Result<String, String> {
    if let Some(pid) = read_pid(&home.pids().join("jobmanager.pid")).filter(|p| is_ours(*p)) {
        return Err(format!(
            "a cluster is already running in {} (JobManager pid {pid}): rill cluster stop first, or set RILL_HOME \
             to another directory",
            home.dir().display()
        ));
    }
    home.create()?;
    let _ = std::fs::remove_file(home.addresses_file());
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the rill command: {e}"))?;
    // TaskManagers that outlived their JobManager: only a JobManager starts, and they join it.
    let alive: Vec<u32> = (1..=1024)
        .map(|i| home.pids().join(format!("taskmanager-{i}.pid")))
        .take_while(|p| p.exists())
        .filter_map(|p| read_pid(&p))
        .filter(|p| is_ours(*p))
        .collect();
    let mut out = match alive.len() {
        0 => format!("Starting cluster in {}.\n", home.dir().display()),
        n => {
            format!("Starting a JobManager in {}: its {n} TaskManagers still run and join it.\n", home.dir().display())
        }
    };
    let mut args = vec![
        "jobmanager",
        "start-foreground",
        "--rest-address",
        &options.rest,
        "--rpc-address",
        &options.rpc,
        "--slot-request-timeout",
        &options.slot_timeout,
        "--heartbeat-interval",
        &options.heartbeat.0,
        "--heartbeat-timeout",
        &options.heartbeat.1,
    ];
    if let Some(files) = &options.tls {
        args.extend(["--rest-tls-cert", path_str(&files.cert)?, "--rest-tls-key", path_str(&files.key)?]);
    }
    let jm = spawn(home, &exe, &args, "jobmanager")?;
    let deadline = Instant::now() + START_TIMEOUT;
    let (rest, rpc) = loop {
        if let Some(addresses) = home.addresses() {
            break addresses;
        }
        if !is_alive(jm) || Instant::now() > deadline {
            let _ = std::fs::remove_file(home.pids().join("jobmanager.pid"));
            return Err(format!("the JobManager did not start: {}", tail(&home.logs().join("jobmanager.log"))));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let scheme = if home.rest_cert().is_some() { "https" } else { "http" };
    out.push_str(&format!("Starting standalonesession daemon (pid: {jm}): REST API at {scheme}://{rest}\n"));
    // The page keeps the token from the fragment, which no request carries.
    let token = home.key(&home.token_file())?;
    out.push_str(&format!("Web UI at {scheme}://{rest}/#token={token}\n"));
    let expected = if alive.is_empty() { options.taskmanagers } else { alive.len() };
    for i in (1..=options.taskmanagers).filter(|_| alive.is_empty()) {
        let name = format!("taskmanager-{i}");
        let slots = options.slots.to_string();
        let pid = spawn(
            home,
            &exe,
            &["taskmanager", "start-foreground", "--jobmanager", &rpc, "--slots", &slots, "--name", &name],
            &name,
        )?;
        out.push_str(&format!("Starting taskexecutor daemon (pid: {pid}) with {slots} slots\n"));
    }
    let client = crate::client::Client::new(home, Some(&rest))?;
    loop {
        let registered = client.get("/overview").ok().and_then(|o| o["taskmanagers"].as_u64()).unwrap_or(0);
        if registered as usize >= expected {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "only {registered} of {} TaskManagers registered within {} s: see the logs in {}",
                expected,
                START_TIMEOUT.as_secs(),
                home.logs().display()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(out)
}

/// Stops the cluster's processes: the JobManager first (it cancels its jobs), then the
/// TaskManagers; what does not stop in time is killed.
pub fn stop(home: &Home) -> Result<String, String> {
    let mut pids: Vec<(String, u32)> = Vec::new();
    let entries = std::fs::read_dir(home.pids()).map(|d| d.flatten().collect::<Vec<_>>()).unwrap_or_default();
    for entry in entries {
        let name = entry.file_name().to_string_lossy().trim_end_matches(".pid").to_owned();
        match read_pid(&entry.path()) {
            Some(pid) if is_ours(pid) => pids.push((name, pid)),
            _ => {}
        }
        let _ = std::fs::remove_file(entry.path());
    }
    if pids.is_empty() {
        return Ok(format!("No cluster running in {}.\n", home.dir().display()));
    }
    pids.sort_by_key(|(name, _)| name != "jobmanager");
    let mut out = String::new();
    for (name, pid) in &pids {
        let what = if name == "jobmanager" { "standalonesession" } else { "taskexecutor" };
        out.push_str(&format!("Stopping {what} daemon ({name}, pid: {pid}).\n"));
        rill::net::workers::terminate_pid(*pid);
        let deadline = Instant::now() + STOP_TIMEOUT;
        while is_alive(*pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if is_alive(*pid) {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            out.push_str(&format!("{name} (pid {pid}) did not stop within {} s: killed.\n", STOP_TIMEOUT.as_secs()));
        }
    }
    Ok(out)
}

/// `rill run -t per-job`: a JobManager and one TaskManager with the job's slots, in a home of
/// their own under `per-job/` of the cluster home, for this job alone; stopped when it ends
/// (its logs stay). The job's exit code, as `rill run`'s.
pub fn per_job(home: &Home, slots: usize, run: &crate::client::Run) -> Result<i32, String> {
    let id = rill::net::auth::Secret::generate().map_err(|e| e.to_string())?.to_hex()[..16].to_owned();
    let own = Home::at(home.dir().join("per-job").join(id));
    let options = StartOptions {
        taskmanagers: 1,
        slots,
        rest: "127.0.0.1:0".into(),
        rpc: "127.0.0.1:0".into(),
        slot_timeout: "1min".into(),
        heartbeat: ("1s".into(), "10s".into()),
        tls: None,
    };
    let started = start(&own, &options);
    let result = started.and_then(|_| {
        let (rest, _) = own.addresses().ok_or("the job's JobManager gave no address")?;
        crate::client::run(&crate::client::Client::new(&own, Some(&rest))?, run)
    });
    let _ = stop(&own);
    // The binaries go; the logs stay for a look afterwards.
    let _ = std::fs::remove_dir_all(own.jars());
    let _ = std::fs::remove_dir_all(own.dir().join("taskmanagers"));
    if result.is_err() {
        eprintln!("the job's cluster logs are in {}", own.logs().display());
    }
    result
}

/// Starts `rill ARGS` in the background, its output in `log/NAME.log`, its pid in
/// `pid/NAME.pid`.
pub(super) fn spawn(home: &Home, exe: &Path, args: &[&str], name: &str) -> Result<u32, String> {
    let log_path = home.logs().join(format!("{name}.log"));
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| format!("cannot open {}: {e}", log_path.display()))?;
    let mut command = Command::new(exe);
    command
        .args(args)
        .env(super::home::HOME_ENV, home.dir())
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log);
    // Its own process group: Ctrl-C in this terminal does not reach the cluster.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let child = command.spawn().map_err(|e| format!("cannot start the {name}: {e}"))?;
    let pid = child.id();
    super::home::write_owner_only(&home.pids().join(format!("{name}.pid")), &format!("{pid}\n"))?;
    // Not waited for: it outlives this command. A thread reaps it if it exits while this
    // command still runs, so that is_alive sees it gone.
    std::thread::spawn(move || {
        let mut child = child;
        let _ = child.wait();
    });
    Ok(pid)
}

fn path_str(path: &Path) -> Result<&str, String> {
    path.to_str().ok_or_else(|| format!("{} is not UTF-8", path.display()))
}

fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Whether `pid` runs (and is not a zombie).
fn is_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Whether `pid` is a live `rill` process (a pid file's number may have been reused).
fn is_ours(pid: u32) -> bool {
    is_alive(pid)
        && std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|c| c.split(|b| *b == 0).nth(1).is_some_and(|a| a == b"jobmanager" || a == b"taskmanager"))
}

/// The last lines of a log, for an error.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().rev().take(5).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join("\n")
}
