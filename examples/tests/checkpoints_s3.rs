//! Checkpoints in S3 (`--checkpoint-dir s3://bucket/prefix`), against a real S3-compatible
//! server: the one `scripts/test` starts (moto, `scripts/s3-server`), or `RILL_S3_ENDPOINT`.
//! A job binary killed with SIGKILL resumes from its last checkpoint in the bucket and writes
//! every line exactly once.

mod common;

use common::{committed_lines, expected_lines};
use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const CHECKPOINTED_COUNT: &str = env!("CARGO_BIN_EXE_checkpointed_count");

fn endpoint() -> String {
    std::env::var("RILL_S3_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "RILL_S3_ENDPOINT is not set: run the tests with ./scripts/test, which starts an S3-compatible \
             server (scripts/s3-server), or point RILL_S3_ENDPOINT at one"
        )
    })
}

/// The environment by which a job binary reaches the test's store, as it would reach S3.
fn s3_env(command: &mut Command) -> &mut Command {
    command
        .env("AWS_ENDPOINT", endpoint())
        .env("AWS_ALLOW_HTTP", "true")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "rill-test")
        .env("AWS_SECRET_ACCESS_KEY", "rill-test")
}

/// One plain HTTP request to the store (moto takes unsigned ones): the status and body.
fn request(method: &str, path: &str) -> (u16, String) {
    let host = endpoint().trim_start_matches("http://").trim_end_matches('/').to_owned();
    let mut conn = std::net::TcpStream::connect(&host).unwrap_or_else(|e| panic!("S3 store at {host}: {e}"));
    write!(conn, "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    conn.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    (status, body)
}

/// A new bucket of the test's own.
fn bucket(name: &str) -> String {
    let bucket = format!("{name}-{}-{}", std::process::id(), rill::time::processing_time_now());
    let (status, body) = request("PUT", &format!("/{bucket}"));
    assert_eq!(status, 200, "creating bucket {bucket}: {body}");
    bucket
}

/// The keys under `prefix` in `bucket`.
fn keys(bucket: &str, prefix: &str) -> Vec<String> {
    let (status, body) = request("GET", &format!("/{bucket}?list-type=2&prefix={prefix}&max-keys=1000"));
    assert_eq!(status, 200, "{body}");
    body.split("<Key>").skip(1).filter_map(|k| k.split_once("</Key>").map(|(k, _)| k.to_owned())).collect()
}

/// The completed checkpoints (`<prefix>/<job id>/chk-<n>/_metadata`) in the bucket, as
/// `(n, s3://bucket/<prefix>/<job id>/chk-<n>)`, oldest first.
fn completed(bucket: &str, prefix: &str) -> Vec<(u64, String)> {
    let mut found: Vec<(u64, String)> = keys(bucket, prefix)
        .into_iter()
        .filter_map(|k| {
            let chk = k.strip_suffix("/_metadata")?;
            let n = chk.rsplit_once("/chk-")?.1.parse().ok()?;
            Some((n, format!("s3://{bucket}/{chk}")))
        })
        .collect();
    found.sort();
    found
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_killed_job_resumes_from_its_last_checkpoint_in_s3_with_exactly_once_output() {
    let (n, keys_n) = (300_000i64, 7i64);
    let bucket = bucket("checkpoints");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let url = format!("s3://{bucket}/jobs");
    let job_args = ["--", "--n", &n.to_string(), "--out", out.to_str().unwrap(), "--pause-every", "200"];
    let flags = ["--checkpoint-interval", "100ms", "--checkpoint-dir", &url];

    let mut job = s3_env(Command::new(CHECKPOINTED_COUNT).args(["-p", "2"]).args(flags).args(job_args))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Two checkpoints in the bucket: the first has been pruned (one is retained) or is about to be.
    let deadline = Instant::now() + Duration::from_secs(30);
    while completed(&bucket, "jobs/").last().is_none_or(|(n, _)| *n < 3) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    job.kill().unwrap(); // SIGKILL: no clean-up of any kind
    let killed = job.wait_with_output().unwrap();
    assert!(!killed.status.success(), "the job was killed before its end: {}", stderr(&killed));
    let checkpoints = completed(&bucket, "jobs/");
    let (id, checkpoint) =
        checkpoints.last().cloned().unwrap_or_else(|| panic!("no checkpoint in S3: {}", stderr(&killed)));
    assert!(id >= 3, "{checkpoints:?}");
    assert!(checkpoints.len() <= 2, "old checkpoints are pruned in the bucket too: {checkpoints:?}");
    // Each task's file and the metadata are objects of the checkpoint.
    let files = keys(&bucket, &format!("{}/", checkpoint.trim_start_matches(&format!("s3://{bucket}/"))));
    assert!(files.iter().any(|k| k.ends_with("/task-0-0")), "{files:?}");

    let resumed = s3_env(Command::new(CHECKPOINTED_COUNT).args(["-p", "3"]).args(flags))
        .args(["--from-savepoint", &checkpoint])
        .args(job_args)
        .output()
        .unwrap();
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert!(
        stderr(&resumed).contains(&format!("job 'checkpointed_count' restored checkpoint {id}")),
        "{}",
        stderr(&resumed)
    );
    let want = expected_lines(n, keys_n);
    let got = committed_lines(&out);
    assert_eq!(got.len(), want.len(), "every line once");
    assert!(got == want, "the lines of a run without the kill");
}

#[test]
fn a_bucket_that_is_not_there_fails_the_job_naming_it() {
    let missing = format!("s3://no-such-bucket-{}/jobs", std::process::id());
    let out = s3_env(Command::new(CHECKPOINTED_COUNT).args(["-p", "1", "--checkpoint-interval", "50ms"]))
        .args(["--checkpoint-dir", &missing, "--", "--n", "100000", "--pause-every", "100"])
        .args(["--out", tempfile::tempdir().unwrap().path().join("out").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains(&format!("no-such-bucket-{}", std::process::id())), "{}", stderr(&out));
}

#[test]
fn a_scheme_other_than_s3_is_a_usage_error() {
    let out = Command::new(CHECKPOINTED_COUNT)
        .args(["--checkpoint-interval", "1s", "--checkpoint-dir", "gs://bucket/x", "--", "--n", "10"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not to gs://"), "{}", stderr(&out));
}
