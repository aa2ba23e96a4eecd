//! One job split over several processes: every exchange between subtasks placed in
//! different processes goes over TCP, encoded with `Codec`. Each "process" here is a thread
//! that runs its share as a `net::Member` with its own listener, so the test sees every
//! record the sinks of all processes wrote; the job binary's `--processes N`, which starts
//! real processes, is tested in `examples/tests/quickstart.rs`.

mod common;

use common::{collect, Collected};
use rill::net::auth::Secret;
use rill::net::Member;
use rill::prelude::*;
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Serializes the tests: they share the statics their sinks write to.
static SERIAL: Mutex<()> = Mutex::new(());

/// Listeners and peer lists for `n` processes on loopback.
fn members(n: usize) -> Vec<Member> {
    let listeners: Vec<TcpListener> = (0..n).map(|_| TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    let peers: Vec<_> = listeners.iter().map(|l| l.local_addr().unwrap()).collect();
    let secret = Secret::generate().unwrap();
    listeners
        .into_iter()
        .enumerate()
        .map(|(index, listener)| Member::new(index, peers.clone(), listener, secret.clone()))
        .collect()
}

/// Runs `job` over `n` processes at parallelism `p`; returns each process's result.
fn run_split(job: &'static rill::Job, n: usize, p: usize) -> Vec<Result<(), JobError>> {
    let threads: Vec<_> = members(n).into_iter().map(|m| std::thread::spawn(move || job.run_as(&m, p, &[]))).collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

/// A record type of the user's, crossing processes through its derived `Codec`.
#[derive(rill::Codec, Debug, Clone, PartialEq)]
struct Reading {
    sensor: String,
    at: i64,
    value: f64,
    tags: Vec<(String, Option<u32>)>,
}

static WINDOWS: Collected<(String, i64, f64, usize)> = Collected::new();

/// Keyed event-time windows behind a rebalance and a hash exchange: records, watermarks and
/// end of input all cross between processes.
#[rill::job(no_main)]
fn sensor_windows(env: &mut Env) {
    env.from_sequence(0, 19_999)
        .map(|i| Reading {
            sensor: format!("sensor-{}", i % 7),
            at: i * 10 + (i % 13) * 3,
            value: (i % 100) as f64 / 4.0,
            tags: vec![("rack".to_owned(), Some((i % 3) as u32))],
        })
        .rebalance()
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_millis(50))
                .with_timestamp_assigner(|r: &Reading, _| r.at),
        )
        .key_by(|r| r.sensor.clone())
        .window(TumblingEventTimeWindows::of(Duration::from_secs(5)))
        .process(|key, window, elements, out| {
            let sum: f64 = elements.iter().map(|r| r.value).sum();
            let tagged = elements.iter().filter(|r| r.tags[0].1 == Some(0)).count();
            out.collect((key.clone(), window.start, sum, tagged));
        })
        .sink_to(collect(&WINDOWS));
}

fn sorted(mut v: Vec<(String, i64, f64, usize)>) -> Vec<(String, i64, f64, usize)> {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v
}

#[test]
fn windows_over_two_processes_equal_windows_in_one() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    SENSOR_WINDOWS_JOB.run(Some(4), &[]).unwrap();
    let local = sorted(WINDOWS.values());
    assert!(local.len() > 7 * 30, "{} windows", local.len());

    for r in run_split(&SENSOR_WINDOWS_JOB, 2, 4) {
        r.unwrap();
    }
    assert_eq!(sorted(WINDOWS.values()), local);

    for r in run_split(&SENSOR_WINDOWS_JOB, 3, 4) {
        r.unwrap();
    }
    assert_eq!(sorted(WINDOWS.values()), local);
}

static CONNECTED: Collected<String> = Collected::new();

/// Two inputs into one chain, each from a source in process 0, consumed in both processes.
#[rill::job(no_main)]
fn connected(env: &mut Env) {
    let numbers = env.from_sequence(1, 1000);
    let words = env.from_elements(["a", "b", "c"]);
    numbers
        .key_by(|n| n % 10)
        .connect(words.broadcast())
        .co_map(|n| format!("n{n}"), |w| w.to_uppercase())
        .sink_to(collect(&CONNECTED));
}

#[test]
fn two_input_chains_take_both_inputs_across_processes() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for r in run_split(&CONNECTED_JOB, 2, 2) {
        r.unwrap();
    }
    let got = CONNECTED.take();
    let numbers: Vec<_> = got.iter().filter(|(_, v)| v.starts_with('n')).collect();
    assert_eq!(numbers.len(), 1000);
    // Broadcast: both subtasks, one per process, got every word.
    for subtask in 0..2 {
        let mut words: Vec<_> =
            got.iter().filter(|(s, v)| *s == subtask && !v.starts_with('n')).map(|(_, v)| v.clone()).collect();
        words.sort();
        assert_eq!(words, ["A", "B", "C"], "subtask {subtask}");
    }
}

static EMITTED: AtomicU64 = AtomicU64::new(0);
static SUNK: AtomicU64 = AtomicU64::new(0);
static MAX_AHEAD: AtomicU64 = AtomicU64::new(0);

/// A sink that is slow, and notes how far the sources ran ahead of it.
#[derive(Clone)]
struct SlowSink;

impl rill::Sink<String> for SlowSink {
    fn write(&mut self, value: String) {
        assert_eq!(value.len(), 100);
        let sunk = SUNK.fetch_add(1, Ordering::Relaxed) + 1;
        MAX_AHEAD.fetch_max(EMITTED.load(Ordering::Relaxed).saturating_sub(sunk), Ordering::Relaxed);
        if sunk.is_multiple_of(200) {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

#[rill::job(no_main)]
fn slow_consumer(env: &mut Env) {
    env.from_sequence(1, 1_000_000)
        .map(|i| {
            EMITTED.fetch_add(1, Ordering::Relaxed);
            format!("{i:0>100}")
        })
        .rebalance()
        .sink_to(SlowSink);
}

#[test]
fn backpressure_crosses_the_process_boundary() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for r in run_split(&SLOW_CONSUMER_JOB, 2, 2) {
        r.unwrap();
    }
    assert_eq!(SUNK.load(Ordering::Relaxed), 1_000_000);
    // In flight at most: the channels on both sides and the sockets' buffers (a few MB of
    // 100-byte records). Without backpressure the sources would finish while the sinks
    // had taken a few thousand.
    let ahead = MAX_AHEAD.load(Ordering::Relaxed);
    assert!(ahead < 250_000, "the sources ran {ahead} records ahead of the sinks");
}

static FAILED_AT: Collected<i64> = Collected::new();

#[rill::job(no_main)]
fn fails_remotely(env: &mut Env) {
    env.from_sequence(0, 99_999)
        .key_by(|n| n % 16)
        .map(|n| {
            assert!(n != 77_777, "cannot take {n}");
            n
        })
        .name("picky")
        .sink_to(collect(&FAILED_AT));
}

#[test]
fn a_failure_in_one_process_names_the_operator_and_fails_that_process() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let results = run_split(&FAILS_REMOTELY_JOB, 2, 2);
    let errors: Vec<String> = results.iter().filter_map(|r| r.as_ref().err()).map(|e| e.to_string()).collect();
    assert!(errors.iter().any(|e| e.contains("operator 'picky'") && e.contains("cannot take 77777")), "{errors:?}");
    FAILED_AT.take();
}

/// Connections a hostile or careless local process makes to a job's exchange port: one that
/// stays silent, one that sends a handshake without proving the secret, one that sends
/// garbage, one that proves a secret of its own. Each is held open while the job runs.
fn strays(addr: std::net::SocketAddr) -> Vec<std::net::TcpStream> {
    use std::io::Write;
    let silent = std::net::TcpStream::connect(addr).unwrap();
    let mut unproven = std::net::TcpStream::connect(addr).unwrap();
    let mut handshake = b"RILL".to_vec();
    handshake.extend_from_slice(&[1, 0]);
    handshake.extend_from_slice(&[0; 21]);
    let _ = unproven.write_all(&handshake);
    let mut garbage = std::net::TcpStream::connect(addr).unwrap();
    let _ = garbage.write_all(&[0xff; 4096]);
    let impostor = std::net::TcpStream::connect(addr).unwrap();
    let mut proving = impostor.try_clone().unwrap();
    // It waits for the job's answer, so it proves its own secret on a thread of its own.
    std::thread::spawn(move || rill::net::auth::client(&mut proving, &Secret::generate().unwrap()));
    vec![silent, unproven, garbage, impostor]
}

#[test]
fn stray_connections_to_an_exchange_port_are_refused_and_the_job_is_unharmed() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    SENSOR_WINDOWS_JOB.run(Some(4), &[]).unwrap();
    let local = sorted(WINDOWS.values());

    let members = members(2);
    // They get there first, ahead of the job's own connections.
    let held: Vec<_> = members.iter().flat_map(|m| strays(m.listener.local_addr().unwrap())).collect();
    let started = std::time::Instant::now();
    let threads: Vec<_> =
        members.into_iter().map(|m| std::thread::spawn(move || SENSOR_WINDOWS_JOB.run_as(&m, 4, &[]))).collect();
    for t in threads {
        t.join().unwrap().unwrap();
    }
    drop(held);
    assert_eq!(sorted(WINDOWS.values()), local);
    // The silent ones did not hold the job's own connections up until they timed out.
    assert!(started.elapsed() < rill::net::auth::AUTH_TIMEOUT, "took {:?}", started.elapsed());
}
