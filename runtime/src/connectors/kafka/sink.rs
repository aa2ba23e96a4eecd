//! `KafkaSink`: writes records to Kafka, at least once. Every record is acknowledged by the
//! brokers before the job reports success (the sink flushes at end of input and waits for
//! every acknowledgement); a record the brokers refuse fails the job with their error,
//! naming the topic, and is never dropped. A full producer queue waits (backpressure)
//! rather than failing.
//!
//! ```no_run
//! use rill::prelude::*;
//! use rill::connectors::kafka::KafkaSink;
//! use rill::connectors::formats::Json;
//!
//! #[derive(Clone, serde::Serialize, rill::Codec)]
//! struct Alert { host: String, firing: bool }
//!
//! #[rill::job]
//! fn alerts(env: &mut Env) {
//!     let sink = KafkaSink::builder()
//!         .bootstrap_servers("localhost:9092")
//!         .topic("alerts")
//!         .key(|a: &Alert| a.host.clone().into_bytes())
//!         .value_format(Json::<Alert>::new())
//!         .build();
//!     env.from_elements([Alert { host: "web-1".into(), firing: true }]).sink_to(sink);
//! }
//! ```

use super::config::client_config;
use crate::connectors::formats::Serializer;
use crate::core::error::JobError;
use crate::sinks::user::Sink;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::DeliveryResult;
use rdkafka::producer::{BaseRecord, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{ClientContext, Message};
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Select<T, R> = Arc<dyn Fn(&T) -> R + Send + Sync>;

/// Keeps the first delivery error: the producer's own thread reports deliveries, the
/// sink's subtask reads them.
#[derive(Default)]
pub(crate) struct Deliveries {
    pub(crate) failed: Mutex<Option<String>>,
}

/// The producer's context: hands deliveries to the shared [`Deliveries`].
pub(crate) struct Tracker(Arc<Deliveries>);

impl ClientContext for Tracker {}

impl ProducerContext for Tracker {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, message)) = result {
            let mut failed = self.0.failed.lock().unwrap_or_else(|p| p.into_inner());
            failed.get_or_insert_with(|| {
                format!("delivery to topic '{}' (partition {}) failed: {e}", message.topic(), message.partition())
            });
        }
    }
}

pub(crate) type DeliveryProducer = ThreadedProducer<Tracker>;

/// A producer whose deliveries are tracked.
pub(crate) fn producer(
    servers: &str,
    properties: &[(String, String)],
) -> Result<(DeliveryProducer, Arc<Deliveries>), String> {
    let deliveries = Arc::new(Deliveries::default());
    let config = client_config(servers, &[], properties);
    let producer = config.create_with_context(Tracker(deliveries.clone())).map_err(|e| e.to_string())?;
    Ok((producer, deliveries))
}

/// Sends one record, waiting while the producer's queue is full (backpressure).
pub(crate) fn send_waiting(
    producer: &DeliveryProducer,
    mut record: BaseRecord<'_, [u8], [u8]>,
) -> Result<(), KafkaError> {
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                record = r;
                std::thread::sleep(Duration::from_millis(1));
            }
            Err((e, _)) => return Err(e),
        }
    }
}

/// Waits for every record in flight; the first delivery error, if any.
pub(crate) fn flush(
    what: &str,
    servers: &str,
    producer: &DeliveryProducer,
    deliveries: &Deliveries,
    timeout: Duration,
) -> Result<(), JobError> {
    let flushed = producer.flush(timeout);
    if let Some(e) = deliveries.failed.lock().unwrap_or_else(|p| p.into_inner()).take() {
        return Err(JobError::Connector(format!("{what}: {e}")));
    }
    if let Err(e) = flushed {
        return Err(JobError::Connector(format!(
            "{what}: {} records not acknowledged by the brokers at {servers} within {} s ({e}); \
             check that the brokers are up",
            producer.in_flight_count(),
            timeout.as_secs()
        )));
    }
    Ok(())
}

/// Where each record goes.
enum Topic<T> {
    Fixed(String),
    PerRecord(Select<T, String>),
}

impl<T> Clone for Topic<T> {
    fn clone(&self) -> Self {
        match self {
            Topic::Fixed(t) => Topic::Fixed(t.clone()),
            Topic::PerRecord(f) => Topic::PerRecord(f.clone()),
        }
    }
}

/// Builds a [`KafkaSink`].
pub struct KafkaSinkBuilder<T, F> {
    servers: Option<String>,
    topic: Option<Topic<T>>,
    key: Option<Select<T, Vec<u8>>>,
    partition: Option<Select<T, i32>>,
    format: F,
    properties: Vec<(String, String)>,
    flush_timeout: Duration,
}

/// Writes records to Kafka (Flink's `KafkaSink`, at-least-once). See the module docs.
pub struct KafkaSink<T, F> {
    servers: String,
    topic: Option<Topic<T>>,
    key: Option<Select<T, Vec<u8>>>,
    partition: Option<Select<T, i32>>,
    format: F,
    properties: Vec<(String, String)>,
    flush_timeout: Duration,
    buffer: Vec<u8>,
    run: Option<(DeliveryProducer, Arc<Deliveries>)>,
    _t: PhantomData<fn(&T)>,
}

impl<T, F: Clone> Clone for KafkaSink<T, F> {
    fn clone(&self) -> Self {
        KafkaSink {
            servers: self.servers.clone(),
            topic: self.topic.clone(),
            key: self.key.clone(),
            partition: self.partition.clone(),
            format: self.format.clone(),
            properties: self.properties.clone(),
            flush_timeout: self.flush_timeout,
            buffer: Vec::new(),
            run: None,
            _t: PhantomData,
        }
    }
}

impl KafkaSink<(), ()> {
    /// A builder for a sink of records of type `T`.
    pub fn builder<T>() -> KafkaSinkBuilder<T, ()> {
        KafkaSinkBuilder {
            servers: None,
            topic: None,
            key: None,
            partition: None,
            format: (),
            properties: Vec::new(),
            flush_timeout: Duration::from_secs(60),
        }
    }
}

impl<T, F> KafkaSinkBuilder<T, F> {
    /// `host:port[,host:port...]`.
    pub fn bootstrap_servers(mut self, servers: impl Into<String>) -> Self {
        self.servers = Some(servers.into());
        self
    }
    /// Every record to this topic.
    pub fn topic(mut self, topic: impl Into<String>) -> Self {
        self.topic = Some(Topic::Fixed(topic.into()));
        self
    }
    /// Each record to the topic `f` names.
    pub fn topic_selector(mut self, f: impl Fn(&T) -> String + Send + Sync + 'static) -> Self {
        self.topic = Some(Topic::PerRecord(Arc::new(f)));
        self
    }
    /// The record's Kafka key (records without one are spread over the partitions).
    pub fn key(mut self, f: impl Fn(&T) -> Vec<u8> + Send + Sync + 'static) -> Self {
        self.key = Some(Arc::new(f));
        self
    }
    /// The record's partition (otherwise the producer's partitioner decides, by key).
    pub fn partition(mut self, f: impl Fn(&T) -> i32 + Send + Sync + 'static) -> Self {
        self.partition = Some(Arc::new(f));
        self
    }
    /// A producer property, passed to librdkafka as it is (`linger.ms`, `compression.type`, ...).
    pub fn property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.push((key.into(), value.into()));
        self
    }
    /// How long the end of input waits for the brokers to acknowledge everything (60 s).
    pub fn flush_timeout(mut self, timeout: Duration) -> Self {
        self.flush_timeout = timeout;
        self
    }
    /// How a record becomes the message's value: `Json::<T>::new()`, `Text`, `Bytes`.
    pub fn value_format<G: Serializer<T>>(self, format: G) -> KafkaSinkBuilder<T, G> {
        KafkaSinkBuilder {
            servers: self.servers,
            topic: self.topic,
            key: self.key,
            partition: self.partition,
            format,
            properties: self.properties,
            flush_timeout: self.flush_timeout,
        }
    }
}

impl<T, F: Serializer<T>> KafkaSinkBuilder<T, F> {
    /// The sink, to pass to `sink_to(..)`.
    pub fn build(self) -> KafkaSink<T, F> {
        KafkaSink {
            servers: self.servers.unwrap_or_default(),
            topic: self.topic,
            key: self.key,
            partition: self.partition,
            format: self.format,
            properties: self.properties,
            flush_timeout: self.flush_timeout,
            buffer: Vec::new(),
            run: None,
            _t: PhantomData,
        }
    }
}

impl<T: 'static, F: Serializer<T>> Sink<T> for KafkaSink<T, F> {
    fn open(&mut self, _subtask: usize, _parallelism: usize) -> Result<(), JobError> {
        if self.servers.is_empty() {
            return Err(JobError::Config("KafkaSink: bootstrap_servers is not set".into()));
        }
        if self.topic.is_none() {
            return Err(JobError::Config("KafkaSink: no topic: call topic(..) or topic_selector(..)".into()));
        }
        let run = producer(&self.servers, &self.properties).map_err(|e| {
            JobError::Connector(format!("KafkaSink: cannot create a producer for {}: {e}", self.servers))
        })?;
        self.run = Some(run);
        Ok(())
    }

    fn write(&mut self, value: T) {
        let (producer, deliveries) = self.run.as_ref().expect("KafkaSink opened");
        if let Some(e) = deliveries.failed.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            // The panic fails the job, naming this sink and its subtask.
            panic!("KafkaSink: {e}");
        }
        self.buffer.clear();
        if let Err(e) = self.format.serialize(&value, &mut self.buffer) {
            panic!("KafkaSink: cannot serialize a record: {e}");
        }
        let topic: std::borrow::Cow<'_, str> = match self.topic.as_ref().expect("topic checked at open") {
            Topic::Fixed(t) => t.as_str().into(),
            Topic::PerRecord(f) => f(&value).into(),
        };
        let key = self.key.as_ref().map(|f| f(&value));
        let mut record = BaseRecord::to(&topic).payload(self.buffer.as_slice());
        if let Some(k) = &key {
            record = record.key(k.as_slice());
        }
        if let Some(p) = &self.partition {
            record = record.partition(p(&value));
        }
        if let Err(e) = send_waiting(producer, record) {
            panic!("KafkaSink: cannot send to topic '{topic}': {e}");
        }
    }

    fn finish(&mut self) -> Result<(), JobError> {
        let Some((producer, deliveries)) = self.run.take() else { return Ok(()) };
        flush("KafkaSink", &self.servers, &producer, &deliveries, self.flush_timeout)
    }
}
