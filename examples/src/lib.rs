//! Runnable Rill jobs; each binary in `src/bin` is one job. This library holds what the
//! jobs share.

pub mod alerts;
pub mod bench;
pub mod latency;
pub mod metrics;
pub mod readings;
