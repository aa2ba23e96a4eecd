//! Key selectors: how a keyed operator gets the key of a record without copying it.
//!
//! `key_by(|(word, _)| word)` borrows the key from the record: the operator hashes it and
//! looks its state up by reference, and clones it only when the key is new (inserted into
//! the state, or a timer registered for it). `key_by(|r| r.id % 16)` computes an owned key,
//! used as it is. The compiler tells the two apart from the closure (a field of the record,
//! or a binding of its pattern, is borrowed; `.clone()` of one is dropped: it would copy a
//! string per record only to look it up) and wraps it in [`Borrowed`] or [`Owned`], both
//! [`KeySelector`]s, through [`KeyFor`] so that rustc knows the record type where the
//! closure stands.

use std::hash::Hash;
use std::marker::PhantomData;
use std::ops::Deref;

/// What keyed operators call to get a record's key.
pub trait KeySelector<T>: Clone + Send + 'static {
    /// The key as state holds it.
    type Key: Hash + Eq + Clone + Send + 'static;

    /// The key of `record`: borrowed from it, or computed.
    fn key<'a>(&mut self, record: &'a T) -> KeyRef<'a, Self::Key>;
}

/// A record's key, borrowed from the record or computed from it. Each selector returns
/// always the same variant: after inlining, the other one is gone.
pub enum KeyRef<'a, K> {
    /// A field of the record.
    Borrowed(&'a K),
    /// Computed from the record.
    Owned(K),
}

impl<K: Clone> KeyRef<'_, K> {
    /// The key to keep (in state, in a timer): a clone only if it was borrowed.
    #[inline]
    pub fn into_owned(self) -> K {
        match self {
            KeyRef::Borrowed(k) => k.clone(),
            KeyRef::Owned(k) => k,
        }
    }
}

impl<K> Deref for KeyRef<'_, K> {
    type Target = K;
    #[inline]
    fn deref(&self) -> &K {
        match self {
            KeyRef::Borrowed(k) => k,
            KeyRef::Owned(k) => k,
        }
    }
}

/// A selector that borrows the key from the record.
#[derive(Clone)]
pub struct Borrowed<F>(F);

impl<T, K, F> KeySelector<T> for Borrowed<F>
where
    F: FnMut(&T) -> &K + Clone + Send + 'static,
    K: Hash + Eq + Clone + Send + 'static,
{
    type Key = K;
    #[inline]
    fn key<'a>(&mut self, record: &'a T) -> KeyRef<'a, K> {
        KeyRef::Borrowed((self.0)(record))
    }
}

/// A selector that computes the key.
#[derive(Clone)]
pub struct Owned<F>(F);

impl<T, K, F> KeySelector<T> for Owned<F>
where
    F: FnMut(&T) -> K + Clone + Send + 'static,
    K: Hash + Eq + Clone + Send + 'static,
{
    type Key = K;
    #[inline]
    fn key<'a>(&mut self, record: &'a T) -> KeyRef<'a, K> {
        KeyRef::Owned((self.0)(record))
    }
}

/// Makes the key selector of records `T`: the compiler emits `|k| k.borrowed(|r| &r.0)` or
/// `|k| k.owned(|r| r.0 % 16)` where a builder method expects a selector, so that the
/// closure's input type is known where it stands (and a borrowing closure gets the
/// signature `for<'a> fn(&'a T) -> &'a K`, which rustc infers only from such a bound).
pub struct KeyFor<T>(PhantomData<fn(&T)>);

impl<T> KeyFor<T> {
    /// Calls `make` with the maker of selectors of `T`.
    #[inline]
    pub fn select<S: KeySelector<T>>(make: impl FnOnce(KeyFor<T>) -> S) -> S {
        make(KeyFor(PhantomData))
    }

    /// A selector that borrows the key from the record.
    #[inline]
    pub fn borrowed<K, F>(self, f: F) -> Borrowed<F>
    where
        F: FnMut(&T) -> &K + Clone + Send + 'static,
        K: Hash + Eq + Clone + Send + 'static,
    {
        Borrowed(f)
    }

    /// A selector that computes the key.
    #[inline]
    pub fn owned<K, F>(self, f: F) -> Owned<F>
    where
        F: FnMut(&T) -> K + Clone + Send + 'static,
        K: Hash + Eq + Clone + Send + 'static,
    {
        Owned(f)
    }
}

/// A selector that computes the key, for unit tests of operators.
#[cfg(test)]
pub(crate) fn owned<T, K, F>(f: F) -> Owned<F>
where
    F: FnMut(&T) -> K + Clone + Send + 'static,
    K: Hash + Eq + Clone + Send + 'static,
{
    Owned(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_borrowed_key_is_cloned_only_when_kept() {
        let mut s = KeyFor::<(String, i64)>::select(|k| k.borrowed(|r| &r.0));
        let record = ("host".to_owned(), 1);
        let key = s.key(&record);
        assert!(matches!(key, KeyRef::Borrowed(k) if std::ptr::eq(k, &record.0)));
        assert_eq!(key.into_owned(), "host");
    }

    #[test]
    fn an_owned_key_is_computed() {
        let mut s = KeyFor::<(i64, i64)>::select(|k| k.owned(|r| r.0 % 16));
        assert_eq!(*s.key(&(35, 0)), 3);
        assert_eq!(s.key(&(35, 0)).into_owned(), 3);
    }
}
