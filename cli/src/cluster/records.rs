//! A job's record in the cluster home: `jobs/<id>.json` (its binary's sha256, how it was
//! asked to run, its state), written at each change of its state, and `jobs/<id>.checkpoints`
//! (where its coordinator writes its checkpoints), for the JobManager that comes next
//! ([`super::recovery`]).

use super::home::Home;
use super::state::State;
use serde_json::json;

/// Where the records are.
pub fn jobs_dir(home: &Home) -> std::path::PathBuf {
    home.dir().join("jobs")
}

/// The file in which job `id`'s coordinator says where its checkpoints go (its directory is
/// made here, before the coordinator starts and writes it).
pub fn checkpoints_file(home: &Home, id: &str) -> std::path::PathBuf {
    let _ = std::fs::create_dir_all(jobs_dir(home));
    jobs_dir(home).join(format!("{id}.checkpoints"))
}

/// Where the coordinator of job `id` writes how it ended.
pub fn outcome_file(home: &Home, id: &str) -> std::path::PathBuf {
    let _ = std::fs::create_dir_all(jobs_dir(home));
    jobs_dir(home).join(format!("{id}.outcome"))
}

/// Writes what is known of job `id` (written again at each change of its state).
pub fn persist(state: &State, id: &str) {
    let Some(job) = state.jobs.get(id) else { return };
    let r = &job.request;
    let record = json!({
        "id": id,
        "name": job.name,
        "jar": job.jar,
        "state": job.state.name(),
        "start": job.start,
        "end": job.end,
        "failure": job.failure,
        "savepoint": job.savepoint,
        "request": {
            "parallelism": r.parallelism,
            "args": r.args,
            "savepoint": r.savepoint,
            "allowNonRestoredState": r.allow_non_restored_state,
            "flags": r.flags,
        },
    });
    let dir = jobs_dir(&state.home);
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        let tmp = dir.join(format!("{id}.json.part"));
        std::fs::write(&tmp, record.to_string())?;
        std::fs::rename(&tmp, dir.join(format!("{id}.json")))
    });
    if let Err(e) = written {
        tracing::warn!(
            "job {id}: cannot keep its record in {} ({e}): a restarted JobManager will not know it",
            dir.display()
        );
    }
}
