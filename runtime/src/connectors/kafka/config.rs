//! What the source and sink builders share: client properties, and what to do with a
//! record that does not parse.

use rdkafka::ClientConfig;

/// What the Kafka source does with a record its format cannot read. Nothing is dropped
/// silently: a skipped record is counted (and the first few are reported), a routed one is
/// kept whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum OnBadRecord {
    /// Stop the job with an error naming the topic, partition and offset (Flink's default).
    #[default]
    Fail,
    /// Skip it and count it in the `kafka_source_bad_records` metric.
    Skip,
    /// Write it, raw (key, value and headers as they were), to this dead-letter topic, with
    /// the error and where it came from in headers (`rill.error`, `rill.topic`,
    /// `rill.partition`, `rill.offset`), and count it.
    DeadLetter(String),
}

/// Client properties: Rill's defaults, then the user's, which win.
pub(crate) fn client_config(servers: &str, defaults: &[(&str, &str)], user: &[(String, String)]) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", servers);
    // Back within a second of a broker's return, as Flink's Kafka clients are (the Java
    // client's reconnect.backoff.max.ms); librdkafka's own default waits up to 10 s.
    config.set("reconnect.backoff.max.ms", "1000");
    for (k, v) in defaults {
        config.set(*k, *v);
    }
    for (k, v) in user {
        config.set(k, v);
    }
    config
}
