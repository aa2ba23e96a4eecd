//! The local executor: every subtask of every chain in this process (Flink's embedded
//! mini-cluster). Each subtask runs on a thread of its own with a single-threaded tokio
//! runtime, as each Flink task has its thread: producer and consumer run on different cores
//! at once instead of taking turns on one worker, and a busy chain cannot starve another.

use crate::checkpoint::config::JobEnd;
use crate::checkpoint::coordinator::{Coordinator, SavepointRequest};
use crate::checkpoint::storage::Completed;
use crate::checkpoint::{CheckpointConfig, CheckpointStorage, RestartStrategy};
use crate::core::error::JobError;
use crate::core::plan::PlanSpec;
use crate::core::runtime_context::Endpoints;
use crate::executor::chains::ChainRunner;
use crate::executor::task::TaskInfo;
use crate::net::links::Links;
use crate::net::{Member, Placement};
use std::any::Any;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

mod catch_panic;
pub mod chains;
mod savepoint;
pub mod task;

/// A job as its function built it: the plan, a runner per chain, and the settings made on
/// `env`. The executor runs it.
pub(crate) struct JobGraph {
    pub(crate) plan: &'static PlanSpec,
    pub(crate) chains: Vec<(u32, Box<dyn ChainRunner>)>,
    pub(crate) parallelism_overrides: Vec<(u32, usize)>,
    pub(crate) default_parallelism: Option<usize>,
    pub(crate) buffer_timeout: Duration,
    pub(crate) auto_watermark_interval: Duration,
    pub(crate) clock: crate::time::Clock,
    /// `enable_checkpointing` and its settings.
    pub(crate) checkpointing: Option<CheckpointConfig>,
    /// `set_restart_strategy`; `None`: Flink's default (exponential delay with
    /// checkpoints, no restart without).
    pub(crate) restart: Option<RestartStrategy>,
    /// `--from-savepoint PATH`: the savepoint or retained checkpoint the job starts from,
    /// and whether state of operators the job no longer has may be left behind.
    pub(crate) restore_from: Option<(std::path::PathBuf, bool)>,
    /// `--savepoint-on-stop DIR [--drain]`: SIGTERM takes a savepoint and stops the job.
    pub(crate) savepoint_on_stop: Option<(std::path::PathBuf, bool)>,
}

impl JobGraph {
    pub(crate) fn new(plan: &'static PlanSpec) -> Self {
        JobGraph {
            plan,
            chains: Vec::new(),
            parallelism_overrides: Vec::new(),
            default_parallelism: None,
            buffer_timeout: Duration::from_millis(100),
            auto_watermark_interval: Duration::from_millis(200),
            clock: crate::time::Clock::System,
            checkpointing: None,
            restart: None,
            restore_from: None,
            savepoint_on_stop: None,
        }
    }
}

/// The parallelism of every chain, in plan order.
pub fn resolve_parallelism(env: &JobGraph, cli_default: usize) -> (usize, Vec<usize>) {
    let default = env.default_parallelism.unwrap_or(cli_default).max(1);
    (default, env.plan.parallelism(default, &env.parallelism_overrides))
}

/// Runs the job to its end (bounded sources), its first failure, or cancellation (SIGINT,
/// SIGTERM, or `stop` being notified).
pub fn execute(env: JobGraph, cli_default: usize, stop: Option<Arc<JobControl>>) -> Result<(), JobError> {
    execute_as(env, cli_default, stop, None)
}

/// Runs this process's share of the job: all of it, or, as a [`Member`] of a job split
/// over several processes, the subtasks placed here, connected to the others by TCP.
pub fn execute_as(
    env: JobGraph,
    cli_default: usize,
    stop: Option<Arc<JobControl>>,
    member: Option<&Member>,
) -> Result<(), JobError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| JobError::io("cannot start the runtime", e))?;
    runtime.block_on(run_restarting(env, cli_default, stop, member))
}

/// What one run of a checkpointed job takes: where checkpoints go and what it restores.
struct Attempt {
    config: CheckpointConfig,
    storage: CheckpointStorage,
    restored: Option<Completed>,
    /// When reading the checkpoint restored from began.
    restoring_since: Instant,
    completed: Arc<AtomicU64>,
}

/// Runs the job, and after a failure runs it again under its restart strategy, from the
/// newest checkpoint that reads back whole (Flink's failover of the whole job).
async fn run_restarting(
    env: JobGraph,
    cli_default: usize,
    stop: Option<Arc<JobControl>>,
    member: Option<&Member>,
) -> Result<(), JobError> {
    let job = env.plan.job;
    let mut restoring_since = Instant::now();
    let mut restored = match &env.restore_from {
        Some((path, allow_non_restored)) => Some(savepoint::open(env.plan, path, *allow_non_restored)?),
        None => None,
    };
    // A job restored without checkpoints of its own still hands its operators their state.
    let keeps_state = restored.is_some() || env.savepoint_on_stop.is_some() || stop.is_some();
    let checkpointing = env.checkpointing.clone().or_else(|| keeps_state.then(CheckpointConfig::never));
    // A worker of a job split over processes writes its share of each checkpoint into the
    // job's directory, which its coordinator names.
    let member_dir = member.and_then(|_| std::env::var_os(crate::checkpoint::storage::JOB_DIR_ENV)).map(PathBuf::from);
    let config = match (&checkpointing, member) {
        (Some(config), None) => Some(config.clone()),
        (Some(config), Some(_)) if member_dir.is_some() => Some(config.clone()),
        (Some(_), Some(_)) => None,
        (None, _) => None,
    };
    let strategy = match (&env.restart, &env.checkpointing) {
        (Some(s), _) if member.is_none() => s.clone(),
        (_, Some(_)) if member.is_none() => RestartStrategy::exponential_delay(),
        _ => RestartStrategy::None,
    };
    let storage = config.as_ref().map(|c| match &member_dir {
        Some(dir) => CheckpointStorage::new(dir.clone()),
        None => CheckpointStorage::new(c.base_dir().join(crate::checkpoint::storage::new_job_id())),
    });
    if let (Some(storage), None, Some(_)) = (&storage, member, &env.checkpointing) {
        storage.prepare().map_err(JobError::Config)?;
    }
    let completed = Arc::new(AtomicU64::new(0));
    let mut restarts = crate::checkpoint::config::Restarts::default();
    let ended = loop {
        let attempt = config.as_ref().zip(storage.as_ref()).map(|(config, storage)| Attempt {
            config: config.clone(),
            storage: storage.clone(),
            restored: restored.take(),
            restoring_since,
            completed: completed.clone(),
        });
        let restartable = strategy != RestartStrategy::None;
        let error = match run(&env, cli_default, stop.clone(), member, attempt, restartable).await {
            Ok(()) => break Ok(()),
            Err(e @ (JobError::Cancelled(_) | JobError::OutputClosed)) => break Err(e),
            Err(e) => e,
        };
        let Some(delay) = restarts.next(&strategy) else { break Err(error) };
        let reading = Instant::now();
        restored = storage.as_ref().and_then(|s| {
            s.latest(|id, why| {
                tracing::warn!("checkpoint {id} of job '{job}' cannot be restored: {why}; trying the one before")
            })
        });
        // A job started from a savepoint that fails before its own first checkpoint
        // restarts from that savepoint again, as Flink does, not from the beginning.
        if restored.is_none() {
            if let Some((path, allow_non_restored)) = &env.restore_from {
                match savepoint::open(env.plan, path, *allow_non_restored) {
                    Ok(savepoint) => restored = Some(savepoint),
                    Err(e) => break Err(e),
                }
            }
        }
        let from = match &restored {
            Some(c) => format!("checkpoint {} ({})", c.checkpoint, c.path.display()),
            None => "the beginning (no checkpoint to restore)".to_owned(),
        };
        tracing::warn!("job '{job}' failed: {error}; restarting in {delay:?} from {from}");
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            why = crate::net::launcher::cancelled() => break Err(JobError::Cancelled(why)),
            () = async { stop.as_ref().expect("checked").notify.notified().await }, if stop.is_some() => {
                break Err(JobError::Cancelled("cancelled"));
            }
        }
        // The restore's time: reading the checkpoint, then the tasks opening with it.
        restoring_since = Instant::now() - reading.elapsed().saturating_sub(delay);
    };
    // The coordinator's end: what becomes of the job's checkpoints (a worker's are its
    // coordinator's to discard).
    if let (Some(config), Some(storage), None) = (&config, &storage, member) {
        let end = match &ended {
            Ok(()) => JobEnd::Finished,
            Err(JobError::Cancelled(_) | JobError::OutputClosed) => JobEnd::Cancelled,
            Err(_) => JobEnd::Failed,
        };
        storage.job_ended(config.retention, end);
    }
    ended
}

/// The fingerprint both ends of an exchange connection must share: the plan and every
/// chain's parallelism.
pub fn job_fingerprint(env: &JobGraph, cli_default: usize) -> u64 {
    let (default, parallelism) = resolve_parallelism(env, cli_default);
    crate::net::frame::fingerprint(&crate::core::plan::to_json(env.plan, default, &parallelism))
}

async fn run(
    env: &JobGraph,
    cli_default: usize,
    stop: Option<Arc<JobControl>>,
    member: Option<&Member>,
    attempt: Option<Attempt>,
    restarts: bool,
) -> Result<(), JobError> {
    let plan = env.plan;
    let (_, parallelism) = resolve_parallelism(env, cli_default);
    let par_of = |chain: u32| parallelism[plan.chains.iter().position(|c| c.id == chain).expect("chain")];
    let placement = member.map_or(Placement::LOCAL, |m| Placement { processes: m.processes(), me: m.index });
    let mut links = Links::new(placement, job_fingerprint(env, cli_default));
    for edge in plan.edges {
        let writers = links.upstream.entry((edge.target, edge.input)).or_default();
        for s in 0..par_of(edge.source) {
            *writers.entry(placement.process_of(s)).or_default() += 1;
        }
    }

    // Number the input channels of each consumer chain: edge by edge, upstream subtask by subtask.
    let mut endpoints = Endpoints::default();
    let mut channels: HashMap<u32, [usize; 2]> = HashMap::new();
    for edge in plan.edges {
        let n = &mut channels.entry(edge.target).or_insert([0, 0])[edge.input as usize];
        endpoints.channel_offsets.insert(edge.id, *n as u32);
        *n += par_of(edge.source);
        let owners = links.channel_owners.entry((edge.target, edge.input)).or_default();
        owners.extend((0..par_of(edge.source)).map(|s| placement.process_of(s)));
    }

    let mut inputs: HashMap<u32, Vec<Option<Box<dyn Any + Send>>>> = HashMap::new();
    for (chain, runner) in &env.chains {
        let n = channels.get(chain).copied().unwrap_or([0, 0]);
        if n[0] + n[1] > 0 {
            inputs.insert(*chain, runner.create_inputs(*chain, par_of(*chain), n, &mut endpoints, &mut links));
        }
    }
    let endpoints = Arc::new(endpoints);
    let cancel = Arc::new(AtomicBool::new(false));

    let mut restoring = None;
    let (coordinator, checkpoints) = match attempt {
        Some(a) => {
            restoring = a.restored.as_ref().map(|c| (c.checkpoint, a.restoring_since));
            let tasks = env
                .chains
                .iter()
                .map(|(chain, _)| (0..par_of(*chain)).filter(|s| placement.is_local(*s)).count())
                .sum();
            let newest = a.storage.completed_ids().last().copied().unwrap_or(0);
            let restored_id = a.restored.as_ref().map_or(0, |c| c.checkpoint);
            let after = newest.max(a.completed.load(Ordering::Acquire)).max(restored_id);
            let restored = a.restored.map(|c| Arc::new(c.operators));
            let (c, h) = Coordinator::new(a.config, a.storage, plan.job, tasks, after, restored, a.completed);
            (Some(c), Some(h))
        }
        None => (None, None),
    };

    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Result<(), JobError>>();
    let mut running = 0usize;
    if let Some(member) = member {
        // Each connection's bridge runs on a thread of its own, as a task does.
        for (start, stream, what) in links.connect(member).await? {
            let done = done_tx.clone();
            let bridge = crate::net::bridge::until_cancelled(start(stream), cancel.clone());
            spawn_thread(format!("exchange {what}"), bridge, done)?;
            running += 1;
        }
    }
    for (chain, runner) in &env.chains {
        let p = par_of(*chain);
        let max_parallelism = plan.chain(*chain).key_groups(p);
        let mut receivers = inputs.remove(chain).map(Vec::into_iter);
        let name = plan.chain(*chain).operators.first().map_or("task", |o| &*o.name);
        // Flink's vertex name: the chain's operators, in order.
        let vertex: String = plan.chain(*chain).operators.iter().map(|o| &*o.name).collect::<Vec<_>>().join(" -> ");
        for subtask in 0..p {
            let input = receivers.as_mut().and_then(Iterator::next).flatten();
            if !placement.is_local(subtask) {
                continue;
            }
            let info = TaskInfo {
                chain: *chain,
                subtask,
                parallelism: p,
                max_parallelism,
                plan,
                endpoints: Some(endpoints.clone()),
                buffer_timeout: env.buffer_timeout,
                tick_interval: env.auto_watermark_interval,
                clock: env.clock.clone(),
                cancel: cancel.clone(),
                checkpoints: checkpoints.as_ref().map(|c| c.for_task()),
                metrics: crate::api::task_metrics::register(plan.job, *chain, &vertex, subtask),
            };
            let task = runner.task(info, input, channels.get(chain).copied().unwrap_or([0, 0]));
            spawn_thread(format!("{name} ({}/{p})", subtask + 1), task, done_tx.clone())?;
            running += 1;
        }
    }
    let opened = checkpoints.as_ref().map(|c| c.opened_tasks());
    let stop_watch = checkpoints.clone().filter(|_| member.is_some());
    drop((done_tx, endpoints, checkpoints));
    let tasks = running;

    // The coordinator runs beside the tasks, so that a savepoint that stops the job is
    // written after they end.
    let (requests, request_rx) = mpsc::unbounded_channel();
    let control = member.and_then(|m| Some((m.control.lock().ok()?.take()?, m.replies.clone()?, m.index)));
    let mut coordinator = coordinator.map(|c| match control {
        Some((control, replies, index)) => tokio::spawn(c.run_member(control, replies, index)),
        None => tokio::spawn(c.run(request_rx)),
    });
    // A savepoint that stops the job: what the coordinator answers, and who asked.
    let mut stopping: Option<(SavepointAnswer, Option<SavepointReply>)> = None;
    let ask = |dir: PathBuf, drain: bool| {
        let (reply, answer) = oneshot::channel();
        let _ = requests.send(SavepointRequest { dir, drain, reply });
        answer
    };
    let mut outcome = loop {
        tokio::select! {
            r = wait_all(&mut done_rx, &mut running) => break r,
            () = async {
                // Every task opened with its state: how long the restore took.
                let opened = opened.as_ref().expect("checked");
                while opened.load(Ordering::Acquire) < tasks {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }, if restoring.is_some() && opened.is_some() => {
                let (id, started) = restoring.take().expect("checked");
                restored_in(plan.job, id, started);
            }
            why = crate::net::launcher::cancelled() => {
                match (&env.savepoint_on_stop, &stopping, &coordinator) {
                    (Some((dir, drain)), None, Some(_)) => {
                        tracing::info!(
                            "job '{}': {why}: taking a savepoint under {} before it stops ({why} again cancels)",
                            plan.job,
                            dir.display()
                        );
                        stopping = Some((ask(dir.clone(), *drain), None));
                    }
                    _ => break Err(JobError::Cancelled(why)),
                }
            }
            () = async { stop.as_ref().expect("checked").notify.notified().await }, if stop.is_some() => {
                let request = stop.as_ref().and_then(|s| s.savepoint.lock().unwrap_or_else(|p| p.into_inner()).take());
                match (request, &stopping, &coordinator) {
                    (Some((dir, drain, reply)), None, Some(_)) => stopping = Some((ask(dir, drain), Some(reply))),
                    (Some((_, _, reply)), _, _) => {
                        let _ = reply.send(Err("the job takes no savepoint now (one is under way, or it has no state to keep)".into()));
                    }
                    (None, _, _) => break Err(JobError::Cancelled("cancelled")),
                }
            }
            e = async {
                match coordinator.as_mut() {
                    Some(task) => task.await.unwrap_or_else(|e| JobError::Config(format!("the checkpoint coordinator stopped: {e}"))),
                    None => std::future::pending().await,
                }
            } => break Err(e),
        }
    };
    if let (Some((id, started)), Some(opened)) = (restoring, &opened) {
        if opened.load(Ordering::Acquire) >= tasks {
            restored_in(plan.job, id, started);
        }
    }
    if let Some((answer, client)) = stopping.take() {
        if outcome.is_ok() {
            let result = match tokio::time::timeout(SAVEPOINT_TIMEOUT, answer).await {
                Ok(Ok(result)) => result,
                Ok(Err(_)) => Err("the checkpoint coordinator stopped before the savepoint was written".into()),
                Err(_) => Err(format!("the savepoint was not written within {SAVEPOINT_TIMEOUT:?}")),
            };
            match &result {
                Ok(path) => {
                    crate::net::cluster_link::stopped_with_savepoint(path);
                    tracing::info!("job '{}' stopped with a savepoint: {}", plan.job, path.display())
                }
                Err(why) => outcome = Err(JobError::Config(format!("job '{}' stopped, but {why}", plan.job))),
            }
            if let Some(client) = client {
                let _ = client.send(result);
            }
        }
    }
    if let (Ok(()), Some(c)) = (&outcome, &stop_watch) {
        // A worker stopping with a savepoint ends once its share is written and answered.
        let deadline = Instant::now() + SAVEPOINT_TIMEOUT;
        while c.stop_unanswered() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    drop(stop_watch);
    if let Some(task) = coordinator {
        task.abort();
    }
    if outcome.is_err() {
        cancel.store(true, Ordering::Relaxed);
    }
    if outcome.as_ref().is_err_and(|e| restarts && !matches!(e, JobError::Cancelled(_) | JobError::OutputClosed)) {
        // A restart must not overlap the tasks of this run (a sink would see both): wait
        // for them to stop, which they do at their next poll or when their channels close.
        let stopped = tokio::time::timeout(STOP_TIMEOUT, async {
            while running > 0 && done_rx.recv().await.is_some() {
                running -= 1;
            }
        });
        if stopped.await.is_err() {
            tracing::warn!("{running} tasks of job '{}' did not stop within {STOP_TIMEOUT:?}", plan.job);
        }
    }
    outcome
}

/// Logs and counts a restore of checkpoint `id` that began at `started`.
fn restored_in(job: &str, id: u64, started: Instant) {
    crate::checkpoint::stats::restored(job);
    tracing::info!("job '{job}' restored checkpoint {id} in {} ms", started.elapsed().as_millis());
}

/// How long a failed run's tasks get to stop before the job reports or restarts anyway.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a savepoint that stops the job may take to be written once the tasks ended.
const SAVEPOINT_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the answer to [`crate::JobClient::stop_with_savepoint`] goes.
pub(crate) type SavepointReply = oneshot::Sender<Result<PathBuf, String>>;

/// The coordinator's answer to a savepoint asked for: its path, or why not.
type SavepointAnswer = oneshot::Receiver<Result<PathBuf, String>>;

/// How code that started a job reaches it: cancel it, or ask for a savepoint that stops it.
#[derive(Default)]
pub(crate) struct JobControl {
    pub(crate) notify: tokio::sync::Notify,
    pub(crate) savepoint: std::sync::Mutex<Option<(PathBuf, bool, SavepointReply)>>,
}

/// Runs `task` on a thread of its own with a single-threaded runtime; reports its end on `done`.
fn spawn_thread(
    name: String,
    task: crate::core::TaskFuture,
    done: mpsc::UnboundedSender<Result<(), JobError>>,
) -> Result<(), JobError> {
    std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            let run = std::panic::AssertUnwindSafe(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| JobError::io("cannot start a task runtime", e))
                    .and_then(|rt| rt.block_on(task))
            });
            // Operator tasks catch their own panics and name the operator; anything else that
            // panics on this thread (an exchange bridge) is a root cause named after the
            // thread, not a silence the job would wait on.
            let result = std::panic::catch_unwind(run).unwrap_or_else(|payload| match payload.downcast::<JobError>() {
                Ok(error) => Err(*error),
                Err(payload) => {
                    let name = std::thread::current().name().unwrap_or("a task").to_owned();
                    Err(JobError::Config(format!("{name} panicked: {}", crate::core::panic_scope::message(&*payload))))
                }
            });
            let _ = done.send(result);
        })
        .map_err(|e| JobError::io("cannot start a task thread", e))?;
    Ok(())
}

/// Waits for every task; on the first failure returns it, preferring a root cause over the
/// "downstream stopped" errors it causes in the tasks around it.
async fn wait_all(
    done: &mut mpsc::UnboundedReceiver<Result<(), JobError>>,
    running: &mut usize,
) -> Result<(), JobError> {
    while *running > 0 {
        let Some(result) = done.recv().await else { break };
        *running -= 1;
        if let Err(e) = result {
            if !e.is_consequence() {
                return Err(e);
            }
            // Give the task that really failed a moment to report its own error.
            let deadline = tokio::time::sleep(std::time::Duration::from_secs(2));
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    next = done.recv() => match next {
                        Some(Err(root)) if !root.is_consequence() => {
                            *running -= 1;
                            return Err(root);
                        }
                        Some(_) => {
                            *running -= 1;
                            continue;
                        }
                        None => return Err(e),
                    },
                    _ = &mut deadline => return Err(e),
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_on_a_task_thread_is_reported_with_the_threads_name() {
        let (done, mut results) = mpsc::unbounded_channel();
        let task: crate::core::TaskFuture = Box::pin(async {
            let frame: Vec<u8> = Vec::new();
            // As a bridge would, on a frame it cannot handle.
            assert!(!frame.is_empty(), "a frame of 0 bytes");
            Ok(())
        });
        spawn_thread("exchange from process 1 to subtask 2 of chain 3".to_owned(), task, done).unwrap();
        let result = results.blocking_recv().expect("the thread reports instead of vanishing");
        let message = result.unwrap_err().to_string();
        assert!(message.contains("exchange from process 1 to subtask 2 of chain 3 panicked"), "{message}");
        assert!(message.contains("a frame of 0 bytes"), "{message}");
    }
}
