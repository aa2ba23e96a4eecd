//! Flink's configuration keys for a job binary: `-D key=value` on its command line, and
//! `rill.toml` (Flink's `config.yaml`) in the directory it runs in. Each key sets what one
//! of the binary's flags sets; a flag given on the command line wins over `-D`, which wins
//! over the file. The cluster's `rill run -D` takes the same keys.
//!
//! ```toml
//! # rill.toml: dotted keys, or tables
//! parallelism.default = 4
//! [execution.checkpointing]
//! interval = "10s"
//! dir = "/var/lib/rill/checkpoints"
//! ```

use std::path::Path;

/// The configuration file a job binary reads from the directory it runs in, if there.
pub const FILE: &str = "rill.toml";

/// Each key, the flag it stands for, and whether that flag takes a value (a `true` key of a
/// switch gives the switch; `false` leaves it off).
const KEYS: &[(&str, &str, bool)] = &[
    ("parallelism.default", "--parallelism", true),
    ("execution.checkpointing.interval", "--checkpoint-interval", true),
    ("execution.checkpointing.dir", "--checkpoint-dir", true),
    ("state.checkpoints.dir", "--checkpoint-dir", true),
    ("execution.savepoint.path", "--from-savepoint", true),
    ("execution.savepoint.ignore-unclaimed-state", "--allow-non-restored-state", false),
    ("metrics.reporter.prom.port", "--metrics-port", true),
    ("rest.port", "--web-ui", true),
];

/// The flags for `config`'s keys; an error names a key that does not apply, with the ones
/// that do.
pub fn flags_of<'a>(config: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Vec<String>, String> {
    let mut flags = Vec::new();
    for (key, value) in config {
        let Some((_, flag, takes_value)) = KEYS.iter().find(|(k, ..)| *k == key) else {
            let known: Vec<&str> = KEYS.iter().map(|(k, ..)| *k).collect();
            return Err(format!("unknown configuration key '{key}': Rill takes {}", known.join(", ")));
        };
        if value.is_empty() || value.starts_with('-') {
            return Err(format!("configuration key '{key}' needs a value, not '{value}'"));
        }
        match (takes_value, value) {
            (true, _) => flags.extend([flag.to_string(), value.to_owned()]),
            (false, "true") => flags.push(flag.to_string()),
            (false, "false") => {}
            (false, _) => return Err(format!("configuration key '{key}' is true or false, not '{value}'")),
        }
    }
    Ok(flags)
}

/// The keys and values of a `rill.toml` text, tables flattened into dotted keys; strings,
/// numbers and booleans as text.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let mut pairs = Vec::new();
    flatten("", &table, &mut pairs)?;
    Ok(pairs)
}

fn flatten(prefix: &str, table: &toml::Table, pairs: &mut Vec<(String, String)>) -> Result<(), String> {
    for (key, value) in table {
        let key = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        match value {
            toml::Value::Table(inner) => flatten(&key, inner, pairs)?,
            toml::Value::String(s) => pairs.push((key, s.clone())),
            toml::Value::Integer(n) => pairs.push((key, n.to_string())),
            toml::Value::Boolean(b) => pairs.push((key, b.to_string())),
            other => {
                return Err(format!(
                    "{key}: a {} is not a setting (give a string, number or boolean)",
                    other.type_str()
                ))
            }
        }
    }
    Ok(())
}

/// The flags of `rill.toml` in `dir`, if there is one; an error names the file.
pub fn flags_in(dir: &Path) -> Result<Vec<String>, String> {
    let path = dir.join(FILE);
    let Ok(text) = std::fs::read_to_string(&path) else { return Ok(Vec::new()) };
    let pairs = parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    flags_of(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(|e| format!("{}: {e}", path.display()))
}

/// A job binary's command line with its `-D key=value` (or `-Dkey=value`) given as the
/// flags they stand for, behind the flags of `file` (`rill.toml`'s): a later flag wins.
pub fn expand(args: &[String], file: Vec<String>) -> Result<Vec<String>, String> {
    let mut from_d = Vec::new();
    let mut rest = Vec::new();
    let mut iter = args.iter();
    while let Some(a) = iter.next() {
        if a == "--" {
            rest.push(a.clone());
            rest.extend(iter.by_ref().cloned());
            break;
        }
        let pair = match a.strip_prefix("-D") {
            Some("") => Some(iter.next().ok_or("-D needs key=value, e.g. -D parallelism.default=4")?.as_str()),
            Some(pair) => Some(pair),
            None => None,
        };
        match pair {
            Some(pair) => {
                let (key, value) = pair.split_once('=').ok_or_else(|| format!("-D {pair}: give key=value"))?;
                from_d.extend(flags_of([(key, value)])?);
            }
            None => rest.push(a.clone()),
        }
    }
    Ok(file.into_iter().chain(from_d).chain(rest).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn keys_become_flags_and_the_command_line_comes_last() {
        let file = flags_of([("parallelism.default", "4"), ("execution.savepoint.ignore-unclaimed-state", "true")]);
        let file = file.unwrap();
        assert_eq!(file, args(&["--parallelism", "4", "--allow-non-restored-state"]));
        let expanded = expand(&args(&["-Dparallelism.default=2", "-p", "3", "--", "-Dx=y"]), file).unwrap();
        assert_eq!(
            expanded,
            args(&["--parallelism", "4", "--allow-non-restored-state", "--parallelism", "2", "-p", "3", "--", "-Dx=y"])
        );
        assert!(flags_of([("parallelism", "4")]).unwrap_err().contains("unknown configuration key 'parallelism'"));
        assert!(expand(&args(&["-D", "nokey"]), Vec::new()).unwrap_err().contains("key=value"));
        assert!(flags_of([("execution.savepoint.ignore-unclaimed-state", "yes")]).is_err());
    }

    #[test]
    fn the_file_takes_dotted_keys_and_tables() {
        let text = "parallelism.default = 2\n[execution.checkpointing]\ninterval = \"1s\"\n";
        let pairs = parse(text).unwrap();
        assert!(pairs.contains(&("parallelism.default".into(), "2".into())), "{pairs:?}");
        assert!(pairs.contains(&("execution.checkpointing.interval".into(), "1s".into())), "{pairs:?}");
        assert!(parse("a = [1]").unwrap_err().contains("is not a setting"));
        assert!(parse("a = ").is_err());
    }
}
