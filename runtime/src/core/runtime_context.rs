//! What an operator learns about its place in the running job when it opens.

use crate::core::element::Message;
use crate::core::error::JobError;
use crate::core::plan::PlanSpec;
use std::any::Any;
use std::collections::HashMap;
use tokio::sync::mpsc::Sender;

/// The sending side of a consumer chain's input, one per consumer subtask. Each message is
/// tagged with the index of the input channel it arrives on.
pub type InputSender<T> = Sender<(u32, Message<T>)>;

/// Typed channel endpoints of the whole job, registered by the executor before any task
/// opens and looked up by exchange writers.
#[derive(Default)]
pub struct Endpoints {
    /// Per consumer chain and input: the senders to each of its subtasks
    /// (`Vec<InputSender<T>>`).
    pub(crate) inputs: HashMap<(u32, u8), Box<dyn Any + Send + Sync>>,
    /// Per edge: the index of its first channel at the consumer (its upstream subtasks follow).
    pub(crate) channel_offsets: HashMap<u32, u32>,
}

/// The subtask an operator runs in, and access to the job's channels.
pub struct RuntimeContext<'a> {
    /// This subtask's index, from 0.
    pub subtask: usize,
    /// How many subtasks the chain runs as.
    pub parallelism: usize,
    /// The number of key groups of the chain's keyed input.
    pub max_parallelism: usize,
    /// The job's plan.
    pub plan: &'static PlanSpec,
    /// Where processing time comes from.
    pub clock: crate::time::Clock,
    pub(crate) endpoints: &'a Endpoints,
    /// The chain's checkpoints, if the job takes them.
    pub(crate) checkpoints: Option<&'a crate::checkpoint::coordinator::TaskCheckpoints>,
    /// What the task counts (its exchanges count the records they send).
    pub(crate) metrics: Option<&'a std::sync::Arc<crate::api::task_metrics::TaskMetrics>>,
}

impl RuntimeContext<'_> {
    /// The number of key groups of the chain that `edge` leads to, which runs as
    /// `parallelism` subtasks.
    pub(crate) fn key_groups_of_edge(&self, edge: u32, parallelism: usize) -> usize {
        self.plan.edge(edge).map_or_else(
            || crate::core::plan::default_key_groups(parallelism),
            |e| self.plan.chain(e.target).key_groups(parallelism),
        )
    }

    /// The senders to every subtask of the chain that `edge` leads to, and the channel index
    /// this subtask writes as.
    pub(crate) fn exchange<T: Send + 'static>(&self, edge: u32) -> Result<(Vec<InputSender<T>>, u32), JobError> {
        let spec = self.plan.edge(edge).ok_or_else(|| JobError::Config(format!("edge {edge} is not in the plan")))?;
        let senders = self
            .endpoints
            .inputs
            .get(&(spec.target, spec.input))
            .and_then(|s| s.downcast_ref::<Vec<InputSender<T>>>())
            .ok_or_else(|| JobError::Config(format!("no input channels of the right type for edge {edge}")))?;
        let offset = self.endpoints.channel_offsets[&edge];
        Ok((senders.clone(), offset + self.subtask as u32))
    }
}

impl RuntimeContext<'_> {
    /// Where operator `id` writes its state at a checkpoint barrier, with its uid; `None`
    /// when the job takes no checkpoints (then there is nothing to keep either).
    pub fn state_writer(&self, id: u32) -> Option<(crate::checkpoint::StateWriter, &'static str)> {
        let checkpoints = self.checkpoints?;
        Some((checkpoints.writer.clone(), self.uid(id)))
    }

    /// What operator `uid` of this subtask restores from, when the job restarts from a
    /// checkpoint that holds state of it.
    pub fn restore(&self, uid: &str) -> Option<crate::checkpoint::RestoreContext<'_>> {
        let restored = self.checkpoints?.restored.as_deref()?.get(uid)?;
        Some(crate::checkpoint::RestoreContext {
            restored,
            subtask: self.subtask,
            parallelism: self.parallelism,
            max_parallelism: self.max_parallelism,
        })
    }

    /// The uid of operator `id` (the name its state is kept under).
    pub fn uid(&self, id: u32) -> &'static str {
        let plan: &'static PlanSpec = self.plan;
        plan.operator(id).map_or("", |o| &*o.uid)
    }
}
