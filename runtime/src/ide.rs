//! The IDE's view of a job (generated from the compiler's operator specs by
//! `rill_compiler::ops::ide::facade`; `RILL_BLESS=1 cargo test -p rill-compiler --test
//! ide_facade` writes it): typed stand-ins for every kind of stream, with one method per
//! operator, for rust-analyzer to complete and document. A job's body is the compiler's
//! input, not calls of Rust methods; when it does not compile (as while a name is being
//! typed), the expansion carries it again on these types under `cfg(rust_analyzer)`, which
//! rustc never compiles. Nothing here runs.
#![allow(clippy::too_many_arguments, clippy::new_ret_no_self, missing_docs, unused_variables)]

pub use crate::api::fragment::{DataStream, KeyedStream};
use std::marker::PhantomData;

/// `env` in the IDE's view: the job's own [`Env`](crate::Env) (its settings and
/// parameters), with the sources.
pub struct IdeEnv<'a>(&'a mut crate::Env);

impl<'a> IdeEnv<'a> {
    /// The job's `env`, seen with its sources.
    pub fn of(env: &'a mut crate::Env) -> Self {
        IdeEnv(env)
    }
}

impl std::ops::Deref for IdeEnv<'_> {
    type Target = crate::Env;
    fn deref(&self) -> &crate::Env {
        self.0
    }
}

impl std::ops::DerefMut for IdeEnv<'_> {
    fn deref_mut(&mut self) -> &mut crate::Env {
        self.0
    }
}

/// After `window(..)`, `window_all(..)` or `count_window(..)`.
pub struct WindowedStream<K, T>(PhantomData<fn() -> (K, T)>);
/// After `connect(other)`.
pub struct ConnectedStreams<A, B>(PhantomData<fn() -> (A, B)>);
/// After `join(other)`.
pub struct JoinedStreams<A, B>(PhantomData<fn() -> (A, B)>);
/// After `co_group(other)`.
pub struct CoGroupedStreams<A, B>(PhantomData<fn() -> (A, B)>);
/// After `interval_join(other)`.
pub struct IntervalJoin<A, B>(PhantomData<fn() -> (A, B)>);
/// After a sink: its name, uid and parallelism.
pub struct DataStreamSink;

impl IdeEnv<'_> {
    /// `from_elements([a, b, ...])`
    pub fn from_elements<T>(&self, arg1: impl Sized) -> DataStream<T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `from_iter(iterable)`
    pub fn from_iter<T>(&self, iterable: impl Sized) -> DataStream<T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `from_sequence(start, end)`
    pub fn from_sequence<T>(&self, start: impl Sized, end: impl Sized) -> DataStream<T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `socket_text_stream(host, port), socket_text_stream(host, port, delimiter) or socket_text_stream(host, port, delimiter, max_record_bytes)`
    pub fn socket_text_stream<T>(&self, host: impl Sized, port: impl Sized, delimiter: impl Sized, max_record_bytes: impl Sized) -> DataStream<T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `from_source(source, WatermarkStrategy::for_bounded_out_of_orderness(..), "name")`
    pub fn from_source<T>(&self, source: impl Sized, arg2: impl Sized, arg3: impl Sized) -> DataStream<T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `read_text_file(path)`
    pub fn read_text_file<T>(&self, path: impl Sized) -> DataStream<T> {
        unreachable!("the IDE's view of a job is never run")
    }
}

impl<T> DataStream<T> {
    /// `assign_timestamps_and_watermarks(WatermarkStrategy::for_bounded_out_of_orderness(..).with_timestamp_assigner(|record, ts| ..))`
    pub fn assign_timestamps_and_watermarks(self, arg1: impl Sized) -> DataStream<T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `window(TumblingEventTimeWindows::of(Duration::from_secs(10)))`
    pub fn window<U>(self, arg1: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `window_all(TumblingEventTimeWindows::of(Duration::from_secs(10)))`
    pub fn window_all(self, arg1: impl Sized) -> WindowedStream<(), T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `count_window(size) or count_window(size, slide)`
    pub fn count_window<U>(self, size: impl Sized, slide: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `side_output(&TAG)`
    pub fn side_output<U>(self, arg1: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `map(|record| ...)`
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `flat_map(|record, out| out.collect(..)) or flat_map(|record| iterable)`
    pub fn flat_map<U>(self, arg1: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `filter(|record| bool)`
    pub fn filter(self, f: impl FnMut(&T) -> bool) -> DataStream<T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `process(|record, ctx, out| ...)`
    pub fn process<U>(self, arg1: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `key_by(|record| key), on connected streams key_by(|a| key, |b| key)`
    pub fn key_by<K2>(self, arg1: impl Sized) -> KeyedStream<K2, T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `connect(other)`
    pub fn connect<U>(self, other: impl Sized) -> ConnectedStreams<T, U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `join(other).where_(|a| key).equal_to(|b| key).window(assigner).apply(|a, b| out)`
    pub fn join<U>(self, other: impl Sized) -> JoinedStreams<T, U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `co_group(other).where_(|a| key).equal_to(|b| key).window(assigner).apply(|first, second, out| ..)`
    pub fn co_group<U>(self, other: impl Sized) -> CoGroupedStreams<T, U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `a.key_by(..).interval_join(b.key_by(..)).between(lower_ms, upper_ms).process(|left, right, ctx, out| ..)`
    pub fn interval_join<U>(self, arg1: impl Sized) -> IntervalJoin<T, U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `union(other, ...)`
    pub fn union(self, other: impl Sized) -> DataStream<T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `forward()`
    pub fn forward(self) -> DataStream<T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `rebalance()`
    pub fn rebalance(self) -> DataStream<T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `rescale()`
    pub fn rescale(self) -> DataStream<T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `broadcast(), or broadcast(&STATE) for a broadcast state`
    pub fn broadcast(self, arg1: impl Sized) -> DataStream<T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `global()`
    pub fn global(self) -> DataStream<T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `name("...")`
    pub fn name(self, arg1: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `uid("...")`
    pub fn uid(self, arg1: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `set_parallelism(n)`
    pub fn set_parallelism(self, n: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `set_max_parallelism(n)`
    pub fn set_max_parallelism(self, n: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `start_new_chain()`
    pub fn start_new_chain(self) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `disable_chaining()`
    pub fn disable_chaining(self) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `print()`
    pub fn print(self) -> DataStreamSink {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `print_to_err()`
    pub fn print_to_err(self) -> DataStreamSink {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `write_as_text(path)`
    pub fn write_as_text(self, path: impl Sized) -> DataStreamSink {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `sink_to(sink)`
    pub fn sink_to(self, sink: impl Sized) -> DataStreamSink {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `discard()`
    pub fn discard(self) -> DataStreamSink {
        unreachable!("the IDE's view of a job is never run")
    }
}

impl<K, T> KeyedStream<K, T> {
    /// `assign_timestamps_and_watermarks(WatermarkStrategy::for_bounded_out_of_orderness(..).with_timestamp_assigner(|record, ts| ..))`
    pub fn assign_timestamps_and_watermarks(self, arg1: impl Sized) -> DataStream<T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `window(TumblingEventTimeWindows::of(Duration::from_secs(10)))`
    pub fn window(self, arg1: impl Sized) -> WindowedStream<K, T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `window_all(TumblingEventTimeWindows::of(Duration::from_secs(10)))`
    pub fn window_all<U>(self, arg1: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `count_window(size) or count_window(size, slide)`
    pub fn count_window(self, size: impl Sized, slide: impl Sized) -> WindowedStream<K, T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `side_output(&TAG)`
    pub fn side_output<U>(self, arg1: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `map(|record| ...)`
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `flat_map(|record, out| out.collect(..)) or flat_map(|record| iterable)`
    pub fn flat_map<U>(self, arg1: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `filter(|record| bool)`
    pub fn filter(self, f: impl FnMut(&T) -> bool) -> DataStream<T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `process(|record, ctx, out| ...)`
    pub fn process<U>(self, arg1: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `key_by(|record| key), on connected streams key_by(|a| key, |b| key)`
    pub fn key_by<U>(self, arg1: impl Sized, arg2: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `connect(other)`
    pub fn connect<U>(self, other: impl Sized) -> ConnectedStreams<T, U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `join(other).where_(|a| key).equal_to(|b| key).window(assigner).apply(|a, b| out)`
    pub fn join<U>(self, other: impl Sized) -> JoinedStreams<T, U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `co_group(other).where_(|a| key).equal_to(|b| key).window(assigner).apply(|first, second, out| ..)`
    pub fn co_group<U>(self, other: impl Sized) -> CoGroupedStreams<T, U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `a.key_by(..).interval_join(b.key_by(..)).between(lower_ms, upper_ms).process(|left, right, ctx, out| ..)`
    pub fn interval_join<U>(self, arg1: impl Sized) -> IntervalJoin<T, U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `reduce(|aggregate, record| new_aggregate), on a window also reduce(f, |key, window, result, out| ..)`
    pub fn reduce<U>(self, arg1: impl Sized, arg2: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `sum(field), with a tuple position (sum(1)) or a field name (sum(count))`
    pub fn sum<U>(self, arg1: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `min(field)`
    pub fn min<U>(self, field: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `max(field)`
    pub fn max<U>(self, field: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `min_by(field)`
    pub fn min_by<U>(self, field: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `max_by(field)`
    pub fn max_by<U>(self, field: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `union(other, ...)`
    pub fn union(self, other: impl Sized) -> DataStream<T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `forward()`
    pub fn forward(self) -> DataStream<T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `rebalance()`
    pub fn rebalance(self) -> DataStream<T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `rescale()`
    pub fn rescale(self) -> DataStream<T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `broadcast(), or broadcast(&STATE) for a broadcast state`
    pub fn broadcast(self, arg1: impl Sized) -> DataStream<T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `global()`
    pub fn global(self) -> DataStream<T> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `name("...")`
    pub fn name(self, arg1: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `uid("...")`
    pub fn uid(self, arg1: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `set_parallelism(n)`
    pub fn set_parallelism(self, n: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `set_max_parallelism(n)`
    pub fn set_max_parallelism(self, n: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `start_new_chain()`
    pub fn start_new_chain(self) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `disable_chaining()`
    pub fn disable_chaining(self) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `print()`
    pub fn print(self) -> DataStreamSink {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `print_to_err()`
    pub fn print_to_err(self) -> DataStreamSink {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `write_as_text(path)`
    pub fn write_as_text(self, path: impl Sized) -> DataStreamSink {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `sink_to(sink)`
    pub fn sink_to(self, sink: impl Sized) -> DataStreamSink {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `discard()`
    pub fn discard(self) -> DataStreamSink {
        unreachable!("the IDE's view of a job is never run")
    }
}

impl<K, T> WindowedStream<K, T> {
    /// `allowed_lateness(Duration::from_secs(5))`
    pub fn allowed_lateness(self, arg1: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `aggregate(an AggregateFunction) or aggregate(f, |key, window, result, out| ..)`
    pub fn aggregate<U>(self, f: impl Sized, arg2: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `side_output_late_data(&TAG)`
    pub fn side_output_late_data(self, arg1: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `trigger(CountTrigger::of(100)) or trigger(MyTrigger)`
    pub fn trigger(self, arg1: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `process(|record, ctx, out| ...)`
    pub fn process<U>(self, arg1: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `reduce(|aggregate, record| new_aggregate), on a window also reduce(f, |key, window, result, out| ..)`
    pub fn reduce<U>(self, arg1: impl Sized, arg2: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `sum(field), with a tuple position (sum(1)) or a field name (sum(count))`
    pub fn sum<U>(self, arg1: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `min(field)`
    pub fn min<U>(self, field: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `max(field)`
    pub fn max<U>(self, field: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `min_by(field)`
    pub fn min_by<U>(self, field: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `max_by(field)`
    pub fn max_by<U>(self, field: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
}

impl<A, B> ConnectedStreams<A, B> {
    /// `process(|record, ctx, out| ...)`
    pub fn process<U>(self, arg1: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `key_by(|record| key), on connected streams key_by(|a| key, |b| key)`
    pub fn key_by(self, arg1: impl Sized, arg2: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `co_map(|a| out, |b| out)`
    pub fn co_map<U>(self, arg1: impl Sized, arg2: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `co_flat_map(|a, out| .., |b, out| ..) or co_flat_map(|a| iterable, |b| iterable)`
    pub fn co_flat_map<U>(self, arg1: impl Sized, arg2: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
}

impl<A, B> JoinedStreams<A, B> {
    /// `where_(|a| key)`
    pub fn where_(self, arg1: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `equal_to(|b| key)`
    pub fn equal_to(self, arg1: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `window(TumblingEventTimeWindows::of(Duration::from_secs(10)))`
    pub fn window(self, arg1: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `apply(|a, b| out)`
    pub fn apply<U>(self, arg1: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
}

impl<A, B> CoGroupedStreams<A, B> {
    /// `where_(|a| key)`
    pub fn where_(self, arg1: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `equal_to(|b| key)`
    pub fn equal_to(self, arg1: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `window(TumblingEventTimeWindows::of(Duration::from_secs(10)))`
    pub fn window(self, arg1: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `apply(|first, second, out| ..)`
    pub fn apply<U>(self, arg1: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
}

impl<A, B> IntervalJoin<A, B> {
    /// `process(|record, ctx, out| ...)`
    pub fn process<U>(self, arg1: impl Sized) -> DataStream<U> {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `between(lower_ms, upper_ms)`
    pub fn between(self, lower_ms: impl Sized, upper_ms: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `side_output_left_late_data(&TAG)`
    pub fn side_output_left_late_data(self, arg1: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `side_output_right_late_data(&TAG)`
    pub fn side_output_right_late_data(self, arg1: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
}

impl DataStreamSink {
    /// `name("...")`
    pub fn name(self, arg1: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `uid("...")`
    pub fn uid(self, arg1: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `set_parallelism(n)`
    pub fn set_parallelism(self, n: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `set_max_parallelism(n)`
    pub fn set_max_parallelism(self, n: impl Sized) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `start_new_chain()`
    pub fn start_new_chain(self) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
    /// `disable_chaining()`
    pub fn disable_chaining(self) -> Self {
        unreachable!("the IDE's view of a job is never run")
    }
}
