//! The example job binaries, run as a user runs them.

use rill_cli::plan::{self, Format};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::ffi::OsStrExt;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn run(bin: &str, args: &[&str]) -> Output {
    Command::new(bin).args(args).output().expect("job binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn snapshot(name: &str, value: &str) {
    insta::with_settings!({ snapshot_path => "../../snapshots/snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!(name, value);
    });
}

const WORD_COUNT: &str = env!("CARGO_BIN_EXE_word_count");

#[test]
fn word_count_prints_flinks_running_counts() {
    let out = run(WORD_COUNT, &["-p", "2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    // Per key, the updates arrive in order; across keys the subtasks interleave: sort.
    let mut lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 10);
    for word in ["hello", "flink", "is", "great"] {
        let counts: Vec<u32> = lines
            .iter()
            .filter_map(|l| l.split_once("> (").map(|(_, rest)| rest))
            .filter_map(|r| r.strip_suffix(')')?.split_once(','))
            .filter(|(w, _)| *w == word)
            .map(|(_, n)| n.parse().unwrap())
            .collect();
        let want: Vec<u32> = match word {
            "hello" => vec![1, 2, 3],
            "flink" => vec![1, 2, 3, 4, 5],
            _ => vec![1],
        };
        assert_eq!(counts, want, "{word}");
    }
    lines.sort();
    snapshot("output__word_count_p2", &lines.join("\n"));
}

#[test]
fn word_count_at_parallelism_one_prints_without_subtask_prefixes() {
    let out = run(WORD_COUNT, &["-p", "1"]);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        "(hello,1)\n(flink,1)\n(flink,2)\n(is,1)\n(great,1)\n(hello,2)\n(hello,3)\n(flink,3)\n(flink,4)\n(flink,5)\n"
    );
}

#[test]
fn plans_are_embedded_and_drawn() {
    for (job, bin) in [
        ("word_count", WORD_COUNT),
        ("socket_word_count", env!("CARGO_BIN_EXE_socket_word_count")),
        ("window_word_count", env!("CARGO_BIN_EXE_window_word_count")),
        ("metrics_window", env!("CARGO_BIN_EXE_metrics_window")),
    ] {
        let out = run(bin, &["--plan", "-p", "2"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let json = stdout(&out);
        let plan = plan::parse(&json).expect("valid plan JSON");
        assert_eq!(plan.job, job);
        assert_eq!(plan.default_parallelism, 2);
        snapshot(&format!("plan__{job}"), &plan::render(&plan, Format::Json));
        snapshot(&format!("mermaid__{job}"), &plan::render(&plan, Format::Mermaid));
    }
    // Operators with state and no uid of their own are named: savepoints match them by place.
    let err = stderr(&run(WORD_COUNT, &["--plan"]));
    assert!(err.contains("warning: operators with state and no uid: from-elements-0, sum-2;"), "{err}");
    let err = stderr(&run(env!("CARGO_BIN_EXE_checkpointed_count"), &["--plan"]));
    assert!(err.contains("from-sequence-0, sum-2, sink-to-3;"), "{err}");
}

#[test]
fn bad_arguments_get_usage_and_exit_code_2() {
    for args in [&["--frobnicate"][..], &["-p", "zero"], &["-p", "0"], &["-p"]] {
        let out = run(WORD_COUNT, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.contains("try '--help'"), "{err}");
    }
    // An unknown flag: clap's usage line and its tip, that a job parameter goes after --.
    let err = stderr(&run(WORD_COUNT, &["--port", "9"]));
    assert!(err.contains("Usage: word_count [OPTIONS] [-- <JOB PARAMETERS>...]"), "{err}");
    assert!(err.contains("use '-- --port'"), "{err}");
    // An argument that is not UTF-8 is a usage error too, not a panic.
    let out = Command::new(WORD_COUNT).arg("--").arg(std::ffi::OsStr::from_bytes(b"--port=\xff")).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("is not valid UTF-8"), "{}", stderr(&out));
    // Flink's limits: at most 32768 subtasks; no more processes than subtasks to run.
    let out = run(WORD_COUNT, &["-p", "40000"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("40000 is above the most there can be, 32768"), "{}", stderr(&out));
    let out = run(WORD_COUNT, &["-p", "2", "--processes", "3"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--processes 3 is more than the job's parallelism 2"), "{}", stderr(&out));
    // Past 85 subtasks, key groups grow with the parallelism as Flink's do.
    let plan = plan::parse(&stdout(&run(WORD_COUNT, &["--plan", "-p", "200"]))).unwrap();
    assert!(plan.chains.iter().any(|c| c.parallelism == 200 && c.max_parallelism == 512), "{plan:?}");
    // A parameter the job rejects, and a benchmark size below 1: usage errors, not panics.
    let out = run(env!("CARGO_BIN_EXE_window_word_count"), &["--", "--window-ms", "0"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--window-ms must be at least 1"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    let out = run(env!("CARGO_BIN_EXE_bench"), &["keyed-sum", "-5"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("N must be a whole number of at least 1, not '-5'"), "{}", stderr(&out));
    // A parameter the job never reads: a misspelling is named with the one it meant.
    let out = run(env!("CARGO_BIN_EXE_socket_word_count"), &["--", "--prot", "9999"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("the job has no parameter --prot (did you mean --port?)"), "{}", stderr(&out));
    let out = run(WORD_COUNT, &["--", "--port", "9999"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("the job has no parameter --port (it reads none)"), "{}", stderr(&out));
    // Flags take their values after '=' too; --version says which job and which Rill.
    let out = run(WORD_COUNT, &["--processes=2", "--parallelism=2"]);
    assert!(out.status.success() && stdout(&out).lines().count() == 10, "{}", stderr(&out));
    assert_eq!(
        stdout(&run(WORD_COUNT, &["--version"])).trim(),
        format!("word_count (Rill {})", env!("CARGO_PKG_VERSION"))
    );
    // Flink's configuration keys: ./rill.toml, then -D, then the flags, the later winning.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rill.toml"), "[parallelism]\ndefault = 1\n").unwrap();
    let in_dir = |args: &[&str]| Command::new(WORD_COUNT).args(args).current_dir(dir.path()).output().unwrap();
    let alone = in_dir(&[]);
    assert!(stdout(&alone).lines().all(|l| l.starts_with('(')), "p=1 prints no subtask: {}", stdout(&alone));
    assert!(stdout(&in_dir(&["-D", "parallelism.default=2"])).lines().any(|l| l.contains("> (")));
    assert!(stdout(&in_dir(&["-Dparallelism.default=2", "-p", "1"])).lines().all(|l| l.starts_with('(')));
    std::fs::write(dir.path().join("rill.toml"), "parallelism = 1\n").unwrap();
    let bad = in_dir(&[]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("rill.toml: unknown configuration key 'parallelism'"), "{}", stderr(&bad));
    // --help lists the job's own parameters, as the job function reads them.
    let help = stdout(&run(env!("CARGO_BIN_EXE_slow_sink"), &["--help"]));
    assert!(help.contains("Job parameters (after --; any other is an error):"), "{help}");
    assert!(help.contains("\n  --records VALUE\n  --sink-delay-us VALUE"), "{help}");
    assert!(stdout(&run(WORD_COUNT, &["--help"])).contains("The job reads no parameters of its own."));
    // A job parameter the job cannot parse: a usage error before anything starts.
    let out = run(SOCKET_WORD_COUNT, &["--processes", "2", "--", "--port", "ninety"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("job parameter --port: cannot parse 'ninety'"), "{}", stderr(&out));
    let help = run(WORD_COUNT, &["--help"]);
    assert!(help.status.success());
    assert!(stdout(&help).contains("--plan"));
}

/// Every workload of the `bench` binary: hand-tuned, then as a user writes them.
const BENCH_WORKLOADS: [&str; 10] = [
    "stateless",
    "keyed-sum",
    "wordcount",
    "window-alert",
    "sliding-alert",
    "json-alert",
    "keyed-sum-written",
    "wordcount-written",
    "window-alert-written",
    "json-alert-written",
];

const SOCKET_WORD_COUNT: &str = env!("CARGO_BIN_EXE_socket_word_count");

/// Starts `socket_word_count` with `args` against a server of the test's own; returns the
/// job, the connection it made, and the server's port.
fn socket_job(args: &[&str]) -> (std::process::Child, std::net::TcpStream, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let job = Command::new(SOCKET_WORD_COUNT)
        .args(args)
        .args(["--", "--host", "127.0.0.1", "--port", &port])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (conn, _) = listener.accept().unwrap();
    (job, conn, port)
}

/// How many workers of a `socket_word_count` reading from `port` are running.
fn workers_of(port: &str) -> usize {
    let out = Command::new("pgrep").args(["-f", &format!("worker [0-9]+ .*--port {port}")]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().count()
}

#[test]
fn socket_word_count_counts_comma_separated_words_until_the_socket_closes() {
    let (job, mut conn, _) = socket_job(&["-p", "1"]);
    conn.write_all(b"to,be, or,not\nto , be\n").unwrap();
    drop(conn);
    let out = job.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "(to,1)\n(be,1)\n(or,1)\n(not,1)\n(to,2)\n(be,2)\n");
}

#[test]
fn socket_word_count_is_cancelled_cleanly_by_sigterm() {
    let (mut job, mut conn, _) = socket_job(&["-p", "1"]);
    conn.write_all(b"alpha\n").unwrap();
    // The record is processed and printed while the socket stays open.
    let mut first = String::new();
    BufReader::new(job.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert_eq!(first, "(alpha,1)\n");
    let status = Command::new("kill").args(["-TERM", &job.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = job.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143));
    assert!(stderr(&out).contains("job 'socket_word_count' cancelled (SIGTERM)"), "{}", stderr(&out));
    drop(conn);
}

#[test]
fn socket_word_count_without_a_server_fails_with_what_to_do() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let out = run(SOCKET_WORD_COUNT, &["--", "--port", &port]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("job 'socket_word_count' failed"), "{err}");
    assert!(err.contains(&format!("nc -lk {port}")), "{err}");
}

#[test]
fn bench_workloads_plans_are_embedded_and_drawn() {
    for workload in BENCH_WORKLOADS {
        let out = run(env!("CARGO_BIN_EXE_bench"), &["--plan", workload, "2"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let plan = plan::parse(&stdout(&out)).expect("valid plan JSON");
        snapshot(&format!("mermaid__bench_{workload}"), &plan::render(&plan, Format::Mermaid));
    }
}

#[test]
fn bench_prints_a_result_line_comparable_with_flinks() {
    let bench = env!("CARGO_BIN_EXE_bench");
    for workload in BENCH_WORKLOADS {
        let out = run(bench, &[workload, "20000", "2", "100"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let line = stdout(&out);
        assert!(line.starts_with(&format!("RESULT rill {workload} n=20000 p=2 ms=")), "{line}");
        assert!(line.trim_end().split(" rate=").nth(1).unwrap().parse::<f64>().unwrap() > 0.0);
    }
    let out = run(bench, &["nonsense", "5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown workload 'nonsense'"));
    // With CHECKPOINT_MS: the checkpoints' costs, from their metadata.
    let out = run(bench, &["keyed-sum", "3000000", "1", "10000", "20"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let line = text.lines().find(|l| l.starts_with("CHECKPOINTS count=")).unwrap_or_else(|| panic!("{text}"));
    let count: u64 = line["CHECKPOINTS count=".len()..].split(' ').next().unwrap().parse().unwrap();
    assert!(count >= 1, "checkpoints were taken: {line}");
    assert!(line.contains(" pause_p99_ms=") && line.contains(" size_mb="), "{line}");
}

#[test]
fn window_word_count_prints_each_windows_counts_when_it_closes() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let job = Command::new(env!("CARGO_BIN_EXE_window_word_count"))
        .args(["-p", "1", "--", "--host", "127.0.0.1", "--port", &port, "--window-ms", "1000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut conn, _) = listener.accept().unwrap();
    // Windows are aligned to whole seconds: start just after one begins.
    let since_second = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_millis();
    std::thread::sleep(Duration::from_millis(u64::from(1100 - since_second.min(1000))));
    conn.write_all(b"to be or\nnot to be\n").unwrap();
    std::thread::sleep(Duration::from_millis(1600));
    conn.write_all(b"be\n").unwrap();
    // Processing-time windows fire on the clock, not at the end of input (as in Flink):
    // wait for the second window to close before closing the socket.
    std::thread::sleep(Duration::from_millis(1600));
    drop(conn);
    let out = job.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    let (first, second) = lines.split_at(lines.len() - 1);
    let mut first = first.to_vec();
    first.sort();
    assert_eq!(first, ["(be,2)", "(not,1)", "(or,1)", "(to,2)"], "{text}");
    assert_eq!(second, ["(be,1)"], "{text}");
}

/// The sorted lines a job printed.
fn sorted_lines(o: &Output) -> Vec<String> {
    let mut lines: Vec<String> = stdout(o).lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

#[test]
fn word_count_over_several_processes_prints_what_one_process_prints() {
    for (p, processes) in [("2", "2"), ("3", "2"), ("4", "3")] {
        let one = run(WORD_COUNT, &["-p", p]);
        let split = run(WORD_COUNT, &["-p", p, "--processes", processes]);
        assert!(split.status.success(), "{}", stderr(&split));
        assert_eq!(sorted_lines(&split), sorted_lines(&one), "-p {p} --processes {processes}");
        assert_eq!(sorted_lines(&split).len(), 10);
    }
}

#[test]
fn socket_word_count_over_two_processes_counts_what_the_socket_sends() {
    let (job, mut conn, _) = socket_job(&["-p", "2", "--processes", "2"]);
    conn.write_all(b"to,be, or,not\nto , be\n").unwrap();
    drop(conn);
    let out = job.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // The source runs in worker 0; the counts of half the keys are made in worker 1.
    let counts: Vec<String> =
        sorted_lines(&out).iter().map(|l| l.split_once("> ").expect("subtask prefix").1.to_owned()).collect();
    let mut want = vec!["(to,1)", "(be,1)", "(or,1)", "(not,1)", "(to,2)", "(be,2)"];
    want.sort();
    let mut counts = counts;
    counts.sort();
    assert_eq!(counts, want);
}

#[test]
fn a_failing_worker_fails_the_job_with_its_error_and_the_worker_named() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let out = run(SOCKET_WORD_COUNT, &["-p", "2", "--processes", "2", "--", "--port", &port]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("job 'socket_word_count' failed"), "{err}");
    assert!(err.contains(&format!("nc -lk {port}")), "{err}");
    assert!(err.contains("(in worker process 0)"), "{err}");
    assert_eq!(err.lines().filter(|l| l.starts_with("error:")).count(), 1, "{err}");
}

#[test]
fn workers_stop_when_their_coordinator_is_killed() {
    let (mut job, conn, port) = socket_job(&["-p", "2", "--processes", "2"]);
    let workers = || workers_of(&port);
    assert_eq!(workers(), 2);
    job.kill().unwrap();
    job.wait().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while workers() > 0 {
        assert!(std::time::Instant::now() < deadline, "workers still running without their coordinator");
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(conn);
}

#[test]
fn sigterm_to_the_coordinator_cancels_every_worker_cleanly() {
    let (mut job, mut conn, port) = socket_job(&["-p", "2", "--processes", "2"]);
    conn.write_all(b"alpha\n").unwrap();
    // Printed by whichever worker counts "alpha": the pipeline runs over both.
    let mut first = String::new();
    BufReader::new(job.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.ends_with("> (alpha,1)\n"), "{first}");
    let status = Command::new("kill").args(["-TERM", &job.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = job.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143), "{}", stderr(&out));
    assert!(stderr(&out).contains("job 'socket_word_count' cancelled (SIGTERM)"), "{}", stderr(&out));
    assert_eq!(workers_of(&port), 0, "workers left running");
    drop(conn);
}

#[test]
fn ctrl_c_to_the_coordinator_alone_cancels_every_worker_cleanly() {
    // The workers have a process group of their own, so Ctrl-C in a terminal reaches the
    // coordinator alone (here: SIGINT to its pid); it stops them.
    let (mut job, mut conn, port) = socket_job(&["-p", "2", "--processes", "2"]);
    conn.write_all(b"alpha\n").unwrap();
    let mut first = String::new();
    BufReader::new(job.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.ends_with("> (alpha,1)\n"), "{first}");
    assert!(Command::new("kill").args(["-INT", &job.id().to_string()]).status().unwrap().success());
    let out = job.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(stderr(&out).contains("job 'socket_word_count' cancelled (SIGINT)"), "{}", stderr(&out));
    assert_eq!(workers_of(&port), 0, "workers left running");
    drop(conn);
}

/// The pid of worker `index` of a `socket_word_count` reading from `port`.
fn worker_pid(port: &str, index: usize) -> String {
    let out = Command::new("pgrep").args(["-f", &format!("worker {index} .*--port {port}")]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().next().expect("the worker runs").to_owned()
}

#[test]
fn a_stopped_worker_fails_the_job_within_seconds_naming_it() {
    let (mut job, mut conn, port) = socket_job(&["-p", "2", "--processes", "2"]);
    conn.write_all(b"alpha\n").unwrap();
    let mut first = String::new();
    BufReader::new(job.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let started = std::time::Instant::now();
    assert!(Command::new("kill").args(["-STOP", &worker_pid(&port, 1)]).status().unwrap().success());
    let out = job.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("stopped answering (no heartbeat for 5 s)"), "{}", stderr(&out));
    assert!(stderr(&out).contains("(in worker process 1)"), "{}", stderr(&out));
    assert!(started.elapsed() < std::time::Duration::from_secs(15), "took {:?}", started.elapsed());
    assert_eq!(workers_of(&port), 0, "workers left running");
    drop(conn);
}

#[test]
fn sigterm_escalates_to_kill_for_a_worker_that_does_not_stop() {
    let (mut job, mut conn, port) = socket_job(&["-p", "2", "--processes", "2"]);
    conn.write_all(b"alpha\n").unwrap();
    let mut first = String::new();
    BufReader::new(job.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(Command::new("kill").args(["-STOP", &worker_pid(&port, 1)]).status().unwrap().success());
    let started = std::time::Instant::now();
    assert!(Command::new("kill").args(["-TERM", &job.id().to_string()]).status().unwrap().success());
    let out = job.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143), "{}", stderr(&out));
    assert!(stderr(&out).contains("worker process 1"), "{}", stderr(&out));
    assert!(stderr(&out).contains("killed"), "{}", stderr(&out));
    assert!(stderr(&out).contains("job 'socket_word_count' cancelled (SIGTERM)"), "{}", stderr(&out));
    assert!(started.elapsed() < std::time::Duration::from_secs(15), "took {:?}", started.elapsed());
    assert_eq!(workers_of(&port), 0, "workers left running");
    drop(conn);
}

#[test]
fn a_closed_standard_output_ends_the_job_quietly() {
    // `word_count | head -0`: the reader is gone before the job prints. The pipe's read end is
    // closed before the job starts (closing it after `spawn` raced a fast job that had
    // already written everything into the pipe's buffer).
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let job = Command::new(WORD_COUNT).args(["-p", "1"]).stdout(writer).stderr(Stdio::piped()).spawn().unwrap();
    let out = job.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(141), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "no panic, no backtrace, no error");
}

#[test]
fn a_killed_worker_is_reported_with_its_signal() {
    let (mut job, mut conn, port) = socket_job(&["-p", "2", "--processes", "2"]);
    conn.write_all(b"alpha\n").unwrap();
    let mut first = String::new();
    BufReader::new(job.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(Command::new("kill").args(["-KILL", &worker_pid(&port, 1)]).status().unwrap().success());
    let out = job.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("(in worker process 1: it was killed by signal 9 (SIGKILL))"), "{}", stderr(&out));
    assert_eq!(workers_of(&port), 0, "workers left running");
    drop(conn);
}

#[test]
fn job_binaries_allocate_with_mimalloc() {
    // mimalloc prints its statistics at exit when asked to: the job binary's allocator is it.
    let out = Command::new(WORD_COUNT).args(["-p", "1"]).env("MIMALLOC_SHOW_STATS", "1").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("peak rss"), "no mimalloc statistics: {}", stderr(&out));
    let plain = Command::new(WORD_COUNT).args(["-p", "1"]).output().unwrap();
    assert_eq!(stderr(&plain), "", "statistics only when asked for");
}

/// The completed checkpoints (`<dir>/<job id>/chk-N/_metadata`) under `dir`.
fn completed_checkpoints(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for job in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        for chk in std::fs::read_dir(job.path()).into_iter().flatten().flatten() {
            let meta = chk.path().join("_metadata");
            if meta.is_file() {
                found.push(meta);
            }
        }
    }
    found
}

#[test]
fn checkpoint_flags_take_checkpoints_where_they_say_while_the_job_runs() {
    // As the README runs it: the output is the word count's, checkpoints or not.
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(WORD_COUNT)
        .args(["-p", "1", "--checkpoint-interval", "1s", "--checkpoint-dir", "./checkpoints"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), stdout(&run(WORD_COUNT, &["-p", "1"])));

    // A job that runs on: its checkpoints appear under the directory, `_metadata` last.
    let checkpoints = dir.path().join("socket");
    let (job, mut conn, _) =
        socket_job(&["-p", "2", "--checkpoint-interval", "50ms", "--checkpoint-dir", checkpoints.to_str().unwrap()]);
    conn.write_all(b"to,be\n").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while completed_checkpoints(&checkpoints).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let completed = completed_checkpoints(&checkpoints);
    conn.write_all(b"or,not,to\n").unwrap();
    drop(conn);
    let out = job.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!completed.is_empty(), "no checkpoint completed in 10 s: {}", stderr(&out));
    // The job finished (its socket closed): its checkpoints are discarded, as Flink's are.
    assert_eq!(completed_checkpoints(&checkpoints), Vec::<std::path::PathBuf>::new());

    // Wrong flags: usage errors that say what to give.
    let out = run(WORD_COUNT, &["--checkpoint-interval", "soon"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("'--checkpoint-interval <D>': 'soon' is not a duration (e.g. 500ms, 1s, 2min)"),
        "{}",
        stderr(&out)
    );
    let out = run(WORD_COUNT, &["--checkpoint-dir", "./checkpoints"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("give --checkpoint-interval too"), "{}", stderr(&out));
}

/// `word_count --completions bash`, sourced into a real bash: what its completion function
/// offers after `word_count --che`.
#[test]
fn a_job_binary_prints_the_shell_completions_of_its_flags() {
    let out = run(WORD_COUNT, &["--completions", "bash"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let script = stdout(&out);
    let program = format!(
        "{script}\nCOMP_WORDS=(word_count --che); COMP_CWORD=1; COMP_LINE='word_count --che'; \
         COMP_POINT=${{#COMP_LINE}}\n_word_count word_count --che word_count\nprintf '%s\\n' \"${{COMPREPLY[@]}}\""
    );
    let out = Command::new("bash").args(["--norc", "-c", &program]).output().expect("bash runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let mut offered: Vec<String> = stdout(&out).split_whitespace().map(str::to_owned).collect();
    offered.sort();
    assert_eq!(offered, ["--checkpoint-dir", "--checkpoint-interval"]);
    // A shell clap does not know: a usage error with the ones it does.
    let out = run(WORD_COUNT, &["--completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("possible values: bash"), "{}", stderr(&out));
}
