//! The record generators of the reference workloads (`shared/bench/README.md`).

use compact_str::CompactString;
use rill::ops::window::AggregateFunction;
use std::sync::LazyLock;

/// The 64-bit mixer of the reference workloads (`>>>` is a logical shift).
#[inline]
pub fn mix(x: i64) -> i64 {
    let mut x = x as u64;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x as i64
}

/// `VOCAB[j] = "w" + lowercase hex of (j * 7919)`.
pub static VOCAB: LazyLock<Vec<String>> = LazyLock::new(|| (0..1000).map(|j| format!("w{:x}", j * 7919)).collect());

/// The `wordcount` workload's record `i`: the line of four vocabulary words joined by
/// spaces, split on whitespace, as `(word, 1)` pairs. The line is built and split, as in
/// Flink's job; words are `CompactString`s (held inline, as a Rust user would hold short
/// keys), and the line lives in a reused buffer.
pub fn line_words(i: i64) -> LineWords {
    let v = &*VOCAB;
    let w = |k: i64| v[mix(i.wrapping_add(k)).rem_euclid(1000) as usize].as_str();
    let mut line = CompactString::with_capacity(32);
    for k in 0..4 {
        if k > 0 {
            line.push(' ');
        }
        line.push_str(w(k));
    }
    LineWords { line, pos: 0 }
}

/// The `window-alert` aggregate: count, average and maximum of the values in a window
/// (Flink's job keeps `double[]{count, sum, max}`).
#[derive(Clone, Copy, Debug, Default)]
pub struct CountAvgMax;

impl AggregateFunction<(i64, i64, f64)> for CountAvgMax {
    type Acc = (f64, f64, f64);
    type Out = (f64, f64, f64);
    #[inline]
    fn create_accumulator(&self) -> Self::Acc {
        (0.0, 0.0, f64::NEG_INFINITY)
    }
    #[inline]
    fn add(&self, value: (i64, i64, f64), acc: &mut Self::Acc) {
        acc.0 += 1.0;
        acc.1 += value.2;
        acc.2 = acc.2.max(value.2);
    }
    fn get_result(&self, acc: &Self::Acc) -> Self::Out {
        (acc.0, acc.1 / acc.0, acc.2)
    }
    fn merge(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc {
        (a.0 + b.0, a.1 + b.1, a.2.max(b.2))
    }
}

/// The words of one line, split on whitespace.
pub struct LineWords {
    line: CompactString,
    pos: usize,
}

impl Iterator for LineWords {
    type Item = (CompactString, i32);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        // Java's `\\s+`: ASCII whitespace.
        let bytes = &self.line.as_bytes()[self.pos..];
        let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
        let len = bytes[start..].iter().position(u8::is_ascii_whitespace).unwrap_or(bytes.len() - start);
        let word = CompactString::from(&self.line[self.pos + start..self.pos + start + len]);
        self.pos += start + len;
        Some((word, 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_matches_the_java_reference() {
        assert_eq!(mix(0), 0);
        let x: u64 = 1u64.wrapping_mul(0xff51_afd7_ed55_8ccd);
        assert_eq!(mix(1), (x ^ (x >> 33)) as i64);
        assert!(mix(-5).rem_euclid(10_000) >= 0);
    }

    #[test]
    fn vocabulary_is_hex_of_multiples_of_7919() {
        assert_eq!(VOCAB[0], "w0");
        assert_eq!(VOCAB[1], "w1eef");
        assert_eq!(VOCAB[999].as_str(), format!("w{:x}", 999 * 7919));
    }

    #[test]
    fn a_line_splits_into_its_four_words() {
        let words: Vec<_> = line_words(7).collect();
        assert_eq!(words.len(), 4);
        let v = &*VOCAB;
        for (k, (w, one)) in words.iter().enumerate() {
            assert_eq!(w.as_str(), v[mix(7 + k as i64).rem_euclid(1000) as usize]);
            assert_eq!(*one, 1);
        }
    }
}
