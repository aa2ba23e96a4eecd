// A crate with its own global allocator and a job that sets Rill's: the error the user sees
// (the option `own_allocator` is the cure, as the README says).
use rill::prelude::*;

#[global_allocator]
static GLOBAL: std::alloc::System = std::alloc::System;

#[rill::job]
fn own(env: &mut Env) {
    env.from_elements([1, 2, 3]).print();
}
