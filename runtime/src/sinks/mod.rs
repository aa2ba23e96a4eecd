//! Sinks: the ends of a pipeline, one per file.

pub mod discard;
pub mod file;
pub mod print;
pub mod show;
pub mod text_file;
pub mod user;
