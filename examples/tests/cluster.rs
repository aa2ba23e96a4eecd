//! The session cluster as a user drives it, as real processes: `rill cluster start`, jobs
//! submitted with `rill run` (attached and detached), `rill list`, `rill cancel`, `rill
//! cluster stop`; and its REST API tried as an attacker would: without the token, with a
//! wrong one, with paths that climb out of the cluster home, with bodies that are not what
//! they should be, and with connections that do not hold the cluster's secret.

mod common;
mod processes;

use common::{committed_lines, expected_lines};
use processes::{certificates, final_counts, job_id, rill_bin, text, wait_for};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// A cluster home of the test's own, stopped (and its processes gone) when dropped.
struct Cluster {
    home: tempfile::TempDir,
}

impl Cluster {
    fn start(taskmanagers: usize, slots: usize) -> Cluster {
        Cluster::start_with(taskmanagers, slots, &[])
    }

    fn start_with(taskmanagers: usize, slots: usize, more: &[&str]) -> Cluster {
        let cluster = Cluster { home: tempfile::tempdir().unwrap() };
        let mut args = vec![
            "cluster",
            "start",
            "--taskmanagers",
            &taskmanagers.to_string(),
            "--slots",
            &slots.to_string(),
            "--rest-address",
            "127.0.0.1:0",
            "--rpc-address",
            "127.0.0.1:0",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
        args.extend(more.iter().map(|a| (*a).to_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = cluster.rill(&args);
        assert!(out.status.success(), "cluster start: {}", text(&out.stderr));
        cluster
    }

    fn rill(&self, args: &[&str]) -> Output {
        Command::new(rill_bin()).args(args).env("RILL_HOME", self.home.path()).output().unwrap()
    }

    fn addresses(&self) -> (String, String) {
        let text = std::fs::read_to_string(self.home.path().join("jobmanager.addr")).unwrap();
        let find = |what: &str| text.lines().find_map(|l| l.strip_prefix(what)).unwrap().to_owned();
        (find("rest "), find("rpc "))
    }

    fn token(&self) -> String {
        std::fs::read_to_string(self.home.path().join("token")).unwrap().trim().to_owned()
    }

    /// The pids of every process that runs from this cluster: its JobManager and
    /// TaskManagers (pid files), and the job binaries it stored.
    fn processes(&self) -> Vec<u32> {
        let home = self.home.path().canonicalize().unwrap();
        let mut pids = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
            let exe = std::fs::read_link(entry.path().join("exe")).unwrap_or_default();
            let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
            let ours = exe.starts_with(&home)
                || environ
                    .split(|b| *b == 0)
                    .any(|v| v.starts_with(format!("RILL_HOME={}", self.home.path().display()).as_bytes()));
            let zombie = std::fs::read_to_string(entry.path().join("stat"))
                .is_ok_and(|s| s.rsplit_once(')').is_some_and(|(_, r)| r.trim_start().starts_with('Z')));
            if ours && !zombie {
                pids.push(pid);
            }
        }
        pids
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.rill(&["cluster", "stop"]);
        for pid in self.processes() {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        }
    }
}

/// One HTTP/1.1 request; the status and the body.
fn http(addr: &str, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let auth = token.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let _ = stream.write_all(body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = text(&response);
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    (status, body)
}

#[test]
fn jobs_run_on_the_cluster_and_the_cluster_stops_without_leaving_a_process() {
    let cluster = Cluster::start(2, 2);
    let (rest, _) = cluster.addresses();
    let overview = http(&rest, "GET", "/overview", None, b"").1;
    assert!(overview.contains("\"taskmanagers\":2") && overview.contains("\"slots-total\":4"), "{overview}");

    // The word count, attached, over both TaskManagers (parallelism 4, two slots each):
    // its counts are the counts of the same binary run alone.
    let word_count = env!("CARGO_BIN_EXE_word_count");
    let out = cluster.rill(&["run", "-p", "4", word_count]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let finished = job_id(&stdout);
    assert!(stdout.contains(&format!("Job with JobID {finished} has finished.")), "{stdout}");
    let alone = Command::new(word_count).args(["-p", "4"]).output().unwrap();
    let mut printed = String::new();
    for tm in ["taskmanager-1", "taskmanager-2"] {
        let out = std::fs::read_to_string(cluster.home.path().join(format!("log/{tm}.out"))).unwrap();
        assert!(!out.is_empty(), "both TaskManagers ran a share of the job");
        printed.push_str(&out);
    }
    assert_eq!(final_counts(&printed), final_counts(&text(&alone.stdout)));
    assert!(!final_counts(&printed).is_empty());
    // `rill logs` shows the job's print output, whichever TaskManager printed it.
    let logs = cluster.rill(&["logs", &finished]);
    assert!(logs.status.success(), "{}", text(&logs.stderr));
    let sorted = |t: &str| {
        let mut lines: Vec<String> = t.lines().map(str::to_owned).collect();
        lines.sort();
        lines
    };
    assert_eq!(sorted(&text(&logs.stdout)), sorted(&printed));
    let info = text(&cluster.rill(&["info", "-p", "4", word_count]).stdout);
    assert!(info.contains("\"job\": \"word_count\"") && info.contains("\"parallelism\": 4"), "{info}");

    // The socket word count, detached, reading from a server of the test's own.
    let (streaming, mut typed) = socket_word_count(&cluster);
    typed.write_all(b"to be or not to be\n").unwrap();
    let list = text(&cluster.rill(&["list"]).stdout);
    assert!(list.contains(&format!(": {streaming} : socket_word_count (RUNNING)")), "{list}");
    assert!(!list.contains(&finished), "a finished job is not listed as running: {list}");

    let out = cluster.rill(&["cancel", &streaming]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("Cancelled job {streaming}.\n"));
    wait_for("the cancelled job to end", Duration::from_secs(20), || {
        text(&cluster.rill(&["list", "-a"]).stdout).contains(&format!("{streaming} : socket_word_count (CANCELED)"))
    });
    let all = text(&cluster.rill(&["list", "-a"]).stdout);
    assert!(all.contains(&format!(": {finished} : word_count (FINISHED)")), "{all}");
    assert!(all.contains("No running jobs."), "{all}");
    // Cancelling it again says why not.
    let again = cluster.rill(&["cancel", &streaming]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("has ended (CANCELED)"), "{}", text(&again.stderr));

    assert!(cluster.processes().len() >= 3, "the JobManager and two TaskManagers run");
    let out = cluster.rill(&["cluster", "stop"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Stopping standalonesession daemon"), "{}", text(&out.stdout));
    wait_for("every process of the cluster to be gone", Duration::from_secs(10), || cluster.processes().is_empty());
}

#[test]
fn a_job_that_fails_is_failed_with_its_cause_and_a_job_too_wide_is_refused() {
    let cluster = Cluster::start_with(1, 2, &["--slot-request-timeout", "3s"]);
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    drop(server); // Nothing listens: the job's source cannot connect.
    let out =
        cluster.rill(&["run", "-p", "2", env!("CARGO_BIN_EXE_socket_word_count"), "--", "--port", &port.to_string()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("failed: ") && err.contains("cannot connect to localhost"), "{err}");

    // With checkpoints it restarts, again and again; a cancel between two attempts (while
    // the restart strategy waits) cancels it.
    let out = cluster.rill(&[
        "run",
        "-d",
        "-D",
        "execution.checkpointing.interval=1s",
        env!("CARGO_BIN_EXE_socket_word_count"),
        "--",
        "--port",
        &port.to_string(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let restarting = job_id(&text(&out.stdout));
    let log = cluster.home.path().join(format!("log/job-{restarting}.log"));
    wait_for("a restart", Duration::from_secs(30), || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("restarting its processes in"))
    });
    let (rest, _) = cluster.addresses();
    assert!(cluster.rill(&["cancel", &restarting]).status.success());
    wait_for("the cancel", Duration::from_secs(10), || state_of(&rest, &restarting) == "CANCELED");

    let out = cluster.rill(&["run", "-p", "3", env!("CARGO_BIN_EXE_word_count")]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("no slots within 3 s: not enough free slots: the job needs 3"), "{err}");

    // Parameters the job refuses are refused before anything starts, with the job's reason.
    let out = cluster.rill(&["run", env!("CARGO_BIN_EXE_socket_word_count"), "--", "--port", "many"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("400 Bad Request") && err.contains("the job does not start with these arguments"), "{err}");
    assert!(err.contains("many"), "{err}");
}

#[test]
fn the_rest_api_refuses_what_it_must_and_survives_hostile_requests() {
    let cluster = Cluster::start(1, 1);
    let (rest, rpc) = cluster.addresses();
    let token = cluster.token();
    let binary = std::fs::read(env!("CARGO_BIN_EXE_word_count")).unwrap();

    // Without the token, with a wrong one: 401, and how to pass it.
    for wrong in [None, Some("0".repeat(64).as_str()), Some("")] {
        let (status, body) = http(&rest, "POST", "/jars/upload", wrong, &binary);
        assert_eq!(status, 401, "{body}");
        assert!(body.contains("Authorization: Bearer") && body.contains("token"), "{body}");
    }
    let (status, _) = http(&rest, "PATCH", &format!("/jobs/{}?mode=cancel", "a".repeat(32)), None, b"");
    assert_eq!(status, 401);
    assert!(std::fs::read_dir(cluster.home.path().join("jars")).unwrap().next().is_none(), "nothing was stored");

    // With it: stored under its sha256, whatever name the client gives.
    let (status, body) = http(&rest, "POST", "/jars/upload?name=../../../etc/passwd", Some(&token), &binary);
    assert_eq!(status, 200, "{body}");
    let sha = body.split("\"filename\":\"").nth(1).unwrap()[..64].to_owned();
    assert!(cluster.home.path().join("jars").join(&sha).is_file());
    let (status, body) = http(&rest, "POST", "/jars/upload", Some(&token), b"#!/bin/sh\necho pwned\n");
    assert_eq!(status, 400, "only job binaries: {body}");
    assert!(body.starts_with("{\"errors\":["), "Flink's error shape: {body}");

    // Ids that are not ids.
    for (method, path) in [
        ("POST", "/jars/..%2f..%2fbin%2fsh/run".to_owned()),
        ("POST", "/jars/../../bin/sh/run".to_owned()),
        ("POST", format!("/jars/{}/run", "f".repeat(64))),
        ("GET", "/jobs/..%2f..%2fetc%2fpasswd".to_owned()),
        ("GET", format!("/jobs/{}", "a".repeat(32))),
        ("PATCH", "/jobs/../../token?mode=cancel".to_owned()),
    ] {
        let (status, body) = http(&rest, method, &path, Some(&token), b"");
        assert!(matches!(status, 400 | 404), "{method} {path}: {status} {body}");
    }
    // Bodies that are not run requests.
    for body in [&b"{"[..], b"[]", b"{\"parallelism\":-1}", b"{\"entryClass\":\"x\"}", b"{\"unknown\":1}"] {
        let (status, answer) = http(&rest, "POST", &format!("/jars/{sha}/run"), Some(&token), body);
        assert_eq!(status, 400, "{}: {answer}", text(body));
    }

    // A fuzz loop over the routes: methods, paths and bodies of every kind, with and without
    // the token. Nothing gets a 5xx, nothing is stored but job binaries under their sha256,
    // and the JobManager answers afterwards.
    let paths = ["/", "/overview", "/jobs", "/jobs/overview", "/jars", "/jars/upload", "/taskmanagers", "/config"];
    let mut seed = 0x2545f4914f6cdd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..300 {
        let method = ["GET", "POST", "PATCH", "DELETE", "PUT"][(next() % 5) as usize];
        let mut path = paths[(next() % paths.len() as u64) as usize].to_owned();
        match next() % 4 {
            0 => path.push_str(&format!("/{:x}", next())),
            1 => path.push_str("/%00/../.."),
            2 => path.push_str(&format!("/{sha}/run")),
            _ => {}
        }
        let body: Vec<u8> = (0..(next() % 64)).map(|_| next() as u8).collect();
        let token = (next() % 2 == 0).then_some(token.as_str());
        let (status, answer) = http(&rest, method, &path, token, &body);
        assert!((200..500).contains(&status), "{method} {path}: {status} {answer}");
    }
    let stored: Vec<String> = std::fs::read_dir(cluster.home.path().join("jars"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(stored, std::slice::from_ref(&sha), "uploads are stored by their sha256 alone");
    let mut home: Vec<String> = std::fs::read_dir(cluster.home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    home.sort();
    assert_eq!(home, ["jars", "jobmanager.addr", "log", "pid", "secret", "taskmanagers", "token"]);
    assert_eq!(http(&rest, "GET", "/overview", None, b"").0, 200);

    // A TaskManager without the cluster's secret, and a stray connection, are refused; the
    // cluster still has its one TaskManager and runs a job.
    let mut stray = TcpStream::connect(&rpc).unwrap();
    let _ = stray.write_all(b"register 64 impostor\n");
    let impostor = Command::new(rill_bin())
        .args(["taskmanager", "start-foreground", "--jobmanager", &rpc, "--name", "impostor"])
        .env("RILL_HOME", tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert_eq!(impostor.status.code(), Some(1));
    assert!(text(&impostor.stderr).contains("cannot read the cluster's secret"), "{}", text(&impostor.stderr));
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("secret"), "ab".repeat(32)).unwrap();
    let impostor = Command::new(rill_bin())
        .args(["taskmanager", "start-foreground", "--jobmanager", &rpc, "--name", "impostor"])
        .env("RILL_HOME", other.path())
        .output()
        .unwrap();
    assert_eq!(impostor.status.code(), Some(1));
    assert!(text(&impostor.stderr).contains("refused"), "{}", text(&impostor.stderr));
    drop(stray);
    let overview = http(&rest, "GET", "/overview", None, b"").1;
    assert!(overview.contains("\"taskmanagers\":1"), "{overview}");
    let out = cluster.rill(&["run", env!("CARGO_BIN_EXE_word_count")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let log = std::fs::read_to_string(cluster.home.path().join("log/jobmanager.log")).unwrap();
    assert!(log.contains("refused a TaskManager connection"), "{log}");
}

const CHECKPOINTED_COUNT: &str = env!("CARGO_BIN_EXE_checkpointed_count");

/// The JobManager's log.
fn jobmanager_log(cluster: &Cluster) -> String {
    std::fs::read_to_string(cluster.home.path().join("log/jobmanager.log")).unwrap()
}

/// The state of job `id`, as the REST API reports it.
fn state_of(rest: &str, id: &str) -> String {
    let body = http(rest, "GET", &format!("/jobs/{id}"), None, b"").1;
    body.split("\"state\":\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or("").to_owned()
}

#[test]
fn a_failing_job_restarts_from_its_checkpoint_and_the_job_beside_it_never_notices() {
    let cluster = Cluster::start(1, 2);
    let (rest, _) = cluster.addresses();
    let dir = tempfile::tempdir().unwrap();
    let (n, keys) = (200_000i64, 7i64);
    let submit = |name: &str, fail: bool| {
        let out = dir.path().join(name);
        let mut args = vec!["run".to_owned(), "-d".into(), "-p".into(), "1".into()];
        args.extend(["-D".into(), "execution.checkpointing.interval=50ms".into()]);
        let checkpoints = dir.path().join(format!("{name}-checkpoints"));
        args.extend(["-D".into(), format!("execution.checkpointing.dir={}", checkpoints.display())]);
        args.extend([CHECKPOINTED_COUNT.to_owned(), "--".into(), "--n".into(), n.to_string()]);
        args.extend(["--out".into(), out.display().to_string(), "--pause-every".into(), "200".into()]);
        if fail {
            let marker = dir.path().join("failed-once");
            args.extend([
                "--fail-at".into(),
                (n / 2).to_string(),
                "--fail-marker".into(),
                marker.display().to_string(),
            ]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = cluster.rill(&args);
        assert!(run.status.success(), "{}", text(&run.stderr));
        (job_id(&text(&run.stdout)), out)
    };
    let (failing, failing_out) = submit("failing", true);
    let (steady, steady_out) = submit("steady", false);
    wait_for("both jobs to finish", Duration::from_secs(120), || {
        state_of(&rest, &failing) == "FINISHED" && state_of(&rest, &steady) == "FINISHED"
    });
    let log = |id: &str| std::fs::read_to_string(cluster.home.path().join(format!("log/job-{id}.log"))).unwrap();
    let failing_log = log(&failing);
    assert!(failing_log.contains("injected failure at record 100000"), "{failing_log}");
    assert!(
        failing_log.contains("restarting its processes") && failing_log.contains("from checkpoint"),
        "{failing_log}"
    );
    assert!(!log(&steady).contains("restarting"), "{}", log(&steady));
    let jm = jobmanager_log(&cluster);
    let started = |id: &str| jm.matches(&format!("job {id}: worker 0 started")).count();
    assert!(started(&failing) >= 2, "the failing job's worker started again: {jm}");
    assert_eq!(started(&steady), 1, "the steady job's worker never restarted: {jm}");
    let want = expected_lines(n, keys);
    assert!(committed_lines(&failing_out) == want, "the failing job's output is exactly once");
    assert!(committed_lines(&steady_out) == want, "the steady job's output is whole");
}

#[test]
fn a_killed_taskmanager_costs_a_restore_on_the_slots_that_remain() {
    let cluster = Cluster::start(2, 2);
    let (rest, _) = cluster.addresses();
    let dir = tempfile::tempdir().unwrap();
    let (n, keys) = (300_000i64, 7i64);
    let (out, checkpoints) = (dir.path().join("out"), dir.path().join("checkpoints"));
    let id = run_checkpointed(&cluster, n, &out, &checkpoints);
    // A checkpoint completes, then the TaskManager that runs the job is killed for real.
    wait_for("a completed checkpoint", Duration::from_secs(60), || {
        walk(&checkpoints).iter().any(|p| p.ends_with("_metadata"))
    });
    // Flink's checkpoint statistics show it, newest first.
    let (status, body) = http(&rest, "GET", &format!("/jobs/{id}/checkpoints"), None, b"");
    assert_eq!(status, 200, "{body}");
    let stats: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(stats["counts"]["completed"].as_u64().unwrap() >= 1, "{body}");
    let latest = &stats["latest"]["completed"];
    let path = Path::new(latest["external_path"].as_str().unwrap());
    assert!(path.starts_with(&checkpoints) && path.ends_with(format!("chk-{}", latest["id"])), "{body}");
    assert!(latest["state_size"].as_u64().unwrap() > 0 && latest["num_subtasks"].as_u64().unwrap() >= 2, "{body}");
    assert_eq!(stats["history"][0], *latest);
    let (status, _) = http(&rest, "GET", "/jobs/00000000000000000000000000000000/checkpoints", None, b"");
    assert_eq!(status, 404);
    let pattern = format!("worker 0 --coordinator .*{}", out.display());
    let worker = Command::new("pgrep").args(["-f", &pattern]).output().unwrap();
    let worker = text(&worker.stdout).lines().next().expect("the job's worker runs").to_owned();
    let stat = std::fs::read_to_string(format!("/proc/{worker}/stat")).unwrap();
    let taskmanager = stat.rsplit_once(')').unwrap().1.split_whitespace().nth(1).unwrap().to_owned();
    assert!(Command::new("kill").args(["-KILL", &taskmanager]).status().unwrap().success());

    wait_for("the job to finish", Duration::from_secs(120), || state_of(&rest, &id) == "FINISHED");
    let jm = jobmanager_log(&cluster);
    assert!(jm.contains(") lost: its connection ended"), "{jm}");
    assert!(jm.contains(&format!("job {id}: worker 0 moves from lost TaskManager")), "{jm}");
    let job_log = std::fs::read_to_string(cluster.home.path().join(format!("log/job-{id}.log"))).unwrap();
    assert!(job_log.contains("restarting its processes") && job_log.contains("from checkpoint"), "{job_log}");
    // The job's processes log as the cluster's daemons do: time, level, module.
    assert!(job_log.lines().any(|l| l.contains(" WARN rill::net::launcher: job ")), "{job_log}");
    let overview = http(&rest, "GET", "/overview", None, b"").1;
    assert!(overview.contains("\"taskmanagers\":1") && overview.contains("\"slots-available\":2"), "{overview}");
    assert!(committed_lines(&out) == expected_lines(n, keys), "the output of a run without the kill, once");
}

/// Submits checkpointed_count at parallelism 2, checkpointed every 50 ms into
/// `checkpoints`, its exactly-once output into `out`; its job id.
fn run_checkpointed(cluster: &Cluster, n: i64, out: &Path, checkpoints: &Path) -> String {
    let run = cluster.rill(&[
        "run",
        "-d",
        "-p",
        "2",
        "-D",
        "execution.checkpointing.interval=50ms",
        "-D",
        &format!("execution.checkpointing.dir={}", checkpoints.display()),
        CHECKPOINTED_COUNT,
        "--",
        "--n",
        &n.to_string(),
        "--out",
        out.to_str().unwrap(),
        "--pause-every",
        "200",
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    job_id(&text(&run.stdout))
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn stop_with_a_savepoint_then_run_from_it_at_another_parallelism_continues_the_counts() {
    let cluster = Cluster::start(2, 2);
    let (rest, _) = cluster.addresses();
    let dir = tempfile::tempdir().unwrap();
    let (n, keys) = (300_000i64, 7i64);
    let (out, savepoints) = (dir.path().join("out"), dir.path().join("savepoints"));
    let job_args = ["--", "--n", &n.to_string(), "--out", out.to_str().unwrap(), "--pause-every", "200"];
    let run = |args: &[&str]| {
        let mut all = vec!["run", "-d"];
        all.extend_from_slice(args);
        all.push(CHECKPOINTED_COUNT);
        all.extend_from_slice(&job_args);
        let run = cluster.rill(&all);
        assert!(run.status.success(), "{}", text(&run.stderr));
        job_id(&text(&run.stdout))
    };
    let first = run(&["-p", "2"]);
    std::thread::sleep(Duration::from_millis(400));
    // A savepoint while it runs: the job goes on; the savepoint reads as one.
    let taken = cluster.rill(&["savepoint", &first, savepoints.to_str().unwrap()]);
    let said = text(&taken.stdout);
    assert!(taken.status.success(), "{said}{}", text(&taken.stderr));
    let kept = said.lines().find_map(|l| l.strip_prefix("Savepoint completed. Path: ")).expect(&said).to_owned();
    assert_eq!(state_of(&rest, &first), "RUNNING");
    let inspected = cluster.rill(&["savepoint", "inspect", &kept]);
    assert!(text(&inspected.stdout).contains("of job 'checkpointed_count'"), "{}", text(&inspected.stdout));
    std::thread::sleep(Duration::from_millis(300));
    let stop = cluster.rill(&["stop", &first, "--savepoint-path", savepoints.to_str().unwrap()]);
    let said = text(&stop.stdout);
    assert!(stop.status.success(), "{said}{}", text(&stop.stderr));
    let path = said.lines().find_map(|l| l.strip_prefix("Savepoint completed. Path: ")).expect(&said).to_owned();
    assert!(Path::new(&path).join("_metadata").is_file(), "{path}");
    assert!(path.starts_with(savepoints.to_str().unwrap()), "{path}");
    assert_eq!(state_of(&rest, &first), "FINISHED", "a job stopped with a savepoint is FINISHED, as Flink's");
    let committed = committed_lines(&out).len();
    assert!(committed > 0 && (committed as i64) < n, "stopped midway, its lines committed: {committed}");

    // Resumed at parallelism 3, over both TaskManagers: key groups move, counts continue.
    let second = run(&["-p", "3", "-s", &path]);
    wait_for("the resumed job to finish", Duration::from_secs(120), || state_of(&rest, &second) == "FINISHED");
    let want = expected_lines(n, keys);
    let got = committed_lines(&out);
    assert_eq!(got.len(), want.len(), "every line once: nothing is replayed after a stop");
    assert!(got == want, "the lines of a run without the stop");

    // Stopping what is not running says why.
    let again = cluster.rill(&["stop", &second, "--savepoint-path", savepoints.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("is FINISHED, not RUNNING"), "{}", text(&again.stderr));
}

#[test]
fn per_job_mode_starts_a_cluster_for_the_job_and_takes_it_down_with_it() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(rill_bin())
        .args(["run", "-t", "per-job", "-p", "2", env!("CARGO_BIN_EXE_word_count")])
        .env("RILL_HOME", home.path())
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let id = job_id(&stdout);
    assert!(stdout.contains(&format!("Job with JobID {id} has finished.")), "{stdout}");
    // Its cluster is gone, its logs stay, with the job's output.
    let own: Vec<PathBuf> =
        std::fs::read_dir(home.path().join("per-job")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(own.len(), 1, "{own:?}");
    let printed = std::fs::read_to_string(own[0].join(format!("log/job-{id}.out"))).unwrap();
    let alone = Command::new(env!("CARGO_BIN_EXE_word_count")).args(["-p", "2"]).output().unwrap();
    assert_eq!(final_counts(&printed), final_counts(&text(&alone.stdout)));
    assert!(!own[0].join("jars").exists(), "the job's binary is not kept");
    let cluster = Cluster { home };
    wait_for("the job's cluster to stop", Duration::from_secs(10), || cluster.processes().is_empty());

    let out = cluster.rill(&["run", "-t", "per-job", "-d", env!("CARGO_BIN_EXE_word_count")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("-t per-job runs attached"), "{}", text(&out.stderr));
}

#[test]
fn a_jobmanager_killed_and_started_again_runs_its_jobs_on_from_their_checkpoints() {
    let cluster = Cluster::start(1, 2);
    let dir = tempfile::tempdir().unwrap();
    let (n, keys) = (300_000i64, 7i64);
    let (out, checkpoints) = (dir.path().join("out"), dir.path().join("checkpoints"));
    let id = run_checkpointed(&cluster, n, &out, &checkpoints);
    wait_for("a completed checkpoint", Duration::from_secs(60), || {
        walk(&checkpoints).iter().any(|p| p.ends_with("_metadata"))
    });
    let pid = std::fs::read_to_string(cluster.home.path().join("pid/jobmanager.pid")).unwrap();
    assert!(Command::new("kill").args(["-KILL", pid.trim()]).status().unwrap().success());
    // Its job's processes stop with it; the TaskManager stays and waits for a JobManager.
    let pattern = format!("--coordinator .*{}", out.display());
    wait_for("the job's processes to stop", Duration::from_secs(10), || {
        Command::new("pgrep").args(["-f", &pattern]).output().unwrap().stdout.is_empty()
    });

    let again = cluster.rill(&["cluster", "start", "--rest-address", "127.0.0.1:0", "--rpc-address", "127.0.0.1:0"]);
    let said = text(&again.stdout);
    assert!(again.status.success(), "{said}{}", text(&again.stderr));
    assert!(said.contains("its 1 TaskManagers still run"), "{said}");
    let (rest, _) = cluster.addresses();
    wait_for("the recovered job to finish", Duration::from_secs(120), || state_of(&rest, &id) == "FINISHED");
    let jm = jobmanager_log(&cluster);
    assert!(jm.contains(&format!("job {id} recovered from checkpoint")), "{jm}");
    let listed = text(&cluster.rill(&["list", "-a"]).stdout);
    assert!(listed.contains(&format!("{id} : checkpointed_count (FINISHED)")), "{listed}");
    assert!(committed_lines(&out) == expected_lines(n, keys), "the output of a run without the kill, once");
}

#[test]
fn a_job_without_free_slots_waits_for_them_as_created_and_runs_when_they_free() {
    let cluster = Cluster::start_with(1, 2, &["--slot-request-timeout", "60s"]);
    let (rest, _) = cluster.addresses();
    // A streaming job takes both slots.
    let (streaming, _connection) = socket_word_count(&cluster);
    // The word count waits: CREATED, listed as scheduled.
    let out = cluster.rill(&["run", "-d", env!("CARGO_BIN_EXE_word_count")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let waiting = job_id(&text(&out.stdout));
    assert_eq!(state_of(&rest, &waiting), "CREATED");
    let scheduled = text(&cluster.rill(&["list", "-s"]).stdout);
    assert!(scheduled.contains(&format!("{waiting} : word_count (CREATED)")), "{scheduled}");
    // The slots free: it runs.
    assert!(cluster.rill(&["cancel", &streaming]).status.success());
    wait_for("the waiting job to run and finish", Duration::from_secs(30), || state_of(&rest, &waiting) == "FINISHED");
    // A waiting job can be cancelled.
    let out = cluster.rill(&["run", "-d", "-p", "3", env!("CARGO_BIN_EXE_word_count")]);
    let never = job_id(&text(&out.stdout));
    assert_eq!(state_of(&rest, &never), "CREATED");
    assert!(cluster.rill(&["cancel", &never]).status.success());
    assert_eq!(state_of(&rest, &never), "CANCELED");
}

#[test]
fn heartbeats_both_ways_find_a_silent_side_and_the_cluster_heals() {
    let cluster = Cluster::start_with(1, 1, &["--heartbeat-interval", "200ms", "--heartbeat-timeout", "2s"]);
    let (rest, _) = cluster.addresses();
    let taskmanagers = || http(&rest, "GET", "/taskmanagers", None, b"").1.matches("\"slotsNumber\"").count();
    assert_eq!(taskmanagers(), 1);
    let tm = std::fs::read_to_string(cluster.home.path().join("pid/taskmanager-1.pid")).unwrap().trim().to_owned();
    let jm = std::fs::read_to_string(cluster.home.path().join("pid/jobmanager.pid")).unwrap().trim().to_owned();
    // A TaskManager that hangs (stopped, not dead: its connection stays open) is lost after
    // the timeout; once it runs again it registers again.
    assert!(Command::new("kill").args(["-STOP", &tm]).status().unwrap().success());
    wait_for("the silent TaskManager to be lost", Duration::from_secs(10), || taskmanagers() == 0);
    assert!(jobmanager_log(&cluster).contains("no heartbeat for 2000 ms"), "{}", jobmanager_log(&cluster));
    assert!(Command::new("kill").args(["-CONT", &tm]).status().unwrap().success());
    wait_for("the TaskManager to register again", Duration::from_secs(10), || taskmanagers() == 1);
    // A JobManager that hangs is left by its TaskManager, which registers again when it wakes.
    assert!(Command::new("kill").args(["-STOP", &jm]).status().unwrap().success());
    let tm_log = cluster.home.path().join("log/taskmanager-1.log");
    wait_for("the TaskManager to notice", Duration::from_secs(10), || {
        std::fs::read_to_string(&tm_log).unwrap().contains("no heartbeat from the JobManager")
    });
    assert!(Command::new("kill").args(["-CONT", &jm]).status().unwrap().success());
    wait_for("the TaskManager to register again", Duration::from_secs(15), || taskmanagers() == 1);
    let out = cluster.rill(&["run", env!("CARGO_BIN_EXE_word_count")]);
    assert!(out.status.success(), "the healed cluster runs a job: {}", text(&out.stderr));
}

/// The addresses with a listening TCP socket (IPv4), from /proc/net/tcp.
fn listening() -> Vec<std::net::Ipv4Addr> {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (ip, _) = fields.get(1)?.split_once(':')?;
            (fields.get(3) == Some(&"0A")).then(|| u32::from_str_radix(ip, 16).ok())?
        })
        .map(|raw| std::net::Ipv4Addr::from(raw.to_le_bytes()))
        .collect()
}

#[test]
fn a_cluster_over_several_addresses_listens_where_it_says_and_serves_https() {
    let cluster = Cluster { home: tempfile::tempdir().unwrap() };
    let certs = tempfile::tempdir().unwrap();
    let (ca, chain, key) = certificates(certs.path());
    let foreground = |args: &[&str], log: &str| {
        let log = std::fs::File::create(cluster.home.path().join(log)).unwrap();
        Command::new(rill_bin())
            .args(args)
            .env("RILL_HOME", cluster.home.path())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap()
    };
    // What would put the token or the jobs on the network in the clear is refused, and says
    // what to do instead.
    let jobmanager = |more: &[&str]| {
        let mut args = vec!["jobmanager", "start-foreground"];
        args.extend(more);
        cluster.rill(&args)
    };
    let refused = jobmanager(&["--rest-address", "0.0.0.0:0", "--rpc-address", "127.0.0.1:0"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("give it --rest-tls-cert and --rest-tls-key"), "{}", text(&refused.stderr));
    let refused = jobmanager(&["--rest-address", "127.0.0.1:0", "--rpc-address", "0.0.0.0:0"]);
    assert!(text(&refused.stderr).contains("not encrypted") && text(&refused.stderr).contains("--insecure-bind"));
    let refused = jobmanager(&["--rest-address", "127.0.0.1:0", "--rpc-address", "0.0.0.0:0", "--insecure-bind"]);
    assert!(text(&refused.stderr).contains("pass --host IP"), "{}", text(&refused.stderr));
    let refused = jobmanager(&["--rest-tls-cert", chain.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2), "a certificate without its key is a usage error");

    // A JobManager whose jobs listen on 127.0.0.2 and serves HTTPS; TaskManagers on
    // 127.0.0.3 and 127.0.0.4, as if each were a machine of its own.
    let (chain_arg, key_arg) = (chain.to_str().unwrap(), key.to_str().unwrap());
    let mut children = vec![foreground(
        &[
            "jobmanager",
            "start-foreground",
            "--rest-address",
            "127.0.0.1:0",
            "--rpc-address",
            "127.0.0.2:0",
            "--rest-tls-cert",
            chain_arg,
            "--rest-tls-key",
            key_arg,
        ],
        "jm.log",
    )];
    wait_for("the JobManager", Duration::from_secs(20), || cluster.home.path().join("jobmanager.addr").exists());
    let (rest, rpc) = cluster.addresses();
    assert!(rpc.starts_with("127.0.0.2:"), "{rpc}");
    for (name, host) in [("tm-a", "127.0.0.3"), ("tm-b", "127.0.0.4")] {
        let args =
            ["taskmanager", "start-foreground", "--jobmanager", &rpc, "--slots", "1", "--name", name, "--host", host];
        children.push(foreground(&args, &format!("{name}.log")));
    }
    wait_for("both TaskManagers", Duration::from_secs(20), || {
        text(&cluster.rill(&["list"]).stderr).is_empty()
            && std::fs::read_to_string(cluster.home.path().join("jm.log")).unwrap().matches("registered").count() >= 2
    });

    // The word count over a socket, one process on each TaskManager: the coordinator
    // listens on the JobManager's host, each worker on its TaskManager's, and the words
    // cross between them.
    let (id, mut typed) = socket_word_count(&cluster);
    let hosts: [std::net::Ipv4Addr; 3] =
        ["127.0.0.2".parse().unwrap(), "127.0.0.3".parse().unwrap(), "127.0.0.4".parse().unwrap()];
    wait_for("the job's listeners on each host", Duration::from_secs(20), || {
        hosts.iter().all(|h| listening().contains(h))
    });
    typed.write_all(b"to,be,or,not,to,be\nto,be\n").unwrap();
    drop(typed);
    wait_for("the job to finish", Duration::from_secs(30), || {
        text(&cluster.rill(&["list", "-a"]).stdout).contains(&format!("{id} : socket_word_count (FINISHED)"))
    });
    let logs = text(&cluster.rill(&["logs", &id]).stdout);
    let counts = final_counts(&logs);
    assert_eq!(counts, BTreeMap::from([("be".into(), 3), ("not".into(), 1), ("or".into(), 1), ("to".into(), 3)]));

    // HTTPS only: a plain HTTP request gets no HTTP answer, and the server serves on.
    assert_eq!(http(&rest, "GET", "/overview", None, b"").0, 0, "no answer in the clear");
    // A client of another home trusts the cluster's CA only when told to.
    let other = tempfile::tempdir().unwrap();
    let list = |ca: Option<&Path>| {
        let mut command = Command::new(rill_bin());
        command.args(["list", "-a", "-m", &format!("https://{rest}")]).env("RILL_HOME", other.path());
        if let Some(ca) = ca {
            command.env("RILL_REST_CA", ca);
        }
        command.output().unwrap()
    };
    let untrusted = list(None);
    assert_eq!(untrusted.status.code(), Some(1));
    assert!(text(&untrusted.stderr).contains("invalid peer certificate"), "{}", text(&untrusted.stderr));
    let trusted = list(Some(&ca));
    assert!(
        text(&trusted.stdout).contains(&format!("{id} : socket_word_count (FINISHED)")),
        "{}",
        text(&trusted.stderr)
    );
}

#[test]
fn application_mode_runs_the_job_binary_as_a_jobmanager_of_its_own_that_stops_with_the_job() {
    rill_bin(); // Beside the job binaries, where --application finds it.
    let cluster = Cluster { home: tempfile::tempdir().unwrap() };
    let word_count = env!("CARGO_BIN_EXE_word_count");
    let application = |home: &Path, binary: &str, more: &[&str]| {
        let mut command = Command::new(binary);
        command.args(["--application", "--rest-address", "127.0.0.1:0", "--rpc-address", "127.0.0.1:0"]);
        command.args(more).env("RILL_HOME", home);
        command
    };
    // With TaskManagers of its own: the job runs over both, and everything stops with it.
    let out = application(cluster.home.path(), word_count, &["--taskmanagers", "2", "--slots", "1", "-p", "2"])
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let id = job_id(&stdout);
    let mut printed = String::new();
    for tm in ["taskmanager-1", "taskmanager-2"] {
        let out = std::fs::read_to_string(cluster.home.path().join(format!("log/{tm}.out"))).unwrap();
        assert!(!out.is_empty(), "both TaskManagers ran a share of the job");
        printed.push_str(&out);
    }
    let alone = Command::new(word_count).args(["-p", "2"]).output().unwrap();
    assert_eq!(final_counts(&printed), final_counts(&text(&alone.stdout)));
    let jm = text(&out.stderr);
    assert!(jm.contains(&format!("job {id} (word_count) FINISHED")) && jm.contains("stopping"), "{jm}");
    // Its log lines carry their level and module (tracing), and RUST_LOG chooses them.
    assert!(jm.contains(&format!(" INFO rill_cli::cluster::jobs: job {id} (word_count) FINISHED")), "{jm}");
    assert!(cluster.processes().is_empty(), "no process of the application is left");

    // A job that fails: the JobManager's exit code says so.
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port().to_string();
    drop(server);
    let socket = env!("CARGO_BIN_EXE_socket_word_count");
    let out = application(cluster.home.path(), socket, &["--taskmanagers", "1", "--", "--port", &port])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let jm = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{jm}");
    // The failure is the one the job's coordinator reported (not only its exit status).
    assert!(
        jm.contains(" WARN ") && jm.contains("(socket_word_count) FAILED: job 'socket_word_count' failed: "),
        "{jm}"
    );
    assert!(!jm.contains(" INFO "), "RUST_LOG=warn leaves out what is not a warning: {jm}");

    // Without TaskManagers of its own it waits for one to join, as a container would.
    let home = tempfile::tempdir().unwrap();
    let cluster = Cluster { home };
    let mut jm =
        application(cluster.home.path(), word_count, &[]).stdout(std::process::Stdio::piped()).spawn().unwrap();
    wait_for("the JobManager", Duration::from_secs(20), || cluster.home.path().join("jobmanager.addr").exists());
    let (rest, rpc) = cluster.addresses();
    wait_for("the job", Duration::from_secs(20), || {
        http(&rest, "GET", "/jobs/overview", None, b"").1.contains("CREATED")
    });
    let mut tm = Command::new(rill_bin())
        .args(["taskmanager", "start-foreground", "--jobmanager", &rpc, "--slots", "1"])
        .env("RILL_HOME", cluster.home.path())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status = jm.wait().unwrap();
    let _ = tm.kill();
    let _ = tm.wait();
    assert!(status.success(), "the job ran on the TaskManager that joined");
    let printed = std::fs::read_to_string(cluster.home.path().join("log/taskmanager.out")).unwrap();
    let alone = Command::new(word_count).args(["-p", "1"]).output().unwrap();
    assert_eq!(final_counts(&printed), final_counts(&text(&alone.stdout)));

    // Flags of the JobManager without --application, or with what does not go with it.
    let out = Command::new(word_count).args(["--taskmanagers", "2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--taskmanagers goes with --application"), "{}", text(&out.stderr));
    let out = Command::new(word_count).args(["--application", "--processes", "2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(word_count).args(["--application"]).env("RILL_CLI", "/nonexistent/rill").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("set RILL_CLI"), "{}", text(&out.stderr));
}

#[test]
fn a_taskmanager_whose_disk_is_full_fails_the_job_that_needed_it_and_runs_the_next() {
    let cluster = Cluster::start(1, 1);
    let (rest, _) = cluster.addresses();
    // The TaskManager's next write of the word count's binary lands on /dev/full: the
    // system's own "No space left on device".
    let word_count = env!("CARGO_BIN_EXE_word_count");
    let sha = text(&Command::new("sha256sum").arg(word_count).output().unwrap().stdout);
    let sha = sha.split_whitespace().next().unwrap();
    assert_eq!(sha.len(), 64, "{sha}");
    let dir = cluster.home.path().join("taskmanagers/taskmanager-1");
    std::os::unix::fs::symlink("/dev/full", dir.join(format!("{sha}.part"))).unwrap();
    let out = cluster.rill(&["run", word_count]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let id = job_id(&text(&out.stdout));
    assert_eq!(state_of(&rest, &id), "FAILED");
    let tm_log = std::fs::read_to_string(cluster.home.path().join("log/taskmanager-1.log")).unwrap();
    assert!(tm_log.contains("No space left on device"), "the cause is named: {tm_log}");
    let (_, exceptions) = http(&rest, "GET", &format!("/jobs/{id}/exceptions"), None, b"");
    assert!(exceptions.contains("could not be started on this TaskManager"), "{exceptions}");
    // The TaskManager stays, and the same binary runs once there is room again.
    let out = cluster.rill(&["run", word_count]);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(dir.join(sha).exists());
}

#[test]
fn a_running_jobs_task_metrics_reach_the_rest_api_and_prometheus() {
    let cluster = Cluster::start(2, 1);
    let (rest, _) = cluster.addresses();
    let (id, mut typed) = socket_word_count(&cluster);
    for _ in 0..1000 {
        typed.write_all(b"to,be,or\n").unwrap();
    }
    typed.flush().unwrap();
    // The job's details carry each vertex's records, as Flink's do; the aggregation's two
    // subtasks, on two TaskManagers, took every word.
    let job = || -> serde_json::Value {
        serde_json::from_str(&http(&rest, "GET", &format!("/jobs/{id}"), None, b"").1).unwrap()
    };
    let aggregation = |job: &serde_json::Value| {
        job["vertices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"].as_str().unwrap().contains("Keyed Aggregation"))
            .cloned()
            .unwrap()
    };
    wait_for("the words to be counted in", Duration::from_secs(30), || {
        aggregation(&job())["metrics"]["read-records"] == 3000
    });
    let vertex = aggregation(&job())["id"].as_u64().unwrap();
    let source = job()["vertices"][0].clone();
    assert_eq!(source["metrics"]["write-records"], 1000, "{source}");

    let get = |path: &str| -> (u16, serde_json::Value) {
        let (status, body) = http(&rest, "GET", &format!("/jobs/{id}/vertices/{vertex}{path}"), None, b"");
        (status, serde_json::from_str(&body).unwrap_or(serde_json::Value::Null))
    };
    let (status, values) = get("/metrics?get=0.numRecordsIn,1.numRecordsIn");
    assert_eq!(status, 200);
    let total: u64 =
        values.as_array().unwrap().iter().map(|m| m["value"].as_str().unwrap().parse::<u64>().unwrap()).sum();
    assert_eq!(total, 3000, "{values}");
    let (_, listed) = get("/metrics");
    assert!(listed.as_array().unwrap().iter().any(|m| m["id"] == "1.busyTimeMsPerSecond"), "{listed}");
    let (status, pressure) = get("/backpressure");
    assert_eq!(status, 200);
    assert_eq!(pressure["subtasks"].as_array().unwrap().len(), 2, "{pressure}");
    assert!(["ok", "low", "high"].contains(&pressure["backpressureLevel"].as_str().unwrap()), "{pressure}");
    let (_, watermarks) = get("/watermarks");
    assert_eq!(watermarks.as_array().unwrap().len(), 2, "{watermarks}");
    let (status, _) = http(&rest, "GET", &format!("/jobs/{id}/vertices/77/backpressure"), None, b"");
    assert_eq!(status, 404);
    let (_, uptime) = http(&rest, "GET", &format!("/jobs/{id}/metrics?get=uptime"), None, b"");
    assert!(uptime.contains("\"id\":\"uptime\""), "{uptime}");

    // Prometheus scrapes the cluster: Flink's names, with the job and TaskManager.
    let (status, scraped) = http(&rest, "GET", "/metrics", None, b"");
    assert_eq!(status, 200);
    let counted: u64 = scraped
        .lines()
        .filter(|l| l.starts_with("flink_taskmanager_job_task_numRecordsIn{") && l.contains("Keyed Aggregation"))
        .inspect(|l| assert!(l.contains(&format!("job_id=\"{id}\"")) && l.contains("tm_id=\"taskmanager-"), "{l}"))
        .map(|l| l.rsplit_once(' ').unwrap().1.parse::<u64>().unwrap())
        .sum();
    assert_eq!(counted, 3000, "{scraped}");
    assert!(scraped.contains("flink_jobmanager_numRegisteredTaskManagers 2"), "{scraped}");
    assert!(scraped.contains("flink_jobmanager_numRunningJobs 1"), "{scraped}");
    drop(typed);
    wait_for("the socket job to finish", Duration::from_secs(20), || state_of(&rest, &id) == "FINISHED");

    // The job's own counters and gauges (user metrics, a Kafka source's lag) come with its
    // workers' heartbeats and are scraped with the job's and TaskManager's labels.
    let interval = "execution.checkpointing.interval=200ms";
    let out = cluster.rill(&["run", "-d", "-D", interval, env!("CARGO_BIN_EXE_slow_sink")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let slow = job_id(&text(&out.stdout));
    // Flink's job-scope checkpoint metrics, from the job's coordinator with its heartbeats.
    let completed =
        format!("flink_jobmanager_job_numberOfCompletedCheckpoints{{job_id=\"{slow}\",job_name=\"slow_sink\"}} ");
    let mut scraped = String::new();
    wait_for("the checkpoint metrics", Duration::from_secs(20), || {
        scraped = http(&rest, "GET", "/metrics", None, b"").1;
        let count = scraped.lines().find_map(|l| l.strip_prefix(&completed)).and_then(|v| v.parse::<u64>().ok());
        count.is_some_and(|c| c >= 1)
    });
    let size = scraped.lines().find(|l| l.starts_with("flink_jobmanager_job_lastCheckpointSize{")).expect(&scraped);
    assert!(size.contains(&slow) && !size.ends_with(" 0"), "{size}");
    let (_, figures) = http(&rest, "GET", &format!("/jobs/{slow}/metrics?get=numberOfCompletedCheckpoints"), None, b"");
    let figures: serde_json::Value = serde_json::from_str(&figures).unwrap();
    assert!(figures[0]["value"].as_str().unwrap().parse::<u64>().unwrap() >= 1, "{figures}");

    let written =
        format!("rill_slow_sink_records_written{{job_id=\"{slow}\",job_name=\"slow_sink\",tm_id=\"taskmanager-");
    wait_for("the job's own counter", Duration::from_secs(20), || {
        let scraped = http(&rest, "GET", "/metrics", None, b"").1;
        scraped.lines().find(|l| l.starts_with(&written)).is_some_and(|l| !l.ends_with(" 0"))
    });
    assert!(cluster.rill(&["cancel", &slow]).status.success());
    wait_for("the slow job to end", Duration::from_secs(20), || state_of(&rest, &slow) == "CANCELED");

    // Attached, `rill run` shows the job's progress while it runs (here a sink slow enough
    // to take a few seconds).
    let out = cluster.rill(&[
        "run",
        "-p",
        "2",
        env!("CARGO_BIN_EXE_slow_sink"),
        "--",
        "--records",
        "40000",
        "--sink-delay-us",
        "150",
    ]);
    let progress = text(&out.stderr);
    assert!(out.status.success(), "{progress}");
    let line = progress.lines().find(|l| l.starts_with("RUNNING · ")).expect(&progress);
    assert!(line.contains(" records/s") && line.contains(" records from the sources"), "{line}");
    // Its source is a bounded sequence: how much of it is read shows too.
    let read = line.rsplit_once(" · ").unwrap().1;
    let percent: f64 = read.strip_suffix(" % of the input read").expect(line).parse().unwrap();
    assert!((0.0..=100.0).contains(&percent), "{line}");
}

/// Submits the socket word count, detached, at parallelism 2, reading from a server of the
/// test's own; its job id, and the connection the job made to that server.
fn socket_word_count(cluster: &Cluster) -> (String, TcpStream) {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port().to_string();
    let out = cluster.rill(&["run", "-d", "-p", "2", env!("CARGO_BIN_EXE_socket_word_count"), "--", "--port", &port]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let id = job_id(&text(&out.stdout));
    let (connection, _) = server.accept().unwrap();
    (id, connection)
}
