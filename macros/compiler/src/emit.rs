//! Emit: Rust code for the job. Each chain becomes one builder expression, written front to
//! back so that rustc knows each closure's input type where the closure stands; the
//! runtime clones it per subtask and builds nested operator structs (monomorphized, inlined:
//! no channel, no `Box<dyn>`, no serialization inside a chain). Chains are emitted in
//! topological order, so a consumer's input type is already inferred from its producer.

use crate::chain::{Output, Physical};
use crate::graph::{field_of, Field, Graph, Node, Par, Partition};
use crate::parse::{JobFn, Statement};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Expr;

pub struct Options {
    /// Emit `fn main` that runs the job (off for jobs embedded in other programs or tests).
    pub main: bool,
}

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
                    quote!(let #port = ::rill::exchange::InputPort::new(#id);)
                } else {
                    quote!(let #port = ::rill::exchange::InputPort::second(#id);)
                }
            })
    });
    let overrides = phys.chains.iter().filter_map(|c| {
        let head = &graph.nodes[c.head];
        let expr = head.parallelism_expr.as_ref().filter(|_| matches!(head.parallelism, Par::Expr(_)))?;
        let id = c.id as u32;
        Some(quote!(#env.__set_chain_parallelism(#id, #expr);))
    });
    let chains = phys.chains.iter().map(|c| emit_chain(env, graph, phys, c.id));
    let plan_ident = format_ident!("__RILL_PLAN_{}", name.to_string().to_uppercase());
    let job_ident = job_ident(name);
    let plan = emit_plan(&name.to_string(), graph, phys);
    let main = options.main.then(|| {
        quote! {
            fn main() {
                ::rill::entry::main(&#job_ident)
            }
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
        static #plan_ident: ::rill::plan::PlanSpec = #plan;

        /// The compiled job: its plan and the function that builds its chains.
        #vis static #job_ident: ::rill::entry::Job = ::rill::entry::Job { plan: &#plan_ident, build: #name };

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
        let source = source_expr(head);
        let sides = late_data(graph, phys, head.id);
        quote_spanned! {head.span=>
            {
                let __rill_source = #source;
                let __rill_chain = ::rill::pipe::ChainBuilder::of_source(&__rill_source) #sides #rest;
                #env.__source_chain(#id, __rill_source, __rill_chain);
            }
        }
    } else if head.inputs.iter().any(|i| i.input == 1) {
        let (first, second) = (port_ident(chain, 0), port_ident(chain, 1));
        let op = two_input_call(head);
        quote! {
            {
                let __rill_chain = ::rill::two_input::TwoInput::of(&#first, &#second) #op
                    .chain(|__rill_b| __rill_b #rest);
                #env.__two_input_chain(&#first, &#second, __rill_chain);
            }
        }
    } else {
        let port = port_ident(chain, 0);
        let op = operator_call(head);
        let late = late_data(graph, phys, head.id);
        quote! {
            {
                let __rill_chain = ::rill::pipe::ChainBuilder::of(&#port) #op #late #rest;
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
    matches!(out, Output::Chained(n) if graph.nodes[n].method() == "side_output")
}

/// The side outputs read downstream of a node, built into it: `.late_data_to(&TAG, |b| ..)`
/// for a window's late records, `.side_output_to(&TAG, |b| ..)` for each tag a keyed process
/// function writes to, `.source_side_output_to(&TAG, |b| ..)` for a source's.
fn late_data(graph: &Graph, phys: &Physical, node: usize) -> TokenStream {
    let readers: Vec<usize> = phys.outputs[node]
        .iter()
        .filter_map(|o| match o {
            Output::Chained(n) if graph.nodes[*n].method() == "side_output" => Some(*n),
            _ => None,
        })
        .collect();
    if readers.is_empty() {
        return quote!();
    }
    let mut tags: Vec<(String, &Expr)> = Vec::new();
    for &r in &readers {
        let tag = &graph.nodes[r].args[0];
        if !tags.iter().any(|(name, _)| *name == crate::graph::tag_name(tag)) {
            tags.push((crate::graph::tag_name(tag), tag));
        }
    }
    let window = graph.nodes[node].window.is_some();
    let source = graph.nodes[node].inputs.is_empty();
    tags.iter()
        .map(|(name, tag)| {
            let side: Vec<Output> = readers
                .iter()
                .filter(|r| crate::graph::tag_name(&graph.nodes[**r].args[0]) == *name)
                .flat_map(|r| phys.outputs[*r].clone())
                .collect();
            let branch = branches(graph, phys, &side);
            if window {
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
            let op = operator_call(&graph.nodes[n]);
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
                    let key = moved(&key.closure);
                    quote_spanned!(span=> .to_keyed_exchange(&#port, #id, #key))
                }
                Partition::Broadcast => quote_spanned!(span=> .to_broadcast(&#port, #id)),
                p => {
                    let route = match p {
                        Partition::Rebalance => quote!(Rebalance),
                        Partition::Rescale => quote!(Rescale),
                        Partition::Global => quote!(Global),
                        _ => quote!(Forward),
                    };
                    quote_spanned!(span=> .to_exchange(&#port, #id, ::rill::exchange::#route::default()))
                }
            }
        }
    }
}

/// A closure argument, made `move`: the chain template outlives the job function and is
/// cloned into every subtask.
fn moved(expr: &Expr) -> Expr {
    let mut e = expr.clone();
    if let Expr::Closure(c) = &mut e {
        if c.capture.is_none() {
            c.capture = Some(syn::Token![move](c.or1_token.span));
        }
    }
    e
}

fn source_expr(node: &Node) -> TokenStream {
    let id = node.id as u32;
    let a = &node.args;
    let span = node.span;
    match node.method() {
        "from_elements" | "from_iter" => {
            let items = &a[0];
            quote_spanned!(span=> ::rill::sources::FromIter::new(#id, #items))
        }
        "from_sequence" => {
            let (s, e) = (&a[0], &a[1]);
            quote_spanned!(span=> ::rill::sources::Sequence::new(#s, #e))
        }
        "from_source" => {
            let (source, name) = (&a[0], &a[2]);
            let strategy = strategy(&a[1]);
            quote_spanned!(span=> {
                let _: &str = #name;
                ::rill::sources::FromSource::new(#source, #strategy)
            })
        }
        "socket_text_stream" => {
            let (host, port) = (&a[0], &a[1]);
            let delim = a.get(2).map_or_else(|| quote!("\n"), |d| quote!(#d));
            quote_spanned!(span=> ::rill::sources::SocketTextStream::new(#host, #port, #delim))
        }
        _ => {
            let path = &a[0];
            quote_spanned!(span=> ::rill::sources::TextFile::new(#path))
        }
    }
}

fn operator_call(node: &Node) -> TokenStream {
    let id = node.id as u32;
    let span = node.span;
    if let Some(window) = &node.window {
        return window_call(node, window);
    }
    let arg = node.args.first().map(moved);
    let key = node.key.as_ref().map(|k| moved(&k.closure));
    let show = quote!(|__rill_v, __rill_out| ::rill::show!(__rill_v, __rill_out));
    match node.method() {
        "map" => quote_spanned!(span=> .map(#id, #arg)),
        "flat_map" => quote_spanned!(span=> .flat_map(#id, #arg)),
        "filter" => quote_spanned!(span=> .filter(#id, #arg)),
        // A closure is typed where it stands; anything else is a `KeyedProcessFunction`.
        "process" if key.is_some() && matches!(node.args[0], Expr::Closure(_)) => {
            quote_spanned!(span=> .keyed_process(#id, #key, #arg))
        }
        "process" if key.is_some() => quote_spanned!(span=> .keyed_process_fn(#id, #key, #arg)),
        "process" => quote_spanned!(span=> .process(#id, #arg)),
        "reduce" => quote_spanned!(span=> .keyed_reduce(#id, #key, #arg)),
        m @ ("sum" | "min" | "max") => {
            let agg = aggregation(m, &node.args[0]);
            quote_spanned!(span=> .keyed_field_aggregate(#id, #key, #agg))
        }
        m @ ("min_by" | "max_by") => {
            let agg = aggregation(m, &node.args[0]);
            quote_spanned!(span=> .keyed_select_by(#id, #key, #agg))
        }
        // The stream of a side output: built into its producer (see `late_data`).
        "side_output" => quote!(),
        "assign_timestamps_and_watermarks" => {
            let strategy = strategy(&node.args[0]);
            quote_spanned!(span=> .assign_timestamps_and_watermarks(#id, #strategy))
        }
        "print" => quote_spanned!(span=> .print_with(#id, false, #show)),
        "print_to_err" => quote_spanned!(span=> .print_with(#id, true, #show)),
        "write_as_text" => quote_spanned!(span=> .write_as_text_with(#id, #arg, #show)),
        "sink_to" => quote_spanned!(span=> .sink_to(#id, #arg)),
        "discard" => quote_spanned!(span=> .discard(#id)),
        other => unreachable!("operator {other} has no emitter"),
    }
}

/// The head of a two-input chain: `co_map`, `co_flat_map` or a keyed co-process function.
fn two_input_call(node: &Node) -> TokenStream {
    let id = node.id as u32;
    let span = node.span;
    let (a, b) = (node.args.first().map(moved), node.args.get(1).map(moved));
    match node.method() {
        "co_map" => quote_spanned!(span=> .co_map(#id, #a, #b)),
        "co_flat_map" => quote_spanned!(span=> .co_flat_map(#id, #a, #b)),
        "apply" => {
            let k1 = node.key.as_ref().map(|k| moved(&k.closure));
            let k2 = node.key2.as_ref().map(|k| moved(&k.closure));
            let assigner = node.window.as_ref().map(|w| &w.assigner);
            quote_spanned!(span=> .window_join(#id, #k1, #k2, #assigner, #a))
        }
        _ if node.interval.is_some() => {
            let k1 = node.key.as_ref().map(|k| moved(&k.closure));
            let k2 = node.key2.as_ref().map(|k| moved(&k.closure));
            let (lower, upper) = node.interval.as_ref().expect("bounds");
            quote_spanned!(span=> .interval_join(#id, #k1, #k2, #lower, #upper, #a))
        }
        _ if node.broadcast_input => {
            let k1 = node.key.as_ref().map(|k| moved(&k.closure));
            quote_spanned!(span=> .keyed_broadcast_process(#id, #k1, #a))
        }
        _ => {
            let k1 = node.key.as_ref().map(|k| moved(&k.closure));
            let k2 = node.key2.as_ref().map(|k| moved(&k.closure));
            quote_spanned!(span=> .keyed_co_process(#id, #k1, #k2, #a))
        }
    }
}

/// A window function: `keyed_window_<function>(id, key, assigner, lateness, ..)`.
fn window_call(node: &Node, window: &crate::graph::WindowSpec) -> TokenStream {
    let mut call = match dynamic_gap(&window.assigner) {
        Some((assigner, gap)) => {
            let window = crate::graph::WindowSpec { assigner, ..window.clone() };
            let call = window_function_call(node, &window);
            let gap = moved(&gap);
            quote!(#call .with_dynamic_gap(#gap))
        }
        None => window_function_call(node, window),
    };
    if let Some(trigger) = &window.trigger {
        call = quote!(#call .with_trigger(#trigger));
    }
    call
}

/// `EventTimeSessionWindows::with_dynamic_gap(|r| gap)` becomes the assigner
/// `EventTimeSessionWindows::per_record_gap()` and the closure, which is handed to the
/// window stage (`.with_dynamic_gap(|r| gap)`), where the record type is known: the closure
/// needs no annotation.
pub(crate) fn dynamic_gap(assigner: &Expr) -> Option<(Expr, Expr)> {
    let Expr::Call(call) = assigner else { return None };
    let Expr::Path(path) = &*call.func else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "with_dynamic_gap" || call.args.len() != 1 {
        return None;
    }
    let mut func = path.clone();
    let seg = func.path.segments.last_mut().expect("a last segment");
    seg.ident = syn::Ident::new("per_record_gap", seg.ident.span());
    Some((syn::parse_quote!(#func()), call.args[0].clone()))
}

fn window_function_call(node: &Node, window: &crate::graph::WindowSpec) -> TokenStream {
    let id = node.id as u32;
    let span = node.span;
    let key = node.key.as_ref().map(|k| moved(&k.closure));
    let assigner = &window.assigner;
    let lateness = window.lateness.as_ref().map_or_else(|| quote!(::std::time::Duration::ZERO), |l| quote!(#l));
    let arg = node.args.first().map(moved);
    let head = quote!(#id, #key, #assigner, #lateness);
    // Panes: constant work per record however sliding event-time windows overlap (needs
    // no lateness, no trigger). Tumbling windows do not overlap: one state per window is
    // cheaper.
    let panes =
        window.lateness.is_none() && window.trigger.is_none() && window.assigner_name() == "SlidingEventTimeWindows";
    match node.method() {
        "aggregate" if panes && node.args.len() == 2 => {
            let process = moved(&node.args[1]);
            quote_spanned!(span=> .keyed_pane_aggregate_process(#id, #key, #assigner, #arg, #process))
        }
        "aggregate" if panes => quote_spanned!(span=> .keyed_pane_aggregate(#id, #key, #assigner, #arg)),
        "aggregate" | "reduce" if node.args.len() == 2 => {
            let process = moved(&node.args[1]);
            if node.method() == "aggregate" {
                quote_spanned!(span=> .keyed_window_aggregate_process(#head, #arg, #process))
            } else {
                quote_spanned!(span=> .keyed_window_reduce_process(#head, #arg, #process))
            }
        }
        "aggregate" => quote_spanned!(span=> .keyed_window_aggregate(#head, #arg)),
        "reduce" => quote_spanned!(span=> .keyed_window_reduce(#head, #arg)),
        "process" => quote_spanned!(span=> .keyed_window_process(#head, #arg)),
        m @ ("sum" | "min" | "max") => {
            let agg = aggregation(m, &node.args[0]);
            quote_spanned!(span=> .keyed_window_field_aggregate(#head, #agg))
        }
        m => {
            let agg = aggregation(m, &node.args[0]);
            quote_spanned!(span=> .keyed_window_select_by(#head, #agg))
        }
    }
}

/// `WatermarkStrategy::for_bounded_out_of_orderness(d).with_timestamp_assigner(f)` becomes
/// `|s| s.for_bounded_out_of_orderness(d).with_timestamp_assigner(f)`, where `s` knows the
/// record type: the assigner closure needs no annotation. Anything else is passed as it is.
fn strategy(arg: &Expr) -> TokenStream {
    fn rewrite(e: &mut Expr) -> bool {
        match e {
            Expr::MethodCall(m) => {
                for a in m.args.iter_mut() {
                    *a = moved(a);
                }
                rewrite(&mut m.receiver)
            }
            Expr::Paren(p) => rewrite(&mut p.expr),
            Expr::Group(g) => rewrite(&mut g.expr),
            Expr::Call(c) => {
                let Expr::Path(p) = &*c.func else { return false };
                let segs: Vec<&syn::PathSegment> = p.path.segments.iter().collect();
                let [.., ty, ctor] = segs.as_slice() else { return false };
                if ty.ident != "WatermarkStrategy" {
                    return false;
                }
                let ctor = ctor.ident.clone();
                let args = c.args.clone();
                *e = syn::parse_quote!(__rill_ws.#ctor(#args));
                true
            }
            _ => false,
        }
    }
    let mut e = arg.clone();
    if rewrite(&mut e) {
        quote!(move |__rill_ws| #e)
    } else {
        quote!(move |_| #arg)
    }
}

/// `sum(1)` → `keyed_aggregate(id, key, Sum, |r| &mut r.1)`: one field accessor, carrying the
/// user's span, so that a wrong field is one error at the argument.
fn aggregation(method: &str, arg: &Expr) -> TokenStream {
    let field = field_of(arg).expect("validated field");
    let (access_mut, access) = match &field {
        Field::Index(0, span) => (
            quote_spanned!(*span=> |__rill_r| ::rill::agg::Field0::field0(__rill_r)),
            quote_spanned!(*span=> |__rill_r| ::rill::agg::Field0::field0_ref(__rill_r)),
        ),
        Field::Index(n, span) => {
            let idx = syn::Index { index: *n, span: *span };
            (quote_spanned!(*span=> |__rill_r| &mut __rill_r.#idx), quote_spanned!(*span=> |__rill_r| &__rill_r.#idx))
        }
        Field::Named(ident) => (quote!(|__rill_r| &mut __rill_r.#ident), quote!(|__rill_r| &__rill_r.#ident)),
    };
    match method {
        "sum" => quote!(::rill::agg::Sum, #access_mut),
        "min" => quote!(::rill::agg::Min, #access_mut),
        "max" => quote!(::rill::agg::Max, #access_mut),
        "min_by" => quote!(::rill::agg::MinBy, #access),
        _ => quote!(::rill::agg::MaxBy, #access),
    }
}

fn emit_plan(job: &str, graph: &Graph, phys: &Physical) -> TokenStream {
    let chains = phys.chains.iter().map(|c| {
        let head = &graph.nodes[c.head];
        let id = c.id as u32;
        let par = match head.parallelism {
            Par::Fixed(n) => quote!(::core::option::Option::Some(#n)),
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
            quote!(::rill::plan::Operator::new(#id, #kind, #name, #uid))
        });
        quote!(::rill::plan::ChainSpec { id: #id, parallelism: #par, max_parallelism: #max, operators: &[#(#ops),*] })
    });
    let edges = phys.edges.iter().map(|e| {
        let (id, s, t, input) = (e.id as u32, e.from_chain as u32, e.to_chain as u32, e.to_input);
        let p = syn::Ident::new(&format!("{:?}", e.partition.partitioner()), proc_macro2::Span::call_site());
        quote!(::rill::plan::Edge { id: #id, source: #s, target: #t, partitioner: ::rill::plan::Partitioner::#p, input: #input })
    });
    quote!(::rill::plan::PlanSpec { job: #job, chains: &[#(#chains),*], edges: &[#(#edges),*] })
}
