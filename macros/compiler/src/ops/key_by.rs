//! `key_by(|record| key)`: partitions the stream by key (a hash exchange by key group) and
//! makes it a keyed stream for state, timers, rolling aggregations and windows. On connected
//! streams, `key_by(|a| key, |b| key)` keys both inputs.
//!
//! ```ignore
//! env.from_elements([("a", 1)]).key_by(|(k, _)| *k).sum(1).print();
//! ```

use super::setting;
use crate::build::{OperatorSpec, StreamKind, STREAMS};
use crate::ir::{Key, Partition};

const SIGNATURE: &str = "key_by(|record| key), on connected streams key_by(|a| key, |b| key)";

pub static KEY_BY: OperatorSpec = OperatorSpec {
    op: setting("key_by"),
    on: STREAMS,
    args: (1, 2),
    signature: SIGNATURE,
    after_sink: false,
    build: |b, mut cur, call, _| {
        if call.args.len() == 2 {
            b.error(
                call.span,
                "`key_by` with two key selectors is for connected streams: a.connect(b).key_by(|a| key, |b| key)",
            );
            return None;
        }
        let key = Key::of(&call.args[0]);
        cur.partition_by(Partition::Hash(key.clone()));
        cur.keyed = Some(key);
        cur.between = Some("key_by");
        Some(cur)
    },
};

pub static KEY_BY_CONNECTED: OperatorSpec = OperatorSpec {
    op: setting("key_by"),
    on: &[StreamKind::ConnectedStreams],
    args: (1, 2),
    signature: SIGNATURE,
    after_sink: false,
    build: |b, mut cur, call, _| {
        if call.args.len() != 2 {
            b.error(
                call.span,
                "on connected streams come `co_map`, `co_flat_map`, `key_by(k1, k2)` or a keyed `process`, not `key_by`",
            );
            return None;
        }
        let mut second = *cur.second.take()?;
        let (k1, k2) = (Key::of(&call.args[0]), Key::of(&call.args[1]));
        cur.partition_by(Partition::Hash(k1.clone()));
        second.partition_by(Partition::Hash(k2.clone()));
        cur.keyed = Some(k1);
        cur.keyed2 = Some(k2);
        cur.second = Some(Box::new(second));
        Some(cur)
    },
};
