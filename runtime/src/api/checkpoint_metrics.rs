//! A job's checkpoint figures, as Flink's job-scope metrics name them: counted by
//! [`crate::checkpoint::stats`] where the job's checkpoints are coordinated, rendered by
//! [`crate::metrics::prometheus`], and sent to the JobManager as one word of a line.

/// A job's checkpoint figures as Flink's job-scope metrics give them
/// (`numberOfCompletedCheckpoints`, `lastCheckpointDuration`, ...): counted where the
/// job's checkpoints are coordinated, and sent to the JobManager with the job's metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckpointCounts {
    /// Checkpoints and savepoints completed.
    pub completed: u64,
    /// Checkpoints that failed (declined, timed out, not written).
    pub failed: u64,
    /// Checkpoints under way (0 or 1: one at a time, as Flink's default).
    pub in_progress: u64,
    /// The number of the last completed checkpoint.
    pub last_id: u64,
    /// How long the last completed one took, from its trigger to the last task's answer (ms).
    pub last_duration_ms: u64,
    /// The size of the last completed one's files (bytes).
    pub last_size: u64,
    /// When the job last restarted from a checkpoint (ms since the epoch).
    pub restored_at_ms: Option<u64>,
}

impl CheckpointCounts {
    /// The figures as one word, `C:F:P:ID:DURATION:SIZE[:RESTORED]`, for a line protocol.
    pub fn encode(&self) -> String {
        let mut text = format!(
            "{}:{}:{}:{}:{}:{}",
            self.completed, self.failed, self.in_progress, self.last_id, self.last_duration_ms, self.last_size
        );
        if let Some(at) = self.restored_at_ms {
            text.push_str(&format!(":{at}"));
        }
        text
    }

    /// What [`CheckpointCounts::encode`] wrote; `None` for anything else.
    pub fn decode(text: &str) -> Option<CheckpointCounts> {
        let fields: Vec<u64> = text.split(':').map(str::parse).collect::<Result<_, _>>().ok()?;
        match fields[..] {
            [completed, failed, in_progress, last_id, last_duration_ms, last_size, ref rest @ ..]
                if rest.len() <= 1 =>
            {
                Some(CheckpointCounts {
                    completed,
                    failed,
                    in_progress,
                    last_id,
                    last_duration_ms,
                    last_size,
                    restored_at_ms: rest.first().copied(),
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_go_through_the_line_protocol_unchanged() {
        let counts = CheckpointCounts {
            completed: 7,
            failed: 1,
            in_progress: 1,
            last_id: 8,
            last_duration_ms: 12,
            last_size: 4096,
            restored_at_ms: None,
        };
        assert_eq!(CheckpointCounts::decode(&counts.encode()), Some(counts));
        let restored = CheckpointCounts { restored_at_ms: Some(1_700_000_000_000), ..counts };
        assert_eq!(CheckpointCounts::decode(&restored.encode()), Some(restored));
        assert_eq!(CheckpointCounts::decode("1:2:3"), None);
        assert_eq!(CheckpointCounts::decode("1:2:3:4:5:6:7:8"), None);
        assert_eq!(CheckpointCounts::decode("1:2:x:4:5:6"), None);
    }
}
