//! `#[rill::job]`: compiles the pipeline in a function body into a job binary. All the work
//! is in `rill-compiler`, which is an ordinary library, unit-tested on token streams.

use proc_macro::TokenStream;

/// Compiles a pipeline into fused chains, an embedded plan and a `main` that runs the job.
#[proc_macro_attribute]
pub fn job(attr: TokenStream, item: TokenStream) -> TokenStream {
    rill_compiler::compile(attr.into(), item.into()).into()
}

/// Derives `rill::Codec`, so that a record type can cross an exchange between processes.
#[proc_macro_derive(Codec)]
pub fn derive_codec(item: TokenStream) -> TokenStream {
    rill_compiler::codec::derive(item.into()).into()
}
