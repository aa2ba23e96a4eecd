//! Broadcast state: a map that every subtask of an operator holds the same copy of, written
//! by the records of a broadcast stream (alert rules, thresholds) and read while the keyed
//! records go by (Flink's `MapStateDescriptor` used with `broadcast(..)`).
//!
//! ```
//! use rill::prelude::*;
//! static RULES: BroadcastState<String, f64> = BroadcastState::new("rules");
//! ```

use crate::api::codec::Codec;
use crate::checkpoint::{RestoreContext, StateWriter};
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
    states: Vec<(&'static str, Box<dyn Any + Send>, EncodeMap)>,
    /// States restored from a checkpoint, by name, read when first declared again.
    restored: Vec<(String, Vec<u8>)>,
}

/// Writes a state's map, whose types only this function knows.
type EncodeMap = fn(&(dyn Any + Send), &mut Vec<u8>);

fn encode_map<K: Codec + Hash + Eq + 'static, V: Codec + 'static>(map: &(dyn Any + Send), out: &mut Vec<u8>) {
    if let Some(map) = map.downcast_ref::<HashMap<K, V>>() {
        map.encode(out);
    }
}

impl BroadcastStore {
    pub(crate) fn get_mut<K: Codec + Hash + Eq + Send + 'static, V: Codec + Send + 'static>(
        &mut self,
        d: &BroadcastState<K, V>,
    ) -> &mut HashMap<K, V> {
        let i = match self.states.iter().position(|(n, _, _)| *n == d.name) {
            Some(i) => i,
            None => {
                let map = match self.restored.iter().position(|(n, _)| n == d.name) {
                    Some(r) => {
                        let (_, bytes) = self.restored.swap_remove(r);
                        crate::codec::decode_all::<HashMap<K, V>>(&bytes).unwrap_or_else(|e| {
                            panic!(
                                "broadcast state '{}' in the checkpoint does not restore ({e}): was its type changed?",
                                d.name
                            )
                        })
                    }
                    None => HashMap::new(),
                };
                self.states.push((d.name, Box::new(map), encode_map::<K, V>));
                self.states.len() - 1
            }
        };
        self.states[i].1.downcast_mut().unwrap_or_else(|| {
            panic!("broadcast state '{}' is declared twice with different types: give each its own name", d.name)
        })
    }

    /// Writes each broadcast state (and those restored but not declared again) to `writer`.
    pub(crate) fn snapshot(&self, writer: &StateWriter, uid: &str) {
        for (name, map, encode) in &self.states {
            let mut bytes = Vec::new();
            encode(map.as_ref(), &mut bytes);
            writer.write(&format!("{uid}#broadcast:{name}"), bytes);
        }
        for (name, bytes) in &self.restored {
            writer.write(&format!("{uid}#broadcast:{name}"), bytes.clone());
        }
    }

    /// Takes the broadcast states of operator `uid` from a checkpoint: this subtask's own,
    /// or, at another parallelism, the first subtask's (every subtask holds the same).
    pub(crate) fn restore(&mut self, restore: &RestoreContext<'_>, uid: &str) {
        let prefix = format!("{uid}#broadcast:");
        let own: Vec<(String, Vec<u8>)> =
            restore.own_sections(&prefix).map(|(u, b)| (u[prefix.len()..].to_owned(), b.to_vec())).collect();
        self.restored = if own.is_empty() {
            restore.first_subtask_sections(&prefix).map(|(u, b)| (u[prefix.len()..].to_owned(), b.to_vec())).collect()
        } else {
            own
        };
    }
}
