//! `rill`: the Rill command line.

use clap::{Args, Parser, Subcommand};
use rill_cli::client::{self, Client, ListWhich};
use rill_cli::cluster::home::Home;
use rill_cli::cluster::{jobmanager, lifecycle, taskmanager};
use rill_cli::plan::Format;
use std::path::PathBuf;
use std::process::ExitCode;

/// The Rill command line: draws job plans, inspects savepoints, runs a session cluster and
/// submits jobs to it.
#[derive(Parser)]
#[command(name = "rill", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a job crate of your own: the word count, a test of it, and a Cargo.toml
    /// with the rill dependency (then: cd NAME && cargo run --release; cargo test).
    New {
        /// Where the crate goes; its last part names the crate and its job binary (e.g.
        /// my-job, or ../jobs/my-job), as cargo new's path does.
        path: PathBuf,
        /// The runtime/ directory of a Rill checkout to depend on (default: $RILL_SOURCE,
        /// else the sources this rill was built from).
        #[arg(long)]
        rill_path: Option<PathBuf>,
    },
    /// Draw the plan a job binary embeds: its chains of fused operators, their parallelism,
    /// and the exchanges between them with their partitioning.
    Plan {
        /// The job binary (built from a #[rill::job] function).
        job_binary: PathBuf,
        /// text, mermaid, dot or json.
        #[arg(short, long, default_value = "text", value_parser = parse_format)]
        format: Format,
        /// The job's default parallelism.
        #[arg(short, long, value_parser = clap::value_parser!(u32).range(1..))]
        parallelism: Option<u32>,
    },
    /// Take a savepoint of a running job (`rill savepoint JOB_ID [DIR]`), or inspect one
    /// (`rill savepoint inspect PATH`).
    #[command(args_conflicts_with_subcommands = true)]
    Savepoint {
        #[command(subcommand)]
        command: Option<SavepointCommand>,
        /// The running job's id.
        job_id: Option<String>,
        /// Where the savepoint goes (default: savepoints/ in the cluster home).
        dir: Option<PathBuf>,
        #[command(flatten)]
        target: Target,
    },
    /// Start or stop a session cluster on this machine (its home: $RILL_HOME).
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// The JobManager process.
    #[command(subcommand)]
    Jobmanager(ForegroundJobManager),
    /// A TaskManager process.
    #[command(subcommand)]
    Taskmanager(ForegroundTaskManager),
    /// Submit a job binary to the cluster and run it (attached: until it ends).
    Run(RunArgs),
    /// List the cluster's jobs (running ones unless told otherwise).
    List {
        /// Running jobs.
        #[arg(short, long)]
        running: bool,
        /// Scheduled jobs.
        #[arg(short, long)]
        scheduled: bool,
        /// Every job, ended ones too.
        #[arg(short, long)]
        all: bool,
        #[command(flatten)]
        target: Target,
    },
    /// Stop a running job with a savepoint (resume it with rill run -s PATH).
    Stop {
        /// The job's id.
        job_id: String,
        /// Where the savepoint goes (default: savepoints/ in the cluster home).
        #[arg(short = 'p', long = "savepoint-path", alias = "savepointPath")]
        savepoint_path: Option<PathBuf>,
        /// Move event time to its end first, so every window fires.
        #[arg(short, long)]
        drain: bool,
        #[command(flatten)]
        target: Target,
    },
    /// Show what a job printed (its `print` output, from every TaskManager), or its log.
    Logs {
        /// The job's id.
        job_id: String,
        /// The job's messages (its coordinator's and its workers') instead.
        #[arg(long)]
        log: bool,
        #[command(flatten)]
        target: Target,
    },
    /// Print the shell completions of rill (e.g. rill completions bash > ~/.local/share/bash-completion/completions/rill).
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Show the plan a job binary embeds, as JSON (Flink's `flink info`).
    Info {
        /// The job binary.
        job_binary: PathBuf,
        /// The job's default parallelism.
        #[arg(short, long, value_parser = clap::value_parser!(u32).range(1..))]
        parallelism: Option<u32>,
    },
    /// Cancel a running job.
    Cancel {
        /// The job's id (32 hex digits, as `rill run` and `rill list` print it).
        job_id: String,
        #[command(flatten)]
        target: Target,
    },
}

#[derive(Subcommand)]
enum SavepointCommand {
    /// What a savepoint or checkpoint (its chk-<n> directory) holds: its job, operators by
    /// uid, their states with entry counts and sizes.
    Inspect {
        /// A savepoint directory, a chk-<n> directory, or s3://bucket/prefix.
        path: PathBuf,
    },
}

#[derive(Subcommand)]
enum ClusterCommand {
    /// Start a JobManager and TaskManagers in the background (Flink's start-cluster.sh).
    Start {
        /// How many TaskManagers.
        #[arg(long, default_value_t = 1)]
        taskmanagers: usize,
        /// Slots per TaskManager (a job of parallelism p needs p slots).
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=1024))]
        slots: u32,
        /// Where the REST API listens.
        #[arg(long, default_value = "127.0.0.1:8081")]
        rest_address: String,
        /// Where TaskManagers connect to the JobManager.
        #[arg(long, default_value = "127.0.0.1:6123")]
        rpc_address: String,
        /// How long a job waits for slots before it fails (Flink's slot.request.timeout).
        #[arg(long, default_value = "5min")]
        slot_request_timeout: String,
        /// How often the JobManager and its TaskManagers say they are alive.
        #[arg(long, default_value = "1s")]
        heartbeat_interval: String,
        /// How long a silent side has before it counts as gone.
        #[arg(long, default_value = "10s")]
        heartbeat_timeout: String,
        #[command(flatten)]
        tls: RestTls,
    },
    /// Stop the cluster's processes (Flink's stop-cluster.sh); running jobs are cancelled.
    Stop,
}

#[derive(Subcommand)]
enum ForegroundJobManager {
    /// Run a JobManager in this terminal (in a container, or one per machine).
    StartForeground {
        /// Where the REST API listens.
        #[arg(long, default_value = "127.0.0.1:8081")]
        rest_address: std::net::SocketAddr,
        /// Where TaskManagers connect.
        #[arg(long, default_value = "127.0.0.1:6123")]
        rpc_address: std::net::SocketAddr,
        /// Where the jobs' coordinators listen, which TaskManagers reach (Flink's
        /// jobmanager.rpc.address); default: the IP of --rpc-address.
        #[arg(long)]
        host: Option<std::net::IpAddr>,
        #[command(flatten)]
        tls: RestTls,
        /// Listen on a non-loopback address anyway: the REST API without TLS, or the
        /// TaskManagers' listener (authenticated, not encrypted).
        #[arg(long)]
        insecure_bind: bool,
        /// How long a job waits for slots before it fails (Flink's slot.request.timeout).
        #[arg(long, default_value = "5min", value_parser = rill::checkpoint::config::parse_duration)]
        slot_request_timeout: std::time::Duration,
        /// How often the JobManager and its TaskManagers say they are alive.
        #[arg(long, default_value = "1s", value_parser = rill::checkpoint::config::parse_duration)]
        heartbeat_interval: std::time::Duration,
        /// How long a silent side has before it counts as gone.
        #[arg(long, default_value = "10s", value_parser = rill::checkpoint::config::parse_duration)]
        heartbeat_timeout: std::time::Duration,
        #[command(flatten)]
        application: ApplicationArgs,
    },
}

/// Application mode: a JobManager for one job (what `./job --application` runs).
#[derive(Args)]
struct ApplicationArgs {
    /// Run this job binary as the only job, and stop when it ends (exit 0 if it finished).
    #[arg(long, value_name = "JOB_BINARY")]
    application: Option<PathBuf>,
    /// With --application: TaskManagers to start on this machine (0: `rill taskmanager`
    /// processes join it).
    #[arg(long, default_value_t = 0, requires = "application")]
    taskmanagers: usize,
    /// With --application: slots of each TaskManager it starts (default: the job's parallelism).
    #[arg(long, requires = "application", value_parser = clap::value_parser!(u32).range(1..=1024))]
    slots: Option<u32>,
    /// With --application: the job's parallelism.
    #[arg(short, long, requires = "application", value_parser = clap::value_parser!(u32).range(1..))]
    parallelism: Option<u32>,
    /// With --application: start from this savepoint (or retained checkpoint).
    #[arg(short = 's', long = "from-savepoint", requires = "application")]
    savepoint: Option<String>,
    /// With -s: leave behind state of operators the job no longer has.
    #[arg(short = 'n', long = "allow-non-restored-state", requires = "savepoint")]
    allow_non_restored_state: bool,
    /// With --application: the job binary's own flags, then `--` and the job's parameters.
    #[arg(last = true, requires = "application")]
    job_args: Vec<String>,
}

impl ApplicationArgs {
    fn application(self) -> Result<Option<rill_cli::cluster::application::Application>, String> {
        let Some(binary) = self.application else { return Ok(None) };
        let mut job_args = self.job_args.into_iter();
        let flags: Vec<String> = job_args.by_ref().take_while(|a| a != "--").collect();
        let parallelism = self.parallelism.map(|p| p as usize);
        Ok(Some(rill_cli::cluster::application::Application {
            binary: absolute(binary)?,
            taskmanagers: self.taskmanagers,
            slots: self.slots.map_or(parallelism.unwrap_or(1), |s| s as usize),
            request: rill_cli::cluster::state::RunRequest {
                parallelism,
                args: job_args.collect(),
                savepoint: self.savepoint,
                allow_non_restored_state: self.allow_non_restored_state,
                flags,
            },
        }))
    }
}

#[derive(Subcommand)]
enum ForegroundTaskManager {
    /// Run a TaskManager in this terminal, joined to a JobManager.
    StartForeground {
        /// The JobManager's TaskManager address (its --rpc-address).
        #[arg(long)]
        jobmanager: String,
        /// Slots it offers.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=1024))]
        slots: u32,
        /// Its name in the cluster (its log and .out files are named after it).
        #[arg(long, default_value = "taskmanager")]
        name: String,
        /// Where its workers listen, which the other TaskManagers reach (Flink's
        /// taskmanager.host); default: the address it reaches the JobManager from.
        #[arg(long)]
        host: Option<std::net::IpAddr>,
    },
}

/// The REST API over HTTPS (Flink's `security.ssl.rest.*`).
#[derive(Args, Clone)]
struct RestTls {
    /// The REST API's certificate chain (PEM): it serves HTTPS. Clients of this cluster home
    /// trust the chain's certificates; others set RILL_REST_CA to the CA's PEM file.
    #[arg(long, requires = "rest_tls_key")]
    rest_tls_cert: Option<PathBuf>,
    /// The private key of --rest-tls-cert (PEM).
    #[arg(long, requires = "rest_tls_cert")]
    rest_tls_key: Option<PathBuf>,
}

impl RestTls {
    fn files(self) -> Option<rill_cli::cluster::tls::Files> {
        Some(rill_cli::cluster::tls::Files {
            cert: absolute(self.rest_tls_cert?).ok()?,
            key: absolute(self.rest_tls_key?).ok()?,
        })
    }
}

/// Which cluster a client command talks to.
#[derive(Args)]
struct Target {
    /// The JobManager's REST address (default: $RILL_JOBMANAGER, else the cluster home's).
    #[arg(short = 'm', long = "jobmanager")]
    jobmanager: Option<String>,
}

#[derive(Args)]
struct RunArgs {
    /// Submit and return (detached) instead of following the job to its end.
    #[arg(short, long)]
    detached: bool,
    /// The job's parallelism.
    #[arg(short, long, value_parser = clap::value_parser!(u32).range(1..))]
    parallelism: Option<u32>,
    /// Start from this savepoint (or retained checkpoint).
    #[arg(short = 's', long = "fromSavepoint")]
    savepoint: Option<String>,
    /// Where the job runs: remote (the session cluster) or per-job (a JobManager and a
    /// TaskManager of its own, started for it and stopped when it ends).
    #[arg(short = 't', long = "target", default_value = "remote", value_parser = ["remote", "per-job"])]
    deployment: String,
    /// With -s: leave behind state of operators the job no longer has.
    #[arg(short = 'n', long = "allowNonRestoredState")]
    allow_non_restored_state: bool,
    /// A configuration key for the job, as Flink's -D (execution.checkpointing.interval=1s,
    /// execution.checkpointing.dir=DIR).
    #[arg(short = 'D', value_name = "KEY=VALUE", value_parser = parse_key_value)]
    config: Vec<(String, String)>,
    #[command(flatten)]
    target: Target,
    /// The job binary.
    job_binary: PathBuf,
    /// The job's own parameters (after --).
    #[arg(last = true)]
    args: Vec<String>,
}

fn parse_key_value(text: &str) -> Result<(String, String), String> {
    let (k, v) = text.split_once('=').ok_or_else(|| format!("'{text}' is not KEY=VALUE"))?;
    Ok((k.trim().to_owned(), v.trim().to_owned()))
}

fn parse_format(text: &str) -> Result<Format, String> {
    text.parse()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Plan { job_binary, format, parallelism } => {
            rill_cli::plan_of(&job_binary, parallelism.map(|p| p as usize))
                .map(|plan| print!("{}", rill_cli::plan::render(&plan, format)))
        }
        Command::Savepoint { command: Some(SavepointCommand::Inspect { path }), .. } => {
            rill::checkpoint::inspect::describe(&path).map(|text| print!("{text}"))
        }
        Command::Savepoint { command: None, job_id: None, .. } => {
            return usage_error("rill savepoint takes a job id (and a directory), or: rill savepoint inspect PATH")
        }
        Command::Savepoint { command: None, job_id: Some(job_id), dir, target } => home().and_then(|home| {
            let dir = absolute(dir.unwrap_or_else(|| home.dir().join("savepoints")))?;
            println!("Triggering savepoint for job {job_id}.");
            let client = Client::new(&home, target.jobmanager.as_deref())?;
            let path = client::savepoint(&client, &job_id, &dir.to_string_lossy())?;
            println!("Savepoint completed. Path: {path}");
            Ok(())
        }),
        Command::Cluster(command) => cluster(command),
        Command::Jobmanager(ForegroundJobManager::StartForeground {
            rest_address,
            rpc_address,
            host,
            tls,
            insecure_bind,
            slot_request_timeout,
            heartbeat_interval,
            heartbeat_timeout,
            application,
        }) => {
            if heartbeat_interval >= heartbeat_timeout {
                return usage_error("--heartbeat-interval must be shorter than --heartbeat-timeout");
            }
            rill::log::init();
            let code = application.application().and_then(|application| {
                // An application's JobManager has a home of its own unless told where.
                let home = match (&application, std::env::var_os(rill_cli::cluster::home::HOME_ENV)) {
                    (Some(app), None) => {
                        let id =
                            rill::net::auth::Secret::generate().map_err(|e| e.to_string())?.to_hex()[..16].to_owned();
                        let job =
                            app.binary.file_name().map_or_else(|| "job".into(), |n| n.to_string_lossy().into_owned());
                        Home::at(home()?.dir().join("application").join(format!("{job}-{id}")))
                    }
                    _ => home()?,
                };
                let listen = jobmanager::Listen {
                    rest: rest_address,
                    rpc: rpc_address,
                    host,
                    tls: tls.files(),
                    insecure: insecure_bind,
                    slot_timeout: slot_request_timeout,
                    heartbeat: rill_cli::cluster::protocol::Heartbeat {
                        interval: heartbeat_interval,
                        timeout: heartbeat_timeout,
                    },
                    application,
                };
                jobmanager::start_foreground(&home, &listen)
            });
            match code {
                Ok(code) => return ExitCode::from(code),
                Err(e) => Err(e),
            }
        }
        Command::Taskmanager(ForegroundTaskManager::StartForeground { jobmanager, slots, name, host }) => {
            rill::log::init();
            home().and_then(|home| taskmanager::start_foreground(&home, &jobmanager, slots as usize, &name, host))
        }
        Command::Run(run) if run.deployment == "per-job" => {
            if run.detached || run.target.jobmanager.is_some() {
                return usage_error("-t per-job runs attached, on a cluster of its own: without -d and -m");
            }
            let slots = run.parallelism.unwrap_or(1) as usize;
            let run = client::Run {
                binary: run.job_binary,
                parallelism: run.parallelism.map(|p| p as usize),
                detached: false,
                savepoint: run.savepoint,
                allow_non_restored_state: run.allow_non_restored_state,
                config: run.config,
                args: run.args,
            };
            match home().and_then(|home| lifecycle::per_job(&home, slots, &run)) {
                Ok(0) => Ok(()),
                Ok(code) => return ExitCode::from(code as u8),
                Err(e) => Err(e),
            }
        }
        Command::Run(run) => {
            let target = run.target.jobmanager.clone();
            let run = client::Run {
                binary: run.job_binary,
                parallelism: run.parallelism.map(|p| p as usize),
                detached: run.detached,
                savepoint: run.savepoint,
                allow_non_restored_state: run.allow_non_restored_state,
                config: run.config,
                args: run.args,
            };
            match home().and_then(|home| Client::new(&home, target.as_deref())).and_then(|c| client::run(&c, &run)) {
                Ok(0) => Ok(()),
                Ok(code) => return ExitCode::from(code as u8),
                Err(e) => Err(e),
            }
        }
        Command::List { running, scheduled, all, target } => home()
            .and_then(|home| Client::new(&home, target.jobmanager.as_deref()))
            .and_then(|c| client::list(&c, ListWhich { running, scheduled, all }))
            .map(|text| print!("{text}")),
        Command::Stop { job_id, savepoint_path, drain, target } => home().and_then(|home| {
            let dir = absolute(savepoint_path.unwrap_or_else(|| home.dir().join("savepoints")))?;
            println!("Suspending job {job_id}.");
            let client = Client::new(&home, target.jobmanager.as_deref())?;
            let path = client::stop(&client, &job_id, &dir.to_string_lossy(), drain)?;
            println!("Savepoint completed. Path: {path}");
            Ok(())
        }),
        Command::Logs { job_id, log, target } => home()
            .and_then(|home| Client::new(&home, target.jobmanager.as_deref()))
            .and_then(|c| c.get_text(&format!("/jobs/{job_id}/{}", if log { "log" } else { "stdout" })))
            .map(|text| print!("{text}")),
        Command::New { path, rill_path } => rill_cli::new_job::rill_source(rill_path.as_deref())
            .and_then(|rill| rill_cli::new_job::create(&path, &rill))
            .map(|text| print!("{text}")),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "rill", &mut std::io::stdout());
            Ok(())
        }
        Command::Info { job_binary, parallelism } => rill_cli::plan_of(&job_binary, parallelism.map(|p| p as usize))
            .map(|plan| print!("{}", rill_cli::plan::render(&plan, Format::Json))),
        Command::Cancel { job_id, target } => home()
            .and_then(|home| Client::new(&home, target.jobmanager.as_deref()))
            .and_then(|c| c.cancel(&job_id))
            .map(|()| println!("Cancelled job {job_id}.")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A directory as the JobManager needs it: absolute, or in S3.
fn absolute(dir: PathBuf) -> Result<PathBuf, String> {
    if dir.to_string_lossy().starts_with("s3://") || dir.is_absolute() {
        return Ok(dir);
    }
    Ok(std::env::current_dir().map_err(|e| e.to_string())?.join(dir))
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

fn home() -> Result<Home, String> {
    Home::from_env()
}

fn cluster(command: ClusterCommand) -> Result<(), String> {
    let home = home()?;
    let text = match command {
        ClusterCommand::Start {
            taskmanagers,
            slots,
            rest_address,
            rpc_address,
            slot_request_timeout,
            heartbeat_interval,
            heartbeat_timeout,
            tls,
        } => {
            let duration = |flag: &str, text: &str| {
                rill::checkpoint::config::parse_duration(text).map_err(|e| format!("--{flag}: {e}"))
            };
            duration("slot-request-timeout", &slot_request_timeout)?;
            if duration("heartbeat-interval", &heartbeat_interval)?
                >= duration("heartbeat-timeout", &heartbeat_timeout)?
            {
                return Err("--heartbeat-interval must be shorter than --heartbeat-timeout".into());
            }
            let options = lifecycle::StartOptions {
                taskmanagers,
                slots: slots as usize,
                rest: rest_address,
                rpc: rpc_address,
                slot_timeout: slot_request_timeout,
                heartbeat: (heartbeat_interval, heartbeat_timeout),
                tls: tls.files(),
            };
            lifecycle::start(&home, &options)?
        }
        ClusterCommand::Stop => lifecycle::stop(&home)?,
    };
    print!("{text}");
    Ok(())
}
