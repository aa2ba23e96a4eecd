//! Shared by the integration tests: collecting results from a running job.

#![allow(dead_code)]

pub use rill::testing::{collect, Collected};

/// The values of each key in the order they arrived.
pub fn per_key<K: Ord + Clone, V: Clone>(values: &[(K, V)]) -> std::collections::BTreeMap<K, Vec<V>> {
    let mut m = std::collections::BTreeMap::new();
    for (k, v) in values {
        m.entry(k.clone()).or_insert_with(Vec::new).push(v.clone());
    }
    m
}
