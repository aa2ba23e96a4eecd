//! Topic creation, for jobs and tools that set up their own topics (Kafka-compatible
//! brokers such as tansu do not create a topic on first use).

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::ClientConfig;
use std::time::Duration;

/// Creates each `(topic, partitions)` that does not exist yet (replication factor 1);
/// topics that exist are left as they are.
pub fn create_topics(brokers: &str, topics: &[(&str, i32)]) -> Result<(), String> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .map_err(|e| format!("cannot create a Kafka admin client for {brokers}: {e}"))?;
    let new: Vec<NewTopic<'_>> = topics.iter().map(|(t, p)| NewTopic::new(t, *p, TopicReplication::Fixed(1))).collect();
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    let results = rt
        .block_on(admin.create_topics(&new, &opts))
        .map_err(|e| format!("cannot create topics at {brokers}: {e}; check that a broker runs there"))?;
    for r in results {
        if let Err((t, e)) = r {
            if e != RDKafkaErrorCode::TopicAlreadyExists {
                return Err(format!("cannot create topic '{t}' at {brokers}: {e}"));
            }
        }
    }
    Ok(())
}
