//! Flink's `CheckpointConfig` and restart strategies, as a job sets them on `env` or the job
//! binary's flags (`--checkpoint-interval`, `--checkpoint-dir`) set them.

use std::path::PathBuf;
use std::time::Duration;

/// Whether barriers are aligned (Flink's `CheckpointingMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointingMode {
    /// A task with several input channels holds back the channels whose barrier came first
    /// until every barrier has arrived: the state reflects exactly the records before it.
    ExactlyOnce,
    /// Barriers are not aligned: records that overtake a barrier are in the state and are
    /// replayed after a restore as well.
    AtLeastOnce,
}

/// What becomes of a job's checkpoints when it ends (Flink's
/// `ExternalizedCheckpointRetention`). A job that finishes (its input ended, or it stopped
/// with a savepoint) leaves none behind whatever the setting: there is nothing to resume.
/// Savepoints are the user's and are never removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternalizedCheckpointRetention {
    /// Kept when the job is cancelled (SIGTERM, Ctrl-C) or fails, so that it can resume from
    /// them (`--from-savepoint <dir>/<job id>/chk-<n>`). Rill's default: a job binary has
    /// no JobManager to remember them, its checkpoint directory is all there is.
    RetainOnCancellation,
    /// Kept when the job fails, removed when it is cancelled.
    DeleteOnCancellation,
    /// Removed however the job ends (Flink's default), except when the process is killed
    /// outright and cannot clean up.
    NoExternalizedCheckpoints,
}

impl ExternalizedCheckpointRetention {
    /// Whether a job's checkpoints are removed when it ends so.
    pub(crate) fn discards_on(self, end: JobEnd) -> bool {
        use ExternalizedCheckpointRetention::*;
        match end {
            JobEnd::Finished => true,
            JobEnd::Cancelled => matches!(self, DeleteOnCancellation | NoExternalizedCheckpoints),
            JobEnd::Failed => self == NoExternalizedCheckpoints,
        }
    }
}

/// How checkpoints are taken (Flink's `CheckpointConfig`).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointConfig {
    /// Time between the start of one checkpoint and the next.
    pub interval: Duration,
    /// Aligned (exactly-once) or not.
    pub mode: CheckpointingMode,
    /// A checkpoint not complete after this long is abandoned (Flink: 10 minutes).
    pub timeout: Duration,
    /// At least this long between the end of one checkpoint and the start of the next.
    pub min_pause: Duration,
    /// How many checkpoint failures in a row the job tolerates before it fails (Flink: 0;
    /// here the default tolerates them all and only reports them, as Flink 1.x did).
    pub tolerable_failures: Option<u32>,
    /// How many completed checkpoints are kept (Flink's `state.checkpoints.num-retained`: 1).
    pub retained: usize,
    /// Where checkpoints are written: `<dir>/<job id>/chk-<n>`. `None`: the job's state
    /// directory (`$XDG_STATE_HOME/rill/checkpoints`, else `~/.local/state/rill/checkpoints`).
    pub dir: Option<PathBuf>,
    /// What becomes of the checkpoints when the job ends.
    pub retention: ExternalizedCheckpointRetention,
}

impl CheckpointConfig {
    /// Checkpoints every `interval`, with Flink's defaults for the rest.
    pub fn every(interval: Duration) -> Self {
        CheckpointConfig {
            interval: interval.max(Duration::from_millis(1)),
            mode: CheckpointingMode::ExactlyOnce,
            timeout: Duration::from_secs(600),
            min_pause: Duration::ZERO,
            tolerable_failures: None,
            retained: 1,
            dir: None,
            retention: ExternalizedCheckpointRetention::RetainOnCancellation,
        }
    }

    /// Aligned barriers (exactly-once, the default) or not (Flink's `setCheckpointingMode`).
    pub fn set_checkpointing_mode(&mut self, mode: CheckpointingMode) -> &mut Self {
        self.mode = mode;
        self
    }

    /// Abandons a checkpoint not complete after `timeout` (Flink's `setCheckpointTimeout`).
    pub fn set_checkpoint_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// At least `pause` between one checkpoint's end and the next one's start.
    pub fn set_min_pause_between_checkpoints(&mut self, pause: Duration) -> &mut Self {
        self.min_pause = pause;
        self
    }

    /// Fails the job when more than `n` checkpoints in a row fail.
    pub fn set_tolerable_checkpoint_failure_number(&mut self, n: u32) -> &mut Self {
        self.tolerable_failures = Some(n);
        self
    }

    /// Keeps the newest `n` completed checkpoints (at least 1).
    pub fn set_num_retained(&mut self, n: usize) -> &mut Self {
        self.retained = n.max(1);
        self
    }

    /// What becomes of the checkpoints when the job ends (Flink's
    /// `setExternalizedCheckpointRetention`).
    pub fn set_externalized_checkpoint_retention(&mut self, retention: ExternalizedCheckpointRetention) -> &mut Self {
        self.retention = retention;
        self
    }

    /// Writes checkpoints under `dir` (Flink's `setCheckpointStorage`).
    pub fn set_checkpoint_storage(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.dir = Some(dir.into());
        self
    }

    /// No checkpoints of its own (a job restored from a savepoint, or stopped with one,
    /// that takes none otherwise).
    pub fn never() -> Self {
        CheckpointConfig::every(Duration::from_secs(100 * 365 * 24 * 3600))
    }

    /// The directory checkpoints go under: the one set, else the user's state directory.
    pub fn base_dir(&self) -> PathBuf {
        if let Some(dir) = &self.dir {
            return dir.clone();
        }
        let state = std::env::var_os("XDG_STATE_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
            .unwrap_or_else(|| PathBuf::from(".rill-state"));
        state.join("rill").join("checkpoints")
    }
}

/// How a job ended, for what becomes of its checkpoints: finished (its input ended, or it
/// stopped with a savepoint), cancelled, or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobEnd {
    Finished,
    Cancelled,
    Failed,
}

/// What the job does when it fails (Flink's restart strategies).
#[derive(Debug, Clone, PartialEq)]
pub enum RestartStrategy {
    /// Fails at the first failure (Flink's `none`; the default without checkpoints).
    None,
    /// Restarts up to `attempts` times, `delay` apart.
    FixedDelay {
        /// Restarts allowed.
        attempts: u32,
        /// Wait before each.
        delay: Duration,
    },
    /// Restarts without end, the delay doubling from `initial` up to `max` (Flink's default
    /// with checkpoints: 1 s to 1 min, reset after an hour without failure).
    ExponentialDelay {
        /// The first delay.
        initial: Duration,
        /// The longest delay.
        max: Duration,
        /// A failure after this long without one starts from `initial` again.
        reset_after: Duration,
    },
    /// Restarts unless `max_failures` failures fall within `interval` (Flink's `failure-rate`).
    FailureRate {
        /// Failures allowed within the interval.
        max_failures: u32,
        /// The interval.
        interval: Duration,
        /// Wait before each restart.
        delay: Duration,
    },
}

impl RestartStrategy {
    /// Flink's `fixed-delay`.
    pub fn fixed_delay(attempts: u32, delay: Duration) -> Self {
        RestartStrategy::FixedDelay { attempts, delay }
    }

    /// Flink's default with checkpoints: exponential delay from 1 s to 1 min.
    pub fn exponential_delay() -> Self {
        RestartStrategy::ExponentialDelay {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
            reset_after: Duration::from_secs(3600),
        }
    }
}

/// The restart strategy's memory of failures.
#[derive(Debug, Default)]
pub(crate) struct Restarts {
    /// When each failure happened.
    failures: Vec<std::time::Instant>,
    /// The delay before the last restart (exponential).
    last_delay: Option<Duration>,
}

impl Restarts {
    /// After a failure now: the delay before the restart, or `None` if the job must fail.
    pub(crate) fn next(&mut self, strategy: &RestartStrategy) -> Option<Duration> {
        let now = std::time::Instant::now();
        let previous = self.failures.last().copied();
        self.failures.push(now);
        match *strategy {
            RestartStrategy::None => None,
            RestartStrategy::FixedDelay { attempts, delay } => {
                (self.failures.len() <= attempts as usize).then_some(delay)
            }
            RestartStrategy::ExponentialDelay { initial, max, reset_after } => {
                let quiet = previous.is_none_or(|p| now.duration_since(p) >= reset_after);
                let delay = match self.last_delay {
                    Some(d) if !quiet => (d * 2).min(max),
                    _ => initial,
                };
                self.last_delay = Some(delay);
                Some(delay)
            }
            RestartStrategy::FailureRate { max_failures, interval, delay } => {
                let recent = self.failures.iter().filter(|t| now.duration_since(**t) <= interval).count();
                (recent <= max_failures as usize).then_some(delay)
            }
        }
    }
}

/// Parses a duration as Flink's configuration writes them: `500ms`, `1s`, `2min`, `1h`
/// (a bare number is milliseconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: u64 = number.parse().map_err(|_| format!("'{text}' is not a duration (e.g. 500ms, 1s, 2min)"))?;
    let d = match unit.trim() {
        "" | "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "min" | "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        other => return Err(format!("'{text}': unknown unit '{other}' (ms, s, min or h)")),
    };
    if d.is_zero() {
        return Err(format!("'{text}': a duration must be longer than 0"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_as_flink_writes_them() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("2min"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("1 fortnight").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("soon").unwrap_err().contains("not a duration"));
        assert!(parse_duration("0s").is_err());
    }

    #[test]
    fn restart_strategies_count_as_flinks_do() {
        let mut r = Restarts::default();
        let fixed = RestartStrategy::fixed_delay(2, Duration::from_millis(5));
        assert_eq!(r.next(&fixed), Some(Duration::from_millis(5)));
        assert_eq!(r.next(&fixed), Some(Duration::from_millis(5)));
        assert_eq!(r.next(&fixed), None);
        assert_eq!(Restarts::default().next(&RestartStrategy::None), None);

        let mut r = Restarts::default();
        let exp = RestartStrategy::exponential_delay();
        let delays: Vec<_> = (0..8).map(|_| r.next(&exp).unwrap().as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60]);

        let mut r = Restarts::default();
        let rate =
            RestartStrategy::FailureRate { max_failures: 1, interval: Duration::from_secs(60), delay: Duration::ZERO };
        assert!(r.next(&rate).is_some());
        assert!(r.next(&rate).is_none());
    }
}
