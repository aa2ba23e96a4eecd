//! Broadcast state: a map that every subtask of an operator holds the same copy of, written
//! by the records of a broadcast stream (alert rules, thresholds) and read while the keyed
//! records go by (Flink's `MapStateDescriptor` used with `broadcast(..)`).
//!
//! ```
//! use rill::prelude::*;
//! static RULES: BroadcastState<String, f64> = BroadcastState::new("rules");
//! ```

use std::any::Any;
use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;

/// Declares a broadcast state of keys `K` and values `V`.
pub struct BroadcastState<K, V> {
    name: &'static str,
    _t: PhantomData<fn() -> (K, V)>,
}

impl<K, V> BroadcastState<K, V> {
    /// A broadcast state named `name` (the name tells states apart).
    pub const fn new(name: &'static str) -> Self {
        BroadcastState { name, _t: PhantomData }
    }
}

/// The broadcast states of one operator in one subtask.
#[derive(Default)]
pub struct BroadcastStore {
    states: Vec<(&'static str, Box<dyn Any + Send>)>,
}

impl BroadcastStore {
    pub(crate) fn get_mut<K: Hash + Eq + Send + 'static, V: Send + 'static>(
        &mut self,
        d: &BroadcastState<K, V>,
    ) -> &mut HashMap<K, V> {
        let i = match self.states.iter().position(|(n, _)| *n == d.name) {
            Some(i) => i,
            None => {
                self.states.push((d.name, Box::new(HashMap::<K, V>::new())));
                self.states.len() - 1
            }
        };
        self.states[i].1.downcast_mut().unwrap_or_else(|| {
            panic!("broadcast state '{}' is declared twice with different types: give each its own name", d.name)
        })
    }
}
