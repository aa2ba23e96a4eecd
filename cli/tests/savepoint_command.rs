//! `rill savepoint inspect` as a user runs it, on a savepoint a real job took.

use rill::prelude::*;
use std::process::Command;
use std::time::Duration;

const RILL: &str = env!("CARGO_BIN_EXE_rill");

static COUNT: ValueState<i64> = ValueState::new("count");

/// Counts per key (1 000 keys) in value state, with a rolling sum beside it, slowly.
#[rill::job(no_main)]
fn counts(env: &mut Env) {
    let keyed = env
        .from_sequence(0, 10_000_000)
        .map(|n| {
            if n % 1_000 == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
            (n % 1_000, 1i64)
        })
        .key_by(|(k, _)| *k);
    keyed
        .process(|(k, _), ctx, out| {
            let n = ctx.value(&COUNT).get().unwrap_or(0) + 1;
            ctx.value(&COUNT).update(n);
            out.collect((k, n));
        })
        .uid("counter")
        .discard();
}

#[test]
fn inspect_prints_the_operators_their_states_and_key_counts() {
    let dir = tempfile::tempdir().unwrap();
    let job = COUNTS_JOB.start(Some(2), &[]);
    std::thread::sleep(Duration::from_millis(1500));
    let savepoint = job.stop_with_savepoint(dir.path(), false).expect("a savepoint");
    job.join().unwrap();

    let out = Command::new(RILL).args(["savepoint", "inspect", savepoint.to_str().unwrap()]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.starts_with("checkpoint ") && text.contains("of job 'counts'"), "{text}");
    assert!(text.contains("operator 'counter' (2 subtasks)"), "{text}");
    assert!(text.contains("keyed state 'count': 1000 entries"), "every key's count: {text}");
    assert!(text.contains("operator 'from-sequence-0' (2 subtasks)"), "the source's positions: {text}");

    // A directory without a savepoint: an error that names what is missing.
    let out = Command::new(RILL).args(["savepoint", "inspect", dir.path().to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("_metadata"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(RILL).args(["savepoint"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The store the tests use (`scripts/test` starts moto, `scripts/s3-server`).
fn s3_endpoint() -> String {
    std::env::var("RILL_S3_ENDPOINT").unwrap_or_else(|_| {
        panic!("RILL_S3_ENDPOINT is not set: run the tests with ./scripts/test, which starts an S3-compatible server")
    })
}

/// One plain HTTP request to the store (moto takes unsigned ones); the status.
fn s3_request(method: &str, path: &str, body: &[u8]) -> u16 {
    use std::io::{Read, Write};
    let host = s3_endpoint().trim_start_matches("http://").trim_end_matches('/').to_owned();
    let mut conn = std::net::TcpStream::connect(&host).unwrap_or_else(|e| panic!("S3 store at {host}: {e}"));
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).unwrap();
    conn.write_all(body).unwrap();
    let mut response = String::new();
    conn.read_to_string(&mut response).unwrap();
    response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[test]
fn inspect_reads_a_savepoint_in_s3_as_it_reads_one_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let job = COUNTS_JOB.start(Some(2), &[]);
    std::thread::sleep(Duration::from_millis(500));
    let savepoint = job.stop_with_savepoint(dir.path(), false).expect("a savepoint");
    job.join().unwrap();
    let on_disk = Command::new(RILL).args(["savepoint", "inspect", savepoint.to_str().unwrap()]).output().unwrap();
    assert!(on_disk.status.success(), "{}", String::from_utf8_lossy(&on_disk.stderr));

    // The same files, copied into a bucket.
    let bucket = format!("savepoints-{}-{}", std::process::id(), rill::time::processing_time_now());
    assert_eq!(s3_request("PUT", &format!("/{bucket}"), b""), 200);
    for file in std::fs::read_dir(&savepoint).unwrap().flatten() {
        let name = file.file_name().into_string().unwrap();
        let status = s3_request("PUT", &format!("/{bucket}/upgrade/{name}"), &std::fs::read(file.path()).unwrap());
        assert_eq!(status, 200, "{name}");
    }
    let inspect = |url: &str| {
        Command::new(RILL)
            .args(["savepoint", "inspect", url])
            .env("AWS_ENDPOINT", s3_endpoint())
            .env("AWS_ALLOW_HTTP", "true")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "rill-test")
            .env("AWS_SECRET_ACCESS_KEY", "rill-test")
            .output()
            .unwrap()
    };
    let in_s3 = inspect(&format!("s3://{bucket}/upgrade"));
    assert!(in_s3.status.success(), "{}", String::from_utf8_lossy(&in_s3.stderr));
    let (s3_text, disk_text) = (String::from_utf8_lossy(&in_s3.stdout), String::from_utf8_lossy(&on_disk.stdout));
    // The same report, but for the place it names in its first line.
    assert!(s3_text.lines().next().unwrap().ends_with(&format!("(s3://{bucket}/upgrade)")), "{s3_text}");
    assert_eq!(s3_text.lines().skip(1).collect::<Vec<_>>(), disk_text.lines().skip(1).collect::<Vec<_>>());

    // A prefix with nothing there: the missing metadata is named.
    let missing = inspect(&format!("s3://{bucket}/nothing"));
    assert_eq!(missing.status.code(), Some(1));
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(err.contains(&format!("s3://{bucket}/nothing/_metadata")) && err.contains("not found"), "{err}");
}
