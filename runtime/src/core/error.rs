//! Why a job stopped, in words that say what went wrong and where.

use std::fmt;

/// An error that stops a job.
#[derive(Debug)]
pub enum JobError {
    /// A user function (or a sink) panicked. Names the operator and the subtask, as Flink
    /// names the failing task.
    OperatorPanic {
        /// The operator's name.
        operator: String,
        /// Its uid.
        uid: String,
        /// The subtask that failed, from 0.
        subtask: usize,
        /// How many subtasks the operator runs as.
        parallelism: usize,
        /// The panic's message.
        message: String,
    },
    /// An I/O error, with what Rill was doing when it happened.
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
    /// The job graph or its configuration is invalid at run time.
    Config(String),
    /// The standard output `print` writes to was closed by its reader (`job | head`): the
    /// job ends quietly, as Unix tools do.
    OutputClosed,
    /// A downstream task went away while this one was still sending (it failed: its own
    /// error is the one reported).
    ChannelClosed,
    /// The job was cancelled (Ctrl-C, SIGTERM).
    Cancelled(&'static str),
    /// Another process of the job went away: its connection closed before the end of its
    /// input, or broke. That process's own error is the one to report.
    PeerGone(String),
    /// A connector (Kafka, ...) failed: the message names the connector, what it was doing
    /// and what to check.
    Connector(String),
}

impl JobError {
    /// Whether this error is caused by another failure (a task or process that stopped),
    /// so that the other's error is the one worth reporting.
    pub fn is_consequence(&self) -> bool {
        matches!(self, JobError::ChannelClosed | JobError::Cancelled(_) | JobError::PeerGone(_))
    }

    /// The state of operator `uid` in the checkpoint restored from does not decode.
    pub fn restore(uid: &str, e: impl fmt::Display) -> Self {
        JobError::Config(format!(
            "the state of operator '{uid}' in the checkpoint does not restore ({e}): \
             was the job's state type changed since the checkpoint was taken?"
        ))
    }

    /// An I/O error, with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        JobError::Io { context: context.into(), source }
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobError::OperatorPanic { operator, uid, subtask, parallelism, message } => write!(
                f,
                "operator '{operator}' (uid '{uid}') failed in subtask {}/{parallelism}: {message}",
                subtask + 1
            ),
            JobError::Io { context, source } => write!(f, "{context}: {source}"),
            JobError::Config(msg) => write!(f, "{msg}"),
            JobError::OutputClosed => write!(f, "print: standard output was closed"),
            JobError::ChannelClosed => write!(f, "a downstream task stopped"),
            JobError::Cancelled(why) => write!(f, "job cancelled ({why})"),
            JobError::Connector(msg) => write!(f, "{msg}"),
            JobError::PeerGone(msg) => write!(f, "{msg}"),
        }
    }
}

impl std::error::Error for JobError {}
