//! Rolling aggregation on a keyed stream: `reduce`, and `sum`, `min`, `max`, `min_by`,
//! `max_by`, which the compiler turns into updates of the field the user names. As in Flink, every input record
//! produces one output: the updated aggregate of its key.
//!
//! ```
//! use rill::prelude::*;
//! #[rill::job(no_main)]
//! fn running_totals(env: &mut Env) {
//!     env.from_elements([("a", 1), ("b", 2), ("a", 3)])
//!         .key_by(|(k, _)| *k)
//!         .reduce(|(k, x), (_, y)| (k, x + y))
//!         .print();
//! }
//!
//! RUNNING_TOTALS_JOB.run(Some(1), &[]).unwrap();
//! ```

use crate::api::codec::Codec;
use crate::checkpoint::{KeyedEntries, StateCodec, StateWriter};
use crate::core::collector::Collector;
use crate::core::element::{Control, Timestamp};
use crate::core::error::JobError;
use crate::core::panic_scope;
use crate::core::pipe::{ChainBuilder, Pipe, Stage, Then};
use crate::core::runtime_context::RuntimeContext;
use crate::ops::agg::{FieldAgg, Select};
use crate::state::key_groups::KeyMap;
use crate::state::key_selector::{KeyFor, KeySelector};
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

/// How the aggregate of a key absorbs a record.
pub trait Fold<T>: Clone + Send + 'static {
    /// The aggregate after `value` (the first record of a key is its own aggregate).
    fn fold(&mut self, acc: Option<T>, value: T) -> T;

    /// Folds `value` into the aggregate a key already has. The default moves the aggregate
    /// out and back; folds that update a field do it in place.
    #[inline]
    fn fold_in(&mut self, acc: &mut Option<T>, value: T) {
        let new = self.fold(acc.take(), value);
        *acc = Some(new);
    }
}

/// Flink's `ReduceFunction`: `f(aggregate, record) -> new aggregate`.
#[derive(Clone)]
pub struct ReduceWith<F>(pub(crate) F);

impl<T, F: FnMut(T, T) -> T + Clone + Send + 'static> Fold<T> for ReduceWith<F> {
    #[inline]
    fn fold(&mut self, acc: Option<T>, value: T) -> T {
        match acc {
            Some(acc) => (self.0)(acc, value),
            None => value,
        }
    }
}

/// `sum`, `min`, `max` on one field: the first record of a key is taken as it is; later ones
/// update that field of the aggregate only.
pub struct FieldFold<A, F, N> {
    field: F,
    _agg: PhantomData<fn(A, N)>,
}

impl<A, F, N> FieldFold<A, F, N> {
    pub(crate) fn new(field: F) -> Self {
        FieldFold { field, _agg: PhantomData }
    }
}

impl<A, F: Clone, N> Clone for FieldFold<A, F, N> {
    fn clone(&self) -> Self {
        FieldFold { field: self.field.clone(), _agg: PhantomData }
    }
}

impl<T, N, A, F> Fold<T> for FieldFold<A, F, N>
where
    A: FieldAgg<N>,
    F: Fn(&mut T) -> &mut N + Clone + Send + 'static,
    N: Copy + 'static,
{
    #[inline]
    fn fold(&mut self, acc: Option<T>, mut value: T) -> T {
        match acc {
            Some(mut acc) => {
                let v = *(self.field)(&mut value);
                A::apply((self.field)(&mut acc), v);
                acc
            }
            None => value,
        }
    }

    #[inline]
    fn fold_in(&mut self, acc: &mut Option<T>, mut value: T) {
        match acc {
            Some(acc) => {
                let v = *(self.field)(&mut value);
                A::apply((self.field)(acc), v);
            }
            None => *acc = Some(value),
        }
    }
}

/// `min_by`, `max_by` on one field: the aggregate is the whole best record so far.
pub struct SelectFold<S, F, N> {
    field: F,
    _select: PhantomData<fn(S, N)>,
}

impl<S, F, N> SelectFold<S, F, N> {
    pub(crate) fn new(field: F) -> Self {
        SelectFold { field, _select: PhantomData }
    }
}

impl<S, F: Clone, N> Clone for SelectFold<S, F, N> {
    fn clone(&self) -> Self {
        SelectFold { field: self.field.clone(), _select: PhantomData }
    }
}

impl<T, N, S, F> Fold<T> for SelectFold<S, F, N>
where
    S: Select,
    F: Fn(&T) -> &N + Clone + Send + 'static,
    N: PartialOrd + 'static,
{
    #[inline]
    fn fold(&mut self, acc: Option<T>, value: T) -> T {
        match acc {
            Some(acc) if !S::better((self.field)(&value), (self.field)(&acc)) => acc,
            _ => value,
        }
    }
}

/// The stage of a rolling aggregation (`reduce`, `sum`, ...).
pub struct KeyedFoldStage<KS, G, K, T> {
    id: u32,
    key: KS,
    fold: G,
    /// How keys and aggregates go into a checkpoint.
    codec: (StateCodec<K>, StateCodec<T>),
}

impl<KS: Clone, G: Clone, K, T> Clone for KeyedFoldStage<KS, G, K, T> {
    fn clone(&self) -> Self {
        KeyedFoldStage { id: self.id, key: self.key.clone(), fold: self.fold.clone(), codec: self.codec }
    }
}

/// A rolling aggregation in a running chain.
pub struct KeyedFoldOp<KS, G, K, T, C> {
    id: u32,
    key: KS,
    fold: G,
    state: KeyMap<K, Option<T>>,
    next: C,
    codec: (StateCodec<K>, StateCodec<T>),
    /// Where its state goes at a checkpoint, and the key groups it spreads keys over.
    checkpoint: Option<(StateWriter, &'static str, usize)>,
    /// The state as it was at the last barrier, encoded off the task's thread. Kept from one
    /// checkpoint to the next, so that taking the copy writes into memory already mapped
    /// (for a million keys, a third of the time of a fresh copy).
    at_barrier: Arc<Mutex<KeyMap<K, Option<T>>>>,
}

impl<T, KS, G> Stage<T> for KeyedFoldStage<KS, G, KS::Key, T>
where
    KS: KeySelector<T>,
    G: Fold<T>,
    T: Clone + Send + 'static,
{
    type Out = T;
    fn wrap<C: Collector<T>>(self, next: C) -> impl Collector<T> {
        let (id, key, fold, codec) = (self.id, self.key, self.fold, self.codec);
        KeyedFoldOp {
            id,
            key,
            fold,
            state: KeyMap::default(),
            next,
            codec,
            checkpoint: None,
            at_barrier: Arc::default(),
        }
    }
}

impl<T, KS, G, C> Collector<T> for KeyedFoldOp<KS, G, KS::Key, T, C>
where
    KS: KeySelector<T>,
    G: Fold<T>,
    T: Clone + Send + 'static,
    C: Collector<T>,
{
    // Always: a call per record cost the word count's aggregation an eighth of its
    // instructions (the record copied into the call, registers saved and restored).
    #[inline(always)]
    fn collect(&mut self, value: T, timestamp: Timestamp) {
        panic_scope::enter(self.id);
        let key = self.key.key(&value);
        // A lookup by reference first: most records update a key already seen, and the
        // entry API would move the key into the map and back out for each of them. A key
        // borrowed from the record is cloned only here, when it is new.
        match self.state.get_mut(&*key) {
            Some(slot) => {
                self.fold.fold_in(slot, value);
                // The aggregate stays in state: what follows copies it only if it keeps it.
                if let Some(acc) = slot {
                    self.next.collect_ref(acc, timestamp);
                }
            }
            None => {
                let key = key.into_owned();
                self.first_of_key(key, value, timestamp);
            }
        }
    }

    fn on_control(&mut self, control: Control) {
        if let (true, Some((writer, uid, key_groups))) = (control.takes_snapshot(), &self.checkpoint) {
            // The synchronous part: a copy of the map (a copy of its memory for plain keys
            // and aggregates); the encoding runs on another thread while records flow on.
            // The copy of the previous checkpoint is free by now unless its encoding is
            // still running, and then this barrier waits for it.
            let at_barrier = self.at_barrier.clone();
            at_barrier.lock().unwrap_or_else(|p| p.into_inner()).clone_from(&self.state);
            let (codec, key_groups) = (self.codec, *key_groups);
            writer.write_later(uid, move || {
                let state = at_barrier.lock().unwrap_or_else(|p| p.into_inner());
                encode_aggregates(&state, codec, key_groups)
            });
        }
        self.next.on_control(control);
    }

    fn open(&mut self, ctx: &mut RuntimeContext<'_>) -> Result<(), JobError> {
        if let Some((writer, uid)) = ctx.state_writer(self.id) {
            self.checkpoint = Some((writer, uid, ctx.max_parallelism));
            if let Some(restore) = ctx.restore(uid) {
                let (k, v) = self.codec;
                let entries = restore.keyed(uid, |d| Ok(((k.decode)(d)?, Some((v.decode)(d)?))));
                self.state = entries.map_err(|e| JobError::restore(uid, e))?.into_iter().collect();
            }
        }
        self.next.open(ctx)
    }
    crate::forward_lifecycle_except_control_and_open!(next);
}

/// A rolling aggregation's state as keyed entries: each key with its aggregate.
fn encode_aggregates<K: std::hash::Hash, T>(
    state: &KeyMap<K, Option<T>>,
    (k, v): (StateCodec<K>, StateCodec<T>),
    key_groups: usize,
) -> Vec<u8> {
    // Each entry: its key group and length (8 bytes), key and aggregate (about their size).
    let estimate = state.len() * (8 + std::mem::size_of::<K>() + std::mem::size_of::<T>());
    let mut entries = KeyedEntries::with_capacity(key_groups, estimate);
    for (key, acc) in state {
        if let Some(acc) = acc {
            entries.push(key, |out| {
                (k.encode)(key, out);
                (v.encode)(acc, out);
            });
        }
    }
    entries.finish()
}

impl<T, KS, G, C> KeyedFoldOp<KS, G, KS::Key, T, C>
where
    KS: KeySelector<T>,
    G: Fold<T>,
    T: Clone + Send,
    C: Collector<T>,
{
    /// The first record of a key: its own aggregate (out of line: rare, and kept out of
    /// the per-record path).
    #[cold]
    #[inline(never)]
    fn first_of_key(&mut self, key: KS::Key, value: T, timestamp: Timestamp) {
        let acc = self.fold.fold(None, value);
        if let Some(acc) = self.state.entry(key).or_insert(Some(acc)) {
            self.next.collect_ref(acc, timestamp);
        }
    }
}

/// The codecs of a rolling aggregate's keys and aggregates.
fn state_codecs<K: Codec, T: Codec>() -> (StateCodec<K>, StateCodec<T>) {
    (StateCodec::of(), StateCodec::of())
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In: 'static, P: Pipe<In>> ChainBuilder<In, P> {
    /// Rolling `reduce` on a keyed stream: `f(aggregate, record)` (Flink's `reduce`).
    #[allow(clippy::type_complexity)]
    pub fn keyed_reduce<KS, F>(
        self,
        id: u32,
        key: impl FnOnce(KeyFor<P::Out>) -> KS,
        f: F,
    ) -> ChainBuilder<In, Then<P, KeyedFoldStage<KS, ReduceWith<F>, KS::Key, P::Out>>>
    where
        KS: KeySelector<P::Out>,
        KS::Key: Codec,
        F: FnMut(P::Out, P::Out) -> P::Out + Clone + Send + 'static,
        P::Out: Clone + Codec + Send + 'static,
    {
        self.then(KeyedFoldStage { id, key: KeyFor::select(key), fold: ReduceWith(f), codec: state_codecs() })
    }

    /// Rolling `sum`, `min` or `max` of the field that `field` reaches, on a keyed stream.
    /// The compiler emits it with the field the user named.
    #[allow(clippy::type_complexity)]
    pub fn keyed_field_aggregate<KS, A, N, F>(
        self,
        id: u32,
        key: impl FnOnce(KeyFor<P::Out>) -> KS,
        _agg: A,
        field: F,
    ) -> ChainBuilder<In, Then<P, KeyedFoldStage<KS, FieldFold<A, F, N>, KS::Key, P::Out>>>
    where
        KS: KeySelector<P::Out>,
        KS::Key: Codec,
        A: FieldAgg<N>,
        F: Fn(&mut P::Out) -> &mut N + Clone + Send + 'static,
        N: Copy + 'static,
        P::Out: Clone + Codec + Send + 'static,
    {
        let fold = FieldFold { field, _agg: PhantomData };
        self.then(KeyedFoldStage { id, key: KeyFor::select(key), fold, codec: state_codecs() })
    }

    /// Rolling `min_by` or `max_by` of the field that `field` reaches, on a keyed stream.
    #[allow(clippy::type_complexity)]
    pub fn keyed_select_by<KS, S, N, F>(
        self,
        id: u32,
        key: impl FnOnce(KeyFor<P::Out>) -> KS,
        _select: S,
        field: F,
    ) -> ChainBuilder<In, Then<P, KeyedFoldStage<KS, SelectFold<S, F, N>, KS::Key, P::Out>>>
    where
        KS: KeySelector<P::Out>,
        KS::Key: Codec,
        S: Select,
        F: Fn(&P::Out) -> &N + Clone + Send + 'static,
        N: PartialOrd + 'static,
        P::Out: Clone + Codec + Send + 'static,
    {
        let fold = SelectFold { field, _select: PhantomData };
        self.then(KeyedFoldStage { id, key: KeyFor::select(key), fold, codec: state_codecs() })
    }
}
