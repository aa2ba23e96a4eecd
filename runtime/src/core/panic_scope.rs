//! Which operator was running when a panic happened.
//!
//! Operators record their id in a thread-local before they call user code (a single store),
//! so that a task that catches a panic can name the operator, not just the chain. Tasks run
//! their synchronous part without awaiting, so the value read back on the same thread right
//! after the panic is the panicking operator's.

use std::cell::Cell;

thread_local! {
    static CURRENT_OPERATOR: Cell<u32> = const { Cell::new(u32::MAX) };
}

/// Marks `operator` as the one about to run user code.
#[inline(always)]
pub fn enter(operator: u32) {
    CURRENT_OPERATOR.with(|c| c.set(operator));
}

/// The operator that last entered user code on this thread.
pub fn current() -> Option<u32> {
    let id = CURRENT_OPERATOR.with(|c| c.get());
    (id != u32::MAX).then_some(id)
}

/// The text of a panic payload.
pub fn message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}

/// Stops the task with `error` from inside an operator that cannot return one (a sink's
/// `collect` that cannot write): it unwinds like a panic but prints nothing, and the task
/// reports `error` as it is instead of as a panic.
pub fn fail(error: crate::core::error::JobError) -> ! {
    std::panic::resume_unwind(Box::new(error))
}
