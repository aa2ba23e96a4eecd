//! What the source and sink builders share: client properties, and what to do with a
//! record that does not parse.

use crate::api::OutputTag;
use rdkafka::ClientConfig;

/// What the Kafka source does with a record its format cannot read. Nothing is dropped
/// silently: a skipped record is counted (and the first few are reported), a routed one is
/// kept whole.
///
/// ```no_run
/// use rill::prelude::*;
/// use rill::connectors::kafka::{BadRecord, KafkaSource, OnBadRecord};
/// use rill::connectors::formats::Json;
///
/// static BAD: OutputTag<BadRecord> = OutputTag::new("bad-readings");
///
/// #[rill::job]
/// fn readings(env: &mut Env) {
///     let source = KafkaSource::builder()
///         .bootstrap_servers("localhost:9092")
///         .topics(["readings"])
///         .value_format(Json::<(String, f64)>::new())
///         .on_bad_record(OnBadRecord::SideOutput(&BAD))
///         .build();
///     let readings = env.from_source(source, WatermarkStrategy::no_watermarks(), "readings");
///     readings.print();
///     readings.side_output(&BAD).map(|b: BadRecord| format!("{}: {}", b.place(), b.error)).print();
/// }
/// ```
#[derive(Clone, Default)]
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
    /// Route it, as a [`BadRecord`](super::BadRecord) (raw, with the error and where it came
    /// from), to the source's side output: `from_source(..).side_output(&TAG)` reads it.
    /// The job fails if it does not read that side output (the record would be lost).
    SideOutput(&'static OutputTag<super::BadRecord>),
}

impl PartialEq for OnBadRecord {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (OnBadRecord::Fail, OnBadRecord::Fail) | (OnBadRecord::Skip, OnBadRecord::Skip) => true,
            (OnBadRecord::DeadLetter(a), OnBadRecord::DeadLetter(b)) => a == b,
            (OnBadRecord::SideOutput(a), OnBadRecord::SideOutput(b)) => a.id() == b.id(),
            _ => false,
        }
    }
}

impl Eq for OnBadRecord {}

impl std::fmt::Debug for OnBadRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OnBadRecord::Fail => f.write_str("Fail"),
            OnBadRecord::Skip => f.write_str("Skip"),
            OnBadRecord::DeadLetter(t) => write!(f, "DeadLetter({t:?})"),
            OnBadRecord::SideOutput(tag) => write!(f, "SideOutput({:?})", tag.id()),
        }
    }
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
