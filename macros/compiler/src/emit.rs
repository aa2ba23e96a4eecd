//! Emit: Rust code for the job. Each chain becomes one builder expression, written front to
//! back so that rustc knows each closure's input type where the closure stands; the
//! runtime clones it per subtask and builds nested operator structs (monomorphized, inlined:
//! no channel, no `Box<dyn>`, no serialization inside a chain). Chains are emitted in
//! topological order, so a consumer's input type is already inferred from its producer.

use crate::chain::{Output, Physical};
use crate::ir::{Graph, Parallelism, Partition, Shape};
use crate::ops::tag_name;
use crate::parse::{JobFn, Statement};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Expr;

/// How the job is emitted.
pub struct Options {
    /// Emit `fn main` that runs the job (off for jobs embedded in other programs or tests).
    pub main: bool,
    /// With `main`: make Rill's allocator the binary's global allocator (off with
    /// `own_allocator`, for a crate that sets its own or keeps the system's).
    pub allocator: bool,
}

/// The job as Rust: the job function building its chains, the plan, the job static and `main`.
pub fn emit(job: &JobFn, graph: &Graph, phys: &Physical, options: &Options) -> TokenStream {
    let env = &job.env;
    let name = &job.name;
    let attrs = &job.item.attrs;
    let vis = &job.item.vis;
    let plain = job.statements.iter().filter_map(|s| match s {
        Statement::Plain(stmt) => Some(stmt),
        Statement::Stream { .. } => None,
    });
    let ports = phys.chains.iter().flat_map(|c| {
        [0u8, 1]
            .into_iter()
            .filter(move |input| phys.edges.iter().any(|e| e.to_chain == c.id && e.to_input == *input))
            .map(move |input| {
                let port = port_ident(c.id, input);
                let id = c.id as u32;
                if input == 0 {
                    quote!(let #port = ::rill::codegen::InputPort::new(#id);)
                } else {
                    quote!(let #port = ::rill::codegen::InputPort::second(#id);)
                }
            })
    });
    let overrides = phys.chains.iter().filter_map(|c| {
        let Parallelism::Expr(expr) = &graph.nodes[c.head].parallelism else { return None };
        let id = c.id as u32;
        Some(quote!(#env.__set_chain_parallelism(#id, #expr);))
    });
    let chains = phys.chains.iter().map(|c| emit_chain(env, graph, phys, c.id));
    let plan_ident = format_ident!("__RILL_PLAN_{}", name.to_string().to_uppercase());
    let job_ident = job_ident(name);
    let plan = emit_plan(&name.to_string(), graph, phys);
    let main = options.main.then(|| {
        let allocator = options.allocator.then(|| quote!(::rill::codegen::global_allocator!();));
        quote! {
            fn main() {
                ::rill::codegen::main(&#job_ident)
            }
            #allocator
        }
    });
    let sig = &job.item.sig;
    quote! {
        #(#attrs)*
        #vis #sig {
            #(#plain)*
            #(#overrides)*
            #(#ports)*
            #(#chains)*
        }

        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        static #plan_ident: ::rill::codegen::PlanSpec = #plan;

        /// The compiled job: its plan and the function that builds its chains.
        #vis static #job_ident: ::rill::codegen::Job = ::rill::codegen::Job { plan: &#plan_ident, build: #name };

        #main
    }
}

/// `word_count` → `WORD_COUNT_JOB`.
pub fn job_ident(name: &syn::Ident) -> syn::Ident {
    format_ident!("{}_JOB", name.to_string().to_uppercase())
}

fn port_ident(chain: usize, input: u8) -> syn::Ident {
    if input == 0 {
        format_ident!("__rill_port_{}", chain)
    } else {
        format_ident!("__rill_port_{}_second", chain)
    }
}

fn emit_chain(env: &syn::Ident, graph: &Graph, phys: &Physical, chain: usize) -> TokenStream {
    let c = &phys.chains[chain];
    let head = &graph.nodes[c.head];
    let id = chain as u32;
    let rest = outputs(graph, phys, head.id);
    if head.inputs.is_empty() {
        let source = (head.op.emit)(head);
        let sides = late_data(graph, phys, head.id);
        quote_spanned! {head.span=>
            {
                let __rill_source = #source;
                let __rill_chain = ::rill::codegen::ChainBuilder::of_source(&__rill_source) #sides #rest;
                #env.__source_chain(#id, __rill_source, __rill_chain);
            }
        }
    } else if head.is_two_input() {
        let (first, second) = (port_ident(chain, 0), port_ident(chain, 1));
        let op = (head.op.emit)(head);
        let sides = late_data(graph, phys, head.id);
        quote! {
            {
                let __rill_chain = ::rill::codegen::TwoInput::of(&#first, &#second) #op #sides
                    .chain(|__rill_b| __rill_b #rest);
                #env.__two_input_chain(&#first, &#second, __rill_chain);
            }
        }
    } else {
        let port = port_ident(chain, 0);
        let op = (head.op.emit)(head);
        let late = late_data(graph, phys, head.id);
        quote! {
            {
                let __rill_chain = ::rill::codegen::ChainBuilder::of(&#port) #op #late #rest;
                #env.__input_chain(&#port, __rill_chain);
            }
        }
    }
}

/// The calls that follow a node inside its chain: the chained operators and exchanges it
/// feeds, with `split` where there are several. Side outputs are not among them: they are
/// built into the operator that writes them (see [`late_data`]).
fn outputs(graph: &Graph, phys: &Physical, node: usize) -> TokenStream {
    let main: Vec<Output> = phys.outputs[node].iter().copied().filter(|o| !is_side_output(graph, *o)).collect();
    branches(graph, phys, &main)
}

fn is_side_output(graph: &Graph, out: Output) -> bool {
    matches!(out, Output::Chained(n) if graph.nodes[n].is_side_output())
}

/// The side outputs read downstream of a node, built into it: `.late_data_to(&TAG, |b| ..)`
/// for a window's late records, `.side_output_to(&TAG, |b| ..)` for each tag a process
/// function (keyed or not, or of a window) writes to, `.source_side_output_to(&TAG, |b| ..)`
/// for a source's.
fn late_data(graph: &Graph, phys: &Physical, node: usize) -> TokenStream {
    let readers: Vec<usize> = phys.outputs[node]
        .iter()
        .filter_map(|o| match o {
            Output::Chained(n) if graph.nodes[*n].is_side_output() => Some(*n),
            _ => None,
        })
        .collect();
    if readers.is_empty() {
        return quote!();
    }
    let tag_of = |r: usize| match &graph.nodes[r].shape {
        Shape::SideOutput { tag } => tag,
        _ => unreachable!("a side output reader has a side output shape"),
    };
    let mut tags: Vec<(String, &Expr)> = Vec::new();
    for &r in &readers {
        let tag = tag_of(r);
        if !tags.iter().any(|(name, _)| *name == tag_name(tag)) {
            tags.push((tag_name(tag), tag));
        }
    }
    let window = matches!(graph.nodes[node].shape, Shape::Window { .. });
    let source = graph.nodes[node].inputs.is_empty();
    tags.iter()
        .map(|(name, tag)| {
            let side: Vec<Output> = readers
                .iter()
                .filter(|r| tag_name(tag_of(**r)) == *name)
                .flat_map(|r| phys.outputs[*r].clone())
                .collect();
            let branch = branches(graph, phys, &side);
            let late = graph.nodes[node].window().and_then(|w| w.late_tag.as_ref());
            if window && late.is_some_and(|l| tag_name(l) == *name) {
                quote!(.late_data_to(#tag, |__rill_b| __rill_b #branch))
            } else if source {
                quote!(.source_side_output_to(#tag, |__rill_b| __rill_b #branch))
            } else {
                quote!(.side_output_to(#tag, |__rill_b| __rill_b #branch))
            }
        })
        .collect()
}

fn branches(graph: &Graph, phys: &Physical, outs: &[Output]) -> TokenStream {
    match outs {
        [] => quote!(),
        [one] => branch(graph, phys, *one),
        [first, rest @ ..] => {
            let a = branch(graph, phys, *first);
            let b = branches(graph, phys, rest);
            quote!(.split(|__rill_b| __rill_b #a, |__rill_b| __rill_b #b))
        }
    }
}

fn branch(graph: &Graph, phys: &Physical, out: Output) -> TokenStream {
    match out {
        Output::Chained(n) => {
            let op = (graph.nodes[n].op.emit)(&graph.nodes[n]);
            let late = late_data(graph, phys, n);
            let rest = outputs(graph, phys, n);
            quote!(#op #late #rest)
        }
        Output::Exchange(e) => {
            let edge = &phys.edges[e];
            let span = edge.span;
            // At the union call: a union of different types is reported there.
            let mut port = port_ident(edge.to_chain, edge.to_input);
            port.set_span(span);
            let id = e as u32;
            match &edge.partition {
                Partition::Hash(key) => {
                    let hash = crate::key::hasher(&key.closure);
                    quote_spanned!(span=> .to_keyed_exchange(&#port, #id, #hash))
                }
                Partition::Broadcast => quote_spanned!(span=> .to_broadcast(&#port, #id)),
                p => {
                    let route = match p {
                        Partition::Rebalance => quote!(Rebalance),
                        Partition::Rescale => quote!(Rescale),
                        Partition::Global => quote!(Global),
                        _ => quote!(Forward),
                    };
                    quote_spanned!(span=> .to_exchange(&#port, #id, ::rill::codegen::#route::default()))
                }
            }
        }
    }
}

fn emit_plan(job: &str, graph: &Graph, phys: &Physical) -> TokenStream {
    let chains = phys.chains.iter().map(|c| {
        let head = &graph.nodes[c.head];
        let id = c.id as u32;
        let par = match head.parallelism {
            Parallelism::Fixed(n) => quote!(::core::option::Option::Some(#n)),
            _ => quote!(::core::option::Option::None),
        };
        let max = match head.max_parallelism {
            Some(m) => quote!(::core::option::Option::Some(#m)),
            None => quote!(::core::option::Option::None),
        };
        let ops = c.nodes.iter().map(|&n| {
            let node = &graph.nodes[n];
            let id = n as u32;
            let kind = node.kind();
            let name = node.display_name();
            let uid = node.uid();
            quote!(::rill::codegen::Operator::new(#id, #kind, #name, #uid))
        });
        quote!(::rill::codegen::ChainSpec { id: #id, parallelism: #par, max_parallelism: #max, operators: &[#(#ops),*] })
    });
    let edges = phys.edges.iter().map(|e| {
        let (id, s, t, input) = (e.id as u32, e.from_chain as u32, e.to_chain as u32, e.to_input);
        let p = syn::Ident::new(&format!("{:?}", e.partition.partitioner()), proc_macro2::Span::call_site());
        quote!(::rill::codegen::Edge { id: #id, source: #s, target: #t, partitioner: ::rill::codegen::Partitioner::#p, input: #input })
    });
    quote!(::rill::codegen::PlanSpec { job: #job, chains: &[#(#chains),*], edges: &[#(#edges),*] })
}
