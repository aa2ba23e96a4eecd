//! The cluster home (`$RILL_HOME`): where a session cluster keeps its token and secret, pid
//! files, logs, uploaded job binaries and the addresses its JobManager listens on. Never
//! under `/tmp`, where cleaners take pid files from under a running cluster (Flink's
//! `start-cluster.sh` keeps them there).

use std::io::Write;
use std::path::{Path, PathBuf};

/// The variable that names the cluster home.
pub const HOME_ENV: &str = "RILL_HOME";

/// A cluster home directory and the files in it.
#[derive(Debug, Clone)]
pub struct Home {
    dir: PathBuf,
}

impl Home {
    /// `$RILL_HOME`, else `$XDG_STATE_HOME/rill/cluster`, else `~/.local/state/rill/cluster`.
    pub fn from_env() -> Result<Home, String> {
        if let Some(dir) = std::env::var_os(HOME_ENV).filter(|d| !d.is_empty()) {
            return Ok(Home { dir: PathBuf::from(dir) });
        }
        let state = match std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
                Some(home) => PathBuf::from(home).join(".local/state"),
                None => return Err(format!("no cluster home: set {HOME_ENV} (or HOME)")),
            },
        };
        Ok(Home { dir: state.join("rill/cluster") })
    }

    /// The home at `dir`.
    pub fn at(dir: impl Into<PathBuf>) -> Home {
        Home { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The bearer token that every changing REST request carries (owner-only).
    pub fn token_file(&self) -> PathBuf {
        self.dir.join("token")
    }

    /// The secret TaskManagers prove to the JobManager (owner-only).
    pub fn secret_file(&self) -> PathBuf {
        self.dir.join("secret")
    }

    /// Where the JobManager says it listens: `rest ADDR` and `rpc ADDR` lines.
    pub fn addresses_file(&self) -> PathBuf {
        self.dir.join("jobmanager.addr")
    }

    /// Uploaded job binaries, each named by its sha256.
    pub fn jars(&self) -> PathBuf {
        self.dir.join("jars")
    }

    /// Log files: `jobmanager.log`, `taskmanager-N.log` and `.out`, `job-ID.log`.
    pub fn logs(&self) -> PathBuf {
        self.dir.join("log")
    }

    /// Pid files of the processes `rill cluster start` started.
    pub fn pids(&self) -> PathBuf {
        self.dir.join("pid")
    }

    /// A TaskManager's own directory (the job binaries it was sent).
    pub fn taskmanager(&self, name: &str) -> PathBuf {
        self.dir.join("taskmanagers").join(name)
    }

    /// Creates the home and its directories, readable by its owner only.
    pub fn create(&self) -> Result<(), String> {
        for dir in [self.dir.clone(), self.jars(), self.logs(), self.pids()] {
            std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            owner_only(&dir, 0o700)?;
        }
        Ok(())
    }

    /// The 64-hex-digit content of `file`, made if missing (owner-only).
    pub fn key(&self, file: &Path) -> Result<String, String> {
        if let Ok(text) = std::fs::read_to_string(file) {
            let text = text.trim().to_owned();
            if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Ok(text);
            }
            return Err(format!("{} does not hold 64 hex digits: remove it to make a new one", file.display()));
        }
        self.create()?;
        let key = rill::net::auth::Secret::generate().map_err(|e| format!("cannot make a key: {e}"))?.to_hex();
        write_owner_only(file, &key)?;
        Ok(key)
    }

    /// The REST address and the TaskManagers' address the JobManager wrote.
    pub fn addresses(&self) -> Option<(String, String)> {
        let text = std::fs::read_to_string(self.addresses_file()).ok()?;
        let find = |what: &str| text.lines().find_map(|l| l.strip_prefix(what)).map(str::to_owned);
        Some((find("rest ")?, find("rpc ")?))
    }

    /// Keeps a job binary in `jars/` under its sha256 (never a name from a client), owner-only
    /// and executable; its sha256.
    pub fn store_jar(&self, bytes: &[u8]) -> Result<String, String> {
        use sha2::Digest;
        use std::os::unix::fs::PermissionsExt;
        let sha: String = sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
        let (path, tmp) = (self.jars().join(&sha), self.jars().join(format!("{sha}.part")));
        let stored = std::fs::write(&tmp, bytes)
            .and_then(|()| std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o700)))
            .and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = stored {
            let _ = std::fs::remove_file(&tmp);
            return Err(format!("cannot store the job binary in {}: {e}", self.jars().display()));
        }
        Ok(sha)
    }

    /// The certificate chain of the JobManager's REST API, if it serves HTTPS.
    pub fn rest_cert(&self) -> Option<PathBuf> {
        let text = std::fs::read_to_string(self.addresses_file()).ok()?;
        text.lines().find_map(|l| l.strip_prefix("rest-cert ")).map(PathBuf::from)
    }
}

/// Writes `text` to a new file that only its owner can read.
pub fn write_owner_only(path: &Path, text: &str) -> Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt;
    let _ = std::fs::remove_file(path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    file.write_all(text.as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn owner_only(path: &Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("cannot restrict {}: {e}", path.display()))
}
