//! The receiving side of a consumer subtask: combines the control elements of its input
//! channels into the one stream of control its chain sees.

use crate::core::element::{Control, Timestamp, MAX_WATERMARK};

/// Tracks each input channel's watermark and end of input. The chain's watermark is the
/// minimum over the channels that have not ended, as in Flink; the chain ends when every
/// channel has ended.
pub struct InputGate {
    watermarks: Vec<Timestamp>,
    ended: Vec<bool>,
    idle: Vec<bool>,
    /// Whether the chain was told that all its inputs are idle.
    all_idle: bool,
    /// A second control element to hand out after the one returned (see [`Self::take_pending`]).
    pending: Option<Control>,
    open_channels: usize,
    current: Timestamp,
    barriers: Vec<Option<u64>>,
}

impl InputGate {
    /// A gate over `channels` input channels.
    pub fn new(channels: usize) -> Self {
        InputGate {
            watermarks: vec![i64::MIN; channels],
            ended: vec![false; channels],
            idle: vec![false; channels],
            all_idle: false,
            pending: None,
            open_channels: channels,
            current: i64::MIN,
            barriers: vec![None; channels],
        }
    }

    /// True once every channel has ended.
    pub fn finished(&self) -> bool {
        self.open_channels == 0
    }

    /// Takes a control element from `channel`; returns what the chain must see, if anything.
    pub fn on_control(&mut self, channel: usize, control: Control) -> Option<Control> {
        match control {
            Control::Idle => {
                self.idle[channel] = true;
                let open = self.idle.iter().zip(&self.ended).filter(|(_, e)| !**e);
                if open.clone().all(|(i, _)| *i) {
                    // Nothing can hold event time back now: it moves to the largest watermark
                    // of any channel (Flink's StatusWatermarkValve), then the chain is idle.
                    if !self.all_idle {
                        self.all_idle = true;
                        self.pending = Some(Control::Idle);
                        let max = self.watermarks.iter().zip(&self.ended).filter(|(_, e)| !**e).map(|(w, _)| *w).max();
                        if let Some(max) = max.filter(|m| *m > self.current) {
                            self.current = max;
                            return Some(Control::Watermark(max));
                        }
                        return self.pending.take();
                    }
                    return None;
                }
                self.advance()
            }
            Control::Active => {
                self.idle[channel] = false;
                if self.all_idle {
                    self.all_idle = false;
                    return Some(Control::Active);
                }
                None
            }
            Control::Watermark(wm) => {
                if wm > self.watermarks[channel] {
                    self.watermarks[channel] = wm;
                }
                if self.idle[channel] {
                    // A watermark means the channel is active again.
                    self.idle[channel] = false;
                }
                self.advance()
            }
            Control::EndOfInput => {
                if !self.ended[channel] {
                    self.ended[channel] = true;
                    self.watermarks[channel] = MAX_WATERMARK;
                    self.open_channels -= 1;
                }
                if self.open_channels == 0 {
                    Some(Control::EndOfInput)
                } else {
                    self.advance()
                }
            }
            Control::CheckpointComplete(_) | Control::FinalSnapshot => None,
            Control::Barrier(id) => {
                // Forwarded once every channel has delivered it (alignment comes with checkpoints).
                self.barriers[channel] = Some(id);
                let all = self.barriers.iter().zip(&self.ended).all(|(b, e)| *e || *b == Some(id));
                if all {
                    self.barriers.iter_mut().for_each(|b| *b = None);
                    Some(Control::Barrier(id))
                } else {
                    None
                }
            }
        }
    }

    /// The barrier being aligned, once every channel that has not ended has delivered it:
    /// for when the last channels still to deliver it end instead.
    pub fn aligned_barrier(&mut self) -> Option<u64> {
        let id = self.barriers.iter().flatten().next().copied()?;
        let all = self.barriers.iter().zip(&self.ended).all(|(b, e)| *e || *b == Some(id));
        if !all {
            return None;
        }
        self.barriers.iter_mut().for_each(|b| *b = None);
        Some(id)
    }

    /// A control element that follows the one [`Self::on_control`] returned, if any.
    pub fn take_pending(&mut self) -> Option<Control> {
        self.pending.take()
    }

    /// A record arrived on `channel`: it is active again.
    #[inline]
    pub fn on_record(&mut self, channel: usize) -> Option<Control> {
        if self.idle[channel] {
            return self.on_control(channel, Control::Active);
        }
        None
    }

    fn advance(&mut self) -> Option<Control> {
        let open = self.watermarks.iter().zip(&self.ended).zip(&self.idle).filter(|((_, e), _)| !**e);
        // Idle channels do not hold event time back, unless every open channel is idle.
        let min = match open.clone().filter(|(_, i)| !**i).map(|((w, _), _)| *w).min() {
            Some(m) => m,
            None if open.clone().next().is_some() => return None,
            None => MAX_WATERMARK,
        };
        if min > self.current {
            self.current = min;
            Some(Control::Watermark(min))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watermark_is_the_minimum_over_open_channels() {
        let mut g = InputGate::new(2);
        assert_eq!(g.on_control(0, Control::Watermark(10)), None);
        assert_eq!(g.on_control(1, Control::Watermark(5)), Some(Control::Watermark(5)));
        assert_eq!(g.on_control(1, Control::Watermark(20)), Some(Control::Watermark(10)));
        assert_eq!(g.on_control(0, Control::EndOfInput), Some(Control::Watermark(20)));
        assert!(!g.finished());
        assert_eq!(g.on_control(1, Control::EndOfInput), Some(Control::EndOfInput));
        assert!(g.finished());
    }

    #[test]
    fn idle_channels_do_not_hold_the_watermark_back() {
        let mut g = InputGate::new(2);
        assert_eq!(g.on_control(0, Control::Watermark(10)), None);
        assert_eq!(g.on_control(1, Control::Idle), Some(Control::Watermark(10)));
        assert_eq!(g.on_control(0, Control::Watermark(20)), Some(Control::Watermark(20)));
        // Channel 1 comes back behind: event time does not go back, nor forward until it catches up.
        assert_eq!(g.on_record(1), None);
        assert_eq!(g.on_control(1, Control::Watermark(15)), None);
        assert_eq!(g.on_control(0, Control::Watermark(30)), None);
        assert_eq!(g.on_control(1, Control::Watermark(25)), Some(Control::Watermark(25)));
    }

    #[test]
    fn all_channels_idle_makes_the_chain_idle_at_the_largest_watermark() {
        let mut g = InputGate::new(2);
        assert_eq!(g.on_control(1, Control::Watermark(40)), None);
        assert_eq!(g.on_control(1, Control::Idle), None);
        assert_eq!(g.on_control(0, Control::Idle), Some(Control::Watermark(40)));
        assert_eq!(g.take_pending(), Some(Control::Idle));
        assert_eq!(g.take_pending(), None);
        assert_eq!(g.on_record(0), Some(Control::Active));
    }

    #[test]
    fn barrier_passes_once_all_channels_delivered_it() {
        let mut g = InputGate::new(2);
        assert_eq!(g.on_control(0, Control::Barrier(1)), None);
        assert_eq!(g.on_control(1, Control::Barrier(1)), Some(Control::Barrier(1)));
    }
}
