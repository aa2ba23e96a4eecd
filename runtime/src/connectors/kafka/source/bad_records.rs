//! Records the source cannot read, handled as the user chose (`OnBadRecord`): fail the job
//! naming topic, partition and offset; skip and count them; send them to a dead-letter
//! topic; or route them to the source's side output.

use super::super::config::OnBadRecord;
use super::super::message::BadRecord;
use super::super::sink;
use super::builder::Config;
use super::connector;
use super::running::Running;
use crate::core::error::JobError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::BaseRecord;

impl Running {
    pub(super) fn bad_record(&mut self, config: &Config, bad: BadRecord) -> Result<(), JobError> {
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
                    tracing::warn!(
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
}
