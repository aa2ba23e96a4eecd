//! [`KafkaSourceBuilder`]: what a Kafka source reads and how (Flink's
//! `KafkaSource.builder()`), collected into the configuration its subtasks share.

use super::super::config::OnBadRecord;
use super::super::message::KafkaMessage;
use super::super::offsets::OffsetsInitializer;
use super::deserializers::{FnDeserializer, RecordDeserializer, ValueOnly, WithMetadata};
use super::KafkaSource;
use crate::connectors::formats::Deserializer;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

/// What the builder collects; shared by the subtasks.
#[derive(Debug, Clone)]
pub(super) struct Config {
    pub(super) servers: String,
    pub(super) topics: Vec<String>,
    pub(super) pattern: Option<String>,
    pub(super) group_id: Option<String>,
    pub(super) starting: OffsetsInitializer,
    pub(super) stopping: Option<OffsetsInitializer>,
    pub(super) properties: Vec<(String, String)>,
    pub(super) on_bad_record: OnBadRecord,
    pub(super) startup_timeout: Duration,
    pub(super) commit_interval: Duration,
    /// How often new partitions (and topics matching the pattern) are looked for; `None`:
    /// never. Flink's default in unbounded mode: 5 minutes.
    pub(super) discovery_interval: Option<Duration>,
}

/// Builds a [`KafkaSource`]: `KafkaSource::builder()...value_format(Json::<T>::new()).build()`.
pub struct KafkaSourceBuilder<D> {
    config: Config,
    format: D,
}

impl KafkaSource<()> {
    /// A builder: set at least the servers, the topics and a format.
    pub fn builder() -> KafkaSourceBuilder<()> {
        KafkaSourceBuilder {
            config: Config {
                servers: String::new(),
                topics: Vec::new(),
                pattern: None,
                group_id: None,
                starting: OffsetsInitializer::committed_or_earliest(),
                stopping: None,
                properties: Vec::new(),
                on_bad_record: OnBadRecord::Fail,
                startup_timeout: Duration::from_secs(30),
                commit_interval: Duration::from_secs(5),
                discovery_interval: Some(Duration::from_secs(300)),
            },
            format: (),
        }
    }
}

impl<D> KafkaSourceBuilder<D> {
    /// `host:port[,host:port...]`.
    pub fn bootstrap_servers(mut self, servers: impl Into<String>) -> Self {
        self.config.servers = servers.into();
        self
    }
    /// The topics to read.
    pub fn topics<S: Into<String>>(mut self, topics: impl IntoIterator<Item = S>) -> Self {
        self.config.topics = topics.into_iter().map(Into::into).collect();
        self
    }
    /// Every topic whose whole name matches this regular expression (at job start).
    pub fn topic_pattern(mut self, pattern: impl Into<String>) -> Self {
        self.config.pattern = Some(pattern.into());
        self
    }
    /// The consumer group: offsets are committed to it (for lag monitoring), and
    /// `committed_or_*` starting offsets read them.
    pub fn group_id(mut self, group: impl Into<String>) -> Self {
        self.config.group_id = Some(group.into());
        self
    }
    /// Where to start (default: the group's committed offsets, else the earliest).
    pub fn starting_offsets(mut self, offsets: OffsetsInitializer) -> Self {
        self.config.starting = offsets;
        self
    }
    /// Bounded mode: stop each partition here; the source ends when all have (Flink's
    /// `setBounded`). `OffsetsInitializer::latest()` reads what is there at start.
    pub fn bounded(mut self, offsets: OffsetsInitializer) -> Self {
        self.config.stopping = Some(offsets);
        self
    }
    /// A consumer property, passed to librdkafka as it is; but Flink's
    /// `partition.discovery.interval.ms` (milliseconds, 0 or less: off) is Rill's own, as
    /// [`partition_discovery_interval`](Self::partition_discovery_interval).
    pub fn property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let (key, value) = (key.into(), value.into());
        if key == "partition.discovery.interval.ms" {
            let ms: i64 = value.trim().parse().unwrap_or_else(|_| {
                panic!("KafkaSource: partition.discovery.interval.ms must be milliseconds, not '{value}'")
            });
            return self.partition_discovery_interval(Duration::from_millis(ms.max(0) as u64));
        }
        self.config.properties.push((key, value));
        self
    }
    /// How often the source looks for new partitions of its topics, and for new topics that
    /// match its pattern (Flink's `partition.discovery.interval.ms`: 5 minutes by default;
    /// `Duration::ZERO` turns it off; bounded sources never look). A new partition is read
    /// from its earliest offset by the subtask Flink's rule gives it to.
    pub fn partition_discovery_interval(mut self, interval: Duration) -> Self {
        self.config.discovery_interval = (!interval.is_zero()).then_some(interval);
        self
    }
    /// What to do with a record the format cannot read (default: fail the job).
    pub fn on_bad_record(mut self, policy: OnBadRecord) -> Self {
        self.config.on_bad_record = policy;
        self
    }
    /// How long the source tries to reach the brokers at start before it fails (30 s).
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.config.startup_timeout = timeout;
        self
    }
    /// How often read offsets are committed to the group (5 s; and at the end).
    pub fn commit_interval(mut self, interval: Duration) -> Self {
        self.config.commit_interval = interval;
        self
    }
    /// Records are the values, read with `format` (`Json::<T>::new()`, `Text`, `Bytes`).
    pub fn value_format<F: Deserializer>(self, format: F) -> KafkaSourceBuilder<ValueOnly<F>> {
        KafkaSourceBuilder { config: self.config, format: ValueOnly(format) }
    }
    /// Records are [`KafkaRecord`](crate::connectors::kafka::KafkaRecord)s: the value read with `format`, with the metadata.
    pub fn with_metadata<F: Deserializer>(self, format: F) -> KafkaSourceBuilder<WithMetadata<F>> {
        KafkaSourceBuilder { config: self.config, format: WithMetadata(format) }
    }
    /// Records are what `f` makes of each Kafka record.
    pub fn deserializer<T, F>(self, f: F) -> KafkaSourceBuilder<FnDeserializer<F, T>>
    where
        F: FnMut(&KafkaMessage<'_>) -> Result<T, String> + Clone + Send + 'static,
        T: Send + 'static,
    {
        KafkaSourceBuilder { config: self.config, format: FnDeserializer(f, PhantomData) }
    }
}

impl<D: RecordDeserializer> KafkaSourceBuilder<D> {
    /// The source, to pass to `env.from_source(..)`.
    pub fn build(self) -> KafkaSource<D> {
        KafkaSource { config: Arc::new(self.config), format: self.format, run: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builder_keeps_what_it_is_given() {
        let s = KafkaSource::builder()
            .bootstrap_servers("b:9092")
            .topics(["a", "b"])
            .group_id("g")
            .starting_offsets(OffsetsInitializer::latest())
            .bounded(OffsetsInitializer::latest())
            .property("fetch.wait.max.ms", "10")
            .on_bad_record(OnBadRecord::Skip)
            .value_format(crate::connectors::formats::Text)
            .build();
        assert_eq!(s.config.topics, ["a", "b"]);
        assert_eq!(s.config.starting, OffsetsInitializer::Latest);
        assert_eq!(s.config.stopping, Some(OffsetsInitializer::Latest));
        assert_eq!(s.config.on_bad_record, OnBadRecord::Skip);
        assert_eq!(s.config.properties, [("fetch.wait.max.ms".to_owned(), "10".to_owned())]);
        assert!(s.positions().is_empty());
    }
}
