//! `rill jobmanager start-foreground`: the REST API, the TaskManagers' listener and the
//! jobs, in one process. Listens on loopback unless told otherwise; binding the REST API to
//! another address without TLS is refused unless forced, since its token would cross the
//! network in the clear.

use super::home::{write_owner_only, Home};
use super::rest::{router, Api};
use super::state::{lock, JobState, State};
use rill::net::auth::Secret;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a stopping JobManager waits for its jobs to cancel.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Where a JobManager listens.
#[derive(Debug, Clone)]
pub struct Listen {
    /// The REST API (Flink's `rest.address`/`rest.port`, 127.0.0.1:8081).
    pub rest: SocketAddr,
    /// The TaskManagers' connections (Flink's `jobmanager.rpc.port`, 6123).
    pub rpc: SocketAddr,
    /// Bind the REST API to a non-loopback address without TLS anyway.
    pub insecure: bool,
    /// How long a job waits for slots (Flink's `slot.request.timeout`).
    pub slot_timeout: Duration,
    /// The heartbeat with the TaskManagers.
    pub heartbeat: super::protocol::Heartbeat,
}

/// Runs a JobManager until SIGTERM or SIGINT, which cancel its running jobs.
pub fn start_foreground(home: &Home, listen: &Listen) -> Result<(), String> {
    for (what, addr) in [("REST API", listen.rest), ("TaskManager listener", listen.rpc)] {
        if !addr.ip().is_loopback() && !listen.insecure {
            return Err(format!(
                "the {what} would listen on {addr} without TLS, so the cluster's token and jobs would cross the \
                 network in the clear: bind it to 127.0.0.1, or pass --insecure-bind to do it anyway"
            ));
        }
        if !addr.ip().is_loopback() {
            eprintln!("warning: the {what} listens on {addr} without TLS (--insecure-bind)");
        }
    }
    home.create()?;
    let token = home.key(&home.token_file())?;
    let secret = Secret::from_hex(&home.key(&home.secret_file())?)?;
    let rpc = std::net::TcpListener::bind(listen.rpc)
        .map_err(|e| format!("cannot listen for TaskManagers on {}: {e}", listen.rpc))?;
    let rest = std::net::TcpListener::bind(listen.rest)
        .map_err(|e| format!("cannot serve the REST API on {}: {e} (is another cluster running?)", listen.rest))?;
    let (rest_addr, rpc_addr) =
        (rest.local_addr().map_err(|e| e.to_string())?, rpc.local_addr().map_err(|e| e.to_string())?);
    write_owner_only(&home.addresses_file(), &format!("rest {rest_addr}\nrpc {rpc_addr}\n"))?;
    let mut state = State::new(home.clone());
    state.slot_timeout = listen.slot_timeout;
    state.heartbeat = listen.heartbeat;
    let state = Arc::new(Mutex::new(state));
    let accepting = state.clone();
    std::thread::spawn(move || super::taskmanager_link::accept(rpc, secret, accepting));
    // The jobs of a JobManager before this one: listed, and run again where they ran.
    super::recovery::recover(&state);
    eprintln!(
        "JobManager: REST API on http://{rest_addr}, TaskManagers connect to {rpc_addr}, home {}",
        home.dir().display()
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the JobManager's runtime: {e}"))?;
    let api = Api { state: state.clone(), token: Arc::new(token) };
    runtime.block_on(async move {
        rest.set_nonblocking(true).map_err(|e| e.to_string())?;
        let listener = tokio::net::TcpListener::from_std(rest).map_err(|e| e.to_string())?;
        axum::serve(listener, router(api))
            .with_graceful_shutdown(async {
                let signal = super::signals::terminated().await;
                eprintln!("JobManager: {signal}: cancelling the running jobs and stopping");
            })
            .await
            .map_err(|e| format!("the REST API stopped: {e}"))
    })?;
    stop_jobs(&state);
    let _ = std::fs::remove_file(home.addresses_file());
    Ok(())
}

/// Cancels every running job and waits for them to end (killing what does not in time).
fn stop_jobs(state: &super::state::Shared) {
    let running: Vec<String> =
        lock(state).jobs.iter().filter(|(_, j)| !j.state.is_terminal()).map(|(id, _)| id.clone()).collect();
    for id in &running {
        let _ = super::jobs::cancel(state, id);
    }
    let deadline = Instant::now() + STOP_GRACE;
    while Instant::now() < deadline && lock(state).jobs.values().any(|j| !j.state.is_terminal()) {
        std::thread::sleep(Duration::from_millis(50));
    }
    for job in lock(state).jobs.values().filter(|j| j.state != JobState::Finished && !j.state.is_terminal()) {
        if let Some(pid) = job.pid {
            let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        }
    }
}
