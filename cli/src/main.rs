//! `rill`: the Rill command line.

use rill_cli::plan::Format;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: rill <command> [options]

commands:
  plan JOB_BINARY [--format text|mermaid|dot|json] [-p N]
        draw the plan a job binary embeds: its chains of fused operators, their
        parallelism, and the exchanges between them with their partitioning
  savepoint inspect PATH
        what a savepoint or checkpoint (its chk-<n> directory) holds: its job,
        operators by uid, their states with entry counts and sizes
  help  print this help";

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("error: {msg}\n\n{USAGE}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => usage_error("no command given"),
        Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some("plan") => plan(&args[1..]),
        Some("savepoint") => savepoint(&args[1..]),
        Some(other) => usage_error(&format!("unknown command '{other}'")),
    }
}

fn savepoint(args: &[String]) -> ExitCode {
    let path = match args {
        [command, path] if command == "inspect" => PathBuf::from(path),
        [command, ..] if command == "inspect" => return usage_error("rill savepoint inspect takes one path"),
        _ => return usage_error("rill savepoint needs a command: inspect PATH"),
    };
    match rill::checkpoint::inspect::describe(&path) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn plan(args: &[String]) -> ExitCode {
    let mut binary: Option<PathBuf> = None;
    let mut format = Format::Text;
    let mut parallelism = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--format" | "-f" => {
                i += 1;
                match args.get(i).map(|f| f.parse::<Format>()) {
                    Some(Ok(f)) => format = f,
                    Some(Err(e)) => return usage_error(&e),
                    None => return usage_error("--format needs a value: text, mermaid, dot or json"),
                }
            }
            "-p" | "--parallelism" => {
                i += 1;
                match args.get(i).and_then(|p| p.parse::<usize>().ok()).filter(|p| *p > 0) {
                    Some(p) => parallelism = Some(p),
                    None => return usage_error("-p needs a whole number of at least 1"),
                }
            }
            a if a.starts_with('-') => return usage_error(&format!("unknown option '{a}' for rill plan")),
            a if binary.is_none() => binary = Some(PathBuf::from(a)),
            a => return usage_error(&format!("unexpected argument '{a}': rill plan takes one job binary")),
        }
        i += 1;
    }
    let Some(binary) = binary else {
        return usage_error("rill plan needs a job binary, e.g. rill plan ./target/release/word_count");
    };
    match rill_cli::plan_of(&binary, parallelism) {
        Ok(plan) => {
            print!("{}", rill_cli::plan::render(&plan, format));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
