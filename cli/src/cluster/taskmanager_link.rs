//! The JobManager's end of its TaskManagers' connections: each proves the cluster's secret
//! and registers its slots, then says it is alive every second and reports the worker
//! processes that end; one that falls silent is lost, and so are the workers it ran.

use super::protocol::{ToJobManager, ToTaskManager, MAX_BINARY};
use super::state::{lock, now_ms, Shared, TaskManager};
use rill::net::auth::{self, Secret, AUTH_TIMEOUT};
use rill::net::cluster_link::News;
use rill::net::control::{read_line, LineReader};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Accepts TaskManagers on `listener` for as long as the JobManager runs. A connection that
/// does not prove the secret, or says anything but a registration, is refused and logged.
pub fn accept(listener: TcpListener, secret: Secret, state: Shared) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let (secret, state) = (secret.clone(), state.clone());
        std::thread::spawn(move || {
            let peer = stream.peer_addr().map_or_else(|_| "?".to_owned(), |a| a.to_string());
            match register(stream, &secret, &state) {
                Ok((id, stream)) => serve(id, stream, &state),
                Err(why) => tracing::warn!("refused a TaskManager connection from {peer}: {why}"),
            }
        });
    }
}

fn register(mut stream: TcpStream, secret: &Secret, state: &Shared) -> Result<(usize, TcpStream), String> {
    stream.set_read_timeout(Some(AUTH_TIMEOUT)).map_err(|e| e.to_string())?;
    auth::server(&mut stream, secret)?;
    let line = read_line(&stream).map_err(|e| format!("it did not register: {e}"))?;
    let Some(ToJobManager::Register { slots, name }) = ToJobManager::parse(&line) else {
        return Err(format!("it said '{line}' instead of registering"));
    };
    let heartbeat = lock(state).heartbeat;
    stream.set_read_timeout(Some(heartbeat.timeout)).map_err(|e| e.to_string())?;
    let writer = Arc::new(Mutex::new(stream.try_clone().map_err(|e| e.to_string())?));
    let mut state = lock(state);
    let id = state.next_taskmanager;
    state.next_taskmanager += 1;
    writeln!(stream, "{}", ToTaskManager::Registered(id, heartbeat).line()).map_err(|e| e.to_string())?;
    // The JobManager's side of the heartbeat: a TaskManager that stops hearing it (a hung
    // JobManager, not only a closed connection) treats the JobManager as gone.
    let beat = writer.clone();
    std::thread::spawn(move || loop {
        std::thread::sleep(heartbeat.interval);
        let mut w = beat.lock().unwrap_or_else(|p| p.into_inner());
        if writeln!(w, "{}", ToTaskManager::Alive.line()).is_err() {
            return;
        }
    });
    tracing::info!("TaskManager {id} ({name}) registered with {slots} slots");
    state.taskmanagers.insert(
        id,
        TaskManager {
            name,
            slots,
            free: slots,
            last_heartbeat: Instant::now(),
            since: now_ms(),
            writer,
            binaries: Default::default(),
            memory: None,
        },
    );
    Ok((id, stream))
}

/// Reads TaskManager `id`'s heartbeats and reports until it goes away or falls silent.
fn serve(id: usize, stream: TcpStream, state: &Shared) {
    let mut lines = LineReader::new(&stream);
    let why = loop {
        match lines.next_line() {
            Ok(line) => match ToJobManager::parse(&line) {
                Some(ToJobManager::Alive(memory)) => {
                    if let Some(tm) = lock(state).taskmanagers.get_mut(&id) {
                        tm.last_heartbeat = Instant::now();
                        tm.memory = memory;
                    }
                }
                Some(ToJobManager::Exited { job, index, how }) => tell_job(state, &job, News::Exited(index, how)),
                Some(ToJobManager::Unkept(sha)) => {
                    if let Some(tm) = lock(state).taskmanagers.get_mut(&id) {
                        tm.binaries.remove(&sha);
                    }
                }
                _ => break format!("it said '{line}'"),
            },
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                break format!("no heartbeat for {} ms", lock(state).heartbeat.timeout.as_millis())
            }
            Err(e) => break format!("its connection ended ({e})"),
        }
    };
    // Closed for every clone (the heartbeat's too): a TaskManager that was only silent (a
    // stopped process) finds its connection gone when it wakes, and registers again.
    let _ = stream.shutdown(std::net::Shutdown::Both);
    lost(id, &why, state);
}

/// TaskManager `id` is gone: the workers it ran are reported dead to their jobs'
/// coordinators, which restart or fail their jobs.
fn lost(id: usize, why: &str, state: &Shared) {
    let mut state = lock(state);
    let Some(tm) = state.taskmanagers.remove(&id) else { return };
    tracing::warn!("TaskManager {id} ({}) lost: {why}", tm.name);
    for job in state.jobs.values().filter(|j| !j.state.is_terminal()) {
        for (index, _) in job.placement.iter().enumerate().filter(|(_, t)| **t == id) {
            if let Some(link) = &job.link {
                let news = News::Exited(index, format!("was lost with TaskManager {id} ({why})"));
                let _ = writeln!(link.lock().unwrap_or_else(|p| p.into_inner()), "{}", news.line());
            }
        }
    }
}

/// Passes news of a worker to its job's coordinator.
pub fn tell_job(state: &Shared, job: &str, news: News) {
    let link = lock(state).jobs.get(job).and_then(|j| j.link.clone());
    if let Some(link) = link {
        let _ = writeln!(link.lock().unwrap_or_else(|p| p.into_inner()), "{}", news.line());
    }
}

/// Sends `message` to TaskManager `id`; an error if it is gone.
pub fn send(state: &Shared, id: usize, message: &ToTaskManager) -> Result<(), String> {
    let writer = lock(state).taskmanagers.get(&id).map(|tm| tm.writer.clone());
    let writer = writer.ok_or_else(|| format!("TaskManager {id} is gone"))?;
    let mut stream = writer.lock().unwrap_or_else(|p| p.into_inner());
    writeln!(stream, "{}", message.line()).map_err(|e| format!("cannot reach TaskManager {id}: {e}"))
}

/// Sends TaskManager `id` the job binary `sha` unless it has it already.
pub fn send_binary(state: &Shared, id: usize, sha: &str) -> Result<(), String> {
    let (writer, path) = {
        let state = lock(state);
        let tm = state.taskmanagers.get(&id).ok_or_else(|| format!("TaskManager {id} is gone"))?;
        if tm.binaries.contains(sha) {
            return Ok(());
        }
        (tm.writer.clone(), state.home.jars().join(sha))
    };
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read job binary {}: {e}", path.display()))?;
    if bytes.len() as u64 > MAX_BINARY {
        return Err(format!("job binary {sha} is larger than {MAX_BINARY} bytes"));
    }
    {
        let mut stream = writer.lock().unwrap_or_else(|p| p.into_inner());
        writeln!(stream, "{}", ToTaskManager::Binary(sha.to_owned(), bytes.len() as u64).line())
            .and_then(|_| stream.write_all(&bytes))
            .map_err(|e| format!("cannot send the job binary to TaskManager {id}: {e}"))?;
    }
    if let Some(tm) = lock(state).taskmanagers.get_mut(&id) {
        tm.binaries.insert(sha.to_owned());
    }
    Ok(())
}
