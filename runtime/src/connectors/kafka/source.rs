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

use super::assign;
use super::config::{client_config, OnBadRecord};
use super::message::{BadRecord, KafkaMessage, KafkaRecord};
use super::offsets::OffsetsInitializer;
use super::sink::{self, Deliveries, DeliveryProducer};
use super::stats::SourceStats;
use crate::api::metrics::{self, Counter};
use crate::connectors::formats::Deserializer;
use crate::core::error::JobError;
use crate::sources::split::{SplitOutput, SplitSource};
use crate::sources::{SourceContext, SourceStatus};
use futures_core::Stream;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Header, Message, OwnedHeaders};
use rdkafka::producer::BaseRecord;
use rdkafka::{Offset, TopicPartitionList};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

/// How a Kafka record becomes a pipeline record (Flink's `KafkaRecordDeserializationSchema`).
pub trait RecordDeserializer: Clone + Send + 'static {
    type Out: Send + 'static;
    fn deserialize(&mut self, message: &KafkaMessage<'_>) -> Result<Self::Out, String>;
}

/// The value only, read with a format.
#[derive(Clone)]
pub struct ValueOnly<F>(F);

impl<F: Deserializer> RecordDeserializer for ValueOnly<F> {
    type Out = F::Out;
    #[inline]
    fn deserialize(&mut self, message: &KafkaMessage<'_>) -> Result<F::Out, String> {
        match message.payload() {
            Some(bytes) => self.0.deserialize(bytes),
            None => Err("the record has no value (null payload)".into()),
        }
    }
}

/// The value read with a format, with the record's topic, partition, offset, timestamp,
/// key and headers.
#[derive(Clone)]
pub struct WithMetadata<F>(F);

impl<F: Deserializer> RecordDeserializer for WithMetadata<F> {
    type Out = KafkaRecord<F::Out>;
    fn deserialize(&mut self, message: &KafkaMessage<'_>) -> Result<KafkaRecord<F::Out>, String> {
        let value = match message.payload() {
            Some(bytes) => self.0.deserialize(bytes)?,
            None => return Err("the record has no value (null payload)".into()),
        };
        Ok(KafkaRecord {
            topic: Arc::from(message.topic()),
            partition: message.partition(),
            offset: message.offset(),
            timestamp: message.timestamp(),
            key: message.key().map(<[u8]>::to_vec),
            headers: message.headers().into_iter().map(|(k, v)| (k.to_owned(), v.map(<[u8]>::to_vec))).collect(),
            value,
        })
    }
}

/// A closure `|message: &KafkaMessage| -> Result<T, String>`.
pub struct FnDeserializer<F, T>(F, PhantomData<fn() -> T>);

impl<F: Clone, T> Clone for FnDeserializer<F, T> {
    fn clone(&self) -> Self {
        FnDeserializer(self.0.clone(), PhantomData)
    }
}

impl<F, T> RecordDeserializer for FnDeserializer<F, T>
where
    F: FnMut(&KafkaMessage<'_>) -> Result<T, String> + Clone + Send + 'static,
    T: Send + 'static,
{
    type Out = T;
    fn deserialize(&mut self, message: &KafkaMessage<'_>) -> Result<T, String> {
        (self.0)(message)
    }
}

/// What the builder collects; shared by the subtasks.
#[derive(Debug, Clone)]
struct Config {
    servers: String,
    topics: Vec<String>,
    pattern: Option<String>,
    group_id: Option<String>,
    starting: OffsetsInitializer,
    stopping: Option<OffsetsInitializer>,
    properties: Vec<(String, String)>,
    on_bad_record: OnBadRecord,
    startup_timeout: Duration,
    commit_interval: Duration,
    /// How often new partitions (and topics matching the pattern) are looked for; `None`:
    /// never. Flink's default in unbounded mode: 5 minutes.
    discovery_interval: Option<Duration>,
}

/// Builds a [`KafkaSource`]: `KafkaSource::builder()...value_format(Json::<T>::new()).build()`.
pub struct KafkaSourceBuilder<D> {
    config: Config,
    format: D,
}

impl KafkaSource<()> {
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
    /// Records are [`KafkaRecord`]s: the value read with `format`, with the metadata.
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
    pub fn build(self) -> KafkaSource<D> {
        KafkaSource { config: Arc::new(self.config), format: self.format, run: None }
    }
}

/// One partition this subtask reads: a split.
#[derive(Debug, Clone)]
struct Partition {
    topic: Arc<str>,
    partition: i32,
    /// The next offset to read: the source state.
    next: i64,
    stop: Option<i64>,
    finished: bool,
    committed: i64,
}

/// What a subtask holds while it runs.
struct Running {
    consumer: StreamConsumer<SourceStats>,
    partitions: Vec<Partition>,
    /// topic → split index per partition number.
    lookup: Vec<(Arc<str>, Vec<usize>)>,
    bad_records: Counter,
    reported: u32,
    dead_letters: Option<(DeliveryProducer, Arc<Deliveries>)>,
    last_commit: Instant,
    /// Since when the brokers have been away, and when that was last said.
    warned: Option<(Instant, Instant)>,
    /// When to look for new partitions next (`None`: never), and which subtask this is.
    next_discovery: Option<Instant>,
    subtask: usize,
    parallelism: usize,
    started: bool,
}

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

impl Config {
    /// The consumer, with Rill's defaults under the user's properties.
    fn consumer(&self, subtask: usize) -> Result<StreamConsumer<SourceStats>, JobError> {
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
    fn topics(&self, consumer: &StreamConsumer<SourceStats>) -> Result<Vec<(String, i32)>, JobError> {
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
    fn select(&self, metadata: &rdkafka::metadata::Metadata) -> Result<Vec<(String, i32)>, JobError> {
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
    fn resolve(
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
            partitions.push(Partition { topic, partition: p, next: start, stop, finished, committed: start });
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
                eprintln!(
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

fn split_of(lookup: &[(Arc<str>, Vec<usize>)], message: &BorrowedMessage<'_>) -> Option<usize> {
    split_index(lookup, message.topic(), message.partition())
}

/// The split index of a topic's partition, if this subtask reads it.
fn split_index(lookup: &[(Arc<str>, Vec<usize>)], topic: &str, partition: i32) -> Option<usize> {
    let (_, parts) = lookup.iter().find(|(t, _)| &**t == topic)?;
    parts.get(partition as usize).copied().filter(|i| *i != usize::MAX)
}

fn insert_lookup(lookup: &mut Vec<(Arc<str>, Vec<usize>)>, topic: &Arc<str>, partition: i32, split: usize) {
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

fn remove_lookup(lookup: &mut [(Arc<str>, Vec<usize>)], topic: &str, partition: i32) {
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
    fn discover<T, O: SplitOutput<T>>(&mut self, config: &Config, out: &mut O) {
        let every = config.discovery_interval.expect("discovery is on");
        self.next_discovery = Some(Instant::now() + every);
        let found = match self.consumer.fetch_metadata(None, Duration::from_secs(2)) {
            Ok(metadata) => config.select(&metadata),
            Err(e) => Err(connector(e.to_string())),
        };
        let topics = match found {
            Ok(t) => t,
            Err(e) => {
                eprintln!("KafkaSource: partition discovery failed ({e}); trying again in {} s", every.as_secs_f32());
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
                    stop: None,
                    finished: false,
                    committed: -1,
                });
                eprintln!("KafkaSource: found partition {topic}/{p}; reading it from its earliest offset");
            }
        }
        if tpl.count() > 0 {
            if let Err(e) = self.consumer.incremental_assign(&tpl) {
                eprintln!("KafkaSource: cannot start reading the new partitions ({e}); trying again");
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

    fn commit(&mut self, config: &Config, mode: CommitMode) {
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

    fn bad_record(&mut self, config: &Config, bad: BadRecord) -> Result<(), JobError> {
        match &config.on_bad_record {
            OnBadRecord::Fail => Err(connector(format!(
                "cannot read the record at {}: {}; fix the producer, or choose \
                 on_bad_record(OnBadRecord::Skip) or OnBadRecord::DeadLetter(topic)",
                bad.place(),
                bad.error
            ))),
            OnBadRecord::Skip => {
                self.bad_records.add(1);
                if self.reported < 10 {
                    self.reported += 1;
                    eprintln!(
                        "KafkaSource: skipped the record at {}: {} (counted in kafka_source_bad_records{})",
                        bad.place(),
                        bad.error,
                        if self.reported == 10 { "; further skips are only counted" } else { "" }
                    );
                }
                Ok(())
            }
            OnBadRecord::SideOutput(_) => unreachable!("routed in poll, where the side outputs are"),
            OnBadRecord::DeadLetter(topic) => {
                self.bad_records.add(1);
                let (producer, deliveries) = self.dead_letters.as_ref().expect("dead-letter producer opened");
                if let Some(e) = deliveries.failed.lock().unwrap_or_else(|p| p.into_inner()).take() {
                    return Err(connector(format!("dead-letter topic: {e}")));
                }
                let partition = bad.partition.to_string();
                let offset = bad.offset.to_string();
                let mut headers = OwnedHeaders::new_with_capacity(bad.headers.len() + 4);
                for (k, v) in &bad.headers {
                    headers = headers.insert(Header { key: k, value: v.as_deref() });
                }
                for (k, v) in [
                    ("rill.error", bad.error.as_str()),
                    ("rill.topic", bad.topic.as_str()),
                    ("rill.partition", partition.as_str()),
                    ("rill.offset", offset.as_str()),
                ] {
                    headers = headers.insert(Header { key: k, value: Some(v.as_bytes()) });
                }
                let mut record = BaseRecord::<[u8], [u8]>::to(topic).headers(headers);
                if let Some(k) = &bad.key {
                    record = record.key(k.as_slice());
                }
                if let Some(v) = &bad.value {
                    record = record.payload(v.as_slice());
                }
                sink::send_waiting(producer, record).map_err(|e| {
                    connector(format!("cannot write the bad record at {} to topic '{topic}': {e}", bad.place()))
                })
            }
        }
    }

    /// An error from the consumer: fatal ones stop the job; the others (a broker that went
    /// away, a connection reset) librdkafka recovers from, so they are reported and waited out.
    fn consumer_error(&mut self, config: &Config, e: KafkaError) -> Result<(), JobError> {
        if let KafkaError::MessageConsumptionFatal(_) = e {
            return Err(connector(format!("fatal consumer error from {}: {e}", config.servers)));
        }
        // librdkafka reports an outage as a run of alternating errors: one line per 10 s.
        let repeat = self.warned.as_ref().is_some_and(|(_, at)| at.elapsed() < Duration::from_secs(10));
        if !repeat {
            eprintln!("KafkaSource: {e} (brokers {}); waiting for them to come back", config.servers);
            let since = self.warned.as_ref().map_or_else(Instant::now, |w| w.1);
            self.warned = Some((since, Instant::now()));
        }
        Ok(())
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
