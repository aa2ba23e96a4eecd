//! A job run alone with `--metrics-port`: its tasks' metrics in Prometheus's text format
//! under Flink's names, counted exactly, with busy, idle and back-pressured time, and its
//! checkpoint figures; and the
//! endpoint tried as a hostile client would (a head too long, a method it does not serve, a
//! client that says nothing).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One request; the status line and the body.
fn request(addr: &str, raw: &[u8]) -> (String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = stream.write_all(raw);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (head.lines().next().unwrap_or("").to_owned(), body.to_owned())
}

fn scrape(addr: &str) -> String {
    let (status, body) = request(addr, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    body
}

/// The values of metric `name` whose labels contain `with`, by subtask.
fn values(text: &str, name: &str, with: &str) -> Vec<f64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("flink_taskmanager_job_task_{name}{{")) && l.contains(with))
        .map(|l| l.rsplit_once(' ').unwrap().1.parse().unwrap())
        .collect()
}

#[test]
fn a_job_alone_serves_flinks_task_metrics_and_survives_hostile_requests() {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port().to_string();
    let checkpoints = tempfile::tempdir().unwrap();
    let mut job = Command::new(env!("CARGO_BIN_EXE_socket_word_count"))
        .args(["-p", "2", "--metrics-port", "0", "--checkpoint-interval", "200ms", "--checkpoint-dir"])
        .arg(checkpoints.path())
        .args(["--", "--port", &port])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(job.stderr.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the job ended without serving metrics");
        if let Some(url) = line.trim().strip_prefix("metrics at http://") {
            break url.trim_end_matches("/metrics").to_owned();
        }
    };
    let (mut typed, _) = server.accept().unwrap();
    let words = 3 * 1000;
    for _ in 0..1000 {
        typed.write_all(b"to,be,or\n").unwrap();
    }
    typed.flush().unwrap();

    // Flink's vertices, named as Flink names them: the source sends the lines on to the two
    // subtasks of the flat map, which send the words on to the aggregation's two.
    let sum = |text: &str, name: &str, vertex: &str| -> f64 {
        values(text, name, &format!("task_name=\"{vertex}\"")).iter().sum()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let text = loop {
        let text = scrape(&addr);
        if sum(&text, "numRecordsIn", "Keyed Aggregation -> Print to Std. Out") == f64::from(words)
            || Instant::now() > deadline
        {
            break text;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(sum(&text, "numRecordsIn", "Keyed Aggregation -> Print to Std. Out"), f64::from(words), "{text}");
    assert_eq!(sum(&text, "numRecordsOut", "Keyed Aggregation -> Print to Std. Out"), 0.0, "a sink sends nothing on");
    assert_eq!(sum(&text, "numRecordsOut", "Source: socket_text_stream"), 1000.0, "{text}");
    assert_eq!(sum(&text, "numRecordsIn", "Flat Map -> Map"), 1000.0, "{text}");
    assert_eq!(sum(&text, "numRecordsOut", "Flat Map -> Map"), f64::from(words), "{text}");
    assert!(text.contains("subtask_index=\"1\"") && text.contains("tm_id=\"local\""), "{text}");
    // Quiet for a while: the tasks that wait for input are idle most of each second.
    std::thread::sleep(Duration::from_millis(2500));
    let text = scrape(&addr);
    let idle = values(&text, "idleTimeMsPerSecond", "subtask_index=\"0\"");
    let busy = values(&text, "busyTimeMsPerSecond", "subtask_index=\"0\"");
    assert!(!idle.is_empty() && idle.len() == busy.len(), "{text}");
    assert!(idle.iter().chain(&busy).all(|v| (0.0..=1000.0).contains(v)), "{text}");
    assert!(idle.iter().any(|v| *v > 500.0), "a task that waits is idle: {text}");
    assert!(values(&text, "isBackPressured", "").iter().all(|v| *v == 0.0), "{text}");
    // Its checkpoints, under Flink's job-scope names.
    let job_figure = |name: &str| -> u64 {
        let prefix = format!("flink_jobmanager_job_{name}{{job_name=\"socket_word_count\"}} ");
        let line = text.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap_or_else(|| panic!("{name}: {text}"));
        line.parse().unwrap()
    };
    assert!(job_figure("numberOfCompletedCheckpoints") >= 2, "every 200 ms for 2.5 s: {text}");
    assert!(job_figure("lastCompletedCheckpointId") >= 2 && job_figure("lastCheckpointSize") > 0, "{text}");
    assert_eq!(job_figure("numberOfFailedCheckpoints"), 0, "{text}");

    // Hostile clients: each is answered or cut off, and the endpoint serves on.
    let long = format!("GET /metrics HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(20_000));
    assert_eq!(request(&addr, long.as_bytes()).0, "HTTP/1.1 431 Request Header Fields Too Large");
    assert_eq!(request(&addr, b"POST /metrics HTTP/1.1\r\n\r\n").0, "HTTP/1.1 405 Method Not Allowed");
    assert_eq!(request(&addr, b"GET /../../etc/passwd HTTP/1.1\r\n\r\n").0, "HTTP/1.1 404 Not Found");
    assert_eq!(request(&addr, b"GET /metrics").0, "HTTP/1.1 408 Request Timeout", "no end of the head in time");
    let silent = TcpStream::connect(&addr).unwrap();
    assert!(scrape(&addr).contains("numRecordsIn"), "a silent client does not hold the endpoint for long");
    drop(silent);

    drop(typed);
    assert!(job.wait().unwrap().success());

    // A port that is taken is an error that says so; a bad one is a usage error.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_word_count")).args(["--metrics-port", &taken_port]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is the port taken?"));
    let out = Command::new(env!("CARGO_BIN_EXE_word_count")).args(["--metrics-port", "http"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
