// A job crate with its own global allocator says so with `own_allocator`: the macro then
// leaves the choice to it (without the option, two global allocators would not compile).
use rill::prelude::*;

#[global_allocator]
static GLOBAL: std::alloc::System = std::alloc::System;

#[rill::job(own_allocator)]
fn own(env: &mut Env) {
    env.from_elements([1, 2, 3]).map(|x| x * 2).print();
}
