//! A Kafka record as the source's formats see it, and as the pipeline may keep it.

use rdkafka::message::{BorrowedMessage, Headers, Message};
use std::sync::Arc;

/// A record read from Kafka, borrowed from the consumer: what a [`RecordDeserializer`](super::RecordDeserializer)
/// (crate::connectors::kafka::RecordDeserializer) reads.
pub struct KafkaMessage<'a> {
    pub(crate) message: &'a BorrowedMessage<'a>,
}

impl<'a> KafkaMessage<'a> {
    /// The topic the record was read from.
    pub fn topic(&self) -> &'a str {
        self.message.topic()
    }
    /// Its partition.
    pub fn partition(&self) -> i32 {
        self.message.partition()
    }
    /// Its offset in the partition.
    pub fn offset(&self) -> i64 {
        self.message.offset()
    }
    /// The record's timestamp (create or log-append time), in milliseconds since the epoch.
    pub fn timestamp(&self) -> Option<i64> {
        self.message.timestamp().to_millis()
    }
    /// Its key, if it has one.
    pub fn key(&self) -> Option<&'a [u8]> {
        self.message.key()
    }
    /// Its value's bytes, if it has a value (`None`: a tombstone).
    pub fn payload(&self) -> Option<&'a [u8]> {
        self.message.payload()
    }
    /// The headers, in order: name and value (`None` for a null value).
    pub fn headers(&self) -> Vec<(&'a str, Option<&'a [u8]>)> {
        match self.message.headers() {
            None => Vec::new(),
            Some(h) => h.iter().map(|h| (h.key, h.value)).collect(),
        }
    }
}

/// A Kafka record with its metadata, owned: what `with_metadata(format)` emits.
#[derive(rill::Codec, Debug, Clone, PartialEq)]
pub struct KafkaRecord<T> {
    /// The topic the record was read from.
    pub topic: Arc<str>,
    /// Its partition.
    pub partition: i32,
    /// Its offset in the partition.
    pub offset: i64,
    /// Milliseconds since the epoch, if the record has one.
    pub timestamp: Option<i64>,
    /// Its key, if it has one.
    pub key: Option<Vec<u8>>,
    /// Its headers, in order, with their values.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    /// The value, read with the source's format.
    pub value: T,
}

/// A record the source's format could not read, whole, with the error: what
/// `OnBadRecord::SideOutput(&TAG)` routes to `from_source(..).side_output(&TAG)`.
#[derive(rill::Codec, Debug, Clone, PartialEq)]
pub struct BadRecord {
    /// The topic the record was read from.
    pub topic: String,
    /// Its partition.
    pub partition: i32,
    /// Its offset in the partition.
    pub offset: i64,
    /// Milliseconds since the epoch, if the record has one.
    pub timestamp: Option<i64>,
    /// Its key, if it has one.
    pub key: Option<Vec<u8>>,
    /// The value as it was (`None` for a null value).
    pub value: Option<Vec<u8>>,
    /// Its headers, in order, with their values.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    /// Why the format refused it.
    pub error: String,
}

impl BadRecord {
    pub(crate) fn of(m: &KafkaMessage<'_>, error: String) -> Self {
        BadRecord {
            topic: m.topic().to_owned(),
            partition: m.partition(),
            offset: m.offset(),
            timestamp: m.timestamp(),
            key: m.key().map(<[u8]>::to_vec),
            value: m.payload().map(<[u8]>::to_vec),
            headers: m.headers().into_iter().map(|(k, v)| (k.to_owned(), v.map(<[u8]>::to_vec))).collect(),
            error,
        }
    }

    /// "topic 't', partition 1, offset 42": where it is, for messages.
    pub fn place(&self) -> String {
        format!("topic '{}', partition {}, offset {}", self.topic, self.partition, self.offset)
    }
}
