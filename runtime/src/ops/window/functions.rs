//! Window functions: what a window keeps per key and what it emits when it fires —
//! `aggregate(f)`, the folds of `reduce`/`sum`/`min`/`max`/`min_by`/`max_by`, a
//! `process` function over all of a window's records, and an incremental result handed to a
//! process function with its window.

use super::context::WindowContext;
use crate::api::codec::Codec;
use crate::api::AggregateFunction;
use crate::core::collector::Output;
use crate::core::element::Timestamp;
use crate::ops::reduce::Fold;
use std::marker::PhantomData;

/// What a window keeps per key, and what it emits when it fires.
pub trait WindowFn<K, T>: Clone + Send + 'static {
    /// What the window keeps per key (and a checkpoint of it).
    type Acc: Codec + Send + Sync + 'static;
    /// What it emits when it fires.
    type Out;
    /// Adds a record to a key's accumulator (`None` before its first record).
    fn add(&mut self, acc: &mut Option<Self::Acc>, value: T);
    /// Two windows' accumulators as one, the earlier window's first (session windows merge).
    fn merge(&mut self, earlier: Self::Acc, later: Self::Acc) -> Self::Acc;
    /// The window fires: its result goes to `out`. `ctx` is the window, times and state.
    fn emit(&mut self, key: &K, ctx: &mut WindowContext<'_, K>, acc: &Self::Acc, out: &mut Vec<(Self::Out, Timestamp)>);
}

/// `aggregate(f)`.
#[derive(Clone)]
pub struct Aggregate<A>(pub(crate) A);

impl<K, T, A: AggregateFunction<T>> WindowFn<K, T> for Aggregate<A> {
    type Acc = A::Acc;
    type Out = A::Out;
    #[inline]
    fn add(&mut self, acc: &mut Option<A::Acc>, value: T) {
        let a = acc.get_or_insert_with(|| self.0.create_accumulator());
        self.0.add(value, a);
    }
    fn merge(&mut self, earlier: A::Acc, later: A::Acc) -> A::Acc {
        self.0.merge(earlier, later)
    }
    fn emit(&mut self, _: &K, ctx: &mut WindowContext<'_, K>, acc: &A::Acc, out: &mut Vec<(A::Out, Timestamp)>) {
        out.push((self.0.get_result(acc), ctx.max_timestamp()));
    }
}

/// `reduce`, `sum`, `min`, `max`, `min_by`, `max_by`: the aggregate is a record.
#[derive(Clone)]
pub struct Folded<G>(pub(crate) G);

impl<K, T: Clone + Codec + Send + Sync + 'static, G: Fold<T>> WindowFn<K, T> for Folded<G> {
    type Acc = T;
    type Out = T;
    #[inline]
    fn add(&mut self, acc: &mut Option<T>, value: T) {
        *acc = Some(self.0.fold(acc.take(), value));
    }
    fn merge(&mut self, earlier: T, later: T) -> T {
        self.0.fold(Some(earlier), later)
    }
    fn emit(&mut self, _: &K, ctx: &mut WindowContext<'_, K>, acc: &T, out: &mut Vec<(T, Timestamp)>) {
        out.push((acc.clone(), ctx.max_timestamp()));
    }
}

/// `process(|key, ctx, elements, out| ..)`: sees every element of the window, and through
/// `ctx` the window (`ctx.start`, `ctx.end`), event and processing time, and state.
pub struct ProcessWindow<F, O>(pub(crate) F, pub(crate) PhantomData<fn() -> O>);

impl<F: Clone, O> Clone for ProcessWindow<F, O> {
    fn clone(&self) -> Self {
        ProcessWindow(self.0.clone(), PhantomData)
    }
}

impl<K, T, O, F> WindowFn<K, T> for ProcessWindow<F, O>
where
    T: Codec + Send + Sync + 'static,
    O: 'static,
    F: FnMut(&K, &mut WindowContext<'_, K>, &[T], &mut Output<'_, O>) + Clone + Send + 'static,
{
    type Acc = Vec<T>;
    type Out = O;
    #[inline]
    fn add(&mut self, acc: &mut Option<Vec<T>>, value: T) {
        acc.get_or_insert_with(Vec::new).push(value);
    }
    fn merge(&mut self, mut earlier: Vec<T>, later: Vec<T>) -> Vec<T> {
        earlier.extend(later);
        earlier
    }
    fn emit(&mut self, key: &K, ctx: &mut WindowContext<'_, K>, acc: &Vec<T>, out: &mut Vec<(O, Timestamp)>) {
        let timestamp = ctx.max_timestamp();
        (self.0)(key, ctx, acc, &mut Output { buffer: out, timestamp });
    }
}

/// `aggregate(f, process)` / `reduce(f, process)`: the incremental result of each key and
/// window, handed with the key and the window to a process function (Flink's
/// `aggregate(AggregateFunction, ProcessWindowFunction)`).
pub struct WithProcess<G, P, O>(pub(crate) G, pub(crate) P, pub(crate) PhantomData<fn() -> O>);

impl<G: Clone, P: Clone, O> Clone for WithProcess<G, P, O> {
    fn clone(&self) -> Self {
        WithProcess(self.0.clone(), self.1.clone(), PhantomData)
    }
}

impl<K, T, G, P, O> WindowFn<K, T> for WithProcess<G, P, O>
where
    G: WindowFn<K, T>,
    P: FnMut(&K, &mut WindowContext<'_, K>, G::Out, &mut Output<'_, O>) + Clone + Send + 'static,
    O: 'static,
{
    type Acc = G::Acc;
    type Out = O;
    #[inline]
    fn add(&mut self, acc: &mut Option<G::Acc>, value: T) {
        self.0.add(acc, value)
    }
    fn merge(&mut self, earlier: G::Acc, later: G::Acc) -> G::Acc {
        self.0.merge(earlier, later)
    }
    fn emit(&mut self, key: &K, ctx: &mut WindowContext<'_, K>, acc: &G::Acc, out: &mut Vec<(O, Timestamp)>) {
        let mut results = Vec::with_capacity(1);
        self.0.emit(key, ctx, acc, &mut results);
        for (r, ts) in results {
            (self.1)(key, ctx, r, &mut Output { buffer: out, timestamp: ts });
        }
    }
}
