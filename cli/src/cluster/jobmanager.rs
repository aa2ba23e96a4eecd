//! `rill jobmanager start-foreground`: the REST API, the TaskManagers' listener and the
//! jobs, in one process. Listens on loopback unless told otherwise. Binding the REST API to
//! another address without TLS is refused unless forced, since its token would cross the
//! network in the clear; so is binding the TaskManagers' listener to one, since its
//! connections (and the jobs' exchanges) prove the cluster's secret but are not encrypted.

use super::api::Api;
use super::home::{write_owner_only, Home};
use super::rest::router;
use super::state::{lock, JobState, State};
use rill::net::auth::Secret;
use std::net::{IpAddr, SocketAddr};
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
    /// Where the jobs' coordinators listen for their workers, which is also where those
    /// reach them (Flink's `jobmanager.rpc.address`): the rpc address's IP unless that is
    /// 0.0.0.0 or ::, which needs this named.
    pub host: Option<IpAddr>,
    /// The REST API's certificate and key: it serves HTTPS.
    pub tls: Option<super::tls::Files>,
    /// Bind to a non-loopback address without TLS anyway.
    pub insecure: bool,
    /// How long a job waits for slots (Flink's `slot.request.timeout`).
    pub slot_timeout: Duration,
    /// The heartbeat with the TaskManagers.
    pub heartbeat: super::protocol::Heartbeat,
    /// Application mode: the one job this JobManager runs, and stops after.
    pub application: Option<super::application::Application>,
}

/// Runs a JobManager until SIGTERM or SIGINT, which cancel its running jobs, or in
/// application mode until its job ends; the exit code (application mode: 0 if the job
/// finished, 1 if not).
pub fn start_foreground(home: &Home, listen: &Listen) -> Result<u8, String> {
    check_binds(listen)?;
    let host = match (listen.host, listen.rpc.ip()) {
        (Some(host), _) => host,
        (None, ip) if !ip.is_unspecified() => ip,
        (None, ip) => {
            return Err(format!(
                "with --rpc-address {ip} the coordinators of jobs need an address the TaskManagers reach this \
                 machine at: pass --host IP"
            ))
        }
    };
    let acceptor = listen.tls.as_ref().map(super::tls::acceptor).transpose()?;
    home.create()?;
    let token = home.key(&home.token_file())?;
    let secret = Secret::from_hex(&home.key(&home.secret_file())?)?;
    let rpc = std::net::TcpListener::bind(listen.rpc)
        .map_err(|e| format!("cannot listen for TaskManagers on {}: {e}", listen.rpc))?;
    let rest = std::net::TcpListener::bind(listen.rest)
        .map_err(|e| format!("cannot serve the REST API on {}: {e} (is another cluster running?)", listen.rest))?;
    let (rest_addr, rpc_addr) =
        (rest.local_addr().map_err(|e| e.to_string())?, rpc.local_addr().map_err(|e| e.to_string())?);
    let scheme = if acceptor.is_some() { "https" } else { "http" };
    let mut addresses = format!("rest {rest_addr}\nrpc {rpc_addr}\n");
    if let Some(files) = &listen.tls {
        // Clients of this home trust the certificates of the chain (its CA, if it holds it).
        let chain = std::fs::canonicalize(&files.cert).map_err(|e| format!("{}: {e}", files.cert.display()))?;
        addresses.push_str(&format!("rest-cert {}\n", chain.display()));
    }
    write_owner_only(&home.addresses_file(), &addresses)?;
    let mut state = State::new(home.clone());
    state.host = host;
    state.slot_timeout = listen.slot_timeout;
    state.heartbeat = listen.heartbeat;
    let state = Arc::new(Mutex::new(state));
    let accepting = state.clone();
    std::thread::spawn(move || super::taskmanager_link::accept(rpc, secret, accepting));
    // The jobs of a JobManager before this one: listed, and run again where they ran (an
    // application's JobManager runs its one job afresh instead).
    if listen.application.is_none() {
        super::recovery::recover(&state);
    }
    tracing::info!(
        "JobManager: REST API on {scheme}://{rest_addr}, TaskManagers connect to {rpc_addr}, jobs listen on {host}, \
         home {}",
        home.dir().display()
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the JobManager's runtime: {e}"))?;
    // Application mode: its job, and the end of the job ends the JobManager.
    let (ended_tx, ended) = tokio::sync::oneshot::channel::<JobState>();
    let application = match &listen.application {
        Some(app) => {
            let id = super::application::start(home, &state, rpc_addr, app)?;
            let (shared, job) = (state.clone(), id.clone());
            std::thread::spawn(move || {
                let _ = ended_tx.send(super::application::wait(&shared, &job));
            });
            Some(id)
        }
        None => None,
    };
    let api = Api { state: state.clone(), token: Arc::new(token) };
    runtime.block_on(async move {
        rest.set_nonblocking(true).map_err(|e| e.to_string())?;
        let listener = tokio::net::TcpListener::from_std(rest).map_err(|e| e.to_string())?;
        let stopped = async {
            let job_ended = async {
                match ended.await {
                    Ok(state) => state,
                    Err(_) => std::future::pending().await,
                }
            };
            tokio::select! {
                signal = super::signals::terminated() => {
                    tracing::info!("JobManager: {signal}: cancelling the running jobs and stopping");
                }
                state = job_ended => tracing::info!("JobManager: the application's job is {}: stopping", state.name()),
            }
        };
        match acceptor {
            Some(acceptor) => {
                let listener = super::tls::Listener::new(listener, acceptor).map_err(|e| e.to_string())?;
                axum::serve(listener, router(api)).with_graceful_shutdown(stopped).await
            }
            None => axum::serve(listener, router(api)).with_graceful_shutdown(stopped).await,
        }
        .map_err(|e| format!("the REST API stopped: {e}"))
    })?;
    stop_jobs(&state);
    let Some(id) = application else {
        let _ = std::fs::remove_file(home.addresses_file());
        return Ok(0);
    };
    super::application::stop_taskmanagers(home);
    let _ = std::fs::remove_file(home.addresses_file());
    let finished = lock(&state).jobs.get(&id).is_some_and(|j| j.state == JobState::Finished);
    Ok(u8::from(!finished))
}

/// Refuses a listener on the network that would carry the cluster's token or jobs in the
/// clear, unless forced (then warns).
fn check_binds(listen: &Listen) -> Result<(), String> {
    let rest_in_clear = !listen.rest.ip().is_loopback() && listen.tls.is_none();
    if rest_in_clear && !listen.insecure {
        return Err(format!(
            "the REST API would listen on {} without TLS, so the cluster's token would cross the network in the \
             clear: give it --rest-tls-cert and --rest-tls-key, bind it to 127.0.0.1, or pass --insecure-bind",
            listen.rest
        ));
    }
    if rest_in_clear {
        tracing::warn!("the REST API listens on {} without TLS (--insecure-bind)", listen.rest);
    }
    if !listen.rpc.ip().is_loopback() {
        if !listen.insecure {
            return Err(format!(
                "the TaskManager listener would listen on {}: its connections and the jobs' exchanges prove the \
                 cluster's secret but are not encrypted, so run it on a network you trust and pass --insecure-bind \
                 to say so, or bind it to 127.0.0.1",
                listen.rpc
            ));
        }
        tracing::warn!(
            "the TaskManager listener listens on {}; records and job binaries cross the network \
             unencrypted (--insecure-bind)",
            listen.rpc
        );
    }
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
