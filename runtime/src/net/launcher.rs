//! `--processes N`: a job binary runs its job over N processes of itself on this machine.
//!
//! The process started by the user is the coordinator: it starts N workers (the same
//! binary with `--worker I --coordinator ADDR`), tells each where the others listen, and
//! waits for their results. A worker that fails makes the coordinator stop the others and
//! report the failure; a coordinator that goes away makes its workers stop. This is the
//! smallest cluster there is, and the wiring a TaskManager will use to run its share.
//!
//! The control protocol is one line per message over TCP, after both sides proved the job's
//! secret ([`auth`]): `hello INDEX DATA_ADDR` (worker), `peers ADDR...` (coordinator), then
//! `alive` every second (worker), the checkpoints' messages (`checkpoint N`, `complete N`,
//! `savepoint N drain|keep DIR` from the coordinator, see `process_checkpoints`;
//! `checkpointed N`, `declined N WHY` from a worker), and at the end `ok` | `cancelled WHY`
//! | `failed MESSAGE` (worker; its side is `worker`). A worker silent for [`HEARTBEAT_TIMEOUT`] fails the job, named; workers that do
//! not stop within [`TERM_GRACE`] of a SIGTERM are killed.

use super::auth::{self, Secret, AUTH_TIMEOUT, SECRET_ENV};
use super::cluster_link::Order;
use super::control::{read_line, LineReader};
use super::process_checkpoints::{restore_id, Checkpointing, ProcessCheckpoints};
use super::workers::{LocalWorkers, WorkerCommand, Workers};
use crate::checkpoint::config::JobEnd;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long the coordinator waits for its workers to start and say hello.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A worker silent for this long (stopped, hung, its machine gone) fails the job.
const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long workers have to stop after SIGTERM before they are killed.
const TERM_GRACE: Duration = Duration::from_secs(5);

/// How a worker's share of the job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Finished,
    Cancelled(String),
    Failed(String),
    /// Failed because another process did (see [`JobError::is_consequence`]).
    ///
    /// [`JobError::is_consequence`]: crate::JobError::is_consequence
    FailedAfter(String),
}

impl Outcome {
    /// How a worker's run ended.
    pub fn of(result: Result<(), crate::JobError>) -> Outcome {
        match result {
            Ok(()) => Outcome::Finished,
            Err(crate::JobError::Cancelled(why)) => Outcome::Cancelled(why.to_owned()),
            Err(e) if e.is_consequence() => Outcome::FailedAfter(e.to_string()),
            Err(e) => Outcome::Failed(e.to_string()),
        }
    }
}

/// Runs the job over `processes` workers of this binary, each with `parallelism` as its
/// `-p`; returns the first failure (naming the process), or how the job ended. With
/// checkpoints, a failed worker restarts the job, every worker, from the last checkpoint
/// under the restart strategy.
pub fn run_processes(
    processes: usize,
    parallelism: usize,
    parameters: &[String],
    checkpoints: Option<ProcessCheckpoints>,
) -> Outcome {
    let storage =
        checkpoints.as_ref().filter(|c| c.periodic).map(|c| crate::checkpoint::CheckpointStorage::new(c.dir.clone()));
    if let Some(storage) = &storage {
        if let Err(why) = storage.prepare() {
            return Outcome::Failed(why);
        }
    }
    let outcome = run_restarting(processes, parallelism, parameters, checkpoints.as_ref());
    // What becomes of the job's checkpoints now that it has ended.
    if let (Some(storage), Some(c)) = (&storage, &checkpoints) {
        let end = match &outcome {
            Outcome::Finished => JobEnd::Finished,
            Outcome::Cancelled(_) => JobEnd::Cancelled,
            Outcome::Failed(_) | Outcome::FailedAfter(_) => JobEnd::Failed,
        };
        storage.job_ended(c.retention, end);
    }
    outcome
}

/// [`run_processes`] until the job ends, restarting its processes under the restart strategy.
fn run_restarting(
    processes: usize,
    parallelism: usize,
    parameters: &[String],
    checkpoints: Option<&ProcessCheckpoints>,
) -> Outcome {
    let mut restarts = crate::checkpoint::config::Restarts::default();
    let mut restore = checkpoints.and_then(|c| c.restore.clone());
    loop {
        let outcome = match coordinate(processes, parallelism, parameters, checkpoints, restore.as_deref()) {
            Ok(o) => o,
            Err(e) => Outcome::Failed(e),
        };
        let (Outcome::Failed(why) | Outcome::FailedAfter(why), Some(c)) = (&outcome, checkpoints) else {
            return outcome;
        };
        let Some(delay) = restarts.next(&c.restart) else { return outcome };
        let storage = crate::checkpoint::CheckpointStorage::new(c.dir.clone());
        let latest = storage.completed_ids().last().map(|id| storage.chk(*id));
        restore = latest.clone().or(restore);
        let from = match &restore {
            Some(path) => format!("checkpoint {}", path.display()),
            None => "the beginning (no checkpoint to restore)".to_owned(),
        };
        tracing::warn!("job '{}' failed: {why}; restarting its processes in {delay:?} from {from}", c.job);
        if restore.is_some() {
            crate::checkpoint::stats::restored(&c.job);
        }
        // A signal while it waits cancels the job (it is not left for the next attempt).
        if let Some(why) = signals::wait_unless_signalled(delay) {
            return Outcome::Cancelled(why.to_owned());
        }
    }
}

/// What the coordinator hears: a worker's result, its share of a checkpoint, a signal, time.
enum Event {
    Outcome(Outcome),
    Checkpointed(u64),
    Declined(u64, String),
    Tick,
    /// The JobManager's order (`rill stop`).
    Order(Order),
    /// A worker's task metrics (encoded: [`crate::metrics::encode`]).
    Metrics(String),
    /// A worker's counters and gauges (encoded: [`crate::metrics::encode_user`]).
    UserMetrics(String),
}

fn coordinate(
    processes: usize,
    parallelism: usize,
    parameters: &[String],
    checkpoints: Option<&ProcessCheckpoints>,
    restore: Option<&std::path::Path>,
) -> Result<Outcome, String> {
    let control = super::listen("the workers")?;
    let addr = control.local_addr().map_err(|e| format!("cannot listen for the workers: {e}"))?;
    let secret = Secret::generate().map_err(|e| format!("cannot make the job's secret: {e}"))?;
    let (tx, rx) = mpsc::channel::<(usize, Event)>();
    let orders = std::sync::Mutex::new(tx.clone());
    let on_order = move |order: Order| {
        let _ = orders.lock().unwrap_or_else(|p| p.into_inner()).send((ORDER, Event::Order(order)));
    };
    let mut children: Box<dyn Workers> = match super::cluster_link::JobManagerLink::from_env(on_order)? {
        Some(link) => Box::new(link),
        None => Box::new(LocalWorkers::new()?),
    };
    for i in 0..processes {
        let mut args = vec!["-p".to_owned(), parallelism.to_string(), "--worker".into(), i.to_string()];
        args.extend(["--coordinator".to_owned(), addr.to_string()]);
        let mut env = vec![(SECRET_ENV.to_owned(), secret.to_hex())];
        if let Some(c) = checkpoints {
            // Every worker writes its share of each checkpoint into the job's directory.
            args.extend(["--checkpoint-interval".to_owned(), format!("{}ms", c.interval.as_millis().max(1))]);
            env.push((crate::checkpoint::storage::JOB_DIR_ENV.to_owned(), c.dir.display().to_string()));
        }
        if let Some(path) = restore {
            args.extend(["--from-savepoint".to_owned(), path.display().to_string()]);
        }
        args.push("--".into());
        args.extend(parameters.iter().cloned());
        // The secret goes in the environment: readable by this user only, argv by everyone.
        children.start(WorkerCommand { index: i, args, env })?;
    }
    let (streams, peers) = accept_workers(&control, &secret, processes, || children.check_alive())?;
    let peers: Vec<String> = peers.iter().map(SocketAddr::to_string).collect();
    let mut writers = Vec::with_capacity(processes);
    for (index, mut stream) in streams.into_iter().enumerate() {
        writeln!(stream, "peers {}", peers.join(" ")).map_err(|e| format!("cannot reach worker {index}: {e}"))?;
        writers.push(stream.try_clone().map_err(|e| format!("cannot reach worker {index}: {e}"))?);
        let tx = tx.clone();
        stream.set_read_timeout(Some(HEARTBEAT_TIMEOUT)).map_err(|e| e.to_string())?;
        std::thread::spawn(move || {
            let outcome = outcome_of(&stream, |event| {
                let _ = tx.send((index, event));
            });
            let _ = tx.send((index, Event::Outcome(outcome)));
        });
    }
    if let Some(c) = checkpoints {
        let (tx, every) = (tx.clone(), c.interval);
        std::thread::Builder::new()
            .name("checkpoint timer".into())
            .spawn(move || loop {
                std::thread::sleep(every);
                if tx.send((TICK, Event::Tick)).is_err() {
                    return;
                }
            })
            .map_err(|e| format!("cannot start the checkpoint timer: {e}"))?;
    }
    let mut checkpointing =
        Checkpointing { next: restore_id(restore) + 1, pending: None, stopping: None, savepoint_to: None };
    // SIGTERM and Ctrl-C (SIGINT) come to the coordinator alone (the workers have a process
    // group of their own) and are passed on as SIGTERM: the workers cancel and report, and
    // the coordinator reports the job cancelled; with --savepoint-on-stop, a savepoint first.
    signals::listen(tx)?;

    let mut cancelled = None;
    let mut terminated: Option<Instant> = None;
    // A failure caused by another (a connection that closed early): wait a moment for the
    // root cause from the process that stopped, and report that one.
    let mut consequence: Option<(usize, String, Instant)> = None;
    let mut reported = 0;
    while reported < processes {
        let next = match (&consequence, terminated) {
            (Some((_, _, until)), _) => match rx.recv_timeout(until.saturating_duration_since(Instant::now())) {
                Ok(next) => next,
                Err(_) => break,
            },
            (None, Some(grace)) => match rx.recv_timeout(grace.saturating_duration_since(Instant::now())) {
                Ok(next) => next,
                Err(mpsc::RecvTimeoutError::Timeout) => (GRACE_OVER, Event::Outcome(Outcome::Finished)),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            },
            (None, None) => match rx.recv() {
                Ok(next) => next,
                Err(_) => break,
            },
        };
        let next = match next {
            (index, Event::Outcome(o)) => (index, o),
            (_, Event::Order(Order::StopWithSavepoint { dir, drain })) => {
                match checkpoints {
                    Some(_) if checkpointing.stopping.is_none() && terminated.is_none() => {
                        tracing::info!("job: stopping with a savepoint under {} (rill stop)", dir.display());
                        checkpointing.stop_with_savepoint(&mut writers, processes, &dir, drain);
                    }
                    Some(_) => tracing::warn!("job: already stopping; the stop with a savepoint is not taken"),
                    None => tracing::warn!("job: keeps no state to take a savepoint of; not stopped"),
                }
                continue;
            }
            (_, Event::Tick) => {
                if checkpoints.is_some()
                    && terminated.is_none()
                    && cancelled.is_none()
                    && checkpointing.stopping.is_none()
                {
                    if let Some(c) = checkpoints.filter(|_| checkpointing.trigger(&mut writers, processes)) {
                        crate::checkpoint::stats::triggered(&c.job);
                    }
                }
                continue;
            }
            (index, Event::Metrics(tasks)) => {
                children.metrics(index, &tasks);
                // Once per round of the workers' heartbeats.
                if let Some(c) = checkpoints.filter(|_| index == 0) {
                    children.checkpoint_counts(&crate::checkpoint::stats::counts(&c.job));
                }
                continue;
            }
            (index, Event::UserMetrics(user)) => {
                children.user_metrics(index, &user);
                continue;
            }
            (index, Event::Checkpointed(id)) => {
                if let Some(c) = checkpoints {
                    if let Some(taken) = checkpointing.checkpointed(c, &mut writers, processes, index, id) {
                        children.savepoint_taken(taken.as_deref().map_err(String::as_str));
                    }
                }
                continue;
            }
            (_, Event::Order(Order::Savepoint { dir })) => {
                match checkpoints {
                    Some(_) if checkpointing.stopping.is_none() && terminated.is_none() => {
                        tracing::info!("job: taking a savepoint under {} (rill savepoint)", dir.display());
                        checkpointing.savepoint(&mut writers, processes, dir);
                    }
                    _ => children.savepoint_taken(Err("the job is stopping, or keeps no state")),
                }
                continue;
            }
            (index, Event::Declined(id, why)) => {
                if checkpointing.pending.as_ref().is_some_and(|p| p.0 == id) {
                    tracing::warn!("checkpoint {id} failed: worker process {index} declined it: {why}");
                    if let Some(c) = checkpoints {
                        crate::checkpoint::stats::failed(&c.job);
                    }
                    checkpointing.pending = None;
                }
                continue;
            }
        };
        if next.0 == SIGNAL {
            if let Outcome::Cancelled(why) = next.1 {
                let on_stop = checkpoints.and_then(|c| c.savepoint_on_stop.as_ref());
                if let (Some((dir, drain)), None) = (on_stop, &checkpointing.stopping) {
                    tracing::info!(
                        "job: {why}: taking a savepoint under {} before the processes stop (another signal cancels)",
                        dir.display()
                    );
                    checkpointing.stop_with_savepoint(&mut writers, processes, dir, *drain);
                    continue;
                }
                if terminated.is_none() {
                    children.terminate();
                    terminated = Some(Instant::now() + TERM_GRACE);
                }
                cancelled = cancelled.or(Some(why));
            }
            continue;
        }
        if next.0 == GRACE_OVER {
            let stuck = children.running();
            tracing::warn!(
                "worker process{} {} did not stop within {} s of SIGTERM: killed",
                if stuck.len() == 1 { "" } else { "es" },
                stuck.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
                TERM_GRACE.as_secs()
            );
            children.kill();
            break;
        }
        reported += 1;
        if let (Some(_), (index, Outcome::Failed(message))) = (terminated, &next) {
            // Stopping after SIGTERM, a worker that failed to (stopped, hung) is killed with
            // the rest: the job was cancelled, and stays so.
            tracing::warn!("worker process {index} {message}: killed");
            children.kill();
            break;
        }
        match next {
            (_, Outcome::Finished) => {}
            (_, Outcome::Cancelled(why)) => cancelled = cancelled.or(Some(why)),
            (index, Outcome::Failed(message)) => {
                // A worker that ended without a result died: say how (a signal, an exit code).
                let died = message.starts_with(NO_RESULT);
                let how = children.exit_of(index).filter(|_| died).map(|status| format!(": it {status}"));
                let how = how.unwrap_or_default();
                children.kill();
                return Ok(Outcome::Failed(format!("{message} (in worker process {index}{how})")));
            }
            (index, Outcome::FailedAfter(message)) => {
                consequence.get_or_insert((index, message, Instant::now() + Duration::from_secs(2)));
            }
        }
    }
    // After a cancel, a worker that lost its peer first is part of the cancel, not a failure.
    if let Some((index, message, _)) = consequence.filter(|_| cancelled.is_none()) {
        children.kill();
        return Ok(Outcome::Failed(format!("{message} (in worker process {index})")));
    }
    children.wait();
    Ok(cancelled.map_or(Outcome::Finished, Outcome::Cancelled))
}

/// A worker's control connection once it has proven the secret and said hello.
type Hello = (usize, SocketAddr, TcpStream);

/// Accepts one hello from each of `processes` workers, in whatever order they come. Each
/// connection proves the job's secret and says hello on a thread of its own within
/// [`AUTH_TIMEOUT`], so a silent or hostile connection holds up nothing; one that fails, or
/// a second hello for a worker already here, is refused with a line on stderr, and the job
/// goes on. `alive` fails the wait when a worker has died.
fn accept_workers(
    control: &TcpListener,
    secret: &Secret,
    processes: usize,
    mut alive: impl FnMut() -> Result<(), String>,
) -> Result<(Vec<TcpStream>, Vec<SocketAddr>), String> {
    control.set_nonblocking(true).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + START_TIMEOUT;
    let (tx, rx) = mpsc::channel::<(SocketAddr, Result<Hello, String>)>();
    let mut hellos: Vec<Option<(SocketAddr, TcpStream)>> = (0..processes).map(|_| None).collect();
    while hellos.iter().any(Option::is_none) {
        alive()?;
        if Instant::now() > deadline {
            return Err(format!("the worker processes did not start within {} s", START_TIMEOUT.as_secs()));
        }
        match control.accept() {
            Ok((stream, peer)) => {
                let (tx, secret) = (tx.clone(), secret.clone());
                std::thread::spawn(move || {
                    let _ = tx.send((peer, hello(stream, &secret, processes)));
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(format!("cannot accept a worker: {e}")),
        }
        while let Ok((peer, result)) = rx.try_recv() {
            match result {
                Ok((index, data, stream)) if hellos[index].is_none() => hellos[index] = Some((data, stream)),
                Ok((index, ..)) => {
                    tracing::warn!("refused a control connection from {peer}: worker {index} is here already")
                }
                Err(why) => tracing::warn!("refused a control connection from {peer}: {why}"),
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(hellos.into_iter().map(|h| h.expect("every worker said hello")).map(|(data, s)| (s, data)).unzip())
}

/// One connection's proof of the secret and its hello.
fn hello(mut stream: TcpStream, secret: &Secret, processes: usize) -> Result<Hello, String> {
    stream.set_nonblocking(false).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(AUTH_TIMEOUT)).map_err(|e| e.to_string())?;
    auth::server(&mut stream, secret)?;
    let line = read_line(&stream).map_err(|e| format!("it did not say hello: {e}"))?;
    let (index, data) = parse_hello(&line, processes)?;
    stream.set_read_timeout(None).map_err(|e| e.to_string())?;
    Ok((index, data, stream))
}

/// How a worker's failure begins when its control connection ended without its result.
const NO_RESULT: &str = "ended without a result";

/// The "worker index" of a signal the coordinator received.
const SIGNAL: usize = usize::MAX;

/// The "worker index" of the JobManager's orders.
const ORDER: usize = usize::MAX - 3;

/// The "worker index" of the checkpoint timer.
const TICK: usize = usize::MAX - 2;

/// The "worker index" of the end of the grace period after a SIGTERM.
const GRACE_OVER: usize = usize::MAX - 1;

/// How a worker's share ended, as its control connection says: heartbeats and checkpoint
/// answers (handed to `event`) until its result. A connection silent for
/// [`HEARTBEAT_TIMEOUT`] is a worker that stopped answering.
fn outcome_of(stream: &TcpStream, mut event: impl FnMut(Event)) -> Outcome {
    let mut lines = LineReader::new(stream);
    loop {
        match lines.next_line() {
            Ok(line) if line == "alive" => continue,
            // A worker with no tasks or no metrics of its own sends the word alone (a line's
            // end is trimmed as it is read).
            Ok(line) if line.split(' ').next() == Some("metrics") => {
                event(Event::Metrics(line["metrics".len()..].trim_start().to_owned()))
            }
            Ok(line) if line.split(' ').next() == Some("user-metrics") => {
                event(Event::UserMetrics(line["user-metrics".len()..].trim_start().to_owned()))
            }
            Ok(line) if line.starts_with("checkpointed ") || line.starts_with("declined ") => {
                let mut words = line.splitn(3, ' ');
                let (kind, id) = (words.next().unwrap_or(""), words.next().and_then(|n| n.parse().ok()));
                match (kind, id) {
                    ("checkpointed", Some(id)) => event(Event::Checkpointed(id)),
                    ("declined", Some(id)) => event(Event::Declined(id, words.next().unwrap_or("").to_owned())),
                    _ => return Outcome::Failed(format!("said '{line}', which is not a checkpoint's answer")),
                }
            }
            Ok(line) => return parse_outcome(&line),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return Outcome::Failed(format!(
                    "stopped answering (no heartbeat for {} s): stopped, hung or overloaded",
                    HEARTBEAT_TIMEOUT.as_secs()
                ))
            }
            Err(e) => return Outcome::Failed(format!("{NO_RESULT} ({e})")),
        }
    }
}

fn parse_hello(line: &str, processes: usize) -> Result<(usize, SocketAddr), String> {
    let mut words = line.split(' ');
    let (Some("hello"), Some(index), Some(addr), None) = (words.next(), words.next(), words.next(), words.next())
    else {
        return Err(format!("a worker said '{line}' instead of hello"));
    };
    let index: usize =
        index.parse().ok().filter(|i| *i < processes).ok_or_else(|| format!("bad worker index in '{line}'"))?;
    let addr = addr.parse().map_err(|_| format!("bad address in '{line}'"))?;
    Ok((index, addr))
}

fn parse_outcome(line: &str) -> Outcome {
    match line.split_once(' ').unwrap_or((line, "")) {
        ("ok", _) => Outcome::Finished,
        ("cancelled", why) => Outcome::Cancelled(why.to_owned()),
        ("failed", message) => Outcome::Failed(message.to_owned()),
        ("failed-after", message) => Outcome::FailedAfter(message.to_owned()),
        _ => Outcome::Failed(format!("said '{line}'")),
    }
}

/// The signal that cancels the job: SIGINT (Ctrl-C) or SIGTERM.
pub(crate) async fn cancelled() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::control::MAX_LINE;

    /// A worker's side of the control connection, up to its hello.
    fn worker(addr: SocketAddr, secret: Secret, index: usize, data: &str) -> TcpStream {
        let mut stream = TcpStream::connect(addr).unwrap();
        auth::client(&mut stream, &secret).unwrap();
        writeln!(stream, "hello {index} {data}").unwrap();
        stream
    }

    #[test]
    fn stray_control_connections_are_refused_without_holding_the_workers_up() {
        let control = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = control.local_addr().unwrap();
        let secret = Secret::generate().unwrap();
        // Ahead of the workers: a silent connection, a hello without the secret (the attack
        // that took a worker's place), and a process with a secret of its own.
        let silent = TcpStream::connect(addr).unwrap();
        let mut bare = TcpStream::connect(addr).unwrap();
        writeln!(bare, "hello 1 127.0.0.1:9").unwrap();
        let impostor = std::thread::spawn(move || {
            let mut s = TcpStream::connect(addr).unwrap();
            auth::client(&mut s, &Secret::generate().unwrap())
        });
        let workers = {
            let secret = secret.clone();
            std::thread::spawn(move || {
                let pause = || std::thread::sleep(Duration::from_millis(100));
                let first = worker(addr, secret.clone(), 0, "127.0.0.1:7000");
                pause();
                // Worker 0 again, with the secret: a second hello for a place that is taken.
                let again = worker(addr, secret.clone(), 0, "127.0.0.1:6666");
                pause();
                let second = worker(addr, secret, 1, "127.0.0.1:7001");
                (first, again, second)
            })
        };
        let started = Instant::now();
        let (streams, peers) = accept_workers(&control, &secret, 2, || Ok(())).unwrap();
        assert!(started.elapsed() < AUTH_TIMEOUT, "the silent connection held the workers up");
        assert_eq!(peers, ["127.0.0.1:7000".parse().unwrap(), "127.0.0.1:7001".parse::<SocketAddr>().unwrap()]);
        assert_eq!(streams.len(), 2);
        assert!(impostor.join().unwrap().unwrap_err().contains("does not hold this job's secret"));
        drop((silent, bare, workers.join().unwrap()));
    }

    #[test]
    fn control_lines_are_bounded() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut long = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (stream, _) = listener.accept().unwrap();
        std::thread::spawn(move || {
            let _ = long.write_all(&vec![b'x'; MAX_LINE as usize * 2]);
        });
        let e = read_line(&stream).unwrap_err();
        assert!(e.to_string().contains("a control line longer than 65536 bytes"), "{e}");
    }

    #[test]
    fn control_lines_parse() {
        assert_eq!(parse_hello("hello 1 127.0.0.1:9", 2).unwrap(), (1, "127.0.0.1:9".parse().unwrap()));
        assert!(parse_hello("hello 2 127.0.0.1:9", 2).unwrap_err().contains("bad worker index"));
        assert!(parse_hello("GET / HTTP/1.1", 2).unwrap_err().contains("instead of hello"));
        assert_eq!(parse_outcome("ok"), Outcome::Finished);
        assert_eq!(parse_outcome("cancelled SIGINT"), Outcome::Cancelled("SIGINT".into()));
        assert_eq!(parse_outcome("failed boom"), Outcome::Failed("boom".into()));
        assert_eq!(parse_outcome("failed-after gone"), Outcome::FailedAfter("gone".into()));
    }
}

/// The coordinator's signals, watched by one thread for the whole life of the process: a
/// signal goes to the attempt under way, or, between attempts (a restart's delay), is kept
/// and cancels the job. (A watcher per attempt swallowed a signal that came between two.)
mod signals {
    use super::{Event, Outcome, SIGNAL};
    use std::sync::{mpsc, Mutex, OnceLock};
    use std::time::{Duration, Instant};

    /// Where signals go: the attempt under way.
    static LISTENER: Mutex<Option<mpsc::Sender<(usize, Event)>>> = Mutex::new(None);
    /// A signal no attempt took.
    static PENDING: Mutex<Option<&'static str>> = Mutex::new(None);

    /// Sends this process's SIGTERM and SIGINT to `tx` from now on (a signal that came
    /// before goes there at once).
    pub(super) fn listen(tx: mpsc::Sender<(usize, Event)>) -> Result<(), String> {
        static WATCHER: OnceLock<Result<(), String>> = OnceLock::new();
        WATCHER
            .get_or_init(|| {
                std::thread::Builder::new()
                    .name("signals".into())
                    .spawn(|| {
                        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                            return;
                        };
                        // Every signal (a second one cancels a stop with a savepoint).
                        loop {
                            let why = runtime.block_on(super::cancelled());
                            deliver(why);
                        }
                    })
                    .map(|_| ())
                    .map_err(|e| format!("cannot watch for signals: {e}"))
            })
            .clone()?;
        if let Some(why) = PENDING.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = tx.send((SIGNAL, Event::Outcome(Outcome::Cancelled(why.to_owned()))));
        }
        *LISTENER.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
        Ok(())
    }

    fn deliver(why: &'static str) {
        let listener = LISTENER.lock().unwrap_or_else(|p| p.into_inner());
        let taken = listener
            .as_ref()
            .is_some_and(|tx| tx.send((SIGNAL, Event::Outcome(Outcome::Cancelled(why.to_owned())))).is_ok());
        if !taken {
            *PENDING.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
        }
    }

    /// Waits `delay`, unless a signal comes first: then which one.
    pub(super) fn wait_unless_signalled(delay: Duration) -> Option<&'static str> {
        let until = Instant::now() + delay;
        loop {
            if let Some(why) = PENDING.lock().unwrap_or_else(|p| p.into_inner()).take() {
                return Some(why);
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            std::thread::sleep(left.min(Duration::from_millis(20)));
        }
    }
}
