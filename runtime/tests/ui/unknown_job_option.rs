// A misspelt option of `#[rill::job]`: the error names the options there are.
use rill::prelude::*;

#[rill::job(own_allocatr)]
fn job(env: &mut Env) {
    env.from_elements([1]).print();
}
