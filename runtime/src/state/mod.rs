//! Keyed state: values, lists, maps, reducing and aggregating state, scoped to the key of
//! the record being processed (Flink's `ValueState`, `ListState`, `MapState`,
//! `ReducingState`, `AggregatingState`).
//!
//! A state is declared once, as a static descriptor with a name and types, and reached from
//! a keyed process function's context, which knows the current key:
//!
//! ```
//! use rill::prelude::*;
//! static SEEN: ValueState<u64> = ValueState::new("seen");
//! #[rill::job(no_main)]
//! fn counts(env: &mut Env) {
//!     env.from_elements(["a", "b", "a"])
//!         .key_by(|w| w.to_string())
//!         .process(|w, ctx, out| {
//!             let n = ctx.value(&SEEN).get().unwrap_or(0) + 1;
//!             ctx.value(&SEEN).update(n);
//!             out.collect(format!("{w} seen {n} times"));
//!         })
//!         .print();
//! }
//!
//! COUNTS_JOB.run(Some(1), &[]).unwrap();
//! ```
//!
//! State types (and keys) are [`Codec`] and `Send + Sync`: a checkpoint freezes the state as
//! it is at the barrier and encodes it on another thread while the task reads the same
//! values (a key is copied, with its codec, when it is first touched after the barrier; see
//! `state/cow.rs`), so no record waits for the encoding.

pub mod broadcast;
pub mod context;
pub(crate) mod cow;
pub mod key_groups;
pub mod key_selector;
pub mod keyed_core;
mod store;
pub mod timers;

pub(crate) use store::StateSections;
pub use store::{StateStore, Touch};

use crate::api::codec::Codec;
use crate::api::AggregateFunction;
use crate::state::key_groups::KeyMap;
use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;
use std::time::Duration;

/// One value per key.
pub struct ValueState<T> {
    name: &'static str,
    ttl: Option<Duration>,
    _t: PhantomData<fn() -> T>,
}

impl<T> ValueState<T> {
    /// A value state named `name` (the name tells states apart).
    pub const fn new(name: &'static str) -> Self {
        ValueState { name, ttl: None, _t: PhantomData }
    }

    /// Expires a key's state `ttl` after it was last written (processing time; an expired
    /// value is never returned), as Flink's `StateTtlConfig` with its defaults.
    pub const fn with_ttl(self, ttl: Duration) -> Self {
        ValueState { ttl: Some(ttl), ..self }
    }
}

/// A list per key.
pub struct ListState<T> {
    name: &'static str,
    ttl: Option<Duration>,
    _t: PhantomData<fn() -> T>,
}

impl<T> ListState<T> {
    /// A list state named `name`.
    pub const fn new(name: &'static str) -> Self {
        ListState { name, ttl: None, _t: PhantomData }
    }

    /// Expires a key's state `ttl` after it was last written (processing time; an expired
    /// value is never returned), as Flink's `StateTtlConfig` with its defaults.
    pub const fn with_ttl(self, ttl: Duration) -> Self {
        ListState { ttl: Some(ttl), ..self }
    }
}

/// A map per key.
pub struct MapState<UK, UV> {
    name: &'static str,
    ttl: Option<Duration>,
    _t: PhantomData<fn() -> (UK, UV)>,
}

impl<UK, UV> MapState<UK, UV> {
    /// A map state named `name`.
    pub const fn new(name: &'static str) -> Self {
        MapState { name, ttl: None, _t: PhantomData }
    }

    /// Expires a key's map `ttl` after it was last written (see [`ValueState::with_ttl`]).
    pub const fn with_ttl(self, ttl: Duration) -> Self {
        MapState { ttl: Some(ttl), ..self }
    }
}

/// A value per key that absorbs each added value with a reduce function.
pub struct ReducingState<T> {
    name: &'static str,
    reduce: fn(T, T) -> T,
    ttl: Option<Duration>,
}

impl<T> ReducingState<T> {
    /// A reducing state named `name` that folds its values with `reduce`.
    pub const fn new(name: &'static str, reduce: fn(T, T) -> T) -> Self {
        ReducingState { name, reduce, ttl: None }
    }

    /// Expires a key's value `ttl` after a value was last added (see [`ValueState::with_ttl`]);
    /// the next value added then starts afresh.
    pub const fn with_ttl(self, ttl: Duration) -> Self {
        ReducingState { ttl: Some(ttl), ..self }
    }
}

/// An accumulator per key that absorbs each added value with an aggregate function.
pub struct AggregatingState<A> {
    name: &'static str,
    aggregate: A,
    ttl: Option<Duration>,
}

impl<A> AggregatingState<A> {
    /// An aggregating state named `name` that adds its values with `aggregate`.
    pub const fn new(name: &'static str, aggregate: A) -> Self {
        AggregatingState { name, aggregate, ttl: None }
    }
}

impl<A: Copy> AggregatingState<A> {
    /// Expires a key's accumulator `ttl` after a value was last added (see
    /// [`ValueState::with_ttl`]); the next value added starts a new accumulator. (For an
    /// aggregate function that is `Copy`, as a unit struct is: a `const fn` cannot drop.)
    pub const fn with_ttl(self, ttl: Duration) -> Self {
        AggregatingState { ttl: Some(ttl), ..self }
    }
}

/// [`ValueState`] of the current key.
pub struct ValueHandle<'a, K, T> {
    pub(crate) map: &'a mut KeyMap<K, T>,
    pub(crate) key: &'a K,
    pub(crate) touch: Touch<'a, K>,
}

impl<K: Hash + Eq + Clone, T> ValueHandle<'_, K, T> {
    /// The value, if one was set for this key.
    pub fn value(&self) -> Option<&T> {
        self.map.get(self.key)
    }
    /// A copy of the value, if one was set for this key.
    pub fn get(&self) -> Option<T>
    where
        T: Clone,
    {
        self.map.get(self.key).cloned()
    }
    /// Sets the key's value.
    pub fn update(&mut self, value: T) {
        self.touch.touch(self.key);
        match self.map.get_mut(self.key) {
            Some(v) => *v = value,
            None => {
                self.map.insert(self.key.clone(), value);
            }
        }
    }
    /// Removes the key's value.
    pub fn clear(&mut self) {
        self.map.remove(self.key);
    }
}

/// [`ListState`] of the current key.
pub struct ListHandle<'a, K, T> {
    pub(crate) map: &'a mut KeyMap<K, Vec<T>>,
    pub(crate) key: &'a K,
    pub(crate) touch: Touch<'a, K>,
}

impl<K: Hash + Eq + Clone, T> ListHandle<'_, K, T> {
    /// Appends a value to the key's list.
    pub fn add(&mut self, value: T) {
        self.touch.touch(self.key);
        match self.map.get_mut(self.key) {
            Some(list) => list.push(value),
            None => {
                self.map.insert(self.key.clone(), vec![value]);
            }
        }
    }
    /// The list (empty if nothing was added for this key).
    pub fn get(&self) -> &[T] {
        self.map.get(self.key).map_or(&[], Vec::as_slice)
    }
    /// Replaces the key's list.
    pub fn update(&mut self, values: Vec<T>) {
        self.touch.touch(self.key);
        match self.map.get_mut(self.key) {
            Some(list) => *list = values,
            None => {
                self.map.insert(self.key.clone(), values);
            }
        }
    }
    /// Empties the key's list.
    pub fn clear(&mut self) {
        self.map.remove(self.key);
    }
}

/// [`MapState`] of the current key.
pub struct MapHandle<'a, K, UK, UV> {
    pub(crate) map: &'a mut KeyMap<K, HashMap<UK, UV>>,
    pub(crate) key: &'a K,
    pub(crate) touch: Touch<'a, K>,
}

impl<K: Hash + Eq + Clone, UK: Hash + Eq, UV> MapHandle<'_, K, UK, UV> {
    /// The value of `user_key`, if any.
    pub fn get(&self, user_key: &UK) -> Option<&UV> {
        self.map.get(self.key)?.get(user_key)
    }
    /// Sets the value of `user_key`.
    pub fn put(&mut self, user_key: UK, value: UV) {
        self.touch.touch(self.key);
        match self.map.get_mut(self.key) {
            Some(map) => {
                map.insert(user_key, value);
            }
            None => {
                self.map.insert(self.key.clone(), HashMap::from_iter([(user_key, value)]));
            }
        }
    }
    /// Removes `user_key`, returning its value.
    pub fn remove(&mut self, user_key: &UK) -> Option<UV> {
        let m = self.map.get_mut(self.key)?;
        let v = m.remove(user_key);
        if m.is_empty() {
            self.map.remove(self.key);
        }
        v
    }
    /// Whether `user_key` has a value.
    pub fn contains(&self, user_key: &UK) -> bool {
        self.get(user_key).is_some()
    }
    /// The entries, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = (&UK, &UV)> {
        self.map.get(self.key).into_iter().flat_map(|m| m.iter())
    }
    /// Whether the key's map is empty.
    pub fn is_empty(&self) -> bool {
        self.map.get(self.key).is_none_or(HashMap::is_empty)
    }
    /// Empties the key's map.
    pub fn clear(&mut self) {
        self.map.remove(self.key);
    }
}

/// [`ReducingState`] of the current key.
pub struct ReducingHandle<'a, K, T> {
    pub(crate) map: &'a mut KeyMap<K, T>,
    pub(crate) key: &'a K,
    pub(crate) reduce: fn(T, T) -> T,
    pub(crate) touch: Touch<'a, K>,
}

impl<K: Hash + Eq + Clone, T> ReducingHandle<'_, K, T> {
    /// Folds a value into the key's state.
    pub fn add(&mut self, value: T) {
        self.touch.touch(self.key);
        // The stored key goes back in with the new value: no copy of it.
        let (key, next) = match self.map.remove_entry(self.key) {
            Some((key, acc)) => (key, (self.reduce)(acc, value)),
            None => (self.key.clone(), value),
        };
        self.map.insert(key, next);
    }
    /// The key's folded value, if any.
    pub fn get(&self) -> Option<&T> {
        self.map.get(self.key)
    }
    /// Removes the key's folded value.
    pub fn clear(&mut self) {
        self.map.remove(self.key);
    }
}

/// [`AggregatingState`] of the current key.
pub struct AggregatingHandle<'a, K, A: AggregateFunction<I>, I> {
    pub(crate) map: &'a mut KeyMap<K, A::Acc>,
    pub(crate) key: &'a K,
    pub(crate) aggregate: &'a A,
    pub(crate) touch: Touch<'a, K>,
}

impl<K: Hash + Eq + Clone, A: AggregateFunction<I>, I> AggregatingHandle<'_, K, A, I> {
    /// Adds a value to the key's accumulator.
    pub fn add(&mut self, value: I) {
        self.touch.touch(self.key);
        if !self.map.contains_key(self.key) {
            self.map.insert(self.key.clone(), self.aggregate.create_accumulator());
        }
        let acc = self.map.get_mut(self.key).expect("accumulator");
        self.aggregate.add(value, acc);
    }
    /// The aggregate's result, if anything was added for this key.
    pub fn get(&self) -> Option<A::Out> {
        self.map.get(self.key).map(|acc| self.aggregate.get_result(acc))
    }
    /// Removes the key's accumulator.
    pub fn clear(&mut self) {
        self.map.remove(self.key);
    }
}

/// Access to the state of the current key, for the keyed context.
#[inline]
pub(crate) fn value<'a, K: Hash + Eq + Clone + Send + Sync + 'static, T: Codec + Send + Sync + 'static>(
    store: &'a mut StateStore<K>,
    key: &'a K,
    d: &ValueState<T>,
    clock: &crate::time::Clock,
) -> ValueHandle<'a, K, T> {
    let (map, touch) = store.access(d.name, key, d.ttl, clock);
    ValueHandle { map, key, touch }
}

pub(crate) fn list<'a, K: Hash + Eq + Clone + Send + Sync + 'static, T: Codec + Send + Sync + 'static>(
    store: &'a mut StateStore<K>,
    key: &'a K,
    d: &ListState<T>,
    clock: &crate::time::Clock,
) -> ListHandle<'a, K, T> {
    let (map, touch) = store.access(d.name, key, d.ttl, clock);
    ListHandle { map, key, touch }
}

pub(crate) fn map<
    'a,
    K: Hash + Eq + Clone + Send + Sync + 'static,
    UK: Codec + Hash + Eq + Send + Sync + 'static,
    UV: Codec + Send + Sync + 'static,
>(
    store: &'a mut StateStore<K>,
    key: &'a K,
    d: &MapState<UK, UV>,
    clock: &crate::time::Clock,
) -> MapHandle<'a, K, UK, UV> {
    let (map, touch) = store.access(d.name, key, d.ttl, clock);
    MapHandle { map, key, touch }
}

pub(crate) fn reducing<'a, K: Hash + Eq + Clone + Send + Sync + 'static, T: Codec + Send + Sync + 'static>(
    store: &'a mut StateStore<K>,
    key: &'a K,
    d: &ReducingState<T>,
    clock: &crate::time::Clock,
) -> ReducingHandle<'a, K, T> {
    let (map, touch) = store.access(d.name, key, d.ttl, clock);
    ReducingHandle { map, key, reduce: d.reduce, touch }
}

pub(crate) fn aggregating<'a, K: Hash + Eq + Clone + Send + Sync + 'static, A: AggregateFunction<I>, I>(
    store: &'a mut StateStore<K>,
    key: &'a K,
    d: &'a AggregatingState<A>,
    clock: &crate::time::Clock,
) -> AggregatingHandle<'a, K, A, I>
where
    A::Acc: Codec,
{
    let (map, touch) = store.access(d.name, key, d.ttl, clock);
    AggregatingHandle { map, key, aggregate: &d.aggregate, touch }
}

/// The keyed state of one key, for a function that is not a keyed process function: the
/// per-window and per-key state of a process window function
/// ([`crate::ops::window::WindowContext`]).
pub struct KeyedState<'a, K> {
    pub(crate) store: &'a mut StateStore<K>,
    pub(crate) key: &'a K,
    pub(crate) clock: &'a crate::time::Clock,
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static> KeyedState<'_, K> {
    /// The value state `d` of the key.
    pub fn value<T: Codec + Send + Sync + 'static>(&mut self, d: &ValueState<T>) -> ValueHandle<'_, K, T> {
        value(self.store, self.key, d, self.clock)
    }

    /// The list state `d` of the key.
    pub fn list<T: Codec + Send + Sync + 'static>(&mut self, d: &ListState<T>) -> ListHandle<'_, K, T> {
        list(self.store, self.key, d, self.clock)
    }

    /// The map state `d` of the key.
    pub fn map<UK: Codec + Hash + Eq + Send + Sync + 'static, UV: Codec + Send + Sync + 'static>(
        &mut self,
        d: &MapState<UK, UV>,
    ) -> MapHandle<'_, K, UK, UV> {
        map(self.store, self.key, d, self.clock)
    }

    /// The reducing state `d` of the key.
    pub fn reducing<T: Codec + Send + Sync + 'static>(&mut self, d: &ReducingState<T>) -> ReducingHandle<'_, K, T> {
        reducing(self.store, self.key, d, self.clock)
    }

    /// The aggregating state `d` of the key.
    pub fn aggregating<'s, A: AggregateFunction<I>, I>(
        &'s mut self,
        d: &'s AggregatingState<A>,
    ) -> AggregatingHandle<'s, K, A, I>
    where
        A::Acc: Codec,
    {
        aggregating(self.store, self.key, d, self.clock)
    }
}
