//! The REST API's metrics, in Flink's shapes: a vertex's back-pressure, watermarks and
//! `?get=` metrics, a job's metrics, and the whole cluster's in Prometheus's text format at
//! `/metrics` (Flink's reporter names, labelled with the job, vertex, subtask and
//! TaskManager), which a Prometheus scrapes as it scrapes Flink's reporter.

use super::api::{find, Api, ApiError};
use super::state::{lock, now_ms, JobState};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

/// The metric routes.
pub fn routes() -> Router<Api> {
    Router::new()
        .route("/metrics", get(prometheus))
        .route("/jobs/{id}/metrics", get(job_metrics))
        .route("/jobs/{id}/vertices/{vertex}/backpressure", get(backpressure))
        .route("/jobs/{id}/vertices/{vertex}/watermarks", get(watermarks))
        .route("/jobs/{id}/vertices/{vertex}/metrics", get(vertex_metrics))
}

#[derive(Deserialize)]
struct Get {
    get: Option<String>,
}

/// A vertex of job `id` (a chain of its plan), through `f`; a 404 names what is missing.
fn vertex<T>(
    api: &Api,
    id: &str,
    vertex: &str,
    f: impl FnOnce(&rill::metrics::JobMetrics, u32) -> T,
) -> Result<T, ApiError> {
    let number: Option<u32> = vertex.parse().ok();
    find(api, id, |j| {
        let known = number.filter(|v| rill::metrics::vertex_names(&j.plan).contains_key(v));
        known.map(|v| f(&j.metrics, v))
    })?
    .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("job {id} has no vertex '{vertex}'")))
}

fn answer(result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn backpressure(State(api): State<Api>, Path((id, v)): Path<(String, String)>) -> Response {
    answer(vertex(&api, &id, &v, |m, v| m.backpressure(v, now_ms())))
}

async fn watermarks(State(api): State<Api>, Path((id, v)): Path<(String, String)>) -> Response {
    answer(vertex(&api, &id, &v, |m, v| m.watermarks(v)))
}

async fn vertex_metrics(
    State(api): State<Api>,
    Path((id, v)): Path<(String, String)>,
    Query(q): Query<Get>,
) -> Response {
    answer(vertex(&api, &id, &v, |m, v| m.vertex_metrics(v, q.get.as_deref())))
}

/// Flink's job metrics: `uptime` (ms, while it runs) and its checkpoint figures.
async fn job_metrics(State(api): State<Api>, Path(id): Path<String>, Query(q): Query<Get>) -> Response {
    answer(find(&api, &id, |j| {
        let uptime = if j.state == JobState::Running { now_ms().saturating_sub(j.start) } else { 0 };
        let c = &j.checkpoints;
        let all = [
            ("uptime", uptime.to_string()),
            ("numberOfCompletedCheckpoints", c.completed.to_string()),
            ("numberOfFailedCheckpoints", c.failed.to_string()),
            ("numberOfInProgressCheckpoints", c.in_progress.to_string()),
            ("lastCompletedCheckpointId", c.last_id.to_string()),
            ("lastCheckpointDuration", c.last_duration_ms.to_string()),
            ("lastCheckpointSize", c.last_size.to_string()),
        ];
        match q.get.as_deref() {
            None => Value::Array(all.iter().map(|(id, _)| json!({ "id": id })).collect()),
            Some(get) => {
                let wanted: Vec<&str> = get.split(',').map(str::trim).collect();
                let found = all.iter().filter(|(id, _)| wanted.contains(id));
                Value::Array(found.map(|(id, value)| json!({ "id": id, "value": value })).collect())
            }
        }
    }))
}

/// The cluster in Prometheus's text format: every running job's tasks and checkpoint
/// figures, and the JobManager's own figures under Flink's names.
async fn prometheus(State(api): State<Api>) -> Response {
    let s = lock(&api.state);
    let mut tasks = Vec::new();
    for (id, job) in s.jobs.iter().filter(|(_, j)| j.state == JobState::Running) {
        for (worker, task, rates) in job.metrics.tasks() {
            let tm = job.placement.get(worker).and_then(|tm| s.taskmanagers.get(tm)).map_or("", |tm| &tm.name);
            let labels = vec![("job_id".to_owned(), id.clone()), ("tm_id".to_owned(), tm.to_owned())];
            tasks.push((task.clone(), *rates, labels));
        }
    }
    let (total, free) = s.slots();
    let running = s.jobs.values().filter(|j| j.state == JobState::Running).count();
    let mut body = rill::metrics::prometheus::render_labelled(&tasks, &[], &[]);
    for (id, job) in s.jobs.iter().filter(|(_, j)| j.state == JobState::Running) {
        for (worker, metrics) in &job.user_metrics {
            let tm = job.placement.get(*worker).and_then(|tm| s.taskmanagers.get(tm)).map_or("", |tm| &tm.name);
            let labels = [("job_id", id.as_str()), ("job_name", job.name.as_str()), ("tm_id", tm)];
            body.push_str(&rill::metrics::prometheus::render_user(metrics, &labels));
        }
    }
    let checkpoints: Vec<_> = s
        .jobs
        .iter()
        .filter(|(_, j)| j.state == JobState::Running)
        .map(|(id, j)| {
            (j.checkpoints, vec![("job_id".to_owned(), id.clone()), ("job_name".to_owned(), j.name.clone())])
        })
        .collect();
    body.push_str(&rill::metrics::prometheus::render_checkpoints(&checkpoints));
    for (name, value) in [
        ("numRegisteredTaskManagers", s.taskmanagers.len()),
        ("taskSlotsTotal", total),
        ("taskSlotsAvailable", free),
        ("numRunningJobs", running),
    ] {
        body.push_str(&format!("# TYPE flink_jobmanager_{name} gauge\nflink_jobmanager_{name} {value}\n"));
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}
