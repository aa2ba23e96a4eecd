//! Connectors to systems outside the job, each behind a cargo feature so that a job only
//! builds what it reads and writes.

pub mod formats;

#[cfg(feature = "kafka")]
pub mod kafka;
