//! How a Kafka record becomes a pipeline record (Flink's
//! `KafkaRecordDeserializationSchema`): its value in a format, the value with the record's
//! metadata, or a function of the whole message.

use super::super::message::{KafkaMessage, KafkaRecord};
use crate::connectors::formats::Deserializer;
use std::marker::PhantomData;
use std::sync::Arc;

/// How a Kafka record becomes a pipeline record (Flink's `KafkaRecordDeserializationSchema`).
pub trait RecordDeserializer: Clone + Send + 'static {
    /// The pipeline record a Kafka record becomes.
    type Out: Send + 'static;
    /// The record of `message`, or why it cannot be read (a bad record).
    fn deserialize(&mut self, message: &KafkaMessage<'_>) -> Result<Self::Out, String>;
}

/// The value only, read with a format.
#[derive(Clone)]
pub struct ValueOnly<F>(pub(super) F);

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
pub struct WithMetadata<F>(pub(super) F);

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
pub struct FnDeserializer<F, T>(pub(super) F, pub(super) PhantomData<fn() -> T>);

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
