//! Snapshot tests of what the compiler emits: for every example in `examples/src/bin`, the
//! expanded code (formatted with prettyplease) lives in `snapshots/`, next to the plans and
//! outputs that the examples' own tests record there. A change to the compiler shows as a
//! diff to review (`cargo insta review`); CI never accepts one on its own.
