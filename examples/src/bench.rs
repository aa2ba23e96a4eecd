//! The record generators of the reference workloads (the README's "Performance").

use rill::api::AggregateFunction;
use rill::SmallString;
use serde::Deserialize;
use std::io::Write;
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

/// The vocabulary as 8-byte blocks with each word's length: a word goes into a line with
/// one 8-byte copy (what `memcpy` does for a short string, without the call). The bytes
/// after the word are [`PAD`]: the next word's copy overwrites them, or they lie past the
/// line's end.
static VOCAB_BLOCKS: LazyLock<Vec<([u8; 8], usize)>> = LazyLock::new(|| {
    VOCAB
        .iter()
        .map(|w| {
            let mut block = [PAD; 8];
            block[..w.len()].copy_from_slice(w.as_bytes());
            (block, w.len())
        })
        .collect()
});

/// What fills a vocabulary block after its word: a byte that is neither whitespace nor below
/// 0x21, so that classifying a whole block marks no byte past the word.
const PAD: u8 = b'~';

/// The `wordcount` workload's record `i`: the line of four vocabulary words joined by
/// spaces, split on whitespace, as `(word, 1)` pairs. The line is built and split, as in
/// Flink's job. It is built in the iterator, on the stack (a Rust user does not allocate a
/// string only to split it again), on the first `next`: built before, it would be moved
/// into the loop that reads it, and the move would reload its bytes before their writes
/// had drained (a store-forwarding stall). The words are [`SmallString`]s, Rill's string
/// for keys (as Flink's job could use Flink's `StringValue`).
#[inline]
pub fn line_words(i: i64) -> LineWords {
    LineWords { i, line: [0u8; LINE_CAPACITY], spaces: 0, len: 0, pos: 0 }
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

/// `VOCAB[floorMod(mix(i), 1000)]`: the word at position `i` of the `wordcount` records.
pub fn word(i: i64) -> &'static str {
    &VOCAB[mix(i).rem_euclid(1000) as usize]
}

/// The `keyed-sum` record as a user writes it: a struct with named fields.
#[derive(Clone, Debug, rill::Codec)]
pub struct Count {
    /// The key.
    pub key: i64,
    /// The count, summed per key.
    pub count: i64,
}

/// The `window-alert` record as a user writes it.
#[derive(Clone, Debug, rill::Codec)]
pub struct Reading {
    /// The host number.
    pub host: i64,
    /// Event time, milliseconds.
    pub ts: i64,
    /// The measured value.
    pub value: f64,
}

/// The `json-alert` metric as a user writes it: the JSON object's fields, owned.
#[derive(Clone, Debug, Deserialize, rill::Codec)]
pub struct Metric {
    /// `h<k>`.
    pub host: String,
    /// Always `cpu`.
    pub metric: String,
    /// Event time, milliseconds.
    pub ts: i64,
    /// The measured value.
    pub value: f64,
}

/// The `json-alert` metric, hand-tuned: the host name inline, the metric name not kept.
#[derive(Clone, Debug, Deserialize, rill::Codec)]
pub struct MetricInline {
    /// `h<k>`.
    pub host: SmallString,
    /// Event time, milliseconds.
    pub ts: i64,
    /// The measured value.
    pub value: f64,
}

/// The `json-alert` record `i` as a user writes it: `{"host":"h<k>","metric":"cpu",..}`.
pub fn metric_json(i: i64, keys: i64) -> String {
    let (host, ts, value) = reading(i, keys);
    format!(r#"{{"host":"h{host}","metric":"cpu","ts":{ts},"value":{value}}}"#)
}

/// The `json-alert` record `i` written into `buffer` (cleared first), for the hand-tuned job.
pub fn write_metric_json(buffer: &mut Vec<u8>, i: i64, keys: i64) {
    let (host, ts, value) = reading(i, keys);
    buffer.clear();
    write!(buffer, r#"{{"host":"h{host}","metric":"cpu","ts":{ts},"value":{value}}}"#).expect("a Vec takes any write");
}

/// `(host, ts, value)` of the `window-alert` records: `floorMod(mix(i), KEYS)`, `i / 100`,
/// `floorMod(mix(i * 31), 1000)`.
#[inline]
pub fn reading(i: i64, keys: i64) -> (i64, i64, f64) {
    (mix(i).rem_euclid(keys), i / 100, mix(i.wrapping_mul(31)).rem_euclid(1000) as f64)
}

/// Count, average and maximum of a window's values, as a user writes it: a struct.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    /// Values in the window.
    pub count: u64,
    /// Their mean.
    pub avg: f64,
    /// Their maximum.
    pub max: f64,
}

/// The accumulator of [`Stats`].
#[derive(Clone, Copy, Debug, rill::Codec)]
pub struct StatsAcc {
    count: u64,
    sum: f64,
    max: f64,
}

/// The `window-alert` and `json-alert` aggregate as a user writes it, for any record with a
/// value.
#[derive(Clone, Copy, Debug, Default)]
pub struct ValueStats;

/// A record with a measured value. (The `#[inline]`s on its impls and on [`ValueStats`] are
/// there only because these types live in a library and the jobs in the `bench` binary: a
/// user's job crate that defines its own types gets them inlined without asking.)
pub trait Value {
    /// The value.
    fn value(&self) -> f64;
}

impl Value for Reading {
    #[inline]
    fn value(&self) -> f64 {
        self.value
    }
}

impl Value for Metric {
    #[inline]
    fn value(&self) -> f64 {
        self.value
    }
}

impl Value for MetricInline {
    #[inline]
    fn value(&self) -> f64 {
        self.value
    }
}

impl<T: Value> AggregateFunction<T> for ValueStats {
    type Acc = StatsAcc;
    type Out = Stats;
    #[inline]
    fn create_accumulator(&self) -> StatsAcc {
        StatsAcc { count: 0, sum: 0.0, max: f64::NEG_INFINITY }
    }
    #[inline]
    fn add(&self, record: T, acc: &mut StatsAcc) {
        acc.count += 1;
        acc.sum += record.value();
        acc.max = acc.max.max(record.value());
    }
    #[inline]
    fn get_result(&self, acc: &StatsAcc) -> Stats {
        Stats { count: acc.count, avg: acc.sum / acc.count as f64, max: acc.max }
    }
    fn merge(&self, a: StatsAcc, b: StatsAcc) -> StatsAcc {
        StatsAcc { count: a.count + b.count, sum: a.sum + b.sum, max: a.max.max(b.max) }
    }
}

/// The words of one line, split on whitespace.
pub struct LineWords {
    i: i64,
    line: [u8; LINE_CAPACITY],
    /// Bit `k` set where byte `k` of the line is ASCII whitespace, and past its end: each
    /// byte classified as it is written, 8 at a time, so that splitting reads bits, not the
    /// bytes again (a byte-wise scan was a quarter of the source's instructions).
    spaces: u64,
    /// 0 until the line is built (a line is never empty).
    len: u8,
    pos: u8,
}

impl LineWords {
    /// `VOCAB[floorMod(mix(i + k), 1000)]` for k = 0..3, joined by spaces.
    #[inline]
    fn build(&mut self) {
        let blocks = &*VOCAB_BLOCKS;
        let (mut len, mut spaces) = (0, 0u64);
        for k in 0..4 {
            if k > 0 {
                self.line[len] = b' ';
                spaces |= 1 << len;
                len += 1;
            }
            let (block, n) = &blocks[mix(self.i.wrapping_add(k)).rem_euclid(1000) as usize];
            self.line[len..len + 8].copy_from_slice(block);
            spaces |= whitespace_bits(u64::from_le_bytes(*block)) << len;
            len += n;
        }
        self.spaces = spaces | u64::MAX << len;
        self.len = len as u8;
    }
}

/// One bit per byte of `x`: set where the byte is ASCII whitespace (`u8::is_ascii_whitespace`:
/// space, tab, line feed, form feed, carriage return).
#[inline]
fn whitespace_bits(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = ONES * 0x80;
    // The high bit of each byte that equals zero, exactly (no borrow between bytes).
    let zero = |t: u64| !(((t & !HIGH).wrapping_add(!HIGH)) | t) & HIGH;
    // Bytes below 0x21: none in most words, which end here.
    let low = !(((x & !HIGH).wrapping_add(ONES * (0x80 - 0x21))) | x) & HIGH;
    if low == 0 {
        return 0;
    }
    let mut marks = 0;
    for c in [b' ', b'\t', b'\n', 0x0c, b'\r'] {
        marks |= zero(x ^ (ONES * c as u64));
    }
    // The high bits of the marked bytes, gathered into the low 8 bits.
    (marks >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

impl Iterator for LineWords {
    type Item = (SmallString, i64);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.len == 0 {
            self.build();
        }
        // Java's `split("\\s+")`: runs of ASCII whitespace separate the words.
        let pos = self.pos as u32;
        let start = pos + (!(self.spaces >> pos)).trailing_zeros();
        if start >= self.len as u32 {
            return None;
        }
        let end = start + (self.spaces >> start).trailing_zeros();
        self.pos = end as u8;
        let word = &self.line[start as usize..end as usize];
        Some((SmallString::from_utf8(word).expect("the vocabulary is ASCII"), 1))
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
    fn json_metrics_parse_into_the_records_of_window_alert() {
        let m: Metric = serde_json::from_str(&metric_json(12345, 10_000)).unwrap();
        let (host, ts, value) = reading(12345, 10_000);
        assert_eq!((m.host, m.metric.as_str(), m.ts, m.value), (format!("h{host}"), "cpu", ts, value));
        let mut buffer = Vec::new();
        write_metric_json(&mut buffer, 12345, 10_000);
        let fast: MetricInline = serde_json::from_slice(&buffer).unwrap();
        assert_eq!((fast.host.as_str(), fast.ts, fast.value), (format!("h{host}").as_str(), ts, value));
    }

    #[test]
    fn whitespace_bits_mark_exactly_the_whitespace_bytes() {
        for text in [&b"w1eef"[..], b"a b\tc", b"\n\x0c\r \x0b\x01!~", b"abcdefgh", b"", b"\x20\x21\x1f\x09"] {
            let mut bytes = [PAD; 8];
            bytes[..text.len()].copy_from_slice(text);
            let want =
                text.iter().enumerate().filter(|(_, b)| b.is_ascii_whitespace()).fold(0u64, |m, (k, _)| m | 1 << k);
            assert_eq!(whitespace_bits(u64::from_le_bytes(bytes)), want, "{text:?}");
        }
        // Every byte value at every position.
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut bytes = *b"a \x0b\t\x1f!\x80\r";
                bytes[at] = b;
                let want = bytes.iter().enumerate().fold(0u64, |m, (k, x)| m | (x.is_ascii_whitespace() as u64) << k);
                assert_eq!(whitespace_bits(u64::from_le_bytes(bytes)), want, "{b:#x} at {at}");
            }
        }
    }

    #[test]
    fn lines_split_as_str_split_whitespace_does() {
        for i in 0..20_000 {
            let words: Vec<String> = line_words(i).map(|(w, _)| w.as_str().to_owned()).collect();
            let line: Vec<&str> = (0..4).map(|k| word(i + k)).collect();
            assert_eq!(words, line, "line {i}");
        }
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
