//! Where a Kafka source starts and, in bounded mode, stops (Flink's `OffsetsInitializer`).

use std::collections::HashMap;

/// Where to start or stop reading each partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OffsetsInitializer {
    /// The first record still kept.
    Earliest,
    /// After the last record at the time the job starts.
    Latest,
    /// The group's committed offset; where there is none, `Earliest` or `Latest` as given.
    Committed {
        /// Start from the earliest offset where the group has committed none (else the
        /// latest).
        fallback_earliest: bool,
    },
    /// The first record with a timestamp at or after this one (milliseconds since the
    /// epoch); partitions with none start after their last record.
    Timestamp(i64),
    /// Exact offsets per (topic, partition); other partitions start at the earliest.
    Offsets(HashMap<(String, i32), i64>),
}

impl OffsetsInitializer {
    /// The first offset still in each partition.
    pub fn earliest() -> Self {
        OffsetsInitializer::Earliest
    }
    /// The end of each partition when the job starts: only records written after.
    pub fn latest() -> Self {
        OffsetsInitializer::Latest
    }
    /// Committed offsets, falling back to the earliest where the group has none.
    pub fn committed_or_earliest() -> Self {
        OffsetsInitializer::Committed { fallback_earliest: true }
    }
    /// Committed offsets, falling back to the latest where the group has none.
    pub fn committed_or_latest() -> Self {
        OffsetsInitializer::Committed { fallback_earliest: false }
    }
    /// The first record at or after `millis` (ms since the epoch) in each partition.
    pub fn timestamp(millis: i64) -> Self {
        OffsetsInitializer::Timestamp(millis)
    }
    /// Offsets given per `(topic, partition)`.
    pub fn offsets(offsets: impl IntoIterator<Item = ((String, i32), i64)>) -> Self {
        OffsetsInitializer::Offsets(offsets.into_iter().collect())
    }
}
