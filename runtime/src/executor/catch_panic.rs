//! A task's panic, turned into the job's error: it names the operator that last entered
//! user code on the task's thread, and the subtask.

use crate::core::error::JobError;
use crate::core::panic_scope;
use crate::core::plan::PlanSpec;
use crate::executor::task::TaskInfo;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Runs a task's future and turns a panic into an error that names the operator (the one
/// that last entered user code on this thread) and the subtask.
pub(crate) struct CatchPanic<F> {
    inner: Pin<Box<F>>,
    site: PanicSite,
}

/// Where a task runs, for naming it in a panic.
pub(crate) struct PanicSite {
    plan: &'static PlanSpec,
    chain: u32,
    subtask: usize,
    parallelism: usize,
}

impl PanicSite {
    pub(crate) fn of(info: &TaskInfo) -> Self {
        PanicSite { plan: info.plan, chain: info.chain, subtask: info.subtask, parallelism: info.parallelism }
    }
}

impl<F> CatchPanic<F> {
    pub(crate) fn new(inner: F, site: PanicSite) -> Self {
        CatchPanic { inner: Box::pin(inner), site }
    }
}

impl<F: Future<Output = Result<(), JobError>>> Future for CatchPanic<F> {
    type Output = Result<(), JobError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        match std::panic::catch_unwind(AssertUnwindSafe(|| this.inner.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => {
                let payload = match payload.downcast::<JobError>() {
                    Ok(error) => return Poll::Ready(Err(*error)),
                    Err(payload) => payload,
                };
                let site = &this.site;
                let chain = site.plan.chain(site.chain);
                let op = panic_scope::current()
                    .and_then(|id| chain.operators.iter().find(|o| o.id == id))
                    .or(chain.operators.first());
                let (operator, uid) = op.map_or(("?", "?"), |o| (&*o.name, &*o.uid));
                Poll::Ready(Err(JobError::OperatorPanic {
                    operator: operator.to_owned(),
                    uid: uid.to_owned(),
                    subtask: site.subtask,
                    parallelism: site.parallelism,
                    message: panic_scope::message(&*payload),
                }))
            }
        }
    }
}
