//! A job's task metrics by vertex, as the REST API shows them in Flink's shapes: a vertex's
//! records in and out, its subtasks' back-pressure and watermarks, `?get=` metric queries.
//! The JobManager keeps one per job, from what each worker process sends (through its
//! coordinator, once a second with its heartbeat); a job run alone with `--web-ui` keeps
//! one of its own tasks. Each update takes the rates since the one before.

use super::task_metrics::{Rates, TaskSnapshot};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A job's task metrics, by worker process (a job alone is worker 0).
#[derive(Debug, Default)]
pub struct JobMetrics {
    workers: BTreeMap<usize, Vec<(TaskSnapshot, Rates)>>,
}

impl JobMetrics {
    /// Worker `index` sent `tasks`: they replace what it sent before, with rates since then.
    pub fn update(&mut self, index: usize, tasks: Vec<TaskSnapshot>) {
        let before = self.workers.remove(&index).unwrap_or_default();
        let now = tasks
            .into_iter()
            .map(|t| {
                let same = |(b, _): &&(TaskSnapshot, Rates)| b.vertex == t.vertex && b.subtask == t.subtask;
                let rates = before.iter().find(same).map_or_else(Rates::default, |(b, r)| {
                    // A task that has not run since (it ended) keeps its last rates.
                    if t.running_nanos > b.running_nanos {
                        Rates::between(b, &t)
                    } else {
                        *r
                    }
                });
                (t, rates)
            })
            .collect();
        self.workers.insert(index, now);
    }

    /// Every task with its rates and the worker process it runs in.
    pub fn tasks(&self) -> impl Iterator<Item = (usize, &TaskSnapshot, &Rates)> {
        self.workers.iter().flat_map(|(w, tasks)| tasks.iter().map(move |(t, r)| (*w, t, r)))
    }

    /// Vertex `vertex`'s subtasks, by subtask index.
    fn subtasks(&self, vertex: u32) -> Vec<(&TaskSnapshot, &Rates)> {
        let mut subtasks: Vec<(&TaskSnapshot, &Rates)> =
            self.tasks().filter(|(_, t, _)| t.vertex == vertex).map(|(_, t, r)| (t, r)).collect();
        subtasks.sort_by_key(|(t, _)| t.subtask);
        subtasks
    }

    /// Flink's vertex `metrics` of the job's details: records read and written, and the
    /// time its subtasks spent busy, idle and back-pressured (ms); for a bounded source,
    /// Rill's `input-read` of `input-total` (in the source's unit: records, bytes, offsets).
    pub fn vertex_summary(&self, vertex: u32) -> Value {
        let subtasks = self.subtasks(vertex);
        let sum = |f: fn(&TaskSnapshot) -> u64| subtasks.iter().map(|(t, _)| f(t)).sum::<u64>();
        let mut summary = json!({
            "read-records": sum(|t| t.records_in),
            "read-records-complete": true,
            "write-records": sum(|t| t.records_out),
            "write-records-complete": true,
            "accumulated-busy-time": sum(TaskSnapshot::busy_nanos) / 1_000_000,
            "accumulated-idle-time": sum(|t| t.idle_nanos) / 1_000_000,
            "accumulated-backpressured-time": sum(|t| t.backpressured_nanos) / 1_000_000,
        });
        // Only when every subtask knows its share: a partial total would mislead.
        let inputs: Option<Vec<(u64, u64)>> = subtasks.iter().map(|(t, _)| t.input).collect();
        if let Some(inputs) = inputs.filter(|i| !i.is_empty()) {
            summary["input-read"] = inputs.iter().map(|(read, _)| read).sum::<u64>().into();
            summary["input-total"] = inputs.iter().map(|(_, total)| total).sum::<u64>().into();
        }
        summary
    }

    /// Flink's `/jobs/:id/vertices/:vid/backpressure`: each subtask's share of the last
    /// second back-pressured, idle and busy, its level, and the vertex's (its worst).
    pub fn backpressure(&self, vertex: u32, now_ms: u64) -> Value {
        let subtasks: Vec<Value> = self
            .subtasks(vertex)
            .iter()
            .map(|(t, r)| {
                json!({
                    "subtask": t.subtask,
                    "attempt-number": 0,
                    "backpressureLevel": r.backpressure_level().to_lowercase(),
                    "ratio": r.backpressured / 1000.0,
                    "idleRatio": r.idle / 1000.0,
                    "busyRatio": r.busy / 1000.0,
                })
            })
            .collect();
        let worst = ["high", "low"]
            .into_iter()
            .find(|level| subtasks.iter().any(|s| s["backpressureLevel"] == *level))
            .unwrap_or("ok");
        json!({ "status": "ok", "backpressureLevel": worst, "end-timestamp": now_ms, "subtasks": subtasks })
    }

    /// Flink's `/jobs/:id/vertices/:vid/watermarks`.
    pub fn watermarks(&self, vertex: u32) -> Value {
        let watermarks: Vec<Value> = self
            .subtasks(vertex)
            .iter()
            .map(|(t, _)| {
                let w = t.watermark.unwrap_or(i64::MIN);
                json!({ "id": format!("{}.currentInputWatermark", t.subtask), "value": w.to_string() })
            })
            .collect();
        Value::Array(watermarks)
    }

    /// Flink's `/jobs/:id/vertices/:vid/metrics`: without `get`, the ids it has; with
    /// `get=0.numRecordsIn,1.busyTimeMsPerSecond`, their values.
    pub fn vertex_metrics(&self, vertex: u32, get: Option<&str>) -> Value {
        let mut all: Vec<(String, String)> = Vec::new();
        for (t, r) in self.subtasks(vertex) {
            let s = t.subtask;
            let values = [
                ("numRecordsIn", t.records_in.to_string()),
                ("numRecordsOut", t.records_out.to_string()),
                ("numLateRecordsDropped", t.late_dropped.to_string()),
                ("numRecordsInPerSecond", format!("{:.3}", r.records_in)),
                ("numRecordsOutPerSecond", format!("{:.3}", r.records_out)),
                ("busyTimeMsPerSecond", format!("{:.3}", r.busy)),
                ("idleTimeMsPerSecond", format!("{:.3}", r.idle)),
                ("backPressuredTimeMsPerSecond", format!("{:.3}", r.backpressured)),
                ("currentInputWatermark", t.watermark.unwrap_or(i64::MIN).to_string()),
            ];
            all.extend(values.into_iter().map(|(name, v)| (format!("{s}.{name}"), v)));
        }
        match get {
            None => Value::Array(all.into_iter().map(|(id, _)| json!({ "id": id })).collect()),
            Some(get) => {
                let wanted: Vec<&str> = get.split(',').map(str::trim).collect();
                let found = all.into_iter().filter(|(id, _)| wanted.contains(&id.as_str()));
                Value::Array(found.map(|(id, value)| json!({ "id": id, "value": value })).collect())
            }
        }
    }
}

/// The vertex names of a plan (`--plan`'s JSON), by chain id.
pub fn vertex_names(plan: &Value) -> BTreeMap<u32, String> {
    plan["chains"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| Some((u32::try_from(c["id"].as_u64()?).ok()?, c["name"].as_str()?.to_owned())))
        .collect()
}
