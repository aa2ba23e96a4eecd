//! A pipeline fragment for jobs of other crates: a library of the pieces several jobs share
//! (`examples/tests/fragments_across_crates.rs` is such a job). Its body names what it uses
//! from `crate::`, which means this crate wherever the fragment is inlined.

use rill::prelude::*;

/// `host value` as `(host, value)`; anything else is not a reading.
pub fn parse_line(line: &str) -> Option<(String, i64)> {
    let (host, value) = line.split_once(' ')?;
    Some((host.to_owned(), value.trim().parse().ok()?))
}

/// The readings of `host value` lines; a line that is not one is dropped.
#[rill::fragment]
pub fn readings(lines: DataStream<String>) -> DataStream<(String, i64)> {
    lines.flat_map(|line, out| {
        if let Some(reading) = crate::readings::parse_line(&line) {
            out.collect(reading)
        }
    })
}
