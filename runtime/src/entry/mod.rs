//! The `main` of every job binary: parses its arguments, prints the plan or runs the job.

use crate::core::error::JobError;
use crate::core::plan::PlanSpec;
use crate::env::Env;
use crate::executor::{execute, execute_as, resolve_parallelism};
use crate::net::launcher::Outcome;
use crate::net::worker::Coordinator;

mod args;
pub use args::{completions, help, parse_args, usage, ArgsError, Options};

/// The variable that names the `rill` command application mode runs (else the `rill` next
/// to the job binary, else the one on `PATH`).
pub const CLI_ENV: &str = "RILL_CLI";

/// Becomes the JobManager of application mode (`rill jobmanager start-foreground
/// --application` for this binary); returns only if that cannot start.
fn exec_application(options: &Options) -> String {
    use std::os::unix::process::CommandExt;
    let this = match std::env::current_exe() {
        Ok(path) => path,
        Err(e) => return format!("cannot find this job binary: {e}"),
    };
    let cli = std::env::var_os(CLI_ENV).map(std::path::PathBuf::from).unwrap_or_else(|| {
        let beside = this.with_file_name("rill");
        if beside.exists() {
            beside
        } else {
            "rill".into()
        }
    });
    let mut command = std::process::Command::new(&cli);
    command.args(["jobmanager", "start-foreground", "--application"]).arg(&this).args(&options.cluster_flags);
    if let Some(p) = options.parallelism {
        command.args(["-p", &p.to_string()]);
    }
    // The JobManager runs the job from its own directory.
    let absolute = |path: &std::path::Path| match path.to_string_lossy().starts_with("s3://") {
        true => path.to_path_buf(),
        false => std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
    };
    if let Some(path) = &options.from_savepoint {
        command.arg("-s").arg(absolute(path));
        if options.allow_non_restored_state {
            command.arg("-n");
        }
    }
    command.arg("--");
    if let Some(interval) = options.checkpoint_interval {
        command.args(["--checkpoint-interval", &format!("{}ms", interval.as_millis().max(1))]);
    }
    if let Some(dir) = &options.checkpoint_dir {
        command.arg("--checkpoint-dir").arg(absolute(dir));
    }
    command.arg("--").args(&options.parameters);
    let e = command.exec();
    format!(
        "--application runs the JobManager of the rill command, and {} cannot run ({e}): install rill \
         (cargo install --path cli in Rill's repository), put it beside this binary, or set {CLI_ENV} to it",
        cli.display()
    )
}

/// A compiled job: what `#[rill::job]` makes of a function (`WORD_COUNT_JOB` for
/// `word_count`).
pub struct Job {
    /// The plan the compiler made of the job.
    pub plan: &'static PlanSpec,
    /// The job function: builds the chains on an `Env`.
    pub build: fn(&mut Env),
}

static INVALID: PlanSpec = PlanSpec { job: "invalid", chains: &[], edges: &[] };

/// The job's graph, built by its function with `parameters`; a parameter it could not parse
/// is an error that names it.
/// The job's own parameters for `--help`: the ones its function asks for, found by building
/// it once without any (quietly: a job that insists on one may panic or complain).
fn parameters_help(plan: &'static PlanSpec, build: fn(&mut Env)) -> String {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let read = std::panic::catch_unwind(|| {
        let mut env = Env::new(plan, Vec::new());
        build(&mut env);
        env.parameters_read()
    });
    std::panic::set_hook(hook);
    match read {
        Ok(read) if !read.is_empty() => {
            let mut text = String::from("Job parameters (after --; any other is an error):");
            for (name, switch) in read {
                text.push_str(&format!("\n  --{name}{}", if switch { "" } else { " VALUE" }));
            }
            text
        }
        Ok(_) => "The job reads no parameters of its own.".to_owned(),
        Err(_) => String::new(),
    }
}

fn build_job(plan: &'static PlanSpec, build: fn(&mut Env), parameters: Vec<String>) -> Result<Env, String> {
    let mut env = Env::new(plan, parameters);
    build(&mut env);
    match env.parameter_errors() {
        Some(e) => Err(e),
        None => Ok(env),
    }
}

/// [`build_job`] for a job binary's command line, where a parameter the job never reads is
/// a mistake of the person typing it (`Job::run`'s caller may pass one set to several jobs).
fn build_job_strictly(plan: &'static PlanSpec, build: fn(&mut Env), parameters: Vec<String>) -> Result<Env, String> {
    let env = build_job(plan, build, parameters)?;
    match env.unread_parameters() {
        unread if unread.is_empty() => Ok(env),
        unread => Err(unread.join("; ")),
    }
}

impl Job {
    /// The stand-in the compiler emits for a job with errors, so rustc reports no more.
    pub const fn invalid(build: fn(&mut Env)) -> Job {
        Job { plan: &INVALID, build }
    }

    /// Runs the job in this process to its end: parallelism `parallelism` (default: the
    /// machine's cores), `parameters` as if given after `--`.
    pub fn run(&self, parallelism: Option<usize>, parameters: &[&str]) -> Result<(), JobError> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let parameters = parameters.iter().map(|s| s.to_string()).collect();
        let env = build_job(self.plan, self.build, parameters).map_err(JobError::Config)?;
        execute(env.graph, parallelism.unwrap_or(cores), None)
    }

    /// Runs the job in this process from a savepoint or retained checkpoint (the job
    /// binary's `--from-savepoint PATH`).
    pub fn run_from_savepoint(
        &self,
        parallelism: Option<usize>,
        parameters: &[&str],
        savepoint: impl Into<std::path::PathBuf>,
    ) -> Result<(), JobError> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let parameters = parameters.iter().map(|s| s.to_string()).collect();
        let mut env = build_job(self.plan, self.build, parameters).map_err(JobError::Config)?;
        env.graph.restore_from = Some((savepoint.into(), false));
        execute(env.graph, parallelism.unwrap_or(cores), None)
    }

    /// Starts the job in this process on a thread of its own and returns at once (Flink's
    /// `executeAsync`): the [`JobClient`] cancels it or waits for its end.
    pub fn start(&self, parallelism: Option<usize>, parameters: &[&str]) -> JobClient {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (plan, build) = (self.plan, self.build);
        let parameters: Vec<String> = parameters.iter().map(|s| s.to_string()).collect();
        let stop = std::sync::Arc::new(crate::executor::JobControl::default());
        let stop2 = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("job {}", plan.job))
            .spawn(move || {
                let env = build_job(plan, build, parameters).map_err(JobError::Config)?;
                execute(env.graph, parallelism.unwrap_or(cores), Some(stop2))
            })
            .expect("a thread for the job");
        JobClient { stop, thread }
    }

    /// Runs this process's share of the job as `member` of a job split over several
    /// processes (the others run the same job with the same parallelism and parameters).
    pub fn run_as(&self, member: &crate::net::Member, parallelism: usize, parameters: &[&str]) -> Result<(), JobError> {
        let parameters = parameters.iter().map(|s| s.to_string()).collect();
        let env = build_job(self.plan, self.build, parameters).map_err(JobError::Config)?;
        execute_as(env.graph, parallelism, None, Some(member))
    }

    /// The plan as JSON, as `--plan` prints it.
    pub fn plan_json(&self, parallelism: usize) -> String {
        let mut env = Env::new(self.plan, Vec::new());
        (self.build)(&mut env);
        let (default, p) = resolve_parallelism(&env.graph, parallelism);
        crate::core::plan::to_json(self.plan, default, &p)
    }
}

/// A job started with [`Job::start`] (Flink's `JobClient`).
pub struct JobClient {
    stop: std::sync::Arc<crate::executor::JobControl>,
    thread: std::thread::JoinHandle<Result<(), JobError>>,
}

impl JobClient {
    /// Asks the job to stop; [`JobClient::join`] then returns `JobError::Cancelled`
    /// (unless it had already ended).
    pub fn cancel(&self) {
        self.stop.notify.notify_one();
    }

    /// Stops the job with a savepoint under `dir` (Flink's `stopWithSavepoint`): the
    /// sources stop after the savepoint's barrier (with `drain`, event time first moves to
    /// its end, so every window fires: Flink's `--drain`), the job ends, and the savepoint's
    /// path comes back; [`JobClient::join`] then returns `Ok`. Start the job again from it
    /// with `--from-savepoint`.
    pub fn stop_with_savepoint(
        &self,
        dir: impl Into<std::path::PathBuf>,
        drain: bool,
    ) -> Result<std::path::PathBuf, String> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        *self.stop.savepoint.lock().unwrap_or_else(|p| p.into_inner()) = Some((dir.into(), drain, reply));
        self.stop.notify.notify_one();
        answer.blocking_recv().map_err(|_| "the job ended before it took the savepoint".to_owned())?
    }

    /// Whether the job has ended.
    pub fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }

    /// Waits for the job's end and returns how it ended.
    pub fn join(self) -> Result<(), JobError> {
        self.thread.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
    }
}

/// Runs a job binary: the generated `main` calls this.
pub fn main(job: &Job) -> ! {
    crate::log::init();
    let (plan, build) = (job.plan, job.build);
    let args: Result<Vec<String>, String> = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string().map_err(|a| format!("argument {a:?} is not valid UTF-8")))
        .collect();
    // Flink's configuration keys: rill.toml where a job runs alone (not a cluster's job,
    // whose settings come from the cluster), and -D key=value.
    let alone = std::env::var_os(crate::net::cluster_link::CLUSTER_ENV).is_none();
    let file = |args: &Vec<String>| -> Result<Vec<String>, String> {
        let worker = args.iter().take_while(|a| *a != "--").any(|a| a == "--worker");
        match std::env::current_dir() {
            Ok(dir) if alone && !worker => crate::config::flags_in(&dir),
            _ => Ok(Vec::new()),
        }
    };
    let args = args.and_then(|args| crate::config::expand(&args, file(&args)?));
    let options = match args.map_err(ArgsError::Conflict).and_then(|args| parse_args(plan.job, &args)) {
        Ok(o) => o,
        // clap's own errors carry the usage and a tip.
        Err(e @ ArgsError::Clap(_)) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
        Err(ArgsError::Conflict(msg)) => {
            eprintln!("error: {msg}\n\n{}", usage(plan.job));
            std::process::exit(2);
        }
    };
    if options.version {
        println!("{} (Rill {})", plan.job, env!("CARGO_PKG_VERSION"));
        std::process::exit(0);
    }
    if let Some(shell) = options.completions {
        print!("{}", completions(plan.job, shell));
        std::process::exit(0);
    }
    if options.help {
        print!("{}", help(plan.job, &parameters_help(plan, build)));
        std::process::exit(0);
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cli_default = options.parallelism.unwrap_or(cores);
    // The job's parameters are checked here, before any worker starts.
    let mut env = match build_job_strictly(plan, build, options.parameters.clone()) {
        Ok(env) => env,
        Err(msg) => {
            eprintln!("error: {msg}\n\n{}", usage(plan.job));
            std::process::exit(2);
        }
    };
    if let Err(msg) = apply_checkpoint_flags(&mut env, &options) {
        eprintln!("error: {msg}\n\n{}", usage(plan.job));
        std::process::exit(2);
    }
    let (_, parallelism) = resolve_parallelism(&env.graph, cli_default);
    if let Err(msg) = check_parallelism(plan, &parallelism, options.processes) {
        eprintln!("error: {msg}\n\n{}", usage(plan.job));
        std::process::exit(2);
    }
    if options.application {
        eprintln!("error: {}", exec_application(&options));
        std::process::exit(1);
    }
    if let Some(port) = options.metrics_port.or(options.web_ui).filter(|_| !options.plan) {
        let labels = vec![("tm_id".to_owned(), "local".to_owned())];
        let page = options.web_ui.map(|_| {
            let (default, parallelism) = resolve_parallelism(&env.graph, cli_default);
            let start_ms =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
            let new_id = crate::checkpoint::storage::new_job_id;
            crate::net::metrics_http::JobPage {
                id: format!("{}{}", new_id(), new_id()),
                plan: serde_json::from_str(&crate::core::plan::to_json(plan, default, &parallelism))
                    .unwrap_or_default(),
                start_ms,
            }
        });
        let web = page.is_some();
        match crate::net::metrics_http::serve(port, plan.job, labels, page) {
            Ok(addr) if web => eprintln!("Web UI at http://{addr}/ (metrics at http://{addr}/metrics)"),
            Ok(addr) => eprintln!("metrics at http://{addr}/metrics"),
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        }
    }
    // Started by a JobManager, the process is the job's coordinator even with one worker.
    let in_cluster = std::env::var_os(crate::net::cluster_link::CLUSTER_ENV).is_some();
    if let Some(n) = options.processes.filter(|n| (*n > 1 || in_cluster) && !options.plan) {
        let graph = &env.graph;
        // In a cluster a job can always be stopped with a savepoint (`rill stop`).
        let keeps_state = graph.restore_from.is_some() || graph.savepoint_on_stop.is_some() || in_cluster;
        let config =
            graph.checkpointing.clone().or_else(|| keeps_state.then(crate::checkpoint::CheckpointConfig::never));
        let checkpoints = config.map(|c| crate::net::process_checkpoints::ProcessCheckpoints {
            job: plan.job.to_owned(),
            interval: c.interval,
            dir: crate::net::cluster_link::job_checkpoint_dir(&c.base_dir()),
            retained: c.retained,
            restart: match (&graph.restart, &graph.checkpointing) {
                (Some(r), _) => r.clone(),
                (None, Some(_)) => crate::checkpoint::RestartStrategy::exponential_delay(),
                (None, None) => crate::checkpoint::RestartStrategy::None,
            },
            restore: graph.restore_from.as_ref().map(|(path, _)| path.clone()),
            savepoint_on_stop: graph.savepoint_on_stop.clone(),
            periodic: graph.checkpointing.is_some(),
            retention: c.retention,
        });
        let outcome = crate::net::run_processes(n, cli_default, &options.parameters, checkpoints);
        exit_with(plan.job, outcome);
    }
    let worker = match &options.worker {
        Some((index, addr)) => match Coordinator::join(addr, *index) {
            Ok(joined) => Some(joined),
            Err(e) => {
                eprintln!("error: worker {index} of job '{}' cannot start: {e}", plan.job);
                std::process::exit(1);
            }
        },
        None => None,
    };
    if options.plan {
        let (default, parallelism) = resolve_parallelism(&env.graph, cli_default);
        println!("{}", crate::core::plan::to_json(plan, default, &parallelism));
        if let Some(warning) = uid_warning(plan) {
            eprintln!("{warning}");
        }
        std::process::exit(0);
    }
    let result = execute_as(env.graph, cli_default, None, worker.as_ref().map(|(m, _)| m));
    if worker.is_none() && matches!(result, Err(JobError::OutputClosed)) {
        // `job | head`: the reader has what it wanted; end quietly, with SIGPIPE's status.
        std::process::exit(141);
    }
    let outcome = Outcome::of(result);
    match worker {
        Some((_, coordinator)) => {
            // The coordinator reports for the whole job.
            coordinator.report(&outcome);
            std::process::exit(if outcome == Outcome::Finished { 0 } else { 1 });
        }
        None => exit_with(plan.job, outcome),
    }
}

/// `--checkpoint-interval` and `--checkpoint-dir` over what the job set.
fn apply_checkpoint_flags(env: &mut Env, options: &Options) -> Result<(), String> {
    for path in [&options.checkpoint_dir, &options.from_savepoint, &options.savepoint_on_stop].into_iter().flatten() {
        crate::checkpoint::files::check(path)?;
    }
    if let Some(interval) = options.checkpoint_interval {
        env.enable_checkpointing(interval);
    }
    if let Some(dir) = &options.checkpoint_dir {
        let Some(config) = env.graph.checkpointing.as_mut() else {
            return Err("--checkpoint-dir is where checkpoints go, but the job takes none: \
                        give --checkpoint-interval too (or enable checkpointing in the job)"
                .into());
        };
        config.set_checkpoint_storage(dir);
    }
    if let Some(path) = &options.from_savepoint {
        env.graph.restore_from = Some((path.clone(), options.allow_non_restored_state));
    } else if options.allow_non_restored_state {
        return Err("--allow-non-restored-state goes with --from-savepoint PATH".into());
    }
    match (&options.savepoint_on_stop, options.drain) {
        (Some(dir), drain) => env.graph.savepoint_on_stop = Some((dir.clone(), drain)),
        (None, true) => return Err("--drain goes with --savepoint-on-stop DIR".into()),
        (None, false) => {}
    }
    Ok(())
}

/// The operators that keep state under a uid derived from their position (no `.uid(..)`):
/// a savepoint matches them only while the job keeps its shape, as Flink warns.
fn uid_warning(plan: &PlanSpec) -> Option<String> {
    let stateful = |kind: &str| {
        kind.starts_with("from_")
            || kind.starts_with("key_by.")
            || kind.starts_with("window")
            || kind.starts_with("connect.")
            || kind.contains("kafka")
            || kind == "sink_to"
    };
    let derived = |o: &crate::core::plan::Operator| {
        let method = o.kind.rsplit('.').next().unwrap_or(&o.kind).replace('_', "-");
        *o.uid == format!("{method}-{}", o.id)
    };
    let unnamed: Vec<&str> = plan
        .chains
        .iter()
        .flat_map(|c| c.operators)
        .filter(|o| stateful(&o.kind) && derived(o))
        .map(|o| &*o.uid)
        .collect();
    (!unnamed.is_empty()).then(|| {
        format!(
            "warning: operators with state and no uid: {}; their state is matched to a savepoint by a uid \
             derived from their place in the job; give them .uid(\"...\") so that savepoints still match \
             after the job changes",
            unnamed.join(", ")
        )
    })
}

/// Refuses what cannot run: a chain above the max parallelism the job set for it, or more
/// processes than the job's largest parallelism gives work to.
fn check_parallelism(plan: &PlanSpec, parallelism: &[usize], processes: Option<usize>) -> Result<(), String> {
    for (chain, p) in plan.chains.iter().zip(parallelism) {
        if let Some(max) = chain.max_parallelism.filter(|m| *p > *m as usize) {
            return Err(format!(
                "parallelism {p} of '{}' is above the max parallelism {max} the job sets for it",
                chain.name()
            ));
        }
    }
    let most = parallelism.iter().copied().max().unwrap_or(1);
    match processes {
        Some(n) if n > most => Err(format!(
            "--processes {n} is more than the job's parallelism {most}: processes beyond it would run nothing \
             (give -p {n} or more, or fewer processes)"
        )),
        _ => Ok(()),
    }
}

/// Reports how the job ended and exits with its code.
fn exit_with(job: &str, outcome: Outcome) -> ! {
    let failure = match &outcome {
        Outcome::Failed(message) | Outcome::FailedAfter(message) => Some(format!("job '{job}' failed: {message}")),
        Outcome::Finished | Outcome::Cancelled(_) => None,
    };
    crate::net::cluster_link::report_outcome(failure.as_deref());
    match outcome {
        Outcome::Finished => std::process::exit(0),
        Outcome::Cancelled(why) => {
            eprintln!("job '{job}' cancelled ({why})");
            std::process::exit(if why == "SIGTERM" { 143 } else { 130 });
        }
        Outcome::Failed(message) | Outcome::FailedAfter(message) => {
            eprintln!("error: job '{job}' failed: {message}");
            std::process::exit(1);
        }
    }
}
