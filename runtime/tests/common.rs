//! Shared by the integration tests: collecting results from a running job.

#![allow(dead_code)]

use std::sync::Mutex;

/// Records collected by a test's sink, with the subtask that received each.
pub struct Collected<T>(pub Mutex<Vec<(usize, T)>>);

impl<T: Clone> Default for Collected<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Clone> Collected<T> {
    pub const fn new() -> Self {
        Collected(Mutex::new(Vec::new()))
    }
    pub fn take(&self) -> Vec<(usize, T)> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
    pub fn values(&self) -> Vec<T> {
        self.take().into_iter().map(|(_, v)| v).collect()
    }
}

/// A sink that pushes into a static [`Collected`], remembering its subtask.
pub struct CollectSink<T: 'static> {
    pub into: &'static Collected<T>,
    pub subtask: usize,
}

impl<T> Clone for CollectSink<T> {
    fn clone(&self) -> Self {
        CollectSink { into: self.into, subtask: self.subtask }
    }
}

impl<T: Send + 'static> rill::Sink<T> for CollectSink<T> {
    fn open(&mut self, subtask: usize, _: usize) -> Result<(), rill::JobError> {
        self.subtask = subtask;
        Ok(())
    }
    fn write(&mut self, value: T) {
        self.into.0.lock().unwrap().push((self.subtask, value));
    }
}

pub fn collect<T>(into: &'static Collected<T>) -> CollectSink<T> {
    CollectSink { into, subtask: usize::MAX }
}

/// The values of each key in the order they arrived.
pub fn per_key<K: Ord + Clone, V: Clone>(values: &[(K, V)]) -> std::collections::BTreeMap<K, Vec<V>> {
    let mut m = std::collections::BTreeMap::new();
    for (k, v) in values {
        m.entry(k.clone()).or_insert_with(Vec::new).push(v.clone());
    }
    m
}
