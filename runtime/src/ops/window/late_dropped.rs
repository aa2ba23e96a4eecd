//! Where a window operator's late records go when the job has no side output for them:
//! dropped, and counted as Flink's `numLateRecordsDropped` in the task's metrics (a record
//! sent to a late side output is not dropped, so not counted there, as in Flink).

use crate::api::task_metrics::TaskMetrics;
use crate::core::collector::{BlockedSend, Collector};
use crate::core::element::{Control, Timestamp};
use crate::core::error::JobError;
use crate::core::pipe::Tail;
use crate::core::runtime_context::RuntimeContext;
use std::sync::Arc;

/// Drops late records and counts them.
#[derive(Clone, Default)]
pub struct LateDropped {
    /// The task's metrics, from `open`.
    metrics: Option<Arc<TaskMetrics>>,
}

impl<T: 'static> Tail<T> for LateDropped {
    fn build(self) -> impl Collector<T> {
        self
    }
}

impl<T> Collector<T> for LateDropped {
    fn collect(&mut self, _: T, _: Timestamp) {
        if let Some(m) = &self.metrics {
            m.late_dropped(1);
        }
    }
    fn collect_ref(&mut self, _: &T, _: Timestamp)
    where
        T: Clone,
    {
        if let Some(m) = &self.metrics {
            m.late_dropped(1);
        }
    }
    fn on_control(&mut self, _: Control) {}
    fn open(&mut self, ctx: &mut RuntimeContext<'_>) -> Result<(), JobError> {
        self.metrics = ctx.metrics.cloned();
        Ok(())
    }
    fn flush(&mut self) {}
    fn on_processing_time(&mut self, _: Timestamp) {}
    fn take_blocked(&mut self, _: &mut Vec<BlockedSend>) {}
    fn close(&mut self) -> Result<(), JobError> {
        Ok(())
    }
}
