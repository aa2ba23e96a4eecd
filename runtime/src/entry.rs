//! The `main` of every job binary: parses its arguments, prints the plan or runs the job.

use crate::core::error::JobError;
use crate::core::plan::PlanSpec;
use crate::env::Env;
use crate::executor::{execute, execute_as, resolve_parallelism};
use crate::net::launcher::Outcome;
use crate::net::worker::Coordinator;

/// What the job binary was asked to do.
#[derive(Debug, Default, PartialEq)]
pub struct Options {
    /// `-p N`: the job's default parallelism.
    pub parallelism: Option<usize>,
    /// `--plan`: print the plan and exit.
    pub plan: bool,
    /// `--help`.
    pub help: bool,
    /// `--version`.
    pub version: bool,
    /// `--processes N`: run the job over N processes of this binary, connected by TCP.
    pub processes: Option<usize>,
    /// `--worker I --coordinator ADDR`: run as worker I of a job a coordinator splits.
    pub worker: Option<(usize, String)>,
    /// `--checkpoint-interval D`: take a checkpoint every D (`500ms`, `1s`, `2min`).
    pub checkpoint_interval: Option<std::time::Duration>,
    /// `--checkpoint-dir DIR`: where checkpoints go.
    pub checkpoint_dir: Option<std::path::PathBuf>,
    /// `--from-savepoint PATH`: start from a savepoint or a retained checkpoint.
    pub from_savepoint: Option<std::path::PathBuf>,
    /// `--allow-non-restored-state`: leave state of operators the job no longer has.
    pub allow_non_restored_state: bool,
    /// `--savepoint-on-stop DIR`: SIGTERM and Ctrl-C take a savepoint there and stop the job.
    pub savepoint_on_stop: Option<std::path::PathBuf>,
    /// `--drain`: with `--savepoint-on-stop`, event time moves to its end before the stop.
    pub drain: bool,
    /// `--metrics-port PORT`: serve the job's metrics (Prometheus) on 127.0.0.1:PORT.
    pub metrics_port: Option<u16>,
    /// `--web-ui PORT`: serve the Web UI (and the metrics) on 127.0.0.1:PORT.
    pub web_ui: Option<u16>,
    /// `--application`: become a JobManager for this job alone (application mode).
    pub application: bool,
    /// The JobManager's flags that go with `--application` (`--taskmanagers 2`, ...).
    pub cluster_flags: Vec<String>,
    /// Everything after `--`: the job's own parameters.
    pub parameters: Vec<String>,
}

/// The JobManager's flags a job binary takes with `--application`, and whether each takes
/// a value: they are handed to `rill jobmanager start-foreground`.
const APPLICATION_FLAGS: &[(&str, bool)] = &[
    ("--taskmanagers", true),
    ("--slots", true),
    ("--rest-address", true),
    ("--rpc-address", true),
    ("--host", true),
    ("--rest-tls-cert", true),
    ("--rest-tls-key", true),
    ("--slot-request-timeout", true),
    ("--heartbeat-interval", true),
    ("--heartbeat-timeout", true),
    ("--insecure-bind", false),
];

/// The variable that names the `rill` command application mode runs (else the `rill` next
/// to the job binary, else the one on `PATH`).
pub const CLI_ENV: &str = "RILL_CLI";

/// The job binary's usage text.
pub fn usage(job: &str) -> String {
    format!(
        "usage: {job} [-p N] [--plan] [-- JOB PARAMETERS]\n\n\
         Runs the Rill job '{job}' on this machine.\n\n\
         options:\n  \
         -p, --parallelism N   default parallelism of the job's operators (default: cores)\n  \
         --processes N         run the job over N processes of this binary on this machine, \
         subtask s in process s % N, exchanges between them over TCP (default: 1)\n  \
         --checkpoint-interval D  take a checkpoint every D (500ms, 1s, 2min); a failure then \
         restarts the job from the last one\n  \
         --checkpoint-dir DIR  where checkpoints go (default: $XDG_STATE_HOME/rill/checkpoints, \
         else ~/.local/state/rill/checkpoints)\n  \
         --from-savepoint PATH  start from a savepoint or a retained checkpoint (its chk-<n> \
         directory); state is matched to operators by uid\n  \
         --allow-non-restored-state  with --from-savepoint: leave behind the state of operators \
         the job no longer has\n  \
         --savepoint-on-stop DIR  SIGTERM or Ctrl-C takes a savepoint under DIR and stops the job \
         (exit 0; a second one cancels)\n  \
         --drain               with --savepoint-on-stop: move event time to its end first, so \
         every window fires\n  \
         --plan                print the job graph as JSON and exit (draw it with `rill plan`)\n  \
         --metrics-port PORT   serve the job's metrics at http://127.0.0.1:PORT/metrics (Prometheus \
         text, Flink's metric names; 0: a free port, printed)\n  \
         --web-ui PORT         serve the Web UI at http://127.0.0.1:PORT/ (and the metrics)\n  \
         --application         be a JobManager for this job alone (application mode; runs the \
         `rill` command's JobManager, $RILL_CLI or on PATH): with --taskmanagers N it starts N \
         TaskManagers, else `rill taskmanager` processes join it; stops when the job ends. Takes \
         --slots, --rest-address, --rpc-address, --host, --rest-tls-cert/-key, --insecure-bind\n  \
         -h, --help            print this help\n  \
         -D key=value          a Flink configuration key (parallelism.default, \
         execution.checkpointing.interval, execution.checkpointing.dir, execution.savepoint.path, ...); \
         ./rill.toml holds them too, below the command line\n  \
         -V, --version         print the job's name and Rill's version\n  \
         -- ...                parameters for the job itself, e.g. -- --port 9000"
    )
}

/// The job binary's flags that take a value: each may be given as `--flag value` or
/// `--flag=value`, as with any command line tool.
const VALUE_FLAGS: &[&str] = &[
    "--parallelism",
    "--processes",
    "--checkpoint-interval",
    "--checkpoint-dir",
    "--from-savepoint",
    "--savepoint-on-stop",
    "--metrics-port",
    "--web-ui",
];

/// `--flag=value` as `--flag value`, for the flags that take a value (before `--` only: the
/// job's parameters are the job's to read).
fn split_equals(args: &[String]) -> Vec<String> {
    let mut split = Vec::with_capacity(args.len());
    let mut rest = args.iter();
    for a in rest.by_ref() {
        if a == "--" {
            split.push(a.clone());
            break;
        }
        let takes_value =
            |flag: &str| VALUE_FLAGS.contains(&flag) || APPLICATION_FLAGS.iter().any(|(f, takes)| *f == flag && *takes);
        match a.split_once('=') {
            Some((flag, value)) if takes_value(flag) => split.extend([flag.to_owned(), value.to_owned()]),
            _ => split.push(a.clone()),
        }
    }
    split.extend(rest.cloned());
    split
}

/// Parses the job binary's command line (without the program name).
pub fn parse_args(args: &[String]) -> Result<Options, String> {
    let args = &split_equals(args)[..];
    let mut o = Options::default();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        match a {
            "--" => {
                o.parameters = args[i + 1..].to_vec();
                break;
            }
            "-h" | "--help" => o.help = true,
            "-V" | "--version" => o.version = true,
            "--plan" => o.plan = true,
            "--checkpoint-interval" => {
                i += 1;
                let v = args.get(i).ok_or_else(|| format!("{a} needs a duration, e.g. {a} 1s"))?;
                o.checkpoint_interval =
                    Some(crate::checkpoint::config::parse_duration(v).map_err(|e| format!("{a}: {e}"))?);
            }
            "--from-savepoint" => {
                i += 1;
                let v = args.get(i).ok_or_else(|| format!("{a} needs a savepoint's or a chk-<n> directory"))?;
                o.from_savepoint = Some(v.into());
            }
            "--allow-non-restored-state" => o.allow_non_restored_state = true,
            "--savepoint-on-stop" => {
                i += 1;
                let v = args.get(i).ok_or_else(|| format!("{a} needs a directory, e.g. {a} ./savepoints"))?;
                o.savepoint_on_stop = Some(v.into());
            }
            "--drain" => o.drain = true,
            "--metrics-port" | "--web-ui" => {
                i += 1;
                let v = args.get(i).ok_or_else(|| format!("{a} needs a port, e.g. {a} 8081"))?;
                let port = Some(v.parse().map_err(|_| format!("{a} needs a port number (0 to 65535), not '{v}'"))?);
                if a == "--web-ui" {
                    o.web_ui = port;
                } else {
                    o.metrics_port = port;
                }
            }
            "--application" => o.application = true,
            "--checkpoint-dir" => {
                i += 1;
                let v = args.get(i).ok_or_else(|| format!("{a} needs a directory, e.g. {a} ./checkpoints"))?;
                o.checkpoint_dir = Some(v.into());
            }
            "--processes" => {
                i += 1;
                let v = args.get(i).ok_or_else(|| format!("{a} needs a number, e.g. {a} 2"))?;
                o.processes = Some(parse_parallelism(a, v)?);
            }
            "--worker" => {
                let index = args.get(i + 1).and_then(|v| v.parse().ok());
                let coordinator = args.get(i + 2).filter(|f| *f == "--coordinator").and(args.get(i + 3));
                match (index, coordinator) {
                    (Some(index), Some(addr)) => o.worker = Some((index, addr.clone())),
                    _ => return Err("--worker I --coordinator ADDR is how a coordinator starts its workers".into()),
                }
                i += 3;
            }
            "-p" | "--parallelism" => {
                i += 1;
                let v = args.get(i).ok_or_else(|| format!("{a} needs a number, e.g. {a} 4"))?;
                o.parallelism = Some(parse_parallelism(a, v)?);
            }
            _ if APPLICATION_FLAGS.iter().any(|(f, _)| *f == a) => {
                o.cluster_flags.push(a.to_owned());
                if APPLICATION_FLAGS.iter().any(|(f, takes)| *f == a && *takes) {
                    i += 1;
                    let v = args.get(i).ok_or_else(|| format!("{a} needs a value"))?;
                    o.cluster_flags.push(v.clone());
                }
            }
            _ => {
                if let Some(v) = a.strip_prefix("-p").filter(|v| !v.is_empty()) {
                    o.parallelism = Some(parse_parallelism("-p", v)?);
                } else {
                    return Err(format!("unknown argument '{a}' (job parameters go after --)"));
                }
            }
        }
        i += 1;
    }
    if let Some(flag) = o.cluster_flags.first().filter(|_| !o.application) {
        return Err(format!("{flag} goes with --application (a JobManager for this job)"));
    }
    if o.application {
        let conflicting = [
            (o.processes.is_some(), "--processes"),
            (o.worker.is_some(), "--worker"),
            (o.plan, "--plan"),
            (o.savepoint_on_stop.is_some(), "--savepoint-on-stop (stop it with rill stop)"),
            (o.metrics_port.is_some(), "--metrics-port (the JobManager serves the REST API)"),
        ];
        if let Some((_, flag)) = conflicting.iter().find(|(set, _)| *set) {
            return Err(format!("--application does not go with {flag}"));
        }
    }
    if (o.metrics_port.is_some() || o.web_ui.is_some()) && (o.processes.is_some_and(|n| n > 1) || o.worker.is_some()) {
        return Err("--metrics-port and --web-ui serve a job that runs in one process (not with --processes)".into());
    }
    if o.metrics_port.is_some() && o.web_ui.is_some() {
        return Err("--web-ui serves the metrics too, at /metrics: give one of --web-ui and --metrics-port".into());
    }
    if o.web_ui.is_some() && o.application {
        return Err("--application does not go with --web-ui (the JobManager serves the Web UI)".into());
    }
    Ok(o)
}

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

fn parse_parallelism(flag: &str, v: &str) -> Result<usize, String> {
    let max = crate::core::plan::MAX_PARALLELISM;
    match v.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        Ok(n) if n > max => Err(format!("{flag} {n} is above the most there can be, {max} (as in Flink)")),
        _ => Err(format!("{flag} needs a whole number of at least 1, not '{v}'")),
    }
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
            let mut text = String::from("\n\njob parameters (after --; any other is an error):");
            for (name, switch) in read {
                text.push_str(&format!("\n  --{name}{}", if switch { "" } else { " VALUE" }));
            }
            text
        }
        Ok(_) => "\n\nThe job reads no parameters of its own.".to_owned(),
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
    let options = match args.and_then(|args| parse_args(&args)) {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("error: {msg}\n\n{}", usage(plan.job));
            std::process::exit(2);
        }
    };
    if options.version {
        println!("{} (Rill {})", plan.job, env!("CARGO_PKG_VERSION"));
        std::process::exit(0);
    }
    if options.help {
        println!("{}{}", usage(plan.job), parameters_help(plan, build));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_parallelism_plan_and_parameters() {
        let o = parse_args(&args(&["-p", "3", "--plan", "--", "--port", "9"])).unwrap();
        assert_eq!(o.parallelism, Some(3));
        assert!(o.plan);
        assert_eq!(o.parameters, args(&["--port", "9"]));
        assert_eq!(parse_args(&args(&["-p2"])).unwrap().parallelism, Some(2));
        assert_eq!(parse_args(&args(&["--parallelism=5"])).unwrap().parallelism, Some(5));
        // Every flag that takes a value takes it after '=' too; the job's parameters are left.
        let o = parse_args(&args(&["--processes=2", "--checkpoint-interval=1s", "--", "--port=9"])).unwrap();
        assert_eq!((o.processes, o.checkpoint_interval), (Some(2), Some(std::time::Duration::from_secs(1))));
        assert_eq!(o.parameters, args(&["--port=9"]));
        assert!(parse_args(&args(&["--plan=yes"])).is_err());
        assert!(parse_args(&args(&["-V"])).unwrap().version);
    }

    #[test]
    fn rejects_bad_arguments_with_a_reason() {
        assert!(parse_args(&args(&["-p", "0"])).unwrap_err().contains("at least 1"));
        assert!(parse_args(&args(&["-p"])).unwrap_err().contains("needs a number"));
        assert!(parse_args(&args(&["--port", "1"])).unwrap_err().contains("unknown argument '--port'"));
    }
}
