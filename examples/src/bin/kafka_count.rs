//! Reads a whole topic with one plain librdkafka consumer and nothing else, and says how
//! fast: what the broker serves, the ceiling any Kafka job on this machine reads under.
//! `scripts/alert-latency` and the README compare `kafka_alerts --bounded` with it.
//!
//! ```sh
//! cargo run --release -p rill-examples --bin kafka_count -- --brokers 127.0.0.1:9092 --topic metrics
//! ```

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::time::{Duration, Instant};

fn usage(problem: &str) -> ! {
    eprintln!("kafka_count: {problem}");
    eprintln!("usage: kafka_count [--brokers HOST:PORT] [--topic T]");
    std::process::exit(2)
}

fn main() {
    let mut brokers = std::env::var("RILL_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".into());
    let mut topic = "metrics".to_owned();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| usage(&format!("{flag} needs a value"))).clone();
        match flag.as_str() {
            "--brokers" => brokers = value,
            "--topic" => topic = value,
            other => usage(&format!("unknown option {other}")),
        }
    }
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("group.id", "kafka-count")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap_or_else(|e| usage(&format!("cannot create a consumer for {brokers}: {e}")));
    let metadata = consumer
        .fetch_metadata(Some(&topic), Duration::from_secs(10))
        .unwrap_or_else(|e| usage(&format!("no metadata for {topic} from {brokers}: {e}")));
    let partitions: Vec<i32> = metadata.topics().iter().flat_map(|t| t.partitions().iter().map(|p| p.id())).collect();
    let mut tpl = TopicPartitionList::new();
    let mut total = 0i64;
    for &p in &partitions {
        let (low, high) = consumer
            .fetch_watermarks(&topic, p, Duration::from_secs(10))
            .unwrap_or_else(|e| usage(&format!("no offsets for {topic}/{p}: {e}")));
        total += high - low;
        tpl.add_partition_offset(&topic, p, Offset::Beginning).expect("partition");
    }
    consumer.assign(&tpl).unwrap_or_else(|e| usage(&format!("cannot assign {topic}: {e}")));
    let start = Instant::now();
    let mut read = 0i64;
    while read < total {
        match consumer.poll(Duration::from_secs(10)) {
            Some(Ok(_)) => read += 1,
            Some(Err(e)) => usage(&format!("reading {topic}: {e}")),
            None => usage(&format!("nothing for 10 s after {read} of {total} records")),
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!("kafka_count: {read} records of {topic} in {secs:.2} s ({:.0}/s)", read as f64 / secs);
}
