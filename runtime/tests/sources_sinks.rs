//! The sources and sinks that touch the outside: files and sockets.

mod common;

use common::{collect, Collected};
use rill::prelude::*;
use std::io::Write;

static LINES: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn read_file(env: &mut Env) {
    let path = env.parameter("input").expect("--input").to_owned();
    env.read_text_file(path).map(|l| l.to_uppercase()).sink_to(collect(&LINES));
}

#[test]
fn read_text_file_emits_each_line_without_its_line_break() {
    let dir = tempdir();
    let path = dir.join("in.txt");
    std::fs::write(&path, "one\ntwo\r\n\nlast without newline").unwrap();
    READ_FILE_JOB.run(Some(1), &["--input", path.to_str().unwrap()]).unwrap();
    assert_eq!(LINES.values(), ["ONE", "TWO", "", "LAST WITHOUT NEWLINE"]);
}

#[test]
fn a_missing_input_file_is_an_error_naming_it() {
    let err = READ_FILE_JOB.run(Some(1), &["--input", "/nonexistent/rill-input.txt"]).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("read_text_file: cannot open /nonexistent/rill-input.txt"), "{msg}");
}

#[rill::job(no_main)]
fn write_file(env: &mut Env) {
    let path = env.parameter("output").expect("--output").to_owned();
    env.from_sequence(1, 6).map(|n| (n, n * n)).write_as_text(path);
}

#[test]
fn write_as_text_writes_a_file_or_a_directory_of_subtask_files() {
    let dir = tempdir();
    let file = dir.join("squares.txt");
    WRITE_FILE_JOB.run(Some(1), &["--output", file.to_str().unwrap()]).unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "(1,1)\n(2,4)\n(3,9)\n(4,16)\n(5,25)\n(6,36)\n");

    let out = dir.join("parallel");
    WRITE_FILE_JOB.run(Some(2), &["--output", out.to_str().unwrap()]).unwrap();
    let one = std::fs::read_to_string(out.join("1")).unwrap();
    let two = std::fs::read_to_string(out.join("2")).unwrap();
    assert_eq!(one, "(1,1)\n(2,4)\n(3,9)\n");
    assert_eq!(two, "(4,16)\n(5,25)\n(6,36)\n");
}

#[rill::job(no_main)]
fn write_many(env: &mut Env) {
    let path = env.parameter("output").expect("--output").to_owned();
    env.from_sequence(1, 100_000).write_as_text(path);
}

#[test]
fn a_full_disk_is_a_job_error_naming_the_file_not_a_panic() {
    let err = WRITE_MANY_JOB.run(Some(1), &["--output", "/dev/full"]).unwrap_err();
    // An I/O error of the job, not an operator panic with a backtrace on stderr.
    assert!(matches!(err, JobError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("write_as_text: cannot write /dev/full"), "{err}");
    assert!(err.to_string().contains("No space left on device"), "{err}");
}

#[test]
fn write_as_text_to_an_unwritable_place_is_an_error_naming_it() {
    let err = WRITE_FILE_JOB.run(Some(1), &["--output", "/proc/rill-cannot-write-here"]).unwrap_err();
    assert!(err.to_string().contains("write_as_text: cannot create /proc/rill-cannot-write-here"), "{err}");
}

static SOCKET: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn socket(env: &mut Env) {
    let port: u16 = env.parameter_or("port", 0);
    env.socket_text_stream("127.0.0.1", port).sink_to(collect(&SOCKET));
}

static SOCKET_DELIM: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn socket_delimited(env: &mut Env) {
    let port: u16 = env.parameter_or("port", 0);
    env.socket_text_stream("127.0.0.1", port, ";").sink_to(collect(&SOCKET_DELIM));
}

fn serve(payload: &'static [u8]) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        for chunk in payload.chunks(3) {
            conn.write_all(chunk).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    });
    port
}

#[test]
fn socket_text_stream_reads_records_until_the_server_closes() {
    let port = serve(b"hello world\r\nsecond line\nunterminated");
    SOCKET_JOB.run(Some(2), &["--port", &port.to_string()]).unwrap();
    assert_eq!(SOCKET.values(), ["hello world", "second line", "unterminated"]);

    let port = serve(b"a;bb;;ccc;");
    SOCKET_DELIMITED_JOB.run(Some(1), &["--port", &port.to_string()]).unwrap();
    assert_eq!(SOCKET_DELIM.values(), ["a", "bb", "", "ccc"]);
}

static SOCKET_LIMITED: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn socket_limited(env: &mut Env) {
    let port: u16 = env.parameter_or("port", 0);
    env.socket_text_stream("127.0.0.1", port, "\n", 16).sink_to(collect(&SOCKET_LIMITED));
}

#[test]
fn socket_text_stream_refuses_a_record_over_its_limit() {
    let port = serve(b"short\nthis line is longer than sixteen bytes and never ends");
    let err = SOCKET_LIMITED_JOB.run(Some(1), &["--port", &port.to_string()]).unwrap_err().to_string();
    assert!(err.contains("sent more than 16 bytes without a delimiter"), "{err}");
    assert_eq!(SOCKET_LIMITED.values(), ["short"]);
}

#[test]
fn socket_text_stream_without_a_server_says_how_to_start_one() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = SOCKET_JOB.run(Some(1), &["--port", &port.to_string()]).unwrap_err().to_string();
    assert!(err.contains(&format!("cannot connect to 127.0.0.1:{port}")), "{err}");
    assert!(err.contains(&format!("nc -lk {port}")), "{err}");
}

fn tempdir() -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("rill-test-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[rill::job(no_main)]
fn two_prints(env: &mut Env) {
    // All of it in one chain: one subtask everywhere.
    let numbers = env.from_iter(1..=2000);
    numbers.filter(|n| n % 2 == 1).set_parallelism(1).print().set_parallelism(1);
    numbers.filter(|n| n % 2 == 0).set_parallelism(1).print().set_parallelism(1);
}

#[test]
fn two_prints_in_one_chain_print_in_the_order_records_were_processed() {
    // The job prints to the real standard output: run this test again as a child, which
    // runs the job, and read what it printed.
    if std::env::var_os("RILL_TWO_PRINTS_CHILD").is_some() {
        TWO_PRINTS_JOB.run(Some(1), &[]).unwrap();
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "two_prints_in_one_chain_print_in_the_order_records_were_processed", "--nocapture"])
        .env("RILL_TWO_PRINTS_CHILD", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: Vec<u32> =
        String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.trim().parse().ok()).collect();
    // Each sink used to keep its own buffer: all odd numbers, then all even ones.
    assert_eq!(printed, (1..=2000).collect::<Vec<u32>>());
}
