//! The Web UI's files (Flink's on port 8081): a page, its script and its style, embedded
//! in the binary so that it works without a network connection. The JobManager serves them
//! over its REST API; a job run alone with `--web-ui PORT` serves them over the few
//! endpoints of its own that the page reads ([`super::metrics_http`]).

/// The page.
pub const INDEX: &str = include_str!("web/index.html");
/// Its script: a client of the REST API.
pub const APP: &str = include_str!("web/app.js");
/// Its style.
pub const STYLE: &str = include_str!("web/style.css");
