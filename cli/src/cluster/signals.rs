//! The signals that stop a cluster process: SIGTERM (`rill cluster stop`, a container
//! runtime) and SIGINT (Ctrl-C in the terminal of a process run in the foreground).

/// Waits for SIGTERM or SIGINT; which one came.
pub async fn terminated() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        // Without handlers the default actions stop the process anyway.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}
