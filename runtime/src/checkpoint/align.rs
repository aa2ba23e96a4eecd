//! Barrier alignment (Flink's `CheckpointBarrierHandler`): in exactly-once mode, once a
//! channel has delivered the barrier of a checkpoint, what it sends next belongs after the
//! checkpoint and is held back until every channel has delivered the barrier; then the task
//! snapshots, forwards the barrier, and takes the held messages in their order.

use std::collections::VecDeque;

/// The channels held back and what they sent meanwhile.
pub(crate) struct Aligner<M> {
    held: Vec<bool>,
    any_held: bool,
    stash: VecDeque<(u32, M)>,
}

impl<M> Aligner<M> {
    /// For a task with `channels` input channels.
    pub(crate) fn new(channels: usize) -> Self {
        Aligner { held: vec![false; channels], any_held: false, stash: VecDeque::new() }
    }

    /// Whether messages of `channel` are held back now; if so, keeps `message` for later.
    #[inline]
    pub(crate) fn hold(&mut self, channel: u32, message: M) -> Option<M> {
        if self.any_held && self.held.get(channel as usize).copied().unwrap_or(false) {
            self.stash.push_back((channel, message));
            return None;
        }
        Some(message)
    }

    /// `channel` delivered a barrier that not every channel has delivered yet.
    pub(crate) fn block(&mut self, channel: u32) {
        if let Some(h) = self.held.get_mut(channel as usize) {
            *h = true;
            self.any_held = true;
        }
    }

    /// Every channel delivered the barrier: the held messages, in order, to take now.
    pub(crate) fn release(&mut self) -> VecDeque<(u32, M)> {
        self.held.iter_mut().for_each(|h| *h = false);
        self.any_held = false;
        std::mem::take(&mut self.stash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocked_channel_is_held_until_release_and_others_pass() {
        let mut a = Aligner::new(2);
        assert_eq!(a.hold(0, "a1"), Some("a1"));
        a.block(0);
        assert_eq!(a.hold(0, "a2"), None);
        assert_eq!(a.hold(1, "b1"), Some("b1"));
        assert_eq!(a.hold(0, "a3"), None);
        assert_eq!(a.release().into_iter().collect::<Vec<_>>(), [(0, "a2"), (0, "a3")]);
        assert_eq!(a.hold(0, "a4"), Some("a4"));
    }
}
