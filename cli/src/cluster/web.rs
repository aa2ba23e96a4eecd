//! The Web UI (Flink's on port 8081): a page and its script, embedded in the `rill` binary
//! so that it works without a network connection, served by the JobManager at `/`. The
//! script is a client of the REST API, as Flink's UI is of Flink's; this module serves the
//! files, and the TaskManagers' log and `.out` files it links to.

use super::api::{Api, ApiError};
use super::state::lock;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

const INDEX: &str = rill::net::web_ui::INDEX;
const APP: &str = rill::net::web_ui::APP;
const STYLE: &str = rill::net::web_ui::STYLE;

/// The most of a TaskManager's file the UI shows: its end.
const TAIL: u64 = 1024 * 1024;

/// The UI's routes.
pub fn routes() -> Router<Api> {
    Router::new()
        .route("/", get(|| async { file("text/html; charset=utf-8", INDEX) }))
        .route("/web/app.js", get(|| async { file("text/javascript; charset=utf-8", APP) }))
        .route("/web/style.css", get(|| async { file("text/css; charset=utf-8", STYLE) }))
        .route("/taskmanagers/{id}/log", get(|s, p| taskmanager_file(s, p, "log")))
        .route("/taskmanagers/{id}/stdout", get(|s, p| taskmanager_file(s, p, "out")))
}

fn file(kind: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}

/// The end of a TaskManager's `.log` or `.out` in the cluster home (named by the
/// TaskManager's registered name, never by the request).
async fn taskmanager_file(State(api): State<Api>, Path(id): Path<String>, ext: &'static str) -> Response {
    let path = {
        let s = lock(&api.state);
        let tm = id.parse::<usize>().ok().and_then(|id| s.taskmanagers.get(&id));
        match tm {
            Some(tm) => s.home.logs().join(format!("{}.{ext}", tm.name)),
            None => {
                return ApiError(StatusCode::NOT_FOUND, format!("no TaskManager '{id}' in this cluster"))
                    .into_response()
            }
        }
    };
    let text = tokio::task::spawn_blocking(move || tail(&path)).await.unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

/// The last [`TAIL`] bytes of a file (empty if there is none: a TaskManager on another
/// machine keeps its files there).
fn tail(path: &std::path::Path) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else { return String::new() };
    let len = f.metadata().map_or(0, |m| m.len());
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(TAIL)));
    let mut bytes = Vec::new();
    let _ = f.take(TAIL).read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}
