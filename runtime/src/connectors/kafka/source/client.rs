//! The consumer of a source subtask, with Rill's defaults under the user's properties; the
//! topics and partitions it reads (a list or a pattern); where each partition starts and
//! stops (the offsets initializers, resolved against the brokers).

use super::super::config::client_config;
use super::super::offsets::OffsetsInitializer;
use super::super::stats::SourceStats;
use super::builder::Config;
use super::connector;
use crate::core::error::JobError;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{Offset, TopicPartitionList};
use std::sync::Arc;
use std::time::{Duration, Instant};

impl Config {
    /// The consumer, with Rill's defaults under the user's properties.
    pub(super) fn consumer(&self, subtask: usize) -> Result<StreamConsumer<SourceStats>, JobError> {
        let mut defaults = vec![
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("queued.max.messages.kbytes", "16384"),
            ("enable.partition.eof", "false"),
            ("statistics.interval.ms", "1000"),
        ];
        if self.group_id.is_none() {
            // librdkafka wants a group for a consumer; one that commits nothing.
            defaults.push(("group.id", "rill-source"));
        }
        let mut config = client_config(&self.servers, &defaults, &self.properties);
        if let Some(g) = &self.group_id {
            config.set("group.id", g);
        }
        let label = self.pattern.clone().unwrap_or_else(|| self.topics.join(","));
        config
            .create_with_context(SourceStats::new(&label, subtask))
            .map_err(|e| connector(format!("cannot create a consumer for {}: {e}", self.servers)))
    }

    /// The topics to read with their partition counts, retrying until the brokers answer or
    /// the startup timeout passes.
    pub(super) fn topics(&self, consumer: &StreamConsumer<SourceStats>) -> Result<Vec<(String, i32)>, JobError> {
        let deadline = Instant::now() + self.startup_timeout;
        let mut attempts = 0;
        let metadata = loop {
            attempts += 1;
            let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(100));
            match consumer.fetch_metadata(None, left.min(Duration::from_secs(5))) {
                Ok(m) if !m.brokers().is_empty() => break m,
                Ok(_) => {}
                Err(e) if Instant::now() >= deadline => {
                    return Err(connector(format!(
                        "cannot reach the Kafka brokers at {} ({attempts} attempts in {} s): {e}; \
                         check that a broker runs there and that bootstrap_servers is right",
                        self.servers,
                        self.startup_timeout.as_secs_f32()
                    )));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        };
        self.select(&metadata)
    }

    /// The topics of `metadata` this source reads, with their partition counts.
    pub(super) fn select(&self, metadata: &rdkafka::metadata::Metadata) -> Result<Vec<(String, i32)>, JobError> {
        let known: Vec<(String, i32)> =
            metadata.topics().iter().map(|t| (t.name().to_owned(), t.partitions().len() as i32)).collect();
        let mut chosen = Vec::new();
        for t in &self.topics {
            match known.iter().find(|(name, n)| name == t && *n > 0) {
                Some(k) => chosen.push(k.clone()),
                None => {
                    return Err(connector(format!(
                        "topic '{t}' does not exist at {}; create it (Kafka does not read a topic \
                         before it exists) or check its name",
                        self.servers
                    )))
                }
            }
        }
        if let Some(p) = &self.pattern {
            let re = regex_lite::Regex::new(&format!("^(?:{p})$"))
                .map_err(|e| connector(format!("topic_pattern '{p}' is not a regular expression: {e}")))?;
            for k in known {
                if re.is_match(&k.0) && !k.0.starts_with("__") && !chosen.iter().any(|c| c.0 == k.0) {
                    chosen.push(k);
                }
            }
        }
        if self.topics.is_empty() && self.pattern.is_none() {
            return Err(JobError::Config("KafkaSource: no topics: call topics([..]) or topic_pattern(..)".into()));
        }
        chosen.sort();
        Ok(chosen)
    }

    /// Resolves an offsets initializer to an offset per partition.
    pub(super) fn resolve(
        &self,
        consumer: &StreamConsumer<SourceStats>,
        parts: &[(Arc<str>, i32)],
        init: &OffsetsInitializer,
    ) -> Result<Vec<i64>, JobError> {
        let timeout = self.startup_timeout;
        let watermarks = |topic: &str, p: i32| {
            consumer
                .fetch_watermarks(topic, p, timeout)
                .map_err(|e| connector(format!("cannot read the offsets of {topic}/{p} at {}: {e}", self.servers)))
        };
        let mut out = Vec::with_capacity(parts.len());
        match init {
            OffsetsInitializer::Earliest => {
                for (t, p) in parts {
                    out.push(watermarks(t, *p)?.0);
                }
            }
            OffsetsInitializer::Latest => {
                for (t, p) in parts {
                    out.push(watermarks(t, *p)?.1);
                }
            }
            OffsetsInitializer::Offsets(map) => {
                for (t, p) in parts {
                    match map.get(&(t.to_string(), *p)) {
                        Some(o) => out.push(*o),
                        None => out.push(watermarks(t, *p)?.0),
                    }
                }
            }
            OffsetsInitializer::Committed { fallback_earliest } => {
                let mut tpl = TopicPartitionList::new();
                for (t, p) in parts {
                    tpl.add_partition(t, *p);
                }
                let committed = consumer
                    .committed_offsets(tpl, timeout)
                    .map_err(|e| connector(format!("cannot read the committed offsets at {}: {e}", self.servers)))?;
                for (t, p) in parts {
                    let c = committed.find_partition(t, *p).map(|e| e.offset());
                    match c {
                        Some(Offset::Offset(o)) if o >= 0 => out.push(o),
                        _ => {
                            let (low, high) = watermarks(t, *p)?;
                            out.push(if *fallback_earliest { low } else { high });
                        }
                    }
                }
            }
            OffsetsInitializer::Timestamp(ts) => {
                let mut tpl = TopicPartitionList::new();
                for (t, p) in parts {
                    tpl.add_partition_offset(t, *p, Offset::Offset(*ts))
                        .map_err(|e| connector(format!("bad partition {t}/{p}: {e}")))?;
                }
                let found = consumer
                    .offsets_for_times(tpl, timeout)
                    .map_err(|e| connector(format!("cannot look up offsets by time at {}: {e}", self.servers)))?;
                for (t, p) in parts {
                    match found.find_partition(t, *p).map(|e| e.offset()) {
                        Some(Offset::Offset(o)) if o >= 0 => out.push(o),
                        _ => out.push(watermarks(t, *p)?.1),
                    }
                }
            }
        }
        Ok(out)
    }
}
