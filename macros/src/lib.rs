//! `#[rill::job]`: compiles the pipeline in a function body into a job binary. All the work
//! is in `rill-compiler`, which is an ordinary library, unit-tested on token streams.

use proc_macro::TokenStream;

/// Compiles a pipeline into fused chains, an embedded plan and a `main` that runs the job.
#[proc_macro_attribute]
pub fn job(attr: TokenStream, item: TokenStream) -> TokenStream {
    rill_compiler::compile(attr.into(), item.into()).into()
}

/// A pipeline fragment: a function of streams (`DataStream<T>` parameters) that returns a
/// stream or ends in sinks. A job that calls it gets its body inlined, so its operators
/// fuse with the job's own.
#[proc_macro_attribute]
pub fn fragment(attr: TokenStream, item: TokenStream) -> TokenStream {
    rill_compiler::define_fragment(attr.into(), item.into()).into()
}

/// A job compiled again with one more of its fragments (called by a fragment's macro).
#[doc(hidden)]
#[proc_macro]
pub fn __expand_job(tokens: TokenStream) -> TokenStream {
    rill_compiler::expand_job(tokens.into()).into()
}

/// Derives `rill::Codec`, so that a record type can cross an exchange between processes.
#[proc_macro_derive(Codec)]
pub fn derive_codec(item: TokenStream) -> TokenStream {
    rill_compiler::codec::derive(item.into()).into()
}
