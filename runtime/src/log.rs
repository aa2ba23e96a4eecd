//! Log lines, as Flink's SLF4J loggers give them: every process of Rill (a job run alone,
//! a job's coordinator and workers, the JobManager, the TaskManagers) writes its events as
//! `tracing` lines on stderr with a time and a level, and `RUST_LOG` chooses the levels
//! (`info` by default; e.g. `RUST_LOG=debug`, or `RUST_LOG=warn,rill::checkpoint=debug`).
//! In a cluster, stderr is the process's log file in the cluster home, which the REST API
//! and the Web UI show.
//!
//! A job's own functions log with the same macros, re-exported here so that a job needs
//! no `tracing` dependency of its own:
//!
//! ```
//! rill::log::info!("rules loaded: {}", 3);
//! ```
//!
//! What a job's run *answers* (a usage error, the final `error: job '..' failed: ..`) is not
//! a log line: it is printed plainly, as a command line tool prints its result.

pub use tracing::{debug, error, info, trace, warn};

/// Sends this process's log lines to stderr at the levels `RUST_LOG` names. Called once by
/// a job binary's `main` and by `rill`; a second call (or a subscriber the program set
/// itself) is left as it is.
pub fn init() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(false);
    let _ = tracing_subscriber::registry().with(fmt).with(filter(std::env::var("RUST_LOG").ok().as_deref())).try_init();
}

/// The levels `RUST_LOG` asks for; `info` when it is unset or not understood (with a line
/// that says so, rather than a silent default).
fn filter(rust_log: Option<&str>) -> tracing_subscriber::filter::Targets {
    let default = || tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO);
    match rust_log.map(str::parse::<tracing_subscriber::filter::Targets>) {
        None => default(),
        Some(Ok(targets)) => targets,
        Some(Err(e)) => {
            eprintln!("warning: RUST_LOG is not a list of levels ({e}); logging at info");
            default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn rust_log_chooses_the_levels_and_defaults_to_info() {
        assert!(filter(None).would_enable("rill::checkpoint", &Level::INFO));
        assert!(!filter(None).would_enable("rill::checkpoint", &Level::DEBUG));
        let chosen = filter(Some("warn,rill::checkpoint=debug"));
        assert!(chosen.would_enable("rill::checkpoint::coordinator", &Level::DEBUG));
        assert!(!chosen.would_enable("rill::net", &Level::INFO));
        assert!(filter(Some("=!=")).would_enable("rill", &Level::INFO));
    }
}
