//! `KafkaSource`: reads topics (a list or a pattern) as Flink's `KafkaSource` does. The
//! partitions are spread over the source's subtasks by Flink's rule (see `assign`), each
//! subtask reading its own with an assigned (not group-managed) consumer; the group id is
//! used to commit offsets back for lag monitoring. Each partition is a split with its own
//! watermark (`from_source`), and the positions are kept per partition (the source state
//! that checkpoints will store).
//!
//! Backpressure: the subtask only takes records from librdkafka when the pipeline has room,
//! and librdkafka stops fetching once its queue holds `queued.max.messages.kbytes` (16 MB
//! per subtask by default here), so a slow pipeline never makes the source buffer without
//! bound.

mod bad_records;
mod builder;
mod client;
mod deserializers;
mod running;

pub use builder::KafkaSourceBuilder;
pub use deserializers::RecordDeserializer;

use super::assign;
use super::config::OnBadRecord;
use super::message::{BadRecord, KafkaMessage};
use super::sink::{self};
use crate::api::metrics::{self};
use crate::core::error::JobError;
use crate::sources::split::{SplitOutput, SplitSource};
use crate::sources::{SourceContext, SourceStatus};
use builder::Config;
use futures_core::Stream;
use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use running::{insert_lookup, split_of, Partition, Running};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

/// Reads Kafka topics. Build it with [`KafkaSource::builder`] and read it with
/// `env.from_source(source, strategy, name)`.
pub struct KafkaSource<D> {
    config: Arc<Config>,
    format: D,
    run: Option<Box<Running>>,
}

impl<D: Clone> Clone for KafkaSource<D> {
    fn clone(&self) -> Self {
        KafkaSource { config: self.config.clone(), format: self.format.clone(), run: None }
    }
}

impl<D> KafkaSource<D> {
    /// The partitions this subtask reads and the next offset of each: the source's state.
    pub fn positions(&self) -> Vec<(String, i32, i64)> {
        let Some(run) = &self.run else { return Vec::new() };
        run.partitions.iter().map(|p| (p.topic.to_string(), p.partition, p.next)).collect()
    }
}

fn connector(msg: String) -> JobError {
    JobError::Connector(format!("KafkaSource: {msg}"))
}

impl<D: RecordDeserializer> SplitSource for KafkaSource<D> {
    type Out = D::Out;

    fn open(&mut self, ctx: &SourceContext) -> Result<(), JobError> {
        let config = &self.config;
        if config.servers.is_empty() {
            return Err(JobError::Config("KafkaSource: bootstrap_servers is not set".into()));
        }
        let consumer = config.consumer(ctx.subtask)?;
        let topics = config.topics(&consumer)?;
        let mine: Vec<(Arc<str>, i32)> = topics
            .iter()
            .flat_map(|(t, n)| {
                let t: Arc<str> = Arc::from(t.as_str());
                (0..*n).map(move |p| (t.clone(), p))
            })
            .filter(|(t, p)| assign::owner(t, *p, ctx.parallelism) == ctx.subtask)
            .collect();
        let starts = config.resolve(&consumer, &mine, &config.starting)?;
        let stops = match &config.stopping {
            Some(init) => config.resolve(&consumer, &mine, init)?.into_iter().map(Some).collect(),
            None => vec![None; mine.len()],
        };
        let mut partitions = Vec::with_capacity(mine.len());
        let mut lookup: Vec<(Arc<str>, Vec<usize>)> = Vec::new();
        let mut tpl = TopicPartitionList::new();
        for (i, ((topic, p), (start, stop))) in mine.into_iter().zip(starts.into_iter().zip(stops)).enumerate() {
            let finished = stop.is_some_and(|s| start >= s);
            if !finished {
                tpl.add_partition_offset(&topic, p, Offset::Offset(start))
                    .map_err(|e| connector(format!("cannot assign {topic}/{p}: {e}")))?;
            }
            insert_lookup(&mut lookup, &topic, p, i);
            partitions.push(Partition {
                topic,
                partition: p,
                next: start,
                first: start,
                stop,
                finished,
                committed: start,
            });
        }
        consumer.assign(&tpl).map_err(|e| connector(format!("cannot assign partitions: {e}")))?;
        let dead_letters = match &config.on_bad_record {
            OnBadRecord::DeadLetter(_) => Some(sink::producer(&config.servers, &config.properties).map_err(|e| {
                connector(format!("cannot create the dead-letter producer for {}: {e}", config.servers))
            })?),
            _ => None,
        };
        self.run = Some(Box::new(Running {
            consumer,
            partitions,
            lookup,
            bad_records: metrics::counter("kafka_source_bad_records"),
            reported: 0,
            dead_letters,
            last_commit: Instant::now(),
            warned: None,
            next_discovery: match (config.discovery_interval, &config.stopping) {
                (Some(every), None) => Some(Instant::now() + every),
                _ => None,
            },
            subtask: ctx.subtask,
            parallelism: ctx.parallelism,
            started: false,
        }));
        Ok(())
    }

    fn splits(&self) -> usize {
        self.run.as_ref().map_or(0, |r| r.partitions.len())
    }

    fn progress(&self) -> Option<(u64, u64)> {
        // Bounded: offsets read of the offsets between the start and the stop of each partition.
        let run = self.run.as_ref()?;
        let (mut read, mut total) = (0u64, 0u64);
        for p in &run.partitions {
            let stop = p.stop?;
            let span = u64::try_from(stop - p.first).unwrap_or(0);
            total += span;
            read += if p.finished { span } else { u64::try_from(p.next.min(stop) - p.first).unwrap_or(0) };
        }
        Some((read, total))
    }

    fn snapshot_position(&self) -> Option<Vec<u8>> {
        let mut bytes = Vec::new();
        crate::Codec::encode(&self.positions(), &mut bytes);
        Some(bytes)
    }

    /// The offsets of the checkpoint, not the group's commits (Flink's `KafkaSource` takes
    /// them from its state too): each subtask seeks the partitions it owns now to where the
    /// checkpoint had them, whichever old subtask read them; partitions the checkpoint does
    /// not know (new since) start as the source is configured to.
    fn restore_positions(&mut self, positions: &crate::sources::Positions<'_>) -> Result<(), JobError> {
        let run = self.run.as_mut().expect("KafkaSource opened");
        let mut tpl = TopicPartitionList::new();
        let mut moved = false;
        for bytes in positions.all() {
            let restored: Vec<(String, i32, i64)> =
                crate::codec::decode_all(bytes).map_err(|e| JobError::restore("KafkaSource", e))?;
            for (topic, partition, next) in restored {
                let Some(p) = run.partitions.iter_mut().find(|p| *p.topic == *topic && p.partition == partition) else {
                    continue;
                };
                p.next = next;
                p.committed = next;
                p.finished = p.stop.is_some_and(|s| next >= s);
                moved = true;
            }
        }
        if moved {
            for p in run.partitions.iter().filter(|p| !p.finished) {
                tpl.add_partition_offset(&p.topic, p.partition, Offset::Offset(p.next))
                    .map_err(|e| connector(format!("cannot assign {}/{}: {e}", p.topic, p.partition)))?;
            }
            run.consumer.assign(&tpl).map_err(|e| connector(format!("cannot assign partitions: {e}")))?;
        }
        Ok(())
    }

    async fn poll<O: SplitOutput<D::Out> + Send>(&mut self, out: &mut O) -> Result<SourceStatus, JobError> {
        let KafkaSource { config, format, run } = self;
        let run = run.as_mut().expect("KafkaSource opened");
        if !run.started {
            // Partitions empty at start (bounded) leave the watermark once, at the first poll.
            run.started = true;
            for (i, p) in run.partitions.iter().enumerate() {
                if p.finished {
                    out.finish_split(i);
                }
            }
        }
        if run.partitions.iter().all(|p| p.finished) && (config.stopping.is_some() || !run.partitions.is_empty()) {
            return Ok(SourceStatus::Done);
        }
        if run.last_commit.elapsed() >= config.commit_interval {
            run.commit(config, CommitMode::Async);
        }
        if run.next_discovery.is_some_and(|at| Instant::now() >= at) {
            run.discover(config, out);
        }
        let Running { consumer, partitions, lookup, .. } = &mut **run;
        let mut stream = consumer.stream();
        let mut taken = 0usize;
        let mut failure = None;
        let mut bad = Vec::new();
        std::future::poll_fn(|cx| loop {
            match Pin::new(&mut stream).poll_next(cx) {
                Poll::Ready(Some(Ok(message))) => {
                    taken += 1;
                    let Some(split) = split_of(lookup, &message) else { continue };
                    let p = &mut partitions[split];
                    if p.finished {
                        continue;
                    }
                    let offset = message.offset();
                    if p.stop.is_some_and(|s| offset >= s) {
                        p.finished = true;
                        out.finish_split(split);
                        continue;
                    }
                    p.next = offset + 1;
                    let view = KafkaMessage { message: &message };
                    match format.deserialize(&view) {
                        Ok(v) => out.collect(split, v, view.timestamp().unwrap_or(crate::NO_TIMESTAMP)),
                        Err(e) => bad.push(BadRecord::of(&view, e)),
                    }
                    if p.stop.is_some_and(|s| p.next >= s) {
                        p.finished = true;
                        out.finish_split(split);
                    }
                    if taken >= crate::exchange::BATCH_SIZE || !bad.is_empty() {
                        return Poll::Ready(());
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    failure = Some(e);
                    return Poll::Ready(());
                }
                Poll::Ready(None) => return Poll::Ready(()),
                // (A subtask without partitions waits: the task's ticks bring it back to
                // look for new ones.)
                Poll::Pending if taken > 0 || !partitions.is_empty() && partitions.iter().all(|p| p.finished) => {
                    return Poll::Ready(())
                }
                Poll::Pending => {
                    out.flush();
                    return Poll::Pending;
                }
            }
        })
        .await;
        drop(stream);
        if taken > 0 {
            if let Some((since, _)) = run.warned.take() {
                tracing::info!(
                    "KafkaSource: the brokers at {} answer again after {:.1} s; reading on where it stopped",
                    config.servers,
                    since.elapsed().as_secs_f32()
                );
            }
        }
        for b in bad {
            if let OnBadRecord::SideOutput(tag) = &config.on_bad_record {
                run.bad_records.add(1);
                let ts = b.timestamp.unwrap_or(crate::NO_TIMESTAMP);
                let place = b.place();
                if !out.side_output(tag, b, ts) {
                    return Err(connector(format!(
                        "the record at {place} does not parse and goes to side output '{}', which the \
                         job does not read: read it with `.side_output(&TAG)` on this source's stream \
                         (TAG being that OutputTag)",
                        tag.id()
                    )));
                }
            } else {
                run.bad_record(config, b)?;
            }
        }
        if let Some(e) = failure {
            run.consumer_error(config, e)?;
        }
        Ok(SourceStatus::More)
    }

    fn close(&mut self) -> Result<(), JobError> {
        if let Some(run) = &mut self.run {
            run.commit(&self.config, CommitMode::Sync);
            if let Some((producer, deliveries)) = run.dead_letters.take() {
                sink::flush(
                    "KafkaSource dead-letter topic",
                    &self.config.servers,
                    &producer,
                    &deliveries,
                    Duration::from_secs(60),
                )?;
            }
        }
        Ok(())
    }
}
