//! Pipeline fragments: named, reusable pieces of a job, fused with the job that calls them.
//!
//! A `#[rill::fragment]` function takes streams (parameters of type [`DataStream<T>`] or
//! [`KeyedStream<K, T>`]) and plain values, and returns a stream (or ends in sinks and
//! returns nothing). A `#[rill::job]` that calls it gets the fragment's body inlined where
//! the call stands: there is still one pipeline, and the fragment's operators chain with
//! the job's own, as Flink chains the operators of a method that takes and returns a
//! `DataStream`.
//!
//! ```
//! use rill::prelude::*;
//! use rill::testing::{collect, Collected};
//!
//! /// Parses `host value` lines, keeps the readings at or above `min`.
//! #[rill::fragment]
//! fn readings(lines: DataStream<&'static str>, min: i64) -> DataStream<(String, i64)> {
//!     let parsed = lines.flat_map(|line, out| {
//!         if let Some((host, value)) = line.split_once(' ') {
//!             if let Ok(value) = value.parse::<i64>() {
//!                 out.collect((host.to_owned(), value))
//!             }
//!         }
//!     });
//!     parsed.filter(move |(_, value)| *value >= min)
//! }
//!
//! static OUT: Collected<(String, i64)> = Collected::new();
//!
//! #[rill::job(no_main)]
//! fn peaks(env: &mut Env) {
//!     let lines = env.from_elements(["a 5", "b 90", "garbage", "a 95", "b 7"]);
//!     readings(lines, 50).key_by(|(host, _)| host).max(1).sink_to(collect(&OUT));
//! }
//!
//! PEAKS_JOB.run(Some(1), &[]).unwrap();
//! assert_eq!(OUT.sorted(), [("a".to_owned(), 95), ("b".to_owned(), 90)]);
//! // One chain: the fragment's flat_map and filter are fused with the source.
//! assert!(PEAKS_JOB.plan_json(1).contains("Flat Map -> Filter"));
//! ```
//!
//! A fragment's body is written as a job's is (`let` bindings of streams, plain statements,
//! a stream as its last expression), and may call other fragments. Its names are its own:
//! two calls, or a job's variable of the same name, never see each other's values. The
//! paths it uses (types, functions) are read where the job is, since the body is inlined
//! there: a job calling a fragment of another module imports what the fragment names, or
//! the fragment writes full paths (`crate::metrics::Metric`, which means the fragment's own
//! crate wherever it is inlined). A fragment is visible where its function is; a `pub` one
//! serves the jobs of other crates too (its macro is exported at its crate's root, so two
//! `pub` fragments of one crate need two names).

use std::marker::PhantomData;

/// A stream in a fragment's signature: what the fragment takes or returns. Only a marker:
/// the compiler inlines the fragment, and the records' type is inferred where it is.
pub struct DataStream<T>(PhantomData<fn() -> T>);

/// A keyed stream (after `key_by`) in a fragment's signature.
pub struct KeyedStream<K, T>(PhantomData<fn() -> (K, T)>);

impl<T> DataStream<T> {
    /// What the function `#[rill::fragment]` leaves for rustdoc returns.
    #[doc(hidden)]
    pub const fn inlined() -> Self {
        DataStream(PhantomData)
    }
}

impl<K, T> KeyedStream<K, T> {
    /// What the function `#[rill::fragment]` leaves for rustdoc returns.
    #[doc(hidden)]
    pub const fn inlined() -> Self {
        KeyedStream(PhantomData)
    }
}
