//! Runnable Rill jobs; each binary in `src/bin` is one job.
