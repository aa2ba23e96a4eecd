//! The global allocator of job binaries.
//!
//! Records cross threads: a source's subtask allocates a string, the keyed operator after an
//! exchange frees it. glibc's allocator serves such frees slowly (they go back to the arena
//! of the thread that allocated, under its lock); with owned `String` records it took 75 %
//! of a word count's time. mimalloc frees across threads into the owning page's lock-free
//! list, and allocates from thread-local free lists, as a JVM's bump pointer does.
//!
//! `#[rill::job]` makes [`DefaultAllocator`] the binary's `#[global_allocator]` where it
//! writes `fn main`. A crate that sets its own allocator, or wants the system's, writes
//! `#[rill::job(own_allocator)]`; a build without the C compiler mimalloc needs turns off
//! the `mimalloc` feature of `rill` (default on), and then the job keeps the system's.
//! A program that runs jobs without `fn main` from the macro (`no_main`) may write
//!
//! ```
//! #[global_allocator]
//! static GLOBAL: rill::DefaultAllocator = rill::DEFAULT_ALLOCATOR;
//! # fn main() {}
//! ```

/// The allocator `#[rill::job]` gives job binaries: mimalloc (the `mimalloc` feature, on by
/// default), else the system's.
#[cfg(feature = "mimalloc")]
pub type DefaultAllocator = mimalloc::MiMalloc;

/// The allocator `#[rill::job]` gives job binaries: mimalloc (the `mimalloc` feature, on by
/// default), else the system's.
#[cfg(not(feature = "mimalloc"))]
pub type DefaultAllocator = std::alloc::System;

/// The value of [`DefaultAllocator`], for a `static`.
#[cfg(feature = "mimalloc")]
pub const DEFAULT_ALLOCATOR: DefaultAllocator = mimalloc::MiMalloc;

/// The value of [`DefaultAllocator`], for a `static`.
#[cfg(not(feature = "mimalloc"))]
pub const DEFAULT_ALLOCATOR: DefaultAllocator = std::alloc::System;

/// `#[global_allocator]` with [`DEFAULT_ALLOCATOR`], where `#[rill::job]` writes `fn main`.
#[doc(hidden)]
#[macro_export]
macro_rules! __global_allocator {
    () => {
        #[global_allocator]
        static __RILL_GLOBAL_ALLOCATOR: $crate::api::allocator::DefaultAllocator =
            $crate::api::allocator::DEFAULT_ALLOCATOR;
    };
}
