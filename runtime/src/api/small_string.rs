//! [`SmallString`]: a string for keys and short fields, held inline up to 23 bytes.
//!
//! Words, host names and metric names are short, and a keyed pipeline moves, hashes and
//! compares them once per record (into the exchange batch, out of it, into the state map).
//! A `String` costs an allocation per record and a free on another thread; small-string
//! crates avoid that but build the inline bytes with a byte-wise copy and move them in
//! overlapping pieces, and each reload of such a value waits for the copy to leave the
//! store buffer (measured: two thirds of the source's time in the `wordcount` benchmark).
//! `SmallString` builds its inline form from whole 8-byte loads of the text, keeps it in
//! three aligned words, and compares and hashes those words directly. It plays the part
//! of Flink's `StringValue`, the string type made for speed.
//!
//! ```
//! use rill::prelude::*;
//!
//! #[rill::job(no_main)]
//! fn word_count(env: &mut Env) {
//!     env.from_elements(["to be or not to be"])
//!         .flat_map(|line| line.split_whitespace().map(|w| (SmallString::from(w), 1)).collect::<Vec<_>>())
//!         .key_by(|(word, _)| word.clone())
//!         .sum(1)
//!         .print();
//! }
//!
//! WORD_COUNT_JOB.run(Some(1), &[]).unwrap();
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// The longest text held inline; byte 23 holds the length.
const INLINE_CAPACITY: usize = 23;

/// A string held inline when at most 23 bytes long, on the heap (shared, so that a clone
/// costs a reference count) when longer. Dereferences to `str`.
#[derive(Clone)]
pub struct SmallString(Repr);

#[derive(Clone)]
enum Repr {
    Inline(Inline),
    /// Only text longer than [`INLINE_CAPACITY`]: equal strings have equal representations.
    Heap(Arc<str>),
}

/// Bytes `0..len` are the text, the rest up to byte 22 are zero, byte 23 is `len`.
#[derive(Clone, Copy)]
#[repr(C, align(8))]
struct Inline([u8; 24]);

impl Inline {
    #[inline]
    fn word(&self, i: usize) -> u64 {
        u64::from_le_bytes(self.0[i * 8..i * 8 + 8].try_into().expect("8 bytes"))
    }

    #[inline]
    fn words(&self) -> [u64; 3] {
        [self.word(0), self.word(1), self.word(2)]
    }

    #[inline]
    fn len(&self) -> usize {
        self.0[23] as usize
    }

    /// The text as three little-endian words, read with whole loads (two overlapping ones
    /// for the last part) rather than copied byte by byte.
    #[inline]
    fn new(text: &[u8]) -> Inline {
        let len = text.len();
        debug_assert!(len <= INLINE_CAPACITY);
        let u64_at = |at: usize| u64::from_le_bytes(text[at..at + 8].try_into().expect("8 bytes"));
        let u32_at = |at: usize| u32::from_le_bytes(text[at..at + 4].try_into().expect("4 bytes")) as u64;
        // The last 8 bytes of the text, shifted down so that they start at byte `from`.
        let tail = |from: usize| u64_at(len - 8) >> (8 * (from + 8 - len));
        // Most keys are words of 4 to 8 bytes: that case is tested first, with one compare.
        let (w0, w1, w2) = if len.wrapping_sub(4) <= 4 {
            // Two overlapping 4-byte loads: the bytes they share agree.
            (u32_at(0) | u32_at(len - 4) << (8 * (len - 4)), 0, 0)
        } else {
            match len {
                0 => (0, 0, 0),
                1..=3 => {
                    let mut w = 0;
                    for (i, b) in text.iter().enumerate() {
                        w |= (*b as u64) << (8 * i);
                    }
                    (w, 0, 0)
                }
                9..=16 => (u64_at(0), tail(8), 0),
                _ => (u64_at(0), u64_at(8), tail(16)),
            }
        };
        let mut bytes = [0u8; 24];
        bytes[0..8].copy_from_slice(&w0.to_le_bytes());
        bytes[8..16].copy_from_slice(&w1.to_le_bytes());
        bytes[16..24].copy_from_slice(&(w2 | (len as u64) << 56).to_le_bytes());
        Inline(bytes)
    }
}

impl SmallString {
    /// The empty string.
    pub const fn new() -> Self {
        SmallString(Repr::Inline(Inline([0; 24])))
    }

    /// The string, borrowed.
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline(inline) => {
                let bytes = &inline.0[..inline.len()];
                #[allow(unsafe_code)]
                // SAFETY: the bytes were copied from a `&str` in `Inline::new`, and an inline
                // string is never changed afterwards.
                unsafe {
                    std::str::from_utf8_unchecked(bytes)
                }
            }
            Repr::Heap(text) => text,
        }
    }

    /// The text of UTF-8 bytes (a field of a Kafka record, a word of a line read as
    /// bytes), or why they are not UTF-8. Short ASCII text is checked on the three words
    /// already loaded, without a pass over the bytes.
    #[inline]
    pub fn from_utf8(bytes: &[u8]) -> Result<SmallString, std::str::Utf8Error> {
        if bytes.len() <= INLINE_CAPACITY {
            let inline = Inline::new(bytes);
            let [a, b, c] = inline.words();
            // The length byte is at most 23: its high bit is clear, as ASCII's are.
            if (a | b | c) & 0x8080_8080_8080_8080 == 0 {
                return Ok(SmallString(Repr::Inline(inline)));
            }
        }
        std::str::from_utf8(bytes).map(SmallString::from)
    }

    /// Whether the text is held inline (at most 23 bytes).
    pub fn is_inline(&self) -> bool {
        matches!(self.0, Repr::Inline(_))
    }
}

impl Default for SmallString {
    fn default() -> Self {
        SmallString::new()
    }
}

impl From<&str> for SmallString {
    #[inline]
    fn from(text: &str) -> Self {
        if text.len() <= INLINE_CAPACITY {
            SmallString(Repr::Inline(Inline::new(text.as_bytes())))
        } else {
            SmallString(Repr::Heap(Arc::from(text)))
        }
    }
}

impl From<&String> for SmallString {
    fn from(text: &String) -> Self {
        SmallString::from(text.as_str())
    }
}

impl From<String> for SmallString {
    fn from(text: String) -> Self {
        if text.len() <= INLINE_CAPACITY {
            SmallString::from(text.as_str())
        } else {
            SmallString(Repr::Heap(Arc::from(text)))
        }
    }
}

impl From<SmallString> for String {
    fn from(s: SmallString) -> Self {
        s.as_str().to_owned()
    }
}

impl std::str::FromStr for SmallString {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(SmallString::from(s))
    }
}

impl Deref for SmallString {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for SmallString {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for SmallString {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            // Word by word, never as one 24-byte compare: the key looked up is often
            // just stored by word-sized moves, and a 16-byte vector load of those stores
            // stalls on store forwarding (a quarter of the word count's time).
            (Repr::Inline(a), Repr::Inline(b)) => {
                let ([a0, a1, a2], [b0, b1, b2]) = (a.words(), b.words());
                ((a0 ^ b0) | (a1 ^ b1) | (a2 ^ b2)) == 0
            }
            (Repr::Heap(a), Repr::Heap(b)) => a == b,
            // Text that fits inline is always held inline.
            _ => false,
        }
    }
}

impl Eq for SmallString {}

impl PartialEq<str> for SmallString {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for SmallString {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for SmallString {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<SmallString> for &str {
    fn eq(&self, other: &SmallString) -> bool {
        *self == other.as_str()
    }
}

/// Not `str`'s hash (so `SmallString` is not `Borrow<str>`): an inline string hashes its
/// three words, which is what makes it cheap. The hash is fixed, as key groups need.
impl Hash for SmallString {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        match &self.0 {
            Repr::Inline(inline) => {
                let [a, b, c] = inline.words();
                state.write_u64(a);
                state.write_u64(b);
                state.write_u64(c);
            }
            Repr::Heap(text) => state.write(text.as_bytes()),
        }
    }
}

impl PartialOrd for SmallString {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SmallString {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Display for SmallString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for SmallString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(feature = "json")]
impl serde::Serialize for SmallString {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(feature = "json")]
impl<'de> serde::Deserialize<'de> for SmallString {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = SmallString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SmallString, E> {
                Ok(SmallString::from(v))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<SmallString, E> {
                Ok(SmallString::from(v))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::key_groups::FxHasher;

    fn hash(s: &SmallString) -> u64 {
        let mut h = FxHasher::default();
        s.hash(&mut h);
        h.finish()
    }

    #[test]
    fn every_length_round_trips_and_compares_by_text() {
        let text = "abcdefghijklmnopqrstuvwxyz0123456789";
        for len in 0..=text.len() {
            let s = SmallString::from(&text[..len]);
            assert_eq!(s.as_str(), &text[..len], "length {len}");
            assert_eq!(s.len(), len);
            assert_eq!(s.is_inline(), len <= 23, "length {len}");
            assert_eq!(s, SmallString::from(text[..len].to_owned()));
            assert_eq!(hash(&s), hash(&SmallString::from(&text[..len])));
            if len > 0 {
                // Same length, last byte differs; and one byte shorter.
                let mut other = text[..len - 1].to_owned();
                other.push('!');
                assert_ne!(s, SmallString::from(other.as_str()), "length {len}");
                assert_ne!(s, SmallString::from(&text[..len - 1]), "length {len}");
            }
        }
    }

    #[test]
    fn multi_byte_text_and_order_are_those_of_str() {
        let words = ["zürich", "", "a", "ab", "größenwahnsinnig-und-mehr", "日本語", "b"];
        for w in words {
            assert_eq!(SmallString::from(w).as_str(), w);
            assert_eq!(SmallString::from(w).to_string(), w);
            assert_eq!(format!("{:?}", SmallString::from(w)), format!("{w:?}"));
        }
        let mut sorted: Vec<SmallString> = words.iter().map(|w| SmallString::from(*w)).collect();
        sorted.sort();
        let mut expected = words.to_vec();
        expected.sort();
        assert_eq!(sorted, expected.iter().map(|w| SmallString::from(*w)).collect::<Vec<_>>());
    }

    #[test]
    fn from_utf8_accepts_utf8_and_names_what_is_not() {
        for text in ["", "w1eef", "zürich", "日本語", "abcdefghijklmnopqrstuvw", "abcdefghijklmnopqrstuvwxyz"] {
            assert_eq!(SmallString::from_utf8(text.as_bytes()).unwrap(), SmallString::from(text));
        }
        for bytes in [&b"\xff"[..], b"ab\xc3", b"abcdefghijklmnopqrstuvwxyz\x80"] {
            let err = SmallString::from_utf8(bytes).unwrap_err();
            assert_eq!(err, std::str::from_utf8(bytes).unwrap_err());
        }
    }

    #[test]
    fn distinct_short_words_hash_apart() {
        let hashes: std::collections::HashSet<u64> =
            (0..10_000).map(|i| hash(&SmallString::from(format!("w{:x}", i * 7919).as_str()))).collect();
        assert_eq!(hashes.len(), 10_000);
    }
}
