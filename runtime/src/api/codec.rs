//! `Codec`: how a record crosses a process boundary (Flink's `TypeSerializer`).
//!
//! Inside a chain records pass by value. Between processes (a job split over several, a
//! cluster's TaskManagers) each batch is encoded into a frame and decoded on the other side.
//! Inside a process, records move through channels as they are, unless they own heap
//! memory ([`Codec::OWNS_HEAP`]: strings, vectors, maps): those cross encoded, as Flink's
//! records always do, so that each allocation is freed by the thread that made it (a free
//! from another thread is the allocator's slow path; measured on the word count as users
//! write it, 1.6× faster encoded). Every type that crosses an exchange implements `Codec`:
//! the standard types do here, and a user's own record types derive it with
//! `#[derive(rill::Codec)]`.
//!
//! The format is plain and positional: integers little-endian at their width, lengths as
//! `u32`, enums as a `u32` variant index, no field names and no versioning (both sides run
//! the same job binary). Decoding checks every length and UTF-8 string, so a damaged frame
//! is an error that names what was being read, never undefined behaviour or a panic.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;
use std::time::Duration;

/// A record type that can travel between processes. Derive it with `#[derive(rill::Codec)]`.
///
/// ```
/// use rill::Codec;
///
/// #[derive(Codec, Debug, PartialEq)]
/// struct Reading {
///     host: String,
///     value: f64,
///     tags: Vec<(String, String)>,
/// }
///
/// let reading = Reading { host: "web-1".into(), value: 0.97, tags: vec![("dc".into(), "eu".into())] };
/// let mut bytes = Vec::new();
/// reading.encode(&mut bytes);
/// assert_eq!(rill::codec::decode_all::<Reading>(&bytes).unwrap(), reading);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not implement `rill::Codec`: it crosses an exchange or is kept in checkpoints",
    label = "records of this type go from one chain to another (possibly in another process), or into an operator's state",
    note = "derive it on your type: `#[derive(rill::Codec)]` (every field must implement `Codec` too)"
)]
pub trait Codec: Sized {
    /// The value owns heap memory (a `String`, a `Vec`, ..): an exchange inside a process
    /// sends it encoded rather than moving it, so that its allocations are freed by the
    /// thread that made them. The derive computes it from the fields; a hand-written `Codec`
    /// of such a type should set it.
    const OWNS_HEAP: bool = false;

    /// Appends the value's bytes to `out`.
    fn encode(&self, out: &mut Vec<u8>);
    /// Reads one value from the front of `input`.
    fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError>;
}

/// Why bytes could not be decoded: what was being read and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

/// Reads values from the front of a byte slice.
pub struct Decoder<'a> {
    bytes: &'a [u8],
}

impl<'a> Decoder<'a> {
    /// A decoder reading `bytes` from the start.
    pub fn new(bytes: &'a [u8]) -> Self {
        Decoder { bytes }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len()
    }

    /// The next `n` bytes.
    #[inline]
    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], DecodeError> {
        if self.bytes.len() < n {
            return Err(short(what, n, self.bytes.len()));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    #[inline]
    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(bytes);
        Ok(a)
    }

    /// A length written by [`encode_len`], checked against the bytes left (each element
    /// takes at least `min_element` bytes), so a damaged length cannot allocate gigabytes.
    #[inline]
    pub fn len(&mut self, min_element: usize, what: &str) -> Result<usize, DecodeError> {
        let n = u32::from_le_bytes(self.array(what)?) as usize;
        if n.saturating_mul(min_element) > self.bytes.len() {
            return Err(too_long(what, n, self.bytes.len()));
        }
        Ok(n)
    }

    /// A string of `n` bytes, checked to be UTF-8.
    #[inline]
    pub fn str(&mut self, n: usize) -> Result<&'a str, DecodeError> {
        let bytes = self.take(n, "a string")?;
        if let Some(ascii) = short_ascii(bytes) {
            return Ok(ascii);
        }
        std::str::from_utf8(bytes).map_err(not_utf8)
    }
}

/// Text of at most 16 bytes that is all ASCII, checked with two overlapping 8-byte loads
/// instead of `from_utf8`'s pass over each byte (words, host names and metric names are
/// short: the check took 7 % of a word count's instructions).
#[inline]
fn short_ascii(bytes: &[u8]) -> Option<&str> {
    let len = bytes.len();
    let high = match len {
        0 => 0,
        1..=7 => bytes.iter().fold(0u8, |acc, b| acc | b) as u64 & 0x80,
        8..=16 => {
            let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
            (word(0) | word(len - 8)) & 0x8080_8080_8080_8080
        }
        _ => return None,
    };
    if high != 0 {
        return None;
    }
    #[allow(unsafe_code)]
    // SAFETY: every byte is below 0x80: ASCII, which is valid UTF-8.
    Some(unsafe { std::str::from_utf8_unchecked(bytes) })
}

// The errors, out of line: decoding is on every record's path in an exchange.

#[cold]
#[inline(never)]
fn short(what: &str, n: usize, left: usize) -> DecodeError {
    DecodeError(format!("{what}: needs {n} bytes, {left} left"))
}

#[cold]
#[inline(never)]
fn too_long(what: &str, n: usize, left: usize) -> DecodeError {
    DecodeError(format!("{what}: a length of {n} with {left} bytes left"))
}

#[cold]
#[inline(never)]
fn not_utf8(e: std::str::Utf8Error) -> DecodeError {
    DecodeError(format!("a string is not UTF-8: {e}"))
}

/// Writes a collection's length (lengths above `u32::MAX` cannot be sent).
#[inline]
pub fn encode_len(len: usize, out: &mut Vec<u8>) {
    let n = u32::try_from(len).expect("a collection of more than 4 billion elements cannot cross an exchange");
    out.extend_from_slice(&n.to_le_bytes());
}

/// Decodes one value that must fill `bytes` exactly.
pub fn decode_all<T: Codec>(bytes: &[u8]) -> Result<T, DecodeError> {
    let mut d = Decoder::new(bytes);
    let v = T::decode(&mut d)?;
    if d.remaining() != 0 {
        return Err(DecodeError(format!("{} bytes left over after the value", d.remaining())));
    }
    Ok(v)
}

macro_rules! numbers {
    ($($t:ty),*) => {$(
        impl Codec for $t {
            #[inline]
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            #[inline]
            fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError> {
                Ok(<$t>::from_le_bytes(input.array(stringify!($t))?))
            }
        }
    )*};
}
numbers!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, f32, f64);

/// Pointer-sized integers travel at 64 bits, so both ends agree whatever their width.
macro_rules! pointer_sized {
    ($($t:ty as $wide:ty),*) => {$(
        impl Codec for $t {
            fn encode(&self, out: &mut Vec<u8>) {
                (*self as $wide).encode(out);
            }
            fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError> {
                let v = <$wide>::decode(input)?;
                <$t>::try_from(v).map_err(|_| DecodeError(format!("{}: {v} does not fit", stringify!($t))))
            }
        }
    )*};
}
pointer_sized!(usize as u64, isize as i64);

impl Codec for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self as u8);
    }
    fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        match u8::decode(input)? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(DecodeError(format!("bool: byte {b}"))),
        }
    }
}

impl Codec for char {
    fn encode(&self, out: &mut Vec<u8>) {
        (*self as u32).encode(out);
    }
    fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let v = u32::decode(input)?;
        char::from_u32(v).ok_or_else(|| DecodeError(format!("char: {v:#x} is not a character")))
    }
}

impl Codec for () {
    fn encode(&self, _: &mut Vec<u8>) {}
    fn decode(_: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Ok(())
    }
}

impl Codec for Duration {
    fn encode(&self, out: &mut Vec<u8>) {
        self.as_secs().encode(out);
        self.subsec_nanos().encode(out);
    }
    fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let secs = u64::decode(input)?;
        let nanos = u32::decode(input)?;
        if nanos >= 1_000_000_000 {
            return Err(DecodeError(format!("Duration: {nanos} nanoseconds")));
        }
        Ok(Duration::new(secs, nanos))
    }
}

#[inline]
fn encode_str(s: &str, out: &mut Vec<u8>) {
    encode_len(s.len(), out);
    out.extend_from_slice(s.as_bytes());
}

#[inline]
fn decode_str<'a>(input: &mut Decoder<'a>) -> Result<&'a str, DecodeError> {
    let n = input.len(1, "a string's length")?;
    input.str(n)
}

impl Codec for String {
    const OWNS_HEAP: bool = true;

    #[inline]
    fn encode(&self, out: &mut Vec<u8>) {
        encode_str(self, out);
    }
    #[inline]
    fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        decode_str(input).map(str::to_owned)
    }
}

impl Codec for Box<str> {
    const OWNS_HEAP: bool = true;

    fn encode(&self, out: &mut Vec<u8>) {
        encode_str(self, out);
    }
    fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        decode_str(input).map(Box::from)
    }
}

impl Codec for Arc<str> {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_str(self, out);
    }
    fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        decode_str(input).map(Arc::from)
    }
}

impl Codec for crate::SmallString {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_str(self.as_str(), out);
    }
    fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        decode_str(input).map(crate::SmallString::from)
    }
}

impl Codec for &'static str {
    /// A `&'static str` record (`from_elements(["a", "b"])`) arrives as a leaked copy: fine
    /// for the constants such records are, wrong for an unbounded stream of them (send
    /// `String` or [`SmallString`](crate::SmallString) instead).
    fn encode(&self, out: &mut Vec<u8>) {
        encode_str(self, out);
    }
    fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        decode_str(input).map(|s| &*Box::leak(Box::<str>::from(s)))
    }
}

impl<T: Codec> Codec for Box<T> {
    const OWNS_HEAP: bool = true;

    fn encode(&self, out: &mut Vec<u8>) {
        (**self).encode(out);
    }
    fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        T::decode(input).map(Box::new)
    }
}

impl<T: Codec> Codec for Arc<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        (**self).encode(out);
    }
    fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        T::decode(input).map(Arc::new)
    }
}

impl<T: Codec> Codec for Option<T> {
    const OWNS_HEAP: bool = T::OWNS_HEAP;

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                v.encode(out);
            }
        }
    }
    fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        match u8::decode(input)? {
            0 => Ok(None),
            1 => T::decode(input).map(Some),
            b => Err(DecodeError(format!("Option: tag {b}"))),
        }
    }
}

impl<T: Codec, E: Codec> Codec for Result<T, E> {
    const OWNS_HEAP: bool = T::OWNS_HEAP || E::OWNS_HEAP;

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Ok(v) => {
                out.push(0);
                v.encode(out);
            }
            Err(e) => {
                out.push(1);
                e.encode(out);
            }
        }
    }
    fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        match u8::decode(input)? {
            0 => T::decode(input).map(Ok),
            1 => E::decode(input).map(Err),
            b => Err(DecodeError(format!("Result: tag {b}"))),
        }
    }
}

/// Sequences: the length, then the elements.
macro_rules! sequences {
    ($($t:ident<$e:ident $(: $bound:path)?> via $insert:ident;)*) => {$(
        impl<$e: Codec $(+ $bound)?> Codec for $t<$e> {
            const OWNS_HEAP: bool = true;

            fn encode(&self, out: &mut Vec<u8>) {
                encode_len(self.len(), out);
                for e in self {
                    e.encode(out);
                }
            }
            fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError> {
                let n = input.len(0, stringify!($t))?;
                let mut c = $t::new();
                for _ in 0..n {
                    c.$insert($e::decode(input)?);
                }
                Ok(c)
            }
        }
    )*};
}
sequences! {
    Vec<T> via push;
    VecDeque<T> via push_back;
    BTreeSet<T: Ord> via insert;
}

impl<T: Codec + Eq + Hash, S: BuildHasher + Default> Codec for HashSet<T, S> {
    const OWNS_HEAP: bool = true;

    fn encode(&self, out: &mut Vec<u8>) {
        encode_len(self.len(), out);
        self.iter().for_each(|e| e.encode(out));
    }
    fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let n = input.len(0, "HashSet")?;
        (0..n).map(|_| T::decode(input)).collect()
    }
}

impl<K: Codec + Eq + Hash, V: Codec, S: BuildHasher + Default> Codec for HashMap<K, V, S> {
    const OWNS_HEAP: bool = true;

    fn encode(&self, out: &mut Vec<u8>) {
        encode_len(self.len(), out);
        for (k, v) in self {
            k.encode(out);
            v.encode(out);
        }
    }
    fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let n = input.len(0, "HashMap")?;
        (0..n).map(|_| Ok((K::decode(input)?, V::decode(input)?))).collect()
    }
}

impl<K: Codec + Ord, V: Codec> Codec for BTreeMap<K, V> {
    const OWNS_HEAP: bool = true;

    fn encode(&self, out: &mut Vec<u8>) {
        encode_len(self.len(), out);
        for (k, v) in self {
            k.encode(out);
            v.encode(out);
        }
    }
    fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let n = input.len(0, "BTreeMap")?;
        (0..n).map(|_| Ok((K::decode(input)?, V::decode(input)?))).collect()
    }
}

impl<T: Codec, const N: usize> Codec for [T; N] {
    const OWNS_HEAP: bool = T::OWNS_HEAP;

    fn encode(&self, out: &mut Vec<u8>) {
        self.iter().for_each(|e| e.encode(out));
    }
    fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let v = (0..N).map(|_| T::decode(input)).collect::<Result<Vec<T>, _>>()?;
        Ok(v.try_into().unwrap_or_else(|_| unreachable!("N elements were decoded")))
    }
}

macro_rules! tuples {
    ($(($($t:ident $i:tt),+);)*) => {$(
        impl<$($t: Codec),+> Codec for ($($t,)+) {
            const OWNS_HEAP: bool = false $(|| $t::OWNS_HEAP)+;

            #[inline]
            fn encode(&self, out: &mut Vec<u8>) {
                $(self.$i.encode(out);)+
            }
            #[inline]
            fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError> {
                Ok(($($t::decode(input)?,)+))
            }
        }
    )*};
}
tuples! {
    (A 0);
    (A 0, B 1);
    (A 0, B 1, C 2);
    (A 0, B 1, C 2, D 3);
    (A 0, B 1, C 2, D 3, E 4);
    (A 0, B 1, C 2, D 3, E 4, F 5);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
}

#[cfg(feature = "json")]
impl Codec for serde_json::Value {
    const OWNS_HEAP: bool = true;

    /// As JSON text: the value is self-describing, so a compact binary form would gain little.
    fn encode(&self, out: &mut Vec<u8>) {
        encode_str(&self.to_string(), out);
    }
    fn decode(input: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        serde_json::from_str(decode_str(input)?).map_err(|e| DecodeError(format!("a JSON value: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Codec + PartialEq + std::fmt::Debug>(v: T) {
        let mut bytes = Vec::new();
        v.encode(&mut bytes);
        assert_eq!(decode_all::<T>(&bytes).unwrap(), v);
    }

    #[test]
    fn short_ascii_is_read_without_a_pass_and_anything_else_is_checked() {
        for text in ["", "a", "w1eef", "exactly8", "sixteen-bytes-ok", "seventeen-bytes!!", "café", "naïve-hôte-12345"]
        {
            let mut bytes = Vec::new();
            text.to_owned().encode(&mut bytes);
            assert_eq!(decode_all::<String>(&bytes).unwrap(), text);
        }
        for bad in [&[0xff][..], &[b'a', 0xc3][..], &[b'x'; 9].iter().copied().chain([0x80]).collect::<Vec<_>>()[..]] {
            let mut bytes = (bad.len() as u32).to_le_bytes().to_vec();
            bytes.extend_from_slice(bad);
            assert!(decode_all::<String>(&bytes).unwrap_err().0.contains("not UTF-8"), "{bad:?}");
        }
    }

    #[test]
    fn types_that_own_heap_memory_say_so() {
        #[derive(crate::Codec)]
        struct Plain {
            _a: i64,
            _b: (u8, Option<f64>),
        }
        #[derive(crate::Codec)]
        struct Named {
            _a: i64,
            _host: String,
        }
        #[derive(crate::Codec)]
        enum Either {
            _Number(i64),
            _Text(Option<Vec<u8>>),
        }
        const { assert!(!Plain::OWNS_HEAP && !<(i64, f64)>::OWNS_HEAP && !crate::SmallString::OWNS_HEAP) };
        const { assert!(!<&'static str>::OWNS_HEAP, "decoding one leaks a copy: it must move") };
        const { assert!(Named::OWNS_HEAP && Either::OWNS_HEAP && <(String, i64)>::OWNS_HEAP && Vec::<u8>::OWNS_HEAP) };
    }

    #[test]
    fn standard_types_round_trip() {
        round_trip(42u8);
        round_trip(-7i64);
        round_trip(u128::MAX);
        round_trip(3.5f64);
        round_trip(usize::MAX);
        round_trip(true);
        round_trip('ß');
        round_trip(());
        round_trip(Duration::from_millis(1500));
        round_trip("flink".to_owned());
        round_trip(crate::SmallString::from("a key longer than twenty-three bytes"));
        round_trip(Arc::<str>::from("shared"));
        round_trip(Some(vec![1u32, 2, 3]));
        round_trip(None::<String>);
        round_trip(Ok::<i32, String>(1));
        round_trip(Err::<i32, String>("no".into()));
        round_trip(("hello".to_owned(), 3i32, 2.5f32));
        round_trip([1i16, 2, 3]);
        round_trip(VecDeque::from([1u8, 2]));
        round_trip(HashMap::from([("a".to_owned(), 1u64), ("b".to_owned(), 2)]));
        round_trip(BTreeMap::from([(1i32, vec!["x".to_owned()])]));
        round_trip(HashSet::from([1u16, 9]));
        round_trip(Box::new((1u8, 2u8)));
        let s: &'static str = "static";
        round_trip(s);
    }

    #[test]
    fn damaged_bytes_are_errors_that_say_what_was_read() {
        assert!(decode_all::<u64>(&[1, 2]).unwrap_err().0.contains("u64: needs 8 bytes"));
        assert!(decode_all::<bool>(&[7]).unwrap_err().0.contains("bool"));
        let mut bytes = Vec::new();
        encode_len(1_000_000_000, &mut bytes);
        assert!(decode_all::<String>(&bytes).unwrap_err().0.contains("length of 1000000000"));
        let mut bytes = Vec::new();
        encode_len(2, &mut bytes);
        bytes.extend_from_slice(&[0xff, 0xfe]);
        assert!(decode_all::<String>(&bytes).unwrap_err().0.contains("not UTF-8"));
        assert!(decode_all::<u8>(&[1, 2]).unwrap_err().0.contains("left over"));
    }
}
