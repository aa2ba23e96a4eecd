//! The receiving side of a consumer subtask: combines the control elements of its input
//! channels into the one stream of control its chain sees.

use crate::element::{Control, Timestamp, MAX_WATERMARK};

/// Tracks each input channel's watermark and end of input. The chain's watermark is the
/// minimum over the channels that have not ended, as in Flink; the chain ends when every
/// channel has ended.
pub struct InputGate {
    watermarks: Vec<Timestamp>,
    ended: Vec<bool>,
    open_channels: usize,
    current: Timestamp,
    barriers: Vec<Option<u64>>,
}

impl InputGate {
    pub fn new(channels: usize) -> Self {
        InputGate {
            watermarks: vec![i64::MIN; channels],
            ended: vec![false; channels],
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
            Control::Watermark(wm) => {
                if wm > self.watermarks[channel] {
                    self.watermarks[channel] = wm;
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

    fn advance(&mut self) -> Option<Control> {
        let min = self
            .watermarks
            .iter()
            .zip(&self.ended)
            .filter(|(_, e)| !**e)
            .map(|(w, _)| *w)
            .min()
            .unwrap_or(MAX_WATERMARK);
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
    fn barrier_passes_once_all_channels_delivered_it() {
        let mut g = InputGate::new(2);
        assert_eq!(g.on_control(0, Control::Barrier(1)), None);
        assert_eq!(g.on_control(1, Control::Barrier(1)), Some(Control::Barrier(1)));
    }
}
