//! The local executor: every subtask of every chain in this process, on a tokio runtime
//! with one worker thread per core (Flink's embedded mini-cluster).

use crate::env::Env;
use crate::error::JobError;
use crate::plan::DEFAULT_MAX_PARALLELISM;
use crate::runtime_context::Endpoints;
use crate::task::TaskInfo;
use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::task::JoinSet;

/// The parallelism of every chain, in plan order.
pub fn resolve_parallelism(env: &Env, cli_default: usize) -> (usize, Vec<usize>) {
    let default = env.default_parallelism.unwrap_or(cli_default).max(1);
    (default, env.plan.resolve(default, &env.parallelism_overrides))
}

/// Runs the job to its end (bounded sources), its first failure, or cancellation.
pub fn execute(env: Env, cli_default: usize) -> Result<(), JobError> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("rill-worker")
        .enable_all()
        .build()
        .map_err(|e| JobError::io("cannot start the runtime", e))?;
    runtime.block_on(run(env, cli_default))
}

async fn run(env: Env, cli_default: usize) -> Result<(), JobError> {
    let plan = env.plan;
    let (_, parallelism) = resolve_parallelism(&env, cli_default);
    let par_of = |chain: u32| parallelism[plan.chains.iter().position(|c| c.id == chain).expect("chain")];

    // Number the input channels of each consumer chain: edge by edge, upstream subtask by subtask.
    let mut endpoints = Endpoints::default();
    let mut channels: HashMap<u32, usize> = HashMap::new();
    for edge in plan.edges {
        let n = channels.entry(edge.target_chain).or_insert(0);
        endpoints.channel_offsets.insert(edge.id, *n as u32);
        *n += par_of(edge.source_chain);
    }

    let mut inputs: HashMap<u32, Vec<Box<dyn Any + Send>>> = HashMap::new();
    for (chain, runner) in &env.chains {
        let n = channels.get(chain).copied().unwrap_or(0);
        if n > 0 {
            inputs.insert(*chain, runner.create_inputs(*chain, par_of(*chain), n, &mut endpoints));
        }
    }
    let endpoints = Arc::new(endpoints);

    let mut tasks = JoinSet::new();
    for (chain, runner) in &env.chains {
        let p = par_of(*chain);
        let max_parallelism =
            plan.chain(*chain).max_parallelism.map_or(DEFAULT_MAX_PARALLELISM, |m| m as usize);
        let mut receivers = inputs.remove(chain).map(Vec::into_iter);
        for subtask in 0..p {
            let info = TaskInfo {
                chain: *chain,
                subtask,
                parallelism: p,
                max_parallelism,
                plan,
                endpoints: endpoints.clone(),
                buffer_timeout: env.buffer_timeout,
            };
            let input = receivers.as_mut().and_then(Iterator::next);
            tasks.spawn(runner.task(info, input, channels.get(chain).copied().unwrap_or(0)));
        }
    }
    drop(endpoints);

    let outcome = tokio::select! {
        r = wait_all(&mut tasks) => r,
        why = cancelled() => Err(JobError::Cancelled(why)),
    };
    if outcome.is_err() {
        tasks.abort_all();
    }
    outcome
}

/// Waits for every task; on the first failure returns it (preferring a root cause over the
/// "downstream stopped" errors it causes in the tasks that fed it).
async fn wait_all(tasks: &mut JoinSet<Result<(), JobError>>) -> Result<(), JobError> {
    let mut first: Option<JobError> = None;
    while let Some(done) = tasks.join_next().await {
        let result = done.unwrap_or_else(|e| Err(JobError::Config(format!("task failed: {e}"))));
        if let Err(e) = result {
            let root = !matches!(e, JobError::ChannelClosed);
            if root {
                return Err(e);
            }
            first.get_or_insert(e);
            // Give the failing consumer a moment to report its own error.
            if let Ok(Some(Ok(Err(e)))) =
                tokio::time::timeout(std::time::Duration::from_secs(1), tasks.join_next()).await
            {
                return Err(e);
            }
            return Err(first.take().expect("error"));
        }
    }
    Ok(())
}

async fn cancelled() -> &'static str {
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
