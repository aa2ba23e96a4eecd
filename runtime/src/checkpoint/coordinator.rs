//! The checkpoint coordinator (Flink's `CheckpointCoordinator`), one per run of a job: every
//! interval it asks the sources for a barrier, collects each task's state as the barrier
//! passes the task, and when every task has answered writes the checkpoint (`_metadata`
//! last). One checkpoint at a time (Flink's max concurrent checkpoints, 1); a checkpoint
//! still incomplete after the timeout is abandoned. A task that has finished answers for
//! the checkpoints that follow with its final state, so the rest of the job goes on
//! checkpointing (Flink's checkpoints after tasks finish).

use crate::checkpoint::config::CheckpointConfig;
use crate::checkpoint::snapshot::{OperatorState, Restored, StateWriter, Written};
use crate::checkpoint::storage::{CheckpointStorage, TaskState};
use crate::core::error::JobError;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// A task's answer to a barrier: the state its operators wrote.
pub(crate) struct Ack {
    checkpoint: u64,
    state: TaskState,
    /// The task has finished: this is its final state, which stands for it in every
    /// checkpoint from now on.
    last: bool,
}

/// What a task of a checkpointed job holds: how it hears of a checkpoint (sources), where
/// its operators write, where it answers, and what it restores from.
#[derive(Clone)]
pub(crate) struct TaskCheckpoints {
    /// The newest checkpoint the coordinator asked for.
    trigger: Arc<AtomicU64>,
    acks: UnboundedSender<Ack>,
    /// Counts tasks that have opened (and restored their state).
    opened: Arc<AtomicUsize>,
    /// The newest completed checkpoint.
    completed: Arc<AtomicU64>,
    /// Whether barriers are aligned.
    pub(crate) aligned: bool,
    /// Whether the job takes checkpoints of its own (not only a restore or a savepoint).
    periodic: bool,
    /// The checkpoint restored from (0: none): sources take barriers after it.
    pub(crate) start: u64,
    /// Where the task's operators write; each task gets its own ([`Self::for_task`]).
    pub(crate) writer: StateWriter,
    /// The savepoint at which sources stop (0: none), and whether they drain first.
    stop_at: Arc<AtomicU64>,
    stop_drain: Arc<std::sync::atomic::AtomicBool>,
    /// Set once a worker of a job over processes has answered for that savepoint.
    stop_answered: Arc<std::sync::atomic::AtomicBool>,
    /// What the job restores from, per operator.
    pub(crate) restored: Option<Arc<std::collections::HashMap<String, Restored>>>,
    /// The task's answer still being encoded, if any: answers leave in the order the task
    /// gave them (a final state must not overtake the answer to an earlier barrier).
    in_flight: Arc<Mutex<Option<std::thread::JoinHandle<()>>>>,
}

impl TaskCheckpoints {
    /// A copy for one task, with a writer of its own.
    pub(crate) fn for_task(&self) -> Self {
        TaskCheckpoints { writer: StateWriter::default(), in_flight: Arc::default(), ..self.clone() }
    }

    /// The checkpoint a source must inject a barrier for, if one was asked for since `last`.
    #[inline]
    pub(crate) fn due(&self, last: u64) -> Option<u64> {
        let id = self.trigger.load(Ordering::Acquire);
        (id > last).then_some(id)
    }

    /// The newest completed checkpoint, if it is newer than `last`.
    #[inline]
    pub(crate) fn completed_since(&self, last: u64) -> Option<u64> {
        let id = self.completed.load(Ordering::Acquire);
        (id > last).then_some(id)
    }

    /// Sends what the task's operators wrote for `checkpoint`.
    pub(crate) fn ack(&self, checkpoint: u64, chain: u32, subtask: usize, parallelism: usize, pause_micros: u64) {
        self.answer(checkpoint, false, chain, subtask, parallelism, pause_micros);
    }

    /// The task has finished: what its operators wrote at [`Control::FinalSnapshot`] stands
    /// for it in the checkpoints that follow.
    ///
    /// [`Control::FinalSnapshot`]: crate::Control::FinalSnapshot
    pub(crate) fn finished_with(&self, chain: u32, subtask: usize, parallelism: usize) {
        self.answer(0, true, chain, subtask, parallelism, 0);
    }

    /// Sends what the task's operators wrote since the last answer, as the coordinator keeps
    /// it: at once if every section is ready and no earlier answer is still on its way,
    /// else from a thread that encodes the sections left for later, after the earlier
    /// answer has gone.
    fn answer(&self, checkpoint: u64, last: bool, chain: u32, subtask: usize, parallelism: usize, pause_micros: u64) {
        let Written { ready: mut sections, later } = self.writer.take();
        let state = move |sections| TaskState {
            chain,
            subtask: subtask as u32,
            parallelism: parallelism as u32,
            sections,
            pause_micros,
        };
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let earlier = in_flight.take();
        let earlier = match earlier {
            Some(handle) if handle.is_finished() => {
                let _ = handle.join();
                None
            }
            other => other,
        };
        if later.is_empty() && earlier.is_none() {
            let _ = self.acks.send(Ack { checkpoint, state: state(sections), last });
            return;
        }
        let acks = self.acks.clone();
        let encode = move || {
            if let Some(earlier) = earlier {
                let _ = earlier.join();
            }
            for (uid, encode) in later {
                sections.push(OperatorState { uid, bytes: encode() });
            }
            let _ = acks.send(Ack { checkpoint, state: state(sections), last });
        };
        match std::thread::Builder::new().name(format!("snapshot {chain}/{subtask}")).spawn(encode) {
            Ok(handle) => *in_flight = Some(handle),
            // No thread to be had: the checkpoint goes unanswered and expires; the job goes on.
            Err(e) => tracing::warn!("checkpoint {checkpoint}: cannot start a thread to encode the state: {e}"),
        }
    }

    /// Whether the source stops after the barrier of `checkpoint` (a savepoint that stops
    /// the job), and if so whether event time moves to its end first.
    pub(crate) fn stops_at(&self, checkpoint: u64) -> Option<bool> {
        (self.stop_at.load(Ordering::Acquire) == checkpoint).then(|| self.stop_drain.load(Ordering::Acquire))
    }

    /// The task has opened, its operators' state restored.
    pub(crate) fn opened(&self) {
        self.opened.fetch_add(1, Ordering::AcqRel);
    }

    /// How many tasks have opened.
    pub(crate) fn opened_tasks(&self) -> Arc<AtomicUsize> {
        self.opened.clone()
    }

    /// A finished task waits, before its sinks commit what they hold, for a checkpoint that
    /// holds its final state to complete (Flink's final checkpoint): otherwise a failure of
    /// another task before the next checkpoint would replay into a sink that had committed.
    /// Not when a savepoint stops the job (it is that checkpoint), nor without checkpoints
    /// of the job's own; at most `timeout`, and not once `cancelled`.
    pub(crate) async fn await_final_checkpoint(&self, timeout: Duration, cancelled: impl Fn() -> bool) {
        if self.stop_at.load(Ordering::Acquire) != 0 || !self.periodic {
            return;
        }
        // A checkpoint triggered from now on holds the final state.
        let after = self.trigger.load(Ordering::Acquire);
        let deadline = Instant::now() + timeout;
        while self.completed.load(Ordering::Acquire) <= after && Instant::now() < deadline && !cancelled() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Whether this worker is stopping with a savepoint and has not answered for it yet:
    /// the process must not end before it has.
    pub(crate) fn stop_unanswered(&self) -> bool {
        self.stop_at.load(Ordering::Acquire) != 0 && !self.stop_answered.load(Ordering::Acquire)
    }
}

/// Runs `f` on a thread for blocking work (the files), with what it returned.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    tokio::task::spawn_blocking(f).await.map_err(|e| format!("its writer stopped: {e}"))
}

/// The coordinator of one run of a job.
pub(crate) struct Coordinator {
    config: CheckpointConfig,
    storage: CheckpointStorage,
    job: &'static str,
    trigger: Arc<AtomicU64>,
    acks: UnboundedReceiver<Ack>,
    tasks: usize,
    /// The final states of the tasks that have finished, by chain and subtask.
    finals: std::collections::HashMap<(u32, u32), TaskState>,
    next: u64,
    failures: u32,
    /// The newest completed checkpoint, for the executor's restart and for tests.
    completed: Arc<AtomicU64>,
    /// The savepoint at which the sources stop (0: none), and whether they end event time.
    stop_at: Arc<AtomicU64>,
    stop_drain: Arc<std::sync::atomic::AtomicBool>,
    stop_answered: Arc<std::sync::atomic::AtomicBool>,
}

/// A savepoint asked for (`--savepoint-on-stop` at SIGTERM, [`JobClient::stop_with_savepoint`]):
/// the sources stop after its barrier; with `drain`, event time first moves to its end
/// (Flink's `stop --drain`). The reply is the savepoint's path.
///
/// [`JobClient::stop_with_savepoint`]: crate::JobClient::stop_with_savepoint
pub(crate) struct SavepointRequest {
    pub dir: std::path::PathBuf,
    pub drain: bool,
    pub reply: tokio::sync::oneshot::Sender<Result<std::path::PathBuf, String>>,
}

impl Coordinator {
    /// A coordinator for `tasks` tasks; checkpoints are numbered from `after + 1`. Returns the
    /// handle tasks take.
    pub(crate) fn new(
        config: CheckpointConfig,
        storage: CheckpointStorage,
        job: &'static str,
        tasks: usize,
        after: u64,
        restored: Option<Arc<std::collections::HashMap<String, Restored>>>,
        completed: Arc<AtomicU64>,
    ) -> (Self, TaskCheckpoints) {
        let (tx, rx) = unbounded_channel();
        let trigger = Arc::new(AtomicU64::new(after));
        let stop_at = Arc::new(AtomicU64::new(0));
        let stop_drain = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop_answered = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let handle = TaskCheckpoints {
            trigger: trigger.clone(),
            acks: tx,
            opened: Arc::new(AtomicUsize::new(0)),
            completed: completed.clone(),
            aligned: config.mode == crate::checkpoint::CheckpointingMode::ExactlyOnce,
            periodic: config.interval < CheckpointConfig::never().interval,
            start: after,
            writer: StateWriter::default(),
            restored,
            stop_at: stop_at.clone(),
            stop_drain: stop_drain.clone(),
            stop_answered: stop_answered.clone(),
            in_flight: Arc::default(),
        };
        let coordinator = Coordinator {
            config,
            storage,
            job,
            trigger,
            acks: rx,
            tasks,
            finals: std::collections::HashMap::new(),
            next: after + 1,
            failures: 0,
            completed,
            stop_at,
            stop_drain,
            stop_answered,
        };
        (coordinator, handle)
    }

    /// Takes checkpoints until the job ends (the executor drops this future then), and
    /// savepoints when `requests` asks for one; returns only to fail the job, when more
    /// checkpoints failed in a row than it tolerates.
    pub(crate) async fn run(mut self, mut requests: UnboundedReceiver<SavepointRequest>) -> JobError {
        let mut last_start = Instant::now();
        let mut last_end = Instant::now() - self.config.min_pause;
        let mut requests_open = true;
        loop {
            let start_at = (last_start + self.config.interval).max(last_end + self.config.min_pause);
            let request = tokio::select! {
                () = tokio::time::sleep_until(start_at.into()) => None,
                r = requests.recv(), if requests_open => match r {
                    Some(r) => Some(r),
                    None => {
                        requests_open = false;
                        continue;
                    }
                },
                ack = self.acks.recv() => {
                    if let Some(ack) = ack {
                        self.keep_final(ack);
                    }
                    if self.finals.len() < self.tasks {
                        continue;
                    }
                    None
                }
            };
            self.take_finals();
            if self.finals.len() >= self.tasks && request.is_none() {
                // Every task has finished: one last checkpoint of their final states lets
                // the sinks that wait for it commit, and the job ends.
                self.final_checkpoint().await;
                return std::future::pending().await;
            }
            let id = self.next;
            self.next += 1;
            last_start = Instant::now();
            if let Some(r) = &request {
                self.stop_drain.store(r.drain, Ordering::Release);
                self.stop_at.store(id, Ordering::Release);
            }
            self.trigger.store(id, Ordering::Release);
            crate::checkpoint::stats::triggered(self.job);
            let outcome = self.collect(id, last_start).await;
            last_end = Instant::now();
            if let Some(r) = request {
                let result = match outcome {
                    Ok(states) => self.write_savepoint(id, &r.dir, states).await,
                    Err(why) => Err(format!("savepoint {id} failed: {why}")),
                };
                if result.is_err() {
                    crate::checkpoint::stats::failed(self.job);
                }
                let _ = r.reply.send(result);
                continue;
            }
            let written = match outcome {
                Ok(states) => self.write_checkpoint(id, states, last_end.duration_since(last_start)).await,
                Err(why) => Err(why),
            };
            match written {
                Ok(()) => self.failures = 0,
                Err(why) => {
                    if let Some(e) = self.failed(id, &why) {
                        return e;
                    }
                }
            }
        }
    }

    /// Takes checkpoints as the coordinator of a job split over processes asks
    /// (`--processes`): this worker's tasks write their share into the checkpoint's
    /// directory and it answers `checkpointed N` (or `declined N WHY`); `complete N` lets
    /// its sinks commit.
    pub(crate) async fn run_member(
        mut self,
        mut control: UnboundedReceiver<crate::net::ControlMessage>,
        replies: Arc<std::sync::Mutex<std::net::TcpStream>>,
        index: usize,
    ) -> JobError {
        use crate::net::ControlMessage;
        use std::io::Write;
        let reply = |line: String| {
            let mut stream = replies.lock().unwrap_or_else(|p| p.into_inner());
            let _ = writeln!(stream, "{line}").and_then(|()| stream.flush());
        };
        loop {
            match control.recv().await {
                None => return std::future::pending().await,
                Some(ControlMessage::Complete(id)) => self.completed.store(id, Ordering::Release),
                Some(message) => {
                    let (id, stop, dir) = match message {
                        ControlMessage::Savepoint { id, drain, dir } => (id, Some(drain), dir),
                        ControlMessage::Checkpoint(id) => (id, None, self.storage.chk(id)),
                        ControlMessage::Complete(_) => unreachable!("handled above"),
                    };
                    if let Some(drain) = stop {
                        self.stop_drain.store(drain, Ordering::Release);
                        self.stop_at.store(id, Ordering::Release);
                    }
                    self.trigger.store(id, Ordering::Release);
                    let outcome = match self.collect(id, Instant::now()).await {
                        Ok(states) => {
                            let shown = dir.display().to_string();
                            blocking(move || crate::checkpoint::storage::write_part(&dir, index, states))
                                .await
                                .and_then(|r| r.map_err(|e| format!("cannot write to {shown}: {e}")))
                        }
                        Err(why) => Err(why),
                    };
                    match outcome {
                        Ok(()) => reply(format!("checkpointed {id}")),
                        Err(why) => reply(format!("declined {id} {}", why.replace('\n', " "))),
                    }
                    if stop.is_some() {
                        self.stop_answered.store(true, Ordering::Release);
                    }
                }
            }
        }
    }

    /// Writes savepoint `id` under `dir` (`savepoint-<id>`, never pruned) and marks it
    /// completed: the job's sinks commit what they held for it.
    async fn write_savepoint(
        &mut self,
        id: u64,
        dir: &std::path::Path,
        states: Vec<TaskState>,
    ) -> Result<std::path::PathBuf, String> {
        let path = dir.join(format!("savepoint-{id}"));
        let (job, target) = (self.job, path.clone());
        blocking(move || crate::checkpoint::storage::write_to(&target, id, job, states, Duration::ZERO))
            .await
            .and_then(|r| r.map_err(|e| format!("savepoint {id} cannot be written to {}: {e}", path.display())))?;
        self.completed.store(id, Ordering::Release);
        Ok(path)
    }

    /// Writes checkpoint `id` (`_metadata` last), prunes the old ones, and marks it
    /// completed: the job's sinks commit what they held for it.
    async fn write_checkpoint(&mut self, id: u64, states: Vec<TaskState>, aligned_in: Duration) -> Result<(), String> {
        let storage = self.storage.clone();
        let retained = self.config.retained;
        let job = self.job;
        blocking(move || {
            let written = storage.write(id, job, states, aligned_in);
            storage.prune(retained);
            written
        })
        .await
        .and_then(|r| r.map_err(|e| format!("cannot be written to {}: {e}", self.storage.dir().display())))?;
        self.completed.store(id, Ordering::Release);
        Ok(())
    }

    /// Waits for every task's state for checkpoint `id`. A task that finished before the
    /// barrier reached it answers with its final state.
    async fn collect(&mut self, id: u64, started: Instant) -> Result<Vec<TaskState>, String> {
        self.take_finals();
        let mut states: std::collections::HashMap<(u32, u32), TaskState> =
            self.finals.iter().map(|(k, s)| (*k, s.clone())).collect();
        let deadline = tokio::time::Instant::from(started + self.config.timeout);
        while states.len() < self.tasks {
            tokio::select! {
                ack = self.acks.recv() => match ack {
                    Some(ack) if ack.last => {
                        let key = (ack.state.chain, ack.state.subtask);
                        self.finals.insert(key, ack.state.clone());
                        // Its answer to this barrier, if it gave one first, is the one.
                        states.entry(key).or_insert(ack.state);
                    }
                    Some(ack) if ack.checkpoint == id => {
                        states.insert((ack.state.chain, ack.state.subtask), ack.state);
                    }
                    Some(_) => {} // of an abandoned checkpoint
                    None => return std::future::pending().await,
                },
                _ = tokio::time::sleep_until(deadline) => {
                    return Err(format!("expired after {:?} ({} of {} tasks answered)", self.config.timeout, states.len(), self.tasks));
                }
            }
        }
        Ok(states.into_values().collect())
    }

    /// The checkpoint of a job whose tasks have all finished: their final states.
    async fn final_checkpoint(&mut self) {
        let id = self.next;
        self.next += 1;
        let states: Vec<TaskState> = self.finals.values().cloned().collect();
        if let Err(why) = self.write_checkpoint(id, states, Duration::ZERO).await {
            tracing::warn!("the final checkpoint {id} of job '{}' failed: {why}", self.job);
        }
    }

    /// Takes the final states of tasks that finished since the last look (answers to
    /// barriers of abandoned checkpoints go).
    fn take_finals(&mut self) {
        while let Ok(ack) = self.acks.try_recv() {
            self.keep_final(ack);
        }
    }

    /// Keeps a finished task's final state; anything else is dropped.
    fn keep_final(&mut self, ack: Ack) {
        if ack.last {
            self.finals.insert((ack.state.chain, ack.state.subtask), ack.state);
        }
    }

    /// Reports a failed checkpoint; the error that fails the job if too many failed in a row.
    fn failed(&mut self, id: u64, why: &str) -> Option<JobError> {
        self.failures += 1;
        crate::checkpoint::stats::failed(self.job);
        tracing::warn!("checkpoint {id} of job '{}' failed: {why}", self.job);
        match self.config.tolerable_failures {
            Some(n) if self.failures > n => Some(JobError::Config(format!(
                "checkpoint {id} failed ({why}), and {} checkpoints failed in a row, more than the {n} tolerated",
                self.failures
            ))),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_answers_in_order_when_a_section_is_encoded_later() {
        let dir = tempfile::tempdir().unwrap();
        let storage = CheckpointStorage::new(dir.path().join("job"));
        let config = CheckpointConfig::every(Duration::from_secs(1));
        let (mut coordinator, handle) = Coordinator::new(config, storage, "job", 1, 0, None, Arc::default());
        let task = handle.for_task();
        // Checkpoint 1: a section encoded slowly, after the barrier has passed.
        task.writer.write("ready", vec![1]);
        task.writer.write_later("later", || {
            std::thread::sleep(Duration::from_millis(200));
            vec![2]
        });
        let started = Instant::now();
        task.ack(1, 0, 0, 1, 0);
        assert!(started.elapsed() < Duration::from_millis(100), "the task does not wait for the encoding");
        // The task then finishes: its final state must not overtake the answer to barrier 1.
        task.writer.write("ready", vec![3]);
        task.finished_with(0, 0, 1);

        let first = coordinator.acks.blocking_recv().unwrap();
        assert_eq!((first.checkpoint, first.last), (1, false));
        let sections: Vec<(&str, &[u8])> = first.state.sections.iter().map(|s| (&*s.uid, &s.bytes[..])).collect();
        assert_eq!(sections, [("ready", &[1u8][..]), ("later", &[2u8][..])]);
        let second = coordinator.acks.blocking_recv().unwrap();
        assert!(second.last);
        assert_eq!(second.state.sections[0].bytes, [3]);
    }
}
