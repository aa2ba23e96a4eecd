//! The open windows of a time-window operator, in order, each with its value (the keys'
//! accumulators).
//!
//! A `BTreeMap` did this, but a record's window was then a tree search (a third of the
//! operator's instructions on `window-alert`), while records nearly always belong to the
//! newest window or one just before it. Here the windows lie in a `VecDeque` in order and
//! are searched from the back; windows close from the front.

use crate::time::TimeWindow;
use std::collections::VecDeque;

/// Open windows in order (all windows of an assigner have one size: by their end too).
pub(super) struct OpenWindows<V> {
    windows: VecDeque<(TimeWindow, V)>,
}

impl<V> Default for OpenWindows<V> {
    fn default() -> Self {
        OpenWindows { windows: VecDeque::new() }
    }
}

impl<V> OpenWindows<V> {
    /// The value of `window`, made by `new` if the window is not open yet.
    #[inline]
    pub(super) fn get_or_insert_with(&mut self, window: TimeWindow, new: impl FnOnce() -> V) -> &mut V {
        let mut at = self.windows.len();
        while at > 0 {
            let w = &self.windows[at - 1].0;
            if *w == window {
                return &mut self.windows[at - 1].1;
            }
            if *w < window {
                break;
            }
            at -= 1;
        }
        self.windows.insert(at, (window, new()));
        &mut self.windows[at].1
    }

    /// The value of `window`, if it is open.
    pub(super) fn get_mut(&mut self, window: &TimeWindow) -> Option<&mut V> {
        self.windows.iter_mut().rev().find(|(w, _)| w == window).map(|(_, v)| v)
    }

    /// The windows in order, with their values.
    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = (&TimeWindow, &mut V)> {
        self.windows.iter_mut().map(|(w, v)| (&*w, v))
    }

    /// The first window.
    pub(super) fn first(&self) -> Option<&TimeWindow> {
        self.windows.front().map(|(w, _)| w)
    }

    /// Closes the first window.
    pub(super) fn pop_first(&mut self) -> Option<(TimeWindow, V)> {
        self.windows.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(start: i64) -> TimeWindow {
        TimeWindow { start, end: start + 10 }
    }

    #[test]
    fn windows_stay_in_order_whatever_order_they_open_in() {
        let mut open = OpenWindows::default();
        for (start, v) in [(20, 'c'), (0, 'a'), (30, 'd'), (10, 'b'), (20, 'x')] {
            open.get_or_insert_with(w(start), || v);
        }
        let got: Vec<_> = open.iter_mut().map(|(w, v)| (w.start, *v)).collect();
        assert_eq!(got, [(0, 'a'), (10, 'b'), (20, 'c'), (30, 'd')], "an open window keeps its value");
        *open.get_mut(&w(10)).unwrap() = 'B';
        assert_eq!(open.get_mut(&w(40)), None);
        assert_eq!(open.first(), Some(&w(0)));
        assert_eq!(open.pop_first(), Some((w(0), 'a')));
        assert_eq!(open.pop_first(), Some((w(10), 'B')));
        assert_eq!(open.first(), Some(&w(20)));
    }
}
