//! What a completed checkpoint's `_metadata` holds: its number, job, completion time, and
//! each task's file with its length, CRC-32 and pause. Apart from the storage that writes
//! it, so that the statistics kept in memory ([`super::stats`]) need only this.

/// What `_metadata` holds.
#[derive(Debug, Clone, PartialEq, crate::Codec)]
pub struct Metadata {
    /// The checkpoint's number.
    pub checkpoint: u64,
    /// The job's name.
    pub job: String,
    /// When it completed, milliseconds since the epoch.
    pub completed_at: i64,
    /// From the trigger until every task had answered, in microseconds (the barriers'
    /// way through the job); writing the files comes after.
    pub aligned_micros: u64,
    /// One per task.
    pub tasks: Vec<TaskFile>,
}

/// A task's file in a checkpoint.
#[derive(Debug, Clone, PartialEq, crate::Codec)]
pub struct TaskFile {
    /// The task's chain.
    pub chain: u32,
    /// Its subtask.
    pub subtask: u32,
    /// The chain's parallelism when the checkpoint was taken.
    pub parallelism: u32,
    /// The file's name in the checkpoint's directory.
    pub file: String,
    /// Its length in bytes.
    pub len: u64,
    /// Its CRC-32.
    pub crc: u32,
    /// How long the task stopped processing to write its state, in microseconds: at the
    /// barrier, and since the barrier before copying in what that snapshot still held.
    pub pause_micros: u64,
}
