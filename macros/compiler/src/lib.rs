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
pub mod fragment;
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
    compile_with(attr, item, &[])
}

/// `rill::__expand_job!`: a job compiled again with one more of the fragments it calls
/// (see [`fragment`]).
pub fn expand_job(tokens: TokenStream) -> TokenStream {
    match fragment::parse_expansion(tokens) {
        Ok(e) => compile_with(e.attr, e.item, &e.fragments),
        Err(e) => e.to_compile_error(),
    }
}

/// `#[rill::fragment] ITEM`.
pub fn define_fragment(attr: TokenStream, item: TokenStream) -> TokenStream {
    fragment::define(attr, item)
}

fn compile_with(attr: TokenStream, item_tokens: TokenStream, fragments: &[fragment::Fragment]) -> TokenStream {
    let item: ItemFn = match syn::parse2(item_tokens.clone()) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    let mut diags = diag::Diagnostics::default();
    // A fragment's tokens come out of its macro with that macro's hygiene: resolved at the
    // job instead, its closures' names and format strings agree with each other and with
    // the names the inlining gives it.
    let fragments: Vec<fragment::Fragment> = fragments.iter().map(|f| f.resolved_at(item.sig.ident.span())).collect();
    let fragments = fragments.as_slice();
    let mut item = match fragment::inline(item.clone(), fragments, &mut diags, &ops::is_source) {
        fragment::Inlined::Done(inlined) => *inlined,
        fragment::Inlined::Needs(path) => return fragment::callback(&attr, &item_tokens, fragments, &path),
    };
    if !diags.is_empty() {
        let options = parse_options(attr).unwrap_or(emit::Options { main: true, allocator: false });
        return fallback(&item, &diags, &options);
    }
    match syn::parse2(format::presize(quote::ToTokens::to_token_stream(&item.block))) {
        Ok(block) => item.block = block,
        Err(e) => return e.to_compile_error(),
    }
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
    let out = emit::emit(&job, &graph, &physical, &options);
    if fragments.is_empty() {
        out
    } else {
        resolve_generated_at(out, job.name.span())
    }
}

/// Compiled again from a fragment's macro, the compiler's own tokens carry that macro's
/// hygiene (the call site of `__expand_job!` is inside it), while those it spans at the
/// user's code carry the job's: the locals it declares (`__rill_*`) are resolved at the
/// job's name, so that each is found where it is used.
fn resolve_generated_at(tokens: TokenStream, anchor: proc_macro2::Span) -> TokenStream {
    use proc_macro2::TokenTree;
    fragment::resolve_at(
        tokens,
        anchor,
        &|tt| matches!(tt, TokenTree::Ident(i) if i.to_string().starts_with("__rill_")),
    )
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
    let ide = ide_view(item);
    quote! {
        #errors
        #[allow(unused_variables, dead_code)]
        #vis #sig {}
        #job_static
        #main
        #ide
    }
}

/// The job's body once more, on the typed stand-ins of `rill::ide`, for rust-analyzer
/// only (`cfg(rust_analyzer)`: rustc never compiles it). A body that does not compile is
/// what rust-analyzer completes in (it puts a made-up name at the cursor), and this is
/// where it finds the operators a stream offers (see [`ops::ide`]).
fn ide_view(item: &ItemFn) -> TokenStream {
    let Some(syn::FnArg::Typed(arg)) = item.sig.inputs.first() else { return TokenStream::new() };
    let syn::Pat::Ident(env) = &*arg.pat else { return TokenStream::new() };
    let env = &env.ident;
    let stmts = &item.block.stmts;
    quote! {
        #[allow(unexpected_cfgs)]
        const _: () = {
            #[cfg(rust_analyzer)]
            #[allow(unused, clippy::all)]
            fn __rill_ide_view(#env: &mut ::rill::Env) {
                let mut #env = ::rill::ide::IdeEnv::of(#env);
                #(#stmts)*
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    #[test]
    fn a_job_that_does_not_compile_carries_its_body_for_the_ide() {
        // `.intellijRulezz`: what rust-analyzer puts at the cursor to complete after a dot.
        let out = super::compile(
            quote!(no_main),
            quote! {
                fn j(env: &mut Env) {
                    let limit = env.parameter_or("limit", 3);
                    env.from_elements([1i64, 2]).key_by(|x| *x).intellijRulezz;
                }
            },
        )
        .to_string();
        assert!(out.contains("compile_error"), "{out}");
        for expected in [
            "# [cfg (rust_analyzer)]",
            "fn __rill_ide_view (env : & mut :: rill :: Env)",
            "let mut env = :: rill :: ide :: IdeEnv :: of (env) ;",
            "let limit = env . parameter_or (\"limit\" , 3) ;",
            "env . from_elements ([1i64 , 2]) . key_by (| x | * x) . intellijRulezz ;",
        ] {
            assert!(out.contains(expected), "{expected}\nnot in\n{out}");
        }
        // A job that compiles has no such copy: rust-analyzer reads the real expansion.
        let ok = super::compile(
            quote!(no_main),
            quote!(
                fn j(env: &mut Env) {
                    env.from_elements([1]).print();
                }
            ),
        );
        assert!(!ok.to_string().contains("__rill_ide_view"));
    }
}
