//! Field arithmetic for the positional aggregations (`sum(1)`, `max(count)`, ...).
//!
//! The compiler turns `sum(1)` into `agg::sum(&mut acc.1, record.1)`, so a wrong field or a
//! field that cannot be summed is a compile error at the user's argument. Integer sums wrap
//! on overflow, as Java's do in Flink.

/// A number that `sum` can add.
pub trait Summable: Copy {
    /// The sum of the two.
    fn add(self, other: Self) -> Self;
}

macro_rules! wrapping {
    ($($t:ty),*) => {$(impl Summable for $t {
        #[inline] fn add(self, other: Self) -> Self { self.wrapping_add(other) }
    })*};
}
wrapping!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

impl Summable for f32 {
    #[inline]
    fn add(self, other: Self) -> Self {
        self + other
    }
}
impl Summable for f64 {
    #[inline]
    fn add(self, other: Self) -> Self {
        self + other
    }
}

/// How `sum`, `min` and `max` combine a field of the aggregate with the record's.
pub trait FieldAgg<N>: Copy + Send + 'static {
    /// Folds `value` into `acc`.
    fn apply(acc: &mut N, value: N);
}

/// `sum(field)`.
#[derive(Clone, Copy, Debug)]
pub struct Sum;
/// `min(field)`: the field becomes the smaller; the other fields stay the first record's.
#[derive(Clone, Copy, Debug)]
pub struct Min;
/// `max(field)`.
#[derive(Clone, Copy, Debug)]
pub struct Max;

impl<N: Summable> FieldAgg<N> for Sum {
    #[inline]
    fn apply(acc: &mut N, value: N) {
        *acc = acc.add(value);
    }
}
impl<N: PartialOrd> FieldAgg<N> for Min {
    #[inline]
    fn apply(acc: &mut N, value: N) {
        if value < *acc {
            *acc = value;
        }
    }
}
impl<N: PartialOrd> FieldAgg<N> for Max {
    #[inline]
    fn apply(acc: &mut N, value: N) {
        if value > *acc {
            *acc = value;
        }
    }
}

/// How `min_by` and `max_by` pick a whole record: the new one replaces the aggregate only
/// when strictly better, so on a tie the first stays (Flink's `first = true`).
pub trait Select: Copy + Send + 'static {
    /// Whether `new` replaces `current`.
    fn better<N: PartialOrd>(new: &N, current: &N) -> bool;
}

/// `min_by(field)`.
#[derive(Clone, Copy, Debug)]
pub struct MinBy;
/// `max_by(field)`.
#[derive(Clone, Copy, Debug)]
pub struct MaxBy;

impl Select for MinBy {
    #[inline]
    fn better<N: PartialOrd>(new: &N, current: &N) -> bool {
        new < current
    }
}
impl Select for MaxBy {
    #[inline]
    fn better<N: PartialOrd>(new: &N, current: &N) -> bool {
        new > current
    }
}

/// Field 0 of a tuple, or the value itself for a plain number (Flink allows position 0 on
/// basic types).
pub trait Field0 {
    /// The first field's type.
    type Field;
    /// The first field, to update.
    fn field0(&mut self) -> &mut Self::Field;
    /// The first field, to compare.
    fn field0_ref(&self) -> &Self::Field;
    /// The first field, taken.
    fn into_field0(self) -> Self::Field;
}

macro_rules! field0_self {
    ($($t:ty),*) => {$(impl Field0 for $t {
        type Field = $t;
        #[inline] fn field0(&mut self) -> &mut $t { self }
        #[inline] fn field0_ref(&self) -> &$t { self }
        #[inline] fn into_field0(self) -> $t { self }
    })*};
}
field0_self!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64);

macro_rules! field0_tuple {
    ($($rest:ident),*) => {
        impl<A, $($rest),*> Field0 for (A, $($rest),*) {
            type Field = A;
            #[inline] fn field0(&mut self) -> &mut A { &mut self.0 }
            #[inline] fn field0_ref(&self) -> &A { &self.0 }
            #[inline] fn into_field0(self) -> A { self.0 }
        }
    };
}
field0_tuple!();
field0_tuple!(B);
field0_tuple!(B, C);
field0_tuple!(B, C, D);
field0_tuple!(B, C, D, E);
field0_tuple!(B, C, D, E, F);
field0_tuple!(B, C, D, E, F, G);
field0_tuple!(B, C, D, E, F, G, H);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_sums_wrap_like_java() {
        let mut a = i32::MAX;
        Sum::apply(&mut a, 1);
        assert_eq!(a, i32::MIN);
    }

    #[test]
    fn field0_of_a_number_is_itself_and_of_a_tuple_its_first_field() {
        let mut n = 5i64;
        Sum::apply(n.field0(), 2);
        assert_eq!(n, 7);
        let mut t = (1.5f64, "x");
        Max::apply(t.field0(), 2.5);
        assert_eq!(t, (2.5, "x"));
        Min::apply(t.field0(), 3.0);
        assert_eq!(t.into_field0(), 2.5);
    }

    #[test]
    fn selection_keeps_the_first_on_a_tie() {
        assert!(MinBy::better(&1, &2) && !MinBy::better(&2, &2));
        assert!(MaxBy::better(&3, &2) && !MaxBy::better(&2, &2));
    }
}
