//! `rill new` beyond the README's three commands (which `readme.rs` runs): the files it
//! writes, the job's parameter given wrong (a usage error), and what it refuses: a name
//! that cannot name a crate, a directory that exists, a path that is not Rill's.

mod processes;

use processes::{rill_bin, text};
use std::path::Path;
use std::process::{Command, Output};

/// `cargo ARGS` in `dir`, offline. The build shares the project's target directory, so
/// that what the project built already (the `rill` crate and its dependencies, with the
/// same profiles) is not built again.
fn cargo(dir: &Path, args: &[&str]) -> Output {
    let target = rill_bin().parent().and_then(Path::parent).expect("target/debug/rill");
    Command::new(env!("CARGO"))
        .args(args)
        .arg("--offline")
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .expect("cargo runs")
}

#[test]
fn rill_new_writes_the_crate_and_refuses_what_cannot_work() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(rill_bin()).args(["new", "my-job"]).current_dir(home.path()).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("cargo run --release"), "{}", text(&out.stdout));
    let krate = home.path().join("my-job");
    for file in ["Cargo.toml", "src/main.rs", "tests/word_count.rs", ".gitignore"] {
        assert!(krate.join(file).is_file(), "{file}");
    }
    let manifest = std::fs::read_to_string(krate.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("name = \"my-job\"") && manifest.contains("rill = { path = \""), "{manifest}");

    // Its parameter, wrong: a usage error that names it, exit 2.
    let bad = cargo(&krate, &["run", "--release", "-q", "--", "--", "--input", "/nonexistent/lines"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
    assert!(text(&bad.stderr).contains("cannot read --input /nonexistent/lines"), "{}", text(&bad.stderr));

    // What rill new refuses, each with what to do.
    let again = Command::new(rill_bin()).args(["new", "my-job"]).current_dir(home.path()).output().unwrap();
    assert!(!again.status.success() && text(&again.stderr).contains("exists already"), "{}", text(&again.stderr));
    let bad_name = Command::new(rill_bin()).args(["new", "1 job"]).current_dir(home.path()).output().unwrap();
    assert!(!bad_name.status.success() && text(&bad_name.stderr).contains("cannot name a crate"));
    let nowhere = Command::new(rill_bin())
        .args(["new", "other", "--rill-path", "/nonexistent"])
        .current_dir(home.path())
        .output()
        .unwrap();
    assert!(!nowhere.status.success() && text(&nowhere.stderr).contains("--rill-path"), "{}", text(&nowhere.stderr));
    assert!(!home.path().join("other").exists(), "nothing is left of a refused crate");
}
