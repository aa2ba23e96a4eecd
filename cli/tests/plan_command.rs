//! `rill plan` as a user runs it.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

const RILL: &str = env!("CARGO_BIN_EXE_rill");

/// A stand-in job binary: answers `--plan [-p N]` as a Rill job does.
fn fake_job() -> PathBuf {
    let path = std::env::temp_dir().join(format!("rill-fake-job-{}", std::process::id()));
    let script = r#"#!/bin/sh
[ "$1" = "--plan" ] || exit 3
p=${3:-4}
echo "{\"job\":\"fake\",\"default_parallelism\":$p,\"chains\":[{\"id\":0,\"name\":\"Source: from_sequence -> Map\",\"parallelism\":$p,\"max_parallelism\":128,\"operators\":[{\"id\":0,\"kind\":\"from_sequence\",\"name\":\"Source: from_sequence\",\"uid\":\"s\"},{\"id\":1,\"kind\":\"map\",\"name\":\"Map\",\"uid\":\"m\"}]},{\"id\":1,\"name\":\"Print to Std. Out\",\"parallelism\":1,\"max_parallelism\":128,\"operators\":[{\"id\":2,\"kind\":\"print\",\"name\":\"Print to Std. Out\",\"uid\":\"p\"}]}],\"edges\":[{\"id\":0,\"source\":0,\"target\":1,\"partitioner\":\"REBALANCE\"}]}"
"#;
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn rill(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(RILL).args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn draws_the_plan_in_every_format() {
    let job = fake_job();
    let job = job.to_str().unwrap();
    let (code, text, _) = rill(&["plan", job]);
    assert_eq!(code, Some(0));
    assert!(text.contains("chain 0 · parallelism 4"), "{text}");
    assert!(text.contains("↓ fused: Map [map] uid=m"), "{text}");
    assert!(text.contains("⇒ REBALANCE exchange to chain 1 (Print to Std. Out)"), "{text}");

    let (_, mermaid, _) = rill(&["plan", job, "--format", "mermaid", "-p", "3"]);
    assert!(mermaid.starts_with("flowchart LR\n"), "{mermaid}");
    assert!(mermaid.contains("c0[\"Source: from_sequence → Map<br/>parallelism 3\"]"), "{mermaid}");

    let (_, dot, _) = rill(&["plan", job, "--format", "dot"]);
    assert!(dot.contains("c0 -> c1 [label=\"REBALANCE\"];"), "{dot}");

    let (_, json, _) = rill(&["plan", job, "--format", "json"]);
    assert!(json.contains("\"partitioner\": \"REBALANCE\""), "{json}");
}

#[test]
fn says_what_is_wrong_with_bad_input() {
    let (code, _, err) = rill(&["plan"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("required arguments were not provided") && err.contains("<JOB_BINARY>"), "{err}");

    let (code, _, err) = rill(&["plan", "/bin/echo", "--format", "svg"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("unknown format 'svg'"), "{err}");

    let (code, _, err) = rill(&["plan", "/bin/echo"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("Is it a Rill job binary"), "{err}");

    let (code, _, err) = rill(&["plan", "/nonexistent/job"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("cannot run /nonexistent/job"), "{err}");

    let (code, _, err) = rill(&["launch"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("unrecognized subcommand 'launch'"), "{err}");

    let (code, _, err) = rill(&["plan", "/bin/echo", "-p", "0"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("invalid value '0'"), "{err}");
}
