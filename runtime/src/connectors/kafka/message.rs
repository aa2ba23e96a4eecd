//! A Kafka record as the source's formats see it, and as the pipeline may keep it.

use rdkafka::message::{BorrowedMessage, Headers, Message};
use std::sync::Arc;

/// A record read from Kafka, borrowed from the consumer: what a [`RecordDeserializer`]
/// (crate::connectors::kafka::RecordDeserializer) reads.
pub struct KafkaMessage<'a> {
    pub(crate) message: &'a BorrowedMessage<'a>,
}

impl<'a> KafkaMessage<'a> {
    pub fn topic(&self) -> &'a str {
        self.message.topic()
    }
    pub fn partition(&self) -> i32 {
        self.message.partition()
    }
    pub fn offset(&self) -> i64 {
        self.message.offset()
    }
    /// The record's timestamp (create or log-append time), in milliseconds since the epoch.
    pub fn timestamp(&self) -> Option<i64> {
        self.message.timestamp().to_millis()
    }
    pub fn key(&self) -> Option<&'a [u8]> {
        self.message.key()
    }
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
#[derive(Debug, Clone, PartialEq)]
pub struct KafkaRecord<T> {
    pub topic: Arc<str>,
    pub partition: i32,
    pub offset: i64,
    /// Milliseconds since the epoch, if the record has one.
    pub timestamp: Option<i64>,
    pub key: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    pub value: T,
}
