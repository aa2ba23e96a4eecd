//! What the checkpointed example jobs' tests share: the lines `checkpointed_count` commits.

use std::path::Path;

/// Every line the rolling count of `n` records over `keys` keys writes, sorted: each key's
/// count after each of its records.
pub fn expected_lines(n: i64, keys: i64) -> Vec<String> {
    let mut want = Vec::new();
    for k in 0..keys {
        let count = (0..n).filter(|i| i % keys == k).count();
        want.extend((1..=count).map(|c| format!("({k},{c})")));
    }
    want.sort();
    want
}

/// The committed lines of the part files in `out`, sorted; fails on anything uncommitted.
pub fn committed_lines(out: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(out).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(name.starts_with("part-"), "only committed part files are left: {name}");
        lines.extend(std::fs::read_to_string(entry.path()).unwrap().lines().map(str::to_owned));
    }
    lines.sort();
    lines
}
