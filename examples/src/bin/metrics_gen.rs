//! Writes realistic monitoring metrics as JSON into a Kafka topic at a given rate: per host
//! `cpu` (share of a core) and `latency_ms`, with a share of hosts misbehaving in turns
//! (high CPU, rising latency, silence) and a share of records out of order, late or
//! malformed. The Kafka timestamp of each record is the moment it is produced; its event
//! time (`time`) is the same moment, earlier for out-of-order and late records.
//!
//! ```sh
//! cargo run --release -p rill-examples --bin metrics_gen -- --brokers 127.0.0.1:9092 \
//!     --rate 100000 --seconds 60
//! ```
//!
//! Options: `--topic` (metrics), `--rate` records/s (10000), `--seconds` (60), `--hosts`
//! (1000), `--bad-hosts` share (0.05), `--out-of-order` share (0.01, up to 900 ms),
//! `--late` share (0.001, 60 s late), `--malformed` share (0.0005), `--partitions` (4, when
//! the topic is created), `--linger-ms` (5: how long the producer gathers records into one
//! batch; part of the measured latency, and fewer, larger batches cost the broker less).

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};
use rdkafka::ClientConfig;
use rill_examples::alerts::Metric;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

struct Options {
    brokers: String,
    topic: String,
    rate: u64,
    seconds: u64,
    hosts: usize,
    bad_hosts: f64,
    out_of_order: f64,
    late: f64,
    malformed: f64,
    partitions: i32,
    linger_ms: u32,
}

fn usage(problem: &str) -> ! {
    eprintln!("metrics_gen: {problem}");
    eprintln!(
        "usage: metrics_gen [--brokers HOST:PORT] [--topic T] [--rate N] [--seconds S] [--hosts H] \
         [--bad-hosts F] [--out-of-order F] [--late F] [--malformed F] [--partitions P] [--linger-ms MS]"
    );
    std::process::exit(2)
}

fn options() -> Options {
    let mut o = Options {
        brokers: std::env::var("RILL_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".into()),
        topic: "metrics".into(),
        rate: 10_000,
        seconds: 60,
        hosts: 1_000,
        bad_hosts: 0.05,
        out_of_order: 0.01,
        late: 0.001,
        malformed: 0.0005,
        partitions: 4,
        linger_ms: 5,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        fn num<T: std::str::FromStr>(flag: &str, v: &str) -> T {
            v.parse().unwrap_or_else(|_| usage(&format!("{flag}: '{v}' is not a number")))
        }
        match flag.as_str() {
            "--brokers" => o.brokers = value.clone(),
            "--topic" => o.topic = value.clone(),
            "--rate" => o.rate = num(flag, value),
            "--seconds" => o.seconds = num(flag, value),
            "--hosts" => o.hosts = num(flag, value),
            "--bad-hosts" => o.bad_hosts = num(flag, value),
            "--out-of-order" => o.out_of_order = num(flag, value),
            "--late" => o.late = num(flag, value),
            "--malformed" => o.malformed = num(flag, value),
            "--partitions" => o.partitions = num(flag, value),
            "--linger-ms" => o.linger_ms = num(flag, value),
            other => usage(&format!("unknown option {other}")),
        }
    }
    o
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_millis() as i64
}

/// A small, fast, seeded random generator (xorshift64*): the same run writes the same values.
struct Random(u64);

impl Random {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// How a misbehaving host misbehaves, in turns of 60 s: 20 s of trouble, 40 s normal.
fn trouble(host: usize, bad: usize, elapsed_s: f64) -> Option<usize> {
    if host >= bad {
        return None;
    }
    let phase = (elapsed_s + host as f64 * 7.0) % 60.0;
    (phase < 20.0).then_some(host % 3)
}

fn create_topic(o: &Options) {
    if let Err(e) = rill::connectors::kafka::create_topics(&o.brokers, &[(&o.topic, o.partitions)]) {
        eprintln!("metrics_gen: {e}");
        std::process::exit(1);
    }
}

fn main() {
    let o = options();
    create_topic(&o);
    let producer: ThreadedProducer<_> = ClientConfig::new()
        .set("bootstrap.servers", &o.brokers)
        .set("linger.ms", o.linger_ms.to_string())
        .set("queue.buffering.max.messages", "1000000")
        .create()
        .unwrap_or_else(|e| usage(&format!("cannot create a producer for {}: {e}", o.brokers)));
    let bad = (o.hosts as f64 * o.bad_hosts).round() as usize;
    let hosts: Vec<String> = (0..o.hosts).map(|h| format!("host-{h:04}")).collect();
    let mut rng = Random(0x9E37_79B9_7F4A_7C15);
    let total = o.rate * o.seconds;
    let start = Instant::now();
    let mut buf = Vec::with_capacity(256);
    let mut sent = 0u64;
    let mut silenced = 0u64;
    while sent < total {
        // Records due by now at the rate; then a short sleep.
        let due = ((start.elapsed().as_secs_f64() * o.rate as f64) as u64).min(total);
        while sent < due {
            let i = sent as usize;
            sent += 1;
            let host = (i / 2) % o.hosts;
            let cpu = i.is_multiple_of(2);
            let elapsed = start.elapsed().as_secs_f64();
            let trouble = trouble(host, bad, elapsed);
            if trouble == Some(2) {
                silenced += 1;
                continue;
            }
            let now = now_ms();
            let value = match (cpu, trouble) {
                (true, Some(0)) => 0.95 + 0.04 * rng.next(),
                (true, _) => 0.2 + 0.3 * rng.next(),
                (false, Some(1)) => 50.0 + 40.0 * ((elapsed + host as f64 * 7.0) % 60.0) + 10.0 * rng.next(),
                (false, _) => 40.0 + 20.0 * rng.next(),
            };
            let r = rng.next();
            let time = if r < o.late {
                now - 60_000
            } else if r < o.late + o.out_of_order {
                now - (rng.next() * 900.0) as i64
            } else {
                now
            };
            buf.clear();
            if rng.next() < o.malformed {
                buf.extend_from_slice(b"{\"host\": \"");
                buf.extend_from_slice(hosts[host].as_bytes());
                buf.extend_from_slice(b"\", \"value\": not-a-number");
            } else {
                let m = Metric {
                    host: hosts[host].clone(),
                    metric: if cpu { "cpu" } else { "latency_ms" }.into(),
                    value,
                    time,
                    tags: [("dc".to_owned(), format!("dc-{}", host % 3))].into(),
                };
                serde_json::to_writer(&mut buf, &m).expect("metric as JSON");
            }
            let mut record = BaseRecord::to(&o.topic).key(hosts[host].as_bytes()).payload(&buf[..]).timestamp(now);
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                        record = r;
                        std::thread::sleep(Duration::from_micros(200));
                    }
                    Err((e, _)) => {
                        eprintln!("metrics_gen: cannot send to {} at {}: {e}", o.topic, o.brokers);
                        std::process::exit(1);
                    }
                }
            }
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    if let Err(e) = producer.flush(Duration::from_secs(60)) {
        eprintln!("metrics_gen: not every record was acknowledged by {}: {e}", o.brokers);
        std::process::exit(1);
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "metrics_gen: {} records in {secs:.1} s ({:.0}/s) to {} ({silenced} withheld by silent hosts)",
        sent - silenced,
        (sent - silenced) as f64 / secs,
        o.topic
    );
}
