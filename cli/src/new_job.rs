//! `rill new PATH`: a job crate of the user's own, Flink's `mvn archetype:generate`. It
//! holds the quick-start word count (`src/main.rs`), a test that runs it on lines of its own
//! and checks what it printed (`tests/word_count.rs`), and a `Cargo.toml` with the `rill`
//! dependency. `cargo run --release` runs the job, `cargo test` tests it, offline.

use std::path::{Path, PathBuf};

const CARGO_TOML: &str = include_str!("../templates/job/Cargo.toml");
const MAIN_RS: &str = include_str!("../templates/job/main.rs");
const TEST_RS: &str = include_str!("../templates/job/test.rs");

/// Where Rill's runtime crate is when `rill` was built from its sources; a job crate
/// depends on it by path until the crates are published.
fn built_from() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime")
}

/// The `rill` crate to depend on: `given` (`--rill-path`), else `$RILL_SOURCE`, else the
/// sources `rill` was built from; an error that says what to give when none is there.
pub fn rill_source(given: Option<&Path>) -> Result<PathBuf, String> {
    let candidate = given
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("RILL_SOURCE").map(PathBuf::from))
        .unwrap_or_else(built_from);
    let manifest = candidate.join("Cargo.toml");
    let is_rill = std::fs::read_to_string(&manifest).is_ok_and(|m| m.lines().any(|l| l.trim() == "name = \"rill\""));
    if !is_rill {
        return Err(format!(
            "{} is not Rill's runtime crate (no Cargo.toml of the package `rill` there): give --rill-path \
             DIR (the runtime/ directory of a Rill checkout) or set RILL_SOURCE",
            candidate.display()
        ));
    }
    candidate.canonicalize().map_err(|e| format!("{}: {e}", candidate.display()))
}

/// Whether `name` can name a Cargo package (and so the job binary): a letter, then letters,
/// digits, `-` or `_`.
fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !first || !chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') || name.len() > 64 {
        return Err(format!(
            "'{name}' cannot name a crate: use a letter, then letters, digits, '-' or '_' (e.g. my-job)"
        ));
    }
    Ok(())
}

/// Creates a crate in `dir` (which must not exist), named by its last part, depending on
/// the `rill` crate at `rill`; what to type next.
pub fn create(dir: &Path, rill: &Path) -> Result<String, String> {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
    check_name(name)?;
    if dir.exists() {
        return Err(format!("{} exists already: choose another name or --path", dir.display()));
    }
    let rill = rill.to_string_lossy();
    if rill.contains('"') || rill.contains('\\') {
        return Err(format!("the path {rill} cannot be written into Cargo.toml as it is: move the checkout"));
    }
    let fill = |template: &str| template.replace("{{name}}", name).replace("{{rill}}", &rill);
    let write = |path: &str, text: String| -> Result<(), String> {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    write("Cargo.toml", fill(CARGO_TOML))?;
    write("src/main.rs", fill(MAIN_RS))?;
    write("tests/word_count.rs", fill(TEST_RS))?;
    write(".gitignore", "/target\n".to_owned())?;
    Ok(format!(
        "Created the job crate '{name}' in {}: src/main.rs (the word count), tests/word_count.rs.\n\
         Run it:   cd {} && cargo run --release\n\
         Test it:  cargo test\n",
        dir.display(),
        dir.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_cannot_name_a_crate_are_refused_and_an_existing_directory_is_kept() {
        for bad in ["", "1job", "my job", "a/b", "é"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        check_name("my-job_2").unwrap();
        let dir = std::env::temp_dir().join(format!("rill-new-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let refused = create(&dir, Path::new("/x"));
        std::fs::remove_dir(&dir).unwrap();
        assert!(refused.unwrap_err().contains("exists already"));
        assert!(create(Path::new("/"), Path::new("/x")).unwrap_err().contains("cannot name a crate"));
    }

    #[test]
    fn the_sources_rill_was_built_from_are_found_and_a_wrong_path_is_named() {
        assert!(rill_source(None).unwrap().ends_with("runtime"));
        let err = rill_source(Some(Path::new("/nonexistent"))).unwrap_err();
        assert!(err.contains("/nonexistent") && err.contains("--rill-path"), "{err}");
    }
}
