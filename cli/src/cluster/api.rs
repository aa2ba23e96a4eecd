//! What every REST handler shares: the cluster's state and token ([`Api`]), Flink's error
//! shape ([`ApiError`]), and finding a job by its id. The routes live in `rest.rs`,
//! `rest_metrics.rs` and `web.rs`, which all stand on this.

use super::protocol::is_job_id;
use super::state::{lock, Shared};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::sync::Arc;

/// What every handler sees: the cluster's state and its token.
#[derive(Clone)]
pub struct Api {
    pub state: Shared,
    pub token: Arc<String>,
}

/// A Flink-shaped error: `{"errors": [MESSAGE]}` with its status.
pub struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "errors": [self.1] }))).into_response()
    }
}

/// A Flink-shaped error response.
pub fn error(status: StatusCode, message: impl Into<String>) -> Response {
    ApiError(status, message.into()).into_response()
}

/// The job, or the error for an id that is not one or names no job.
pub fn find<T>(api: &Api, id: &str, f: impl FnOnce(&super::state::Job) -> T) -> Result<T, ApiError> {
    let Some(id) = is_job_id(id) else {
        return Err(ApiError(StatusCode::BAD_REQUEST, format!("'{id}' is not a job id (32 hex digits)")));
    };
    let s = lock(&api.state);
    s.jobs.get(id).map(f).ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("Job {id} not found")))
}
