//! `rill completions bash`, as a shell uses it: the script is sourced into a real bash and
//! its completion function asked what follows `rill clu` and `rill cluster `.

use std::process::Command;

/// What bash's completion of `rill` offers for the words `words` (the last one being typed).
fn complete(script: &str, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "{script}\nCOMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}\n\
         _rill rill '{current}' '{previous}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
        words = quoted.join(" "),
        cword = words.len() - 1,
        line = words.join(" "),
        current = words[words.len() - 1],
        previous = words[words.len() - 2],
    );
    let out = Command::new("bash").args(["--norc", "-c", &program]).output().expect("bash runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).split_whitespace().map(str::to_owned).collect()
}

#[test]
fn bash_completes_rills_subcommands_and_their_flags() {
    let out = Command::new(env!("CARGO_BIN_EXE_rill")).args(["completions", "bash"]).output().unwrap();
    assert!(out.status.success());
    let script = String::from_utf8(out.stdout).unwrap();
    assert_eq!(complete(&script, &["rill", "clu"]), ["cluster"]);
    let cluster = complete(&script, &["rill", "cluster", ""]);
    assert!(cluster.contains(&"start".to_owned()) && cluster.contains(&"stop".to_owned()), "{cluster:?}");
    let new = complete(&script, &["rill", "new", "--"]);
    assert!(new.contains(&"--rill-path".to_owned()), "{new:?}");
    // A shell clap does not know is refused with the ones it does.
    let out = Command::new(env!("CARGO_BIN_EXE_rill")).args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("possible values: bash"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
