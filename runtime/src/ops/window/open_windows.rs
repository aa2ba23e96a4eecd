//! The open windows of a time-window operator, in order, each with its value (the keys'
//! accumulators).
//!
//! A `BTreeMap` did this, but a record's window was then a tree search (a third of the
//! operator's instructions on `window-alert`), while records nearly always belong to the
//! newest window. Here the windows lie in a `VecDeque` in order: the newest is tried first,
//! then a binary search; windows close from the front.

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
    /// The value of `window`, made by `new` if the window is not open yet: the newest
    /// window is tried first, then a binary search (records of a source far ahead of the
    /// others keep many windows open: at p=2 on `window-alert`, half a million).
    #[inline]
    pub(super) fn get_or_insert_with(&mut self, window: TimeWindow, new: impl FnOnce() -> V) -> &mut V {
        let newest = self.windows.back().is_some_and(|(w, _)| *w == window);
        let at = if newest {
            self.windows.len() - 1
        } else {
            match self.windows.binary_search_by(|(w, _)| w.cmp(&window)) {
                Ok(at) => at,
                Err(at) => {
                    // Near one end as a rule (the newest windows, or the oldest of a source
                    // that is behind): the deque moves the shorter side.
                    self.windows.insert(at, (window, new()));
                    at
                }
            }
        };
        &mut self.windows[at].1
    }

    /// The value of `window`, if it is open.
    pub(super) fn get_mut(&mut self, window: &TimeWindow) -> Option<&mut V> {
        let at = self.windows.binary_search_by(|(w, _)| w.cmp(window)).ok()?;
        Some(&mut self.windows[at].1)
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

    #[test]
    fn many_open_windows_are_found_by_search() {
        let mut open = OpenWindows::default();
        for start in (0..100_000).map(|i| 1_000_000 + i * 10) {
            open.get_or_insert_with(w(start), || start);
        }
        // Windows of a source far behind: each found or opened near the front.
        for start in (0..1_000).map(|i| i * 10) {
            *open.get_or_insert_with(w(start), || 0) += 1;
            assert_eq!(*open.get_or_insert_with(w(start), || 99), 1);
            assert_eq!(open.pop_first(), Some((w(start), 1)));
        }
        assert_eq!(open.get_mut(&w(1_000_500)), Some(&mut 1_000_500));
    }
}
