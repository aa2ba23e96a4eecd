//! The compiler's graph and chaining decisions, checked on token streams.

use quote::quote;
use rill_compiler::chain::{chain, Physical};
use rill_compiler::diag::Diagnostics;
use rill_compiler::ir::Graph;
use rill_compiler::{build_graph, parse_job};

fn plan(tokens: proc_macro2::TokenStream) -> (Graph, Physical) {
    let mut diags = Diagnostics::default();
    let job = parse_job(syn::parse2(tokens).unwrap(), &mut diags).unwrap();
    let graph = build_graph(&job, &mut diags);
    rill_compiler::validate::validate(&graph, &job.name, &mut diags);
    assert!(diags.is_empty(), "{:?}", diags.errors.iter().map(|d| &d.message).collect::<Vec<_>>());
    let phys = chain(&graph);
    (graph, phys)
}

/// Each chain as its operators' methods, and each edge as `from->to:PARTITIONER`.
fn describe(graph: &Graph, phys: &Physical) -> (Vec<String>, Vec<String>) {
    let chains = phys
        .chains
        .iter()
        .map(|c| c.nodes.iter().map(|&n| graph.nodes[n].method()).collect::<Vec<_>>().join("+"))
        .collect();
    let edges =
        phys.edges.iter().map(|e| format!("{}->{}:{}", e.from_chain, e.to_chain, e.partition.partitioner())).collect();
    (chains, edges)
}

#[test]
fn word_count_chains_like_flink() {
    let (g, p) = plan(quote! {
        fn wc(env: &mut Env) {
            env.from_elements(["a b"])
                .flat_map(|l| l.split(' ').collect::<Vec<_>>())
                .map(|w| (w, 1))
                .key_by(|(w, _)| *w)
                .sum(1)
                .print();
        }
    });
    let (chains, edges) = describe(&g, &p);
    // The non-parallel source cannot chain to the parallel flat_map; key_by is a hash exchange.
    assert_eq!(chains, ["from_elements", "flat_map+map", "sum+print"]);
    assert_eq!(edges, ["0->1:REBALANCE", "1->2:HASH"]);
}

#[test]
fn equal_parallelism_and_forward_edges_fuse() {
    let (g, p) = plan(quote! {
        fn j(env: &mut Env) {
            env.from_sequence(1, 9).map(|n| n).filter(|n| *n > 1).discard();
        }
    });
    assert_eq!(describe(&g, &p).0, ["from_sequence+map+filter+discard"]);
    assert!(p.edges.is_empty());
}

#[test]
fn chaining_can_be_broken_by_the_user() {
    let (g, p) = plan(quote! {
        fn j(env: &mut Env) {
            env.from_sequence(1, 9)
                .map(|n| n).start_new_chain()
                .filter(|n| *n > 1)
                .map(|n| n).disable_chaining()
                .discard();
        }
    });
    let (chains, edges) = describe(&g, &p);
    assert_eq!(chains, ["from_sequence", "map+filter", "map", "discard"]);
    assert_eq!(edges, ["0->1:FORWARD", "1->2:FORWARD", "2->3:FORWARD"]);
}

#[test]
fn different_parallelism_rebalances_unless_told_otherwise() {
    let (g, p) = plan(quote! {
        fn j(env: &mut Env) {
            env.from_sequence(1, 9)
                .map(|n| n).set_parallelism(2)
                .rescale()
                .map(|n| n).set_parallelism(4)
                .filter(|n| *n > 0).set_parallelism(1)
                .broadcast()
                .print();
        }
    });
    let (chains, edges) = describe(&g, &p);
    assert_eq!(chains, ["from_sequence", "map", "map", "filter", "print"]);
    assert_eq!(edges, ["0->1:REBALANCE", "1->2:RESCALE", "2->3:REBALANCE", "3->4:BROADCAST"]);
}

#[test]
fn a_union_is_an_operator_with_several_inputs_and_never_chains() {
    let (g, p) = plan(quote! {
        fn j(env: &mut Env) {
            let a = env.from_sequence(1, 2);
            let b = env.from_sequence(3, 4).map(|n| n * 2);
            a.union(b).map(|n| n + 1).print();
        }
    });
    let (chains, edges) = describe(&g, &p);
    assert_eq!(chains, ["from_sequence", "from_sequence+map", "map+print"]);
    assert_eq!(edges, ["0->2:FORWARD", "1->2:FORWARD"]);
}

#[test]
fn a_stream_used_twice_fans_out_inside_its_chain() {
    let (g, p) = plan(quote! {
        fn j(env: &mut Env) {
            let s = env.from_sequence(1, 2);
            s.print();
            s.key_by(|n| *n).sum(0).print();
        }
    });
    let (chains, edges) = describe(&g, &p);
    assert_eq!(chains, ["from_sequence+print", "sum+print"]);
    assert_eq!(edges, ["0->1:HASH"]);
    assert_eq!(p.outputs[0].len(), 2, "the source feeds a chained print and an exchange");
}

#[test]
fn plain_statements_stay_and_env_settings_are_not_streams() {
    let mut diags = Diagnostics::default();
    let job = parse_job(
        syn::parse2(quote! {
            fn j(env: &mut Env) {
                env.set_parallelism(3);
                let n = 10;
                env.from_sequence(1, n).print();
            }
        })
        .unwrap(),
        &mut diags,
    )
    .unwrap();
    let out = rill_compiler::compile(
        quote!(),
        quote! {
            fn j(env: &mut Env) {
                env.set_parallelism(3);
                let n = 10;
                env.from_sequence(1, n).print();
            }
        },
    )
    .to_string();
    assert!(out.contains("env . set_parallelism (3) ;"), "{out}");
    assert!(out.contains("let n = 10 ;"), "{out}");
    assert_eq!(job.statements.len(), 3);
}

#[test]
fn errors_accumulate_across_statements() {
    let out = rill_compiler::compile(
        quote!(),
        quote! {
            fn j(env: &mut Env) {
                env.from_sequence(1, 2).sum(1).print();
                env.from_sequence(1, 2).fliter(|n| true).print();
                env.from_sequence(1, 2).map(|n| n).uid("x").print().uid("x");
            }
        },
    )
    .to_string();
    assert_eq!(out.matches("compile_error").count(), 3, "{out}");
    assert!(out.contains("did you mean `filter`"), "{out}");
    assert!(out.contains("duplicate uid"), "{out}");
}
