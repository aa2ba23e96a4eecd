//! `format!` in a job's functions, with its string sized from the last one.
//!
//! std's `format!` guesses the length of its result from the literal pieces of the format
//! string alone, and guesses nothing when the string starts with a placeholder or its
//! literal text is short: `format!("{} {} {} {}", ..)` starts from an empty `String` and
//! grows it three times (8, 16, 32 bytes) for a 24-byte line. In a function called once per
//! record that is three reallocations a record: 40 % of the cost of the `format!` in the
//! word count as the README writes it. Java has the same problem and javac solves it for
//! `+` by computing the length first (`StringConcatFactory`).
//!
//! Rill cannot know a `Display`'s length before it writes, but a call site in a stream
//! function formats records of one shape over and over: `#[rill::job]` rewrites each
//! unqualified `format!(..)` in the job's body to [`__format!`](crate::__format), which
//! starts from the length this call site last produced on this thread (decayed slowly, so
//! that one long string does not oversize the ones after it) and otherwise formats exactly
//! as `format!` does: the same `String`, only its capacity differs. A crate that defines a
//! `format!` macro of its own calls it by a path (`self::format!`), which is left alone.

use std::cell::Cell;
use std::fmt::{self, Write};
use std::thread::LocalKey;

/// The largest capacity a hint asks for: longer strings grow as std's do, and their
/// formatting costs more than the growth.
const MAX_HINT: usize = 4096;

/// Formats `args` into a `String` whose capacity starts at `hint`, and updates `hint` from
/// the length written.
#[inline]
pub fn format_with_hint(hint: &'static LocalKey<Cell<usize>>, args: fmt::Arguments<'_>) -> String {
    if let Some(s) = args.as_str() {
        return s.to_owned();
    }
    let capacity = hint.get();
    let mut s = String::with_capacity(capacity);
    s.write_fmt(args).expect("a formatting trait implementation returned an error when the underlying stream did not");
    let next = s.len().max(capacity - capacity / 8).min(MAX_HINT);
    if next != capacity {
        hint.set(next);
    }
    s
}

/// `format!` with a per-call-site length hint; what `#[rill::job]` writes for `format!`.
#[doc(hidden)]
#[macro_export]
macro_rules! __format {
    ($($arg:tt)*) => {{
        ::std::thread_local! {
            static HINT: ::std::cell::Cell<usize> = const { ::std::cell::Cell::new(0) };
        }
        $crate::codegen::format_with_hint(&HINT, ::std::format_args!($($arg)*))
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static HINT: Cell<usize> = const { Cell::new(0) };
    }

    #[test]
    fn formats_as_format_does_and_sizes_the_next_string_from_this_one() {
        let words = ["to", "be", "or", "not"];
        let first = format_with_hint(&HINT, format_args!("{} {} {} {}", words[0], words[1], words[2], words[3]));
        assert_eq!(first, format!("{} {} {} {}", words[0], words[1], words[2], words[3]));
        assert_eq!(HINT.get(), first.len());
        let second = format_with_hint(&HINT, format_args!("{} {}", words[1], words[2]));
        assert_eq!(second, "be or");
        assert!(second.capacity() >= first.len(), "sized from the first: {}", second.capacity());
        // A shorter string decays the hint by an eighth, not to its own length.
        assert_eq!(HINT.get(), first.len() - first.len() / 8);
        assert_eq!(format_with_hint(&HINT, format_args!("plain")), "plain");
    }

    #[test]
    fn a_long_string_does_not_size_every_later_one() {
        thread_local! {
            static LONG: Cell<usize> = const { Cell::new(0) };
        }
        let long = "x".repeat(100_000);
        assert_eq!(format_with_hint(&LONG, format_args!("{long}")).len(), 100_000);
        assert_eq!(LONG.get(), MAX_HINT);
    }
}
