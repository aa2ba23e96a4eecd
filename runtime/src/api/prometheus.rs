//! The Prometheus text format (version 0.0.4) of a process's metrics: its tasks' figures
//! under the names Flink's Prometheus reporter gives them (so that dashboards made for
//! Flink read them), and the counters and gauges of [`crate::metrics`] under `rill_`.
//!
//! ```
//! use rill::metrics::{prometheus, Rates, TaskSnapshot};
//!
//! let task = TaskSnapshot {
//!     job: "alerts".into(), vertex: 2, name: "Window(...) -> \"Sink\"".into(), subtask: 0,
//!     records_in: 10, records_out: 0, running_nanos: 1_000_000_000, idle_nanos: 0,
//!     backpressured_nanos: 0, late_dropped: 0, watermark: Some(5), ended: false, input: None,
//! };
//! let rates = Rates { records_in: 10.0, busy: 1000.0, ..Rates::default() };
//! let text = prometheus::render(&[(task, rates)], &[], &[("tm_id", "local")]);
//! assert!(text.contains(
//!     "flink_taskmanager_job_task_numRecordsIn{job_name=\"alerts\",task_id=\"2\",\
//!      task_name=\"Window(...) -> \\\"Sink\\\"\",subtask_index=\"0\",tm_id=\"local\"} 10\n"
//! ));
//! assert!(text.contains("flink_taskmanager_job_task_busyTimeMsPerSecond{"));
//! ```

use super::checkpoint_metrics::CheckpointCounts;
use super::task_metrics::{Rates, TaskSnapshot};
use std::fmt::Write;

/// The text for `tasks` (each with its rates over the last interval), the user counters and
/// gauges `user` (`name` or `name{key=value,...}`, value), every line with the labels
/// `common` (the TaskManager's, say).
pub fn render(tasks: &[(TaskSnapshot, Rates)], user: &[(String, f64)], common: &[(&str, &str)]) -> String {
    let tasks: Vec<LabelledTask> = tasks.iter().map(|(t, r)| (t.clone(), *r, Vec::new())).collect();
    render_labelled(&tasks, user, common)
}

/// [`render`] with labels of each task's own besides the common ones (a cluster's job id
/// and TaskManager).
pub fn render_labelled(tasks: &[LabelledTask], user: &[(String, f64)], common: &[(&str, &str)]) -> String {
    let mut out = String::new();
    let families: [(&str, &str, Value); 10] = [
        ("numRecordsIn", "Records that came into the task.", |t, _| Some(t.records_in as f64)),
        ("numRecordsOut", "Records the task sent on.", |t, _| Some(t.records_out as f64)),
        ("numLateRecordsDropped", "Late records the task's window operators dropped.", |t, _| {
            Some(t.late_dropped as f64)
        }),
        ("numRecordsInPerSecond", "Records in per second.", |_, r| Some(r.records_in)),
        ("numRecordsOutPerSecond", "Records out per second.", |_, r| Some(r.records_out)),
        ("busyTimeMsPerSecond", "Milliseconds per second the task was busy.", |_, r| Some(r.busy)),
        ("idleTimeMsPerSecond", "Milliseconds per second the task waited for input.", |_, r| Some(r.idle)),
        ("backPressuredTimeMsPerSecond", "Milliseconds per second the task waited for room downstream.", |_, r| {
            Some(r.backpressured)
        }),
        ("currentInputWatermark", "The task's input watermark, in ms since the epoch.", |t, _| {
            t.watermark.map(|w| w as f64)
        }),
        ("isBackPressured", "1 if the task spent more than half of the last second back-pressured.", |_, r| {
            Some(f64::from(u8::from(r.backpressure_level() == "HIGH")))
        }),
    ];
    for (name, help, value) in families {
        let _ = writeln!(out, "# HELP flink_taskmanager_job_task_{name} {help}");
        let _ = writeln!(out, "# TYPE flink_taskmanager_job_task_{name} gauge");
        for (task, rates, own) in tasks {
            let Some(v) = value(task, rates) else { continue };
            let vertex = task.vertex.to_string();
            let subtask = task.subtask.to_string();
            let mut labels: Vec<(&str, &str)> = vec![
                ("job_name", &task.job),
                ("task_id", &vertex),
                ("task_name", &task.name),
                ("subtask_index", &subtask),
            ];
            labels.extend(own.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            labels.extend_from_slice(common);
            let _ = writeln!(out, "flink_taskmanager_job_task_{name}{} {}", label_set(&labels), number(v));
        }
    }
    out.push_str(&render_user(user, common));
    out
}

/// The lines of counters and gauges `user` (`name` or `name{key=value,...}`), under `rill_`,
/// each with its own labels and `common`.
pub fn render_user(user: &[(String, f64)], common: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (name, value) in user {
        let (bare, labels) = split_labels(name);
        let mut all: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        all.extend_from_slice(common);
        let _ = writeln!(out, "rill_{}{} {}", sanitize(bare), label_set(&all), number(*value));
    }
    out
}

/// Flink's job-scope checkpoint metrics (`flink_jobmanager_job_numberOfCompletedCheckpoints`,
/// `..._lastCheckpointDuration`, ...) of each job: its counts and its labels (`job_name`,
/// and `job_id` in a cluster).
pub fn render_checkpoints(jobs: &[(CheckpointCounts, Vec<(String, String)>)]) -> String {
    type Figure = fn(&CheckpointCounts) -> f64;
    let families: [(&str, &str, Figure); 8] = [
        ("numberOfCompletedCheckpoints", "Checkpoints completed.", |c| c.completed as f64),
        ("numberOfFailedCheckpoints", "Checkpoints failed.", |c| c.failed as f64),
        ("numberOfInProgressCheckpoints", "Checkpoints under way.", |c| c.in_progress as f64),
        ("totalNumberOfCheckpoints", "Checkpoints triggered.", |c| (c.completed + c.failed + c.in_progress) as f64),
        ("lastCompletedCheckpointId", "The number of the last completed checkpoint.", |c| c.last_id as f64),
        ("lastCheckpointDuration", "How long the last completed checkpoint took (ms).", |c| c.last_duration_ms as f64),
        ("lastCheckpointSize", "The size of the last completed checkpoint (bytes).", |c| c.last_size as f64),
        ("lastCheckpointRestoreTimestamp", "When the job last restored a checkpoint (ms; -1: never).", |c| {
            c.restored_at_ms.map_or(-1.0, |t| t as f64)
        }),
    ];
    let mut out = String::new();
    if jobs.is_empty() {
        return out;
    }
    for (name, help, value) in families {
        let _ = writeln!(out, "# HELP flink_jobmanager_job_{name} {help}");
        let _ = writeln!(out, "# TYPE flink_jobmanager_job_{name} gauge");
        for (counts, labels) in jobs {
            let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let _ = writeln!(out, "flink_jobmanager_job_{name}{} {}", label_set(&labels), number(value(counts)));
        }
    }
    out
}

/// A task's figures, its rates, and labels of its own.
pub type LabelledTask = (TaskSnapshot, Rates, Vec<(String, String)>);

/// How a metric's value is read from a task's snapshot and rates (`None`: not known).
type Value = fn(&TaskSnapshot, &Rates) -> Option<f64>;

/// `{k="v",...}` with the values escaped as the format asks.
fn label_set(labels: &[(&str, &str)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = labels
        .iter()
        .map(|(k, v)| {
            let v = v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
            format!("{}=\"{v}\"", sanitize(k))
        })
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// A metric or label name with what Prometheus does not allow replaced by `_`.
fn sanitize(name: &str) -> String {
    let mut s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == ':' { c } else { '_' }).collect();
    if s.starts_with(|c: char| c.is_ascii_digit()) || s.is_empty() {
        s.insert(0, '_');
    }
    s
}

/// `name{k=v,...}` (how [`crate::metrics::gauge`] names one of several) into its parts.
fn split_labels(name: &str) -> (&str, Vec<(String, String)>) {
    let Some((bare, rest)) = name.split_once('{') else { return (name, Vec::new()) };
    let labels = rest
        .trim_end_matches('}')
        .split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
        .collect();
    (bare, labels)
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_metrics_keep_their_labels_and_names_are_made_valid() {
        let user = vec![("kafka.lag{partition=3}".to_owned(), 7.0), ("9lives".to_owned(), 0.5)];
        let text = render(&[], &user, &[("host", "a\"b")]);
        assert!(text.contains("rill_kafka_lag{partition=\"3\",host=\"a\\\"b\"} 7\n"), "{text}");
        assert!(text.contains("rill__9lives{host=\"a\\\"b\"} 0.500\n"), "{text}");
    }

    #[test]
    fn checkpoint_figures_are_flinks_job_metrics() {
        let counts = CheckpointCounts { completed: 3, failed: 1, last_id: 4, last_size: 2048, ..Default::default() };
        let labels = vec![("job_name".to_owned(), "alerts".to_owned())];
        let text = render_checkpoints(&[(counts, labels)]);
        assert!(text.contains("flink_jobmanager_job_numberOfCompletedCheckpoints{job_name=\"alerts\"} 3\n"), "{text}");
        assert!(text.contains("flink_jobmanager_job_totalNumberOfCheckpoints{job_name=\"alerts\"} 4\n"), "{text}");
        assert!(text.contains("flink_jobmanager_job_lastCheckpointSize{job_name=\"alerts\"} 2048\n"), "{text}");
        assert!(
            text.contains("flink_jobmanager_job_lastCheckpointRestoreTimestamp{job_name=\"alerts\"} -1\n"),
            "{text}"
        );
        assert_eq!(render_checkpoints(&[]), "");
    }
}
