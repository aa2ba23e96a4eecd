//! Kafka in and out, against a real broker: the one `scripts/test` starts (tansu), or the
//! one `RILL_KAFKA_BROKERS` names. Without a broker these tests fail and say why.

mod common;

use common::{collect, Collected};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::ClientConfig;
use rill::connectors::formats::{Json, Text};
use rill::connectors::kafka::{BadRecord, KafkaRecord, KafkaSink, KafkaSource, OffsetsInitializer, OnBadRecord};
use rill::prelude::*;
use std::time::Duration;

fn brokers() -> String {
    std::env::var("RILL_KAFKA_BROKERS").unwrap_or_else(|_| {
        panic!(
            "RILL_KAFKA_BROKERS is not set: run the tests with ./scripts/test, which starts a broker \
             (scripts/kafka-broker), or point RILL_KAFKA_BROKERS at one"
        )
    })
}

/// A topic of its own for each test (tests share the broker and run in parallel).
fn topic(name: &str, partitions: i32) -> String {
    let topic = format!("{name}-{}-{}", std::process::id(), rill::time::processing_time_now());
    rill::connectors::kafka::create_topics(&brokers(), &[(&topic, partitions)]).unwrap_or_else(|e| panic!("{e}"));
    topic
}

/// One record per batch: tansu 0.6 answers "latest offset" with the last batch's first
/// offset + 1, which is only the end of the partition when batches hold one record.
/// (Apache Kafka needs no such care; the tests pass against it as they are.)
/// A source that reads `topic` from its start to where it ends when the job starts.
fn bounded(topic: String) -> rill::connectors::kafka::KafkaSourceBuilder<()> {
    KafkaSource::builder()
        .bootstrap_servers(brokers())
        .topics([topic])
        .starting_offsets(OffsetsInitializer::earliest())
        .bounded(OffsetsInitializer::latest())
}

fn producer() -> ThreadedProducer<DefaultProducerContext> {
    ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("linger.ms", "0")
        .set("batch.num.messages", "1")
        .create()
        .expect("producer")
}

/// Writes `(partition, key, value, timestamp)` records and waits for every acknowledgement.
fn produce(topic: &str, records: &[(i32, &str, String, i64)]) {
    let p = producer();
    for (partition, key, value, ts) in records {
        p.send(BaseRecord::to(topic).partition(*partition).key(*key).payload(value).timestamp(*ts))
            .map_err(|(e, _)| e)
            .expect("send");
    }
    p.flush(Duration::from_secs(30)).expect("flush");
}

/// A record read back: key, value and headers, as text.
type Read = (Option<String>, String, Vec<(String, String)>);

/// Everything in a topic (waiting up to 30 s for `expected` records).
fn read_all(topic: &str, expected: usize) -> Vec<Read> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("group.id", "rill-test-reader")
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    c.subscribe(&[topic]).unwrap();
    let mut out = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while out.len() < expected && std::time::Instant::now() < deadline {
        if let Some(m) = c.poll(Duration::from_millis(100)) {
            let m = m.expect("message");
            let text = |b: Option<&[u8]>| b.map(|b| String::from_utf8_lossy(b).into_owned());
            let headers = m
                .headers()
                .map(|h| h.iter().map(|h| (h.key.to_owned(), text(h.value).unwrap_or_default())).collect())
                .unwrap_or_default();
            out.push((text(m.key()), text(m.payload()).unwrap_or_default(), headers));
        }
    }
    out
}

#[derive(rill::Codec, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Reading {
    host: String,
    value: f64,
    time: i64,
}

fn reading(i: i64) -> String {
    serde_json::to_string(&Reading { host: format!("h{}", i % 5), value: i as f64, time: 1_000 * i }).unwrap()
}

// ---- bounded reads of every partition, in parallel subtasks

static READ: Collected<Reading> = Collected::new();

#[rill::job(no_main)]
fn read_json(env: &mut Env) {
    let topic = env.parameter("topic").expect("--topic").to_owned();
    let source = bounded(topic).value_format(Json::<Reading>::new()).build();
    env.from_source(source, WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_secs(1)), "readings")
        .sink_to(collect(&READ));
}

#[test]
fn a_bounded_source_reads_every_partition_once_and_ends() {
    let topic = topic("bounded", 3);
    let records: Vec<_> = (0..300).map(|i| ((i % 3) as i32, "k", reading(i), 1_000 * (i + 1))).collect();
    produce(&topic, &records);
    READ_JSON_JOB.run(Some(2), &["--topic", &topic]).expect("job");
    let mut got: Vec<i64> = READ.values().into_iter().map(|r| r.time / 1_000).collect();
    got.sort();
    assert_eq!(got, (0..300).collect::<Vec<_>>());
    // Bounded, the source knew how much it had to read: all 300 offsets, over its subtasks.
    let sources: Vec<_> = rill::metrics::tasks().into_iter().filter(|t| t.job == "read_json").collect();
    let read = sources
        .iter()
        .map(|t| t.input.expect("a bounded source's progress"))
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    assert_eq!(read, (300, 300), "{sources:?}");
}

// ---- watermarks per partition

static WINDOWS: Collected<(String, i64, usize)> = Collected::new();
static LATE: Collected<String> = Collected::new();
static LATE_TAG: OutputTag<(String, usize)> = OutputTag::new("late");

#[rill::job(no_main)]
fn per_partition(env: &mut Env) {
    let topic = env.parameter("topic").expect("--topic").to_owned();
    let stop: i64 = env.parameter_or("stop", 0);
    let source = KafkaSource::builder()
        .bootstrap_servers(brokers())
        .topics([topic.clone()])
        .starting_offsets(OffsetsInitializer::earliest())
        .bounded(OffsetsInitializer::offsets([((topic.clone(), 0), stop + 1), ((topic, 1), stop)]))
        .value_format(Text)
        .build();
    let counted = env
        .from_source(source, WatermarkStrategy::for_monotonous_timestamps(), "lines")
        .map(|line| (line, 1usize))
        .key_by(|(line, _)| line.clone())
        .window(TumblingEventTimeWindows::of(Duration::from_secs(10)))
        .side_output_late_data(&LATE_TAG)
        .process(|key, window, elements, out| out.collect((key.clone(), window.start, elements.len())));
    counted.sink_to(collect(&WINDOWS));
    counted.side_output(&LATE_TAG).map(|(line, _)| line).sink_to(collect(&LATE));
}

#[test]
fn one_slow_partition_does_not_make_the_others_late() {
    let topic = topic("partition-watermarks", 2);
    // Partition 0 runs ahead to event time 45 s while partition 1 has nothing yet; then
    // partition 1's records, all from the first window, arrive. A watermark per subtask
    // would have passed them; per partition, the empty partition holds event time back.
    produce(&topic, &(0..5).map(|i| (0, "a", "a".to_owned(), 5_000 + 10_000 * i)).collect::<Vec<_>>());
    let t = topic.clone();
    let job = std::thread::spawn(move || PER_PARTITION_JOB.run(Some(1), &["--topic", &t, "--stop", "5"]));
    std::thread::sleep(Duration::from_millis(1_500));
    produce(&topic, &(0..5).map(|i| (1, "b", "b".to_owned(), 1_000 + i)).collect::<Vec<_>>());
    // Partition 0 is still open (it stops after a sixth record): its watermark is not out of
    // the minimum because it finished.
    produce(&topic, &[(0, "a", "a".to_owned(), 55_000)]);
    job.join().unwrap().expect("job");
    assert_eq!(LATE.values(), Vec::<String>::new());
    let mut windows = WINDOWS.values();
    windows.sort();
    let expected: Vec<(String, i64, usize)> =
        vec![("a".into(), 0, 1), ("a".into(), 10_000, 1), ("a".into(), 20_000, 1), ("a".into(), 30_000, 1)]
            .into_iter()
            .chain([("a".into(), 40_000, 1), ("a".into(), 50_000, 1), ("b".into(), 0, 5)])
            .collect();
    assert_eq!(windows, expected);
}

// ---- metadata

static META: Collected<KafkaRecord<String>> = Collected::new();

#[rill::job(no_main)]
fn with_metadata(env: &mut Env) {
    let topic = env.parameter("topic").expect("--topic").to_owned();
    let source = bounded(topic).with_metadata(Text).build();
    env.from_source(source, WatermarkStrategy::no_watermarks(), "meta").sink_to(collect(&META));
}

#[test]
fn records_carry_their_key_partition_offset_timestamp_and_headers() {
    let topic = topic("metadata", 2);
    let p = producer();
    let headers = OwnedHeaders::new().insert(Header { key: "trace", value: Some("t-1") });
    p.send(BaseRecord::to(&topic).partition(1).key("web-1").payload("cpu 0.9").timestamp(42_000).headers(headers))
        .map_err(|(e, _)| e)
        .unwrap();
    p.flush(Duration::from_secs(30)).unwrap();
    WITH_METADATA_JOB.run(Some(1), &["--topic", &topic]).expect("job");
    let got = META.values();
    assert_eq!(got.len(), 1, "{got:?}");
    let r = &got[0];
    assert_eq!((&*r.topic, r.partition, r.offset, r.timestamp), (topic.as_str(), 1, 0, Some(42_000)));
    assert_eq!(r.key.as_deref(), Some(&b"web-1"[..]));
    assert_eq!(r.headers, [("trace".to_owned(), Some(b"t-1".to_vec()))]);
    assert_eq!(r.value, "cpu 0.9");
}

// ---- the sink, and reading back what it wrote

#[rill::job(no_main)]
fn write_json(env: &mut Env) {
    let topic = env.parameter("topic").expect("--topic").to_owned();
    let sink = KafkaSink::builder()
        .bootstrap_servers(brokers())
        .topic(topic)
        .key(|r: &Reading| r.host.clone().into_bytes())
        .value_format(Json::<Reading>::new())
        .build();
    env.from_sequence(0, 999).map(|i| Reading { host: format!("h{}", i % 5), value: i as f64, time: i }).sink_to(sink);
}

#[test]
fn the_sink_writes_every_record_before_the_job_succeeds() {
    let topic = topic("sink", 3);
    WRITE_JSON_JOB.run(Some(2), &["--topic", &topic]).expect("job");
    // Everything is acknowledged when the job returns: all of it is there to read.
    let got = read_all(&topic, 1_000);
    assert_eq!(got.len(), 1_000);
    let mut times: Vec<i64> = got
        .iter()
        .map(|(key, value, _)| {
            let r: Reading = serde_json::from_str(value).unwrap();
            assert_eq!(key.as_deref(), Some(r.host.as_str()));
            r.time
        })
        .collect();
    times.sort();
    assert_eq!(times, (0..1_000).collect::<Vec<_>>());
}

#[rill::job(no_main)]
fn write_nowhere(env: &mut Env) {
    let sink = KafkaSink::builder()
        .bootstrap_servers(brokers())
        .topic("rill-topic-that-does-not-exist")
        .value_format(Text)
        .property("message.timeout.ms", "2000")
        .build();
    env.from_elements(["lost?"]).sink_to(sink);
}

#[test]
fn a_record_the_brokers_refuse_fails_the_job_with_their_error() {
    let err = WRITE_NOWHERE_JOB.run(Some(1), &[]).unwrap_err().to_string();
    assert!(err.contains("KafkaSink") && err.contains("rill-topic-that-does-not-exist"), "{err}");
}

// ---- bad records

static GOOD: Collected<Reading> = Collected::new();

#[rill::job(no_main)]
fn bad_records(env: &mut Env) {
    let topic = env.parameter("topic").expect("--topic").to_owned();
    let policy = match env.parameter("policy").expect("--policy") {
        "fail" => OnBadRecord::Fail,
        "skip" => OnBadRecord::Skip,
        // Routed to a side output this job does not read: the job must fail, not lose it.
        "unread-side" => OnBadRecord::SideOutput(&BAD),
        dlq => OnBadRecord::DeadLetter(dlq.to_owned()),
    };
    // Runs that fail (concurrently with the others) collect apart.
    let into = if matches!(policy, OnBadRecord::Fail | OnBadRecord::SideOutput(_)) { &FAILING } else { &GOOD };
    let source = bounded(topic).value_format(Json::<Reading>::new()).on_bad_record(policy).build();
    env.from_source(source, WatermarkStrategy::no_watermarks(), "readings").sink_to(collect(into));
}

static FAILING: Collected<Reading> = Collected::new();

static BAD: OutputTag<BadRecord> = OutputTag::new("bad-records");
/// Where each routed record came from, its value, its timestamp and whether the error says why.
static ROUTED: Collected<(String, String, Option<i64>, bool)> = Collected::new();

#[rill::job(no_main)]
fn bad_records_aside(env: &mut Env) {
    let topic = env.parameter("topic").expect("--topic").to_owned();
    let source =
        bounded(topic).value_format(Json::<Reading>::new()).on_bad_record(OnBadRecord::SideOutput(&BAD)).build();
    let readings = env.from_source(source, WatermarkStrategy::no_watermarks(), "readings");
    readings.sink_to(collect(&GOOD));
    readings
        .side_output(&BAD)
        .map(|b: BadRecord| {
            let value = String::from_utf8_lossy(b.value.as_deref().unwrap_or_default()).into_owned();
            (b.place(), value, b.timestamp, b.error.contains("invalid JSON"))
        })
        .sink_to(collect(&ROUTED));
}

fn topic_with_bad_record(name: &str) -> String {
    let topic = topic(name, 1);
    produce(
        &topic,
        &[(0, "k", reading(1), 1_000), (0, "bad", "{\"host\": oops".to_owned(), 2_000), (0, "k", reading(3), 3_000)],
    );
    topic
}

#[test]
fn bad_records_fail_the_job_naming_topic_partition_and_offset_by_default() {
    let topic = topic_with_bad_record("bad-fail");
    let err = BAD_RECORDS_JOB.run(Some(1), &["--topic", &topic, "--policy", "fail"]).unwrap_err().to_string();
    assert!(err.contains(&format!("topic '{topic}', partition 0, offset 1")), "{err}");
    assert!(err.contains("invalid JSON"), "{err}");
}

#[test]
fn bad_records_can_be_skipped_and_counted_or_routed_to_a_dead_letter_topic_or_a_side_output() {
    let before = rill::metrics::value("kafka_source_bad_records").unwrap_or(0);
    let topic = topic_with_bad_record("bad-skip");
    BAD_RECORDS_JOB.run(Some(1), &["--topic", &topic, "--policy", "skip"]).expect("job");
    let dlq = crate::topic("dead-letters", 1);
    let topic2 = topic_with_bad_record("bad-dlq");
    BAD_RECORDS_JOB.run(Some(1), &["--topic", &topic2, "--policy", &dlq]).expect("job");
    let topic3 = topic_with_bad_record("bad-aside");
    BAD_RECORDS_ASIDE_JOB.run(Some(1), &["--topic", &topic3]).expect("job");
    assert_eq!(
        ROUTED.values(),
        [(format!("topic '{topic3}', partition 0, offset 1"), "{\"host\": oops".to_owned(), Some(2_000), true)]
    );
    let topic4 = topic_with_bad_record("bad-unread");
    let err = BAD_RECORDS_JOB.run(Some(1), &["--topic", &topic4, "--policy", "unread-side"]).unwrap_err().to_string();
    assert!(err.contains(&format!("topic '{topic4}', partition 0, offset 1")), "{err}");
    assert!(err.contains("side output 'bad-records', which the job does not read"), "{err}");
    let good = GOOD.values();
    assert_eq!(good.iter().map(|r| r.time).collect::<Vec<_>>(), [1_000, 3_000, 1_000, 3_000, 1_000, 3_000]);
    assert_eq!(rill::metrics::value("kafka_source_bad_records").unwrap() - before, 4);
    let dead = read_all(&dlq, 1);
    assert_eq!(dead.len(), 1);
    let (key, value, headers) = &dead[0];
    assert_eq!((key.as_deref(), value.as_str()), (Some("bad"), "{\"host\": oops"));
    let header = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(header("rill.topic"), Some(topic2.clone()));
    assert_eq!((header("rill.partition"), header("rill.offset")), (Some("0".into()), Some("1".into())));
    assert!(header("rill.error").unwrap().contains("invalid JSON"));
}

// ---- brokers and topics that are not there

#[rill::job(no_main)]
fn unreachable(env: &mut Env) {
    let source = KafkaSource::builder()
        .bootstrap_servers(env.parameter("brokers").expect("--brokers").to_owned())
        .topics([env.parameter("topic").unwrap_or("t").to_owned()])
        .startup_timeout(Duration::from_secs(2))
        .value_format(Text)
        .build();
    env.from_source(source, WatermarkStrategy::no_watermarks(), "nowhere").print();
}

#[test]
fn an_unreachable_broker_is_a_clear_error_after_a_bounded_retry() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let brokers = format!("127.0.0.1:{port}");
    let started = std::time::Instant::now();
    let err = UNREACHABLE_JOB.run(Some(1), &["--brokers", &brokers]).unwrap_err().to_string();
    assert!(err.contains(&format!("cannot reach the Kafka brokers at {brokers}")), "{err}");
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
}

#[test]
fn a_missing_topic_is_a_clear_error() {
    let err = UNREACHABLE_JOB.run(Some(1), &["--brokers", &brokers(), "--topic", "rill-no-such-topic"]).unwrap_err();
    assert!(err.to_string().contains("topic 'rill-no-such-topic' does not exist"), "{err}");
}

// ---- committed offsets

static COMMITTED: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn resume(env: &mut Env) {
    let topic = env.parameter("topic").expect("--topic").to_owned();
    let source = KafkaSource::builder()
        .bootstrap_servers(brokers())
        .topics([topic.clone()])
        .group_id(format!("{topic}-group"))
        .starting_offsets(OffsetsInitializer::committed_or_earliest())
        .bounded(OffsetsInitializer::latest())
        .value_format(Text)
        .build();
    env.from_source(source, WatermarkStrategy::no_watermarks(), "resume").sink_to(collect(&COMMITTED));
}

#[test]
fn offsets_are_committed_to_the_group_and_a_new_run_resumes_from_them() {
    let topic = topic("committed", 2);
    produce(&topic, &(0..6).map(|i| (i % 2, "k", format!("first-{i}"), 1_000)).collect::<Vec<_>>());
    RESUME_JOB.run(Some(1), &["--topic", &topic]).expect("first run");
    let mut first = COMMITTED.values();
    first.sort();
    assert_eq!(first.len(), 6);
    produce(&topic, &(0..4).map(|i| (i % 2, "k", format!("second-{i}"), 2_000)).collect::<Vec<_>>());
    RESUME_JOB.run(Some(1), &["--topic", &topic]).expect("second run");
    let mut second = COMMITTED.values();
    second.sort();
    assert_eq!(second, ["second-0", "second-1", "second-2", "second-3"]);
}

#[rill::job(no_main)]
fn from_time(env: &mut Env) {
    let topic = env.parameter("topic").expect("--topic").to_owned();
    let source = bounded(topic)
        .starting_offsets(OffsetsInitializer::timestamp(env.parameter_or("start", 0)))
        .value_format(Text)
        .build();
    env.from_source(source, WatermarkStrategy::no_watermarks(), "from-time").sink_to(collect(&FROM_TIME));
}

static FROM_TIME: Collected<String> = Collected::new();

#[test]
fn a_source_can_start_from_a_timestamp() {
    // Records stamped with the time they are written (tansu looks offsets up by write
    // time, Kafka by record timestamp: both agree on these).
    let topic = topic("from-time", 1);
    let now = rill::time::processing_time_now;
    produce(&topic, &(0..5).map(|i| (0, "k", format!("r{i}"), now())).collect::<Vec<_>>());
    std::thread::sleep(Duration::from_millis(100));
    let start = now();
    std::thread::sleep(Duration::from_millis(100));
    produce(&topic, &(5..10).map(|i| (0, "k", format!("r{i}"), now())).collect::<Vec<_>>());
    FROM_TIME_JOB.run(Some(1), &["--topic", &topic, "--start", &start.to_string()]).expect("job");
    assert_eq!(FROM_TIME.values(), ["r5", "r6", "r7", "r8", "r9"]);
}

// ---- a broker that goes away during the run

/// A broker of this test's own (`scripts/kafka-broker start NAME PORT`): it tells clients to
/// connect to `PORT`, where an [`Outage`] proxy stands. Stopped when dropped.
struct OwnBroker {
    name: &'static str,
    /// Where it really listens.
    addr: String,
}

fn broker_script() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/kafka-broker")
}

impl OwnBroker {
    fn start(name: &'static str, advertised_port: u16) -> Self {
        let out = std::process::Command::new(broker_script())
            .args(["start", name, &advertised_port.to_string()])
            .output()
            .expect("run scripts/kafka-broker");
        assert!(
            out.status.success(),
            "scripts/kafka-broker start {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        OwnBroker { name, addr: String::from_utf8(out.stdout).unwrap().trim().to_owned() }
    }
}

impl Drop for OwnBroker {
    fn drop(&mut self) {
        let _ = std::process::Command::new(broker_script()).args(["stop", self.name]).status();
    }
}

/// A TCP proxy in front of a broker that can be cut off: while it is down its connections
/// are shut and its port refuses new ones, as when a broker dies; when it is up again the
/// broker is there with everything it had.
struct Outage {
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Outage {
    fn start(port: u16, upstream: String) -> Self {
        use std::net::{TcpListener, TcpStream};
        use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
        use std::sync::Arc;
        let up = Arc::new(AtomicBool::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        let (up2, stop2) = (up.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut listener: Option<TcpListener> = None;
            let mut open: Vec<TcpStream> = Vec::new();
            while !stop2.load(SeqCst) {
                if !up2.load(SeqCst) {
                    listener = None;
                    for s in open.drain(..) {
                        let _ = s.shutdown(std::net::Shutdown::Both);
                    }
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
                let l = match &listener {
                    Some(l) => l,
                    None => match TcpListener::bind(("127.0.0.1", port)) {
                        Ok(l) => {
                            l.set_nonblocking(true).unwrap();
                            listener.insert(l)
                        }
                        Err(_) => {
                            std::thread::sleep(Duration::from_millis(20));
                            continue;
                        }
                    },
                };
                match l.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let Ok(server) = TcpStream::connect(&upstream) else { continue };
                        for (from, to) in [(&client, &server), (&server, &client)] {
                            let (mut from, mut to) = (from.try_clone().unwrap(), to.try_clone().unwrap());
                            std::thread::spawn(move || {
                                let _ = std::io::copy(&mut from, &mut to);
                                let _ = to.shutdown(std::net::Shutdown::Both);
                            });
                        }
                        open.push(client);
                        open.push(server);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        Outage { up, stop, thread: Some(thread) }
    }

    fn set_up(&self, up: bool) {
        self.up.store(up, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for Outage {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

static THROUGH_OUTAGE: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn through_an_outage(env: &mut Env) {
    let brokers = env.parameter("brokers").expect("--brokers").to_owned();
    let topic = env.parameter("topic").expect("--topic").to_owned();
    let out = env.parameter("out").expect("--out").to_owned();
    let per_partition: i64 = env.parameter_or("per-partition", 0);
    let source = KafkaSource::builder()
        .bootstrap_servers(brokers.clone())
        .topics([topic.clone()])
        .group_id(format!("{topic}-group"))
        .commit_interval(Duration::from_millis(100))
        .starting_offsets(OffsetsInitializer::earliest())
        .bounded(OffsetsInitializer::offsets([((topic.clone(), 0), per_partition), ((topic, 1), per_partition)]))
        .value_format(Text)
        .build();
    let sink = KafkaSink::builder().bootstrap_servers(brokers).topic(out).value_format(Text).build();
    let read = env.from_source(source, WatermarkStrategy::no_watermarks(), "through-outage").map(|line| {
        // Slow enough that the sink is still writing when the broker goes away.
        std::thread::sleep(Duration::from_millis(2));
        line
    });
    read.sink_to(collect(&THROUGH_OUTAGE));
    read.sink_to(sink);
}

#[test]
fn a_broker_that_goes_away_is_waited_for_and_nothing_is_lost() {
    // A broker of its own, behind a proxy that plays the outage: the shared one (or the one
    // RILL_KAFKA_BROKERS names) cannot be taken away from the other tests.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let broker = OwnBroker::start("outage", port);
    let outage = Outage::start(port, broker.addr.clone());
    let brokers = format!("127.0.0.1:{port}");
    let (topic, out) = ("outage-in".to_owned(), "outage-out".to_owned());
    rill::connectors::kafka::create_topics(&brokers, &[(&topic, 2), (&out, 1)]).expect("create topics");
    let write = |range: std::ops::Range<i32>| {
        let p: ThreadedProducer<DefaultProducerContext> =
            ClientConfig::new().set("bootstrap.servers", &brokers).set("linger.ms", "0").create().expect("producer");
        for i in range {
            p.send(BaseRecord::<str, str>::to(&topic).partition(i % 2).payload(&format!("r{i:04}")))
                .map_err(|(e, _)| e)
                .expect("send");
        }
        p.flush(Duration::from_secs(30)).expect("flush");
    };
    // Half before the outage, half after it: the source must wait for the broker to read on.
    write(0..400);
    let args = ["--brokers", &brokers, "--topic", &topic, "--out", &out, "--per-partition", "400"].map(String::from);
    let job = std::thread::spawn(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        THROUGH_AN_OUTAGE_JOB.run(Some(1), &args)
    });
    std::thread::sleep(Duration::from_millis(300));
    outage.set_up(false);
    std::thread::sleep(Duration::from_secs(4));
    assert!(!job.is_finished(), "the job ended while the broker was away: {:?}", job.join().unwrap());
    outage.set_up(true);
    write(400..800);
    job.join().unwrap().expect("the job survives the outage");

    let expected: Vec<String> = (0..800).map(|i| format!("r{i:04}")).collect();
    let mut read = THROUGH_OUTAGE.values();
    read.sort();
    assert_eq!(read, expected, "the source read every record once");
    // At least once: a write cut off by the outage may be repeated, none may be missing.
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("group.id", "outage-reader")
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer");
    c.subscribe(&[&out]).unwrap();
    let mut written = std::collections::BTreeSet::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while written.len() < expected.len() && std::time::Instant::now() < deadline {
        if let Some(m) = c.poll(Duration::from_millis(100)) {
            written.insert(String::from_utf8(m.expect("message").payload().unwrap_or_default().to_vec()).unwrap());
        }
    }
    assert_eq!(written.into_iter().collect::<Vec<_>>(), expected, "the sink wrote every record");
}

// ---- backpressure

static SLOW: Collected<usize> = Collected::new();

#[rill::job(no_main)]
fn slow_pipeline(env: &mut Env) {
    let topic = env.parameter("topic").expect("--topic").to_owned();
    let records: i64 = env.parameter_or("records", 0);
    let source = KafkaSource::builder()
        .bootstrap_servers(brokers())
        .topics([topic.clone()])
        .starting_offsets(OffsetsInitializer::earliest())
        .bounded(OffsetsInitializer::offsets([((topic, 0), records)]))
        .property("queued.max.messages.kbytes", "1024")
        .property("statistics.interval.ms", "50")
        .value_format(rill::connectors::formats::Bytes)
        .build();
    env.from_source(source, WatermarkStrategy::no_watermarks(), "slow")
        .map(|v: Vec<u8>| {
            std::thread::sleep(Duration::from_millis(1));
            v.len()
        })
        .sink_to(collect(&SLOW));
}

#[test]
fn a_slow_pipeline_stops_the_source_fetching_instead_of_buffering() {
    // 20 MB in the topic, a pipeline that takes 1 ms a record, and 1 MB of fetch queue.
    let (records, size) = (2_000usize, 10_000usize);
    let topic = topic("backpressure", 1);
    let p: ThreadedProducer<DefaultProducerContext> =
        ClientConfig::new().set("bootstrap.servers", brokers()).set("linger.ms", "5").create().expect("producer");
    let value = vec![b'x'; size];
    for _ in 0..records {
        p.send(BaseRecord::<[u8], [u8]>::to(&topic).partition(0).payload(&value)).map_err(|(e, _)| e).expect("send");
    }
    p.flush(Duration::from_secs(60)).expect("flush");
    let t = topic.clone();
    let job =
        std::thread::spawn(move || SLOW_PIPELINE_JOB.run(Some(1), &["--topic", &t, "--records", &records.to_string()]));
    let gauge = |m: &str| rill::metrics::gauge_value(&format!("kafka_source_{m}{{topics={topic},subtask=0}}"));
    // Records fetched from the broker but not through the pipeline yet: the topic's end less
    // what the broker still holds unfetched, less what the pipeline has taken.
    let (mut queue_max, mut ahead_max, mut samples) = (0, 0, 0);
    while !job.is_finished() {
        let taken = SLOW.len() as i64;
        if let (Some(lag), Some(queued), Some(bytes)) =
            (gauge("records_lag"), gauge("fetch_queue_records"), gauge("fetch_queue_bytes"))
        {
            if lag > 0 {
                samples += 1;
                queue_max = queue_max.max(bytes);
                ahead_max = ahead_max.max(records as i64 - (lag - queued) - taken);
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    job.join().unwrap().expect("job");
    assert_eq!(SLOW.values(), vec![size; records]);
    assert!(samples >= 20, "only {samples} samples of the source's statistics");
    // The queue filled up to its bound and no further, and the source never fetched more
    // than that ahead of the pipeline: it stopped fetching rather than buffer.
    assert!(queue_max >= 256 << 10, "the fetch queue never filled: {queue_max} bytes at most");
    assert!(queue_max <= 4 << 20, "the fetch queue grew to {queue_max} bytes with a 1 MB bound");
    assert!(ahead_max <= 400, "the source fetched {ahead_max} records (of 10 kB) ahead of the pipeline");
}

// ---- partition discovery

static DISCOVERED: Collected<String> = Collected::new();

#[rill::job(no_main)]
fn discovering(env: &mut Env) {
    let pattern = env.parameter("pattern").expect("--pattern").to_owned();
    let source = KafkaSource::builder()
        .bootstrap_servers(brokers())
        .topic_pattern(pattern)
        .starting_offsets(OffsetsInitializer::earliest())
        .property("partition.discovery.interval.ms", "200")
        .value_format(Text)
        .build();
    env.from_source(source, WatermarkStrategy::no_watermarks(), "discovering").sink_to(collect(&DISCOVERED));
}

#[test]
fn topics_that_match_the_pattern_later_are_found_while_the_job_runs() {
    let first = topic("discovery", 1);
    let pattern = format!("{first}(-more)?");
    produce(&first, &(0..3).map(|i| (0, "k", format!("a{i}"), 1_000)).collect::<Vec<_>>());
    // Two subtasks: the new topic's partitions are spread over them by Flink's rule.
    let job = DISCOVERING_JOB.start(Some(2), &["--pattern", &pattern]);
    let wait_for = |n: usize| {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while DISCOVERED.len() < n && std::time::Instant::now() < deadline && !job.is_finished() {
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    wait_for(3);
    // A topic created while the job runs, and written to after: found and read from its start.
    let more = format!("{first}-more");
    rill::connectors::kafka::create_topics(&brokers(), &[(&more, 3)]).expect("create topic");
    produce(&more, &(0..6).map(|i| (i % 3, "k", format!("b{i}"), 2_000)).collect::<Vec<_>>());
    wait_for(9);
    assert!(!job.is_finished(), "the job ended: {:?}", job.join());
    job.cancel();
    let ended = job.join();
    assert!(matches!(ended, Err(rill::JobError::Cancelled(_))), "{ended:?}");
    let mut got = DISCOVERED.values();
    got.sort();
    assert_eq!(got, ["a0", "a1", "a2", "b0", "b1", "b2", "b3", "b4", "b5"]);
}

// ---- checkpoints

static KAFKA_FAILED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static KAFKA_SEEN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Whether a checkpoint under `dir` has completed.
fn a_checkpoint_completed(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir).into_iter().flatten().flatten().any(|job| {
        std::fs::read_dir(job.path()).into_iter().flatten().flatten().any(|c| c.path().join("_metadata").is_file())
    })
}

/// Counts of each key (`n % 5` of the record `n`) into the exactly-once file sink; the map
/// fails once, after a checkpoint. The group's committed offsets are where a new run would
/// start: after the failure the checkpoint's offsets must win over them.
#[rill::job(no_main)]
fn kafka_counts_to_files(env: &mut Env) {
    let topic = env.parameter("topic").expect("--topic").to_owned();
    let dir = env.parameter("dir").expect("--dir").to_owned();
    let out = env.parameter("out").expect("--out").to_owned();
    env.enable_checkpointing(Duration::from_millis(10)).set_checkpoint_storage(&dir);
    env.set_restart_strategy(RestartStrategy::fixed_delay(2, Duration::from_millis(10)));
    let source = KafkaSource::builder()
        .bootstrap_servers(brokers())
        .topics([topic.clone()])
        .group_id(format!("{topic}-group"))
        .starting_offsets(OffsetsInitializer::committed_or_earliest())
        .bounded(OffsetsInitializer::latest())
        .value_format(Text)
        .build();
    env.from_source(source, WatermarkStrategy::no_watermarks(), "numbers")
        .map(move |v| {
            let n: i64 = v.parse().expect("a number");
            let seen = KAFKA_SEEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if seen.is_multiple_of(50) {
                std::thread::sleep(Duration::from_millis(1));
            }
            if seen >= 2_000
                && !KAFKA_FAILED.load(std::sync::atomic::Ordering::Relaxed)
                && a_checkpoint_completed(std::path::Path::new(&dir))
            {
                KAFKA_FAILED.store(true, std::sync::atomic::Ordering::Relaxed);
                panic!("injected failure after {seen} records");
            }
            (n % 5, 1i64)
        })
        .key_by(|(k, _)| *k)
        .sum(1)
        .sink_to(rill::sinks::file::FileSink::for_row_format(out).with_max_part_size(512));
}

#[test]
fn kafka_to_the_file_sink_across_a_failure_every_record_exactly_once() {
    let n = 4_000i64;
    let topic = topic("checkpointed", 2);
    produce(&topic, &(0..n).map(|i| ((i % 2) as i32, "k", i.to_string(), 1_000)).collect::<Vec<_>>());
    let (dir, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let args = ["--topic", &topic, "--dir", dir.path().to_str().unwrap(), "--out", out.path().to_str().unwrap()];
    KAFKA_COUNTS_TO_FILES_JOB.run(Some(2), &args).expect("the job restarts and ends");
    assert!(KAFKA_FAILED.load(std::sync::atomic::Ordering::Relaxed), "the failure was injected");
    let seen = KAFKA_SEEN.load(std::sync::atomic::Ordering::Relaxed);
    assert!(seen > n as u64 && seen < 2 * n as u64, "resumed from the checkpoint's offsets, not the start: {seen}");

    let mut want = Vec::new();
    for k in 0..5 {
        let count = (0..n).filter(|i| i % 5 == k).count();
        want.extend((1..=count).map(|c| format!("({k},{c})")));
    }
    want.sort();
    let mut got = Vec::new();
    for entry in std::fs::read_dir(out.path()).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(name.starts_with("part-"), "only committed parts are left: {name}");
        got.extend(std::fs::read_to_string(entry.path()).unwrap().lines().map(str::to_owned));
    }
    got.sort();
    assert_eq!(got.len(), want.len(), "every record counted once");
    assert!(got == want, "the lines of a run without failure");
}
