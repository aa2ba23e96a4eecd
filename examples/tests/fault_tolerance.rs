//! Checkpoints as a user meets them: a job binary killed with SIGKILL and started again from
//! its last retained checkpoint, at another parallelism, writes every line exactly once.

mod common;

use common::{committed_lines, expected_lines};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const CHECKPOINTED_COUNT: &str = env!("CARGO_BIN_EXE_checkpointed_count");
const WORD_COUNT: &str = env!("CARGO_BIN_EXE_word_count");

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Waits up to 20 s for a checkpoint to complete under `dir` (the caller checks that one did).
fn wait_for_a_checkpoint(dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while newest_checkpoint(dir).is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The newest completed checkpoint (`chk-<n>` with `_metadata`) under `dir`.
fn newest_checkpoint(dir: &Path) -> Option<PathBuf> {
    let mut found: Vec<(u64, PathBuf)> = Vec::new();
    for job in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        for chk in std::fs::read_dir(job.path()).into_iter().flatten().flatten() {
            let n = chk.file_name().to_string_lossy().strip_prefix("chk-").and_then(|n| n.parse().ok());
            if let (Some(n), true) = (n, chk.path().join("_metadata").is_file()) {
                found.push((n, chk.path()));
            }
        }
    }
    found.into_iter().max().map(|(_, p)| p)
}

#[test]
fn a_killed_job_resumes_from_its_last_checkpoint_at_another_parallelism_with_exactly_once_output() {
    let (n, keys) = (400_000i64, 7i64);
    let dir = tempfile::tempdir().unwrap();
    let (checkpoints, out) = (dir.path().join("checkpoints"), dir.path().join("out"));
    let job_args = ["--", "--n", &n.to_string(), "--out", out.to_str().unwrap(), "--pause-every", "200"];
    let flags = ["--checkpoint-interval", "50ms", "--checkpoint-dir", checkpoints.to_str().unwrap()];

    let mut job = Command::new(CHECKPOINTED_COUNT)
        .args(["-p", "2"])
        .args(flags)
        .args(job_args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_a_checkpoint(&checkpoints);
    std::thread::sleep(Duration::from_millis(120));
    job.kill().unwrap(); // SIGKILL: no clean-up of any kind
    let killed = job.wait_with_output().unwrap();
    assert!(!killed.status.success(), "the job was killed before its end: {}", stderr(&killed));
    let checkpoint = newest_checkpoint(&checkpoints).expect("a checkpoint completed before the kill");

    let resumed = Command::new(CHECKPOINTED_COUNT)
        .args(["-p", "3"])
        .args(flags)
        .args(["--from-savepoint", checkpoint.to_str().unwrap()])
        .args(job_args)
        .output()
        .unwrap();
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let restored = format!(
        "job 'checkpointed_count' restored checkpoint {}",
        &checkpoint.file_name().unwrap().to_string_lossy()[4..]
    );
    assert!(stderr(&resumed).contains(&restored), "the restore is reported with its time: {}", stderr(&resumed));

    let want = expected_lines(n, keys);
    let got = committed_lines(&out);
    assert_eq!(got.len(), want.len(), "every line once");
    assert!(got == want, "the lines of a run without the kill");
}

#[test]
fn state_of_operators_the_job_does_not_have_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let (checkpoints, out) = (dir.path().join("checkpoints"), dir.path().join("out"));
    // A run killed after a checkpoint (a finished run leaves none: they are discarded).
    let mut running = Command::new(CHECKPOINTED_COUNT)
        .args(["-p", "1", "--checkpoint-interval", "20ms", "--checkpoint-dir", checkpoints.to_str().unwrap()])
        .args(["--", "--n", "1000000", "--out", out.to_str().unwrap(), "--pause-every", "100"])
        .spawn()
        .unwrap();
    wait_for_a_checkpoint(&checkpoints);
    running.kill().unwrap();
    running.wait().unwrap();
    let checkpoint = newest_checkpoint(&checkpoints).expect("a retained checkpoint");

    // The word count has no operator 'from-sequence-0' or 'sink-to-3': Flink's refusal.
    let refused = Command::new(WORD_COUNT).args(["--from-savepoint", checkpoint.to_str().unwrap()]).output().unwrap();
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let err = stderr(&refused);
    assert!(err.contains("Cannot map checkpoint/savepoint state for operator"), "{err}");
    assert!(err.contains("--allow-non-restored-state"), "{err}");

    // Allowed, the state left over is skipped; 'sum-2' is there in both, with other types:
    // an error that says so, not a panic or a wrong count.
    let allowed = Command::new(WORD_COUNT)
        .args(["--from-savepoint", checkpoint.to_str().unwrap(), "--allow-non-restored-state"])
        .output()
        .unwrap();
    let err = stderr(&allowed);
    assert_eq!(allowed.status.code(), Some(1), "{err}");
    assert!(err.contains("the state of operator 'sum-2' in the checkpoint does not restore"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    // A path that holds no savepoint, and the flag alone: errors that say what to give.
    let missing = Command::new(WORD_COUNT).args(["--from-savepoint", dir.path().to_str().unwrap()]).output().unwrap();
    assert_eq!(missing.status.code(), Some(1), "{}", stderr(&missing));
    assert!(stderr(&missing).contains("give a savepoint's or a chk-<n> directory"), "{}", stderr(&missing));
    let alone = Command::new(WORD_COUNT).arg("--allow-non-restored-state").output().unwrap();
    assert_eq!(alone.status.code(), Some(2), "{}", stderr(&alone));
}

/// How a test stops a job.
#[derive(Clone, Copy)]
enum Stop {
    /// SIGTERM to the job's process.
    Sigterm,
    /// Ctrl-C in its terminal: SIGINT to its whole process group.
    CtrlC,
}

/// Runs the job at parallelism 2 (with `split` added to its flags) for `run_for`, stops
/// it (`stop`) with `--savepoint-on-stop`, and resumes it in one process from the
/// savepoint: its committed lines are those of a run without the stop, each once.
fn stop_with_savepoint_then_resume(split: &[&str], run_for: Duration, stop: Stop) {
    let (n, keys) = (300_000i64, 7i64);
    let dir = tempfile::tempdir().unwrap();
    let (savepoints, out) = (dir.path().join("savepoints"), dir.path().join("out"));
    let job_args = ["--", "--n", &n.to_string(), "--out", out.to_str().unwrap(), "--pause-every", "200"];
    let job = Command::new(CHECKPOINTED_COUNT)
        .args(["-p", "2"])
        .args(split)
        .args(["--savepoint-on-stop", savepoints.to_str().unwrap()])
        .args(job_args)
        .stderr(Stdio::piped())
        // As a shell starts a foreground job: a process group of its own.
        .process_group(0)
        .spawn()
        .unwrap();
    std::thread::sleep(run_for);
    let signal = match stop {
        Stop::Sigterm => ["-TERM".to_owned(), job.id().to_string()],
        Stop::CtrlC => ["-INT".to_owned(), format!("-{}", job.id())],
    };
    assert!(Command::new("kill").arg(&signal[0]).arg("--").arg(&signal[1]).status().unwrap().success());
    let stopped = job.wait_with_output().unwrap();
    let err = stderr(&stopped);
    assert_eq!(stopped.status.code(), Some(0), "a stop with a savepoint ends well: {err}");
    let path = err
        .lines()
        .find_map(|l| l.split_once("stopped with a savepoint: ").map(|(_, p)| PathBuf::from(p)))
        .unwrap_or_else(|| panic!("the savepoint's path is reported: {err}"));
    assert!(path.join("_metadata").is_file(), "{}", path.display());
    let first = committed_lines(&out).len();
    assert!(first > 0 && (first as i64) < n, "stopped midway, its lines committed: {first}");

    // Resumed in one process: the savepoint does not depend on how the job was split.
    let resumed = Command::new(CHECKPOINTED_COUNT)
        .args(["-p", "2", "--from-savepoint", path.to_str().unwrap()])
        .args(job_args)
        .output()
        .unwrap();
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let want = expected_lines(n, keys);
    let got = committed_lines(&out);
    assert_eq!(got.len(), want.len(), "every line once: nothing is replayed after a stop");
    assert!(got == want, "the lines of a run without the stop");
}

#[test]
fn sigterm_with_savepoint_on_stop_stops_the_job_and_it_resumes_where_it_stopped() {
    stop_with_savepoint_then_resume(&[], Duration::from_millis(400), Stop::Sigterm);

    // Without --savepoint-on-stop, --drain is a usage error.
    let out = Command::new(CHECKPOINTED_COUNT).arg("--drain").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--drain goes with --savepoint-on-stop DIR"), "{}", stderr(&out));
}

#[test]
fn a_worker_killed_under_processes_restarts_the_job_from_its_checkpoint_with_exactly_once_output() {
    let (n, keys) = (300_000i64, 7i64);
    let dir = tempfile::tempdir().unwrap();
    let (checkpoints, out) = (dir.path().join("checkpoints"), dir.path().join("out"));
    let job = Command::new(CHECKPOINTED_COUNT)
        .args(["-p", "2", "--processes", "2", "--checkpoint-interval", "50ms"])
        .args(["--checkpoint-dir", checkpoints.to_str().unwrap()])
        .args(["--", "--n", &n.to_string(), "--out", out.to_str().unwrap(), "--pause-every", "200"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_a_checkpoint(&checkpoints);
    assert!(newest_checkpoint(&checkpoints).is_some(), "a checkpoint completed over two processes");
    // SIGKILL to worker 1, found by its arguments (unique to this test's output directory).
    let pattern = format!("worker 1 --coordinator .*{}", out.display());
    let pid = Command::new("pgrep").args(["-f", &pattern]).output().unwrap();
    let pid = String::from_utf8_lossy(&pid.stdout).lines().next().expect("worker 1 runs").to_owned();
    assert!(Command::new("kill").args(["-KILL", &pid]).status().unwrap().success());

    let ended = job.wait_with_output().unwrap();
    let err = stderr(&ended);
    assert!(ended.status.success(), "the job restarts and ends: {err}");
    assert!(err.contains("worker process 1"), "the failure names the worker: {err}");
    assert!(err.contains("restarting its processes") && err.contains("from checkpoint"), "{err}");
    // It finished: the coordinator discarded its checkpoints.
    assert_eq!(newest_checkpoint(&checkpoints), None, "a finished job leaves no checkpoints");

    let want = expected_lines(n, keys);
    let got = committed_lines(&out);
    assert_eq!(got.len(), want.len(), "every line once");
    assert!(got == want, "the lines of a run without the kill");
}

#[test]
fn sigterm_with_savepoint_on_stop_over_processes_and_resume() {
    stop_with_savepoint_then_resume(&["--processes", "2"], Duration::from_millis(800), Stop::Sigterm);
}

#[test]
fn ctrl_c_with_savepoint_on_stop_stops_with_a_savepoint_in_one_process_and_over_processes() {
    stop_with_savepoint_then_resume(&[], Duration::from_millis(400), Stop::CtrlC);
    // The workers are not in the terminal's process group: the coordinator alone takes the
    // Ctrl-C and stops them with the savepoint (they used to cancel on their own).
    stop_with_savepoint_then_resume(&["--processes", "2"], Duration::from_millis(800), Stop::CtrlC);
}
