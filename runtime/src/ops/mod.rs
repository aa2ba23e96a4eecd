//! The operators that run inside a chain, one per file.

pub mod agg;
pub mod broadcast_process;
pub mod co_map;
pub mod co_process;
pub mod filter;
pub mod flat_map;
pub mod interval_join;
pub mod keyed_process;
pub mod map;
pub mod process;
pub mod reduce;
pub mod tee;
pub mod timestamps;
pub mod window;
pub mod window_join;
