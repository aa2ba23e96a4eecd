//! Checkpoints: a job's state taken consistently while it runs, so that a failure costs a
//! restart from the last checkpoint, not the job (Flink's checkpointing, Chandy–Lamport
//! barriers as Flink's).
//!
//! ```
//! use rill::prelude::*;
//! use std::time::Duration;
//!
//! #[rill::job(no_main)]
//! fn totals(env: &mut Env) {
//!     env.enable_checkpointing(Duration::from_millis(100));
//!     env.from_sequence(1, 1000).map(|n| (n % 3, n)).key_by(|(k, _)| *k).sum(1).discard();
//! }
//!
//! TOTALS_JOB.run(Some(1), &[]).unwrap();
//! ```
//!
//! - The [`coordinator`] asks the sources for a barrier every interval; each source task
//!   writes its position and sends the barrier down its chain and through its exchanges.
//! - A task with several input channels [aligns](align) the barriers (exactly-once mode);
//!   when all are in, its chain's operators write their state ([`snapshot`]) as the barrier
//!   passes them, and the task answers the coordinator.
//! - When every task has answered, the checkpoint is written ([`storage`]), `_metadata` last,
//!   into a local directory or an object store (`s3://bucket/prefix`, with the `s3` feature).
//! - A failure restarts the job under its [`RestartStrategy`]
//!   from the newest checkpoint that reads back whole: sources resume from their positions,
//!   operators from their state.

pub mod align;
pub mod config;
pub mod coordinator;
pub(crate) mod files;
pub mod inspect;
pub mod metadata;
pub mod snapshot;
pub mod stats;
pub mod storage;

pub use config::{CheckpointConfig, CheckpointingMode, ExternalizedCheckpointRetention, RestartStrategy};
pub use snapshot::{KeyedEntries, OperatorState, RestoreContext, Restored, StateCodec, StateWriter};
pub use storage::CheckpointStorage;
