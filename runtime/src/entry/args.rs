//! A job binary's command line, with clap: its flags, `--help` (with the job's own
//! parameters after them), `--version`, `--flag=value` and `-p4` as any clap tool takes them.

use clap::{error::ErrorKind, CommandFactory, FromArgMatches, Parser};
use std::path::PathBuf;
use std::time::Duration;

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
    /// `--completions SHELL`: print the shell's completions of these flags.
    pub completions: Option<clap_complete::Shell>,
    /// `--processes N`: run the job over N processes of this binary, connected by TCP.
    pub processes: Option<usize>,
    /// `--worker I --coordinator ADDR`: run as worker I of a job a coordinator splits.
    pub worker: Option<(usize, String)>,
    /// `--checkpoint-interval D`: take a checkpoint every D (`500ms`, `1s`, `2min`).
    pub checkpoint_interval: Option<Duration>,
    /// `--checkpoint-dir DIR`: where checkpoints go.
    pub checkpoint_dir: Option<PathBuf>,
    /// `--from-savepoint PATH`: start from a savepoint or a retained checkpoint.
    pub from_savepoint: Option<PathBuf>,
    /// `--allow-non-restored-state`: leave state of operators the job no longer has.
    pub allow_non_restored_state: bool,
    /// `--savepoint-on-stop DIR`: SIGTERM and Ctrl-C take a savepoint there and stop the job.
    pub savepoint_on_stop: Option<PathBuf>,
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

const APPLICATION: &str = "Application mode (with --application)";

/// The flags, as clap reads them; [`parse_args`] turns them into [`Options`].
#[derive(Parser, Debug)]
#[command(about, long_about = None, disable_version_flag = true, args_override_self = true)]
struct Args {
    /// Default parallelism of the job's operators (default: the machine's cores)
    #[arg(short = 'p', long, value_name = "N", value_parser = parallelism)]
    parallelism: Option<usize>,
    /// Run the job over N processes of this binary on this machine, subtask s in process
    /// s % N, exchanges between them over TCP (default: 1)
    #[arg(long, value_name = "N", value_parser = parallelism)]
    processes: Option<usize>,
    /// Print the job graph as JSON and exit (draw it with `rill plan`)
    #[arg(long)]
    plan: bool,
    /// Take a checkpoint every D (500ms, 1s, 2min); a failure then restarts the job from
    /// the last one
    #[arg(long, value_name = "D", value_parser = duration)]
    checkpoint_interval: Option<Duration>,
    /// Where checkpoints go, a directory or s3://bucket/prefix (default:
    /// $XDG_STATE_HOME/rill/checkpoints, else ~/.local/state/rill/checkpoints)
    #[arg(long, value_name = "DIR")]
    checkpoint_dir: Option<PathBuf>,
    /// Start from a savepoint or a retained checkpoint (its chk-<n> directory); state is
    /// matched to operators by uid
    #[arg(long, value_name = "PATH")]
    from_savepoint: Option<PathBuf>,
    /// With --from-savepoint: leave behind the state of operators the job no longer has
    #[arg(long)]
    allow_non_restored_state: bool,
    /// SIGTERM or Ctrl-C takes a savepoint under DIR and stops the job (exit 0; a second
    /// one cancels)
    #[arg(long, value_name = "DIR")]
    savepoint_on_stop: Option<PathBuf>,
    /// With --savepoint-on-stop: move event time to its end first, so every window fires
    #[arg(long)]
    drain: bool,
    /// Serve the job's metrics at http://127.0.0.1:PORT/metrics (Prometheus text, Flink's
    /// metric names; 0: a free port, printed)
    #[arg(long, value_name = "PORT")]
    metrics_port: Option<u16>,
    /// Serve the Web UI at http://127.0.0.1:PORT/ (and the metrics)
    #[arg(long, value_name = "PORT")]
    web_ui: Option<u16>,
    /// A Flink configuration key (parallelism.default, execution.checkpointing.interval,
    /// execution.checkpointing.dir, execution.savepoint.path, ...); ./rill.toml holds them
    /// too, below the command line
    #[arg(short = 'D', value_name = "KEY=VALUE")]
    config: Vec<String>,
    /// Print the job's name and Rill's version
    #[arg(short = 'V', long)]
    version: bool,
    /// Print the completions of these flags for SHELL (bash, zsh, fish, elvish,
    /// powershell): `source <(./word_count --completions bash)`
    #[arg(long, value_name = "SHELL")]
    completions: Option<clap_complete::Shell>,
    /// Be a JobManager for this job alone (runs the `rill` command's JobManager, $RILL_CLI
    /// or on PATH): with --taskmanagers N it starts N TaskManagers, else `rill taskmanager`
    /// processes join it; stops when the job ends
    #[arg(long, help_heading = APPLICATION)]
    application: bool,
    /// TaskManagers to start beside the JobManager
    #[arg(long, value_name = "N", help_heading = APPLICATION)]
    taskmanagers: Option<String>,
    /// Task slots of each TaskManager started
    #[arg(long, value_name = "N", help_heading = APPLICATION)]
    slots: Option<String>,
    /// The REST API's and Web UI's address (HOST:PORT)
    #[arg(long, value_name = "ADDR", help_heading = APPLICATION)]
    rest_address: Option<String>,
    /// The address TaskManagers connect to (HOST:PORT)
    #[arg(long, value_name = "ADDR", help_heading = APPLICATION)]
    rpc_address: Option<String>,
    /// The host name other machines reach this one by
    #[arg(long, value_name = "HOST", help_heading = APPLICATION)]
    host: Option<String>,
    /// TLS certificate of the REST API (PEM)
    #[arg(long, value_name = "FILE", help_heading = APPLICATION)]
    rest_tls_cert: Option<String>,
    /// TLS key of the REST API (PEM)
    #[arg(long, value_name = "FILE", help_heading = APPLICATION)]
    rest_tls_key: Option<String>,
    /// How long the job waits for free slots
    #[arg(long, value_name = "D", help_heading = APPLICATION)]
    slot_request_timeout: Option<String>,
    /// How often TaskManagers report
    #[arg(long, value_name = "D", help_heading = APPLICATION)]
    heartbeat_interval: Option<String>,
    /// After how long without a report a TaskManager is lost
    #[arg(long, value_name = "D", help_heading = APPLICATION)]
    heartbeat_timeout: Option<String>,
    /// Listen beyond loopback without TLS
    #[arg(long, help_heading = APPLICATION)]
    insecure_bind: bool,
    /// Run as worker I of a job its coordinator splits over processes (with --coordinator).
    #[arg(long, value_name = "I", hide = true, requires = "coordinator")]
    worker: Option<usize>,
    /// The coordinator a worker connects to.
    #[arg(long, value_name = "ADDR", hide = true, requires = "worker")]
    coordinator: Option<String>,
    /// Parameters for the job itself, after --: e.g. -- --port 9000
    #[arg(last = true, value_name = "JOB PARAMETERS")]
    parameters: Vec<String>,
}

/// The command clap describes, named after the job.
fn command(job: &'static str) -> clap::Command {
    Args::command()
        .name(job)
        .bin_name(job.to_owned())
        .about(format!("Runs the Rill job '{job}' on this machine (or in a cluster: rill run)."))
}

/// The completions of the job binary's flags for `shell`, as a script for it to source.
pub fn completions(job: &'static str, shell: clap_complete::Shell) -> String {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command(job), job, &mut script);
    String::from_utf8_lossy(&script).into_owned()
}

/// The job binary's usage line, for errors found after the flags were read.
pub fn usage(job: &'static str) -> String {
    format!("{}\n\nFor more information, try '--help'.", command(job).render_usage())
}

/// The job binary's help, with `job_parameters` (the job's own, after `--`) at the end.
pub fn help(job: &'static str, job_parameters: &str) -> String {
    let mut command = command(job);
    if !job_parameters.is_empty() {
        command = command.after_help(job_parameters.to_owned());
    }
    command.render_help().to_string()
}

/// Why the command line was not read: clap's error (already worded, with the usage), or
/// one of the checks between flags.
#[derive(Debug)]
pub enum ArgsError {
    /// A flag clap could not read (unknown, missing value, bad value).
    Clap(Box<clap::Error>),
    /// Flags that do not go together.
    Conflict(String),
}

impl std::fmt::Display for ArgsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArgsError::Clap(e) => write!(f, "{}", e.render().to_string().trim_end()),
            ArgsError::Conflict(message) => f.write_str(message),
        }
    }
}

/// Parses the job binary's command line (without the program name).
pub fn parse_args(job: &'static str, args: &[String]) -> Result<Options, ArgsError> {
    let matches = match command(job).try_get_matches_from(std::iter::once(job.to_owned()).chain(args.iter().cloned())) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::DisplayHelp => return Ok(Options { help: true, ..Options::default() }),
        Err(e) => return Err(ArgsError::Clap(Box::new(e))),
    };
    let a = Args::from_arg_matches(&matches).map_err(|e| ArgsError::Clap(Box::new(e)))?;
    let conflict = |m: String| Err(ArgsError::Conflict(m));
    let mut cluster_flags = Vec::new();
    for (flag, value) in [
        ("--taskmanagers", &a.taskmanagers),
        ("--slots", &a.slots),
        ("--rest-address", &a.rest_address),
        ("--rpc-address", &a.rpc_address),
        ("--host", &a.host),
        ("--rest-tls-cert", &a.rest_tls_cert),
        ("--rest-tls-key", &a.rest_tls_key),
        ("--slot-request-timeout", &a.slot_request_timeout),
        ("--heartbeat-interval", &a.heartbeat_interval),
        ("--heartbeat-timeout", &a.heartbeat_timeout),
    ] {
        if let Some(v) = value {
            cluster_flags.extend([flag.to_owned(), v.clone()]);
        }
    }
    if a.insecure_bind {
        cluster_flags.push("--insecure-bind".to_owned());
    }
    if let Some(flag) = cluster_flags.first().filter(|_| !a.application) {
        return conflict(format!("{flag} goes with --application (a JobManager for this job)"));
    }
    let o = Options {
        parallelism: a.parallelism,
        plan: a.plan,
        help: false,
        version: a.version,
        completions: a.completions,
        processes: a.processes,
        worker: a.worker.zip(a.coordinator),
        checkpoint_interval: a.checkpoint_interval,
        checkpoint_dir: a.checkpoint_dir,
        from_savepoint: a.from_savepoint,
        allow_non_restored_state: a.allow_non_restored_state,
        savepoint_on_stop: a.savepoint_on_stop,
        drain: a.drain,
        metrics_port: a.metrics_port,
        web_ui: a.web_ui,
        application: a.application,
        cluster_flags,
        parameters: a.parameters,
    };
    if o.application {
        let conflicting = [
            (o.processes.is_some(), "--processes"),
            (o.worker.is_some(), "--worker"),
            (o.plan, "--plan"),
            (o.savepoint_on_stop.is_some(), "--savepoint-on-stop (stop it with rill stop)"),
            (o.metrics_port.is_some(), "--metrics-port (the JobManager serves the REST API)"),
            (o.web_ui.is_some(), "--web-ui (the JobManager serves the Web UI)"),
        ];
        if let Some((_, flag)) = conflicting.iter().find(|(set, _)| *set) {
            return conflict(format!("--application does not go with {flag}"));
        }
    }
    if (o.metrics_port.is_some() || o.web_ui.is_some()) && (o.processes.is_some_and(|n| n > 1) || o.worker.is_some()) {
        return conflict(
            "--metrics-port and --web-ui serve a job that runs in one process (not with --processes)".into(),
        );
    }
    if o.metrics_port.is_some() && o.web_ui.is_some() {
        return conflict(
            "--web-ui serves the metrics too, at /metrics: give one of --web-ui and --metrics-port".into(),
        );
    }
    Ok(o)
}

/// A parallelism: 1 up to Flink's most, 32768.
fn parallelism(v: &str) -> Result<usize, String> {
    let max = crate::core::plan::MAX_PARALLELISM;
    match v.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        Ok(n) if n > max => Err(format!("{n} is above the most there can be, {max} (as in Flink)")),
        _ => Err("a whole number of at least 1".to_owned()),
    }
}

fn duration(v: &str) -> Result<Duration, String> {
    crate::checkpoint::config::parse_duration(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    fn parse(a: &[&str]) -> Result<Options, String> {
        parse_args("job", &args(a)).map_err(|e| e.to_string())
    }

    #[test]
    fn parses_parallelism_plan_and_parameters() {
        let o = parse(&["-p", "3", "--plan", "--", "--port", "9"]).unwrap();
        assert_eq!(o.parallelism, Some(3));
        assert!(o.plan);
        assert_eq!(o.parameters, args(&["--port", "9"]));
        assert_eq!(parse(&["-p2"]).unwrap().parallelism, Some(2));
        assert_eq!(parse(&["--parallelism=5"]).unwrap().parallelism, Some(5));
        // Every flag that takes a value takes it after '=' too; the job's parameters are left.
        let o = parse(&["--processes=2", "--checkpoint-interval=1s", "--", "--port=9"]).unwrap();
        assert_eq!((o.processes, o.checkpoint_interval), (Some(2), Some(Duration::from_secs(1))));
        assert_eq!(o.parameters, args(&["--port=9"]));
        assert!(parse(&["--plan=yes"]).is_err());
        assert!(parse(&["-V"]).unwrap().version);
        assert!(parse(&["--help"]).unwrap().help);
        // The last of a flag given twice wins: rill.toml and -D come first, as flags.
        assert_eq!(parse(&["-p", "2", "-p", "3"]).unwrap().parallelism, Some(3));
        let o = parse(&["--worker", "1", "--coordinator", "127.0.0.1:9"]).unwrap();
        assert_eq!(o.worker, Some((1, "127.0.0.1:9".to_owned())));
        let o = parse(&["--application", "--taskmanagers=2", "--insecure-bind"]).unwrap();
        assert_eq!(o.cluster_flags, args(&["--taskmanagers", "2", "--insecure-bind"]));
    }

    #[test]
    fn rejects_bad_arguments_with_a_reason() {
        assert!(parse(&["-p", "0"]).unwrap_err().contains("a whole number of at least 1"));
        assert!(parse(&["-p", "40000"]).unwrap_err().contains("40000 is above the most there can be, 32768"));
        assert!(parse(&["-p"]).unwrap_err().contains("a value is required for '--parallelism <N>'"));
        let unknown = parse(&["--port", "1"]).unwrap_err();
        assert!(unknown.contains("unexpected argument '--port'"), "{unknown}");
        // clap's tip: a job parameter goes after --.
        assert!(unknown.contains("'-- --port'"), "{unknown}");
        assert!(parse(&["--worker", "1"]).is_err());
        assert!(parse(&["--taskmanagers", "2"]).unwrap_err().contains("--taskmanagers goes with --application"));
        assert!(parse(&["--application", "--plan"]).unwrap_err().contains("does not go with --plan"));
        assert!(parse(&["--metrics-port", "1", "--web-ui", "2"]).unwrap_err().contains("give one of"));
        assert!(parse(&["--checkpoint-interval", "soon"]).is_err());
    }

    #[test]
    fn help_lists_the_flags_and_the_jobs_parameters() {
        let text = help("word_count", "job parameters (after --):\n  --port VALUE");
        for flag in ["Usage: word_count [OPTIONS]", "--parallelism <N>", "--checkpoint-interval <D>", "-D <KEY=VALUE>"]
        {
            assert!(text.contains(flag), "{flag} not in {text}");
        }
        assert!(text.contains("Application mode (with --application):"), "{text}");
        assert!(text.ends_with("  --port VALUE\n") || text.ends_with("  --port VALUE"), "{text}");
        assert!(!text.contains("--worker"), "{text}");
    }
}
