//! What a source subtask holds while it runs: its partitions (splits) and their positions,
//! the lookup from a record's topic and partition to its split, offset commits, partition
//! discovery, and how consumer errors are waited out.

use super::super::assign;
use super::super::sink::{Deliveries, DeliveryProducer};
use super::super::stats::SourceStats;
use super::builder::Config;
use super::connector;
use crate::api::metrics::Counter;
use crate::core::error::JobError;
use crate::sources::split::SplitOutput;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::{Offset, TopicPartitionList};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One partition this subtask reads: a split.
#[derive(Debug, Clone)]
pub(super) struct Partition {
    pub(super) topic: Arc<str>,
    pub(super) partition: i32,
    /// The next offset to read: the source state.
    pub(super) next: i64,
    /// Where it started reading (its starting offset): where a bounded read's progress begins.
    pub(super) first: i64,
    pub(super) stop: Option<i64>,
    pub(super) finished: bool,
    pub(super) committed: i64,
}

/// What a subtask holds while it runs.
pub(super) struct Running {
    pub(super) consumer: StreamConsumer<SourceStats>,
    pub(super) partitions: Vec<Partition>,
    /// topic → split index per partition number.
    pub(super) lookup: Vec<(Arc<str>, Vec<usize>)>,
    pub(super) bad_records: Counter,
    pub(super) reported: u32,
    pub(super) dead_letters: Option<(DeliveryProducer, Arc<Deliveries>)>,
    pub(super) last_commit: Instant,
    /// Since when the brokers have been away, and when that was last said.
    pub(super) warned: Option<(Instant, Instant)>,
    /// When to look for new partitions next (`None`: never), and which subtask this is.
    pub(super) next_discovery: Option<Instant>,
    pub(super) subtask: usize,
    pub(super) parallelism: usize,
    pub(super) started: bool,
}

pub(super) fn split_of(lookup: &[(Arc<str>, Vec<usize>)], message: &BorrowedMessage<'_>) -> Option<usize> {
    split_index(lookup, message.topic(), message.partition())
}

/// The split index of a topic's partition, if this subtask reads it.
pub(super) fn split_index(lookup: &[(Arc<str>, Vec<usize>)], topic: &str, partition: i32) -> Option<usize> {
    let (_, parts) = lookup.iter().find(|(t, _)| &**t == topic)?;
    parts.get(partition as usize).copied().filter(|i| *i != usize::MAX)
}

pub(super) fn insert_lookup(lookup: &mut Vec<(Arc<str>, Vec<usize>)>, topic: &Arc<str>, partition: i32, split: usize) {
    let slot = match lookup.iter_mut().position(|(t, _)| t == topic) {
        Some(i) => &mut lookup[i],
        None => {
            lookup.push((topic.clone(), Vec::new()));
            lookup.last_mut().expect("just pushed")
        }
    };
    if slot.1.len() <= partition as usize {
        slot.1.resize(partition as usize + 1, usize::MAX);
    }
    slot.1[partition as usize] = split;
}

pub(super) fn remove_lookup(lookup: &mut [(Arc<str>, Vec<usize>)], topic: &str, partition: i32) {
    if let Some((_, parts)) = lookup.iter_mut().find(|(t, _)| &**t == topic) {
        if let Some(slot) = parts.get_mut(partition as usize) {
            *slot = usize::MAX;
        }
    }
}

impl Running {
    /// Looks for partitions this subtask should read and does not yet (new partitions of
    /// its topics, new topics matching its pattern) and starts reading them from their
    /// earliest offset. A broker that does not answer is asked again next time.
    pub(super) fn discover<T, O: SplitOutput<T>>(&mut self, config: &Config, out: &mut O) {
        let every = config.discovery_interval.expect("discovery is on");
        self.next_discovery = Some(Instant::now() + every);
        let found = match self.consumer.fetch_metadata(None, Duration::from_secs(2)) {
            Ok(metadata) => config.select(&metadata),
            Err(e) => Err(connector(e.to_string())),
        };
        let topics = match found {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(
                    "KafkaSource: partition discovery failed ({e}); trying again in {} s",
                    every.as_secs_f32()
                );
                return;
            }
        };
        let mut tpl = TopicPartitionList::new();
        for (topic, n) in topics {
            let topic: Arc<str> = Arc::from(topic.as_str());
            for p in 0..n {
                if assign::owner(&topic, p, self.parallelism) != self.subtask
                    || split_index(&self.lookup, &topic, p).is_some()
                {
                    continue;
                }
                if tpl.add_partition_offset(&topic, p, Offset::Beginning).is_err() {
                    continue;
                }
                let split = out.add_split();
                debug_assert_eq!(split, self.partitions.len());
                insert_lookup(&mut self.lookup, &topic, p, split);
                // The next offset is not known before the first record: -1 (nothing to commit).
                self.partitions.push(Partition {
                    topic: topic.clone(),
                    partition: p,
                    next: -1,
                    first: -1,
                    stop: None,
                    finished: false,
                    committed: -1,
                });
                tracing::info!("KafkaSource: found partition {topic}/{p}; reading it from its earliest offset");
            }
        }
        if tpl.count() > 0 {
            if let Err(e) = self.consumer.incremental_assign(&tpl) {
                tracing::warn!("KafkaSource: cannot start reading the new partitions ({e}); trying again");
                // Forget them, so the next discovery finds them again.
                for e in tpl.elements() {
                    if let Some(i) = split_index(&self.lookup, e.topic(), e.partition()) {
                        self.partitions[i].finished = true;
                        out.finish_split(i);
                        remove_lookup(&mut self.lookup, e.topic(), e.partition());
                    }
                }
            }
        }
    }

    pub(super) fn commit(&mut self, config: &Config, mode: CommitMode) {
        self.last_commit = Instant::now();
        if config.group_id.is_none() {
            return;
        }
        let mut tpl = TopicPartitionList::new();
        for p in self.partitions.iter().filter(|p| p.next != p.committed) {
            // A partition that cannot be named is simply not committed this time.
            let _ = tpl.add_partition_offset(&p.topic, p.partition, Offset::Offset(p.next));
        }
        if tpl.count() == 0 {
            return;
        }
        // Counted as committed when the request is accepted: a failed async commit is
        // repeated with the next progress; a new run starts from an older offset at worst.
        if self.consumer.commit(&tpl, mode).is_ok() {
            for p in &mut self.partitions {
                p.committed = p.next;
            }
        }
    }

    /// An error from the consumer: fatal ones stop the job; the others (a broker that went
    /// away, a connection reset) librdkafka recovers from, so they are reported and waited out.
    pub(super) fn consumer_error(&mut self, config: &Config, e: KafkaError) -> Result<(), JobError> {
        if let KafkaError::MessageConsumptionFatal(_) = e {
            return Err(connector(format!("fatal consumer error from {}: {e}", config.servers)));
        }
        // librdkafka reports an outage as a run of alternating errors: one line per 10 s.
        let repeat = self.warned.as_ref().is_some_and(|(_, at)| at.elapsed() < Duration::from_secs(10));
        if !repeat {
            tracing::warn!("KafkaSource: {e} (brokers {}); waiting for them to come back", config.servers);
            let since = self.warned.as_ref().map_or_else(Instant::now, |w| w.1);
            self.warned = Some((since, Instant::now()));
        }
        Ok(())
    }
}
