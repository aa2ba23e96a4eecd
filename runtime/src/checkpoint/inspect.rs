//! What a checkpoint or savepoint holds, in words (`rill savepoint inspect PATH`): its job,
//! when it completed, its operators by uid, and per operator its states with their key
//! counts and sizes. Flink needs the State Processor API and a program for that; here the
//! format says enough by itself: keyed sections begin with their entry count and frame
//! each entry, so they are counted without knowing the state's types.

use crate::checkpoint::snapshot::for_each_keyed;
use crate::checkpoint::storage::{read_dir, read_metadata};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

/// The description of the checkpoint or savepoint in `dir`; an error names what is missing
/// or damaged.
pub fn describe(dir: &Path) -> Result<String, String> {
    let meta = read_metadata(dir)?;
    let completed = read_dir(dir)?;
    let bytes: u64 = meta.tasks.iter().map(|t| t.len).sum();
    let mut out = String::new();
    let _ = writeln!(out, "checkpoint {} of job '{}' ({})", meta.checkpoint, meta.job, dir.display());
    let _ = writeln!(
        out,
        "completed {}, {} tasks, {}, barriers through in {:.1} ms",
        utc(meta.completed_at),
        meta.tasks.len(),
        size(bytes),
        meta.aligned_micros as f64 / 1000.0
    );
    for (uid, restored) in completed.operators.iter().collect::<BTreeMap<_, _>>() {
        let subtasks = restored.subtasks.iter().filter(|s| !s.is_empty()).count();
        let _ = writeln!(out, "operator '{uid}' ({subtasks} subtask{})", if subtasks == 1 { "" } else { "s" });
        // Per section (the operator's own, or a named state of it): entries and bytes.
        let mut sections: BTreeMap<&str, (Option<u64>, u64)> = BTreeMap::new();
        for section in restored.subtasks.iter().flatten() {
            let name = section.uid.split_once('#').map_or("", |(_, rest)| rest);
            let entry = sections.entry(name).or_insert((Some(0), 0));
            entry.1 += section.bytes.len() as u64;
            entry.0 = match (entry.0, keyed_entries(&section.bytes)) {
                (Some(a), Some(b)) => Some(a + b),
                _ => None,
            };
        }
        for (name, (entries, bytes)) in sections {
            let what = match name.split_once(':') {
                Some(("state", state)) => format!("keyed state '{state}'"),
                Some(("state-ttl", state)) => format!("time-to-live stamps of '{state}'"),
                Some(("window-state", state)) => format!("window state '{state}'"),
                Some(("global-state", state)) => format!("global window state '{state}'"),
                Some(("timers", domain)) => format!("{domain}-time timers"),
                Some(("broadcast", state)) => format!("broadcast state '{state}'"),
                Some((kind, state)) => format!("{kind} '{state}'"),
                None if name.is_empty() => "its own state".to_owned(),
                None => name.replace('-', " "),
            };
            let count = match entries {
                Some(n) => format!("{n} entries, "),
                None => String::new(),
            };
            let _ = writeln!(out, "    {what}: {count}{}", size(bytes));
        }
    }
    Ok(out)
}

/// The number of entries of a keyed section, if it is one (its entries frame it exactly).
fn keyed_entries(bytes: &[u8]) -> Option<u64> {
    let mut n = 0;
    for_each_keyed(bytes, &(0..=usize::MAX), |_, _| n += 1).ok()?;
    Some(n)
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 10 * 1024 * 1024 => format!("{:.1} MB", b as f64 / 1e6),
        b if b >= 10 * 1024 => format!("{:.1} kB", b as f64 / 1e3),
        b => format!("{b} B"),
    }
}

/// Milliseconds since the epoch as a UTC date and time.
fn utc(ms: i64) -> String {
    let (year, month, day, h, m, sec) = utc_parts(ms);
    format!("{year:04}-{month:02}-{day:02} {h:02}:{m:02}:{sec:02} UTC")
}

/// Milliseconds since the epoch as UTC year, month, day, hour, minute and second (days to a
/// civil date by Howard Hinnant's algorithm), for what prints times without a time crate.
pub fn utc_parts(ms: i64) -> (i64, i64, i64, i64, i64, i64) {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, rest / 3600, rest % 3600 / 60, rest % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_as_utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_796_083_200_000 + 3_723_000), "2026-12-01 01:02:03 UTC");
    }

    #[test]
    fn keyed_sections_are_counted_and_others_are_not() {
        let mut entries = crate::checkpoint::KeyedEntries::new(128);
        for k in 0..5i64 {
            entries.push(&k, |out| crate::Codec::encode(&k, out));
        }
        assert_eq!(keyed_entries(&entries.finish()), Some(5));
        assert_eq!(keyed_entries(&[1, 2, 3]), None);
    }
}
