//! What a JobManager keeps in the cluster home so that another one, started after it died,
//! takes its jobs over (as Flink's HA services keep job graphs and checkpoint pointers):
//! each job as `jobs/<id>.json` (its binary's sha256, how it was asked to run, its state),
//! and where its coordinator writes its checkpoints (`jobs/<id>.checkpoints`). Jobs that
//! had ended are listed again; jobs that were running run again from their last completed
//! checkpoint, once the TaskManagers have registered again.

use super::jobs::start_when_placed;
use super::records::{checkpoints_file, jobs_dir};
use super::state::{lock, Job, JobState, RunRequest, Shared};
use serde_json::Value;

/// Reads the jobs a JobManager before this one kept: ended ones into the list, running ones
/// started again (each on a thread of its own, once it has slots).
pub fn recover(shared: &Shared) {
    let dir = jobs_dir(&lock(shared).home);
    let Ok(entries) = std::fs::read_dir(&dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let Some(record) = std::fs::read(&path).ok().and_then(|b| serde_json::from_slice::<Value>(&b).ok()) else {
            tracing::warn!("cannot read the job record {}: skipped", path.display());
            continue;
        };
        let Some(id) = record["id"].as_str().and_then(super::protocol::is_job_id).map(str::to_owned) else { continue };
        let request = RunRequest {
            parallelism: record["request"]["parallelism"].as_u64().map(|p| p as usize),
            args: strings(&record["request"]["args"]),
            savepoint: record["request"]["savepoint"].as_str().map(str::to_owned),
            allow_non_restored_state: record["request"]["allowNonRestoredState"].as_bool().unwrap_or(false),
            flags: strings(&record["request"]["flags"]),
        };
        let state = match record["state"].as_str() {
            Some("FINISHED") => JobState::Finished,
            Some("CANCELED") => JobState::Canceled,
            Some("FAILED") => JobState::Failed,
            // Running when the JobManager before died: waiting for its slots again.
            _ => JobState::Created,
        };
        let job = Job {
            name: record["name"].as_str().unwrap_or("job").to_owned(),
            jar: record["jar"].as_str().unwrap_or("").to_owned(),
            state,
            start: record["start"].as_u64().unwrap_or(0),
            end: record["end"].as_u64(),
            parallelism: request.parallelism.unwrap_or(1),
            plan: Value::Null,
            placement: Vec::new(),
            pid: None,
            failure: record["failure"].as_str().map(str::to_owned),
            link: None,
            stop_trigger: None,
            savepoint: record["savepoint"].as_str().map(str::to_owned),
            savepoints: Vec::new(),
            request,
            metrics: Default::default(),
            user_metrics: Default::default(),
            checkpoints: Default::default(),
        };
        let running = !state.is_terminal();
        lock(shared).jobs.insert(id.clone(), job);
        if running {
            let shared = shared.clone();
            std::thread::spawn(move || run_again(&shared, &id));
        }
    }
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect()
}

/// Runs job `id` again from its last completed checkpoint (or how it first started), once
/// its slots are there; fails it if they do not come.
fn run_again(shared: &Shared, id: &str) {
    let (home, jar, mut request, start_ms) = {
        let s = lock(shared);
        let Some(job) = s.jobs.get(id) else { return };
        (s.home.clone(), job.jar.clone(), job.request.clone(), job.start)
    };
    let checkpoints = std::fs::read_to_string(checkpoints_file(&home, id)).ok();
    let latest = checkpoints.as_deref().and_then(|dir| {
        let storage = rill::checkpoint::CheckpointStorage::new(dir.trim().into());
        storage.completed_ids().last().map(|n| storage.dir().join(format!("chk-{n}")))
    });
    if let Some(latest) = &latest {
        request.savepoint = Some(latest.display().to_string());
        request.allow_non_restored_state = false;
    }
    let from = latest.as_ref().map_or_else(|| "its start".to_owned(), |p| format!("checkpoint {}", p.display()));
    match start_when_placed(shared, id, &jar, &request, start_ms) {
        Ok(()) => tracing::info!("job {id} recovered from {from}"),
        Err(why) => tracing::warn!("job {id} cannot be recovered: {why}"),
    }
}
