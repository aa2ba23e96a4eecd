//! What the tests of clusters share: the `rill` command, waiting, the job's counts in
//! `print` output, and certificates for HTTPS.
// Each test binary that includes this module uses a part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The `rill` command, built once (debug, next to the job binaries).
pub fn rill_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", "rill-cli", "--bin", "rill"])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "cargo build -p rill-cli failed");
        Path::new(env!("CARGO_BIN_EXE_word_count")).with_file_name("rill")
    })
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The job id in `rill run`'s "Job has been submitted with JobID ..." line.
pub fn job_id(stdout: &str) -> String {
    let id = stdout.lines().find_map(|l| l.strip_prefix("Job has been submitted with JobID ")).expect(stdout);
    assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    id.to_owned()
}

/// The last count of each word in `print` lines (`N> (word,count)`).
pub fn final_counts(lines: &str) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for line in lines.lines() {
        let Some((_, pair)) = line.split_once("> (") else { continue };
        let Some((word, n)) = pair.trim_end_matches(')').rsplit_once(',') else { continue };
        let n: i64 = n.parse().unwrap();
        let e = counts.entry(word.to_owned()).or_insert(0);
        *e = (*e).max(n);
    }
    counts
}

pub fn wait_for(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A CA and a certificate for 127.0.0.1 that it signed, made with openssl: the CA's PEM,
/// the chain (the server's certificate, then the CA's) and the server's key.
pub fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl runs");
        assert!(out.status.success(), "openssl {args:?}: {}", text(&out.stderr));
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        "/CN=rill test CA",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    let chain = [std::fs::read(dir.join("server.pem")).unwrap(), std::fs::read(dir.join("ca.pem")).unwrap()].concat();
    std::fs::write(dir.join("chain.pem"), chain).unwrap();
    (dir.join("ca.pem"), dir.join("chain.pem"), dir.join("server.key"))
}
