//! The static job graph that the compiler embeds in every job binary: the schema of
//! `rill-plan`, shared with the compiler and the CLI.
//!
//! The compiler decides chains and exchanges; only parallelism is settled when the job
//! starts (`-p`, the machine's cores, or `set_parallelism` in the job). `./job --plan` prints
//! the resolved plan as JSON, which `rill plan` draws.

pub use rill_plan::*;

/// The plan with its parallelism settled, as JSON (what `--plan` prints).
pub(crate) fn to_json(plan: &PlanSpec, default_parallelism: usize, parallelism: &[usize]) -> String {
    serde_json::to_string(&plan.resolve(default_parallelism, parallelism)).expect("a plan is always JSON")
}
