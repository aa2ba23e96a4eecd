//! The record generators of the reference workloads (`shared/bench/README.md`).

use rill::api::AggregateFunction;
use rill::SmallString;
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

/// The longest line: four words of at most 8 bytes ("w" and up to 7 hex digits) and three
/// spaces, and room for the last word's whole 8-byte block.
const LINE_CAPACITY: usize = 4 * 8 + 3 + 8;

/// The vocabulary as 8-byte blocks, zero-padded, with each word's length: a word goes into a
/// line with one 8-byte copy (what `memcpy` does for a short string, without the call).
static VOCAB_BLOCKS: LazyLock<Vec<([u8; 8], usize)>> = LazyLock::new(|| {
    VOCAB
        .iter()
        .map(|w| {
            let mut block = [0u8; 8];
            block[..w.len()].copy_from_slice(w.as_bytes());
            (block, w.len())
        })
        .collect()
});

/// The `wordcount` workload's record `i`: the line of four vocabulary words joined by
/// spaces, split on whitespace, as `(word, 1)` pairs. The line is built and split, as in
/// Flink's job. It is built in the iterator, on the stack (a Rust user does not allocate a
/// string only to split it again), on the first `next`: built before, it would be moved
/// into the loop that reads it, and the move would reload its bytes before their writes
/// had drained (a store-forwarding stall). The words are [`SmallString`]s, Rill's string
/// for keys (as Flink's job could use Flink's `StringValue`).
#[inline]
pub fn line_words(i: i64) -> LineWords {
    LineWords { i, line: [0u8; LINE_CAPACITY], len: 0, pos: 0 }
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
    i: i64,
    line: [u8; LINE_CAPACITY],
    /// 0 until the line is built (a line is never empty).
    len: u8,
    pos: u8,
}

impl LineWords {
    /// `VOCAB[floorMod(mix(i + k), 1000)]` for k = 0..3, joined by spaces.
    #[inline]
    fn build(&mut self) {
        let blocks = &*VOCAB_BLOCKS;
        let mut len = 0;
        for k in 0..4 {
            if k > 0 {
                self.line[len] = b' ';
                len += 1;
            }
            let (block, n) = &blocks[mix(self.i.wrapping_add(k)).rem_euclid(1000) as usize];
            self.line[len..len + 8].copy_from_slice(block);
            len += n;
        }
        self.len = len as u8;
    }
}

impl Iterator for LineWords {
    type Item = (SmallString, i64);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.len == 0 {
            self.build();
        }
        // Java's `split("\\s+")`: runs of ASCII whitespace separate the words.
        let pos = self.pos as usize;
        let rest = &self.line[pos..self.len as usize];
        let start = rest.iter().position(|b| !b.is_ascii_whitespace())?;
        let len = rest[start..].iter().position(u8::is_ascii_whitespace).unwrap_or(rest.len() - start);
        self.pos = (pos + start + len) as u8;
        Some((SmallString::from_utf8(&rest[start..start + len]).expect("the vocabulary is ASCII"), 1))
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
