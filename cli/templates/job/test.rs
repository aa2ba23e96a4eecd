//! Runs the job binary on lines of the test's own and checks what it printed: Flink's
//! running counts, one line per word read, in the order the words came (parallelism 1).

use std::process::Command;

#[test]
fn counts_each_word_of_its_input() {
    let input = std::env::temp_dir().join(format!("{}-input-{}.txt", env!("CARGO_PKG_NAME"), std::process::id()));
    std::fs::write(&input, "to be or\nnot to be\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_{{name}}"))
        .args(["-p", "1", "--", "--input"])
        .arg(&input)
        .output()
        .unwrap();
    std::fs::remove_file(&input).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines, ["(to,1)", "(be,1)", "(or,1)", "(not,1)", "(to,2)", "(be,2)"]);
}
