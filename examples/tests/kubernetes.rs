//! The deployment of `deploy/`: its Kubernetes manifests validated offline against the
//! Kubernetes schemas (strictly: a misspelled field fails), the image they name built from
//! `deploy/Dockerfile` with the binaries and user they expect, and their entry points run as
//! processes, exactly as written in the manifests, each "pod" with a home and address of
//! its own (127.0.0.x): a session cluster that runs a job submitted over HTTPS, and an
//! application that runs its job and stops. No Kubernetes runs here; what differs is only
//! what Kubernetes supplies: the pod's IP and name, its mounted Secrets, the Service's name.

mod processes;

use processes::{certificates, final_counts, job_id, rill_bin, text, wait_for};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::Duration;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

fn manifests() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for mode in ["session", "application"] {
        for entry in std::fs::read_dir(root().join("deploy/kubernetes").join(mode)).unwrap().flatten() {
            if entry.path().extension().is_some_and(|e| e == "yaml") {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    files
}

fn validate(files: &[PathBuf]) -> Output {
    Command::new(root().join("scripts/kube-validate")).args(files).output().expect("scripts/kube-validate runs")
}

#[test]
fn the_manifests_are_valid_kubernetes_and_a_misspelled_field_is_caught() {
    let files = manifests();
    assert_eq!(files.len(), 5, "{files:?}");
    let out = validate(&files);
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{said}");
    // Every resource: session (Deployment, Service, Deployment, NetworkPolicy), application
    // (Job, Service, Deployment, NetworkPolicy).
    assert_eq!(said.matches(" passed for resource ").count(), 8, "{said}");

    let dir = tempfile::tempdir().unwrap();
    let wrong = dir.path().join("taskmanager.yaml");
    let good = std::fs::read_to_string(root().join("deploy/kubernetes/session/taskmanager.yaml")).unwrap();
    std::fs::write(&wrong, good.replace("volumeMounts:", "volumeMount:")).unwrap();
    let out = validate(&[wrong]);
    assert!(!out.status.success(), "a field Kubernetes does not know fails: {}", text(&out.stdout));
}

/// The containers' commands in a manifest: its `command: [...]` lines (JSON flow sequences).
fn commands(manifest: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(root().join("deploy/kubernetes").join(manifest)).unwrap();
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("command: "))
        .map(|json| serde_json::from_str(json).unwrap_or_else(|e| panic!("{manifest}: {json}: {e}")))
        .collect()
}

#[test]
fn the_image_has_what_the_manifests_run() {
    let dockerfile = std::fs::read_to_string(root().join("deploy/Dockerfile")).unwrap();
    let copies: Vec<&str> = dockerfile.lines().filter(|l| l.starts_with("COPY --from=build")).collect();
    assert!(copies.iter().any(|l| l.ends_with("/release/rill /usr/local/bin/rill")), "{copies:?}");
    for manifest in ["session/jobmanager.yaml", "session/taskmanager.yaml", "application/jobmanager.yaml"] {
        for command in commands(manifest) {
            match command[0].strip_prefix("/opt/rill/jobs/") {
                Some(job) => {
                    assert!(copies.iter().any(|l| l.contains(&format!("/release/{job} "))), "{job} is in the image");
                    assert!(dockerfile.contains(&format!("--bin {job}")), "{job} is built");
                }
                None => assert_eq!(command[0], "rill", "{manifest}"),
            }
        }
        let yaml = std::fs::read_to_string(root().join("deploy/kubernetes").join(manifest)).unwrap();
        assert!(
            yaml.contains("runAsUser: 10001") && dockerfile.contains("--uid 10001"),
            "{manifest}: the image's user"
        );
    }
    assert!(dockerfile.contains("RILL_CLI=/usr/local/bin/rill"), "--application finds rill");
}

/// A pod: a home of its own with the Secrets Kubernetes mounts into it (read-only files),
/// and its processes, killed when it goes.
struct Pod {
    home: tempfile::TempDir,
    ip: &'static str,
    name: &'static str,
    children: Vec<Child>,
}

impl Pod {
    fn new(ip: &'static str, name: &'static str, keys: &Keys, token: bool) -> Pod {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let mut files = vec![("secret", &keys.secret)];
        if token {
            files.push(("token", &keys.token));
        }
        for (name, value) in files {
            let path = home.path().join(name);
            std::fs::write(&path, value).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o440)).unwrap();
        }
        Pod { home, ip, name, children: Vec::new() }
    }

    /// Runs a manifest's command here: the pod's variables put in, and what only Kubernetes
    /// provides replaced (`replace`: the TLS Secret's files, the Service's address).
    fn run(&mut self, command: &[String], replace: &[(&str, String)]) -> &mut Child {
        let args: Vec<String> = command
            .iter()
            .map(|a| {
                let a = a.replace("$(POD_IP)", self.ip).replace("$(POD_NAME)", self.name);
                replace.iter().find(|(from, _)| *from == a).map_or(a, |(_, to)| to.clone())
            })
            .collect();
        let program = match args[0].as_str() {
            "rill" => rill_bin().to_owned(),
            "/opt/rill/jobs/word_count" => PathBuf::from(env!("CARGO_BIN_EXE_word_count")),
            other => panic!("a command the test does not know: {other}"),
        };
        let log = std::fs::File::create(self.home.path().join("container.log")).unwrap();
        let child = Command::new(program)
            .args(&args[1..])
            .env("RILL_HOME", self.home.path())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.children.push(child);
        self.children.last_mut().unwrap()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.home.path().join("container.log")).unwrap_or_default()
    }

    /// The REST and TaskManager ports its JobManager listens on.
    fn ports(&self) -> (u16, u16) {
        let path = self.home.path().join("jobmanager.addr");
        wait_for("the JobManager", Duration::from_secs(20), || path.exists());
        let text = std::fs::read_to_string(path).unwrap();
        let port = |what: &str| {
            let line = text.lines().find_map(|l| l.strip_prefix(what)).unwrap();
            line.rsplit_once(':').unwrap().1.parse().unwrap()
        };
        (port("rest "), port("rpc "))
    }

    fn printed(&self) -> String {
        std::fs::read_to_string(self.home.path().join(format!("log/{}.out", self.name))).unwrap_or_default()
    }
}

impl Drop for Pod {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The `rill-keys` Secret.
struct Keys {
    secret: String,
    token: String,
}

impl Keys {
    fn new() -> Keys {
        use std::io::Read;
        let mut random = [0u8; 64];
        std::fs::File::open("/dev/urandom").unwrap().read_exact(&mut random).unwrap();
        let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect();
        Keys { secret: hex(&random[..32]), token: hex(&random[32..]) }
    }
}

/// The TLS Secret's files and the Service's address, as the manifests name them.
fn kubernetes_supplies<'a>(
    tls: &(PathBuf, PathBuf, PathBuf),
    service: &'a str,
    rpc: Option<String>,
) -> Vec<(&'a str, String)> {
    let (_, chain, key) = tls;
    let mut replace = vec![
        ("/etc/rill/tls/tls.crt", chain.display().to_string()),
        ("/etc/rill/tls/tls.key", key.display().to_string()),
        // The container ports, free ones here (several tests run at once).
        ("0.0.0.0:8081", "0.0.0.0:0".to_owned()),
        ("0.0.0.0:6123", "0.0.0.0:0".to_owned()),
    ];
    if let Some(rpc) = rpc {
        replace.push((service, rpc));
    }
    replace
}

#[test]
fn the_session_clusters_entry_points_run_a_job_submitted_over_https() {
    let certs = tempfile::tempdir().unwrap();
    let tls = certificates(certs.path());
    let keys = Keys::new();
    let mut jobmanager = Pod::new("127.0.0.2", "rill-jobmanager-0", &keys, true);
    let [jm_command] = &commands("session/jobmanager.yaml")[..] else { panic!("one container") };
    jobmanager.run(jm_command, &kubernetes_supplies(&tls, "", None));
    let (rest, rpc) = jobmanager.ports();
    let service = format!("{}:{rpc}", jobmanager.ip);
    let [tm_command] = &commands("session/taskmanager.yaml")[..] else { panic!("one container") };
    let mut taskmanagers = [("127.0.0.3", "rill-taskmanager-a"), ("127.0.0.4", "rill-taskmanager-b")]
        .map(|(ip, name)| Pod::new(ip, name, &keys, false));
    for tm in &mut taskmanagers {
        tm.run(tm_command, &kubernetes_supplies(&tls, "rill-jobmanager:6123", Some(service.clone())));
    }
    wait_for("both TaskManagers", Duration::from_secs(20), || jobmanager.log().matches("registered with").count() == 2);

    // A user with the token and the CA submits the word count over HTTPS, wide enough for
    // the slots of both TaskManagers.
    let user = tempfile::tempdir().unwrap();
    std::fs::write(user.path().join("token"), &keys.token).unwrap();
    let word_count = env!("CARGO_BIN_EXE_word_count");
    let out = Command::new(rill_bin())
        .args(["run", "-p", "4", "-m", &format!("https://127.0.0.1:{rest}"), word_count])
        .env("RILL_HOME", user.path())
        .env("RILL_REST_CA", &tls.0)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}\n{}", text(&out.stderr), jobmanager.log());
    let id = job_id(&stdout);
    assert!(stdout.contains(&format!("Job with JobID {id} has finished.")), "{stdout}");
    let printed: String = taskmanagers.iter().map(Pod::printed).collect();
    assert!(taskmanagers.iter().all(|tm| !tm.printed().is_empty()), "both TaskManagers ran a share");
    let alone = Command::new(word_count).args(["-p", "4"]).output().unwrap();
    assert_eq!(final_counts(&printed), final_counts(&text(&alone.stdout)));
    assert!(jobmanager.log().contains("jobs listen on 127.0.0.2"), "{}", jobmanager.log());
}

#[test]
fn the_applications_entry_points_run_its_job_and_stop() {
    let certs = tempfile::tempdir().unwrap();
    let tls = certificates(certs.path());
    let keys = Keys::new();
    let mut jobmanager = Pod::new("127.0.0.5", "rill-word-count-0", &keys, true);
    let [jm_command] = &commands("application/jobmanager.yaml")[..] else { panic!("one container") };
    jobmanager.run(jm_command, &kubernetes_supplies(&tls, "", None));
    let (_, rpc) = jobmanager.ports();
    let service = format!("{}:{rpc}", jobmanager.ip);
    let [tm_command] = &commands("application/taskmanager.yaml")[..] else { panic!("one container") };
    let mut taskmanagers =
        [("127.0.0.6", "rill-word-count-taskmanager-a"), ("127.0.0.7", "rill-word-count-taskmanager-b")]
            .map(|(ip, name)| Pod::new(ip, name, &keys, false));
    for tm in &mut taskmanagers {
        tm.run(tm_command, &kubernetes_supplies(&tls, "rill-word-count:6123", Some(service.clone())));
    }
    // The Kubernetes Job completes when its container exits 0: when the Rill job finished.
    let status = jobmanager.children[0].wait().unwrap();
    assert!(status.success(), "{}", jobmanager.log());
    let printed: String = taskmanagers.iter().map(Pod::printed).collect();
    let alone = Command::new(env!("CARGO_BIN_EXE_word_count")).args(["-p", "2"]).output().unwrap();
    assert_eq!(final_counts(&printed), final_counts(&text(&alone.stdout)));
    assert!(jobmanager.log().contains("the application's job is FINISHED"), "{}", jobmanager.log());
}
