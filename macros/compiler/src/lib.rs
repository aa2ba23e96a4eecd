//! The Rill job compiler: turns the body of a `#[rill::job]` function into fused,
//! monomorphized chains, an embedded plan and a `main`.
//!
//! One pass per module: [`format`](mod@format) (presized `format!`s in the body) → [`parse`] → [`build`] (into the [`ir`]) → [`validate`] → [`chain`] →
//! [`emit`]. Each DataStream method is a spec in [`ops`], one file per operator: what it is
//! called on, its checks, how it builds and how it is emitted. It is a library of pure
//! functions over token streams, so it is unit-tested directly; the proc-macro crate is a
//! thin shell over [`compile`].
#![deny(missing_docs)]

pub mod build;
pub mod chain;
pub mod closures;
pub mod codec;
pub mod diag;
pub mod emit;
pub mod format;
pub mod ir;
pub mod key;
pub mod ops;
pub mod parse;
pub mod validate;

/// Parses a `#[rill::job]` function with the operators of [`ops::CATALOG`].
pub fn parse_job(item: ItemFn, diags: &mut diag::Diagnostics) -> Option<parse::JobFn> {
    parse::parse_job(item, diags, &ops::is_source)
}

/// Builds the logical graph of a parsed job with the operators of [`ops::CATALOG`].
pub fn build_graph(job: &parse::JobFn, diags: &mut diag::Diagnostics) -> ir::Graph {
    build::build(job, diags, ops::CATALOG)
}

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

/// Compiles `#[rill::job(ATTR)] ITEM`. Errors come back as `compile_error!`s at the
/// offending calls, with fallback items so that rustc reports nothing more.
pub fn compile(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut item: ItemFn = match syn::parse2(item) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    match syn::parse2(format::presize(quote::ToTokens::to_token_stream(&item.block))) {
        Ok(block) => item.block = block,
        Err(e) => return e.to_compile_error(),
    }
    let mut diags = diag::Diagnostics::default();
    let options = match parse_options(attr) {
        Ok(o) => o,
        Err(e) => {
            // The option's error alone, with the fallback items (as if no option was given),
            // so that rustc reports nothing more.
            let errors = e.to_compile_error();
            let fallback = fallback(&item, &diags, &emit::Options { main: true, allocator: false });
            return quote!(#errors #fallback);
        }
    };
    let Some(job) = parse_job(item.clone(), &mut diags) else {
        return fallback(&item, &diags, &options);
    };
    let graph = build_graph(&job, &mut diags);
    validate::validate(&graph, &job.name, &mut diags);
    if !diags.is_empty() {
        return fallback(&item, &diags, &options);
    }
    let physical = chain::chain(&graph);
    emit::emit(&job, &graph, &physical, &options)
}

fn parse_options(attr: TokenStream) -> syn::Result<emit::Options> {
    let mut options = emit::Options { main: true, allocator: true };
    if attr.is_empty() {
        return Ok(options);
    }
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("no_main") {
            options.main = false;
            Ok(())
        } else if meta.path.is_ident("own_allocator") {
            options.allocator = false;
            Ok(())
        } else {
            Err(meta.error(
                "unknown #[rill::job] option; the options are `no_main` (no `fn main`: the job is run from other code) \
                 and `own_allocator` (the crate sets its own `#[global_allocator]`, or keeps the system's)",
            ))
        }
    });
    syn::parse::Parser::parse2(parser, attr)?;
    Ok(options)
}

fn fallback(item: &ItemFn, diags: &diag::Diagnostics, options: &emit::Options) -> TokenStream {
    let errors = diags.to_tokens();
    let name = &item.sig.ident;
    let vis = &item.vis;
    let sig = &item.sig;
    let job = emit::job_ident(name);
    // The user's own signature keeps their imports in use; the job static only where the
    // signature is one that fits it.
    let job_static = (item.sig.inputs.len() == 1).then(|| {
        quote! {
            #[allow(dead_code)]
            #vis static #job: ::rill::codegen::Job = ::rill::codegen::Job::invalid(#name);
        }
    });
    let main = options.main.then(|| {
        quote!(
            fn main() {}
        )
    });
    quote! {
        #errors
        #[allow(unused_variables, dead_code)]
        #vis #sig {}
        #job_static
        #main
    }
}
