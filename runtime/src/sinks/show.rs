//! How `print` and `write_as_text` render a record: like Flink's `toString`.
//!
//! Strings print bare, tuples as `(hello,1)` as Flink's `Tuple2` does. Other types print
//! with `Display` if they have it, else with `Debug`: the generated code picks the first that
//! applies (by autoref specialisation, see [`show!`](crate::show)).

use std::fmt::{Debug, Display, Write};

/// Flink's `toString` for the types it knows.
pub trait Show {
    /// Appends the value as Flink's `toString` writes it.
    fn show(&self, out: &mut String);
}

macro_rules! show_display {
    ($($t:ty),*) => {$(impl Show for $t {
        #[inline] fn show(&self, out: &mut String) { let _ = write!(out, "{self}"); }
    })*};
}
show_display!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, bool, char, str, String);

impl Show for f64 {
    fn show(&self, out: &mut String) {
        // Java prints 1.0 where Rust's Display prints 1.
        let _ = write!(out, "{self:?}");
    }
}
impl Show for f32 {
    fn show(&self, out: &mut String) {
        let _ = write!(out, "{self:?}");
    }
}

impl<T: Show + ?Sized> Show for &T {
    fn show(&self, out: &mut String) {
        (**self).show(out)
    }
}

impl<T: Show> Show for Vec<T> {
    fn show(&self, out: &mut String) {
        out.push('[');
        for (i, v) in self.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            v.show(out);
        }
        out.push(']');
    }
}

macro_rules! show_tuple {
    ($($name:ident $idx:tt),+) => {
        impl<$($name: Show),+> Show for ($($name,)+) {
            fn show(&self, out: &mut String) {
                out.push('(');
                $( if $idx > 0 { out.push(','); } self.$idx.show(out); )+
                out.push(')');
            }
        }
    };
}
show_tuple!(A 0);
show_tuple!(A 0, B 1);
show_tuple!(A 0, B 1, C 2);
show_tuple!(A 0, B 1, C 2, D 3);
show_tuple!(A 0, B 1, C 2, D 3, E 4);
show_tuple!(A 0, B 1, C 2, D 3, E 4, F 5);
show_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
show_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

#[doc(hidden)]
pub struct Wrap<'a, T: ?Sized>(pub &'a T);

#[doc(hidden)]
pub trait ViaShow {
    fn rill_show(&self, out: &mut String);
}
impl<T: Show + ?Sized> ViaShow for &&Wrap<'_, T> {
    fn rill_show(&self, out: &mut String) {
        self.0.show(out)
    }
}

#[doc(hidden)]
pub trait ViaDisplay {
    fn rill_show(&self, out: &mut String);
}
impl<T: Display + ?Sized> ViaDisplay for &Wrap<'_, T> {
    fn rill_show(&self, out: &mut String) {
        let _ = write!(out, "{}", self.0);
    }
}

#[doc(hidden)]
pub trait ViaDebug {
    fn rill_show(&self, out: &mut String);
}
impl<T: Debug + ?Sized> ViaDebug for Wrap<'_, T> {
    fn rill_show(&self, out: &mut String) {
        let _ = write!(out, "{:?}", self.0);
    }
}

/// Renders `value` into `out` with [`Show`], else `Display`, else `Debug`.
#[macro_export]
macro_rules! show {
    ($value:expr, $out:expr) => {{
        #[allow(unused_imports)]
        use $crate::sinks::show::{ViaDebug as _, ViaDisplay as _, ViaShow as _};
        (&&&$crate::sinks::show::Wrap($value)).rill_show($out)
    }};
}

#[cfg(test)]
mod tests {
    #[derive(Debug)]
    struct Plain {
        #[allow(dead_code)]
        x: i32,
    }
    struct Shown;
    impl std::fmt::Display for Shown {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("shown")
        }
    }

    fn render<T: ?Sized>(f: impl FnOnce(&mut String)) -> String {
        let _ = std::marker::PhantomData::<T>;
        let mut s = String::new();
        f(&mut s);
        s
    }

    #[test]
    fn tuples_print_as_flink_tuples() {
        let v = ("hello".to_owned(), 3);
        assert_eq!(render::<()>(|s| crate::show!(&v, s)), "(hello,3)");
        let v = (1.0f64, true, 'c');
        assert_eq!(render::<()>(|s| crate::show!(&v, s)), "(1.0,true,c)");
    }

    #[test]
    fn falls_back_to_display_then_debug() {
        assert_eq!(render::<()>(|s| crate::show!(&Shown, s)), "shown");
        assert_eq!(render::<()>(|s| crate::show!(&Plain { x: 1 }, s)), "Plain { x: 1 }");
        assert_eq!(render::<()>(|s| crate::show!(&Some(2), s)), "Some(2)");
    }
}
