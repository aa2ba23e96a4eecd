//! The metrics_window example, run as a user runs it.

use std::process::Command;

#[test]
fn alerts_only_for_the_misbehaving_host_and_prints_late_records() {
    let out = Command::new(env!("CARGO_BIN_EXE_metrics_window"))
        .args(["-p", "2", "--", "--events", "20000", "--rate", "40000"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let alerts: Vec<&str> = text.lines().filter(|l| l.contains("ALERT")).collect();
    let late: Vec<&str> = text.lines().filter(|l| l.contains("LATE")).collect();
    // host-3 runs at 92-97% CPU for the whole 100 s of event time: with 10 s windows every
    // second, at least the ~100 full windows alert; nobody else does.
    assert!(alerts.len() >= 100, "{} alerts:\n{text}", alerts.len());
    assert!(alerts.iter().all(|a| a.contains("ALERT host-3 cpu avg 9")), "{text}");
    // A window inside the run holds ~100 samples of host-3's CPU (10 s, one per 100 ms);
    // out-of-order and late records move a few between windows.
    let mut full = 0;
    for a in &alerts {
        let (_, rest) = a.split_once(" over ").unwrap();
        let (n, window) = rest.split_once(" samples in [").unwrap();
        let start: i64 = window.split(',').next().unwrap().parse().unwrap();
        let n: u32 = n.parse().unwrap();
        if (0..=90_000).contains(&start) {
            full += 1;
            assert!((90..=110).contains(&n), "{a}");
        }
    }
    assert_eq!(full, 91, "{text}");
    // Records 30 s behind arrive after the watermark has passed all their windows.
    assert!(!late.is_empty(), "no late records:\n{text}");
    assert!(late.iter().all(|l| l.contains(" ms")), "{text}");
}
