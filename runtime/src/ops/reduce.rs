//! Rolling aggregation on a keyed stream: `reduce`, and `sum`, `min`, `max`, `min_by`,
//! `max_by`, which the compiler turns into field updates. As in Flink, every input record
//! produces one output: the updated aggregate of its key.
//!
//! ```
//! use rill::prelude::*;
//! #[rill::job]
//! fn running_totals(env: &mut Env) {
//!     env.from_elements([("a", 1), ("b", 2), ("a", 3)])
//!         .key_by(|(k, _)| *k)
//!         .reduce(|(k, x), (_, y)| (k, x + y))
//!         .print();
//! }
//! ```

use crate::collector::Collector;
use crate::element::Timestamp;
use crate::keyed::KeyMap;
use crate::panic_scope;
use crate::pipe::{ChainBuilder, Pipe, Stage, Then};
use std::hash::Hash;

/// How the aggregate of a key absorbs a record.
pub trait Fold<T>: Clone + Send + 'static {
    fn fold(&mut self, acc: Option<T>, value: T) -> T;
}

/// Flink's `ReduceFunction`: `f(aggregate, record) -> new aggregate`.
#[derive(Clone)]
pub struct ReduceWith<F>(F);

impl<T, F: FnMut(T, T) -> T + Clone + Send + 'static> Fold<T> for ReduceWith<F> {
    #[inline]
    fn fold(&mut self, acc: Option<T>, value: T) -> T {
        match acc {
            Some(acc) => (self.0)(acc, value),
            None => value,
        }
    }
}

/// A field update in place (`sum`, `min`, `max`, `min_by`, `max_by`): the first record of a
/// key is taken as it is, later ones update the aggregate.
#[derive(Clone)]
pub struct UpdateWith<F>(F);

impl<T, F: FnMut(&mut T, T) + Clone + Send + 'static> Fold<T> for UpdateWith<F> {
    #[inline]
    fn fold(&mut self, acc: Option<T>, value: T) -> T {
        match acc {
            Some(mut acc) => {
                (self.0)(&mut acc, value);
                acc
            }
            None => value,
        }
    }
}

#[derive(Clone)]
pub struct KeyedFoldStage<KF, G> {
    id: u32,
    key: KF,
    fold: G,
}

pub struct KeyedFoldOp<KF, G, K, T, C> {
    id: u32,
    key: KF,
    fold: G,
    state: KeyMap<K, Option<T>>,
    next: C,
}

impl<T, K, KF, G> Stage<T> for KeyedFoldStage<KF, G>
where
    KF: FnMut(&T) -> K + Clone + Send + 'static,
    K: Hash + Eq + Send + 'static,
    G: Fold<T>,
    T: Clone + Send + 'static,
{
    type Out = T;
    fn wrap<C: Collector<T>>(self, next: C) -> impl Collector<T> {
        KeyedFoldOp { id: self.id, key: self.key, fold: self.fold, state: KeyMap::default(), next }
    }
}

impl<T, K, KF, G, C> Collector<T> for KeyedFoldOp<KF, G, K, T, C>
where
    KF: FnMut(&T) -> K + Send,
    K: Hash + Eq + Send,
    G: Fold<T>,
    T: Clone + Send,
    C: Collector<T>,
{
    #[inline]
    fn collect(&mut self, value: T, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        let key = (self.key)(&value);
        let slot = self.state.entry(key).or_insert(None);
        let acc = self.fold.fold(slot.take(), value);
        *slot = Some(acc.clone());
        self.next.collect(acc, timestamp);
    }
    crate::forward_lifecycle!(next);
}

impl<In: 'static, P: Pipe<In>> ChainBuilder<In, P> {
    /// Rolling `reduce` on a keyed stream: `f(aggregate, record)` (Flink's `reduce`).
    #[allow(clippy::type_complexity)]
    pub fn keyed_reduce<K, KF, F>(
        self,
        id: u32,
        key: KF,
        f: F,
    ) -> ChainBuilder<In, Then<P, KeyedFoldStage<KF, ReduceWith<F>>>>
    where
        KF: FnMut(&P::Out) -> K + Clone + Send + 'static,
        K: Hash + Eq + Send + 'static,
        F: FnMut(P::Out, P::Out) -> P::Out + Clone + Send + 'static,
        P::Out: Clone + Send + 'static,
    {
        self.then(KeyedFoldStage { id, key, fold: ReduceWith(f) })
    }

    /// Rolling field aggregation on a keyed stream: `update(aggregate, record)` changes the
    /// aggregate in place. The compiler emits it for `sum`, `min`, `max`, `min_by`, `max_by`.
    #[allow(clippy::type_complexity)]
    pub fn keyed_update<K, KF, F>(
        self,
        id: u32,
        key: KF,
        update: F,
    ) -> ChainBuilder<In, Then<P, KeyedFoldStage<KF, UpdateWith<F>>>>
    where
        KF: FnMut(&P::Out) -> K + Clone + Send + 'static,
        K: Hash + Eq + Send + 'static,
        F: FnMut(&mut P::Out, P::Out) + Clone + Send + 'static,
        P::Out: Clone + Send + 'static,
    {
        self.then(KeyedFoldStage { id, key, fold: UpdateWith(update) })
    }
}
