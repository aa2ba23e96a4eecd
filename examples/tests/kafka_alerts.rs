//! `kafka_alerts` end to end against a real broker (the one `scripts/test` starts, or
//! `RILL_KAFKA_BROKERS`): metrics in, alerts out on the alerts topic and standard output.

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};
use rdkafka::{ClientConfig, Message};
use rill_examples::alerts::{Alert, Metric};
use std::process::Command;
use std::time::Duration;

fn brokers() -> String {
    std::env::var("RILL_KAFKA_BROKERS").unwrap_or_else(|_| {
        panic!("RILL_KAFKA_BROKERS is not set: run the tests with ./scripts/test, which starts a broker")
    })
}

const T0: i64 = 1_700_000_000_000;

#[test]
fn alerts_fire_once_and_resolve_once() {
    let run = format!("{}-{}", std::process::id(), rill::time::processing_time_now());
    let (metrics, rules, alerts) = (format!("metrics-{run}"), format!("rules-{run}"), format!("alerts-{run}"));
    let b = brokers();
    rill::connectors::kafka::create_topics(&b, &[(&metrics, 1), (&rules, 1), (&alerts, 1)]).unwrap();
    // web-1: CPU at 0.95 from 5 s to 20 s, 0.3 otherwise, every 100 ms for 40 s.
    // db-1: CPU at 0.3 until 15 s, then silent.
    let producer: ThreadedProducer<_> =
        ClientConfig::new().set("bootstrap.servers", &b).set("batch.num.messages", "1").create().unwrap();
    for i in 0..400i64 {
        let t = T0 + 100 * i;
        let web = if (5_000..20_000).contains(&(t - T0)) { 0.95 } else { 0.3 };
        let mut samples = vec![("web-1", web)];
        if t - T0 < 15_000 {
            samples.push(("db-1", 0.3));
        }
        for (host, value) in samples {
            let m = Metric { host: host.into(), metric: "cpu".into(), value, time: t, tags: Default::default() };
            let json = serde_json::to_string(&m).unwrap();
            producer.send(BaseRecord::to(&metrics).key(host).payload(&json)).map_err(|(e, _)| e).unwrap();
        }
    }
    producer.flush(Duration::from_secs(30)).unwrap();
    let dir = std::env::temp_dir().join(format!("rill-alerts-{run}"));
    std::fs::create_dir_all(&dir).unwrap();
    let rules_file = dir.join("rules.json");
    std::fs::write(
        &rules_file,
        r#"[{"id": "cpu-high", "metric": "cpu", "condition": "avg_above", "threshold": 0.9, "for_windows": 3},
            {"id": "host-silent", "condition": "absent", "absent_secs": 5}]"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kafka_alerts"))
        .args(["-p", "1", "--", "--bounded", "--brokers", &b, "--partitions", "1"])
        .args(["--metrics-topic", &metrics, "--rules-topic", &rules, "--alerts-topic", &alerts])
        .args(["--rules", rules_file.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "kafka_alerts failed: {stderr}");
    let printed: Vec<Alert> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("JSON alert")).collect();
    let summary = |a: &[Alert]| {
        let mut v: Vec<(String, String, String, i64)> =
            a.iter().map(|a| (a.rule.clone(), a.host.clone(), a.state.clone(), a.time - T0)).collect();
        v.sort();
        v
    };
    let expected = vec![
        ("cpu-high".to_owned(), "web-1".to_owned(), "firing".to_owned(), 17_000),
        ("cpu-high".into(), "web-1".into(), "resolved".into(), 21_000),
        ("host-silent".into(), "db-1".into(), "firing".into(), 19_900),
        // The end of the input ends event time: web-1 is silent from then on.
        ("host-silent".into(), "web-1".into(), "firing".into(), 44_900),
    ];
    assert_eq!(summary(&printed), expected, "{stderr}");
    assert!(stderr.contains("latency of alerts: p50"), "{stderr}");

    // The same alerts are on the alerts topic.
    let on_topic = read_alerts(&b, &alerts, &format!("check-{run}"), expected.len());
    assert_eq!(summary(&on_topic), expected);
}

/// The first `n` alerts on `topic` (waiting up to 30 s for them).
fn read_alerts(brokers: &str, topic: &str, group: &str, n: usize) -> Vec<Alert> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    c.subscribe(&[topic]).unwrap();
    let mut alerts = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while alerts.len() < n && std::time::Instant::now() < deadline {
        if let Some(m) = c.poll(Duration::from_millis(100)) {
            alerts.push(serde_json::from_slice::<Alert>(m.unwrap().payload().unwrap()).unwrap());
        }
    }
    alerts
}

/// Reads the child's standard error into lines as they come.
fn watch(stderr: std::process::ChildStderr) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
    use std::io::BufRead;
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let into = lines.clone();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            into.lock().unwrap().push(line);
        }
    });
    lines
}

fn wait_for(lines: &std::sync::Mutex<Vec<String>>, text: &str, times: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while lines.lock().unwrap().iter().filter(|l| l.contains(text)).count() < times {
        assert!(std::time::Instant::now() < deadline, "no '{text}' from kafka_alerts: {:?}", lines.lock().unwrap());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn rules_written_to_the_rules_topic_apply_while_the_job_runs() {
    let run = format!("{}-{}-live", std::process::id(), rill::time::processing_time_now());
    let (metrics, rules, alerts) = (format!("metrics-{run}"), format!("rules-{run}"), format!("alerts-{run}"));
    let b = brokers();
    rill::connectors::kafka::create_topics(&b, &[(&metrics, 1), (&rules, 1), (&alerts, 1)]).unwrap();
    let dir = std::env::temp_dir().join(format!("rill-alerts-{run}"));
    std::fs::create_dir_all(&dir).unwrap();
    let rules_file = dir.join("rules.json");
    std::fs::write(&rules_file, "[]").unwrap();
    // Unbounded, with no rule at all at start.
    let mut job = Command::new(env!("CARGO_BIN_EXE_kafka_alerts"))
        .args(["-p", "1", "--", "--brokers", &b, "--partitions", "1"])
        .args(["--metrics-topic", &metrics, "--rules-topic", &rules, "--alerts-topic", &alerts])
        .args(["--rules", rules_file.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lines = watch(job.stderr.take().unwrap());
    let producer: ThreadedProducer<_> =
        ClientConfig::new().set("bootstrap.servers", &b).set("batch.num.messages", "1").create().unwrap();
    let send = |topic: &str, json: String| {
        producer.send(BaseRecord::<str, str>::to(topic).payload(&json)).map_err(|(e, _)| e).unwrap();
        producer.flush(Duration::from_secs(30)).unwrap();
    };
    send(&rules, r#"{"id": "cpu-max", "metric": "cpu", "condition": "max_above", "threshold": 0.99}"#.into());
    send(
        &rules,
        r#"{"id": "latency-rate", "metric": "latency_ms", "condition": "rate_above", "threshold": 10}"#.into(),
    );
    // Both rule-evaluating operators (windows and silence) hold the rules.
    wait_for(&lines, "rule latency-rate set", 2);
    std::thread::sleep(Duration::from_millis(500));
    // 30 s of metrics from h1: latency rising 20 ms a second; one CPU sample of 1.0 at 3 s.
    for i in 0..300i64 {
        let t = T0 + 100 * i;
        let cpu = if i == 30 { 1.0 } else { 0.5 };
        for (metric, value) in [("cpu", cpu), ("latency_ms", 100.0 + 2.0 * i as f64)] {
            let m = Metric { host: "h1".into(), metric: metric.into(), value, time: t, tags: Default::default() };
            producer
                .send(BaseRecord::<str, str>::to(&metrics).payload(&serde_json::to_string(&m).unwrap()))
                .map_err(|(e, _)| e)
                .unwrap();
        }
    }
    producer.flush(Duration::from_secs(30)).unwrap();
    let expected = [("cpu-max", "firing", 4_000), ("cpu-max", "resolved", 14_000), ("latency-rate", "firing", 1_000)];
    let got: Vec<(String, String, i64)> = read_alerts(&b, &alerts, &format!("check-{run}"), expected.len())
        .into_iter()
        .map(|a| {
            assert_eq!(a.host, "h1");
            (a.rule, a.state, a.time - T0)
        })
        .collect();
    // A rule deleted through the topic is gone from both operators.
    send(&rules, r#"{"id": "cpu-max", "condition": "max_above", "deleted": true}"#.into());
    wait_for(&lines, "rule cpu-max deleted", 2);
    let _ = job.kill();
    let _ = job.wait();
    let mut got = got;
    got.sort();
    let expected: Vec<(String, String, i64)> =
        expected.iter().map(|(r, s, t)| (r.to_string(), s.to_string(), *t)).collect();
    assert_eq!(got, expected, "{:?}", lines.lock().unwrap());
}

/// The alerts committed to the part files under `out`, as compared across runs: rule, host,
/// state and the event time that decided each (not their latency), sorted; fails on any
/// file not committed.
fn committed_alerts(out: &std::path::Path) -> Vec<(String, String, String, i64)> {
    let mut alerts = Vec::new();
    for entry in std::fs::read_dir(out).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(name.starts_with("part-"), "only committed part files are left: {name}");
        for line in std::fs::read_to_string(entry.path()).unwrap().lines() {
            let a: Alert = serde_json::from_str(line).expect("an alert as JSON");
            alerts.push((a.rule, a.host, a.state, a.time - T0));
        }
    }
    alerts.sort();
    alerts
}

#[test]
fn after_a_panic_or_a_killed_worker_the_committed_alerts_are_those_of_a_run_without_failure() {
    let run = format!("{}-{}-failures", std::process::id(), rill::time::processing_time_now());
    let (metrics, rules, alerts) = (format!("metrics-{run}"), format!("rules-{run}"), format!("alerts-{run}"));
    let b = brokers();
    rill::connectors::kafka::create_topics(&b, &[(&metrics, 4), (&rules, 1), (&alerts, 1)]).unwrap();
    // 20 hosts, a sample every 100 ms for 60 s: h3 and h7 run hot from 10 s to 30 s, h5
    // falls silent at 40 s. One record per batch: tansu 0.6 answers "latest offset" with the
    // first offset of a partition's last batch plus one, which would cut the bounded reads
    // short of the records batched behind it.
    let producer: ThreadedProducer<_> = ClientConfig::new()
        .set("bootstrap.servers", &b)
        .set("batch.num.messages", "1")
        .set("queue.buffering.max.messages", "100000")
        .create()
        .unwrap();
    for i in 0..600i64 {
        let t = T0 + 100 * i;
        for h in 0..20 {
            let host = format!("h{h}");
            if h == 5 && i >= 400 {
                continue;
            }
            let hot = (h == 3 || h == 7) && (100..300).contains(&i);
            let value = if hot { 0.95 } else { 0.2 + 0.01 * ((i + h) % 10) as f64 };
            let m = Metric { host: host.clone(), metric: "cpu".into(), value, time: t, tags: Default::default() };
            let json = serde_json::to_string(&m).unwrap();
            loop {
                match producer.send(BaseRecord::to(&metrics).key(&host).payload(&json)) {
                    Ok(()) => break,
                    Err((e, _)) if e.rdkafka_error_code() == Some(rdkafka::types::RDKafkaErrorCode::QueueFull) => {
                        std::thread::sleep(Duration::from_millis(10))
                    }
                    Err((e, _)) => panic!("{e}"),
                }
            }
        }
    }
    producer.flush(Duration::from_secs(60)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let rules_file = dir.path().join("rules.json");
    std::fs::write(
        &rules_file,
        r#"[{"id": "cpu-high", "metric": "cpu", "condition": "avg_above", "threshold": 0.9, "for_windows": 3},
            {"id": "host-silent", "condition": "absent", "absent_secs": 5}]"#,
    )
    .unwrap();
    let alerts_of = |name: &str, flags: &[&str], failure: &[&str]| {
        let out = dir.path().join(name);
        let ran = Command::new(env!("CARGO_BIN_EXE_kafka_alerts"))
            .args(["-p", "2"])
            .args(flags)
            .args(["--", "--bounded", "--brokers", &b, "--group", &format!("{name}-{run}")])
            .args(["--metrics-topic", &metrics, "--rules-topic", &rules, "--alerts-topic", &alerts])
            .args(["--rules", rules_file.to_str().unwrap(), "--out", out.to_str().unwrap()])
            .args(failure)
            .stdout(std::process::Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&ran.stderr).into_owned();
        assert!(ran.status.success(), "{name}: {stderr}");
        (committed_alerts(&out), stderr)
    };

    let (reference, _) = alerts_of("reference", &[], &[]);
    let firing = |host: &str| reference.iter().filter(|a| a.1 == host && a.2 == "firing").count();
    // Hot hosts: a CPU alert (and its resolution); every host falls silent at the end of the input.
    assert_eq!((firing("h3"), firing("h7"), firing("h5"), firing("h0")), (2, 2, 1, 1), "{reference:?}");

    let checkpoints = ["--checkpoint-interval", "20ms"];
    let (after_panic, stderr) = alerts_of("panic", &checkpoints, &["--fail-at", "5000"]);
    assert!(stderr.contains("injected failure at metric 5000") && stderr.contains("restarting"), "{stderr}");
    assert_eq!(after_panic, reference, "after a panic: {stderr}");

    let marker = dir.path().join("killed");
    let kill = ["--kill-at", "4000", "--kill-marker", marker.to_str().unwrap()];
    let (after_kill, stderr) = alerts_of("kill", &[&checkpoints[..], &["--processes", "2"]].concat(), &kill);
    assert!(marker.exists(), "a worker was killed");
    assert!(stderr.contains("killed by signal 9") && stderr.contains("restarting its processes"), "{stderr}");
    assert_eq!(after_kill, reference, "after a worker was killed: {stderr}");
}
