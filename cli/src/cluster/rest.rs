//! The JobManager's REST API, in Flink's shape (`/overview`, `/jobs/overview`, `/jobs/:id`,
//! `PATCH /jobs/:id?mode=cancel`, `/taskmanagers`, `/jars/upload`, `/jars`,
//! `/jars/:id/run`), errors as Flink's `{"errors": [...]}`. Unlike Flink's, it is not an
//! open door: every request that changes anything carries the cluster's bearer token, and
//! an uploaded binary is stored under its sha256, never under a name or path the client
//! gives.

use super::api::{error, find, Api, ApiError};
use super::jobs;
use super::protocol::{is_sha, MAX_BINARY};
use super::state::RunRequest;
use super::state::{lock, now_ms, Jar, JobState};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The routes.
pub fn router(api: Api) -> Router {
    Router::new()
        .route("/overview", get(overview))
        .route("/config", get(config))
        .route("/jobs", get(jobs_list))
        .route("/jobs/overview", get(jobs_overview))
        .route("/jobs/{id}", get(job).patch(job_patch))
        .route("/jobs/{id}/plan", get(job_plan))
        .route("/jobs/{id}/exceptions", get(job_exceptions))
        .route("/jobs/{id}/checkpoints", get(job_checkpoints))
        .route("/jobs/{id}/stop", post(job_stop))
        .route("/jobs/{id}/stdout", get(job_stdout))
        .route("/jobs/{id}/log", get(job_log))
        .route("/jobs/{id}/savepoints", post(job_savepoint))
        .route("/jobs/{id}/savepoints/{trigger}", get(savepoint_status))
        .route("/taskmanagers", get(taskmanagers))
        .route("/jars", get(jars))
        .route("/jars/upload", post(upload))
        .route("/jars/{id}/run", post(run))
        .merge(super::rest_metrics::routes())
        .merge(super::web::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BINARY as usize))
        .with_state(api)
}

async fn not_found(uri: Uri) -> Response {
    error(StatusCode::NOT_FOUND, format!("Not found: {}", uri.path()))
}

/// Refuses a changing request without the cluster's token, saying how to pass it.
fn authorize(api: &Api, headers: &HeaderMap) -> Result<(), ApiError> {
    let given = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let ok = given.is_some_and(|g| {
        let (a, b) = (g.as_bytes(), api.token.as_bytes());
        // Every byte compared, so the time taken does not tell how much matched.
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
    });
    if ok {
        return Ok(());
    }
    let what = if given.is_some() { "a wrong bearer token" } else { "no bearer token" };
    Err(ApiError(
        StatusCode::UNAUTHORIZED,
        format!(
            "{what}: requests that change the cluster need 'Authorization: Bearer TOKEN', the token in the \
             file 'token' of the cluster home ($RILL_HOME) that `rill cluster start` wrote; the rill command \
             reads it"
        ),
    ))
}

async fn overview(State(api): State<Api>) -> Json<Value> {
    let s = lock(&api.state);
    let (total, free) = s.slots();
    let count = |state: JobState| s.jobs.values().filter(|j| j.state == state).count();
    Json(json!({
        "taskmanagers": s.taskmanagers.len(),
        "slots-total": total,
        "slots-available": free,
        "jobs-running": count(JobState::Running) + count(JobState::Cancelling),
        "jobs-finished": count(JobState::Finished),
        "jobs-cancelled": count(JobState::Canceled),
        "jobs-failed": count(JobState::Failed),
        "rill-version": env!("CARGO_PKG_VERSION"),
    }))
}

async fn config() -> Json<Value> {
    Json(
        json!({ "refresh-interval": 3000, "rill-version": env!("CARGO_PKG_VERSION"), "features": { "web-submit": false } }),
    )
}

async fn jobs_list(State(api): State<Api>) -> Json<Value> {
    let s = lock(&api.state);
    let jobs: Vec<Value> = s.jobs.iter().map(|(id, j)| json!({ "id": id, "status": j.state.name() })).collect();
    Json(json!({ "jobs": jobs }))
}

fn summary(id: &str, j: &super::state::Job) -> Value {
    let end = j.end.map_or(-1, |e| e as i64);
    let duration = j.end.unwrap_or_else(now_ms).saturating_sub(j.start);
    json!({
        "jid": id,
        "name": j.name,
        "state": j.state.name(),
        "start-time": j.start,
        "end-time": end,
        "duration": duration,
        "last-modification": j.end.unwrap_or(j.start),
        "parallelism": j.parallelism,
    })
}

async fn jobs_overview(State(api): State<Api>) -> Json<Value> {
    let s = lock(&api.state);
    let mut jobs: Vec<Value> = s.jobs.iter().map(|(id, j)| summary(id, j)).collect();
    jobs.sort_by_key(|j| std::cmp::Reverse(j["start-time"].as_u64()));
    Json(json!({ "jobs": jobs }))
}

async fn job(State(api): State<Api>, Path(id): Path<String>) -> Response {
    let found = find(&api, &id, |j| {
        let mut v = summary(&id, j);
        let vertices: Vec<Value> = j.plan["chains"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                json!({
                    "id": c["id"],
                    "name": c["name"],
                    "parallelism": c["parallelism"],
                    "maxParallelism": c["max_parallelism"],
                    "status": j.state.name(),
                    "metrics": c["id"].as_u64().map_or(Value::Null, |v| j.metrics.vertex_summary(v as u32)),
                })
            })
            .collect();
        v["vertices"] = Value::Array(vertices);
        v["now"] = json!(now_ms());
        v["plan"] = j.plan.clone();
        v
    });
    match found {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn job_plan(State(api): State<Api>, Path(id): Path<String>) -> Response {
    match find(&api, &id, |j| json!({ "plan": j.plan })) {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn job_exceptions(State(api): State<Api>, Path(id): Path<String>) -> Response {
    match find(
        &api,
        &id,
        |j| json!({ "root-exception": j.failure, "timestamp": j.end, "exceptionHistory": { "entries": [] } }),
    ) {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Flink's checkpoint statistics, from the job's retained checkpoints (their `_metadata`):
/// newest first, with the latest completed one and, for a job restored from a savepoint or
/// checkpoint, where it came from.
async fn job_checkpoints(State(api): State<Api>, Path(id): Path<String>) -> Response {
    let (home, restored) = match find(&api, &id, |j| j.request.savepoint.clone()) {
        Ok(found) => (lock(&api.state).home.clone(), found),
        Err(e) => return e.into_response(),
    };
    let read = tokio::task::spawn_blocking(move || {
        let dir = std::fs::read_to_string(super::records::checkpoints_file(&home, &id)).ok();
        let storage = dir.map(|d| rill::checkpoint::CheckpointStorage::new(d.trim().into()));
        let ids = storage.as_ref().map(|s| s.completed_ids()).unwrap_or_default();
        ids.iter()
            .rev()
            .filter_map(|n| {
                let dir = storage.as_ref()?.dir().join(format!("chk-{n}"));
                let meta = rill::checkpoint::storage::read_metadata(&dir).ok()?;
                Some(rill::checkpoint::stats::rest_entry(&meta, &dir.display().to_string()))
            })
            .collect::<Vec<Value>>()
    })
    .await;
    let history = match read {
        Ok(history) => history,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    Json(rill::checkpoint::stats::rest_statistics(history, restored.as_deref())).into_response()
}

async fn job_patch(
    State(api): State<Api>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    if let Err(e) = authorize(&api, &headers) {
        return e.into_response();
    }
    match query.get("mode").map(String::as_str) {
        Some("cancel") | None => {}
        Some(other) => return error(StatusCode::BAD_REQUEST, format!("unknown mode '{other}': mode=cancel")),
    }
    match jobs::cancel(&api.state, &id) {
        Ok(()) => (StatusCode::ACCEPTED, Json(json!({}))).into_response(),
        Err((code, message)) => error(StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST), message),
    }
}

async fn taskmanagers(State(api): State<Api>) -> Json<Value> {
    let s = lock(&api.state);
    let now = now_ms();
    let tms: Vec<Value> = s
        .taskmanagers
        .iter()
        .map(|(id, tm)| {
            json!({
                "id": id.to_string(),
                "name": tm.name,
                "slotsNumber": tm.slots,
                "freeSlots": tm.free,
                "timeSinceLastHeartbeat": now.saturating_sub(tm.last_heartbeat.elapsed().as_millis() as u64),
                "registered": tm.since,
                "memory": tm.memory,
            })
        })
        .collect();
    Json(json!({ "taskmanagers": tms }))
}

async fn jars(State(api): State<Api>) -> Json<Value> {
    let s = lock(&api.state);
    let files: Vec<Value> = s
        .jars
        .iter()
        .map(|(id, jar)| json!({ "id": id, "name": jar.name, "uploaded": jar.uploaded, "size": jar.size }))
        .collect();
    Json(json!({ "files": files }))
}

#[derive(Deserialize, Default)]
struct UploadQuery {
    /// A name to show for the binary (its file name on the client); never a path here.
    name: Option<String>,
}

async fn upload(State(api): State<Api>, headers: HeaderMap, Query(q): Query<UploadQuery>, body: Bytes) -> Response {
    if let Err(e) = authorize(&api, &headers) {
        return e.into_response();
    }
    if body.is_empty() {
        return error(StatusCode::BAD_REQUEST, "an empty upload: send the job binary as the request body");
    }
    if !body.starts_with(b"\x7fELF") {
        return error(StatusCode::BAD_REQUEST, "the upload is not a job binary (an ELF executable built by cargo)");
    }
    let name: String = q.name.unwrap_or_default().chars().filter(|c| !c.is_control()).take(128).collect();
    let home = lock(&api.state).home.clone();
    let sha = match tokio::task::spawn_blocking(move || home.store_jar(&body)).await {
        Ok(Ok(sha)) => sha,
        Ok(Err(e)) => return error(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot store the upload: {e}")),
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot store the upload: {e}")),
    };
    let size = lock(&api.state).home.jars().join(&sha).metadata().map_or(0, |m| m.len());
    lock(&api.state).jars.insert(sha.clone(), Jar { name, uploaded: now_ms(), size });
    Json(json!({ "filename": sha, "status": "success" })).into_response()
}

/// Flink's `POST /jars/:id/run` body.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RunBody {
    parallelism: Option<usize>,
    program_args_list: Option<Vec<String>>,
    savepoint_path: Option<String>,
    allow_non_restored_state: Option<bool>,
    entry_class: Option<String>,
    flink_configuration: Option<BTreeMap<String, String>>,
}

async fn run(State(api): State<Api>, headers: HeaderMap, Path(id): Path<String>, body: Bytes) -> Response {
    if let Err(e) = authorize(&api, &headers) {
        return e.into_response();
    }
    let Some(sha) = is_sha(&id).map(str::to_owned) else {
        return error(StatusCode::BAD_REQUEST, format!("'{id}' is not an uploaded binary's id (its sha256)"));
    };
    if !lock(&api.state).jars.contains_key(&sha) {
        return error(StatusCode::NOT_FOUND, format!("no uploaded binary {sha}: upload it first (POST /jars/upload)"));
    }
    let body: RunBody = if body.iter().all(u8::is_ascii_whitespace) {
        RunBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(e) => return error(StatusCode::BAD_REQUEST, format!("the request body is not a run request: {e}")),
        }
    };
    if body.entry_class.is_some() {
        return error(StatusCode::BAD_REQUEST, "entryClass does not apply: a Rill job binary holds one job");
    }
    let config = body.flink_configuration.unwrap_or_default();
    let flags = match super::state::flags_of(config.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
        Ok(flags) => flags,
        Err(why) => return error(StatusCode::BAD_REQUEST, why),
    };
    let request = RunRequest {
        flags,
        parallelism: body.parallelism,
        args: body.program_args_list.unwrap_or_default(),
        savepoint: body.savepoint_path,
        allow_non_restored_state: body.allow_non_restored_state.unwrap_or(false),
    };
    let state = api.state.clone();
    let submitted = tokio::task::spawn_blocking(move || jobs::submit(&state, &sha, &request)).await;
    match submitted {
        Ok(Ok(job)) => Json(json!({ "jobid": job })).into_response(),
        Ok(Err(why)) => error(StatusCode::BAD_REQUEST, why),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Flink's `POST /jobs/:id/stop` body.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StopBody {
    target_directory: String,
    drain: Option<bool>,
}

async fn job_stop(State(api): State<Api>, headers: HeaderMap, Path(id): Path<String>, body: Bytes) -> Response {
    if let Err(e) = authorize(&api, &headers) {
        return e.into_response();
    }
    let body: StopBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("the request body is not a stop request: {e}")),
    };
    trigger_savepoint(&api, id, body.target_directory, true, body.drain.unwrap_or(false)).await
}

async fn savepoint_status(State(api): State<Api>, Path((id, trigger)): Path<(String, String)>) -> Response {
    let found = find(&api, &id, |j| {
        if let Some((_, result)) = j.savepoints.iter().find(|(t, _)| *t == trigger) {
            return Some(match result {
                None => json!({ "status": { "id": "IN_PROGRESS" } }),
                Some(Ok(path)) => json!({ "status": { "id": "COMPLETED" }, "operation": { "location": path } }),
                Some(Err(why)) => json!({
                    "status": { "id": "COMPLETED" },
                    "operation": { "failure-cause": { "class": "SavepointFailed", "stack-trace": why } },
                }),
            });
        }
        if j.stop_trigger.as_deref() != Some(trigger.as_str()) {
            return None;
        }
        Some(match (j.state.is_terminal(), &j.savepoint) {
            (false, _) => json!({ "status": { "id": "IN_PROGRESS" } }),
            (true, Some(path)) => json!({ "status": { "id": "COMPLETED" }, "operation": { "location": path } }),
            (true, None) => json!({
                "status": { "id": "COMPLETED" },
                "operation": { "failure-cause": {
                    "class": "SavepointFailed",
                    "stack-trace": j.failure.clone().unwrap_or_else(|| format!("the job ended {} without a savepoint", j.state.name())),
                } },
            }),
        })
    });
    match found {
        Ok(Some(v)) => Json(v).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, format!("no savepoint request {trigger} for job {id}")),
        Err(e) => e.into_response(),
    }
}

/// The most of a job's output file the REST API returns: its end.
const MAX_LOG: u64 = 8 * 1024 * 1024;

/// The end of the job's file `job-<id>.<ext>` in the cluster's log directory.
fn job_file(api: &Api, id: &str, ext: &str) -> Response {
    if let Err(e) = find(api, id, |_| ()) {
        return e.into_response();
    }
    let path = lock(&api.state).home.logs().join(format!("job-{id}.{ext}"));
    let text = match std::fs::File::open(&path) {
        Ok(mut file) => {
            use std::io::{Read, Seek, SeekFrom};
            let len = file.metadata().map_or(0, |m| m.len());
            let _ = file.seek(SeekFrom::Start(len.saturating_sub(MAX_LOG)));
            let mut bytes = Vec::new();
            let _ = file.take(MAX_LOG).read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Err(_) => String::new(),
    };
    ([("content-type", "text/plain; charset=utf-8")], text).into_response()
}

/// What the job printed (`print`), from all its TaskManagers.
async fn job_stdout(State(api): State<Api>, Path(id): Path<String>) -> Response {
    job_file(&api, &id, "out")
}

/// The job's messages: its coordinator's and its workers'.
async fn job_log(State(api): State<Api>, Path(id): Path<String>) -> Response {
    job_file(&api, &id, "log")
}

/// Flink's `POST /jobs/:id/savepoints` body.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct SavepointBody {
    target_directory: String,
    cancel_job: Option<bool>,
}

async fn job_savepoint(State(api): State<Api>, headers: HeaderMap, Path(id): Path<String>, body: Bytes) -> Response {
    if let Err(e) = authorize(&api, &headers) {
        return e.into_response();
    }
    let body: SavepointBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("the request body is not a savepoint request: {e}")),
    };
    trigger_savepoint(&api, id, body.target_directory, body.cancel_job.unwrap_or(false), false).await
}

/// Asks job `id` for a savepoint under `dir` (stopping it after, with `stop`): `202` with
/// the request's id to poll (`/jobs/:id/savepoints/:trigger`), or why not.
async fn trigger_savepoint(api: &Api, id: String, dir: String, stop: bool, drain: bool) -> Response {
    let state = api.state.clone();
    let asked = tokio::task::spawn_blocking(move || jobs::savepoint(&state, &id, &dir, stop, drain))
        .await
        .unwrap_or_else(|e| Err((500, e.to_string())));
    match asked {
        Ok(trigger) => (StatusCode::ACCEPTED, Json(json!({ "request-id": trigger }))).into_response(),
        Err((code, message)) => error(StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST), message),
    }
}
