//! The execution environment (Flink's `StreamExecutionEnvironment`): what a `#[rill::job]`
//! function receives as `env`. Its settings and job parameters are the user's API; the
//! hidden `__` methods are what the compiled job calls to register its chains.

use crate::api::codec::Codec;
use crate::core::pipe::Tail;
use crate::core::plan::PlanSpec;
use crate::exchange::InputPort;
use crate::executor::chains::{InputChain, SourceChain, TwoInputChain};
use crate::executor::JobGraph;
use crate::sources::Source;
use std::time::Duration;

/// The execution environment of a job. Its sources (`env.from_elements(..)`, ...) and every
/// stream's operators are methods the `#[rill::job]` compiler knows rather than Rust
/// methods of this type: [`crate::operators`] lists them all, with their signatures.
pub struct Env {
    /// The job as built so far: what the executor runs.
    pub(crate) graph: JobGraph,
    pub(crate) parameters: Vec<String>,
    /// Parameters that did not parse, reported by the entry point before the job runs.
    parameter_errors: std::cell::RefCell<Vec<String>>,
    /// The parameters the job function asked for (name, and whether as a switch): what the
    /// binary's `--help` lists, and what a parameter given must be one of.
    read: std::cell::RefCell<std::collections::BTreeMap<String, bool>>,
}

impl Env {
    pub(crate) fn new(plan: &'static PlanSpec, parameters: Vec<String>) -> Self {
        Env { graph: JobGraph::new(plan), parameters, parameter_errors: Default::default(), read: Default::default() }
    }

    /// Sets the job's default parallelism (wins over `-p`, as Flink's
    /// `env.setParallelism` wins over the CLI's).
    pub fn set_parallelism(&mut self, parallelism: usize) -> &mut Self {
        self.graph.default_parallelism = Some(parallelism.max(1));
        self
    }

    /// The longest a record waits in a partly filled output batch while its task is busy
    /// (Flink's `setBufferTimeout`; 100 ms by default). An idle task sends at once.
    pub fn set_buffer_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.graph.buffer_timeout = timeout;
        self
    }

    /// How often periodic watermarks are emitted (Flink's `setAutoWatermarkInterval`;
    /// 200 ms by default).
    pub fn set_auto_watermark_interval(&mut self, interval: Duration) -> &mut Self {
        self.graph.auto_watermark_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// Takes a checkpoint every `interval` (Flink's `enableCheckpointing`): the job's state
    /// and its sources' positions, so that a failure restarts it from there (under the
    /// restart strategy: exponential delay unless [`Env::set_restart_strategy`] says
    /// otherwise). Returns the settings for more (Flink's `getCheckpointConfig`). The job
    /// binary's `--checkpoint-interval` and `--checkpoint-dir` win over what the job sets.
    pub fn enable_checkpointing(&mut self, interval: Duration) -> &mut crate::checkpoint::CheckpointConfig {
        let config =
            self.graph.checkpointing.get_or_insert_with(|| crate::checkpoint::CheckpointConfig::every(interval));
        config.interval = interval.max(Duration::from_millis(1));
        config
    }

    /// What the job does when it fails (Flink's `setRestartStrategy`): without checkpoints a
    /// restart starts over from the beginning of the input.
    pub fn set_restart_strategy(&mut self, strategy: crate::checkpoint::RestartStrategy) -> &mut Self {
        self.graph.restart = Some(strategy);
        self
    }

    /// Where processing time comes from: the system clock, or a [`ManualClock`] a test moves
    /// (processing-time windows and timers then fire when it does).
    ///
    /// [`ManualClock`]: crate::time::ManualClock
    pub fn set_clock(&mut self, clock: crate::time::Clock) -> &mut Self {
        self.graph.clock = clock;
        self
    }

    /// A job parameter given after `--` on the command line as `--name value` or
    /// `--name=value` (Flink's `ParameterTool`), e.g. `./job -- --port 9000`. A flag
    /// followed by another flag (or by nothing) has no value: see [`Env::has_parameter`].
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.read.borrow_mut().insert(name.to_owned(), false);
        self.find_parameter(name).flatten()
    }

    /// Whether `--name` was given, with or without a value (Flink's `ParameterTool.has`):
    /// for switches such as `--bounded`.
    pub fn has_parameter(&self, name: &str) -> bool {
        self.read.borrow_mut().entry(name.to_owned()).or_insert(true);
        self.find_parameter(name).is_some()
    }

    /// `None`: absent; `Some(None)`: a flag without a value; `Some(Some(v))`: its value.
    fn find_parameter(&self, name: &str) -> Option<Option<&str>> {
        let flag = format!("--{name}");
        let mut args = self.parameters.iter().peekable();
        while let Some(a) = args.next() {
            if *a == flag {
                let is_flag = |v: &&String| v.starts_with("--");
                return Some(args.next_if(|v| !is_flag(v)).map(String::as_str));
            }
            if let Some(v) = a.strip_prefix(&flag).and_then(|r| r.strip_prefix('=')) {
                return Some(Some(v));
            }
        }
        None
    }

    /// A job parameter parsed as `T`, or `default` when it is absent. A value that does not
    /// parse is a usage error naming the parameter: the job does not run (a job binary exits
    /// with 2, `Job::run` returns the error), and `default` stands in until then.
    pub fn parameter_or<T: std::str::FromStr>(&self, name: &str, default: T) -> T {
        self.read.borrow_mut().insert(name.to_owned(), false);
        match self.find_parameter(name).flatten() {
            None => default,
            Some(v) => v.parse().unwrap_or_else(|_| {
                self.parameter_errors.borrow_mut().push(format!("job parameter --{name}: cannot parse '{v}'"));
                default
            }),
        }
    }

    /// Reports a job parameter the job cannot run with (`--window-ms 0`): a usage error, as
    /// one that does not parse, checked before the job runs.
    pub fn parameter_error(&self, message: impl Into<String>) {
        self.parameter_errors.borrow_mut().push(message.into());
    }

    /// The parameters the job function asked for: names, and whether each is a switch.
    pub(crate) fn parameters_read(&self) -> Vec<(String, bool)> {
        self.read.borrow().iter().map(|(n, s)| (n.clone(), *s)).collect()
    }

    /// The parameters given that the job never asked for (a misspelling, a parameter of
    /// another job), and values without a `--name`: usage errors, as Flink's
    /// `ParameterTool` users check by hand.
    pub(crate) fn unread_parameters(&self) -> Vec<String> {
        let read = self.read.borrow();
        let mut errors = Vec::new();
        let mut after_flag = false;
        for arg in &self.parameters {
            match arg.strip_prefix("--") {
                Some(flag) => {
                    let name = flag.split_once('=').map_or(flag, |(n, _)| n);
                    after_flag = !flag.contains('=');
                    if !read.contains_key(name) {
                        let known: Vec<String> = read.keys().map(|k| format!("--{k}")).collect();
                        errors.push(match closest(name, read.keys()) {
                            Some(near) => format!("the job has no parameter --{name} (did you mean --{near}?)"),
                            None if known.is_empty() => format!("the job has no parameter --{name} (it reads none)"),
                            None => format!("the job has no parameter --{name} (it reads {})", known.join(", ")),
                        });
                    }
                }
                None if after_flag => after_flag = false,
                None => errors.push(format!("'{arg}' is not a job parameter: they are --name value or --name=value")),
            }
        }
        errors
    }

    /// The parameters the job function could not parse, if any, as one message.
    pub(crate) fn parameter_errors(&self) -> Option<String> {
        let errors = self.parameter_errors.borrow();
        (!errors.is_empty()).then(|| errors.join("; "))
    }

    #[doc(hidden)]
    pub fn __source_chain<S: Source, K: Tail<S::Out>>(&mut self, chain: u32, source: S, tail: K) {
        self.graph.chains.push((chain, Box::new(SourceChain::new(source, tail))));
    }

    #[doc(hidden)]
    pub fn __input_chain<T: Codec + Send + 'static, K: Tail<T>>(&mut self, port: &InputPort<T>, tail: K) {
        self.graph.chains.push((port.chain, Box::new(InputChain::new(tail))));
    }

    #[doc(hidden)]
    pub fn __two_input_chain<
        A: Codec + Send + 'static,
        B: Codec + Send + 'static,
        K: crate::core::two_input::TwoInputTail<A, B>,
    >(
        &mut self,
        first: &InputPort<A>,
        second: &InputPort<B>,
        tail: K,
    ) {
        let _ = second;
        self.graph.chains.push((first.chain, Box::new(TwoInputChain::new(tail))));
    }

    #[doc(hidden)]
    pub fn __set_chain_parallelism(&mut self, chain: u32, parallelism: usize) {
        self.graph.parallelism_overrides.push((chain, parallelism));
    }
}

/// The name in `known` nearest to `name`, if one is near enough to be a misspelling of it
/// (at most about a third of its letters differ).
fn closest<'a>(name: &str, known: impl Iterator<Item = &'a String>) -> Option<&'a String> {
    let distance = |a: &str, b: &str| {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut diagonal = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let next = (row[j + 1] + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
                diagonal = row[j + 1];
                row[j + 1] = next;
            }
        }
        row[b.len()]
    };
    known.map(|k| (distance(name, k), k)).filter(|(d, _)| *d <= name.len().div_ceil(3)).min().map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    static EMPTY: PlanSpec = PlanSpec { job: "parameters", chains: &[], edges: &[] };

    fn env(args: &[&str]) -> Env {
        Env::new(&EMPTY, args.iter().map(|a| a.to_string()).collect())
    }

    #[test]
    fn parameters_are_read_as_flink_parameter_tool_reads_them() {
        let e = env(&["--bounded", "--rules", "r.json", "--rate=5", "--offset", "-3", "--last"]);
        assert_eq!(e.parameter("rules"), Some("r.json"));
        assert_eq!(e.parameter("rate"), Some("5"));
        assert_eq!(e.parameter_or("offset", 0i64), -3);
        // A switch followed by another flag, or by nothing, has no value but is present.
        assert_eq!(e.parameter("bounded"), None);
        assert!(e.has_parameter("bounded"));
        assert_eq!(e.parameter("last"), None);
        assert!(e.has_parameter("last"));
        assert!(!e.has_parameter("missing"));
        assert_eq!(e.parameter("missing"), None);
    }

    #[test]
    fn a_parameter_the_job_never_reads_is_an_error_with_the_nearest_one() {
        let e = env(&["stray", "--inptu", "lines.txt", "--rate=5", "--bounded"]);
        let _ = (e.parameter("input"), e.parameter_or("rate", 1), e.has_parameter("bounded"));
        let errors = e.unread_parameters().join("; ");
        assert!(errors.contains("no parameter --inptu (did you mean --input?)"), "{errors}");
        assert!(!errors.contains("--rate") && !errors.contains("--bounded"), "{errors}");
        assert!(errors.contains("'stray' is not a job parameter"), "{errors}");
        let e = env(&["--port", "9"]);
        assert!(e.unread_parameters()[0].contains("no parameter --port (it reads none)"));
        let e = env(&["--window", "5", "--x"]);
        let _ = (e.parameter("window"), e.parameter("zzzzzz"));
        let errors = e.unread_parameters().join("; ");
        assert!(errors.contains("no parameter --x (it reads --window, --zzzzzz)"), "{errors}");
        assert_eq!(e.parameters_read(), [("window".to_owned(), false), ("zzzzzz".to_owned(), false)]);
    }
}
