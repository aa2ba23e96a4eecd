//! What an IDE offers in a user's job, asked of a real rust-analyzer over LSP: in a crate
//! `rill new` made, completion after a dot inside a closure (the record's methods), after a
//! keyed stream (its operators), after `env.from_` (the sources) and inside a fragment (a
//! stream's operators). rust-analyzer and the standard library's sources are rustup
//! components, which `scripts/test` adds; without them this test fails and says so.

mod processes;

use processes::{rill_bin, text};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// The job the test asks about: the template's word count, with three places being typed.
const JOB: &str = r#"
use rill::prelude::*;

#[rill::job]
fn word_count(env: &mut Env) {
    env.from_elements(["to be or not to be"])
        .flat_map(|line, out| {
            for word in line.split_whitespace() {
                out.collect((word.to_owned(), 1i64))
            }
        })
        .key_by(|(word, _)| word)
        .sum(1)
        .print();
}

#[rill::fragment]
fn upper(lines: DataStream<String>) -> DataStream<String> {
    lines.
}

#[rill::job(no_main)]
fn keyed(env: &mut Env) {
    env.from_elements([1i64, 2]).key_by(|x| *x).
}

#[rill::job(no_main)]
fn sources(env: &mut Env) {
    env.from_
}
"#;

struct Lsp {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: u64,
}

impl Lsp {
    fn start(root: &Path, target: &Path) -> Lsp {
        let mut child = Command::new("rust-analyzer")
            .current_dir(root)
            .env("CARGO_TARGET_DIR", target)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("rust-analyzer runs (scripts/test adds it: rustup component add rust-analyzer rust-src)");
        let stdin = child.stdin.take().expect("stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let (tx, messages) = channel();
        std::thread::spawn(move || loop {
            let mut length = 0;
            loop {
                let mut line = String::new();
                if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim();
                if line.is_empty() {
                    break;
                }
                if let Some(v) = line.strip_prefix("Content-Length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if stdout.read_exact(&mut body).is_err() {
                return;
            }
            if let Ok(message) = serde_json::from_slice(&body) {
                if tx.send(message).is_err() {
                    return;
                }
            }
        });
        Lsp { child, stdin, messages, next_id: 0 }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("rust-analyzer reads");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and waits for its answer, answering the server's own requests and
    /// noting whether it has finished loading the workspace.
    fn request(&mut self, method: &str, params: Value, quiet: &mut bool) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.next(Duration::from_secs(600), quiet).expect("rust-analyzer answers within 10 minutes");
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                return message["result"].clone();
            }
        }
    }

    fn next(&mut self, within: Duration, quiet: &mut bool) -> Option<Value> {
        let message = self.messages.recv_timeout(within).ok()?;
        if message["method"] == "experimental/serverStatus" && message["params"]["quiescent"] == true {
            *quiet = true;
        }
        if message.get("method").is_some() && message.get("id").is_some() {
            // window/workDoneProgress/create and the like: accepted.
            self.send(json!({"jsonrpc": "2.0", "id": message["id"], "result": null}));
        }
        Some(message)
    }
}

impl Drop for Lsp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The line and column just after the first occurrence of `text` in `JOB`.
fn after(text: &str) -> (usize, usize) {
    let at = JOB.find(text).unwrap_or_else(|| panic!("{text} in the job")) + text.len();
    let line = JOB[..at].matches('\n').count();
    let column = at - JOB[..at].rfind('\n').map_or(0, |n| n + 1);
    (line, column)
}

#[test]
fn rust_analyzer_completes_operators_and_records_in_a_job() {
    let analyzer = Command::new("rust-analyzer").arg("--version").output();
    let sources = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .map(|o| Path::new(text(&o.stdout).trim()).join("lib/rustlib/src/rust/library/core").is_dir());
    assert!(
        analyzer.is_ok_and(|o| o.status.success()) && sources.unwrap_or(false),
        "this test needs rust-analyzer and the standard library's sources: scripts/test adds them \
         (rustup component add rust-analyzer rust-src)"
    );
    let home = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the repository");
    let out = Command::new(rill_bin())
        .args(["new", "ide-job", "--rill-path"])
        .arg(repo.join("runtime"))
        .current_dir(home.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let root = home.path().join("ide-job");
    let main = root.join("src/main.rs");
    std::fs::write(&main, JOB).unwrap();
    // rust-analyzer checks the crate to build its proc-macros: in a target directory of its
    // own beside the project's, kept between runs.
    let target = rill_bin().parent().and_then(Path::parent).expect("target/debug/rill").join("ide");

    let mut lsp = Lsp::start(&root, &target);
    let mut quiet = false;
    let uri = format!("file://{}", main.display());
    lsp.request(
        "initialize",
        json!({
            "processId": std::process::id(),
            "rootUri": format!("file://{}", root.display()),
            "capabilities": {"experimental": {"serverStatusNotification": true}, "window": {"workDoneProgress": true}},
            "initializationOptions": {"checkOnSave": false, "cargo": {"buildScripts": {"enable": true}}, "procMacro": {"enable": true}}
        }),
        &mut quiet,
    );
    lsp.notify("initialized", json!({}));
    lsp.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "rust", "version": 1, "text": JOB}}),
    );
    let start = Instant::now();
    while !quiet {
        assert!(start.elapsed() < Duration::from_secs(900), "rust-analyzer did not finish loading in 15 minutes");
        lsp.next(Duration::from_secs(5), &mut quiet);
    }
    let mut complete = |text: &str| -> Vec<String> {
        let (line, character) = after(text);
        let result = lsp.request(
            "textDocument/completion",
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}),
            &mut quiet,
        );
        let items = result.get("items").cloned().unwrap_or(result);
        let mut labels: Vec<String> =
            items.as_array().into_iter().flatten().filter_map(|i| i["label"].as_str().map(str::to_owned)).collect();
        labels.sort();
        labels
    };
    let has = |labels: &[String], wanted: &[&str], not: &[&str], what: &str| {
        for w in wanted {
            assert!(labels.iter().any(|l| l == w), "{what}: no {w} in {labels:?}");
        }
        for n in not {
            assert!(!labels.iter().any(|l| l == n), "{what}: {n} in {labels:?}");
        }
    };
    // In a closure, the record's own type: `line` is a String.
    has(&complete("for word in line."), &["split_whitespace", "len"], &["sum"], "a record in a closure");
    has(&complete("out."), &["collect"], &[], "the collector of flat_map");
    // After a keyed stream, its operators, with what Flink calls them.
    has(&complete("key_by(|x| *x)."), &["sum", "reduce", "window", "process", "print"], &["len"], "a keyed stream");
    // The sources on env, beside its settings.
    has(
        &complete("fn sources(env: &mut Env) {\n    env.from_"),
        &["from_elements", "from_sequence", "from_source", "set_parallelism"],
        &[],
        "env",
    );
    // Inside a fragment, a stream's operators.
    has(&complete("lines."), &["map", "filter", "key_by", "flat_map"], &["sum"], "a fragment");
}
