//! Kafka in and out: [`KafkaSource`] and [`KafkaSink`], on librdkafka (built from the
//! `rdkafka` crate's bundled sources).
//!
//! ```no_run
//! use rill::prelude::*;
//! use rill::connectors::kafka::{KafkaSink, KafkaSource, OffsetsInitializer};
//! use rill::connectors::formats::Text;
//! use std::time::Duration;
//!
//! #[rill::job]
//! fn upper(env: &mut Env) {
//!     let source = KafkaSource::builder()
//!         .bootstrap_servers("localhost:9092")
//!         .topics(["words"])
//!         .group_id("upper")
//!         .starting_offsets(OffsetsInitializer::earliest())
//!         .value_format(Text)
//!         .build();
//!     let sink = KafkaSink::builder().bootstrap_servers("localhost:9092").topic("upper").value_format(Text).build();
//!     env.from_source(source, WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_secs(1)), "words")
//!         .map(|w: String| w.to_uppercase())
//!         .sink_to(sink);
//! }
//! ```

mod admin;
mod assign;
mod config;
mod message;
mod offsets;
mod sink;
mod source;
mod stats;

pub use admin::create_topics;
pub use config::OnBadRecord;
pub use message::{BadRecord, KafkaMessage, KafkaRecord};
pub use offsets::OffsetsInitializer;
pub use sink::{KafkaSink, KafkaSinkBuilder};
pub use source::{KafkaSource, KafkaSourceBuilder, RecordDeserializer};
