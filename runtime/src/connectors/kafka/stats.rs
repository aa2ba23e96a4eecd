//! The source consumer's librdkafka statistics (`statistics.interval.ms`, 1 s by default
//! here) as gauges, per source subtask: what it has fetched but the pipeline has not taken
//! yet (`kafka_source_fetch_queue_bytes`, `kafka_source_fetch_queue_records`) and how far it
//! is behind the end of its partitions (`kafka_source_records_lag`, Flink's `records-lag`).
//! A pipeline that is slower than its input shows as a lag that grows over a fetch queue
//! that does not: backpressure stops the fetching.

use crate::api::metrics::{self, Gauge};
use rdkafka::consumer::ConsumerContext;
use rdkafka::statistics::Statistics;
use rdkafka::ClientContext;

pub(crate) struct SourceStats {
    fetch_queue_bytes: Gauge,
    fetch_queue_records: Gauge,
    records_lag: Gauge,
}

impl SourceStats {
    /// `label` tells sources apart (their topics), `subtask` the subtasks of one.
    pub(crate) fn new(label: &str, subtask: usize) -> Self {
        let name = |m: &str| format!("kafka_source_{m}{{topics={label},subtask={subtask}}}");
        SourceStats {
            fetch_queue_bytes: metrics::gauge(&name("fetch_queue_bytes")),
            fetch_queue_records: metrics::gauge(&name("fetch_queue_records")),
            records_lag: metrics::gauge(&name("records_lag")),
        }
    }
}

impl ClientContext for SourceStats {
    fn stats(&self, stats: Statistics) {
        let (mut bytes, mut records, mut lag) = (0i64, 0i64, 0i64);
        // Partition -1 is librdkafka's own (messages not yet assigned a partition).
        for p in stats.topics.values().flat_map(|t| t.partitions.values()).filter(|p| p.partition >= 0) {
            bytes += p.fetchq_size as i64;
            records += p.fetchq_cnt;
            // Not librdkafka's consumer_lag, which needs offsets stored through it: the
            // records from what the pipeline took to the partition's end.
            if p.hi_offset >= 0 && p.next_offset >= 0 {
                lag += (p.hi_offset - p.next_offset).max(0) + p.fetchq_cnt;
            }
        }
        self.fetch_queue_bytes.set(bytes);
        self.fetch_queue_records.set(records);
        self.records_lag.set(lag);
    }
}

impl ConsumerContext for SourceStats {}
