//! Every command the README shows, run as the README writes it, from the repository's root:
//! the `sh` blocks and the `$ ` lines of its example output. A command added to the README
//! without a test here fails `every_readme_command_is_run_by_a_test`.
//!
//! The `cargo run --release` commands build the release binaries (once, under cargo's lock);
//! where a README command expects something of its own (a `nc` in another terminal, a
//! person typing words), the test plays that part on the same port.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn readme() -> String {
    std::fs::read_to_string(repo().join("README.md")).unwrap()
}

/// The README's commands: each line of its `sh` blocks (a trailing comment cut off) and each
/// `$ ` line of its `text` blocks.
fn readme_commands() -> Vec<String> {
    let mut commands = Vec::new();
    // The language of the fenced block the line is in, if any.
    let mut block: Option<&str> = None;
    let text = readme();
    for line in text.lines() {
        if let Some(lang) = line.strip_prefix("```") {
            block = if block.is_some() { None } else { Some(lang) };
            continue;
        }
        match block {
            Some("sh") => {
                let command = line.split(" # ").next().unwrap().trim();
                if !command.is_empty() {
                    commands.push(command.to_owned());
                }
            }
            Some("text") => commands.extend(line.strip_prefix("$ ").map(str::to_owned)),
            _ => {}
        }
    }
    commands
}

/// The lines under a `$ COMMAND` line of the README, up to the end of its block.
fn readme_output_of(command: &str) -> Vec<String> {
    let text = readme();
    let start = text.find(&format!("$ {command}\n")).unwrap_or_else(|| panic!("README shows no `$ {command}`"));
    text[start..].lines().skip(1).take_while(|l| !l.starts_with("```")).map(str::to_owned).collect()
}

const WORD_COUNT: &str = "cargo run --release -p rill-examples --bin word_count";
const TEST_SUITE: &str = "./scripts/test";
const NC: &str = "nc -lk 9999 &";
const SOCKET_WORD_COUNT: &str = "cargo run --release -p rill-examples --bin socket_word_count -- -- --port 9999";
const WINDOW_WORD_COUNT: &str = "cargo run --release -p rill-examples --bin window_word_count -- -- --port 9999";
const METRICS_WINDOW: &str =
    "cargo run --release -p rill-examples --bin metrics_window -- -- --events 20000 --rate 10000";
const BUILD: &str = "cargo build --release -p rill-examples -p rill-cli";
const PLAN_TEXT: &str = "./target/release/rill plan ./target/release/word_count -p 2";
const PLAN_MERMAID: &str = "./target/release/rill plan ./target/release/word_count --format mermaid -p 4";
const KAFKA: [&str; 4] = [
    "B=$(scripts/kafka-broker start)",
    "cargo build --release -p rill-examples --bin kafka_alerts --bin metrics_gen",
    "./target/release/kafka_alerts -- --brokers $B --rules examples/rules.json &",
    "./target/release/metrics_gen --brokers $B --rate 50000 --seconds 20",
];
const CHECKPOINTS: &str = "./target/release/word_count --checkpoint-interval 1s --checkpoint-dir ./checkpoints";
const BENCH_BUILD: &str = "cargo build --release -p rill-examples --bin bench";
const BENCH: &str = "./target/release/bench keyed-sum 100000000 1";
const FLINK: &str = "examples/flink/run.sh keyed-sum 10000000 1";
const WORD_COUNT_P2: &str = "./target/release/word_count -p 2";
const APPLICATION: &str = "./target/release/word_count --application --taskmanagers 2 --slots 1 -p 2";
const KUBE_VALIDATE: &str = "scripts/kube-validate deploy/kubernetes/*/*.yaml";
const NEW_JOB: [&str; 3] = ["./target/release/rill new ../my-job", "cd ../my-job && cargo run --release", "cargo test"];
const METRICS: [&str; 2] = [
    "./target/release/slow_sink --metrics-port 9249 -- --records 20000 &",
    "sleep 2; curl -s localhost:9249/metrics | grep backPressuredTimeMsPerSecond",
];
const CLUSTER: [&str; 4] = [
    "./target/release/rill cluster start --taskmanagers 2 --slots 2",
    "./target/release/rill run -p 4 ./target/release/word_count",
    "./target/release/rill list -a",
    "./target/release/rill cluster stop",
];

#[test]
fn every_readme_command_is_run_by_a_test() {
    let mut run_here = vec![
        WORD_COUNT,
        TEST_SUITE,
        NC,
        SOCKET_WORD_COUNT,
        WINDOW_WORD_COUNT,
        METRICS_WINDOW,
        BUILD,
        PLAN_TEXT,
        PLAN_MERMAID,
        CHECKPOINTS,
        BENCH_BUILD,
        BENCH,
        FLINK,
        WORD_COUNT_P2,
        APPLICATION,
        KUBE_VALIDATE,
    ];
    run_here.extend(KAFKA);
    run_here.extend(CLUSTER);
    run_here.extend(METRICS);
    run_here.extend(NEW_JOB);
    let mut shown = readme_commands();
    shown.sort();
    shown.dedup();
    run_here.sort();
    assert_eq!(shown, run_here, "the README's commands (left) and the commands this file runs (right)");
}

/// The whole suite is what CI runs: `.ci/run` calls the README's command.
#[test]
fn ci_runs_the_readme_test_command() {
    let ci = std::fs::read_to_string(repo().join(".ci/run")).unwrap();
    assert!(ci.lines().any(|l| l.trim() == TEST_SUITE), ".ci/run does not run {TEST_SUITE}:\n{ci}");
}

/// Runs a README command with bash from the repository's root; its output.
fn sh(command: &str) -> Output {
    let out = Command::new("bash").args(["-c", command]).current_dir(repo()).output().unwrap();
    assert!(out.status.success(), "`{command}` failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect()
}

/// Lines without the printing subtask's `N> ` prefix, sorted.
fn unprefixed_sorted(out: &Output) -> Vec<String> {
    let mut v: Vec<String> =
        lines(out).iter().map(|l| l.split_once("> ").map_or(l.as_str(), |(_, rest)| rest).to_owned()).collect();
    v.sort();
    v
}

/// The README's release build, once for this test binary; the `./target/release/..`
/// commands run what it built.
fn release_build() {
    static BUILT: Mutex<bool> = Mutex::new(false);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !*built {
        sh(BUILD);
        sh(BENCH_BUILD);
        *built = true;
    }
}

/// The quick start's running counts, sorted: what Flink prints for its word count.
fn quick_start_counts() -> Vec<String> {
    let mut want: Vec<String> = ["(hello,1)", "(hello,2)", "(hello,3)", "(flink,1)", "(flink,2)", "(flink,3)"]
        .into_iter()
        .chain(["(flink,4)", "(flink,5)", "(is,1)", "(great,1)"])
        .map(str::to_owned)
        .collect();
    want.sort();
    want
}

#[test]
fn the_quick_start_word_count_prints_flinks_running_counts() {
    let out = sh(WORD_COUNT);
    let want = quick_start_counts();
    assert_eq!(unprefixed_sorted(&out), want);

    // The example output the README shows, line for line (in another order, as subtasks run
    // side by side).
    release_build();
    let out = sh(WORD_COUNT_P2);
    let mut shown = readme_output_of(WORD_COUNT_P2);
    shown.sort();
    let mut printed = lines(&out);
    printed.sort();
    assert_eq!(printed, shown);
}

/// The socket examples both listen on port 9999: one at a time.
static PORT_9999: Mutex<()> = Mutex::new(());

/// Plays `nc -lk 9999`: the port the README's socket commands read from. Fails if another
/// program holds it.
fn nc_9999() -> TcpListener {
    TcpListener::bind("127.0.0.1:9999").unwrap_or_else(|e| panic!("port 9999, which the README's `{NC}` takes: {e}"))
}

/// Starts a README command in the background, its output piped.
fn spawn(command: &str) -> std::process::Child {
    Command::new("bash")
        .args(["-c", command])
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Accepts the job's connection, with a deadline (the first run builds the binary).
fn accept(listener: &TcpListener, what: &str) -> std::net::TcpStream {
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        match listener.accept() {
            Ok((conn, _)) => {
                conn.set_nonblocking(false).unwrap();
                return conn;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => panic!("{what} did not connect to port 9999: {e}"),
        }
    }
}

#[test]
fn the_socket_word_count_counts_what_is_typed_into_nc() {
    let _port = PORT_9999.lock().unwrap_or_else(|e| e.into_inner());
    let nc = nc_9999();
    let job = spawn(SOCKET_WORD_COUNT);
    let mut typed = accept(&nc, SOCKET_WORD_COUNT);
    typed.write_all(b"a,b,a\n").unwrap();
    drop(typed);
    let out = job.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(unprefixed_sorted(&out), ["(a,1)", "(a,2)", "(b,1)"]);
}

#[test]
fn the_window_word_count_counts_per_five_second_window() {
    let _port = PORT_9999.lock().unwrap_or_else(|e| e.into_inner());
    let nc = nc_9999();
    let job = spawn(WINDOW_WORD_COUNT);
    let mut typed = accept(&nc, WINDOW_WORD_COUNT);
    // Windows are aligned to multiples of 5 s: type just after one begins, close the socket
    // after it has ended (processing-time windows fire on the clock, as in Flink).
    let into_window = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() % 5_000;
    std::thread::sleep(Duration::from_millis(5_100 - into_window as u64));
    typed.write_all(b"to be or not to be\n").unwrap();
    std::thread::sleep(Duration::from_millis(6_000));
    drop(typed);
    let out = job.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(unprefixed_sorted(&out), ["(be,2)", "(not,1)", "(or,1)", "(to,2)"]);
}

#[test]
fn the_metrics_window_alerts_on_the_busy_host_and_prints_late_records() {
    let out = sh(METRICS_WINDOW);
    let text = String::from_utf8_lossy(&out.stdout);
    let alerts: Vec<&str> = text.lines().filter(|l| l.contains("ALERT")).collect();
    assert!(!alerts.is_empty(), "no alerts:\n{text}");
    assert!(alerts.iter().all(|a| a.contains("ALERT host-3 cpu avg 9")), "{text}");
    assert!(text.lines().any(|l| l.contains("LATE")), "no late records:\n{text}");
}

#[test]
fn rill_plan_draws_the_word_count_as_text_and_mermaid() {
    release_build();
    let text = String::from_utf8_lossy(&sh(PLAN_TEXT).stdout).into_owned();
    for part in [
        "job word_count (default parallelism 2)",
        "Source: from_elements",
        "chain 1 · parallelism 2",
        "HASH exchange to chain 2",
        "fused: Print to Std. Out",
    ] {
        assert!(text.contains(part), "no `{part}` in:\n{text}");
    }
    let mermaid = String::from_utf8_lossy(&sh(PLAN_MERMAID).stdout).into_owned();
    assert!(mermaid.starts_with("flowchart"), "{mermaid}");
    assert!(mermaid.contains("Flat Map<br/>parallelism 4") && mermaid.contains("c1 -- HASH --> c2"), "{mermaid}");
}

#[test]
fn the_alerting_pipeline_alerts_on_what_metrics_gen_writes() {
    // The README's three lines as one script; the test then stops the job left running in
    // the background, as Ctrl-C in its terminal would. The broker is scripts/test's (the
    // first line finds it running), or one the first line starts and the test stops.
    let broker_pid = r#"kill -0 "$(cat "${CARGO_TARGET_DIR:-target}/kafka-broker/pid" 2>/dev/null)" 2>/dev/null"#;
    let broker_was_running =
        Command::new("bash").args(["-c", broker_pid]).current_dir(repo()).status().unwrap().success();
    // Output to files: the job left in the background would hold pipes open.
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));
    let status = Command::new("bash")
        .args(["-c", &KAFKA.join("\n")])
        .current_dir(repo())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .status()
        .unwrap();
    let stopped = Command::new("pkill").args(["-TERM", "-f", "target/release/kafka_alerts"]).status().unwrap();
    // The job prints its last latency figures as it stops.
    let deadline = Instant::now() + Duration::from_secs(30);
    while Command::new("pgrep").args(["-f", "target/release/kafka_alerts"]).status().unwrap().success() {
        assert!(Instant::now() < deadline, "kafka_alerts did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    if !broker_was_running {
        sh("scripts/kafka-broker stop"); // the one the README's first line started
    }
    let stderr = std::fs::read_to_string(&err).unwrap();
    assert!(status.success(), "{stderr}");
    assert!(stopped.success(), "kafka_alerts was not running at the end: {stderr}");
    let printed = std::fs::read_to_string(&out).unwrap();
    let alerts: Vec<&str> = printed.lines().filter(|l| l.contains(r#""state":"firing""#)).collect();
    assert!(!alerts.is_empty(), "no alert in 20 s of metrics: {stderr}");
    assert!(stderr.contains("metrics_gen: ") && stderr.contains("records in"), "{stderr}");
    assert!(stderr.contains("latency of alerts: p50"), "{stderr}");
}

#[test]
fn checkpoint_flags_write_checkpoints_under_the_directory_they_name() {
    release_build();
    // `./checkpoints` of the README, in a directory of the test's own where `./target` is
    // the repository's.
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(repo().join("target"), dir.path().join("target")).unwrap();
    let out = Command::new("bash").args(["-c", CHECKPOINTS]).current_dir(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(unprefixed_sorted(&out).len(), 10, "the word count's ten updates");
    // The directory the flag names was made at the start; the job finished, so its
    // checkpoints (its final one among them) were discarded, as Flink discards a finished
    // job's.
    let left: Vec<_> = std::fs::read_dir(dir.path().join("checkpoints")).unwrap().flatten().map(|e| e.path()).collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `RESULT ENGINE WORKLOAD n=N p=P ms=MS rate=R`: the rate.
fn result_rate(out: &Output, engine: &str, workload: &str, n: u64, p: u32) -> f64 {
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("RESULT {engine} {workload} n={n} p={p} ms=")))
        .unwrap_or_else(|| panic!("no RESULT line for {engine}: {text}"));
    line.rsplit_once(" rate=").unwrap().1.parse().unwrap()
}

#[test]
fn the_benchmark_and_its_flink_twin_print_comparable_result_lines() {
    release_build();
    let rill = result_rate(&sh(BENCH), "rill", "keyed-sum", 100_000_000, 1);
    // Flink 2.3 on the same records (java 17; the first run installs apache-flink's jars).
    let flink = result_rate(&sh(FLINK), "flink", "keyed-sum", 10_000_000, 1);
    assert!(rill > 0.0 && flink > 0.0, "rill {rill}, flink {flink}");
}

/// Stops the README's cluster if the test ends before its `cluster stop`.
struct StopCluster<'a>(&'a Path);

impl Drop for StopCluster<'_> {
    fn drop(&mut self) {
        let _ = Command::new(repo().join("target/release/rill"))
            .args(["cluster", "stop"])
            .env("RILL_HOME", self.0)
            .output();
    }
}

#[test]
fn the_session_cluster_runs_the_word_count_and_stops() {
    release_build();
    // The README's four commands as written, in a cluster home of the test's own (the
    // default one is the user's).
    let home = tempfile::tempdir().unwrap();
    let _stop = StopCluster(home.path());
    let run = |command: &str| {
        let out = Command::new("bash")
            .args(["-c", command])
            .current_dir(repo())
            .env("RILL_HOME", home.path())
            .output()
            .unwrap();
        let (stdout, stderr) =
            (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "`{command}` failed: {stdout}{stderr}");
        stdout
    };
    let started = run(CLUSTER[0]);
    assert_eq!(started.matches("Starting taskexecutor daemon").count(), 2, "{started}");
    assert!(started.contains("REST API at http://127.0.0.1:8081"), "{started}");
    let token = std::fs::read_to_string(home.path().join("token")).unwrap();
    assert!(started.contains(&format!("Web UI at http://127.0.0.1:8081/#token={}", token.trim())), "{started}");
    let submitted = run(CLUSTER[1]);
    let id = submitted.lines().find_map(|l| l.strip_prefix("Job has been submitted with JobID ")).expect(&submitted);
    assert!(submitted.contains(&format!("Job with JobID {id} has finished.")), "{submitted}");
    let mut printed: Vec<String> = Vec::new();
    for tm in ["taskmanager-1", "taskmanager-2"] {
        let out = std::fs::read_to_string(home.path().join(format!("log/{tm}.out"))).unwrap_or_default();
        printed.extend(out.lines().map(|l| l.split_once("> ").map_or(l, |(_, r)| r).to_owned()));
    }
    printed.sort();
    let want = quick_start_counts();
    assert_eq!(printed, want, "the quick start's counts, printed by the TaskManagers");
    let listed = run(CLUSTER[2]);
    assert!(listed.contains(&format!(": {id} : word_count (FINISHED)")), "{listed}");
    let stopped = run(CLUSTER[3]);
    assert_eq!(stopped.matches("Stopping ").count(), 3, "{stopped}");
    assert!(run(CLUSTER[3]).starts_with("No cluster running"));

    // Application mode, on the same ports once the cluster is gone: its own home.
    let app_home = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .args(["-c", APPLICATION])
        .current_dir(repo())
        .env("RILL_HOME", app_home.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "`{APPLICATION}` failed: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("Job has been submitted with JobID "), "{stdout}");
    let mut printed: Vec<String> = Vec::new();
    for tm in ["taskmanager-1", "taskmanager-2"] {
        let out = std::fs::read_to_string(app_home.path().join(format!("log/{tm}.out"))).unwrap();
        assert!(!out.is_empty(), "both TaskManagers ran a share");
        printed.extend(out.lines().map(|l| l.split_once("> ").map_or(l, |(_, r)| r).to_owned()));
    }
    printed.sort();
    assert_eq!(printed, want, "the quick start's counts, printed by the application's TaskManagers");
}

#[test]
fn the_kubernetes_manifests_validate() {
    let out = sh(KUBE_VALIDATE);
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(said.matches(" passed for resource ").count(), 8, "{said}");
}

#[test]
fn a_job_alone_serves_its_metrics_to_prometheus() {
    release_build();
    // The README's two lines as one script; the job left in the background ends by itself
    // (its records run out) and the test waits for it.
    let out = Command::new("bash")
        .args(["-c", &format!("{}\n{}\nwait", METRICS[0], METRICS[1])])
        .current_dir(repo())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let value = |vertex: &str| -> f64 {
        let line = stdout.lines().find(|l| l.contains(&format!("task_name=\"{vertex}\""))).expect(&stdout);
        line.rsplit_once(' ').unwrap().1.parse().unwrap()
    };
    assert!(value("Source: from_sequence -> Map") > 500.0, "the vertex before the slow sink waits: {stdout}");
    assert!(value("Sink: sink_to") < 100.0, "the slow sink itself is busy: {stdout}");
}

/// "Your own job": the three commands in a shell, from a stand-in for the repository's root
/// (its `target` linked to the real one) in a temporary directory, so that `../my-job` is
/// made there. Cargo runs offline and shares the project's target directory (an
/// environment the test sets, not a change to the commands), so that it builds only the
/// new crate.
#[test]
fn your_own_job_in_three_commands() {
    release_build();
    let sandbox = tempfile::tempdir().unwrap();
    let root = sandbox.path().join("rill");
    std::fs::create_dir(&root).unwrap();
    std::os::unix::fs::symlink(repo().join("target"), root.join("target")).unwrap();
    let script = format!("set -e\n{}\n", NEW_JOB.join("\n"));
    let out = Command::new("bash")
        .args(["-c", &script])
        .current_dir(&root)
        .env("CARGO_TARGET_DIR", repo().join("target"))
        .env("CARGO_NET_OFFLINE", "true")
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(sandbox.path().join("my-job/src/main.rs").is_file());
    // The job's running counts, then its test's report.
    let mut counts: Vec<String> = stdout
        .lines()
        .filter(|l| l.ends_with(')'))
        .map(|l| l.split_once("> ").map_or(l, |(_, rest)| rest).to_owned())
        .collect();
    counts.sort();
    assert_eq!(counts, quick_start_counts(), "{stdout}");
    assert!(stdout.contains("test counts_each_word_of_its_input ... ok"), "{stdout}");
}
